/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * The life of a command at the center (issue 9.2), through whole sessions
 * without the network: sent, then applied or refused as the card's
 * outcome ring says, or consumed when the ring no longer holds it; a
 * refused command never sent again; cancelled by the operator, and the
 * truth recorded if the card applied it anyway; the broadcast path's
 * commands matched the same way; a HELLO without a fresh block of its
 * card gets none of them.  And the schema's migrations: a database of
 * the schema before versions comes up to date with its commands.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "centerfix.c"
#include "centerfix_card.c"
#include "../../center/commands.h"
#include "../../center/ingest.h"
#include "../../proto/apdu.h"
#include "../../proto/proto.h"

struct fx {
	struct centerfix_card c;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || centerfix_card_setup(&f->c, 0x11) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	centerfix_card_teardown(&f->c);
	free(f);
	return 0;
}

static int64_t
count(struct fx *f, const char *sql)
{
	return centerfix_count(f->c.d.db, sql);
}

/*
 * A session of the card: present with a fresh block of m (frame BLOCK),
 * or m == NULL: a HELLO that claims the card and sends nothing.
 */
static void
session(struct fx *f, const struct proto_m2 *m)
{
	centerfix_card_session(&f->c, 0xaa, 1, CGS_ORIGIN_PRESENT, 0, m);
}

/* The counters of the commands in the last answer, verified. */
static size_t
sent(struct fx *f, uint32_t *ctr, uint8_t *type)
{
	struct proto_cmd c;

	for (size_t i = 0; i < f->c.s.ans.n_cmds; i++) {
		assert_int_equal(proto_cmd_verify(f->c.s.ans.cmds[i],
				     f->c.s.ans.cmd_len[i],
				     f->c.keys.center_pub, &c),
		    0);
		assert_int_equal(c.path, PROTO_CMD_PATH_UPLINK);
		ctr[i] = c.counter;
		type[i] = c.type;
	}
	return f->c.s.ans.n_cmds;
}

static void
queue(struct fx *f, uint8_t path, uint8_t type, uint32_t a1, uint32_t a2)
{
	assert_int_equal(cgs_queue_command(f->c.d.db, &f->c.keys, f->c.ua, path,
			     type, a1, a2, NULL),
	    0);
}

/* An outcome for the ring. */
static void
outcome(struct proto_m2 *m, uint8_t path, uint32_t ctr, uint8_t type,
    uint16_t sw)
{
	m->outcomes[m->n_outcomes++] = (struct proto_outcome){ .path = path,
		.counter = ctr,
		.type = type,
		.sw = sw };
}

/* The state of command (path, counter), as a number of matching rows. */
static int64_t
is(struct fx *f, int path, uint32_t ctr, const char *state)
{
	char sql[200];

	snprintf(sql, sizeof(sql),
	    "SELECT COUNT(*) FROM commands WHERE path = %d AND counter = %u "
	    "AND state = '%s'",
	    path, ctr, state);
	return count(f, sql);
}

/*
 * Issue 9.2's scenario at the center: 17 grants, a reload and an ack.
 * The card's table holds 16 rights: it consumes the 17th grant and
 * refuses it (6A84); the reload and the ack after it are applied.
 */
