/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Group commit, for SQLite: the transactions of several connections run
 * on one writer connection, one after the other, each in a SAVEPOINT of
 * a batch transaction (but the batch's first), and the batch is
 * committed once -- one fsync for every session that finished while the
 * writer was busy.  A transaction whose body fails is rolled back to its
 * savepoint alone; the others of its batch go on.  cgs_db_txn on a
 * connection in a group returns only once its batch is committed
 * (durable) or failed, so a session's answer still waits for its own
 * data.  The batch is committed when no other transaction waits for the
 * writer and none is coming (cgs_group_coming) -- or the batch waited
 * CGS_GROUP_WAIT_US for those -- or when it holds CGS_GROUP_MAX; and at
 * once while the sessions under way (coming, waiting for the writer, in
 * the batch) are no more than the cores: then waiting would idle a
 * core, and sessions committing alone fall out of step (one checking
 * while another is at the writer).  The WAL is checkpointed by a thread
 * of the group's, on a connection of its own, out of the commits' way
 * (group.c tells how).
 * Safe to use from several threads.
 */
#ifndef CENTER_GROUP_H
#define CENTER_GROUP_H

#include <stdint.h>

#include "db.h"

#define CGS_GROUP_MAX 64
#define CGS_GROUP_WAIT_US 4000

struct cgs_group;

/* Open the writer connection on target. */
int cgs_group_new(const char *target, struct cgs_group **out);
/* Only once no transaction runs on it.  NULL is fine. */
void cgs_group_free(struct cgs_group **g);
/* db's transactions (cgs_db_txn) run in g's batches from now on. */
void cgs_group_join(struct cgs_group *g, struct cgs_db *db);
/* Run body(writer, arg) in the group's next batch (cgs_db_txn's
 * contract). */
int cgs_group_txn(struct cgs_group *g,
    int (*body)(struct cgs_db *db, void *arg), void *arg);
/* A thread is checking a session whose transaction follows (delta 1),
 * or no more (-1: its transaction began, or will not come): a batch
 * waits a little for it rather than commit without it. */
void cgs_group_coming(struct cgs_group *g, int delta);
/* How many sessions under way the cores run at once (default: the
 * processors online): with no more, a batch never waits. */
void cgs_group_cores(struct cgs_group *g, unsigned cores);
/* The checkpoints of the WAL the group's thread made: PASSIVE (beside
 * the writer) and RESTART (the writer held between two batches). */
void cgs_group_checkpoints(struct cgs_group *g, uint64_t *passive,
    uint64_t *restarts);
/* Batches committed, and the transactions committed in them. */
void cgs_group_counts(struct cgs_group *g, uint64_t *batches, uint64_t *txns);

#endif
