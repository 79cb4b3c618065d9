/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The operator's reports (report.h): read-only queries, each prepared for
 * the one report and finalized after it.
 */
#include <stdio.h>
#include <string.h>

#include "../proto/buf.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "report.h"
#include "store.h"

/* The caller's callback, of the report's type, and its argument. */
struct ctx {
	union {
		cgs_count_cb count;
		cgs_card_cb card;
		cgs_purchase_cb purchase;
		cgs_flag_cb flag;
		cgs_command_cb command;
		cgs_session_cb session;
		cgs_block_cb block;
		cgs_rejected_cb rejected;
		cgs_rejected_count_cb rejected_count;
	} cb;
	void *arg;
};

/* One report's row reader: the row into its type, to the callback. */
typedef int (*row_fn)(struct cgs_stmt *st, const struct ctx *c);

/*
 * A query's parameter: a UA, a text or an integer; a UA or a text that is
 * NULL is SQL NULL, which the queries read as "any".  A query numbers its
 * parameters ?1 to ?n and every one is bound, as PostgreSQL wants.
 */
struct param {
	enum { P_UA, P_TEXT, P_INT } kind;
	const uint8_t *ua;
	const char *text;
	int64_t i;
};

#define UA_P(u)                         \
	{                               \
		.kind = P_UA, .ua = (u) \
	}
#define TEXT_P(t)                           \
	{                                   \
		.kind = P_TEXT, .text = (t) \
	}
#define INT_P(v)                        \
	{                               \
		.kind = P_INT, .i = (v) \
	}

static void
bind(struct cgs_stmt *st, const struct param *p, size_t n)
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

/* Run sql with its n parameters p, each row through row. */
static int
report_p(struct cgs_db *db, const char *sql, const struct param *p, size_t n,
    row_fn row, const struct ctx *c)
{
	struct cgs_stmt *st = cgs_stmt(db, sql);
	int rc, r = 0;

	if (st == NULL)
		return PROTO_ERR_IO;
	bind(st, p, n);
	while ((rc = cgs_step(st)) == 1)
		if ((r = row(st, c)) != 0)
			break;
	cgs_reset(st);
	return r == 0 && rc < 0 ? rc : r;
}

/* Run sql with ?1 the UA (NULL: every card), each row through row. */
static int
report(struct cgs_db *db, const char *sql, const uint8_t *ua, row_fn row,
    const struct ctx *c)
{
	struct param p[] = { UA_P(ua) };

	return report_p(db, sql, p, 1, row, c);
}

/* Column i as text into buf (empty for NULL). */
static void
col_text(struct cgs_stmt *st, int i, char *buf, size_t cap)
{
	const char *t = cgs_col_text(st, i);

	snprintf(buf, cap, "%s", t != NULL ? t : "");
}

/* Column i as a UA: 1 if it holds one. */
static int
col_ua(struct cgs_stmt *st, int i, uint8_t ua[PROTO_UA_LEN])
{
	const char *t = cgs_col_text(st, i);

	return t != NULL && proto_unhex(t, strlen(t), ua, PROTO_UA_LEN) == 0;
}

/* Column i as a decoder identity. */
static void
col_decoder(struct cgs_stmt *st, int i, uint8_t id[PROTO_DECODER_ID_LEN])
{
	const char *t = cgs_col_text(st, i);

	if (t != NULL)
		(void)proto_unhex(t, strlen(t), id, PROTO_DECODER_ID_LEN);
}

static uint32_t
col_u32(struct cgs_stmt *st, int i)
{
	return (uint32_t)cgs_col_i64(st, i);
}

/* --- cards -------------------------------------------------------------- */

static int
card_row(struct cgs_stmt *st, const struct ctx *c)
{
	struct cgs_card_row r;

	memset(&r, 0, sizeof(r));
	(void)col_ua(st, 0, r.ua);
	col_text(st, 1, r.status, sizeof(r.status));
	r.locked = cgs_col_null(st, 2) ? -1 : cgs_col_i64(st, 2) != 0;
	r.last_block_seq = col_u32(st, 3);
	r.purchases = col_u32(st, 4);
	r.registered_at = cgs_col_i64(st, 5);
	r.first_seen = cgs_col_i64(st, 6);
	r.last_seen = cgs_col_i64(st, 7);
	r.recovered_at = cgs_col_i64(st, 8);
	r.seen_at = cgs_col_i64(st, 9);
	r.has_seen = !cgs_col_null(st, 10);
	col_decoder(st, 10, r.seen_via);
	col_text(st, 11, r.seen_as, sizeof(r.seen_as));
	r.revoked_at = cgs_col_i64(st, 12);
	if (r.revoked_at != 0)
		snprintf(r.status, sizeof(r.status), "%s", CGS_REVOKED);
	return c->cb.card(c->arg, &r);
}

