/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The schema, as a list of migrations: migrations[i] takes a database at
 * version i (PRAGMA user_version) to version i + 1.  A schema change is a
 * new entry at the end, never an edit of an old one, so that a database
 * made by any earlier build comes up to date the same way a new one
 * does.  Version 0 is a new file, or one made before the schema had
 * versions: the first migration creates the tables only if they are not
 * there.  Both engines run the same list (the version is PRAGMA
 * user_version on SQLite, the table schema_version on PostgreSQL); only
 * the types' names differ (BLOB and BYTEA, rowids and identity
 * columns), spelled for PostgreSQL when its migrations run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "db.h"
#include "store.h"

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

	/*
	 * 4 -> 5 (issue 11): the blocks the center rejected, for the
	 * operator -- junk sessions' too, which leave no other row -- in a
	 * ring: row n (counting every rejected block) goes to slot n mod
	 * CGS_REJECTED_KEEP, so the table never holds more than that; and
	 * how many of each reason, since the database was made.
	 */
	"CREATE TABLE rejected (slot INTEGER PRIMARY KEY, n BIGINT NOT NULL,"
	" at BIGINT NOT NULL, peer TEXT, decoder_id TEXT NOT NULL, ua TEXT,"
	" seq BIGINT, origin TEXT NOT NULL, reason INTEGER NOT NULL,"
	" session_id BIGINT);"
	"CREATE TABLE rejected_counts (reason INTEGER PRIMARY KEY,"
	" n BIGINT NOT NULL, last_at BIGINT NOT NULL);",

	/*
	 * 5 -> 6 (issue 12): what the sessions and the console look rows
	 * up by.  A session retires the cards its decoder recovered before
	 * (by seen_via, among those last seen recovered): without the index
	 * every session scanned all cards (and on PostgreSQL, serializable,
	 * locked the whole table).  The console's last hour of blocks and
	 * sessions by time.  The blocks by status and reason as counts,
	 * kept by each session (in one of 16 rows per pair, by session, so
	 * that concurrent sessions rarely update the same row), so that the
	 * overview never counts all blocks.
	 */
	"CREATE INDEX cards_seen_via ON cards (seen_via)"
	" WHERE status = 'recovered';"
	"CREATE INDEX blocks_received ON blocks (received_at);"
	"CREATE INDEX sessions_started ON sessions (started_at);"
	"CREATE TABLE block_counts (shard INTEGER NOT NULL,"
	" status TEXT NOT NULL, reason TEXT NOT NULL, n BIGINT NOT NULL,"
	" PRIMARY KEY (shard, status, reason));"
	"INSERT INTO block_counts (shard, status, reason, n)"
	" SELECT 0, status, reason, COUNT(*) FROM blocks"
	" GROUP BY status, reason;",

	/*
	 * 6 -> 7 (issue 12): fewer rows and B-trees per block.  What the
	 * newest accepted block of each card said moves into the card's own
	 * row, which a session reads and writes for the block anyway (one
	 * row read and one written instead of two of each); data_pairs says
	 * whether the card has ECMs or rights rows, so that one with none is
	 * not looked up for them.  (SQLite then rebuilds the ledger, the
	 * ECMs, the rights and the block counts WITHOUT ROWID: below.)
	 */
	"ALTER TABLE cards ADD COLUMN data_seq BIGINT;"
	"ALTER TABLE cards ADD COLUMN data_origin TEXT;"
	"ALTER TABLE cards ADD COLUMN data_session BIGINT;"
	"ALTER TABLE cards ADD COLUMN data_decoder TEXT;"
	"ALTER TABLE cards ADD COLUMN data_at BIGINT;"
	"ALTER TABLE cards ADD COLUMN data_credit BIGINT;"
	"ALTER TABLE cards ADD COLUMN data_purchase_seq BIGINT;"
	"ALTER TABLE cards ADD COLUMN data_acked_seq BIGINT;"
	"ALTER TABLE cards ADD COLUMN data_change_ctr BIGINT;"
	"ALTER TABLE cards ADD COLUMN data_cmd_ctr BIGINT;"
	"ALTER TABLE cards ADD COLUMN data_bcast_ctr BIGINT;"
	"ALTER TABLE cards ADD COLUMN data_locked INTEGER;"
	"ALTER TABLE cards ADD COLUMN data_flags INTEGER;"
	"ALTER TABLE cards ADD COLUMN data_versions TEXT;"
	"ALTER TABLE cards ADD COLUMN data_cws BIGINT;"
	"ALTER TABLE cards ADD COLUMN data_denials BIGINT;"
	"ALTER TABLE cards ADD COLUMN data_powerups BIGINT;"
	"ALTER TABLE cards ADD COLUMN data_clock BIGINT;"
	"ALTER TABLE cards ADD COLUMN data_pairs INTEGER;"
	"UPDATE cards SET (data_seq, data_origin, data_session, data_decoder,"
	" data_at, data_credit, data_purchase_seq, data_acked_seq,"
	" data_change_ctr, data_cmd_ctr, data_bcast_ctr, data_locked,"
	" data_flags, data_versions, data_cws, data_denials, data_powerups,"
	" data_clock) = (SELECT block_seq, origin, session_id, decoder_id,"
	" received_at, credit, purchase_seq, acked_seq, change_ctr, cmd_ctr,"
	" bcast_ctr, locked, flags, versions, cws, denials, powerups, clock"
	" FROM card_data d WHERE d.ua = cards.ua)"
	" WHERE ua IN (SELECT ua FROM card_data);"
	"UPDATE cards SET data_pairs = CASE WHEN EXISTS (SELECT 1 FROM"
	" card_ecms e WHERE e.ua = cards.ua) OR EXISTS (SELECT 1 FROM"
	" card_rights r WHERE r.ua = cards.ua) THEN 1 ELSE 0 END"
	" WHERE data_seq IS NOT NULL;"
	"DROP TABLE card_data;",

	/*
	 * 7 -> 8 (issue 12): a block is received at its session's start, so
	 * the console's ingest per minute reads the sessions' counts of
	 * their blocks by status (by sessions_started) and blocks needs no
	 * index by time: one B-tree less for every block.
	 */
	"ALTER TABLE sessions ADD COLUMN n_accepted INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN n_duplicate INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN n_rejected INTEGER NOT NULL"
	" DEFAULT 0;"
	"UPDATE sessions SET n_accepted = c.a, n_duplicate = c.d,"
	" n_rejected = c.r FROM (SELECT session_id,"
	" SUM(CASE WHEN status = 'accepted' THEN 1 ELSE 0 END) AS a,"
	" SUM(CASE WHEN status = 'duplicate' THEN 1 ELSE 0 END) AS d,"
	" SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) AS r"
	" FROM blocks GROUP BY session_id) AS c"
	" WHERE c.session_id = sessions.id;"
	"DROP INDEX blocks_received;",

	/*
	 * 8 -> 9 (issue 12): the highest purchase seq the ledger holds of
	 * each card, in the card's row (a session reads and writes it for
	 * each block anyway), set with the purchases it counts: no look-up
	 * of the ledger's highest for every block read.
	 */
	"ALTER TABLE cards ADD COLUMN max_invoiced BIGINT NOT NULL"
	" DEFAULT 0;"
	"UPDATE cards SET max_invoiced = (SELECT MAX(seq) FROM purchases p"
	" WHERE p.ua = cards.ua) WHERE ua IN (SELECT ua FROM purchases);",
};

