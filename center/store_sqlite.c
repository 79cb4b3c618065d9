/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SQLite engine (store.h): one file, WAL, synchronous=FULL (a commit
 * is durable when it returns: its frames synced before it is visible to
 * anyone), foreign keys on; a writer waits up to 10 s for another.  (The
 * commit group's writer alone commits with NORMAL and syncs the WAL
 * itself, beside it: group.c.)  The schema version is PRAGMA
 * user_version.
 *
 * Temporary storage in memory: above all the savepoint journals of a
 * commit group's batch (group.c), which copy each page a session first
 * changes; in a file they cost a write each past 64 KiB (7 writes a
 * block at 2 threads), in memory a copy.
 *
 * SQLite's memory statistics are off (counted under one mutex of the
 * process at every allocation, for sqlite3_memory_used, which nothing
 * here asks for).  The files go through store_wal.c's VFS: a commit's
 * WAL frames in one write.
 */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "store.h"
#include "store_wal.h"

#define BUSY_MS 10000
/*
 * The WAL's file cut back to this size whenever a checkpoint lets it
 * begin again: the checkpointer keeps it near 4,300 frames (about 18
 * MB), but a reader holding one snapshot for long lets it grow without
 * bound meanwhile, and the file would keep that size for good.
 */
#define WAL_LIMIT "PRAGMA journal_size_limit=33554432"

struct lite_db {
	struct cgs_db base;
	sqlite3 *sql;
	void (*wal_fn)(void *arg, int frames); /* wal_watch's */
	void *wal_arg;
};

/* The room a statement's text parameters are copied into: a UA, a
 * decoder's identity, a name -- bound without SQLite's copy of each
 * (an allocation and a free a parameter); a longer one is SQLite's to
 * copy. */
#define LITE_TEXT_ROOM 256

struct lite_stmt {
	struct cgs_stmt base;
	struct lite_db *db;
	sqlite3_stmt *st;
	int64_t changes; /* of its last execution, once done */
	int64_t rowid;   /* the rowid that execution inserted */
	/* stepped since its last reset; bound since its bindings were last
	 * cleared: what a reset has to undo (a statement is reset when it is
	 * taken and again when it is done) */
	int live, bound;
	size_t used; /* of text: the texts bound since the last clear */
	char text[LITE_TEXT_ROOM];
};

static struct lite_stmt *
lst(struct cgs_stmt *st)
{
	return (struct lite_stmt *)st;
}

static sqlite3 *
handle(struct cgs_db *db)
{
	return ((struct lite_db *)db)->sql;
}

/* A failure: logged, and noted when another writer held the file. */
static int
failed(struct cgs_db *db, const char *fn, int rc)
{
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		db->conflict = 1;
	proto_log(PROTO_LOG_ERR, "%s: %s", fn, sqlite3_errmsg(handle(db)));
	return PROTO_ERR_IO;
}

static void
lite_close(struct cgs_db *db)
{
	sqlite3_close(handle(db));
	free(db);
}

