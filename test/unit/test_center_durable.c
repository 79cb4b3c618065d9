/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * The commit group's pipelined durability (center/group.h), with the
 * group's fdatasync wrapped (linked with -Wl,--wrap=fdatasync: only the
 * calls of our own objects, group.c's, reach the wrapper; SQLite's are
 * its library's).  The wrapper can hold a sync until the test lets it
 * go, or fail it with EIO; at each sync's beginning it reads, on a
 * connection of its own, which transactions are committed (visible) by
 * then.  Shown: a second transaction's body runs while the first's
 * sync is held (the writer was released); no cgs_db_txn returns before
 * a sync that began after its commit ended -- nor a discarded one
 * before a sync begun after its body, which read a commit not synced
 * yet; a failed sync fails every transaction it covered, and every one
 * after, and is never tried again.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "centerfix.c"
#include "../../center/group.h"
#include "../../proto/proto.h"

#define IDS 16       /* transactions of a test, numbered from 1 */
#define SYNCS 64     /* syncs a test may make */
#define WAIT_MS 5000 /* a step that does not come by then failed */

int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);

/* The wrapper's state, and the events in their order (seq > 0). */
static struct {
	pthread_mutex_t m;
	pthread_cond_t c;
	struct cgs_db *peek; /* the wrapper's reads (one sync at a time) */
	int hold;            /* the syncs from this one on wait ... */
	int go;              /* ... until this one is let go */
	int fail;            /* this sync fails (EIO) */
	int calls;           /* syncs begun */
	int seq;             /* the last event's number */
	int sync_begin[SYNCS], sync_end[SYNCS];
	int seen_by[IDS + 1]; /* the first sync that saw id committed */
	int body_end[IDS + 1], returned[IDS + 1], rc[IDS + 1];
} fx = { .m = PTHREAD_MUTEX_INITIALIZER, .c = PTHREAD_COND_INITIALIZER };

static int
event(void) /* fx.m held */
{
	pthread_cond_broadcast(&fx.c);
	return ++fx.seq;
}

/* fx.m held: wait until ready() (0), or WAIT_MS passed (-1). */
static int
wait_for(int (*ready)(int arg), int arg)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_MS / 1000;
	while (!ready(arg))
		if (pthread_cond_timedwait(&fx.c, &fx.m, &until) != 0)
			return ready(arg) ? 0 : -1;
	return 0;
}

/* Which ids are committed now, as another connection reads them. */
static void
peek_committed(int sync)
{
	struct cgs_stmt *st;

	if (fx.peek == NULL)
		return;
	if ((st = cgs_stmt(fx.peek, "SELECT id FROM t")) == NULL)
		return;
	while (cgs_step(st) == 1) {
		int64_t id = cgs_col_i64(st, 0);

		if (id > 0 && id <= IDS && fx.seen_by[id] == 0)
			fx.seen_by[id] = sync;
	}
}

static int
let_go(int sync)
{
	return fx.go >= sync;
}

int
__wrap_fdatasync(int fd)
{
	int i, rc;

	pthread_mutex_lock(&fx.m);
	if ((i = ++fx.calls) >= SYNCS)
		i = SYNCS - 1;
	peek_committed(i);
	fx.sync_begin[i] = event();
	if (fx.hold > 0 && i >= fx.hold)
		(void)wait_for(let_go, i);
	pthread_mutex_unlock(&fx.m);
	rc = fx.fail == i ? (errno = EIO, -1) : __real_fdatasync(fd);
	pthread_mutex_lock(&fx.m);
	fx.sync_end[i] = event();
	pthread_mutex_unlock(&fx.m);
	return rc;
}

/* --- the transactions ------------------------------------------------ */

struct txn {
	struct cgs_db *db;
	int id;      /* its row; the one it reads (discard) */
	int discard; /* reads row id, writes nothing, is discarded */
	int saw;     /* discard: it found row id */
	pthread_t t;
};