/*
 * What SQLite runs after migrations[i], if anything: tables whose primary
 * key is all a lookup needs, rebuilt WITHOUT ROWID, so that a row is one
 * B-tree entry and not a table's and its key index's.  PostgreSQL has no
 * rowids: its tables are those already.
 */
#define WITHOUT_ROWID(t, cols, key)                                   \
	"CREATE TABLE " t "_v7 (" cols ", PRIMARY KEY (" key          \
	")) WITHOUT ROWID; INSERT INTO " t "_v7 SELECT * FROM " t ";" \
	"DROP TABLE " t "; ALTER TABLE " t "_v7 RENAME TO " t ";"
#define PURCHASES_7                                                     \
	WITHOUT_ROWID("purchases",                                      \
	    "ua TEXT NOT NULL, seq BIGINT NOT NULL,"                    \
	    " event BIGINT NOT NULL, channel INTEGER NOT NULL,"         \
	    " price BIGINT NOT NULL, bought_at BIGINT NOT NULL,"        \
	    " recorded_at BIGINT NOT NULL, session_id BIGINT NOT NULL," \
	    " via_ua TEXT, origin TEXT NOT NULL",                       \
	    "ua, seq")
#define ECMS_7                                            \
	WITHOUT_ROWID("card_ecms",                        \
	    "ua TEXT NOT NULL, channel INTEGER NOT NULL," \
	    " ecms BIGINT NOT NULL",                      \
	    "ua, channel")
#define RIGHTS_7                                          \
	WITHOUT_ROWID("card_rights",                      \
	    "ua TEXT NOT NULL, channel INTEGER NOT NULL," \
	    " expiry BIGINT NOT NULL",                    \
	    "ua, channel")
