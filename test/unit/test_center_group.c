/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * Group commit on SQLite (center/group.h): transactions of several
 * threads, each on its own connection joined to one group, share
 * commits; one that fails is rolled back alone and the others of its
 * batch are kept; every cgs_db_txn returns only once its own rows are
 * committed (another connection reads them at once) and a sync of
 * the WAL begun after (test_center_durable.c shows that order).
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "centerfix.c"
#include "../../center/group.h"
#include "../../proto/proto.h"

#define THREADS 8
#define TXNS 25 /* per thread; every fourth one fails */

struct worker {
	struct centerfix_db *d;
	struct cgs_group *g;
	int id, failed_reads;
};

struct one {
	int id, n;
};

/* A flag row naming (thread, n); the fourth of each thread fails after
 * writing it. */
static int
body(struct cgs_db *db, void *arg)
{
	const struct one *o = arg;
	struct cgs_stamp at = { .session_id = o->id, .now = o->n };
	uint8_t ua[PROTO_UA_LEN] = { 0x11 };
	char what[32];
	int rc;

	/* a session's work on the writer: the others queue meanwhile */
	struct timespec ms = { 0, 1000000 };

	snprintf(what, sizeof(what), "t%d n%d", o->id, o->n);
	if ((rc = cgs_db_flag(db, &at, ua, what)) != 0)
		return rc;
	(void)nanosleep(&ms, NULL);
	return o->n % 4 == 3 ? PROTO_ERR_IO : 0;
}

/* Is the flag of (id, n) there, read on connection db? */
static int
has_flag(struct cgs_db *db, int id, int n)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "SELECT 1 FROM flags WHERE session_id = ?1 AND at = ?2");
	int found = 0;

	if (st == NULL)
		return -1;
	cgs_bind_i64(st, 1, id);
	cgs_bind_i64(st, 2, n);
	if (cgs_step_exists(st, &found) != 0)
		return -1;
	return found;
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct cgs_db *db = NULL, *reader = NULL;

	if (cgs_db_open(w->d->path, &db) != 0 ||
	    cgs_db_open(w->d->path, &reader) != 0) {
		w->failed_reads = -1;
		goto out;
	}
	cgs_group_join(w->g, db);
	for (int n = 0; n < TXNS; n++) {
		struct one o = { .id = w->id, .n = n };
		int rc = cgs_db_txn(db, body, &o);

		/* returned: durable, so another connection sees it now */
		if ((rc == 0) != (n % 4 != 3) ||
		    has_flag(reader, w->id, n) != (rc == 0))
			w->failed_reads++;
	}
out:
	cgs_db_close(&reader);
	cgs_db_close(&db);
	return NULL;
}

/* threads threads' transactions in one group: every fourth fails; the
 * others' rows are kept; *batches committed, *syncs of the WAL. */
static void
run_group(int threads, uint64_t *batches, uint64_t *syncs)
{
	struct centerfix_db d;
	struct cgs_group *g = NULL;
	struct worker w[THREADS];
	pthread_t t[THREADS];
	uint64_t txns;

	assert_int_equal(centerfix_db_open(&d), 0);
	assert_int_equal(cgs_group_new(d.path, &g), 0);
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){ .d = &d, .g = g, .id = i + 1 };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < threads; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].failed_reads, 0);
	}
	/* every fourth transaction failed, and only its row is missing */
	assert_int_equal(centerfix_count(d.db, "SELECT COUNT(*) FROM flags"),
	    threads * (TXNS - TXNS / 4));
	assert_int_equal(centerfix_count(d.db,
			     "SELECT COUNT(*) FROM flags WHERE at % 4 = 3"),
	    0);
	cgs_group_counts(g, batches, &txns);
	cgs_group_syncs(g, syncs);
	assert_int_equal(txns, threads * (TXNS - TXNS / 4));
	print_message("# %d threads: %llu transactions in %llu commits, "
		      "%llu syncs\n",
	    threads, (unsigned long long)txns, (unsigned long long)*batches,
	    (unsigned long long)*syncs);
	cgs_group_free(&g);
	centerfix_db_remove(&d);
}