static void
test_refused_is_final(void **state)
{
	struct fx *f = *state;
	struct proto_m2 m;
	uint32_t ctr[PROTO_UP_MAX_COMMANDS] = { 0 };
	uint8_t type[PROTO_UP_MAX_COMMANDS] = { 0 };

	for (uint32_t ch = 1; ch <= 17; ch++)
		queue(f, PROTO_CMD_PATH_UPLINK, PROTO_CMD_GRANT, ch,
		    2000000000);
	queue(f, PROTO_CMD_PATH_UPLINK, PROTO_CMD_RELOAD, 500, 0);
	memset(&m, 0, sizeof(m));
	session(f, &m);
	/* at most 16 at a time, in counter order */
	assert_int_equal(sent(f, ctr, type), PROTO_UP_MAX_COMMANDS);
	for (uint32_t i = 0; i < PROTO_UP_MAX_COMMANDS; i++)
		assert_int_equal(ctr[i], i + 1);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM commands WHERE state = "
			     "'sent' AND sends = 1"),
	    16);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM commands WHERE state = "
			     "'queued' AND sends = 0"),
	    2);
	/* the card applied the 16 grants: the rest now */
	for (uint32_t i = 1; i <= 16; i++)
		outcome(&m, PROTO_CMD_PATH_UPLINK, i, PROTO_CMD_GRANT,
		    PROTO_SW_OK);
	m.cmd_ctr = 16;
	session(f, &m);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM commands WHERE state = "
			     "'applied' AND sw = 36864"),
	    16);
	assert_int_equal(sent(f, ctr, type), 2);
	assert_int_equal(ctr[0], 17);
	assert_int_equal(type[1], PROTO_CMD_RELOAD);
	/* a purchase invoiced since: the ack comes after the reload */
	m.purchase_seq = 1;
	m.n_purchases = 1;
	m.purchases[0] = (struct proto_purchase){ .seq = 1,
		.event = 42,
		.channel = 7,
		.price = 300,
		.time = 1000 };
	session(f, &m);
	assert_int_equal(sent(f, ctr, type), 3);
	assert_int_equal(ctr[2], 19);
	assert_int_equal(type[2], PROTO_CMD_ACK);
	/* the card: 17 refused (table full), reload and ack applied; its
	 * ring holds the latest 16, so grants 1 to 3 have left it */
	memset(&m, 0, sizeof(m));
	m.purchase_seq = 1;
	m.acked_seq = 1;
	m.cmd_ctr = 19;
	for (uint32_t i = 4; i <= 16; i++)
		outcome(&m, PROTO_CMD_PATH_UPLINK, i, PROTO_CMD_GRANT,
		    PROTO_SW_OK);
	outcome(&m, PROTO_CMD_PATH_UPLINK, 17, PROTO_CMD_GRANT,
	    PROTO_SW_NOT_ENOUGH_MEMORY);
	outcome(&m, PROTO_CMD_PATH_UPLINK, 18, PROTO_CMD_RELOAD, PROTO_SW_OK);
	outcome(&m, PROTO_CMD_PATH_UPLINK, 19, PROTO_CMD_ACK, PROTO_SW_OK);
	session(f, &m);
	assert_int_equal(is(f, 0, 17, "refused"), 1);
	assert_int_equal(count(f, "SELECT sw FROM commands WHERE counter = 17"),
	    PROTO_SW_NOT_ENOUGH_MEMORY);
	assert_int_equal(is(f, 0, 18, "applied"), 1);
	assert_int_equal(is(f, 0, 19, "applied"), 1);
	/* applied before, out of the ring now: still applied */
	assert_int_equal(is(f, 0, 1, "applied"), 1);
	/* nothing is sent again: the refused grant above all */
	assert_int_equal(f->c.s.ans.n_cmds, 0);
	session(f, &m);
	assert_int_equal(f->c.s.ans.n_cmds, 0);
	assert_int_equal(is(f, 0, 17, "refused"), 1);
	assert_int_equal(count(f,
			     "SELECT sends FROM commands WHERE counter = "
			     "17"),
	    2);
}

