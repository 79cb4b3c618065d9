/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The schema, as a list of migrations: migrations[i] takes a database at
 * version i (PRAGMA user_version) to version i + 1.  A schema change is a
 * new entry at the end, never an edit of an old one, so that a database
 * made by any earlier build comes up to date the same way a new one
 * does.  Version 0 is a new file, or one made before the schema had
 * versions: the first migration creates the tables only if they are not
 * there.
 */
#include <sqlite3.h>
#include <stdio.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "db.h"

static const char *const migrations[] = {
	/* 0 -> 1: the schema as it was before versions */
	"CREATE TABLE IF NOT EXISTS cards ("
	" ua TEXT PRIMARY KEY,"
	" public_key BLOB NOT NULL,"
	" versions TEXT NOT NULL,"
	" status TEXT NOT NULL,"
	" registered_at BIGINT NOT NULL,"
	" first_seen BIGINT, last_seen BIGINT, recovered_at BIGINT,"
	" last_block_seq BIGINT NOT NULL DEFAULT 0,"
	" cmd_counter BIGINT NOT NULL DEFAULT 0,"
	" cmd_ctr_seen BIGINT NOT NULL DEFAULT 0,"
	" locked INTEGER);"
	"CREATE TABLE IF NOT EXISTS sessions ("
	" id INTEGER PRIMARY KEY,"
	" decoder_id TEXT NOT NULL, present_ua TEXT,"
	" started_at BIGINT NOT NULL, blocks INTEGER NOT NULL,"
	" invoiced INTEGER NOT NULL, flagged INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS blocks ("
	" id INTEGER PRIMARY KEY, session_id BIGINT NOT NULL,"
	" ua TEXT NOT NULL, seq BIGINT NOT NULL, origin TEXT NOT NULL,"
	" status TEXT NOT NULL, reason TEXT NOT NULL,"
	" received_at BIGINT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS blocks_ua_seq ON blocks (ua, seq);"
	"CREATE TABLE IF NOT EXISTS purchases ("
	" ua TEXT NOT NULL, seq BIGINT NOT NULL,"
	" event BIGINT NOT NULL, channel INTEGER NOT NULL,"
	" price BIGINT NOT NULL, bought_at BIGINT NOT NULL,"
	" recorded_at BIGINT NOT NULL, session_id BIGINT NOT NULL,"
	" via_ua TEXT, origin TEXT NOT NULL,"
	" PRIMARY KEY (ua, seq));"
	"CREATE TABLE IF NOT EXISTS flags ("
	" id INTEGER PRIMARY KEY, ua TEXT, session_id BIGINT,"
	" what TEXT NOT NULL, at BIGINT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS commands ("
	" ua TEXT NOT NULL, counter BIGINT NOT NULL, type TEXT NOT NULL,"
	" arg1 BIGINT NOT NULL, arg2 BIGINT NOT NULL, signed BLOB NOT NULL,"
	" created_at BIGINT NOT NULL, done INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (ua, counter));",

	/*
	 * 1 -> 2 (issue 9.2): a command belongs to a path (uplink 0,
	 * broadcast 1), each with its own counter, and has a state instead
	 * of "done": queued, sent, applied, refused (sw: the card's
	 * reason), consumed (the card's counter passed it, no outcome
	 * reported), cancelled.  A command done before is "consumed": what
	 * became of it was never reported.
	 */
	"CREATE TABLE commands_v2 ("
	" ua TEXT NOT NULL, path INTEGER NOT NULL, counter BIGINT NOT NULL,"
	" type TEXT NOT NULL, arg1 BIGINT NOT NULL, arg2 BIGINT NOT NULL,"
	" signed BLOB NOT NULL, created_at BIGINT NOT NULL,"
	" state TEXT NOT NULL, sw INTEGER,"
	" sends INTEGER NOT NULL DEFAULT 0, sent_at BIGINT,"
	" outcome_at BIGINT, outcome_session BIGINT, cancelled_at BIGINT,"
	" PRIMARY KEY (ua, path, counter));"
	"INSERT INTO commands_v2 (ua, path, counter, type, arg1, arg2, signed,"
	" created_at, state) SELECT ua, 0, counter, type, arg1, arg2, signed,"
	" created_at, CASE WHEN done <> 0 THEN 'consumed' ELSE 'queued' END"
	" FROM commands;"
	"DROP TABLE commands;"
	"ALTER TABLE commands_v2 RENAME TO commands;"
	"CREATE INDEX commands_state ON commands (ua, path, state);"
	"ALTER TABLE cards ADD COLUMN bcast_counter BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE cards ADD COLUMN bcast_ctr_seen BIGINT NOT NULL "
	"DEFAULT 0;",

	/*
	 * 2 -> 3 (issue 10.2): what the newest accepted block of each card
	 * said (credit, counters, clock, flags, versions, ECMs per channel,
	 * rights), with the session, decoder and time it came by.
	 */
	"CREATE TABLE card_data ("
	" ua TEXT PRIMARY KEY, block_seq BIGINT NOT NULL,"
	" origin TEXT NOT NULL, session_id BIGINT NOT NULL,"
	" decoder_id TEXT NOT NULL, received_at BIGINT NOT NULL,"
	" credit BIGINT NOT NULL, purchase_seq BIGINT NOT NULL,"
	" acked_seq BIGINT NOT NULL, change_ctr BIGINT NOT NULL,"
	" cmd_ctr BIGINT NOT NULL, bcast_ctr BIGINT NOT NULL,"
	" locked INTEGER NOT NULL, flags INTEGER NOT NULL,"
	" versions TEXT NOT NULL, cws BIGINT NOT NULL,"
	" denials BIGINT NOT NULL, powerups BIGINT NOT NULL,"
	" clock BIGINT NOT NULL);"
	"CREATE TABLE card_ecms (ua TEXT NOT NULL, channel INTEGER NOT NULL,"
	" ecms BIGINT NOT NULL, PRIMARY KEY (ua, channel));"
	"CREATE TABLE card_rights (ua TEXT NOT NULL, channel INTEGER NOT NULL,"
	" expiry BIGINT NOT NULL, PRIMARY KEY (ua, channel));",

	/*
	 * 3 -> 4 (issue 10.4): where each card was last seen (the decoder,
	 * when, as present or recovered) and whether the operator revoked
	 * it; whether a session's HELLO was proven by a fresh block of its
	 * card; who kept a recovered block and since when; the purchases
	 * that contradict the invoiced ones (a clone's), each once.  A card
	 * the old schema called retired-recovered was last seen so.
	 */
	"ALTER TABLE cards ADD COLUMN seen_at BIGINT;"
	"ALTER TABLE cards ADD COLUMN seen_via TEXT;"
	"ALTER TABLE cards ADD COLUMN seen_as TEXT;"
	"ALTER TABLE cards ADD COLUMN revoked_at BIGINT;"
	"UPDATE cards SET seen_as = 'recovered', seen_at = recovered_at"
	" WHERE status = 'retired-recovered';"
	"UPDATE cards SET seen_as = 'present', seen_at = last_seen"
	" WHERE status = 'active';"
	"ALTER TABLE sessions ADD COLUMN present_seen INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE blocks ADD COLUMN kept_by TEXT;"
	"ALTER TABLE blocks ADD COLUMN stored_at BIGINT;"
	"CREATE TABLE conflicts (ua TEXT NOT NULL, seq BIGINT NOT NULL,"
	" event BIGINT NOT NULL, channel INTEGER NOT NULL,"
	" price BIGINT NOT NULL, bought_at BIGINT NOT NULL,"
	" session_id BIGINT NOT NULL, recorded_at BIGINT NOT NULL,"
	" PRIMARY KEY (ua, seq, event, channel, price, bought_at));",
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(N_MIGRATIONS == CGS_DB_VERSION,
    "CGS_DB_VERSION is the number of migrations");

int
cgs_db_version(struct cgs_db *db, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc = PROTO_ERR_IO;

	if (sqlite3_prepare_v2(cgs_db_sql(db), "PRAGMA user_version", -1, &st,
		NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		rc = 0;
	} else {
		proto_log(PROTO_LOG_ERR, "%s: %s", __func__,
		    sqlite3_errmsg(cgs_db_sql(db)));
	}
	sqlite3_finalize(st);
	return rc;
}

/* Version v to v + 1, inside the caller's transaction. */
static int
migrate_one(struct cgs_db *db, int v)
{
	char pragma[40];
	int rc;

	if ((rc = cgs_db_exec(db, migrations[v])) != 0)
		return rc;
	(void)snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
	    v + 1);
	return cgs_db_exec(db, pragma);
}

int
cgs_db_migrate(struct cgs_db *db)
{
	int rc, v = 0;

	/* one process migrates; the others find the version moved */
	if ((rc = cgs_db_begin(db)) != 0)
		return rc;
	if ((rc = cgs_db_version(db, &v)) != 0)
		goto out;
	if (v > (int)CGS_DB_VERSION) {
		proto_log(PROTO_LOG_ERR,
		    "%s: the database is at schema version %d, this program "
		    "knows up to %d",
		    __func__, v, CGS_DB_VERSION);
		rc = PROTO_ERR_STATE;
		goto out;
	}
	for (; v < (int)CGS_DB_VERSION; v++)
		if ((rc = migrate_one(db, v)) != 0)
			goto out;
	rc = cgs_db_commit(db);
out:
	if (rc != 0)
		cgs_db_rollback(db);
	return rc;
}
