/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The WAL's writes gathered (store_wal.h).  SQLite appends a commit's
 * frames to the WAL with two writes each (the frame's 24-byte header,
 * then its page), 66 system calls for a commit of 33 pages, and syncs
 * it.  Here a WAL file's contiguous writes are kept in a buffer and go
 * out as one write of up to 127 KiB (2 for those 33 pages): at a
 * commit's last frame (so a commit's frames are in the file when its
 * COMMIT returns, synced or not -- the commit group syncs them itself,
 * beside the writer: group.c), before the file is synced (so what a
 * commit syncs is what SQLite wrote, in the same place), read, truncated, sized,
 * closed, asked anything, locked or unlocked, and before a memory
 * barrier of its shared index -- the moment a commit becomes visible
 * to the other connections, which read the frames from the file.  A
 * write that does not follow the buffer (a frame rewritten in place)
 * sends the buffer out first, so the writes reach the file in SQLite's
 * order.  Every other file, and everything but writes, is the unix
 * VFS's as it is.  On a crash, what was buffered was not synced yet:
 * SQLite had not committed it.
 */
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/proto.h"
#include "store_wal.h"

/* 31 frames of 4 KiB pages: the unix VFS writes at most 128 KiB - 1 in
 * one call (it masks the length with 0x1ffff) */
#define WAL_BUF (127 * 1024)

struct wal_file {
	sqlite3_file base;  /* our methods */
	sqlite3_file *real; /* the unix VFS's file, right after this */
	int wal;            /* a WAL: its writes gathered */
	unsigned char *buf; /* the writes not sent yet (made at the first) */
	sqlite3_int64 at;   /* where buf's first byte goes */
	int n;              /* bytes in buf */
	int commit;         /* the next write is a commit frame's page */
};

static sqlite3_vfs *unix_vfs;
static atomic_int wal_lost; /* a WAL write failed where none could fail */

static struct wal_file *
wf(sqlite3_file *f)
{
	return (struct wal_file *)f;
}

/* The buffer sent out: SQLITE_OK, or the write's error (the buffer then
 * kept, for the next try). */
static int
flush(struct wal_file *f)
{
	int rc;

	if (f->n == 0)
		return SQLITE_OK;
	if ((rc = f->real->pMethods->xWrite(f->real, f->buf, f->n, f->at)) ==
	    SQLITE_OK)
		f->n = 0;
	return rc;
}

static int
w_close(sqlite3_file *file)
{
	struct wal_file *f = wf(file);
	int rc = flush(f), rc2 = f->real->pMethods->xClose(f->real);

	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
w_read(sqlite3_file *file, void *p, int n, sqlite3_int64 off)
{
	struct wal_file *f = wf(file);
	int rc = flush(f);

	return rc != SQLITE_OK ? rc :
				 f->real->pMethods->xRead(f->real, p, n, off);
}

/*
 * Is this write a WAL frame's header that ends a transaction?  A frame's
 * header is 24 bytes, the database's size in pages after the commit at
 * bytes 4-7 (big-endian), zero but in a commit frame; SQLite writes the
 * header, then the page.  (Another 24-byte write taken for one -- a
 * header rewritten with its checksums -- costs only an early write.)
 */
static int
commit_header(const void *p, int n)
{
	const unsigned char *h = p;

	return n == 24 && (h[4] | h[5] | h[6] | h[7]) != 0;
}

static int
w_write(sqlite3_file *file, const void *p, int n, sqlite3_int64 off)
{
	struct wal_file *f = wf(file);
	int commit = f->commit, rc;

	f->commit = f->wal && commit_header(p, n);
	if (f->wal && f->buf == NULL)
		f->buf = malloc(WAL_BUF); /* none: written as they come */
	if (f->buf == NULL)
		return f->real->pMethods->xWrite(f->real, p, n, off);
	if (f->n > 0 && (off != f->at + f->n || n > WAL_BUF - f->n) &&
	    (rc = flush(f)) != SQLITE_OK)
		return rc;
	if (n > WAL_BUF)
		return f->real->pMethods->xWrite(f->real, p, n, off);
	if (f->n == 0)
		f->at = off;
	memcpy(f->buf + f->n, p, (size_t)n);
	f->n += n;
	/* a commit's last frame: the frames go out now, and a failure
	 * fails the commit -- before it is published (w_shm_barrier) */
	return commit ? flush(f) : SQLITE_OK;
}

static int
w_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct wal_file *f = wf(file);
	int rc = flush(f);

	return rc != SQLITE_OK ? rc :
				 f->real->pMethods->xTruncate(f->real, size);
}

static int
w_sync(sqlite3_file *file, int flags)
{
	struct wal_file *f = wf(file);
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int
w_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct wal_file *f = wf(file);
	int rc = flush(f);

	return rc != SQLITE_OK ? rc :
				 f->real->pMethods->xFileSize(f->real, size);
}

static int
w_lock(sqlite3_file *file, int lock)
{
	struct wal_file *f = wf(file);
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xLock(f->real, lock);
}

static int
w_unlock(sqlite3_file *file, int lock)
{
	struct wal_file *f = wf(file);
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xUnlock(f->real, lock);
}

static int
w_check_reserved(sqlite3_file *file, int *out)
{
	return wf(file)->real->pMethods->xCheckReservedLock(wf(file)->real,
	    out);
}

static int
w_file_control(sqlite3_file *file, int op, void *arg)
{
	struct wal_file *f = wf(file);
	int rc = flush(f);

	return rc != SQLITE_OK ?
	    rc :
	    f->real->pMethods->xFileControl(f->real, op, arg);
}

static int
w_sector_size(sqlite3_file *file)
{
	return wf(file)->real->pMethods->xSectorSize(wf(file)->real);
}

