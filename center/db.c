/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "db.h"
#include "stmt.h"

struct cgs_db {
	sqlite3 *sql;
	struct cgs_stmts *stmts;
};

int
cgs_db_exec(struct cgs_db *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db->sql, sql, NULL, NULL, &err) != SQLITE_OK) {
		proto_log(PROTO_LOG_ERR, "%s: %s", __func__, err ? err : "?");
		sqlite3_free(err);
		return PROTO_ERR_IO;
	}
	return 0;
}

int
cgs_db_open(const char *path, struct cgs_db **out)
{
	struct cgs_db *db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return PROTO_ERR_NOMEM;
	if (sqlite3_open_v2(path, &db->sql,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK) {
		proto_log(PROTO_LOG_ERR, "%s: %s: %s", __func__, path,
		    sqlite3_errmsg(db->sql));
		cgs_db_close(&db);
		return PROTO_ERR_IO;
	}
	sqlite3_busy_timeout(db->sql, 10000);
	if (cgs_stmts_new(db->sql, &db->stmts) != 0 ||
	    cgs_db_exec(db, "PRAGMA journal_mode=WAL") != 0 ||
	    cgs_db_exec(db, "PRAGMA synchronous=FULL") != 0 ||
	    cgs_db_exec(db, "PRAGMA foreign_keys=ON") != 0 ||
	    cgs_db_migrate(db) != 0) {
		cgs_db_close(&db);
		return PROTO_ERR_IO;
	}
	*out = db;
	return 0;
}

void
cgs_db_close(struct cgs_db **dbp)
{
	if (dbp == NULL || *dbp == NULL)
		return;
	cgs_stmts_free(&(*dbp)->stmts);
	sqlite3_close((*dbp)->sql);
	free(*dbp);
	*dbp = NULL;
}

sqlite3 *
cgs_db_sql(struct cgs_db *db)
{
	return db->sql;
}

sqlite3_stmt *
cgs_db_stmt(struct cgs_db *db, const char *sql)
{
	return cgs_stmts_get(db->stmts, sql);
}

void
cgs_db_bind_ua(sqlite3_stmt *st, int col, const uint8_t ua[PROTO_UA_LEN])
{
	char h[2 * PROTO_UA_LEN + 1];

	proto_hex(ua, PROTO_UA_LEN, h);
	sqlite3_bind_text(st, col, h, -1, SQLITE_TRANSIENT);
}

void
cgs_db_bind_opt(sqlite3_stmt *st, int col, int has, int64_t v)
{
	if (has)
		sqlite3_bind_int64(st, col, v);
	else
		sqlite3_bind_null(st, col);
}

int
cgs_db_begin(struct cgs_db *db)
{
	return cgs_db_exec(db, "BEGIN IMMEDIATE");
}

int
cgs_db_commit(struct cgs_db *db)
{
	return cgs_db_exec(db, "COMMIT");
}

void
cgs_db_rollback(struct cgs_db *db)
{
	(void)sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

int
cgs_card_register(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    const uint8_t pub[PROTO_EC_PUB_LEN], const uint8_t versions[4])
{
	struct proto_ec_pub *k = NULL;
	struct cgs_card c;
	sqlite3_stmt *st;
	char vh[9];
	int rc;

	/* a key that is no point of the curve could never verify a block */
	if ((rc = proto_ec_pub_new(pub, &k)) != 0)
		return rc;
	proto_ec_pub_free(&k);
	if ((rc = cgs_card_get(db, ua, &c)) == 0)
		return memcmp(c.pub, pub, PROTO_EC_PUB_LEN) == 0 ?
		    0 :
		    PROTO_ERR_EXISTS;
	if (rc != PROTO_ERR_NOTFOUND)
		return rc;
	if ((st = cgs_db_stmt(db,
		 "INSERT INTO cards (ua, public_key, versions, status, "
		 "registered_at) VALUES (?, ?, ?, ?, ?)")) == NULL)
		return PROTO_ERR_IO;
	proto_hex(versions, 4, vh);
	cgs_db_bind_ua(st, 1, ua);
	sqlite3_bind_blob(st, 2, pub, PROTO_EC_PUB_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, vh, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, CGS_ISSUED, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
	return cgs_step_done(st);
}

/* The card's row; the statement is the caller's to reset. */
static int
card_row(sqlite3_stmt *st, const uint8_t ua[PROTO_UA_LEN], struct cgs_card *c)
{
	const void *pub;
	const unsigned char *status;
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE)
		return PROTO_ERR_NOTFOUND;
	if (rc != SQLITE_ROW ||
	    sqlite3_column_bytes(st, 0) != PROTO_EC_PUB_LEN ||
	    (pub = sqlite3_column_blob(st, 0)) == NULL ||
	    (status = sqlite3_column_text(st, 1)) == NULL) {
		proto_log(PROTO_LOG_ERR, "%s: %s", __func__,
		    rc == SQLITE_ROW ? "a card row is damaged" :
				       sqlite3_errmsg(sqlite3_db_handle(st)));
		return PROTO_ERR_IO;
	}
	memcpy(c->ua, ua, PROTO_UA_LEN);
	memcpy(c->pub, pub, PROTO_EC_PUB_LEN);
	snprintf(c->status, sizeof(c->status), "%s", (const char *)status);
	c->last_block_seq = (uint32_t)sqlite3_column_int64(st, 2);
	c->cmd_counter = (uint32_t)sqlite3_column_int64(st, 3);
	c->cmd_ctr_seen = (uint32_t)sqlite3_column_int64(st, 4);
	c->max_invoiced = sqlite3_column_int64(st, 5);
	c->bcast_counter = (uint32_t)sqlite3_column_int64(st, 6);
	c->bcast_ctr_seen = (uint32_t)sqlite3_column_int64(st, 7);
	c->revoked = sqlite3_column_type(st, 8) != SQLITE_NULL;
	return 0;
}

int
cgs_card_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    struct cgs_card *c)
{
	sqlite3_stmt *st = cgs_db_stmt(db,
	    "SELECT public_key, status, last_block_seq, cmd_counter, "
	    "cmd_ctr_seen, (SELECT COALESCE(MAX(seq), 0) FROM purchases p "
	    "WHERE p.ua = c.ua), bcast_counter, bcast_ctr_seen, revoked_at "
	    "FROM cards c WHERE ua = ?");
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	rc = card_row(st, ua, c);
	sqlite3_reset(st);
	return rc;
}

/* One of the two sightings: ?1 now, ?2 block seq, ?3 decoder, ?4 lock
 * state (NULL: unchanged; unused by the second), ?5 the UA. */
static int
card_seen(sqlite3_stmt *st, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], uint32_t block_seq, const uint8_t *locked)
{
	char dec[2 * PROTO_DECODER_ID_LEN + 1];

	if (st == NULL)
		return PROTO_ERR_IO;
	proto_hex(at->decoder_id, PROTO_DECODER_ID_LEN, dec);
	sqlite3_bind_int64(st, 1, at->now);
	sqlite3_bind_int64(st, 2, block_seq);
	sqlite3_bind_text(st, 3, dec, -1, SQLITE_TRANSIENT);
	if (locked != NULL)
		sqlite3_bind_int(st, 4, *locked);
	cgs_db_bind_ua(st, 5, ua);
	return cgs_step_done(st);
}

