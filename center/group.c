/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "group.h"
#include "store.h"

/* A transaction waiting for its batch to be committed. */
struct waiter {
	int done, rc;
	struct waiter *next;
};

struct cgs_group {
	struct cgs_db *w; /* the writer: used by the thread holding it */
	pthread_mutex_t lock;
	pthread_cond_t turn;    /* the writer was handed on */
	pthread_cond_t durable; /* a batch was committed or failed */
	/* under lock */
	unsigned cores;  /* sessions at once that batches never wait for */
	int held;        /* a thread holds the writer */
	int open;        /* the batch's transaction began */
	unsigned queued; /* threads waiting for the writer */
	unsigned coming; /* threads checking a session, the writer next */
	unsigned n;      /* transactions in the open batch */
	struct timespec until; /* the open batch waits for others this long */
	struct waiter *in;     /* theirs */
	uint64_t batches, txns;
};

static unsigned
cores_online(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 && n < 4096 ? (unsigned)n : 1;
}

int
cgs_group_new(const char *target, struct cgs_group **out)
{
	struct cgs_group *g;
	int rc;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = cgs_db_open(target, &g->w)) != 0) {
		free(g);
		return rc;
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->turn, NULL);
	pthread_cond_init(&g->durable, NULL);
	g->cores = cores_online();
	*out = g;
	return 0;
}

void
cgs_group_free(struct cgs_group **gp)
{
	struct cgs_group *g;

	if (gp == NULL || (g = *gp) == NULL)
		return;
	cgs_db_close(&g->w);
	pthread_cond_destroy(&g->durable);
	pthread_cond_destroy(&g->turn);
	pthread_mutex_destroy(&g->lock);
	free(g);
	*gp = NULL;
}

void
cgs_group_join(struct cgs_group *g, struct cgs_db *db)
{
	db->group = g;
}

void
cgs_group_cores(struct cgs_group *g, unsigned cores)
{
	pthread_mutex_lock(&g->lock);
	g->cores = cores;
	pthread_mutex_unlock(&g->lock);
}

void
cgs_group_coming(struct cgs_group *g, int delta)
{
	pthread_mutex_lock(&g->lock);
	if (delta > 0)
		g->coming++;
	else if (g->coming > 0)
		g->coming--;
	pthread_mutex_unlock(&g->lock);
}

void
cgs_group_counts(struct cgs_group *g, uint64_t *batches, uint64_t *txns)
{
	pthread_mutex_lock(&g->lock);
	*batches = g->batches;
	*txns = g->txns;
	pthread_mutex_unlock(&g->lock);
}

/* Wait for the writer and hold it; the batch's transaction begun. */
static int
hold(struct cgs_group *g)
{
	int rc = 0;

	g->queued++;
	while (g->held)
		pthread_cond_wait(&g->turn, &g->lock);
	g->queued--;
	g->held = 1;
	if (!g->open) {
		pthread_mutex_unlock(&g->lock);
		rc = cgs_db_begin(g->w);
		pthread_mutex_lock(&g->lock);
		g->open = rc == 0;
	}
	return rc;
}

/* Commit the open batch (the writer held) and tell its transactions. */
static void
commit(struct cgs_group *g)
{
	struct waiter *list = g->in, *next;
	unsigned n = g->n;
	int rc = 0;

	g->in = NULL;
	g->n = 0;
	if (g->open) {
		pthread_mutex_unlock(&g->lock);
		if ((rc = cgs_db_commit(g->w)) != 0)
			cgs_db_rollback(g->w);
		pthread_mutex_lock(&g->lock);
		g->open = 0;
	}
	if (rc == 0 && n > 0) {
		g->batches++;
		g->txns += n;
	}
	for (; list != NULL; list = next) {
		next = list->next;
		list->rc = rc;
		list->done = 1;
	}
	pthread_cond_broadcast(&g->durable);
}