/* The columns card_row reads. */
#define CARD_SELECT                                                         \
	"SELECT ua, status, locked, last_block_seq, (SELECT COUNT(*) FROM " \
	"purchases p WHERE p.ua = c.ua), registered_at, first_seen, "       \
	"last_seen, recovered_at, seen_at, seen_via, seen_as, revoked_at "  \
	"FROM cards c"

int
cgs_report_cards(struct cgs_db *db, const uint8_t *ua, cgs_card_cb cb,
    void *arg)
{
	struct ctx c = { .cb.card = cb, .arg = arg };

	return report(db,
	    CARD_SELECT
	    " WHERE CAST(?1 AS TEXT) IS NULL OR ua = ?1 ORDER BY ua",
	    ua, card_row, &c);
}

/* --- the ledger ---------------------------------------------------------- */

static int
purchase_row(struct cgs_stmt *st, const struct ctx *c)
{
	struct cgs_purchase_row r;

	memset(&r, 0, sizeof(r));
	(void)col_ua(st, 0, r.ua);
	r.p.seq = col_u32(st, 1);
	r.p.event = col_u32(st, 2);
	r.p.channel = (uint16_t)cgs_col_i64(st, 3);
	r.p.price = col_u32(st, 4);
	r.p.time = col_u32(st, 5);
	r.recorded_at = cgs_col_i64(st, 6);
	r.has_via = col_ua(st, 7, r.via);
	col_text(st, 8, r.origin, sizeof(r.origin));
	r.session = cgs_col_i64(st, 9);
	return c->cb.purchase(c->arg, &r);
}

/* The columns purchase_row reads. */
#define PURCHASE_SELECT                                                   \
	"SELECT ua, seq, event, channel, price, bought_at, recorded_at, " \
	"via_ua, origin, session_id FROM purchases"

int
cgs_report_purchases(struct cgs_db *db, const uint8_t *ua, cgs_purchase_cb cb,
    void *arg)
{
	struct ctx c = { .cb.purchase = cb, .arg = arg };

	return report(db,
	    PURCHASE_SELECT
	    " WHERE CAST(?1 AS TEXT) IS NULL OR ua = ?1 ORDER BY ua, seq",
	    ua, purchase_row, &c);
}

/* --- flags ---------------------------------------------------------------- */

static int
flag_row(struct cgs_stmt *st, const struct ctx *c)
{
	struct cgs_flag_row r;

	memset(&r, 0, sizeof(r));
	r.id = cgs_col_i64(st, 0);
	r.has_ua = col_ua(st, 1, r.ua);
	r.session = cgs_col_i64(st, 2);
	r.at = cgs_col_i64(st, 3);
	col_text(st, 4, r.what, sizeof(r.what));
	return c->cb.flag(c->arg, &r);
}

int
cgs_report_flags(struct cgs_db *db, const uint8_t *ua, cgs_flag_cb cb,
    void *arg)
{
	struct ctx c = { .cb.flag = cb, .arg = arg };

	return report(db,
	    "SELECT id, ua, session_id, at, what FROM flags WHERE CAST(?1 AS "
	    "TEXT) IS NULL "
	    "OR ua = ?1 ORDER BY id",
	    ua, flag_row, &c);
}

/* --- commands ------------------------------------------------------------- */

static int
command_row(struct cgs_stmt *st, const struct ctx *c)
{
	struct cgs_command_row r;

	memset(&r, 0, sizeof(r));
	(void)col_ua(st, 0, r.ua);
	r.path = (uint8_t)cgs_col_i64(st, 1);
	r.counter = col_u32(st, 2);
	col_text(st, 3, r.type, sizeof(r.type));
	r.arg1 = col_u32(st, 4);
	r.arg2 = col_u32(st, 5);
	col_text(st, 6, r.state, sizeof(r.state));
	r.has_sw = !cgs_col_null(st, 7);
	r.sw = (uint16_t)cgs_col_i64(st, 7);
	r.sends = col_u32(st, 8);
	r.created_at = cgs_col_i64(st, 9);
	r.sent_at = cgs_col_i64(st, 10);
	r.outcome_at = cgs_col_i64(st, 11);
	r.cancelled_at = cgs_col_i64(st, 12);
	return c->cb.command(c->arg, &r);
}