/* Sessions at once: every one answered after its own commit and sync,
 * the failed ones rolled back alone.  How many shared a commit depends
 * on the scheduler (under a sanitizer, on a loaded machine, each may
 * come alone), so only the bounds hold here: no more commits than
 * transactions kept, no more syncs than commits and failed ones (each
 * waits for a sync of its own).  test_center_durable.c's
 * test_batch_gathered shows the sharing, deterministically. */
static void
test_group_commit(void **state)
{
	uint64_t batches, syncs;

	(void)state;
	run_group(THREADS, &batches, &syncs);
	assert_true(batches >= 1 && batches <= THREADS * (TXNS - TXNS / 4));
	assert_true(syncs >= 1 && syncs <= batches + THREADS * (TXNS / 4));
}

/* One session at a time: each commits at once, alone (no sync under
 * way: the writer would idle), and waits for a sync of its own -- the
 * failed ones too, which read the database. */
static void
test_group_alone(void **state)
{
	uint64_t batches, syncs;

	(void)state;
	run_group(1, &batches, &syncs);
	assert_int_equal(batches, TXNS - TXNS / 4);
	assert_int_equal(syncs, TXNS);
}

/* --- the checkpointer ------------------------------------------------ */

#define PAGES 30       /* rows of a page each, rewritten by a transaction */
#define WAL_BOUND 8000 /* frames: twice CGS_WAL_FRAMES */
#define FRAME 4120     /* a page of 4096 bytes and its header */

struct writer {
	struct cgs_group *g;
	const char *path;
	int id, txns, rc;
	int ack; /* a pipe: each transaction's number once it returned */
};

/* A transaction of writer w: PAGES rows of its own rewritten (as many
 * pages of the WAL), and its number logged in PAGES rows. */
static int
rewrite(struct cgs_db *db, void *arg)
{
	const struct one *o = arg;
	struct cgs_stmt *st = cgs_stmt(db,
	    "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s "
	    "WHERE x < ?2) INSERT INTO pages (k, v) SELECT ?1 * 1000 + x, "
	    "randomblob(3000) FROM s WHERE true "
	    "ON CONFLICT (k) DO UPDATE SET v = excluded.v");
	struct cgs_stmt *lg = cgs_stmt(db,
	    "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s "
	    "WHERE x < ?2) INSERT INTO log (txn, i) SELECT ?1, x FROM s");
	int rc;

	if (st == NULL || lg == NULL)
		return PROTO_ERR_IO;
	cgs_bind_i64(st, 1, o->id);
	cgs_bind_i64(st, 2, PAGES);
	if ((rc = cgs_step_done(st)) != 0)
		return rc;
	cgs_bind_i64(lg, 1, (int64_t)o->id * 1000000 + o->n);
	cgs_bind_i64(lg, 2, PAGES);
	return cgs_step_done(lg);
}

static void *
write_work(void *arg)
{
	struct writer *w = arg;
	struct cgs_db *db = NULL;

	if ((w->rc = cgs_db_open(w->path, &db)) != 0)
		return NULL;
	cgs_group_join(w->g, db);
	for (int n = 0; w->txns < 0 || n < w->txns; n++) {
		struct one o = { .id = w->id, .n = n };
		int64_t txn = (int64_t)o.id * 1000000 + n;

		if ((w->rc = cgs_db_txn(db, rewrite, &o)) != 0)
			break;
		if (w->ack >= 0 &&
		    write(w->ack, &txn, sizeof(txn)) != (ssize_t)sizeof(txn))
			break;
	}
	cgs_db_close(&db);
	return NULL;
}

static void
make_tables(struct cgs_db *db)
{
	assert_int_equal(cgs_db_exec(db,
			     "CREATE TABLE IF NOT EXISTS pages ("
			     " k INTEGER PRIMARY KEY, v BLOB NOT NULL);"
			     "CREATE TABLE IF NOT EXISTS log ("
			     " txn INTEGER NOT NULL, i INTEGER NOT NULL,"
			     " PRIMARY KEY (txn, i))"),
	    0);
}

