/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The WAL's buffered writes (center/store_wal.c, included to reach its
 * file methods) over a file of the test's that records the writes it
 * gets, or fails them: a commit's frames reach the file at its commit
 * frame's page, in one write (the commit group syncs them with no sync
 * of SQLite's between: group.c); a failed write there fails the commit;
 * one that fails where nothing can fail (the index's barrier, after the
 * commit was published) is remembered, for the group to take as a
 * failed sync.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../center/store_wal.c"

#define PAGE 4096
#define HDR 24

/* The test's file: the writes it got, or a failure for each. */
struct fake {
	sqlite3_file base;
	int fail;          /* fail every write (SQLITE_IOERR_WRITE) */
	int writes;        /* writes received */
	sqlite3_int64 off; /* the last one's offset ... */
	int n;             /* ... and length */
};

static int
fake_write(sqlite3_file *file, const void *p, int n, sqlite3_int64 off)
{
	struct fake *f = (struct fake *)file;

	(void)p;
	if (f->fail)
		return SQLITE_IOERR_WRITE;
	f->writes++;
	f->off = off;
	f->n = n;
	return SQLITE_OK;
}

static void
fake_barrier(sqlite3_file *file)
{
	(void)file;
}

static const sqlite3_io_methods fake_methods = {
	.iVersion = 2,
	.xWrite = fake_write,
	.xShmBarrier = fake_barrier,
};

struct pair {
	struct wal_file w;
	struct fake real;
};

static void
open_pair(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	p->real.base.pMethods = &fake_methods;
	p->w.base.pMethods = &wal_methods;
	p->w.real = &p->real.base;
	p->w.wal = 1;
}

/* Frame i's header (after the WAL's 32-byte header) and page; commit:
 * the database's size in pages after it (0: not a commit frame). */
static int
frame(struct pair *p, int i, uint32_t commit)
{
	unsigned char hdr[HDR] = { 0 }, page[PAGE] = { 0 };
	sqlite3_int64 off = 32 + (sqlite3_int64)i * (HDR + PAGE);
	int rc;

	hdr[3] = (unsigned char)(i + 1); /* its page number */
	hdr[4] = (unsigned char)(commit >> 24);
	hdr[5] = (unsigned char)(commit >> 16);
	hdr[6] = (unsigned char)(commit >> 8);
	hdr[7] = (unsigned char)commit;
	if ((rc = w_write(&p->w.base, hdr, HDR, off)) != SQLITE_OK)
		return rc;
	return w_write(&p->w.base, page, PAGE, off + HDR);
}

/* Three frames, the third a commit: nothing written before the commit
 * frame's page, then all in one write. */
static void
test_commit_written(void **state)
{
	struct pair p;

	(void)state;
	open_pair(&p);
	assert_int_equal(frame(&p, 0, 0), SQLITE_OK);
	assert_int_equal(frame(&p, 1, 0), SQLITE_OK);
	assert_int_equal(p.real.writes, 0); /* gathered */
	assert_int_equal(frame(&p, 2, 3), SQLITE_OK);
	assert_int_equal(p.real.writes, 1);
	assert_int_equal(p.real.off, 32);
	assert_int_equal(p.real.n, 3 * (HDR + PAGE));
	assert_int_equal(p.w.n, 0);
	w_shm_barrier(&p.w.base); /* nothing left to send */
	assert_int_equal(p.real.writes, 1);
	assert_int_equal(cgs_wal_vfs_lost(), 0);
	free(p.w.buf);
}

/* The write at the commit frame fails: the commit fails (SQLite's
 * error), nothing is lost for good (the index not published). */
static void
test_commit_write_fails(void **state)
{
	struct pair p;

	(void)state;
	open_pair(&p);
	assert_int_equal(frame(&p, 0, 0), SQLITE_OK);
	p.real.fail = 1;
	assert_int_equal(frame(&p, 1, 2), SQLITE_IOERR_WRITE);
	assert_int_equal(p.real.writes, 0);
	assert_int_equal(cgs_wal_vfs_lost(), 0);
	free(p.w.buf);
}

/* A header rewritten after the commit frame (its checksums), sent only
 * at the barrier, where its write fails: remembered, for good. */
static void
test_barrier_write_lost(void **state)
{
	unsigned char hdr[HDR] = { 0, 0, 0, 1, 0, 0, 0, 2 };
	struct pair p;

	(void)state;
	open_pair(&p);
	assert_int_equal(frame(&p, 0, 0), SQLITE_OK);
	assert_int_equal(frame(&p, 1, 2), SQLITE_OK);
	assert_int_equal(w_write(&p.w.base, hdr, HDR, 32 + HDR + PAGE),
	    SQLITE_OK);
	assert_int_equal(p.w.n, HDR); /* the rewrite, buffered */
	p.real.fail = 1;
	w_shm_barrier(&p.w.base);
	assert_int_not_equal(cgs_wal_vfs_lost(), 0);
	p.real.fail = 0;
	w_shm_barrier(&p.w.base); /* sent now: still remembered */
	assert_int_equal(p.w.n, 0);
	assert_int_not_equal(cgs_wal_vfs_lost(), 0);
	free(p.w.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit_written),
		cmocka_unit_test(test_commit_write_fails),
		cmocka_unit_test(test_barrier_write_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
