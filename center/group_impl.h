/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The commit group's insides, shared by group.c (the batches and their
 * durability) and group_ckpt.c (the checkpointer).  Nothing else
 * includes this.
 */
#ifndef CENTER_GROUP_IMPL_H
#define CENTER_GROUP_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include "db.h"

/* A transaction whose body ran, waiting for its batch's commit and then
 * for a sync of the WAL begun after it. */
struct cgs_waiter {
	int done;      /* its batch committed, or failed */
	int rc;        /* the batch's commit: 0, or why it failed */
	uint64_t mark; /* the syncs begun when done: one after is its own */
	struct cgs_waiter *next;
};

struct cgs_group {
	struct cgs_db *w;  /* the writer: used by the thread holding it */
	struct cgs_db *ck; /* the checkpointer's, used by its thread */
	int wal_fd;        /* the WAL, for the group's fdatasync (group.c) */
	pthread_t ck_thread;
	pthread_mutex_t lock;
	pthread_cond_t turn;    /* the writer was handed on */
	pthread_cond_t durable; /* a batch committed, or a sync ended */
	pthread_cond_t wal;     /* the WAL grew, or the checkpointer stops */
	/* under lock */
	int ck_stop; /* the checkpointer ends */
	int ck_turn; /* it waits for the writer, or holds it */
	int frames;  /* in the WAL at the last commit */
	int ck_at;   /* in the WAL when the last checkpoint began */
	int ck_held; /* a RESTART was refused by a reader (said) */
	uint64_t passive, restarts;
	int held;              /* a thread holds the writer */
	int open;              /* the batch's transaction began */
	unsigned queued;       /* threads waiting for the writer */
	unsigned coming;       /* threads checking a session, the writer next */
	unsigned n;            /* transactions kept in the open batch */
	struct cgs_waiter *in; /* the open batch's (kept or not) */
	uint64_t batches, txns;
	/* the WAL's syncs: one at a time, numbered from 1 */
	int syncing;         /* one is under way */
	uint64_t sync_begun; /* the last one begun */
	uint64_t sync_done;  /* the last one that succeeded */
	int sync_err;        /* one failed (errno): fatal, for good */
};

/* The writer handed on (the lock held). */
void cgs_group_release(struct cgs_group *g);
/* After each commit of the writer's (wal_watch's; the lock not held). */
void cgs_group_wal_grew(void *arg, int frames);
/* The checkpointer's thread (arg: the group). */
void *cgs_group_checkpointer(void *arg);

#endif