static int
body(struct cgs_db *db, void *arg)
{
	struct txn *x = arg;
	struct cgs_stmt *st;
	int rc;

	if (x->discard) {
		st = cgs_stmt(db, "SELECT 1 FROM t WHERE id = ?1");
		if (st == NULL)
			return PROTO_ERR_IO;
		cgs_bind_i64(st, 1, x->discard);
		rc = cgs_step_exists(st, &x->saw);
	} else {
		if ((st = cgs_stmt(db, "INSERT INTO t (id) VALUES (?1)")) ==
		    NULL)
			return PROTO_ERR_IO;
		cgs_bind_i64(st, 1, x->id);
		rc = cgs_step_done(st);
	}
	pthread_mutex_lock(&fx.m);
	fx.body_end[x->id] = event();
	pthread_mutex_unlock(&fx.m);
	return rc != 0 ? rc : x->discard ? CGS_DB_DISCARD : 0;
}

static void *
run(void *arg)
{
	struct txn *x = arg;
	int rc = cgs_db_txn(x->db, body, x);

	pthread_mutex_lock(&fx.m);
	fx.rc[x->id] = rc;
	fx.returned[x->id] = event();
	pthread_mutex_unlock(&fx.m);
	return NULL;
}

struct bench {
	struct centerfix_db d;
	struct cgs_group *g;
	struct txn x[IDS + 1];
};

static void
setup(struct bench *b)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_lock(&fx.m);
	fx.hold = fx.go = fx.fail = fx.calls = fx.seq = 0;
	memset(fx.sync_begin, 0, sizeof(fx.sync_begin));
	memset(fx.sync_end, 0, sizeof(fx.sync_end));
	memset(fx.seen_by, 0, sizeof(fx.seen_by));
	memset(fx.body_end, 0, sizeof(fx.body_end));
	memset(fx.returned, 0, sizeof(fx.returned));
	memset(fx.rc, 0, sizeof(fx.rc));
	pthread_mutex_unlock(&fx.m);
	assert_int_equal(centerfix_db_open(&b->d), 0);
	assert_int_equal(cgs_db_exec(b->d.db,
			     "CREATE TABLE t (id INTEGER PRIMARY KEY)"),
	    0);
	/* opened here: opening one in a sync could wait for the writer */
	assert_int_equal(cgs_db_open(b->d.path, &fx.peek), 0);
	assert_int_equal(cgs_group_new(b->d.path, &b->g), 0);
}

/* Transaction id begun on a thread (discard: it reads row `discard`). */
static void
start(struct bench *b, int id, int discard)
{
	struct txn *x = &b->x[id];

	x->id = id;
	x->discard = discard;
	assert_int_equal(cgs_db_open(b->d.path, &x->db), 0);
	cgs_group_join(b->g, x->db);
	assert_int_equal(pthread_create(&x->t, NULL, run, x), 0);
}

static void
join(struct bench *b, int id)
{
	assert_int_equal(pthread_join(b->x[id].t, NULL), 0);
	cgs_db_close(&b->x[id].db);
}

static void
teardown(struct bench *b)
{
	cgs_group_free(&b->g);
	cgs_db_close(&fx.peek);
	centerfix_db_remove(&b->d);
}

static int
ended(int id)
{
	return fx.body_end[id] != 0;
}

static int
began(int sync)
{
	return fx.sync_begin[sync] != 0;
}

static int
has_returned(int id)
{
	return fx.returned[id] != 0;
}

/* fx.m held: wait for ready(arg), which must come. */
static void
must(int (*ready)(int arg), int arg)
{
	assert_int_equal(wait_for(ready, arg), 0);
}

/* Did a sync begun after event `after` end before event `before`? */
static int
synced_between(int after, int before)
{
	for (int i = 1; i < SYNCS; i++)
		if (fx.sync_begin[i] > after && fx.sync_end[i] != 0 &&
		    fx.sync_end[i] < before)
			return 1;
	return 0;
}

/* Transaction 1 committed, and its sync (the first) held -- to fail
 * once let go, if fail. */
static void
held_first(struct bench *b, int fail)
{
	setup(b);
	pthread_mutex_lock(&fx.m);
	fx.hold = 1;
	fx.fail = fail ? 1 : 0;
	pthread_mutex_unlock(&fx.m);
	start(b, 1, 0);
	pthread_mutex_lock(&fx.m);
	must(began, 1);
	pthread_mutex_unlock(&fx.m);
}

