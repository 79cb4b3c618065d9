/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * How the report queries (db_report.c, db_views.c) run: parameters, and
 * rows read by column tables.  Internal to those files and db_rows.c;
 * callers of the reports see report.h only.
 *
 * A report names its SQL, its parameters, and a struct rep_rows: the
 * row's type, the table saying which column fills which member, and the
 * caller's callback.  rep_query reads each row into that type through the
 * table and hands it to the callback, so no report writes a row reader of
 * its own.
 */
#ifndef CENTER_DB_ROWS_H
#define CENTER_DB_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"

/*
 * A query's parameter: a UA, a text or an integer; a UA or a text that is
 * NULL is SQL NULL, which the queries read as "any".  A query numbers its
 * parameters ?1 to ?n and every one is bound, as PostgreSQL wants.
 */
struct rep_param {
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

/* What a column becomes in the row's member. */
enum rep_col_kind {
	RC_I64,     /* int64_t */
	RC_U64,     /* uint64_t */
	RC_U32,     /* uint32_t */
	RC_U16,     /* uint16_t */
	RC_U8,      /* uint8_t */
	RC_TEXT,    /* char[len], "" for NULL */
	RC_UA,      /* uint8_t[PROTO_UA_LEN] from hex, left zero if none */
	RC_DECODER, /* uint8_t[PROTO_DECODER_ID_LEN] from hex */
	RC_HAS_UA,  /* int: the column holds a UA */
	RC_HAS,     /* int: the column is not NULL */
	RC_TRI,     /* int: -1 for NULL, else 0 or 1 */
};

/* Column col into the member at off (of size len) of the row. */
struct rep_col {
	int col;
	enum rep_col_kind kind;
	size_t off, len;
};

#define RC(col, kind, type, member)                    \
	{                                              \
		(col), (kind), offsetof(type, member), \
		    sizeof(((type *)NULL)->member)     \
	}

/* The rows a report hands out. */
enum rep_type {
	REP_CARD,
	REP_PURCHASE,
	REP_FLAG,
	REP_COMMAND,
	REP_SESSION,
	REP_BLOCK,
	REP_REJECTED,
	REP_REJECTED_COUNT,
	REP_COUNT,
	REP_SCALAR, /* the first column of the one row, into *(uint64_t *)arg */
};

/* Room for a row of any type. */
union rep_row {
	struct cgs_card_row card;
	struct cgs_purchase_row purchase;
	struct cgs_flag_row flag;
	struct cgs_command_row command;
	struct cgs_session_row session;
	struct cgs_block_row block;
	struct cgs_rejected_row rejected;
	struct cgs_rejected_count_row rejected_count;
	struct cgs_count_row count;
	uint64_t scalar;
};

struct rep_rows {
	enum rep_type type;
	const struct rep_col *cols;
	size_t ncols;
	union {
		cgs_card_cb card;
		cgs_purchase_cb purchase;
		cgs_flag_cb flag;
		cgs_command_cb command;
		cgs_session_cb session;
		cgs_block_cb block;
		cgs_rejected_cb rejected;
		cgs_rejected_count_cb rejected_count;
		cgs_count_cb count;
	} cb;
	void *arg;
};

/* The members cols and ncols of a struct rep_rows, for the table t. */
#define REP_COLS(t) .cols = (t), .ncols = sizeof(t) / sizeof((t)[0])
/* A report's rows of type ty (REP_*), read by the column table cols, each
 * handed to f -- the member m of rep_rows.cb that ty names -- with a. */
#define REP_ROWS(ty, m, cols, f, a)                                   \
	{                                                             \
		.type = (ty), REP_COLS(cols), .cb.m = (f), .arg = (a) \
	}

/* Run sql with its n parameters p, each row read through to->cols and
 * handed to to's callback; the first non-zero callback stops it. */
int rep_query(struct cgs_db *db, const char *sql, const struct rep_param *p,
    size_t n, const struct rep_rows *to);
/* The same with ?1 the UA (NULL: every card). */
int rep_query_ua(struct cgs_db *db, const char *sql, const uint8_t *ua,
    const struct rep_rows *to);
/* The integer of sql's one row (0 if there is none) into *n. */
int rep_scalar(struct cgs_db *db, const char *sql, const struct rep_param *p,
    size_t np, uint64_t *n);

/*
 * The cards, the ledger and the flags, as both the reports and the
 * console's pages read them: the columns, in the tables' order.  A
 * card's lock is what its newest accepted block says (data_locked), of
 * either origin: cards.locked follows the present card's sessions only,
 * and a card retired since it was last seen present would otherwise
 * show that older state beside the newer one of its data.
 */
#define CARD_SELECT                                                        \
	"SELECT ua, status, COALESCE(data_locked, locked), "               \
	"last_block_seq, (SELECT COUNT(*) "                                \
	"FROM purchases p WHERE p.ua = c.ua), registered_at, first_seen, " \
	"last_seen, recovered_at, seen_at, seen_via, seen_as, revoked_at " \
	"FROM cards c"
#define PURCHASE_SELECT                                                   \
	"SELECT ua, seq, event, channel, price, bought_at, recorded_at, " \
	"via_ua, origin, session_id FROM purchases"
#define FLAG_SELECT "SELECT id, ua, session_id, at, what FROM flags"

/* A struct rep_rows for those three, to the callback cb with arg. */
struct rep_rows rep_cards(cgs_card_cb cb, void *arg);
struct rep_rows rep_purchases(cgs_purchase_cb cb, void *arg);
struct rep_rows rep_flags(cgs_flag_cb cb, void *arg);

#endif
