/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The report queries' runner (db_rows.h): parameters bound, each row read
 * into its type by a column table, handed to the callback.
 */
#include <stdio.h>
#include <string.h>

#include "../proto/buf.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "db_rows.h"
#include "store.h"

#define HEX_MAX 8 /* the longest hex column: a UA, a decoder identity */
_Static_assert(PROTO_UA_LEN <= HEX_MAX && PROTO_DECODER_ID_LEN <= HEX_MAX,
    "HEX_MAX holds a UA and a decoder identity");

static void
bind(struct cgs_stmt *st, const struct rep_param *p, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		int col = (int)k + 1;

		if (p[k].kind == P_INT)
			cgs_bind_i64(st, col, p[k].i);
		else if (p[k].kind == P_UA && p[k].ua != NULL)
			cgs_db_bind_ua(st, col, p[k].ua);
		else if (p[k].kind == P_TEXT && p[k].text != NULL)
			cgs_bind_text(st, col, p[k].text);
		else
			cgs_bind_null(st, col);
	}
}

/* n bytes of v into the member c names, if it is of that size: a table
 * naming a member of another type is a bug, said, the member left zero. */
static void
put(uint8_t *row, const struct rep_col *c, const void *v, size_t n)
{
	if (c->len == n)
		memcpy(row + c->off, v, n);
	else
		proto_log(PROTO_LOG_ERR,
		    "%s: column %d: a member of %zu bytes, not %zu", __func__,
		    c->col, c->len, n);
}

/* Column col as hex of exactly n bytes into b: 1 if it is that. */
static int
hex_col(struct cgs_stmt *st, int col, uint8_t b[HEX_MAX], size_t n)
{
	const char *t = cgs_col_text(st, col);

	return t != NULL && n <= HEX_MAX &&
	    proto_unhex(t, strlen(t), b, n) == 0;
}

/* The column's n bytes of hex into its member; left zero if it is not. */
static void
put_hex(struct cgs_stmt *st, uint8_t *row, const struct rep_col *c, size_t n)
{
	uint8_t b[HEX_MAX];

	if (hex_col(st, c->col, b, n))
		put(row, c, b, n);
}

static void
read_col(struct cgs_stmt *st, uint8_t *row, const struct rep_col *c)
{
	/* a column read as an integer only by the integer kinds (a text one
	 * read so is an error on PostgreSQL's engine) */
	int64_t v;
	uint64_t u64;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8, hex[HEX_MAX];
	const char *t;
	int flag;

	switch (c->kind) {
	case RC_I64:
		v = cgs_col_i64(st, c->col);
		put(row, c, &v, sizeof(v));
		break;
	case RC_U64:
		u64 = (uint64_t)cgs_col_i64(st, c->col);
		put(row, c, &u64, sizeof(u64));
		break;
	case RC_U32:
		u32 = (uint32_t)cgs_col_i64(st, c->col);
		put(row, c, &u32, sizeof(u32));
		break;
	case RC_U16:
		u16 = (uint16_t)cgs_col_i64(st, c->col);
		put(row, c, &u16, sizeof(u16));
		break;
	case RC_U8:
		u8 = (uint8_t)cgs_col_i64(st, c->col);
		put(row, c, &u8, sizeof(u8));
		break;
	case RC_TEXT:
		t = cgs_col_text(st, c->col);
		if (c->len > 0)
			snprintf((char *)row + c->off, c->len, "%s",
			    t != NULL ? t : "");
		break;
	case RC_UA:
	case RC_DECODER: /* as many bytes as the member holds */
		put_hex(st, row, c, c->len);
		break;
	case RC_HAS_UA:
		flag = hex_col(st, c->col, hex, PROTO_UA_LEN);
		put(row, c, &flag, sizeof(flag));
		break;
	case RC_HAS:
		flag = !cgs_col_null(st, c->col);
		put(row, c, &flag, sizeof(flag));
		break;
	case RC_TRI:
		flag = cgs_col_null(st, c->col) ? -1 :
						  cgs_col_i64(st, c->col) != 0;
		put(row, c, &flag, sizeof(flag));
		break;
	}
}

