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

/*
 * The checkpointer: the writer checkpoints no more in its commits (SQLite
 * did every 1,000 pages, copying them into the database file and syncing
 * it while the sessions waited); a thread of the group does, on its own
 * connection, PASSIVE every CGS_CKPT_FRAMES new frames of the WAL,
 * beside the writer, which goes on.  A WAL fully copied is begun again
 * from its start by the next writer -- unless the writer never paused
 * while the copy ran; past CGS_WAL_FRAMES the checkpointer, after its
 * PASSIVE, takes the writer's turn between two batches for a RESTART
 * (copying what came in meanwhile, waiting at most CGS_CKPT_WAIT_MS for
 * readers), so the WAL stays bounded.  Durability
 * is the commits' own (synchronous=FULL: each syncs the WAL); a
 * checkpoint syncs the WAL before it copies and the database after.
 */
#define CGS_CKPT_FRAMES 1000
#define CGS_WAL_FRAMES 4000

/* A transaction waiting for its batch to be committed. */
struct waiter {
	int done, rc;
	struct waiter *next;
};

struct cgs_group {
	struct cgs_db *w;  /* the writer: used by the thread holding it */
	struct cgs_db *ck; /* the checkpointer's, used by its thread */
	pthread_t ck_thread;
	pthread_mutex_t lock;
	pthread_cond_t turn;    /* the writer was handed on */
	pthread_cond_t durable; /* a batch was committed or failed */
	pthread_cond_t wal;     /* the WAL grew, or the checkpointer stops */
	/* under lock */
	int ck_stop; /* the checkpointer ends */
	int ck_turn; /* it waits for the writer, or holds it */
	int frames;  /* in the WAL at the last commit */
	int ck_at;   /* in the WAL when the last checkpoint began */
	int ck_held; /* a RESTART was refused by a reader (said) */
	uint64_t passive, restarts;
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

static void *checkpointer(void *arg);

/* After each commit of the writer's (in it, the lock not held). */
static void
wal_grew(void *arg, int frames)
{
	struct cgs_group *g = arg;

	pthread_mutex_lock(&g->lock);
	if (frames < g->frames)
		g->ck_at = 0; /* the WAL began again */
	g->frames = frames;
	if (frames - g->ck_at >= CGS_CKPT_FRAMES)
		pthread_cond_signal(&g->wal);
	pthread_mutex_unlock(&g->lock);
}

/* Its connections closed, and g freed (no thread of its left). */
static void
destroy(struct cgs_group *g)
{
	cgs_db_close(&g->ck);
	cgs_db_close(&g->w);
	pthread_cond_destroy(&g->wal);
	pthread_cond_destroy(&g->durable);
	pthread_cond_destroy(&g->turn);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

int
cgs_group_new(const char *target, struct cgs_group **out)
{
	struct cgs_group *g;
	int rc;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return PROTO_ERR_NOMEM;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->turn, NULL);
	pthread_cond_init(&g->durable, NULL);
	pthread_cond_init(&g->wal, NULL);
	g->cores = cores_online();
	if ((rc = cgs_db_open(target, &g->w)) != 0 ||
	    (rc = cgs_db_open(target, &g->ck)) != 0)
		goto out;
	if (g->w->e->wal_watch == NULL) {
		rc = PROTO_ERR_ARG; /* SQLite's alone */
		goto out;
	}
	if ((rc = g->w->e->wal_watch(g->w, wal_grew, g)) != 0)
		goto out;
	if (pthread_create(&g->ck_thread, NULL, checkpointer, g) != 0) {
		rc = PROTO_ERR_NOMEM;
		goto out;
	}
	*out = g;
	return 0;
out:
	destroy(g);
	return rc;
}

void
cgs_group_free(struct cgs_group **gp)
{
	struct cgs_group *g;

	if (gp == NULL || (g = *gp) == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	g->ck_stop = 1;
	pthread_cond_signal(&g->wal);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->ck_thread, NULL);
	destroy(g);
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

void
cgs_group_checkpoints(struct cgs_group *g, uint64_t *passive,
    uint64_t *restarts)
{
	pthread_mutex_lock(&g->lock);
	*passive = g->passive;
	*restarts = g->restarts;
	pthread_mutex_unlock(&g->lock);
}

/* The writer handed on: to the checkpointer if it waits for it. */
static void
release(struct cgs_group *g)
{
	g->held = 0;
	if (g->ck_turn)
		pthread_cond_broadcast(&g->turn);
	else
		pthread_cond_signal(&g->turn);
}

/* Wait for the writer and hold it; the batch's transaction begun. */
static int
hold(struct cgs_group *g)
{
	int rc = 0;

	g->queued++;
	while (g->held || g->ck_turn)
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
	if (broken || g->n >= CGS_GROUP_MAX || g->ck_turn ||
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
	release(g);
	while (rc == 0 && !me.done) {
		/* a batch left open for the sessions coming: whoever finds
		 * its wait over (or the checkpointer waiting) and the writer
		 * free commits it */
		if (g->open && !g->held && (g->ck_turn || passed(&g->until))) {
			g->held = 1;
			commit(g);
			release(g);
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

/*
 * A RESTART checkpoint, the writer held between two batches (the lock
 * held; the sessions meanwhile wait at hold, as for a batch).
 */
static int
restart(struct cgs_group *g, int *frames, int *done)
{
	int rc;

	g->ck_turn = 1;
	pthread_cond_broadcast(&g->durable); /* an open batch: commit it */
	while (g->held || g->open)
		pthread_cond_wait(&g->turn, &g->lock);
	g->held = 1;
	pthread_mutex_unlock(&g->lock);
	rc = g->ck->e->checkpoint(g->ck, CGS_CKPT_RESTART, frames, done);
	pthread_mutex_lock(&g->lock);
	g->ck_turn = 0;
	g->held = 0;
	pthread_cond_broadcast(&g->turn); /* the sessions that queued */
	return rc;
}

/* The checkpointer's thread: woken after commits (wal_grew). */
static void *
checkpointer(void *arg)
{
	struct cgs_group *g = arg;
	int frames, done, full, rc;

	pthread_mutex_lock(&g->lock);
	while (!g->ck_stop) {
		if (g->frames - g->ck_at < CGS_CKPT_FRAMES) {
			pthread_cond_wait(&g->wal, &g->lock);
			continue;
		}
		g->ck_at = g->frames;
		full = g->frames >= CGS_WAL_FRAMES;
		pthread_mutex_unlock(&g->lock);
		rc = g->ck->e->checkpoint(g->ck, CGS_CKPT_PASSIVE, &frames,
		    &done);
		pthread_mutex_lock(&g->lock);
		if (rc == 0)
			g->passive++;
		/* the RESTART then has little left to copy while it holds
		 * the writer: what came in during the PASSIVE */
		if (full && (rc == 0 || rc == PROTO_ERR_STATE) &&
		    (rc = restart(g, &frames, &done)) == 0) {
			if (g->ck_held)
				proto_log(PROTO_LOG_NOTICE,
				    "%s: the WAL begins again (%d frames "
				    "copied): no reader holds it any more",
				    __func__, done);
			g->ck_held = 0;
			g->restarts++;
		} else if (full && rc == PROTO_ERR_STATE && !g->ck_held) {
			/* said once, until a RESTART goes through */
			g->ck_held = 1;
			proto_log(PROTO_LOG_NOTICE,
			    "%s: a reader holds the WAL (%d frames, of which "
			    "%d copied): it grows until that reader's "
			    "transaction ends",
			    __func__, frames, done);
		}
		/* busy (a reader, another process's writer), or failed
		 * (logged): again after as many frames more */
		if (rc != 0 && rc != PROTO_ERR_STATE)
			proto_log(PROTO_LOG_WARNING,
			    "%s: checkpoint failed: %s (the WAL grows)",
			    __func__, proto_strerror(rc));
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}
