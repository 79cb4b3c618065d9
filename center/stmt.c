/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What both engines share (store.h): the choice of engine, the statements
 * kept per connection, and the calls through the engine's table.
 */
#include <string.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "db_name.h"
#include "store.h"

const struct cgs_engine *
cgs_engine_for(const char *target)
{
	if (cgs_db_url_pg(target))
		return &cgs_engine_pg;
	return &cgs_engine_sqlite;
}

struct cgs_stmt *
cgs_stmt(struct cgs_db *db, const char *sql)
{
	struct cgs_stmt_slot *slot = NULL;

	for (size_t i = 0; i < CGS_STMT_CACHE; i++) {
		if (db->slot[i].sql == sql) {
			db->e->reset(db->slot[i].st);
			return db->slot[i].st;
		}
		if (slot == NULL && db->slot[i].sql == NULL)
			slot = &db->slot[i];
	}
	if (slot == NULL) {
		proto_log(PROTO_LOG_ERR, "%s: more than %d statements",
		    __func__, CGS_STMT_CACHE);
		return NULL;
	}
	if ((slot->st = db->e->prepare(db, sql)) == NULL)
		return NULL;
	slot->sql = sql;
	return slot->st;
}

void
cgs_stmts_free(struct cgs_db *db)
{
	for (size_t i = 0; i < CGS_STMT_CACHE; i++) {
		if (db->slot[i].st != NULL)
			db->e->finalize(db->slot[i].st);
		db->slot[i].st = NULL;
		db->slot[i].sql = NULL;
	}
}

struct cgs_stmt *
cgs_stmt_new(struct cgs_db *db, const char *sql)
{
	return db->e->prepare(db, sql);
}

void
cgs_stmt_free(struct cgs_stmt **st)
{
	if (st == NULL || *st == NULL)
		return;
	(*st)->e->finalize(*st);
	*st = NULL;
}

void
cgs_bind_i64(struct cgs_stmt *st, int i, int64_t v)
{
	st->e->bind_i64(st, i, v);
}

void
cgs_bind_text(struct cgs_stmt *st, int i, const char *t)
{
	st->e->bind_text(st, i, t);
}

void
cgs_bind_blob(struct cgs_stmt *st, int i, const void *p, size_t n)
{
	st->e->bind_blob(st, i, p, n);
}

void
cgs_bind_null(struct cgs_stmt *st, int i)
{
	st->e->bind_null(st, i);
}

void
cgs_bind_opt(struct cgs_stmt *st, int i, int has, int64_t v)
{
	if (has)
		cgs_bind_i64(st, i, v);
	else
		cgs_bind_null(st, i);
}

int
cgs_step(struct cgs_stmt *st)
{
	return st->e->step(st);
}

void
cgs_reset(struct cgs_stmt *st)
{
	st->e->reset(st);
}

int
cgs_step_done(struct cgs_stmt *st)
{
	int rc = cgs_step(st);

	cgs_reset(st);
	return rc < 0 ? rc : 0;
}

int
cgs_step_changes(struct cgs_stmt *st, int64_t *changed)
{
	int rc;

	while ((rc = cgs_step(st)) == 1)
		;
	if (rc < 0)
		return rc;
	*changed = st->e->changes(st);
	return 0;
}

int
cgs_step_exists(struct cgs_stmt *st, int *found)
{
	int rc = cgs_step(st);

	cgs_reset(st);
	if (rc < 0)
		return rc;
	*found = rc == 1;
	return 0;
}

int
cgs_col_null(struct cgs_stmt *st, int i)
{
	return st->e->col_null(st, i);
}

int64_t
cgs_col_i64(struct cgs_stmt *st, int i)
{
	return st->e->col_i64(st, i);
}

const char *
cgs_col_text(struct cgs_stmt *st, int i)
{
	return st->e->col_text(st, i);
}

const uint8_t *
cgs_col_blob(struct cgs_stmt *st, int i, size_t *n)
{
	return st->e->col_blob(st, i, n);
}
