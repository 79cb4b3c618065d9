/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * The storage interface (center/store.h) on either engine (SQLite, or
 * the PostgreSQL database PTV_TEST_PG names): what a statement that
 * changes rows tells of the rows it changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "centerfix.c"
#include "../../proto/proto.h"

static const char put[] = "INSERT INTO t (k, v) VALUES (?1, ?2) "
			  "ON CONFLICT DO NOTHING";

/* put(k, v): the rows it inserted. */
static int64_t
put_row(struct cgs_db *db, int64_t k, int64_t v)
{
	struct cgs_stmt *st = cgs_stmt(db, put);
	int64_t n = -1;

	assert_non_null(st);
	cgs_bind_i64(st, 1, k);
	cgs_bind_i64(st, 2, v);
	assert_int_equal(cgs_step_changes(st, &n), 0);
	return n;
}

/* sql, no parameter: the rows it changed. */
static int64_t
changed(struct cgs_db *db, const char *sql)
{
	struct cgs_stmt *st = cgs_stmt(db, sql);
	int64_t n = -1;

	assert_non_null(st);
	assert_int_equal(cgs_step_changes(st, &n), 0);
	return n;
}

static void
test_changes(void **state)
{
	struct centerfix_db d;
	struct cgs_db *db;

	(void)state;
	assert_int_equal(centerfix_db_open(&d), 0);
	db = d.db;
	assert_int_equal(cgs_db_exec(db,
			     "CREATE TABLE t (k BIGINT PRIMARY KEY, "
			     "v BIGINT NOT NULL)"),
	    0);
	/* inserted, then there already: nothing changed, the row kept */
	assert_int_equal(put_row(db, 1, 10), 1);
	assert_int_equal(put_row(db, 1, 11), 0);
	assert_int_equal(centerfix_count(db, "SELECT v FROM t WHERE k = 1"),
	    10);
	assert_int_equal(put_row(db, 2, 20), 1);
	assert_int_equal(put_row(db, 3, 30), 1);
	/* an upsert that updates counts the row it updated */
	assert_int_equal(changed(db,
			     "INSERT INTO t (k, v) VALUES (3, 31) "
			     "ON CONFLICT (k) DO UPDATE SET v = excluded.v"),
	    1);
	assert_int_equal(changed(db, "UPDATE t SET v = v + 1 WHERE k < 3"), 2);
	assert_int_equal(changed(db, "UPDATE t SET v = 0 WHERE k > 99"), 0);
	/* rows returned are dropped, the count stays */
	assert_int_equal(changed(db, "DELETE FROM t WHERE k >= 2 RETURNING k"),
	    2);
	assert_int_equal(centerfix_count(db, "SELECT COUNT(*) FROM t"), 1);
	/* a statement that fails tells it, and changed nothing */
	{
		struct cgs_stmt *st =
		    cgs_stmt(db, "INSERT INTO t (k, v) VALUES (5, NULL)");
		int64_t n = -7;

		assert_non_null(st);
		assert_int_equal(cgs_step_changes(st, &n), PROTO_ERR_IO);
		assert_int_equal(n, -7);
	}
	assert_int_equal(centerfix_count(db, "SELECT COUNT(*) FROM t"), 1);
	assert_int_equal(cgs_db_exec(db, "DROP TABLE t"), 0);
	centerfix_db_remove(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
