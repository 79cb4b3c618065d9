/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The storage interface under db*.c: one connection to one engine, and
 * the statements run on it.  Two engines: SQLite (store_sqlite.c; the
 * target is a file path) and PostgreSQL (store_pg.c, libpq; the target is
 * a postgresql:// or postgres:// URL).  The SQL of db*.c is written once,
 * in the subset both engines read the same (?N placeholders, INSERT ...
 * ON CONFLICT, RETURNING, CASE instead of the two-argument MAX); the few
 * texts that differ (the first migration's types, how a transaction
 * begins, where the schema version lives) are the engine's own, in
 * struct cgs_engine.
 *
 * A statement is prepared once per connection, the first time its SQL is
 * asked for, and kept (the key is the SQL text's address: pass string
 * literals).  Binding copies the value.  A struct cgs_db is used by one
 * thread at a time.  Functions return 0 or a negative proto_err
 * (PROTO_ERR_IO for a database failure, logged with the engine's
 * message).
 */
#ifndef CENTER_STORE_H
#define CENTER_STORE_H

#include <stddef.h>
#include <stdint.h>

#define CGS_STMT_CACHE 96 /* more than the distinct statements of db*.c */

struct cgs_engine;
struct cgs_group;

/* A statement; each engine's begins with this. */
struct cgs_stmt {
	const struct cgs_engine *e;
};

struct cgs_stmt_slot {
	const char *sql; /* the literal's address is the key */
	struct cgs_stmt *st;
};

/* A connection; each engine's begins with this. */
struct cgs_db {
	const struct cgs_engine *e;
	/* the last failure was a conflict with a concurrent transaction
	 * (serialization failure, deadlock, busy): the whole transaction
	 * may be run again; cleared by cgs_db_begin */
	int conflict;
	/* the connection is lost (the server went away): the holder closes
	 * it and opens another */
	int lost;
	/* not NULL: transactions run in this group's batches (group.h) */
	struct cgs_group *group;
	struct cgs_stmt_slot slot[CGS_STMT_CACHE];
};

#define CGS_OPEN_CREATE 1
#define CGS_OPEN_READONLY 2

struct cgs_engine {
	const char *name;
	/* how a read-write transaction begins: one whose isolation alone
	 * keeps it correct (SERIALIZABLE), and one that locks the rows its
	 * decisions rest on (cgs_db_txn_locked) */
	const char *begin, *begin_locked;
	/* locks the rows of the cards whose UAs (hex) ?1 lists, comma
	 * separated, in UA order, until the transaction ends; NULL where the
	 * writer holds the whole database (SQLite) */
	const char *lock_cards;
	/* the schema version: a query answering one integer, and the
	 * statement setting it, the number to follow */
	const char *version_get, *version_set;
	/* run first in the migrating transaction (NULL: nothing) */
	const char *migrate_first;
	/* a query answering 1 if the database holds a center's schema, 0 if
	 * it holds none (NULL: the engine's open tells; SQLite's file) */
	const char *schema_exists;
	/* flags: CGS_OPEN_CREATE (SQLite: the file may be made),
	 * CGS_OPEN_READONLY (nothing written) */
	int (*open)(const char *target, int flags, struct cgs_db **out);
	void (*close)(struct cgs_db *db);
	/* statements without parameters, several separated by ';' */
	int (*exec)(struct cgs_db *db, const char *sql);
	/* the transaction under way rolled back; none (SQLite rolled it
	 * back itself, as on a full disk): nothing done, nothing said */
	void (*rollback)(struct cgs_db *db);
	struct cgs_stmt *(*prepare)(struct cgs_db *db, const char *sql);
	void (*finalize)(struct cgs_stmt *st);
	void (*bind_i64)(struct cgs_stmt *st, int i, int64_t v);
	void (*bind_text)(struct cgs_stmt *st, int i, const char *t);
	void (*bind_blob)(struct cgs_stmt *st, int i, const void *p, size_t n);
	void (*bind_null)(struct cgs_stmt *st, int i);
	int (*step)(struct cgs_stmt *st); /* 1 a row, 0 done, < 0 error */
	/* the rows the last execution of st inserted, updated or deleted,
	 * valid once its step returned 0 (until it is stepped again) */
	int64_t (*changes)(struct cgs_stmt *st);
	/* the rowid the last execution of st inserted, valid as changes is
	 * (SQLite's; NULL on PostgreSQL, whose INSERT ... RETURNING answers
	 * it) */
	int64_t (*inserted_id)(struct cgs_stmt *st);
	void (*reset)(struct cgs_stmt *st); /* results and bindings */
	int (*col_null)(struct cgs_stmt *st, int i);
	int64_t (*col_i64)(struct cgs_stmt *st, int i);
	const char *(*col_text)(struct cgs_stmt *st, int i); /* NULL: null */
	/* valid until the next column or step of st */
	const uint8_t *(*col_blob)(struct cgs_stmt *st, int i, size_t *n);
	/*
	 * SQLite's WAL (NULL on PostgreSQL).  wal_watch: after each commit
	 * on db, fn(arg, frames) with the frames the WAL holds; db no longer
	 * checkpoints on its own (whoever watches does).  checkpoint: copy
	 * the WAL's frames into the database file, from any connection:
	 * CGS_CKPT_PASSIVE those no reader still needs, waiting for nobody;
	 * CGS_CKPT_RESTART all, waiting a little (CGS_CKPT_WAIT_MS) for the
	 * writer and the readers, so that the next writer begins the WAL
	 * again from its start.  *frames: in the WAL; *done: copied.
	 * PROTO_ERR_STATE if it could not finish for another's lock.
	 */
	int (*wal_watch)(struct cgs_db *db, void (*fn)(void *arg, int frames),
	    void *arg);
	/* A file descriptor of db's WAL file of the caller's own (opened
	 * read-only by its path; the caller closes it), for the commit
	 * group's fdatasync beside the connection (group.c tells why). */
	int (*wal_fd)(struct cgs_db *db, int *fd);
	int (*checkpoint)(struct cgs_db *db, int how, int *frames, int *done);
};

#define CGS_CKPT_PASSIVE 0
#define CGS_CKPT_RESTART 1
#define CGS_CKPT_WAIT_MS 50

extern const struct cgs_engine cgs_engine_sqlite, cgs_engine_pg;

/*
 * The rows a PostgreSQL command changed, from the count of its command tag
 * (PQcmdTuples: "1" of "INSERT 0 1", "3" of "UPDATE 3"), text from the
 * server: "" (a command that counts none) is 0, else decimal digits up to
 * INT64_MAX.  PROTO_ERR_FORMAT (not digits, too many) or PROTO_ERR_RANGE
 * (over INT64_MAX), *rows unchanged.
 */
int cgs_pg_tag_rows(const char *count, int64_t *rows);
/* A PostgreSQL integer's text (an int2, int4 or int8 column): an optional
 * '-', then decimal digits, within int64_t.  PROTO_ERR_FORMAT or
 * PROTO_ERR_RANGE, *v unchanged. */
int cgs_pg_int8(const char *text, int64_t *v);

/* The engine a target names: a postgresql:// URL, or a SQLite path. */
const struct cgs_engine *cgs_engine_for(const char *target);

/*
 * The statement for sql, its bindings cleared and its last results
 * dropped; NULL (logged) if preparing fails or the cache is full.
 * Borrowed until the connection closes.
 */
struct cgs_stmt *cgs_stmt(struct cgs_db *db, const char *sql);
/* Finalize every kept statement (before the connection closes). */
void cgs_stmts_free(struct cgs_db *db);
/* A statement of its own, not kept (a test's query): the caller frees it
 * with cgs_stmt_free before the connection closes. */
struct cgs_stmt *cgs_stmt_new(struct cgs_db *db, const char *sql);
void cgs_stmt_free(struct cgs_stmt **st);

/* Parameters are numbered from 1, columns from 0. */
void cgs_bind_i64(struct cgs_stmt *st, int i, int64_t v);
void cgs_bind_text(struct cgs_stmt *st, int i, const char *t);
void cgs_bind_blob(struct cgs_stmt *st, int i, const void *p, size_t n);
void cgs_bind_null(struct cgs_stmt *st, int i);
/* v if has, else NULL */
void cgs_bind_opt(struct cgs_stmt *st, int i, int has, int64_t v);

/* 1: a row is there to read; 0: no more rows (the statement is reset);
 * PROTO_ERR_IO (logged; reset). */
int cgs_step(struct cgs_stmt *st);
/* Drop the rest of the rows. */
void cgs_reset(struct cgs_stmt *st);
/* Step a statement that returns no row, and reset it. */
int cgs_step_done(struct cgs_stmt *st);
/*
 * Step a statement that changes rows (INSERT, UPDATE, DELETE; an upsert),
 * reset it, and tell how many rows it inserted, updated or deleted: an
 * INSERT ... ON CONFLICT DO NOTHING changed 0 when the row was there
 * (SQLite's sqlite3_changes, PostgreSQL's command tag).  Rows it returns
 * (RETURNING) are dropped; none is needed to learn what it did.
 */
int cgs_step_changes(struct cgs_stmt *st, int64_t *changed);
/* Does the query find a row?  The statement is reset for its next use. */
int cgs_step_exists(struct cgs_stmt *st, int *found);

int cgs_col_null(struct cgs_stmt *st, int i);
int64_t cgs_col_i64(struct cgs_stmt *st, int i);
const char *cgs_col_text(struct cgs_stmt *st, int i);
const uint8_t *cgs_col_blob(struct cgs_stmt *st, int i, size_t *n);

#endif
