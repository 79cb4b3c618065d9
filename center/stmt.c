/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "stmt.h"

struct stmt_slot {
	const char *sql; /* the literal's address is the key */
	sqlite3_stmt *st;
};

struct cgs_stmts {
	sqlite3 *sql;
	struct stmt_slot slot[CGS_STMT_CACHE];
};

int
cgs_stmts_new(sqlite3 *sql, struct cgs_stmts **out)
{
	struct cgs_stmts *c;

	if (sql == NULL || out == NULL)
		return PROTO_ERR_ARG;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PROTO_ERR_NOMEM;
	c->sql = sql;
	*out = c;
	return 0;
}

void
cgs_stmts_free(struct cgs_stmts **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	for (size_t i = 0; i < CGS_STMT_CACHE; i++)
		sqlite3_finalize((*cp)->slot[i].st);
	free(*cp);
	*cp = NULL;
}

sqlite3_stmt *
cgs_stmts_get(struct cgs_stmts *c, const char *sql)
{
	struct stmt_slot *slot = NULL;

	for (size_t i = 0; i < CGS_STMT_CACHE; i++) {
		if (c->slot[i].sql == sql) {
			sqlite3_clear_bindings(c->slot[i].st);
			return c->slot[i].st;
		}
		if (slot == NULL && c->slot[i].sql == NULL)
			slot = &c->slot[i];
	}
	if (slot == NULL) {
		proto_log(PROTO_LOG_ERR, "%s: more than %d statements",
		    __func__, CGS_STMT_CACHE);
		return NULL;
	}
	if (sqlite3_prepare_v3(c->sql, sql, -1, SQLITE_PREPARE_PERSISTENT,
		&slot->st, NULL) != SQLITE_OK) {
		proto_log(PROTO_LOG_ERR, "%s: %s", __func__,
		    sqlite3_errmsg(c->sql));
		sqlite3_finalize(slot->st);
		slot->st = NULL;
		return NULL;
	}
	slot->sql = sql;
	return slot->st;
}

int
cgs_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	proto_log(PROTO_LOG_ERR, "%s: %s", __func__,
	    sqlite3_errmsg(sqlite3_db_handle(st)));
	return PROTO_ERR_IO;
}

int
cgs_step_exists(sqlite3_stmt *st, int *found)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		proto_log(PROTO_LOG_ERR, "%s: %s", __func__,
		    sqlite3_errmsg(sqlite3_db_handle(st)));
		return PROTO_ERR_IO;
	}
	*found = rc == SQLITE_ROW;
	return 0;
}