/* The card's counter passed a command whose outcome it did not report. */
static void
test_consumed(void **state)
{
	struct fx *f = *state;
	struct proto_m2 m;

	queue(f, PROTO_CMD_PATH_UPLINK, PROTO_CMD_RELOAD, 1, 0);
	queue(f, PROTO_CMD_PATH_UPLINK, PROTO_CMD_RELOAD, 2, 0);
	queue(f, PROTO_CMD_PATH_UPLINK, PROTO_CMD_RELOAD, 3, 0);
	memset(&m, 0, sizeof(m));
	m.cmd_ctr = 2; /* 1 and 2 consumed, their outcomes lost */
	outcome(&m, PROTO_CMD_PATH_UPLINK, 2, PROTO_CMD_RELOAD, PROTO_SW_OK);
	session(f, &m);
	assert_int_equal(is(f, 0, 1, "consumed"), 1);
	assert_int_equal(is(f, 0, 2, "applied"), 1);
	assert_int_equal(f->c.s.ans.n_cmds, 1);
	assert_int_equal(is(f, 0, 3, "sent"), 1);
	/* a later block, from the card's M1 copy, still holds the outcome
	 * of 1: the truth replaces "consumed" */
	m.n_outcomes = 0;
	outcome(&m, PROTO_CMD_PATH_UPLINK, 1, PROTO_CMD_RELOAD,
	    PROTO_SW_WRONG_DATA);
	session(f, &m);
	assert_int_equal(is(f, 0, 1, "refused"), 1);
	/* an outcome that contradicts a recorded one changes nothing */
	m.n_outcomes = 0;
	outcome(&m, PROTO_CMD_PATH_UPLINK, 1, PROTO_CMD_RELOAD, PROTO_SW_OK);
	session(f, &m);
	assert_int_equal(is(f, 0, 1, "refused"), 1);
	/* an outcome of another type than the center made: flagged */
	m.n_outcomes = 0;
	outcome(&m, PROTO_CMD_PATH_UPLINK, 3, PROTO_CMD_GRANT, PROTO_SW_OK);
	session(f, &m);
	assert_int_equal(is(f, 0, 3, "sent"), 1);
	assert_int_equal(f->c.s.ans.flagged, 1);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM flags WHERE what LIKE "
			     "'%command 3 on the uplink path as a grant%'"),
	    1);
	/* an outcome of a command the center never made: nothing */
	m.n_outcomes = 0;
	outcome(&m, PROTO_CMD_PATH_UPLINK, 9, PROTO_CMD_GRANT, PROTO_SW_OK);
	session(f, &m);
	assert_int_equal(f->c.s.ans.flagged, 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM commands"), 3);
}

static void
test_cancel(void **state)
{
	struct fx *f = *state;
	struct proto_m2 m;
	uint32_t ctr[PROTO_UP_MAX_COMMANDS] = { 0 };
	uint8_t type[PROTO_UP_MAX_COMMANDS] = { 0 };

	queue(f, PROTO_CMD_PATH_UPLINK, PROTO_CMD_RELOAD, 100, 0);
	queue(f, PROTO_CMD_PATH_UPLINK, PROTO_CMD_RELOAD, 200, 0);
	assert_int_equal(cgs_cancel_command(f->c.d.db, f->c.ua,
			     PROTO_CMD_PATH_UPLINK, 1),
	    0);
	assert_int_equal(is(f, 0, 1, "cancelled"), 1);
	/* no such command, or one of another path */
	assert_int_equal(cgs_cancel_command(f->c.d.db, f->c.ua,
			     PROTO_CMD_PATH_UPLINK, 7),
	    PROTO_ERR_NOTFOUND);
	assert_int_equal(cgs_cancel_command(f->c.d.db, f->c.ua,
			     PROTO_CMD_PATH_BROADCAST, 2),
	    PROTO_ERR_NOTFOUND);
	memset(&m, 0, sizeof(m));
	session(f, &m);
	assert_int_equal(sent(f, ctr, type), 1);
	assert_int_equal(ctr[0], 2);
	/* the card applied 2: past cancelling, and nothing changed */
	m.cmd_ctr = 2;
	outcome(&m, PROTO_CMD_PATH_UPLINK, 2, PROTO_CMD_RELOAD, PROTO_SW_OK);
	session(f, &m);
	assert_int_equal(cgs_cancel_command(f->c.d.db, f->c.ua,
			     PROTO_CMD_PATH_UPLINK, 2),
	    PROTO_ERR_STATE);
	assert_int_equal(is(f, 0, 2, "applied"), 1);
	/* the cancelled one, out of the ring and under the counter, stays
	 * cancelled: it never went out */
	assert_int_equal(is(f, 0, 1, "cancelled"), 1);
	/* sent, then cancelled, then reported applied after all: the truth
	 * is recorded, the cancellation kept beside it */
	queue(f, PROTO_CMD_PATH_UPLINK, PROTO_CMD_RELOAD, 300, 0);
	session(f, &m);
	assert_int_equal(is(f, 0, 3, "sent"), 1);
	assert_int_equal(cgs_cancel_command(f->c.d.db, f->c.ua,
			     PROTO_CMD_PATH_UPLINK, 3),
	    0);
	session(f, &m);
	assert_int_equal(f->c.s.ans.n_cmds, 0);
	m.cmd_ctr = 3;
	outcome(&m, PROTO_CMD_PATH_UPLINK, 3, PROTO_CMD_RELOAD, PROTO_SW_OK);
	session(f, &m);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM commands WHERE counter = 3 "
			     "AND state = 'applied' AND cancelled_at IS NOT "
			     "NULL"),
	    1);
}