static int
lite_exec(struct cgs_db *db, const char *sql)
{
	int rc = sqlite3_exec(handle(db), sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : failed(db, __func__, rc);
}

static void
lite_rollback(struct cgs_db *db)
{
	if (!sqlite3_get_autocommit(handle(db)))
		(void)lite_exec(db, "ROLLBACK");
}

static pthread_once_t lite_once = PTHREAD_ONCE_INIT;
static const char *lite_vfs; /* the WAL's writes gathered; NULL: SQLite's */

/* Before SQLite's first use in the process (else it is a no-op). */
static void
lite_init(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (sqlite3_initialize() == SQLITE_OK && cgs_wal_vfs_register() == 0)
		lite_vfs = CGS_WAL_VFS;
}

static int
lite_open(const char *path, int flags, struct cgs_db **out)
{
	int f = SQLITE_OPEN_READWRITE;
	struct lite_db *d;

	(void)pthread_once(&lite_once, lite_init);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return PROTO_ERR_NOMEM;
	d->base.e = &cgs_engine_sqlite;
	if (flags & CGS_OPEN_READONLY)
		f = SQLITE_OPEN_READONLY;
	else if (flags & CGS_OPEN_CREATE)
		f |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &d->sql, f | SQLITE_OPEN_NOMUTEX, lite_vfs) !=
	    SQLITE_OK) {
		proto_log(PROTO_LOG_ERR, "%s: %s: %s", __func__, path,
		    sqlite3_errmsg(d->sql));
		lite_close(&d->base);
		return PROTO_ERR_IO;
	}
	sqlite3_busy_timeout(d->sql, BUSY_MS);
	if ((flags & CGS_OPEN_READONLY) == 0 &&
	    (lite_exec(&d->base, "PRAGMA journal_mode=WAL") != 0 ||
		lite_exec(&d->base, "PRAGMA synchronous=FULL") != 0 ||
		lite_exec(&d->base, "PRAGMA foreign_keys=ON") != 0 ||
		lite_exec(&d->base, "PRAGMA temp_store=MEMORY") != 0 ||
		lite_exec(&d->base, WAL_LIMIT) != 0)) {
		lite_close(&d->base);
		return PROTO_ERR_IO;
	}
	*out = &d->base;
	return 0;
}

static struct cgs_stmt *
lite_prepare(struct cgs_db *db, const char *sql)
{
	struct lite_stmt *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->base.e = db->e;
	s->db = (struct lite_db *)db;
	if (sqlite3_prepare_v3(handle(db), sql, -1, SQLITE_PREPARE_PERSISTENT,
		&s->st, NULL) != SQLITE_OK) {
		(void)failed(db, __func__, SQLITE_ERROR);
		sqlite3_finalize(s->st);
		free(s);
		return NULL;
	}
	return &s->base;
}

static void
lite_finalize(struct cgs_stmt *st)
{
	sqlite3_finalize(lst(st)->st);
	free(st);
}

static void
lite_bind_i64(struct cgs_stmt *st, int i, int64_t v)
{
	lst(st)->bound = 1;
	sqlite3_bind_int64(lst(st)->st, i, v);
}

/* The text copied into the statement's room (it stays there, unchanged,
 * until the bindings are cleared), or by SQLite if it does not fit. */
static void
lite_bind_text(struct cgs_stmt *st, int i, const char *t)
{
	struct lite_stmt *s = lst(st);
	size_t n = strlen(t);

	s->bound = 1;
	if (n >= sizeof(s->text) - s->used) {
		sqlite3_bind_text(s->st, i, t, (int)n, SQLITE_TRANSIENT);
		return;
	}
	memcpy(s->text + s->used, t, n + 1);
	sqlite3_bind_text(s->st, i, s->text + s->used, (int)n, SQLITE_STATIC);
	s->used += n + 1;
}

static void
lite_bind_blob(struct cgs_stmt *st, int i, const void *p, size_t n)
{
	lst(st)->bound = 1;
	sqlite3_bind_blob(lst(st)->st, i, p, (int)n, SQLITE_TRANSIENT);
}

static void
lite_bind_null(struct cgs_stmt *st, int i)
{
	lst(st)->bound = 1;
	sqlite3_bind_null(lst(st)->st, i);
}

static int
lite_step(struct cgs_stmt *st)
{
	int rc;

	lst(st)->live = 1;
	if ((rc = sqlite3_step(lst(st)->st)) == SQLITE_ROW)
		return 1;
	/* before another statement on the connection changes the count */
	lst(st)->changes = rc == SQLITE_DONE ?
	    (int64_t)sqlite3_changes64(handle(&lst(st)->db->base)) :
	    0;
	lst(st)->rowid = sqlite3_last_insert_rowid(handle(&lst(st)->db->base));
	sqlite3_reset(lst(st)->st);
	lst(st)->live = 0;
	return rc == SQLITE_DONE ? 0 : failed(&lst(st)->db->base, __func__, rc);
}

static int64_t
lite_changes(struct cgs_stmt *st)
{
	return lst(st)->changes;
}