/*
 * One transaction in the open batch: its savepoint released, or rolled
 * back to on failure; *broken if even that failed (the batch must end).
 * The batch's first needs no savepoint: if it fails, the batch's
 * transaction, which holds nothing else, is rolled back (*broken: the
 * batch ends empty).
 */
static int
run_body(struct cgs_group *g, int (*body)(struct cgs_db *db, void *arg),
    void *arg, int first, int *broken)
{
	int rc;

	if (first) {
		if ((rc = body(g->w, arg)) != 0) {
			cgs_db_rollback(g->w);
			*broken = 1;
		}
		return rc;
	}
	if ((rc = cgs_db_exec(g->w, "SAVEPOINT session")) != 0) {
		*broken = 1;
		return rc;
	}
	if ((rc = body(g->w, arg)) == 0)
		return cgs_db_exec(g->w, "RELEASE session");
	*broken = cgs_db_exec(g->w, "ROLLBACK TO session") != 0 ||
	    cgs_db_exec(g->w, "RELEASE session") != 0;
	return rc;
}

static int
passed(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec > t->tv_sec ||
	    (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* The open batch's wait for the sessions coming starts now. */
static void
wait_from_now(struct cgs_group *g)
{
	clock_gettime(CLOCK_REALTIME, &g->until);
	g->until.tv_nsec += CGS_GROUP_WAIT_US * 1000L;
	if (g->until.tv_nsec >= 1000000000L) {
		g->until.tv_sec++;
		g->until.tv_nsec -= 1000000000L;
	}
}

/*
 * Commit the open batch now?  Not while others wait for the writer
 * (the last of a burst commits it), nor while sessions are still being
 * checked on other threads and the batch has waited less than
 * CGS_GROUP_WAIT_US for them: they would need an fsync of their own.
 * Batching pays only while there are more sessions than cores, though:
 * with a core for each, a batch's threads wait idle, and are released
 * together to check their next sessions together and meet again at the
 * writer, in lockstep (2 threads on 2 cores: both checking, then both
 * waiting for the writer).  Each committing alone, they fall out of
 * step: one checks while the other is at the writer.
 */
static int
commit_now(const struct cgs_group *g, int broken)
{
	if (broken || g->n >= CGS_GROUP_MAX ||
	    g->coming + g->queued + g->n <= g->cores)
		return 1;
	if (g->queued > 0)
		return 0;
	return g->coming == 0 || g->n == 0 || passed(&g->until);
}

int
cgs_group_txn(struct cgs_group *g, int (*body)(struct cgs_db *db, void *arg),
    void *arg)
{
	struct waiter me = { 0 };
	int rc, first, broken = 0;

	pthread_mutex_lock(&g->lock);
	if ((rc = hold(g)) == 0) {
		first = g->n == 0;
		pthread_mutex_unlock(&g->lock);
		rc = run_body(g, body, arg, first, &broken);
		pthread_mutex_lock(&g->lock);
		if (first && broken)
			g->open = 0; /* rolled back */
	}
	if (rc == 0) {
		me.next = g->in;
		g->in = &me;
		if (g->n++ == 0)
			wait_from_now(g);
	}
	if (commit_now(g, broken))
		commit(g);
	g->held = 0;
	pthread_cond_signal(&g->turn);
	while (rc == 0 && !me.done) {
		/* a batch left open for the sessions coming: whoever finds
		 * its wait over and the writer free commits it */
		if (g->open && !g->held && passed(&g->until)) {
			g->held = 1;
			commit(g);
			g->held = 0;
			pthread_cond_signal(&g->turn);
			continue;
		}
		/* the writer held: its holder commits or hands it on */
		if (g->open && !g->held)
			(void)pthread_cond_timedwait(&g->durable, &g->lock,
			    &g->until);
		else
			pthread_cond_wait(&g->durable, &g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	if (rc == CGS_DB_DISCARD)
		return 0;
	return rc != 0 ? rc : me.rc;
}
