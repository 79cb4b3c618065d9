/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rows an uplink session reads and writes: the session itself, what
 * became of each block, the ledger's purchases, the operator's flags and
 * the cards' commands.  All of it runs inside the session's transaction
 * (ingest.c), on statements prepared once per connection.
 */
#include <string.h>

#include "../proto/buf.h"
#include "../proto/proto.h"
#include "db.h"
#include "stmt.h"

static const char *
origin_name(int origin)
{
	return origin == CGS_ORIGIN_PRESENT ? "present" : "recovered";
}

int
cgs_db_session_open(struct cgs_db *db, const struct proto_up_hello *h,
    size_t nblocks, int64_t now, int64_t *session_id)
{
	char dec[2 * PROTO_DECODER_ID_LEN + 1];
	sqlite3_stmt *st = cgs_db_stmt(db,
	    "INSERT INTO sessions (decoder_id, present_ua, started_at, "
	    "blocks, invoiced, flagged) VALUES (?, ?, ?, ?, 0, 0)");
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	proto_hex(h->decoder_id, PROTO_DECODER_ID_LEN, dec);
	sqlite3_bind_text(st, 1, dec, -1, SQLITE_TRANSIENT);
	if (h->has_card)
		cgs_db_bind_ua(st, 2, h->ua);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)nblocks);
	if ((rc = cgs_step_done(st)) != 0)
		return rc;
	*session_id = sqlite3_last_insert_rowid(cgs_db_sql(db));
	return 0;
}

int
cgs_db_session_close(struct cgs_db *db, int64_t session_id, uint32_t invoiced,
    uint32_t flagged)
{
	sqlite3_stmt *st = cgs_db_stmt(db,
	    "UPDATE sessions SET invoiced = ?, flagged = ? WHERE id = ?");

	if (st == NULL)
		return PROTO_ERR_IO;
	sqlite3_bind_int64(st, 1, invoiced);
	sqlite3_bind_int64(st, 2, flagged);
	sqlite3_bind_int64(st, 3, session_id);
	return cgs_step_done(st);
}

int
cgs_db_block_record(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t *ua, uint32_t seq, int frame, const struct proto_up_result *r)
{
	static const char *const status[] = { "accepted", "duplicate",
		"rejected" };
	sqlite3_stmt *st = cgs_db_stmt(db,
	    "INSERT INTO blocks (session_id, ua, seq, origin, status, reason, "
	    "received_at) VALUES (?, ?, ?, ?, ?, ?, ?)");

	if (st == NULL || r->status > PROTO_UP_REJECTED)
		return PROTO_ERR_IO;
	sqlite3_bind_int64(st, 1, at->session_id);
	if (ua != NULL)
		cgs_db_bind_ua(st, 2, ua);
	else
		sqlite3_bind_text(st, 2, "?", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, seq);
	sqlite3_bind_text(st, 4, origin_name(frame), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, status[r->status], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, proto_up_reason(r->reason), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, at->now);
	return cgs_step_done(st);
}

int
cgs_db_block_seen(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint32_t seq, int *seen)
{
	sqlite3_stmt *st = cgs_db_stmt(db,
	    "SELECT 1 FROM blocks WHERE ua = ? AND seq = ? AND "
	    "status <> 'rejected'");

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	sqlite3_bind_int64(st, 2, seq);
	return cgs_step_exists(st, seen);
}

int
cgs_db_purchase_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint32_t seq, struct proto_purchase *p, int *found)
{
	sqlite3_stmt *st = cgs_db_stmt(db,
	    "SELECT event, channel, price, bought_at FROM purchases "
	    "WHERE ua = ? AND seq = ?");
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	sqlite3_bind_int64(st, 2, seq);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p->seq = seq;
		p->event = (uint32_t)sqlite3_column_int64(st, 0);
		p->channel = (uint16_t)sqlite3_column_int(st, 1);
		p->price = (uint32_t)sqlite3_column_int64(st, 2);
		p->time = (uint32_t)sqlite3_column_int64(st, 3);
	}
	*found = rc == SQLITE_ROW;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : PROTO_ERR_IO;
}

