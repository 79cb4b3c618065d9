/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The commit group (group.h): batches on one writer, and their
 * durability beside it.
 *
 * The writer commits with synchronous=NORMAL: a batch's COMMIT writes
 * its frames into the WAL's file (store_wal.c sends them out at the
 * commit frame) and syncs nothing, so the writer is handed on to the
 * next batch at once.  The group then makes commits durable itself, as
 * PostgreSQL's XLogFlush does after its WAL insert: one fdatasync of the
 * WAL at a time, made by a leader among the waiters -- the first who
 * finds its own commit not covered yet and no sync under way -- and
 * covering every batch whose COMMIT returned before it began; the
 * waiters it covers are answered when it ends.  While a sync is under
 * way the next batch stays open (its sessions would wait for the next
 * sync anyway) and gathers the sessions that come meanwhile; it is
 * committed when that sync ends, by one of its own waiters, who then
 * leads the next.  (SQLite documents WAL with NORMAL as consistent after
 * a power loss: a commit not synced is lost whole, never torn.)
 *
 * The descriptor synced is the group's own, opened on the WAL by its
 * path once the writer has the WAL open, and kept until the group is
 * freed: never the VFS's (the writer's thread uses it, and its buffer,
 * at the same time), and the same file, since SQLite deletes the WAL
 * only when the last connection closes and the writer stays open.
 * Kept, not opened anew for each sync: Linux reports a write-back error
 * to each descriptor that was open when it happened, once -- one opened
 * afterwards could sync "successfully" over lost pages.  SQLite takes no
 * lock on the WAL file (its locks are on the database file and the
 * -shm), so closing ours releases none of its POSIX locks.
 *
 * A failed fdatasync is fatal for the group, as PostgreSQL learned
 * ("fsyncgate", 2018): the kernel may have dropped the pages it could
 * not write and marked them clean, so a later fdatasync that succeeds
 * proves nothing about them.  The batches it covered are failed (never
 * acknowledged), no later one is reported durable, every transaction
 * from then on fails at once, and cgs_group_failed says so: centerd
 * stops and exits non-zero, and its next start recovers from what the
 * WAL's file really holds (SQLite's recovery discards the frames whose
 * checksums do not follow).
 *
 * Other processes on the same file (centerctl; a second centerd):
 * fdatasync is per file, so ours also covers frames they wrote before
 * it began; their own commits keep their own rule (centerctl's
 * connections synchronous=FULL: durable before visible; another
 * centerd's group its own syncs).  A transaction here that read a
 * commit of theirs not yet synced waits, like every one, for a sync of
 * ours begun after its body ran, which covers it.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "group.h"
#include "group_impl.h"
#include "store.h"
#include "store_wal.h"

/* Its connections closed, and g freed (no thread of its left). */
static void
destroy(struct cgs_group *g)
{
	if (g->wal_fd >= 0)
		close(g->wal_fd);
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
	g->wal_fd = -1;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->turn, NULL);
	pthread_cond_init(&g->durable, NULL);
	pthread_cond_init(&g->wal, NULL);
	if ((rc = cgs_db_open(target, &g->w)) != 0 ||
	    (rc = cgs_db_open(target, &g->ck)) != 0)
		goto out;
	if (g->w->e->wal_watch == NULL || g->w->e->wal_fd == NULL) {
		rc = PROTO_ERR_ARG; /* SQLite's alone */
		goto out;
	}
	/* the WAL is open (cgs_db_open read the schema's version) */
	if ((rc = cgs_db_exec(g->w, "PRAGMA synchronous=NORMAL")) != 0 ||
	    (rc = g->w->e->wal_fd(g->w, &g->wal_fd)) != 0 ||
	    (rc = g->w->e->wal_watch(g->w, cgs_group_wal_grew, g)) != 0)
		goto out;
	if (pthread_create(&g->ck_thread, NULL, cgs_group_checkpointer, g) !=
	    0) {
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
cgs_group_syncs(struct cgs_group *g, uint64_t *syncs)
{
	pthread_mutex_lock(&g->lock);
	*syncs = g->sync_done;
	pthread_mutex_unlock(&g->lock);
}

int
cgs_group_failed(struct cgs_group *g)
{
	int failed;

	pthread_mutex_lock(&g->lock);
	failed = g->sync_err != 0;
	pthread_mutex_unlock(&g->lock);
	return failed ? PROTO_ERR_IO : 0;
}

void
cgs_group_release(struct cgs_group *g)
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

/*
 * Commit the open batch (the writer held) and tell its transactions:
 * their mark is the syncs begun by now, so theirs is the next to begin.
 * Its frames are in the WAL's file when COMMIT returns (store_wal.c).
 */
static void
commit(struct cgs_group *g)
{
	struct cgs_waiter *list = g->in, *next;
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
		list->mark = g->sync_begun;
		list->done = 1;
	}
	pthread_cond_broadcast(&g->durable);
}

/*
 * One fdatasync of the WAL (the lock held, no sync under way): it
 * covers every commit that returned before it began.  Its failure is
 * the group's for good (above).
 */
static void
sync_wal(struct cgs_group *g)
{
	uint64_t i = ++g->sync_begun;
	const char *what = "fdatasync of the WAL failed";
	int rc, e;

	g->syncing = 1;
	pthread_mutex_unlock(&g->lock);
	rc = fdatasync(g->wal_fd);
	e = errno;
	if (rc == 0 && cgs_wal_vfs_lost()) {
		rc = -1; /* a write lost where it could not fail a commit */
		e = EIO;
		what = "a write of the WAL failed after its commit";
	}
	pthread_mutex_lock(&g->lock);
	g->syncing = 0;
	if (rc == 0)
		g->sync_done = i;
	else if (g->sync_err == 0) {
		g->sync_err = e != 0 ? e : EIO;
		proto_log(PROTO_LOG_ERR,
		    "%s: %s: %s: no commit is acknowledged any more (what "
		    "it covered may be lost)",
		    __func__, what, strerror(g->sync_err));
	}
	pthread_cond_broadcast(&g->durable);
}

static int commit_due(const struct cgs_group *g);

/*
 * Wait for (or make) a sync begun after mark: 0 once it succeeded,
 * PROTO_ERR_IO if a sync failed before.  The leader first commits a
 * batch left open for the sync that just ended, the writer free, so
 * that its own sync covers that batch too.
 */
static int
durable(struct cgs_group *g, uint64_t mark)
{
	while (g->sync_done <= mark && g->sync_err == 0) {
		if (g->syncing)
			pthread_cond_wait(&g->durable, &g->lock);
		else if (commit_due(g)) {
			g->held = 1;
			commit(g);
			cgs_group_release(g);
		} else
			sync_wal(g);
	}
	return g->sync_done > mark ? 0 : PROTO_ERR_IO;
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

/*
 * Commit the open batch now, as its holder hands the writer on?  Yes
 * when no sync is under way: the writer would otherwise idle, and the
 * sync that follows at once gathers the next batch while it runs.
 * While one is, this batch's sessions would wait for the next sync
 * anyway: the batch stays open for the sessions waiting for the writer
 * or being checked (cgs_group_coming), and is committed when that sync
 * ends (by a waiter of its, cgs_group_txn) -- one COMMIT for them all,
 * which writes the pages they share once.  With none of those, now,
 * while the sync runs.  At once, too, when it is full, broken, or the
 * checkpointer waits.  No batch ever waits with the writer idle.
 */
static int
commit_now(const struct cgs_group *g, int broken)
{
	return broken || g->n >= CGS_GROUP_MAX || g->ck_turn || !g->syncing ||
	    (g->queued == 0 && g->coming == 0);
}

/* The open batch left for its waiters: one commits it, the writer free,
 * once the sync it waited for ended (or the checkpointer waits). */
static int
commit_due(const struct cgs_group *g)
{
	return g->open && !g->held && (g->ck_turn || !g->syncing);
}

int
cgs_group_txn(struct cgs_group *g, int (*body)(struct cgs_db *db, void *arg),
    void *arg)
{
	struct cgs_waiter me = { 0 };
	int rc, first, broken = 0, sync_rc;

	pthread_mutex_lock(&g->lock);
	if (g->sync_err != 0) {
		pthread_mutex_unlock(&g->lock);
		return PROTO_ERR_IO; /* fatal: nothing is durable any more */
	}
	if ((rc = hold(g)) != 0) {
		/* no batch began: nothing read, nothing to wait for */
		cgs_group_release(g);
		pthread_mutex_unlock(&g->lock);
		return rc;
	}
	first = g->n == 0;
	pthread_mutex_unlock(&g->lock);
	rc = run_body(g, body, arg, first, &broken);
	pthread_mutex_lock(&g->lock);
	if (first && broken)
		g->open = 0; /* rolled back: the batch holds nothing */
	if (g->open) {
		/* in the batch, kept or not: what it read is the batch's */
		me.next = g->in;
		g->in = &me;
		if (rc == 0)
			g->n++;
		if (commit_now(g, broken))
			commit(g);
	} else {
		/* it read only what was committed before */
		me.mark = g->sync_begun;
		me.done = 1;
	}
	cgs_group_release(g);
	while (!me.done) {
		if (commit_due(g)) {
			g->held = 1;
			commit(g);
			cgs_group_release(g);
		} else
			pthread_cond_wait(&g->durable, &g->lock);
	}
	/* kept or not, failed or not, it read the database: its answer
	 * waits until what it read is durable (a sync begun after) */
	sync_rc = durable(g, me.mark);
	pthread_mutex_unlock(&g->lock);
	if (rc == CGS_DB_DISCARD)
		rc = 0;
	if (rc != 0)
		return rc;
	return me.rc != 0 ? me.rc : sync_rc;
}