/* The row, of to's type, to to's callback. */
static int
emit(const struct rep_rows *to, union rep_row *r)
{
	switch (to->type) {
	case REP_CARD:
		/* revoked is shown over the status it had */
		if (r->card.revoked_at != 0)
			snprintf(r->card.status, sizeof(r->card.status), "%s",
			    CGS_REVOKED);
		return to->cb.card(to->arg, &r->card);
	case REP_PURCHASE:
		return to->cb.purchase(to->arg, &r->purchase);
	case REP_FLAG:
		return to->cb.flag(to->arg, &r->flag);
	case REP_COMMAND:
		return to->cb.command(to->arg, &r->command);
	case REP_SESSION:
		return to->cb.session(to->arg, &r->session);
	case REP_BLOCK:
		return to->cb.block(to->arg, &r->block);
	case REP_REJECTED:
		return to->cb.rejected(to->arg, &r->rejected);
	case REP_REJECTED_COUNT:
		return to->cb.rejected_count(to->arg, &r->rejected_count);
	case REP_COUNT:
		return to->cb.count(to->arg, &r->count);
	case REP_SCALAR:
		*(uint64_t *)to->arg = r->scalar;
		return 0;
	}
	return PROTO_ERR_ARG;
}

int
rep_query(struct cgs_db *db, const char *sql, const struct rep_param *p,
    size_t n, const struct rep_rows *to)
{
	struct cgs_stmt *st = cgs_stmt(db, sql);
	union rep_row row;
	int rc, r = 0;

	if (st == NULL)
		return PROTO_ERR_IO;
	bind(st, p, n);
	while ((rc = cgs_step(st)) == 1) {
		memset(&row, 0, sizeof(row));
		for (size_t i = 0; i < to->ncols; i++)
			read_col(st, (uint8_t *)&row, &to->cols[i]);
		if ((r = emit(to, &row)) != 0)
			break;
	}
	cgs_reset(st);
	return r == 0 && rc < 0 ? rc : r;
}

int
rep_query_ua(struct cgs_db *db, const char *sql, const uint8_t *ua,
    const struct rep_rows *to)
{
	struct rep_param p[] = { UA_P(ua) };

	return rep_query(db, sql, p, 1, to);
}

int
rep_scalar(struct cgs_db *db, const char *sql, const struct rep_param *p,
    size_t np, uint64_t *n)
{
	static const struct rep_col cols[] = {
		RC(0, RC_U64, union rep_row, scalar),
	};
	struct rep_rows to = { .type = REP_SCALAR, REP_COLS(cols), .arg = n };

	*n = 0;
	return rep_query(db, sql, p, np, &to);
}

/* --- the tables the reports and the console's pages share --------------- */

#define CARD(col, kind, m) RC(col, kind, struct cgs_card_row, m)
static const struct rep_col card_cols[] = {
	CARD(0, RC_UA, ua),
	CARD(1, RC_TEXT, status),
	CARD(2, RC_TRI, locked),
	CARD(3, RC_U32, last_block_seq),
	CARD(4, RC_U32, invoiced),
	CARD(5, RC_I64, registered_at),
	CARD(6, RC_I64, first_seen),
	CARD(7, RC_I64, last_seen),
	CARD(8, RC_I64, recovered_at),
	CARD(9, RC_I64, seen_at),
	CARD(10, RC_HAS, has_seen),
	CARD(10, RC_DECODER, seen_via),
	CARD(11, RC_TEXT, seen_as),
	CARD(12, RC_I64, revoked_at),
};

#define PURCHASE(col, kind, m) RC(col, kind, struct cgs_purchase_row, m)
static const struct rep_col purchase_cols[] = {
	PURCHASE(0, RC_UA, ua),
	PURCHASE(1, RC_U32, p.seq),
	PURCHASE(2, RC_U32, p.event),
	PURCHASE(3, RC_U16, p.channel),
	PURCHASE(4, RC_U32, p.price),
	PURCHASE(5, RC_U32, p.time),
	PURCHASE(6, RC_I64, recorded_at),
	PURCHASE(7, RC_HAS_UA, has_via),
	PURCHASE(7, RC_UA, via),
	PURCHASE(8, RC_TEXT, origin),
	PURCHASE(9, RC_I64, session),
};

#define FLAG(col, kind, m) RC(col, kind, struct cgs_flag_row, m)
static const struct rep_col flag_cols[] = {
	FLAG(0, RC_I64, id),
	FLAG(1, RC_HAS_UA, has_ua),
	FLAG(1, RC_UA, ua),
	FLAG(2, RC_I64, session),
	FLAG(3, RC_I64, at),
	FLAG(4, RC_TEXT, what),
};

struct rep_rows
rep_cards(cgs_card_cb cb, void *arg)
{
	struct rep_rows to = REP_ROWS(REP_CARD, card, card_cols, cb, arg);

	return to;
}

struct rep_rows
rep_purchases(cgs_purchase_cb cb, void *arg)
{
	struct rep_rows to =
	    REP_ROWS(REP_PURCHASE, purchase, purchase_cols, cb, arg);

	return to;
}

struct rep_rows
rep_flags(cgs_flag_cb cb, void *arg)
{
	struct rep_rows to = REP_ROWS(REP_FLAG, flag, flag_cols, cb, arg);

	return to;
}