int
cgs_db_purchase_add(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], const struct proto_purchase *p,
    const uint8_t via[PROTO_UA_LEN], int origin, int *added)
{
	sqlite3_stmt *st = cgs_db_stmt(db,
	    "INSERT INTO purchases (ua, seq, event, channel, price, "
	    "bought_at, recorded_at, session_id, via_ua, origin) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	sqlite3_bind_int64(st, 2, p->seq);
	sqlite3_bind_int64(st, 3, p->event);
	sqlite3_bind_int(st, 4, p->channel);
	sqlite3_bind_int64(st, 5, p->price);
	sqlite3_bind_int64(st, 6, p->time);
	sqlite3_bind_int64(st, 7, at->now);
	sqlite3_bind_int64(st, 8, at->session_id);
	cgs_db_bind_ua(st, 9, via);
	sqlite3_bind_text(st, 10, origin_name(origin), -1, SQLITE_STATIC);
	if ((rc = cgs_step_done(st)) != 0)
		return rc;
	*added = sqlite3_changes(cgs_db_sql(db)) == 1;
	return 0;
}

int
cgs_db_flag(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], const char *what)
{
	sqlite3_stmt *st = cgs_db_stmt(db,
	    "INSERT INTO flags (ua, session_id, what, at) VALUES (?, ?, ?, ?)");

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	sqlite3_bind_int64(st, 2, at->session_id);
	sqlite3_bind_text(st, 3, what, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, at->now);
	return cgs_step_done(st);
}

int
cgs_db_commands_done(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint32_t counter)
{
	sqlite3_stmt *st = cgs_db_stmt(db,
	    "UPDATE commands SET done = 1 WHERE ua = ? AND counter <= ?");

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	sqlite3_bind_int64(st, 2, counter);
	return cgs_step_done(st);
}

int
cgs_db_command_pending(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint8_t type, int64_t min, int *found)
{
	sqlite3_stmt *st = cgs_db_stmt(db,
	    "SELECT 1 FROM commands WHERE ua = ? AND type = ? AND done = 0 "
	    "AND arg1 >= ?");

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	sqlite3_bind_text(st, 2, proto_cmd_name(type), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, min);
	return cgs_step_exists(st, found);
}

int
cgs_db_command_add(struct cgs_db *db, const struct proto_cmd *c,
    const uint8_t *wire, size_t len, int64_t now)
{
	sqlite3_stmt *st;
	int rc;

	if (len > PROTO_CMD_MAX_LEN)
		return PROTO_ERR_ARG;
	if ((st = cgs_db_stmt(db,
		 "UPDATE cards SET cmd_counter = ? WHERE ua = ?")) == NULL)
		return PROTO_ERR_IO;
	sqlite3_bind_int64(st, 1, c->counter);
	cgs_db_bind_ua(st, 2, c->ua);
	if ((rc = cgs_step_done(st)) != 0)
		return rc;
	if ((st = cgs_db_stmt(db,
		 "INSERT INTO commands (ua, counter, type, arg1, arg2, signed, "
		 "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, c->ua);
	sqlite3_bind_int64(st, 2, c->counter);
	sqlite3_bind_text(st, 3, proto_cmd_name(c->type), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, c->arg1);
	sqlite3_bind_int64(st, 5, c->arg2);
	sqlite3_bind_blob(st, 6, wire, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, now);
	return cgs_step_done(st);
}

int
cgs_db_commands_queued(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint8_t (*cmds)[PROTO_CMD_MAX_LEN], size_t *lens, size_t max, size_t *n)
{
	sqlite3_stmt *st = cgs_db_stmt(db,
	    "SELECT signed FROM commands WHERE ua = ? AND done = 0 "
	    "ORDER BY counter");
	size_t got = 0;
	int rc = SQLITE_DONE;

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	while (got < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int len = sqlite3_column_bytes(st, 0);
		const void *p = sqlite3_column_blob(st, 0);

		if (len <= 0 || len > PROTO_CMD_MAX_LEN || p == NULL)
			continue;
		memcpy(cmds[got], p, (size_t)len);
		lens[got++] = (size_t)len;
	}
	if (got == max)
		rc = SQLITE_ROW;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return PROTO_ERR_IO;
	*n = got;
	return 0;
}