/* EMMs: counted on the broadcast path, never sent in a session. */
static void
test_broadcast_path(void **state)
{
	struct fx *f = *state;
	struct cgs_made made;
	struct proto_cmd c;
	struct proto_m2 m;

	queue(f, PROTO_CMD_PATH_UPLINK, PROTO_CMD_RELOAD, 100, 0);
	assert_int_equal(cgs_queue_command(f->c.d.db, &f->c.keys, f->c.ua,
			     PROTO_CMD_PATH_BROADCAST, PROTO_CMD_EXPORT, 0, 0,
			     &made),
	    0);
	assert_int_equal(proto_cmd_verify(made.wire, made.len,
			     f->c.keys.center_pub, &c),
	    0);
	assert_int_equal(c.path, PROTO_CMD_PATH_BROADCAST);
	assert_int_equal(c.counter, 1); /* a counter of its own */
	assert_int_equal(made.counter, 1);
	assert_int_equal(c.type, PROTO_CMD_EXPORT);
	memset(&m, 0, sizeof(m));
	session(f, &m);
	assert_int_equal(f->c.s.ans.n_cmds, 1); /* the reload only */
	assert_int_equal(is(f, 1, 1, "queued"), 1);
	/* the card took the EMM from the broadcast */
	m.bcast_ctr = 1;
	outcome(&m, PROTO_CMD_PATH_BROADCAST, 1, PROTO_CMD_EXPORT, PROTO_SW_OK);
	session(f, &m);
	assert_int_equal(is(f, 1, 1, "applied"), 1);
	assert_int_equal(is(f, 0, 1, "sent"), 1);
	/* the next EMM is numbered past what the card showed */
	assert_int_equal(cgs_queue_command(f->c.d.db, &f->c.keys, f->c.ua,
			     PROTO_CMD_PATH_BROADCAST, PROTO_CMD_DISABLE, 0, 0,
			     &made),
	    0);
	assert_int_equal(made.counter, 2);
	assert_int_equal(cgs_queue_command(f->c.d.db, &f->c.keys, f->c.ua, 2,
			     PROTO_CMD_DISABLE, 0, 0, &made),
	    PROTO_ERR_ARG);
}

/* A claim of the card without a fresh block of it gets nothing. */
static void
test_hello_alone(void **state)
{
	struct fx *f = *state;

	queue(f, PROTO_CMD_PATH_UPLINK, PROTO_CMD_RELOAD, 100, 0);
	session(f, NULL);
	assert_int_equal(f->c.s.ans.n_cmds, 0);
	assert_int_equal(f->c.s.recorded, 0);
	assert_int_equal(is(f, 0, 1, "queued"), 1);
	assert_int_equal(count(f, "SELECT sends FROM commands"), 0);
}

