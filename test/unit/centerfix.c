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

static int __attribute__((unused)) centerfix_db_open(struct centerfix_db *d)
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

/* The first column of the first row (-1 if none). */
static int64_t centerfix_count(struct cgs_db *db, const char *sql);

/* Closed, and gone; the cards' rows first checked to keep the ledger's
 * highest purchase seq of each (schema 9) as the ledger holds it. */
static void
centerfix_db_remove(struct centerfix_db *d)
{
	char p[160];
	int v = 0;

	if (d->db != NULL && cgs_db_version(d->db, &v) == 0 &&
	    v == CGS_DB_VERSION)
		assert_int_equal(centerfix_count(d->db,
				     "SELECT COUNT(*) FROM cards c WHERE "
				     "max_invoiced <> (SELECT "
				     "COALESCE(MAX(seq), "
				     "0) FROM purchases p WHERE p.ua = c.ua)"),
		    0);
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

/* Card ua registered with key pub by a statement of the schema's first
 * version (a database an older build left, cgs_card_register reading
 * columns it does not have yet). */
static void __attribute__((unused)) centerfix_card_raw(struct cgs_db *db,
    const uint8_t ua[PROTO_UA_LEN], const uint8_t pub[PROTO_EC_PUB_LEN])
{
	struct cgs_stmt *st = cgs_stmt_new(db,
	    "INSERT INTO cards (ua, public_key, versions, status, "
	    "registered_at) VALUES (?, ?, '01000100', 'issued', 1)");

	assert_non_null(st);
	cgs_db_bind_ua(st, 1, ua);
	cgs_bind_blob(st, 2, pub, PROTO_EC_PUB_LEN);
	assert_int_equal(cgs_step(st), 0);
	cgs_stmt_free(&st);
}

/* A database at schema version v, as an older build left it: its
 * connection (no migration but those up to v). */
static __attribute__((unused)) struct cgs_db *
centerfix_open_at(struct centerfix_db *d, int v)
{
	struct cgs_db *raw = NULL;
	int pg = centerfix_pg(d);

	assert_true(pg >= 0);
	if (pg == 0) {
		snprintf(d->dir, sizeof(d->dir), "/tmp/ptv-cgs.XXXXXX");
		assert_non_null(mkdtemp(d->dir));
		snprintf(d->path, sizeof(d->path), "%s/c.db", d->dir);
	}
	assert_int_equal(cgs_engine_for(d->path)->open(d->path, CGS_OPEN_CREATE,
			     &raw),
	    0);
	assert_int_equal(cgs_db_migrate_to(raw, v), 0);
	return raw;
}
