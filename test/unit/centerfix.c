/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test fixture for the center's tests, #included by them: a database in a
 * temporary directory, removed with its WAL files -- or, when
 * PTV_TEST_PG names a PostgreSQL database (test/lib/pg.sh), that one,
 * emptied first -- and the one number a query answers (centerfix_card.c adds a card whose blocks go through
 * whole sessions).  Needs <cmocka.h> included first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../center/db.h"
#include "../../center/store.h"

struct centerfix_db {
	char dir[64], path[128];
	struct cgs_db *db;
};

/* The PostgreSQL database of PTV_TEST_PG, emptied; 0 if there is none. */
static int
centerfix_pg(struct centerfix_db *d)
{
	const char *url = getenv("PTV_TEST_PG");
	struct cgs_db *raw = NULL;
	int rc;

	if (url == NULL || *url == '\0')
		return 0;
	snprintf(d->dir, sizeof(d->dir), "-");
	snprintf(d->path, sizeof(d->path), "%s", url);
	if (cgs_engine_pg.open(url, 0, &raw) != 0)
		return -1;
	rc = cgs_db_exec(raw,
	    "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	cgs_engine_pg.close(raw);
	return rc == 0 ? 1 : -1;
}

static int
centerfix_db_open(struct centerfix_db *d)
{
	int pg;

	if ((pg = centerfix_pg(d)) != 0)
		return pg > 0 && cgs_db_open(d->path, &d->db) == 0 ? 0 : -1;
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
	if (strcmp(d->dir, "-") == 0)
		return; /* PostgreSQL's: emptied by the next */
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
	struct cgs_stmt *st = cgs_stmt_new(db, sql);
	int64_t v = -1;

	assert_non_null(st);
	if (cgs_step(st) == 1)
		v = cgs_col_i64(st, 0);
	cgs_stmt_free(&st);
	return v;
}