int
cgs_report_commands(struct cgs_db *db, const uint8_t *ua, cgs_command_cb cb,
    void *arg)
{
	struct ctx c = { .cb.command = cb, .arg = arg };

	return report(db,
	    "SELECT ua, path, counter, type, arg1, arg2, state, sw, sends, "
	    "created_at, sent_at, outcome_at, cancelled_at FROM commands "
	    "WHERE CAST(?1 AS TEXT) IS NULL OR ua = ?1 ORDER BY ua, path, "
	    "counter",
	    ua, command_row, &c);
}

/* --- sessions and blocks ----------------------------------------------- */

static int
session_row(struct cgs_stmt *st, const struct ctx *c)
{
	struct cgs_session_row r;

	memset(&r, 0, sizeof(r));
	r.id = cgs_col_i64(st, 0);
	col_decoder(st, 1, r.decoder_id);
	r.has_present = col_ua(st, 2, r.present);
	r.started_at = cgs_col_i64(st, 3);
	r.blocks = col_u32(st, 4);
	r.invoiced = col_u32(st, 5);
	r.flagged = col_u32(st, 6);
	return c->cb.session(c->arg, &r);
}

int
cgs_report_sessions(struct cgs_db *db, const uint8_t *ua, cgs_session_cb cb,
    void *arg)
{
	struct ctx c = { .cb.session = cb, .arg = arg };

	return report(db,
	    "SELECT id, decoder_id, present_ua, started_at, blocks, invoiced, "
	    "flagged FROM sessions s WHERE CAST(?1 AS TEXT) IS NULL OR "
	    "present_ua = ?1 OR "
	    "id IN (SELECT session_id FROM blocks WHERE ua = ?1) ORDER BY id",
	    ua, session_row, &c);
}

static int
block_row(struct cgs_stmt *st, const struct ctx *c)
{
	struct cgs_block_row r;

	memset(&r, 0, sizeof(r));
	r.session = cgs_col_i64(st, 0);
	r.has_ua = col_ua(st, 1, r.ua);
	r.seq = col_u32(st, 2);
	col_text(st, 3, r.origin, sizeof(r.origin));
	col_text(st, 4, r.status, sizeof(r.status));
	col_text(st, 5, r.reason, sizeof(r.reason));
	r.received_at = cgs_col_i64(st, 6);
	col_decoder(st, 7, r.decoder_id);
	return c->cb.block(c->arg, &r);
}

int
cgs_report_blocks(struct cgs_db *db, const uint8_t *ua, cgs_block_cb cb,
    void *arg)
{
	struct ctx c = { .cb.block = cb, .arg = arg };

	return report(db,
	    "SELECT b.session_id, b.ua, b.seq, b.origin, b.status, b.reason, "
	    "b.received_at, s.decoder_id FROM blocks b JOIN sessions s ON "
	    "s.id = b.session_id WHERE CAST(?1 AS TEXT) IS NULL OR b.ua = ?1 "
	    "ORDER BY b.id",
	    ua, block_row, &c);
}

int
cgs_report_card_data(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    cgs_data_cb cb, void *arg)
{
	struct cgs_card_data d;
	int rc, found;

	if ((rc = cgs_db_card_data_get(db, ua, &d, &found)) == 0 && found)
		rc = cb(arg, &d);
	proto_m2_clear(&d.m);
	return rc;
}

/* --- the console's views ------------------------------------------------ */

/* The rows of a breakdown: (status, n), (status, reason, n), (at, status,
 * n). */
static int
status_count_row(struct cgs_stmt *st, const struct ctx *c)
{
	struct cgs_count_row r;

	memset(&r, 0, sizeof(r));
	col_text(st, 0, r.status, sizeof(r.status));
	r.n = (uint64_t)cgs_col_i64(st, 1);
	return c->cb.count(c->arg, &r);
}

static int
reason_count_row(struct cgs_stmt *st, const struct ctx *c)
{
	struct cgs_count_row r;

	memset(&r, 0, sizeof(r));
	col_text(st, 0, r.status, sizeof(r.status));
	col_text(st, 1, r.reason, sizeof(r.reason));
	r.n = (uint64_t)cgs_col_i64(st, 2);
	return c->cb.count(c->arg, &r);
}

