/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * Group commit on SQLite (center/group.h): transactions of several
 * threads, each on its own connection joined to one group, share
 * commits; one that fails is rolled back alone and the others of its
 * batch are kept; every cgs_db_txn returns only once its own rows are
 * committed (another connection reads them at once); with a core for
 * each session, none waits for another's.
 */
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

/* THREADS threads' transactions in one group, as if on cores: every
 * fourth fails; the others' rows are kept; *batches committed. */
static void
run_group(unsigned cores, uint64_t *batches)
{
	struct centerfix_db d;
	struct cgs_group *g = NULL;
	struct worker w[THREADS];
	pthread_t t[THREADS];
	uint64_t txns;

	assert_int_equal(centerfix_db_open(&d), 0);
	assert_int_equal(cgs_group_new(d.path, &g), 0);
	cgs_group_cores(g, cores);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .d = &d, .g = g, .id = i + 1 };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].failed_reads, 0);
	}
	/* every fourth transaction failed, and only its row is missing */
	assert_int_equal(centerfix_count(d.db, "SELECT COUNT(*) FROM flags"),
	    THREADS * (TXNS - TXNS / 4));
	assert_int_equal(centerfix_count(d.db,
			     "SELECT COUNT(*) FROM flags WHERE at % 4 = 3"),
	    0);
	cgs_group_counts(g, batches, &txns);
	assert_int_equal(txns, THREADS * (TXNS - TXNS / 4));
	print_message("# %u cores: %llu transactions in %llu commits\n", cores,
	    (unsigned long long)txns, (unsigned long long)*batches);
	cgs_group_free(&g);
	centerfix_db_remove(&d);
}

/* More sessions than cores: the transactions that finished together
 * (waiting for the writer) shared commits. */
static void
test_group_commit(void **state)
{
	uint64_t batches;

	(void)state;
	run_group(1, &batches);
	assert_true(batches < THREADS * (TXNS - TXNS / 4));
}

/* A core for every session: each commits at once, alone (a batch would
 * idle the cores of its threads). */
static void
test_group_cores(void **state)
{
	uint64_t batches;

	(void)state;
	run_group(THREADS, &batches);
	assert_int_equal(batches, THREADS * (TXNS - TXNS / 4));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_commit),
		cmocka_unit_test(test_group_cores),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