#define COUNTS_7                                            \
	WITHOUT_ROWID("block_counts",                       \
	    "shard INTEGER NOT NULL, status TEXT NOT NULL," \
	    " reason TEXT NOT NULL, n BIGINT NOT NULL",     \
	    "shard, status, reason")
static const char *const sqlite_only[] = {
	[6] = PURCHASES_7 ECMS_7 RIGHTS_7 COUNTS_7,
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(N_MIGRATIONS == CGS_DB_VERSION,
    "CGS_DB_VERSION is the number of migrations");

/* The types SQLite's text names and PostgreSQL spells otherwise. */
static const char *const pg_types[][2] = {
	{ "INTEGER PRIMARY KEY",
	    "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" },
	{ " BLOB ", " BYTEA " },
};

/* sql with every type of pg_types[k][0] spelled pg_types[k][1]
 * (allocated; NULL if out of memory). */
static char *
pg_spelling(const char *sql)
{
	/* no spelling is three times longer than the name it replaces */
	size_t cap = 3 * strlen(sql) + 1, o = 0;
	char *out = malloc(cap);

	if (out == NULL)
		return NULL;
	while (*sql != '\0') {
		size_t k, n = 1;
		const char *put = sql;

		for (k = 0; k < sizeof(pg_types) / sizeof(pg_types[0]); k++) {
			size_t len = strlen(pg_types[k][0]);

			if (strncmp(sql, pg_types[k][0], len) == 0) {
				put = pg_types[k][1];
				n = len;
				break;
			}
		}
		if (put == sql) {
			out[o++] = *sql;
		} else {
			memcpy(out + o, put, strlen(put));
			o += strlen(put);
		}
		sql += n;
	}
	out[o] = '\0';
	return out;
}

/* Run migration v on db's engine. */
static int
run_migration(struct cgs_db *db, int v)
{
	const size_t n_only = sizeof(sqlite_only) / sizeof(sqlite_only[0]);
	char *sql;
	int rc;

	if (db->e != &cgs_engine_pg) {
		if ((rc = cgs_db_exec(db, migrations[v])) != 0 ||
		    (size_t)v >= n_only || sqlite_only[v] == NULL)
			return rc;
		return cgs_db_exec(db, sqlite_only[v]);
	}
	if ((sql = pg_spelling(migrations[v])) == NULL)
		return PROTO_ERR_NOMEM;
	rc = cgs_db_exec(db, sql);
	free(sql);
	return rc;
}

int
cgs_db_version(struct cgs_db *db, int *version)
{
	struct cgs_stmt *st = cgs_stmt(db, db->e->version_get);
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	if ((rc = cgs_step(st)) == 1)
		*version = (int)cgs_col_i64(st, 0);
	else if (rc == 0) /* PostgreSQL's table, still empty */
		*version = 0;
	cgs_reset(st);
	return rc < 0 ? rc : 0;
}

/* Version v to v + 1, inside the caller's transaction. */
static int
migrate_one(struct cgs_db *db, int v)
{
	char set[120];
	int rc;

	if ((rc = run_migration(db, v)) != 0)
		return rc;
	(void)snprintf(set, sizeof(set), "%s%d", db->e->version_set, v + 1);
	return cgs_db_exec(db, set);
}

int
cgs_db_migrate(struct cgs_db *db)
{
	return cgs_db_migrate_to(db, (int)CGS_DB_VERSION);
}

int
cgs_db_migrate_to(struct cgs_db *db, int to)
{
	int rc, v = 0;

	/* up to date (every open but the first): no write lock taken, so
	 * opening a connection never waits for a busy writer; SQLite's
	 * version reads without a table */
	if (to < 0 || to > (int)CGS_DB_VERSION)
		return PROTO_ERR_ARG;
	if (db->e->migrate_first == NULL && cgs_db_version(db, &v) == 0 &&
	    v == to)
		return 0;
	/* one process migrates; the others find the version moved */
	if ((rc = cgs_db_begin(db)) != 0)
		return rc;
	if ((db->e->migrate_first != NULL &&
		(rc = cgs_db_exec(db, db->e->migrate_first)) != 0) ||
	    (rc = cgs_db_version(db, &v)) != 0)
		goto out;
	if (v > (int)CGS_DB_VERSION) {
		proto_log(PROTO_LOG_ERR,
		    "%s: the database is at schema version %d, this program "
		    "knows up to %d",
		    __func__, v, CGS_DB_VERSION);
		rc = PROTO_ERR_STATE;
		goto out;
	}
	for (; v < to; v++)
		if ((rc = migrate_one(db, v)) != 0)
			goto out;
	rc = cgs_db_commit(db);
out:
	if (rc != 0)
		cgs_db_rollback(db);
	return rc;
}
