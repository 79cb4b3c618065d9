/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The sessions' database slots: a connection to the database with an
 * ingest context on it (its prepared statements, its parsed card keys),
 * kept between sessions so that repeated cards cost no key parsing and
 * statements no preparing.  A session takes a slot for its ingest and
 * gives it back; slots are made on demand, as many as sessions ingest at
 * once.  Safe to use from several threads.
 */
#ifndef CENTER_POOL_H
#define CENTER_POOL_H

#include "commands.h"
#include "db.h"
#include "ingest.h"

struct cgs_slot {
	struct cgs_db *db;
	struct cgs_ctx *ctx; /* on db */
	struct cgs_slot *next;
};

struct cgs_pool;

/* path and keys are borrowed: they must outlive the pool. */
int cgs_pool_new(const char *path, const struct cgs_keys *keys,
    struct cgs_pool **out);
/* A free slot, or a new one; NULL (logged) if none can be made. */
struct cgs_slot *cgs_pool_take(struct cgs_pool *p);
void cgs_pool_give(struct cgs_pool *p, struct cgs_slot *sl);
/* 0, or PROTO_ERR_IO once the commit group's sync of the WAL failed
 * (cgs_group_failed: fatal; every session fails from then on, and the
 * holder stops). */
int cgs_pool_failed(struct cgs_pool *p);
/* Close every slot; only once no slot is taken.  NULL is fine. */
void cgs_pool_free(struct cgs_pool **p);

#endif