/* --- the tests ------------------------------------------------------- */

/*
 * The first transaction's sync held: the second's body runs meanwhile
 * (the writer was released at the first's commit), and neither returns
 * until a sync that saw its commit ended.
 */
static void
test_writer_released(void **state)
{
	struct bench b;

	(void)state;
	held_first(&b, 0);
	start(&b, 2, 0);
	pthread_mutex_lock(&fx.m);
	must(ended, 2); /* the writer was free */
	assert_true(fx.sync_end[1] == 0);
	assert_int_equal(fx.seen_by[1], 1);
	assert_int_equal(fx.returned[1], 0); /* its sync not over */
	assert_int_equal(fx.returned[2], 0);
	fx.go = SYNCS; /* every sync from now on goes through */
	pthread_cond_broadcast(&fx.c);
	must(has_returned, 1);
	must(has_returned, 2);
	for (int id = 1; id <= 2; id++) {
		int s = fx.seen_by[id];

		assert_int_equal(fx.rc[id], 0);
		assert_true(s > 0 && fx.sync_end[s] != 0 &&
		    fx.sync_end[s] < fx.returned[id]);
	}
	assert_true(fx.seen_by[2] > 1); /* 2 committed after sync 1 began */
	pthread_mutex_unlock(&fx.m);
	join(&b, 1);
	join(&b, 2);
	teardown(&b);
}

/*
 * A discarded transaction reads a commit whose sync is held: it returns
 * only after a sync begun after its body; one discarded in the middle
 * of a batch (it read the work of the batch's first), after its batch's
 * commit and a sync that saw it.  Sessions then many at once: every
 * return follows the end of a sync that saw its commit.
 */
static void
test_discarded_waits(void **state)
{
	struct bench b;

	(void)state;
	held_first(&b, 0);
	start(&b, 2, 1); /* reads 1, committed, not synced */
	pthread_mutex_lock(&fx.m);
	must(ended, 2);
	pthread_mutex_unlock(&fx.m);
	/* a session being checked: the next batch stays open for it */
	cgs_group_coming(b.g, 1);
	start(&b, 3, 0);
	pthread_mutex_lock(&fx.m);
	must(ended, 3);
	pthread_mutex_unlock(&fx.m);
	start(&b, 4, 3); /* in 3's batch: reads 3, not committed */
	pthread_mutex_lock(&fx.m);
	must(ended, 4);
	assert_int_equal(fx.seen_by[3], 0);
	for (int id = 1; id <= 4; id++)
		assert_int_equal(fx.returned[id], 0);
	pthread_mutex_unlock(&fx.m);
	cgs_group_coming(b.g, -1);
	for (int id = 5; id <= IDS; id++) /* many at once */
		start(&b, id, id % 5 == 0 ? id - 1 : 0);
	pthread_mutex_lock(&fx.m);
	fx.go = SYNCS;
	pthread_cond_broadcast(&fx.c);
	for (int id = 1; id <= IDS; id++) {
		must(has_returned, id);
		assert_int_equal(fx.rc[id], 0);
		if (b.x[id].discard)
			assert_true(
			    synced_between(fx.body_end[id], fx.returned[id]));
		else
			assert_true(fx.seen_by[id] > 0 &&
			    fx.sync_end[fx.seen_by[id]] < fx.returned[id]);
	}
	assert_true(b.x[2].saw && b.x[4].saw);
	assert_true(fx.seen_by[1] == 1 && fx.seen_by[3] > 1);
	/* 4 saw 3's work in their batch: it waited for 3's sync too */
	assert_true(fx.sync_end[fx.seen_by[3]] < fx.returned[4]);
	pthread_mutex_unlock(&fx.m);
	for (int id = 1; id <= IDS; id++)
		join(&b, id);
	teardown(&b);
}