/* n writers in one group on path, numbered from first; txns each (< 0:
 * until killed). */
static int
run_writers(const char *path, int first, int n, int txns, int ack,
    uint64_t *passive, uint64_t *restarts)
{
	struct cgs_group *g = NULL;
	struct writer w[4];
	pthread_t t[4];
	int rc = 0;

	if (cgs_group_new(path, &g) != 0)
		return -1;
	for (int i = 0; i < n; i++) {
		w[i] = (struct writer){ .g = g,
			.path = path,
			.id = first + i,
			.txns = txns,
			.ack = ack };
		if (pthread_create(&t[i], NULL, write_work, &w[i]) != 0)
			return -1;
	}
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		rc |= w[i].rc;
	}
	cgs_group_checkpoints(g, passive, restarts);
	cgs_group_free(&g);
	return rc;
}

/* The frames the WAL's file has room for. */
static long long
wal_frames(const char *path)
{
	char p[160];
	struct stat st;

	snprintf(p, sizeof(p), "%s-wal", path);
	return stat(p, &st) == 0 ? (long long)st.st_size / FRAME : 0;
}

/* Sessions writing far more than the WAL's bound: checkpointed beside
 * them and begun again, the WAL stays within it; every row is there. */
static void
test_checkpointer(void **state)
{
	struct centerfix_db d;
	uint64_t passive = 0, restarts = 0;
	struct cgs_db *reader = NULL;
	long long wal;

	(void)state;
	assert_int_equal(centerfix_db_open(&d), 0);
	make_tables(d.db);
	/* a reader kept open, as the pool's connections are */
	assert_int_equal(cgs_db_open(d.path, &reader), 0);
	assert_int_equal(run_writers(d.path, 1, 4, 200, -1, &passive,
			     &restarts),
	    0);
	wal = wal_frames(d.path);
	print_message("# %d frames written, WAL %lld frames; %llu passive, "
		      "%llu restarts\n",
	    4 * 200 * PAGES, wal, (unsigned long long)passive,
	    (unsigned long long)restarts);
	/* 24,000 frames written: without checkpoints the WAL holds them */
	assert_true(passive > 0);
	assert_true(restarts + passive >= 4);
	assert_true(wal < WAL_BOUND);
	assert_int_equal(centerfix_count(reader, "SELECT COUNT(*) FROM log"),
	    4 * 200 * PAGES);
	assert_int_equal(centerfix_count(reader, "SELECT COUNT(*) FROM pages"),
	    4 * PAGES);
	cgs_db_close(&reader);
	centerfix_db_remove(&d);
}

/*
 * A reader holding one snapshot through many sessions: the WAL grows
 * past its bound meanwhile (a checkpoint cannot begin it again); once
 * the reader's transaction ends, the next RESTART begins it again and
 * its file is cut back (journal_size_limit), instead of keeping the
 * size it reached for good.
 */
static void
test_checkpointer_reader(void **state)
{
	struct centerfix_db d;
	uint64_t passive = 0, restarts = 0;
	struct cgs_db *reader = NULL;
	long long grown, after;

	(void)state;
	assert_int_equal(centerfix_db_open(&d), 0);
	make_tables(d.db);
	assert_int_equal(cgs_db_open(d.path, &reader), 0);
	assert_int_equal(cgs_db_exec(reader, "BEGIN"), 0);
	assert_int_equal(centerfix_count(reader, "SELECT COUNT(*) FROM log"),
	    0);
	assert_int_equal(run_writers(d.path, 1, 4, 200, -1, &passive,
			     &restarts),
	    0);
	grown = wal_frames(d.path);
	assert_true(
	    grown > WAL_BOUND); /* held: the WAL could not begin again */
	assert_int_equal(centerfix_count(reader, "SELECT COUNT(*) FROM log"),
	    0); /* the reader's snapshot, still */
	assert_int_equal(cgs_db_exec(reader, "COMMIT"), 0);
	assert_int_equal(run_writers(d.path, 5, 4, 200, -1, &passive,
			     &restarts),
	    0);
	after = wal_frames(d.path);
	print_message("# WAL %lld frames while a reader held it, %lld after; "
		      "%llu restarts\n",
	    grown, after, (unsigned long long)restarts);
	assert_true(restarts > 0);
	assert_true(after <= 33554432 / FRAME + WAL_BOUND);
	assert_true(after < grown);
	assert_int_equal(centerfix_count(reader, "SELECT COUNT(*) FROM log"),
	    8 * 200 * PAGES);
	cgs_db_close(&reader);
	centerfix_db_remove(&d);
}