/* The schema as it was before versions, with two commands. */
static const char old_schema[] =
    "CREATE TABLE cards (ua TEXT PRIMARY KEY, public_key BLOB NOT NULL,"
    " versions TEXT NOT NULL, status TEXT NOT NULL, registered_at BIGINT NOT"
    " NULL, first_seen BIGINT, last_seen BIGINT, recovered_at BIGINT,"
    " last_block_seq BIGINT NOT NULL DEFAULT 0, cmd_counter BIGINT NOT NULL"
    " DEFAULT 0, cmd_ctr_seen BIGINT NOT NULL DEFAULT 0, locked INTEGER);"
    "CREATE TABLE commands (ua TEXT NOT NULL, counter BIGINT NOT NULL,"
    " type TEXT NOT NULL, arg1 BIGINT NOT NULL, arg2 BIGINT NOT NULL,"
    " signed BLOB NOT NULL, created_at BIGINT NOT NULL, done INTEGER NOT"
    " NULL DEFAULT 0, PRIMARY KEY (ua, counter));"
    "INSERT INTO cards (ua, public_key, versions, status, registered_at,"
    " cmd_counter) VALUES ('1111111111111111', x'04', '01000100', 'active',"
    " 5, 2);"
    "INSERT INTO commands VALUES ('1111111111111111', 1, 'reload', 5, 0,"
    " x'02', 6, 1);"
    "INSERT INTO commands VALUES ('1111111111111111', 2, 'grant', 7, 9,"
    " x'02', 6, 0);";

static void
test_migrations(void **state)
{
	struct centerfix_db d;
	sqlite3_stmt *st;
	char sql[64];
	sqlite3 *sq;
	int v;

	(void)state;
	snprintf(d.dir, sizeof(d.dir), "/tmp/ptv-cgs.XXXXXX");
	assert_non_null(mkdtemp(d.dir));
	snprintf(d.path, sizeof(d.path), "%s/c.db", d.dir);
	assert_int_equal(sqlite3_open(d.path, &sq), SQLITE_OK);
	assert_int_equal(sqlite3_exec(sq, old_schema, NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(sq);
	assert_int_equal(cgs_db_open(d.path, &d.db), 0);
	assert_int_equal(cgs_db_version(d.db, &v), 0);
	assert_int_equal(v, CGS_DB_VERSION);
	/* done became consumed, the rest queued, all on the uplink path */
	assert_int_equal(centerfix_count(d.db,
			     "SELECT COUNT(*) FROM commands WHERE counter = 1 "
			     "AND state = 'consumed' AND path = 0"),
	    1);
	assert_int_equal(centerfix_count(d.db,
			     "SELECT COUNT(*) FROM commands WHERE counter = 2 "
			     "AND state = 'queued' AND type = 'grant' AND "
			     "arg2 = 9"),
	    1);
	assert_int_equal(centerfix_count(d.db,
			     "SELECT cmd_counter + bcast_counter FROM cards"),
	    2);
	/* an active card was last seen present; no card revoked */
	assert_int_equal(centerfix_count(d.db,
			     "SELECT COUNT(*) FROM cards WHERE seen_as = "
			     "'present' AND revoked_at IS NULL"),
	    1);
	/* opened again: nothing to do, nothing changed */
	cgs_db_close(&d.db);
	assert_int_equal(cgs_db_open(d.path, &d.db), 0);
	assert_int_equal(centerfix_count(d.db, "SELECT COUNT(*) FROM commands"),
	    2);
	/* a database of a newer schema than this build knows: refused,
	 * untouched */
	assert_int_equal(cgs_db_exec(d.db, "PRAGMA user_version = 99"), 0);
	cgs_db_close(&d.db);
	assert_int_not_equal(cgs_db_open(d.path, &d.db), 0);
	assert_null(d.db);
	assert_int_equal(sqlite3_open(d.path, &sq), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(sq, "PRAGMA user_version", -1, &st,
			     NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 99);
	sqlite3_finalize(st);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", CGS_DB_VERSION);
	assert_int_equal(sqlite3_exec(sq, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(sq);
	assert_int_equal(cgs_db_open(d.path, &d.db), 0);
	centerfix_db_remove(&d);
}

int
main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_refused_is_final),
		T(test_consumed),
		T(test_cancel),
		T(test_broadcast_path),
		T(test_hello_alone),
		cmocka_unit_test(test_migrations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