/*
 * Sessions that finish while a sync runs share the next commit and the
 * next sync: the first sync held and more sessions being checked
 * (cgs_group_coming), four transactions come; the four are gathered in
 * one open batch, committed when the first sync ends, and covered by
 * one sync: five transactions, two commits, two syncs.  (With nobody
 * else coming, each would commit at once and the four share the sync
 * alone.)
 */
static void
test_batch_gathered(void **state)
{
	struct bench b;
	uint64_t batches, txns, syncs;
	int calls, returned = 0, rcs = 0, seen2 = 0;

	(void)state;
	held_first(&b, 0);
	/* kept until every one returned: were it dropped while one of the
	 * four is between its body and its turn to commit, that one would
	 * commit the batch at once (nobody else coming, as designed) */
	cgs_group_coming(b.g, 1);
	for (int id = 2; id <= 5; id++)
		start(&b, id, 0);
	pthread_mutex_lock(&fx.m);
	for (int id = 2; id <= 5; id++)
		must(ended, id);
	calls = fx.calls;
	for (int id = 1; id <= 5; id++)
		returned += fx.returned[id] != 0;
	pthread_mutex_unlock(&fx.m);
	/* asserted with fx.m free: a failure must not hold up the next test */
	assert_int_equal(calls, 1); /* nothing else synced meanwhile */
	assert_int_equal(returned, 0);
	/* the batch of 2..5 open: another connection reads only 1 */
	assert_int_equal(centerfix_count(b.d.db, "SELECT COUNT(*) FROM t"), 1);
	pthread_mutex_lock(&fx.m);
	fx.go = SYNCS;
	pthread_cond_broadcast(&fx.c);
	for (int id = 1; id <= 5; id++) {
		must(has_returned, id);
		rcs += fx.rc[id] != 0;
	}
	for (int id = 2; id <= 5; id++)
		seen2 += fx.seen_by[id] == 2;
	pthread_mutex_unlock(&fx.m);
	cgs_group_coming(b.g, -1);
	assert_int_equal(rcs, 0);
	assert_int_equal(seen2, 4);
	for (int id = 1; id <= 5; id++)
		join(&b, id);
	cgs_group_counts(b.g, &batches, &txns);
	cgs_group_syncs(b.g, &syncs);
	assert_int_equal(txns, 5);
	assert_int_equal(batches, 2);
	assert_int_equal(syncs, 2);
	teardown(&b);
}

/*
 * The first sync fails: the transaction it covered fails, those that
 * committed while it ran fail too (no later sync may report them
 * durable: the kernel may have dropped pages the failed one could not
 * write), the group says it failed, and a transaction after fails at
 * once, its body never run; no sync is tried again.
 */
static void
test_sync_failed(void **state)
{
	struct bench b;
	int64_t rows;

	(void)state;
	held_first(&b, 1);
	start(&b, 2, 0);
	start(&b, 3, 1);
	pthread_mutex_lock(&fx.m);
	must(ended, 2);
	must(ended, 3);
	fx.go = SYNCS;
	pthread_cond_broadcast(&fx.c);
	for (int id = 1; id <= 3; id++) {
		must(has_returned, id);
		assert_int_equal(fx.rc[id], PROTO_ERR_IO);
	}
	pthread_mutex_unlock(&fx.m);
	assert_int_equal(cgs_group_failed(b.g), PROTO_ERR_IO);
	start(&b, 4, 0);
	join(&b, 4);
	assert_int_equal(fx.rc[4], PROTO_ERR_IO);
	assert_int_equal(fx.body_end[4], 0);
	assert_int_equal(fx.calls, 1);
	/* committed, perhaps: only never acknowledged */
	rows = centerfix_count(b.d.db, "SELECT COUNT(*) FROM t");
	assert_true(rows >= 0 && rows <= 2);
	for (int id = 1; id <= 3; id++)
		join(&b, id);
	teardown(&b);
}

int
main(void)
{
	const char *pg = getenv("PTV_TEST_PG");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_released),
		cmocka_unit_test(test_discarded_waits),
		cmocka_unit_test(test_batch_gathered),
		cmocka_unit_test(test_sync_failed),
	};

	if (pg != NULL && *pg != '\0')
		return 0; /* SQLite's alone */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
