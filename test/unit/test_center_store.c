/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * The storage interface (center/store.h) on either engine (SQLite, or
 * the PostgreSQL database PTV_TEST_PG names): what a statement that
 * changes rows tells of the rows it changed.  SQLite's WAL written
 * through store_wal.c (its writes gathered): a transaction larger than
 * the page cache, which spills pages into the WAL and writes them again,
 * reads back what it wrote, and another connection reads it committed.
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

/* A rollback with no transaction under way (SQLite rolls one back
 * itself on a full disk) does nothing and says nothing; one under way
 * is rolled back. */
static void
test_rollback_none(void **state)
{
	char path[] = "/tmp/ptv-rollback.XXXXXX", said[256];
	struct centerfix_db d;
	struct cgs_db *db;
	int fd, saved;
	ssize_t n;

	(void)state;
	assert_int_equal(centerfix_db_open(&d), 0);
	db = d.db;
	assert_int_equal(cgs_db_exec(db, "CREATE TABLE t (k BIGINT)"), 0);
	assert_int_equal(cgs_db_begin(db), 0);
	assert_int_equal(cgs_db_exec(db, "INSERT INTO t VALUES (1)"), 0);
	cgs_db_rollback(db);
	assert_int_equal(centerfix_count(db, "SELECT COUNT(*) FROM t"), 0);
	/* ended behind its back: the log stays quiet */
	assert_int_equal(cgs_db_begin(db), 0);
	assert_int_equal(cgs_db_exec(db, "ROLLBACK"), 0);
	assert_true((fd = mkstemp(path)) >= 0);
	fflush(stderr);
	assert_true((saved = dup(STDERR_FILENO)) >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	cgs_db_rollback(db);
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	n = pread(fd, said, sizeof(said) - 1, 0);
	close(fd);
	unlink(path);
	assert_true(n >= 0);
	said[n] = '\0';
	assert_string_equal(said, "");
	assert_int_equal(cgs_db_exec(db, "DROP TABLE t"), 0);
	centerfix_db_remove(&d);
}

/* The rows' checksum: their lengths and bytes summed, read on db. */
static int64_t
rows_sum(struct cgs_db *db)
{
	return centerfix_count(db,
	    "SELECT SUM(length(v) * k + unicode(substr(v, k % 100 + 1, 1))) "
	    "FROM t");
}

static void
test_wal_writes(void **state)
{
	struct centerfix_db d;
	const char *pg = getenv("PTV_TEST_PG");
	struct cgs_db *other = NULL;
	int64_t sum;

	(void)state;
	if (pg != NULL && *pg != '\0')
		skip(); /* SQLite's */
	assert_int_equal(centerfix_db_open(&d), 0);
	assert_int_equal(cgs_db_open(d.path, &other), 0);
	/* 10 pages of cache: the transaction's pages spill into the WAL,
	 * are read back from it and written again */
	assert_int_equal(cgs_db_exec(d.db,
			     "PRAGMA cache_size = 10;"
			     "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);"
			     "BEGIN IMMEDIATE;"
			     "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL "
			     " SELECT x + 1 FROM s WHERE x < 400) "
			     "INSERT INTO t SELECT x, printf('%.*c', 2000 + x, "
			     " char(65 + x % 26)) FROM s;"
			     "UPDATE t SET v = v || char(97 + k % 26) "
			     " WHERE k % 3 = 0;"
			     "UPDATE t SET v = substr(v, 2) WHERE k % 7 = 0"),
	    0);
	sum = rows_sum(d.db);
	assert_true(sum > 0);
	assert_int_equal(centerfix_count(d.db, "SELECT COUNT(*) FROM t"), 400);
	assert_int_equal(cgs_db_exec(d.db, "COMMIT"), 0);
	/* committed: the other connection reads the same rows */
	assert_int_equal(rows_sum(other), sum);
	assert_int_equal(centerfix_count(other,
			     "SELECT COUNT(*) FROM t WHERE length(v) <> 2000 + "
			     "k "
			     "+ (k % 3 = 0) - (k % 7 = 0)"),
	    0);
	assert_int_equal(centerfix_count(other,
			     "SELECT COUNT(*) FROM pragma_integrity_check "
			     "WHERE integrity_check <> 'ok'"),
	    0);
	/* and after a checkpoint copied them into the database file */
	assert_int_equal(cgs_db_exec(other, "PRAGMA wal_checkpoint(TRUNCATE)"),
	    0);
	assert_int_equal(rows_sum(d.db), sum);
	cgs_db_close(&other);
	centerfix_db_remove(&d);
}

/* PostgreSQL's command tag count (text from the server) as rows changed:
 * "" is none; anything but a decimal count up to INT64_MAX an error that
 * leaves the output as it was. */
static void
test_pg_tag_rows(void **state)
{
	static const struct {
		const char *count;
		int rc;
		int64_t rows;
	} cases[] = {
		{ "", 0, 0 },
		{ "0", 0, 0 },
		{ "1", 0, 1 },
		{ "3", 0, 3 },
		{ "0042", 0, 42 },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "9223372036854775808", PROTO_ERR_RANGE, -7 },
		{ "18446744073709551616", PROTO_ERR_RANGE, -7 },
		{ "-1", PROTO_ERR_FORMAT, -7 },
		{ "+1", PROTO_ERR_FORMAT, -7 },
		{ " 1", PROTO_ERR_FORMAT, -7 },
		{ "1 ", PROTO_ERR_FORMAT, -7 },
		{ "0 1", PROTO_ERR_FORMAT, -7 },
		{ "0x10", PROTO_ERR_FORMAT, -7 },
		{ "1e3", PROTO_ERR_FORMAT, -7 },
		{ "UPDATE", PROTO_ERR_FORMAT, -7 },
		{ "0000000000000000000000001", PROTO_ERR_FORMAT, -7 },
	};
	int64_t rows;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rows = -7;
		assert_int_equal(cgs_pg_tag_rows(cases[i].count, &rows),
		    cases[i].rc);
		assert_int_equal(rows, cases[i].rows);
	}
	rows = -7;
	assert_int_equal(cgs_pg_tag_rows(NULL, &rows), PROTO_ERR_ARG);
	assert_int_equal(rows, -7);
}