/* The transactions the pipe acknowledged, appended to acked[*n...]. */
static void
drain(int fd, int64_t *acked, size_t max, size_t *n)
{
	int64_t v;

	while (*n < max && read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		acked[(*n)++] = v;
}

/* The rows sql (one parameter, ?1 = v) counts. */
static int64_t
count_of(struct cgs_db *db, const char *sql, int64_t v)
{
	struct cgs_stmt *st = cgs_stmt_new(db, sql);
	int64_t c = -1;

	assert_non_null(st);
	cgs_bind_i64(st, 1, v);
	if (cgs_step(st) == 1)
		c = cgs_col_i64(st, 0);
	cgs_stmt_free(&st);
	return c;
}

#define ROUNDS 6
#define ACKS 100000

/*
 * Killed -9 at any instant -- in a commit, a PASSIVE checkpoint, a
 * RESTART -- the database opens whole (integrity_check), with every
 * transaction acknowledged and each one whole or absent.
 */
static void
test_checkpointer_killed(void **state)
{
	static int64_t acked[ACKS];
	struct centerfix_db d;
	size_t n = 0, before;
	uint8_t r;

	(void)state;
	assert_int_equal(centerfix_db_open(&d), 0);
	make_tables(d.db);
	cgs_db_close(&d.db);
	for (int round = 0; round < ROUNDS; round++) {
		struct timespec ts = { 0, 0 };
		int fd[2], status;
		pid_t pid;

		assert_int_equal(pipe(fd), 0);
		assert_true((pid = fork()) >= 0);
		if (pid == 0) {
			uint64_t p, rs;

			close(fd[0]);
			_exit(run_writers(d.path, 1 + 2 * round, 2, -1, fd[1],
				  &p, &rs) != 0);
		}
		close(fd[1]);
		assert_int_equal(proto_random(&r, 1), 0);
		ts.tv_nsec = 200000000L + 3000000L * r; /* 0.2 to 0.97 s */
		(void)nanosleep(&ts, NULL);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		before = n;
		drain(fd[0], acked, ACKS, &n);
		close(fd[0]);
		assert_int_equal(cgs_db_open(d.path, &d.db), 0);
		assert_int_equal(centerfix_count(d.db,
				     "SELECT COUNT(*) FROM "
				     "pragma_integrity_check "
				     "WHERE integrity_check <> 'ok'"),
		    0);
		/* each transaction whole or absent; the acknowledged
		 * there */
		assert_int_equal(count_of(d.db,
				     "SELECT COUNT(*) FROM (SELECT txn FROM "
				     "log "
				     "GROUP BY txn HAVING COUNT(*) <> ?1)",
				     PAGES),
		    0);
		for (size_t i = before; i < n; i++)
			assert_int_equal(count_of(d.db,
					     "SELECT COUNT(*) FROM log "
					     "WHERE txn = ?1",
					     acked[i]),
			    PAGES);
		print_message("# round %d: killed after %ld ms, %zu "
			      "acknowledged, WAL %lld frames\n",
		    round, ts.tv_nsec / 1000000, n - before,
		    wal_frames(d.path));
		assert_true(n > before);
		cgs_db_close(&d.db);
	}
	assert_int_equal(cgs_db_open(d.path, &d.db), 0);
	centerfix_db_remove(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_commit),
		cmocka_unit_test(test_group_alone),
		cmocka_unit_test(test_checkpointer),
		cmocka_unit_test(test_checkpointer_reader),
		cmocka_unit_test(test_checkpointer_killed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