int
cgs_card_seen_present(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], uint32_t block_seq, const uint8_t *locked)
{
	return card_seen(cgs_db_stmt(db,
			     "UPDATE cards SET status = '" CGS_ACTIVE "', "
			     "first_seen = COALESCE(first_seen, ?1), "
			     "last_seen = ?1, seen_at = ?1, seen_via = ?3, "
			     "seen_as = 'present', "
			     "last_block_seq = MAX(last_block_seq, ?2), "
			     "locked = COALESCE(?4, locked) WHERE ua = ?5"),
	    at, ua, block_seq, locked);
}

int
cgs_card_seen_recovered(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], uint32_t block_seq)
{
	return card_seen(cgs_db_stmt(db,
			     "UPDATE cards SET status = "
			     "'" CGS_SEEN_RECOVERED "', "
			     "recovered_at = COALESCE(recovered_at, ?1), "
			     "seen_at = ?1, seen_via = ?3, "
			     "seen_as = 'recovered', "
			     "last_block_seq = MAX(last_block_seq, ?2) "
			     "WHERE ua = ?5"),
	    at, ua, block_seq, NULL);
}

int
cgs_card_decoder_holds(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN])
{
	sqlite3_stmt *st = cgs_db_stmt(db,
	    "UPDATE cards SET status = '" CGS_RECOVERED "' WHERE status = "
	    "'" CGS_SEEN_RECOVERED "' AND seen_via = ? AND ua <> ?");
	char dec[2 * PROTO_DECODER_ID_LEN + 1];

	if (st == NULL)
		return PROTO_ERR_IO;
	proto_hex(at->decoder_id, PROTO_DECODER_ID_LEN, dec);
	sqlite3_bind_text(st, 1, dec, -1, SQLITE_TRANSIENT);
	cgs_db_bind_ua(st, 2, ua);
	return cgs_step_done(st);
}

int
cgs_card_revoke(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN], int64_t now)
{
	struct cgs_card c;
	sqlite3_stmt *st;
	int rc;

	if ((rc = cgs_card_get(db, ua, &c)) != 0)
		return rc;
	if (c.revoked)
		return PROTO_ERR_EXISTS;
	if ((st = cgs_db_stmt(db,
		 "UPDATE cards SET revoked_at = ? WHERE ua = ?")) == NULL)
		return PROTO_ERR_IO;
	sqlite3_bind_int64(st, 1, now);
	cgs_db_bind_ua(st, 2, ua);
	return cgs_step_done(st);
}

int
cgs_card_counters_seen(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint32_t cmd_ctr, uint32_t bcast_ctr)
{
	sqlite3_stmt *st = cgs_db_stmt(db,
	    "UPDATE cards SET cmd_ctr_seen = MAX(cmd_ctr_seen, ?), "
	    "bcast_ctr_seen = MAX(bcast_ctr_seen, ?) WHERE ua = ?");

	if (st == NULL)
		return PROTO_ERR_IO;
	sqlite3_bind_int64(st, 1, cmd_ctr);
	sqlite3_bind_int64(st, 2, bcast_ctr);
	cgs_db_bind_ua(st, 3, ua);
	return cgs_step_done(st);
}
