/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The commit group's checkpointer (group.h): the writer checkpoints no
 * more in its commits (SQLite did every 1,000 pages, copying them into
 * the database file and syncing it while the sessions waited); a thread
 * of the group does, on its own connection, PASSIVE every
 * CGS_CKPT_FRAMES new frames of the WAL, beside the writer, which goes
 * on.  A WAL fully copied is begun again from its start by the next
 * writer -- unless the writer never paused while the copy ran; past
 * CGS_WAL_FRAMES the checkpointer, after its PASSIVE, takes the writer's
 * turn between two batches for a RESTART (copying what came in
 * meanwhile, waiting at most CGS_CKPT_WAIT_MS for readers), so the WAL
 * stays bounded.
 *
 * Durability.  The writer commits with synchronous=NORMAL and the group
 * syncs the WAL after (group.c), so the WAL may hold frames committed
 * but not synced yet, their sessions waiting.  The checkpointer's
 * connection keeps synchronous=FULL: a checkpoint syncs the WAL before
 * it copies any frame into the database file, and the database file
 * after, before it counts the frames copied (nBackfill); SQLite begins
 * the WAL again (overwriting its frames from the start) only once every
 * frame is counted copied and no reader needs them.  So neither kind
 * loses a commit, acknowledged or not: PASSIVE copies only frames it
 * synced first, and overwrites nothing of the WAL; a RESTART lets the
 * next writer overwrite only frames that are in the database file,
 * synced.  A batch whose frames a checkpoint copied still waits for the
 * group's own sync (begun after its commit) before its sessions are
 * answered: durable twice, never less.
 */
#include <pthread.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "group.h"
#include "group_impl.h"
#include "store.h"

#define CGS_CKPT_FRAMES 1000
#define CGS_WAL_FRAMES 4000

void
cgs_group_wal_grew(void *arg, int frames)
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

void
cgs_group_checkpoints(struct cgs_group *g, uint64_t *passive,
    uint64_t *restarts)
{
	pthread_mutex_lock(&g->lock);
	*passive = g->passive;
	*restarts = g->restarts;
	pthread_mutex_unlock(&g->lock);
}

/*
 * A RESTART checkpoint, the writer held between two batches (the lock
 * held; the sessions meanwhile wait at hold, as for a batch).  A sync of
 * the group's may be under way beside it: the checkpoint syncs the WAL
 * itself before copying (the same file; see above).
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

/* After a checkpoint (the lock held): what it did, said. */
static void
ckpt_said(struct cgs_group *g, int full, int rc, int frames, int done)
{
	if (full && rc == 0) {
		if (g->ck_held)
			proto_log(PROTO_LOG_NOTICE,
			    "cgs_group_checkpointer: the WAL begins again (%d "
			    "frames copied): no reader holds it any more",
			    done);
		g->ck_held = 0;
		g->restarts++;
	} else if (full && rc == PROTO_ERR_STATE && !g->ck_held) {
		/* said once, until a RESTART goes through */
		g->ck_held = 1;
		proto_log(PROTO_LOG_NOTICE,
		    "cgs_group_checkpointer: a reader holds the WAL (%d "
		    "frames, of which %d copied): it grows until that "
		    "reader's transaction ends",
		    frames, done);
	}
	/* busy (a reader, another process's writer), or failed (logged):
	 * again after as many frames more */
	if (rc != 0 && rc != PROTO_ERR_STATE)
		proto_log(PROTO_LOG_WARNING,
		    "cgs_group_checkpointer: checkpoint failed: %s (the WAL "
		    "grows)",
		    proto_strerror(rc));
}

void *
cgs_group_checkpointer(void *arg)
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
		if (full && (rc == 0 || rc == PROTO_ERR_STATE))
			rc = restart(g, &frames, &done);
		ckpt_said(g, full, rc, frames, done);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}