/* An integer column's text from the server, read through the bounded
 * parser: int64_t's whole range, nothing else, the value unchanged on
 * error (pg_step refuses a row with such a column). */
static void
test_pg_int8(void **state)
{
	static const struct {
		const char *text;
		int rc;
		int64_t v;
	} cases[] = {
		{ "0", 0, 0 },
		{ "-1", 0, -1 },
		{ "42", 0, 42 },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "-9223372036854775808", 0, INT64_MIN },
		{ "9223372036854775808", PROTO_ERR_RANGE, -7 },
		{ "-9223372036854775809", PROTO_ERR_RANGE, -7 },
		{ "", PROTO_ERR_FORMAT, -7 },
		{ "-", PROTO_ERR_FORMAT, -7 },
		{ "--1", PROTO_ERR_FORMAT, -7 },
		{ "+1", PROTO_ERR_FORMAT, -7 },
		{ " 1", PROTO_ERR_FORMAT, -7 },
		{ "1 ", PROTO_ERR_FORMAT, -7 },
		{ "1.5", PROTO_ERR_FORMAT, -7 },
		{ "0x10", PROTO_ERR_FORMAT, -7 },
		{ "NaN", PROTO_ERR_FORMAT, -7 },
		{ "00000000000000000000000001", PROTO_ERR_FORMAT, -7 },
	};
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = -7;
		assert_int_equal(cgs_pg_int8(cases[i].text, &v), cases[i].rc);
		assert_int_equal(v, cases[i].v);
	}
	assert_int_equal(cgs_pg_int8(NULL, &v), PROTO_ERR_ARG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_rollback_none),
		cmocka_unit_test(test_wal_writes),
		cmocka_unit_test(test_pg_tag_rows),
		cmocka_unit_test(test_pg_int8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