static int64_t
lite_inserted_id(struct cgs_stmt *st)
{
	return lst(st)->rowid;
}

static void
lite_reset(struct cgs_stmt *st)
{
	struct lite_stmt *s = lst(st);

	if (s->live)
		sqlite3_reset(s->st);
	if (s->bound)
		sqlite3_clear_bindings(s->st);
	s->live = s->bound = 0;
	s->used = 0;
}

static int
lite_col_null(struct cgs_stmt *st, int i)
{
	return sqlite3_column_type(lst(st)->st, i) == SQLITE_NULL;
}

static int64_t
lite_col_i64(struct cgs_stmt *st, int i)
{
	return sqlite3_column_int64(lst(st)->st, i);
}

static const char *
lite_col_text(struct cgs_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(lst(st)->st, i);
}

static const uint8_t *
lite_col_blob(struct cgs_stmt *st, int i, size_t *n)
{
	const uint8_t *p = sqlite3_column_blob(lst(st)->st, i);

	*n = (size_t)sqlite3_column_bytes(lst(st)->st, i);
	return p;
}

static int
wal_hook(void *arg, sqlite3 *sql, const char *name, int frames)
{
	struct lite_db *d = arg;

	(void)sql;
	(void)name;
	d->wal_fn(d->wal_arg, frames);
	return SQLITE_OK;
}

static int
lite_wal_watch(struct cgs_db *db, void (*fn)(void *arg, int frames), void *arg)
{
	struct lite_db *d = (struct lite_db *)db;

	d->wal_fn = fn;
	d->wal_arg = arg;
	/* in place of the automatic checkpoint's hook */
	(void)sqlite3_wal_hook(d->sql, wal_hook, d);
	return 0;
}

static int
lite_wal_fd(struct cgs_db *db, int *fd)
{
	const char *wal =
	    sqlite3_filename_wal(sqlite3_db_filename(handle(db), "main"));

	if (wal == NULL || (*fd = open(wal, O_RDONLY | O_CLOEXEC)) < 0) {
		proto_log(PROTO_LOG_ERR, "%s: %s: %s", __func__,
		    wal != NULL ? wal : "(no WAL)", strerror(errno));
		return PROTO_ERR_IO;
	}
	return 0;
}

static int
lite_checkpoint(struct cgs_db *db, int how, int *frames, int *done)
{
	int restart = how == CGS_CKPT_RESTART, rc;

	*frames = *done = 0;
	if (restart)
		sqlite3_busy_timeout(handle(db), CGS_CKPT_WAIT_MS);
	rc = sqlite3_wal_checkpoint_v2(handle(db), NULL,
	    restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE,
	    frames, done);
	if (restart)
		sqlite3_busy_timeout(handle(db), BUSY_MS);
	if (rc == SQLITE_BUSY)
		return PROTO_ERR_STATE;
	return rc == SQLITE_OK ? 0 : failed(db, __func__, rc);
}

const struct cgs_engine cgs_engine_sqlite = {
	.name = "sqlite",
	/* the write lock at once: no upgrade from reader to writer fails */
	.begin = "BEGIN IMMEDIATE",
	.begin_locked = "BEGIN IMMEDIATE",
	.lock_cards = NULL, /* one writer at a time: the file is locked */
	.version_get = "PRAGMA user_version",
	.version_set = "PRAGMA user_version = ",
	.migrate_first = NULL,
	.open = lite_open,
	.close = lite_close,
	.exec = lite_exec,
	.rollback = lite_rollback,
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.bind_i64 = lite_bind_i64,
	.bind_text = lite_bind_text,
	.bind_blob = lite_bind_blob,
	.bind_null = lite_bind_null,
	.step = lite_step,
	.changes = lite_changes,
	.inserted_id = lite_inserted_id,
	.reset = lite_reset,
	.col_null = lite_col_null,
	.col_i64 = lite_col_i64,
	.col_text = lite_col_text,
	.col_blob = lite_col_blob,
	.wal_watch = lite_wal_watch,
	.wal_fd = lite_wal_fd,
	.checkpoint = lite_checkpoint,
};