static int
time_count_row(struct cgs_stmt *st, const struct ctx *c)
{
	struct cgs_count_row r;

	memset(&r, 0, sizeof(r));
	r.at = cgs_col_i64(st, 0);
	col_text(st, 1, r.status, sizeof(r.status));
	r.n = (uint64_t)cgs_col_i64(st, 2);
	return c->cb.count(c->arg, &r);
}

/* The status a card is shown with: revoked over the others. */
#define CARD_STATUS \
	"CASE WHEN revoked_at IS NOT NULL THEN 'revoked' ELSE status END"

int
cgs_report_card_counts(struct cgs_db *db, cgs_count_cb cb, void *arg)
{
	struct ctx c = { .cb.count = cb, .arg = arg };

	return report_p(db,
	    "SELECT " CARD_STATUS ", COUNT(*) FROM cards GROUP BY 1 ORDER BY 1",
	    NULL, 0, status_count_row, &c);
}

int
cgs_report_block_counts(struct cgs_db *db, cgs_count_cb cb, void *arg)
{
	struct ctx c = { .cb.count = cb, .arg = arg };

	return report_p(db,
	    "SELECT status, reason, COUNT(*) FROM blocks GROUP BY status, "
	    "reason ORDER BY status, reason",
	    NULL, 0, reason_count_row, &c);
}

int
cgs_report_ingest(struct cgs_db *db, int64_t since, int64_t bucket_s,
    cgs_count_cb cb, void *arg)
{
	struct ctx c = { .cb.count = cb, .arg = arg };
	struct param p[] = { INT_P(bucket_s), INT_P(since) };

	if (bucket_s <= 0)
		return PROTO_ERR_ARG;
	return report_p(db,
	    "SELECT received_at - received_at % ?1, status, COUNT(*) FROM "
	    "blocks WHERE received_at >= ?2 GROUP BY 1, 2 ORDER BY 1, 2",
	    p, 2, time_count_row, &c);
}

/* The first column of sql's one row, an integer. */
static int
scalar_row(struct cgs_stmt *st, const struct ctx *c)
{
	*(uint64_t *)c->arg = (uint64_t)cgs_col_i64(st, 0);
	return 0;
}

static int
scalar(struct cgs_db *db, const char *sql, const struct param *p, size_t np,
    uint64_t *n)
{
	struct ctx c = { .arg = n };

	*n = 0;
	return report_p(db, sql, p, np, scalar_row, &c);
}

int
cgs_report_session_count(struct cgs_db *db, int64_t since, uint64_t *n)
{
	struct param p[] = { INT_P(since) };

	return scalar(db,
	    "SELECT COUNT(*) FROM sessions WHERE started_at >= ?1", p, 1, n);
}

int
cgs_report_flag_count(struct cgs_db *db, uint64_t *n)
{
	return scalar(db, "SELECT COUNT(*) FROM flags", NULL, 0, n);
}

/*
 * A page: its count (count_sql) and its rows (sql), with ?1 the page's
 * UA, ?2 the filter, ?3 and ?4 its limit and offset (the count takes the
 * first two).
 */
static int
page(struct cgs_db *db, const struct cgs_page *pg, const char *filter,
    const char *count_sql, const char *sql, row_fn row, const struct ctx *c,
    uint64_t *total)
{
	struct param p[] = { UA_P(pg->ua), TEXT_P(filter), INT_P(pg->limit),
		INT_P(pg->offset) };
	int rc;

	if ((rc = scalar(db, count_sql, p, 2, total)) != 0)
		return rc;
	return report_p(db, sql, p, 4, row, c);
}

#define CARDS_WHERE                                                           \
	" WHERE (CAST(?1 AS TEXT) IS NULL OR ua = ?1) AND (CAST(?2 AS TEXT) " \
	"IS NULL OR " CARD_STATUS " = ?2)"
#define PAGE_RANGE " LIMIT ?3 OFFSET ?4"

int
cgs_report_cards_page(struct cgs_db *db, const struct cgs_page *pg,
    cgs_card_cb cb, void *arg, uint64_t *total)
{
	struct ctx c = { .cb.card = cb, .arg = arg };

	return page(db, pg, pg->status,
	    "SELECT COUNT(*) FROM cards" CARDS_WHERE,
	    CARD_SELECT CARDS_WHERE " ORDER BY ua" PAGE_RANGE, card_row, &c,
	    total);
}

