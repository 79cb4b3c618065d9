/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Group commit, for SQLite: the transactions of several connections run
 * on one writer connection, one after the other, each in a SAVEPOINT of
 * a batch transaction (but the batch's first), and the batch is
 * committed once.  A transaction whose body fails is rolled back to its
 * savepoint alone; the others of its batch go on.
 *
 * Durability is pipelined (group.c tells how): a batch's COMMIT writes
 * its frames into the WAL without syncing, the writer goes on at once
 * to the next batch, and the group syncs the WAL beside it, one
 * fdatasync at a time, each covering every batch committed before it
 * began -- one fsync for all the sessions that committed while the last
 * one ran.  The rule, for every transaction whose body ran on the
 * writer: cgs_db_txn returns only once a sync of the WAL begun after
 * its batch's commit succeeded (or it fails), so a session's answer
 * still waits for its own data to be durable.  One that was discarded
 * (CGS_DB_DISCARD) or failed still read the database -- commits of
 * others perhaps not synced yet, and the work of the sessions before it
 * in its batch: it waits the same, for its batch's commit (whose
 * failure it then returns: what it read is gone) and a sync begun after
 * that, or, if its batch held nothing (it was the first), for a sync
 * begun after its body ran.  A failed sync fails every transaction it
 * covered and is fatal for the group: every transaction after fails at
 * once (cgs_group_failed).
 *
 * A batch is committed when its holder hands the writer on and no sync
 * is under way, so the writer never idles for a batch; while one is,
 * the batch stays open for the sessions queued for the writer or being
 * checked (cgs_group_coming), and is committed once that sync ends (by
 * one of its waiters, or the next sync's leader); with none of those,
 * at once.
 * The WAL is checkpointed by a thread of the group's, on a connection
 * of its own, out of the commits' way (group_ckpt.c tells how, and why
 * no checkpoint loses a commit).
 * Safe to use from several threads.
 */
#ifndef CENTER_GROUP_H
#define CENTER_GROUP_H

#include <stdint.h>

#include "db.h"

#define CGS_GROUP_MAX 64

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
 * or no more (-1: its transaction began, or will not come): while a
 * sync is under way, a batch stays open for it. */
void cgs_group_coming(struct cgs_group *g, int delta);
/* The checkpoints of the WAL the group's thread made: PASSIVE (beside
 * the writer) and RESTART (the writer held between two batches). */
void cgs_group_checkpoints(struct cgs_group *g, uint64_t *passive,
    uint64_t *restarts);
/* Batches committed, and the transactions committed in them. */
void cgs_group_counts(struct cgs_group *g, uint64_t *batches, uint64_t *txns);
/* The group's syncs of the WAL that succeeded. */
void cgs_group_syncs(struct cgs_group *g, uint64_t *syncs);
/* 0, or PROTO_ERR_IO once a sync of the WAL failed: nothing committed
 * since the last sync that succeeded may be on disk, and the group
 * acknowledges nothing any more (fatal: its holder stops, and the next
 * start recovers from what the file holds). */
int cgs_group_failed(struct cgs_group *g);

#endif