static int
w_device(sqlite3_file *file)
{
	return wf(file)->real->pMethods->xDeviceCharacteristics(wf(file)->real);
}

static int
w_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **p)
{
	return wf(file)->real->pMethods->xShmMap(wf(file)->real, pg, pgsz,
	    extend, p);
}

static int
w_shm_lock(sqlite3_file *file, int off, int n, int flags)
{
	struct wal_file *f = wf(file);
	int rc = flush(f);

	return rc != SQLITE_OK ?
	    rc :
	    f->real->pMethods->xShmLock(f->real, off, n, flags);
}

/*
 * Before the index's header changes (a commit published): the frames
 * are in the file already -- sent at the commit frame's page (w_write),
 * whose failure failed the commit; with synchronous=NORMAL no sync comes
 * between, so that write is what puts them in the file before anyone
 * reads them.  What can still be buffered here: the frame headers SQLite
 * rewrites with their checksums after a commit frame (a transaction
 * that rewrote a frame it had spilled), the commit frame's last.  A
 * failure here has no way out (the commit is published whatever this
 * returns), so it is remembered: the commit group then takes it as a
 * failed sync (cgs_wal_vfs_lost), and acknowledges nothing more.
 */
static void
w_shm_barrier(sqlite3_file *file)
{
	struct wal_file *f = wf(file);

	if (flush(f) != SQLITE_OK)
		atomic_store(&wal_lost, 1);
	f->real->pMethods->xShmBarrier(f->real);
}

static int
w_shm_unmap(sqlite3_file *file, int del)
{
	return wf(file)->real->pMethods->xShmUnmap(wf(file)->real, del);
}

static int
w_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **p)
{
	struct wal_file *f = wf(file);
	int rc = flush(f);

	return rc != SQLITE_OK ? rc :
				 f->real->pMethods->xFetch(f->real, off, n, p);
}

static int
w_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	return wf(file)->real->pMethods->xUnfetch(wf(file)->real, off, p);
}

static const sqlite3_io_methods wal_methods = {
	.iVersion = 3,
	.xClose = w_close,
	.xRead = w_read,
	.xWrite = w_write,
	.xTruncate = w_truncate,
	.xSync = w_sync,
	.xFileSize = w_file_size,
	.xLock = w_lock,
	.xUnlock = w_unlock,
	.xCheckReservedLock = w_check_reserved,
	.xFileControl = w_file_control,
	.xSectorSize = w_sector_size,
	.xDeviceCharacteristics = w_device,
	.xShmMap = w_shm_map,
	.xShmLock = w_shm_lock,
	.xShmBarrier = w_shm_barrier,
	.xShmUnmap = w_shm_unmap,
	.xFetch = w_fetch,
	.xUnfetch = w_unfetch,
};

static int
v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
    int *out_flags)
{
	struct wal_file *f = wf(file);
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	f->wal = (flags & SQLITE_OPEN_WAL) != 0;
	rc = unix_vfs->xOpen(unix_vfs, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK)
		return rc;
	if (f->real->pMethods == NULL)
		return SQLITE_CANTOPEN;
	f->base.pMethods = &wal_methods;
	return SQLITE_OK;
}

/* The rest of the VFS: the unix one's. */
static int
v_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	(void)vfs;
	return unix_vfs->xDelete(unix_vfs, name, sync);
}

static int
v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return unix_vfs->xAccess(unix_vfs, name, flags, out);
}

static int
v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return unix_vfs->xFullPathname(unix_vfs, name, n, out);
}

static int
v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return unix_vfs->xRandomness(unix_vfs, n, out);
}

static int
v_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return unix_vfs->xSleep(unix_vfs, us);
}

static int
v_current_time(sqlite3_vfs *vfs, double *t)
{
	(void)vfs;
	return unix_vfs->xCurrentTime(unix_vfs, t);
}

static int
v_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return unix_vfs->xGetLastError(unix_vfs, n, out);
}

static int
v_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *t)
{
	(void)vfs;
	return unix_vfs->xCurrentTimeInt64(unix_vfs, t);
}

static void *
v_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return unix_vfs->xDlOpen(unix_vfs, name);
}

static void
v_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	unix_vfs->xDlError(unix_vfs, n, out);
}

static void (*v_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return unix_vfs->xDlSym(unix_vfs, h, sym);
}

static void
v_dl_close(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	unix_vfs->xDlClose(unix_vfs, h);
}

static sqlite3_vfs wal_vfs = {
	.iVersion = 2,
	.zName = CGS_WAL_VFS,
	.xOpen = v_open,
	.xDelete = v_delete,
	.xAccess = v_access,
	.xFullPathname = v_full_pathname,
	.xDlOpen = v_dl_open,
	.xDlError = v_dl_error,
	.xDlSym = v_dl_sym,
	.xDlClose = v_dl_close,
	.xRandomness = v_randomness,
	.xSleep = v_sleep,
	.xCurrentTime = v_current_time,
	.xGetLastError = v_last_error,
	.xCurrentTimeInt64 = v_current_time64,
};

int
cgs_wal_vfs_lost(void)
{
	return atomic_load(&wal_lost);
}

int
cgs_wal_vfs_register(void)
{
	if ((unix_vfs = sqlite3_vfs_find(NULL)) == NULL)
		return PROTO_ERR_IO;
	wal_vfs.szOsFile = (int)sizeof(struct wal_file) + unix_vfs->szOsFile;
	wal_vfs.mxPathname = unix_vfs->mxPathname;
	return sqlite3_vfs_register(&wal_vfs, 0) == SQLITE_OK ? 0 :
								PROTO_ERR_IO;
}
