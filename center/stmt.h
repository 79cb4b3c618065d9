/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Prepared statements kept per database connection: each SQL text is
 * prepared once, the first time it is asked for, and reused by every
 * later session on that connection, so a session parses no SQL.  The
 * cache holds no SQL of its own; the statements are db.c's and
 * db_session.c's.
 */
#ifndef CENTER_STMT_H
#define CENTER_STMT_H

#include <sqlite3.h>

#define CGS_STMT_CACHE 64 /* more than the distinct statements of db*.c */

struct cgs_stmts;

/* A cache for connection sql (borrowed: it must outlive the cache). */
int cgs_stmts_new(sqlite3 *sql, struct cgs_stmts **out);
/* Finalize every statement (before the connection closes); NULL is fine. */
void cgs_stmts_free(struct cgs_stmts **c);
/*
 * The statement for sql, its bindings cleared.  The key is the address
 * of sql, so pass a string literal (or storage that lives as long as the
 * cache).  NULL (logged) if preparing fails or the cache is full.  The
 * statement is borrowed until cgs_stmts_free; reset it after use (the
 * step helpers below do).
 */
sqlite3_stmt *cgs_stmts_get(struct cgs_stmts *c, const char *sql);

/* Step a statement that returns no row, and reset it. */
int cgs_step_done(sqlite3_stmt *st);
/* Does the query find a row?  The statement is reset for its next use. */
int cgs_step_exists(sqlite3_stmt *st, int *found);

#endif