#define PURCHASES_WHERE                                                       \
	" WHERE (CAST(?1 AS TEXT) IS NULL OR ua = ?1) AND (CAST(?2 AS TEXT) " \
	"IS NULL OR origin = ?2)"

int
cgs_report_purchases_page(struct cgs_db *db, const struct cgs_page *pg,
    cgs_purchase_cb cb, void *arg, uint64_t *total)
{
	struct ctx c = { .cb.purchase = cb, .arg = arg };

	return page(db, pg, pg->origin,
	    "SELECT COUNT(*) FROM purchases" PURCHASES_WHERE,
	    PURCHASE_SELECT PURCHASES_WHERE
	    " ORDER BY recorded_at DESC, ua, seq DESC" PAGE_RANGE,
	    purchase_row, &c, total);
}

/* text as a LIKE pattern "%text%", its own % _ and \ escaped by \. */
static int
like_pattern(const char *text, char *buf, size_t cap)
{
	size_t n = 0, len = strlen(text);

	if (len > CGS_PAGE_TEXT_MAX || cap < 2 * len + 3)
		return PROTO_ERR_TOOBIG;
	buf[n++] = '%';
	for (; *text != '\0'; text++) {
		if (*text == '%' || *text == '_' || *text == '\\')
			buf[n++] = '\\';
		buf[n++] = *text;
	}
	buf[n++] = '%';
	buf[n] = '\0';
	return 0;
}

#define FLAGS_WHERE                                         \
	" WHERE (CAST(?1 AS TEXT) IS NULL OR ua = ?1) AND " \
	"(CAST(?2 AS TEXT) IS NULL OR what LIKE ?2 ESCAPE '\\')"

int
cgs_report_flags_page(struct cgs_db *db, const struct cgs_page *pg,
    cgs_flag_cb cb, void *arg, uint64_t *total)
{
	struct ctx c = { .cb.flag = cb, .arg = arg };
	char pat[2 * CGS_PAGE_TEXT_MAX + 3];
	int rc;

	if (pg->text != NULL &&
	    (rc = like_pattern(pg->text, pat, sizeof(pat))) != 0)
		return rc;
	return page(db, pg, pg->text != NULL ? pat : NULL,
	    "SELECT COUNT(*) FROM flags" FLAGS_WHERE,
	    "SELECT id, ua, session_id, at, what FROM flags" FLAGS_WHERE
	    " ORDER BY id DESC" PAGE_RANGE,
	    flag_row, &c, total);
}

/* --- the rejected blocks ------------------------------------------------ */

static int
rejected_row(struct cgs_stmt *st, const struct ctx *c)
{
	struct cgs_rejected_row r;

	memset(&r, 0, sizeof(r));
	r.n = cgs_col_i64(st, 0);
	r.at = cgs_col_i64(st, 1);
	col_text(st, 2, r.peer, sizeof(r.peer));
	col_decoder(st, 3, r.decoder_id);
	r.has_ua = col_ua(st, 4, r.ua);
	r.seq = col_u32(st, 5);
	col_text(st, 6, r.origin, sizeof(r.origin));
	r.reason = (uint8_t)cgs_col_i64(st, 7);
	r.session = cgs_col_i64(st, 8);
	return c->cb.rejected(c->arg, &r);
}

int
cgs_report_rejected(struct cgs_db *db, cgs_rejected_cb cb, void *arg)
{
	struct ctx c = { .cb.rejected = cb, .arg = arg };

	return report_p(db,
	    "SELECT n, at, peer, decoder_id, ua, seq, origin, reason, "
	    "session_id FROM rejected ORDER BY n DESC",
	    NULL, 0, rejected_row, &c);
}

static int
rejected_count_row(struct cgs_stmt *st, const struct ctx *c)
{
	struct cgs_rejected_count_row r;

	r.reason = (uint8_t)cgs_col_i64(st, 0);
	r.n = cgs_col_i64(st, 1);
	r.last_at = cgs_col_i64(st, 2);
	return c->cb.rejected_count(c->arg, &r);
}

int
cgs_report_rejected_counts(struct cgs_db *db, cgs_rejected_count_cb cb,
    void *arg)
{
	struct ctx c = { .cb.rejected_count = cb, .arg = arg };

	return report_p(db,
	    "SELECT reason, n, last_at FROM rejected_counts ORDER BY reason",
	    NULL, 0, rejected_count_row, &c);
}
