/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The operator's reports (report.h): read-only queries, each row read by
 * its column table (db_rows.h).  The console's counts and pages are in
 * db_views.c.
 */
#include "../proto/m2.h"
#include "db_rows.h"

/* --- cards, the ledger, flags ----------------------------------------- */

int
cgs_report_cards(struct cgs_db *db, const uint8_t *ua, cgs_card_cb cb,
    void *arg)
{
	struct rep_rows to = rep_cards(cb, arg);

	return rep_query_ua(db,
	    CARD_SELECT
	    " WHERE CAST(?1 AS TEXT) IS NULL OR ua = ?1 ORDER BY ua",
	    ua, &to);
}

int
cgs_report_purchases(struct cgs_db *db, const uint8_t *ua, cgs_purchase_cb cb,
    void *arg)
{
	struct rep_rows to = rep_purchases(cb, arg);

	return rep_query_ua(db,
	    PURCHASE_SELECT
	    " WHERE CAST(?1 AS TEXT) IS NULL OR ua = ?1 ORDER BY ua, seq",
	    ua, &to);
}

int
cgs_report_flags(struct cgs_db *db, const uint8_t *ua, cgs_flag_cb cb,
    void *arg)
{
	struct rep_rows to = rep_flags(cb, arg);

	return rep_query_ua(db,
	    FLAG_SELECT
	    " WHERE CAST(?1 AS TEXT) IS NULL OR ua = ?1 ORDER BY id",
	    ua, &to);
}

/* --- commands ------------------------------------------------------------- */

#define COMMAND(col, kind, m) RC(col, kind, struct cgs_command_row, m)
static const struct rep_col command_cols[] = {
	COMMAND(0, RC_UA, ua),
	COMMAND(1, RC_U8, path),
	COMMAND(2, RC_U32, counter),
	COMMAND(3, RC_TEXT, type),
	COMMAND(4, RC_U32, arg1),
	COMMAND(5, RC_U32, arg2),
	COMMAND(6, RC_TEXT, state),
	COMMAND(7, RC_HAS, has_sw),
	COMMAND(7, RC_U16, sw),
	COMMAND(8, RC_U32, sends),
	COMMAND(9, RC_I64, created_at),
	COMMAND(10, RC_I64, sent_at),
	COMMAND(11, RC_I64, outcome_at),
	COMMAND(12, RC_I64, cancelled_at),
};

int
cgs_report_commands(struct cgs_db *db, const uint8_t *ua, cgs_command_cb cb,
    void *arg)
{
	struct rep_rows to =
	    REP_ROWS(REP_COMMAND, command, command_cols, cb, arg);

	return rep_query_ua(db,
	    "SELECT ua, path, counter, type, arg1, arg2, state, sw, sends, "
	    "created_at, sent_at, outcome_at, cancelled_at FROM commands "
	    "WHERE CAST(?1 AS TEXT) IS NULL OR ua = ?1 ORDER BY ua, path, "
	    "counter",
	    ua, &to);
}

/* --- sessions and blocks ----------------------------------------------- */

#define SESSION(col, kind, m) RC(col, kind, struct cgs_session_row, m)
static const struct rep_col session_cols[] = {
	SESSION(0, RC_I64, id),
	SESSION(1, RC_DECODER, decoder_id),
	SESSION(2, RC_HAS_UA, has_present),
	SESSION(2, RC_UA, present),
	SESSION(3, RC_I64, started_at),
	SESSION(4, RC_U32, blocks),
	SESSION(5, RC_U32, invoiced),
	SESSION(6, RC_U32, flagged),
};

int
cgs_report_sessions(struct cgs_db *db, const uint8_t *ua, cgs_session_cb cb,
    void *arg)
{
	struct rep_rows to =
	    REP_ROWS(REP_SESSION, session, session_cols, cb, arg);

	return rep_query_ua(db,
	    "SELECT id, decoder_id, present_ua, started_at, blocks, invoiced, "
	    "flagged FROM sessions s WHERE CAST(?1 AS TEXT) IS NULL OR "
	    "present_ua = ?1 OR "
	    "id IN (SELECT session_id FROM blocks WHERE ua = ?1) ORDER BY id",
	    ua, &to);
}

#define BLOCK(col, kind, m) RC(col, kind, struct cgs_block_row, m)
static const struct rep_col block_cols[] = {
	BLOCK(0, RC_I64, session),
	BLOCK(1, RC_HAS_UA, has_ua),
	BLOCK(1, RC_UA, ua),
	BLOCK(2, RC_U32, seq),
	BLOCK(3, RC_TEXT, origin),
	BLOCK(4, RC_TEXT, status),
	BLOCK(5, RC_TEXT, reason),
	BLOCK(6, RC_I64, received_at),
	BLOCK(7, RC_DECODER, decoder_id),
};

int
cgs_report_blocks(struct cgs_db *db, const uint8_t *ua, cgs_block_cb cb,
    void *arg)
{
	struct rep_rows to = REP_ROWS(REP_BLOCK, block, block_cols, cb, arg);

	return rep_query_ua(db,
	    "SELECT b.session_id, b.ua, b.seq, b.origin, b.status, b.reason, "
	    "b.received_at, s.decoder_id FROM blocks b JOIN sessions s ON "
	    "s.id = b.session_id WHERE CAST(?1 AS TEXT) IS NULL OR b.ua = ?1 "
	    "ORDER BY b.id",
	    ua, &to);
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

/* --- the rejected blocks ------------------------------------------------ */

#define REJECTED(col, kind, m) RC(col, kind, struct cgs_rejected_row, m)
static const struct rep_col rejected_cols[] = {
	REJECTED(0, RC_I64, n),
	REJECTED(1, RC_I64, at),
	REJECTED(2, RC_TEXT, peer),
	REJECTED(3, RC_DECODER, decoder_id),
	REJECTED(4, RC_HAS_UA, has_ua),
	REJECTED(4, RC_UA, ua),
	REJECTED(5, RC_U32, seq),
	REJECTED(6, RC_TEXT, origin),
	REJECTED(7, RC_U8, reason),
	REJECTED(8, RC_I64, session),
};

int
cgs_report_rejected(struct cgs_db *db, cgs_rejected_cb cb, void *arg)
{
	struct rep_rows to =
	    REP_ROWS(REP_REJECTED, rejected, rejected_cols, cb, arg);

	return rep_query(db,
	    "SELECT n, at, peer, decoder_id, ua, seq, origin, reason, "
	    "session_id FROM rejected ORDER BY n DESC",
	    NULL, 0, &to);
}

#define RCOUNT(col, kind, m) RC(col, kind, struct cgs_rejected_count_row, m)
static const struct rep_col rejected_count_cols[] = {
	RCOUNT(0, RC_U8, reason),
	RCOUNT(1, RC_I64, n),
	RCOUNT(2, RC_I64, last_at),
};

int
cgs_report_rejected_counts(struct cgs_db *db, cgs_rejected_count_cb cb,
    void *arg)
{
	struct rep_rows to = REP_ROWS(REP_REJECTED_COUNT, rejected_count,
	    rejected_count_cols, cb, arg);

	return rep_query(db,
	    "SELECT reason, n, last_at FROM rejected_counts ORDER BY reason",
	    NULL, 0, &to);
}
