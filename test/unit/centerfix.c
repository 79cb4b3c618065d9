/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test fixture for the center's tests, #included by them: a database in a
 * temporary directory, removed with its WAL files, and the one number a
 * query answers (centerfix_card.c adds a card whose blocks go through
 * whole sessions).  Needs <cmocka.h> included first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../center/db.h"

struct centerfix_db {
	char dir[64], path[128];
	struct cgs_db *db;
};

static int
centerfix_db_open(struct centerfix_db *d)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/ptv-cgs.XXXXXX");
	if (mkdtemp(d->dir) == NULL)
		return -1;
	snprintf(d->path, sizeof(d->path), "%s/c.db", d->dir);
	return cgs_db_open(d->path, &d->db) == 0 ? 0 : -1;
}

static void
centerfix_db_remove(struct centerfix_db *d)
{
	char p[160];

	cgs_db_close(&d->db);
	unlink(d->path);
	snprintf(p, sizeof(p), "%s-wal", d->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", d->path);
	unlink(p);
	rmdir(d->dir);
}

/* The first column of the first row (-1 if none). */
static int64_t
centerfix_count(struct cgs_db *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(cgs_db_sql(db), sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}
