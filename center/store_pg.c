/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PostgreSQL engine (store.h), through libpq: one connection per
 * struct cgs_db, every statement prepared once on it (named s1, s2, ...)
 * with the ?N placeholders of db*.c rewritten as $N.  Parameters go as
 * text (integers in decimal) or binary (blobs); results come as text
 * (bytea as \x hex, turned back into bytes).
 *
 * A session's transaction is READ COMMITTED and begins by locking the
 * rows of the cards it touches (lock_cards); an operator's is
 * SERIALIZABLE.  A transaction that would see or write something a
 * concurrent one changed (another centerd instance on the same card)
 * waits for the row lock, or fails with SQLSTATE 40001 (serializable
 * only), or 40P01 for a deadlock, and is run again whole by its caller
 * (cgs_db_conflicted).  Exactly once rests on that and on the unique
 * keys, never on a lock in the process (center/README.md gives the
 * argument).  A commit is durable when it returns (the server's
 * synchronous_commit).
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "db_name.h"
#include "store.h"

#define PG_MAX_PARAMS 32 /* more than any statement of db*.c binds */
#define PG_NUM_LEN 24    /* an int64 in decimal, its sign and NUL */

struct pg_db {
	struct cgs_db base;
	PGconn *conn;
	unsigned n_prepared; /* names the next statement */
};

struct pg_stmt {
	struct cgs_stmt base;
	struct pg_db *db;
	char name[16];
	int nparams;
	/* each parameter: NULL, a number, text or bytes (owned copies) */
	char *val[PG_MAX_PARAMS];
	int len[PG_MAX_PARAMS], fmt[PG_MAX_PARAMS];
	PGresult *res;       /* the rows of the last execution */
	int64_t changes;     /* its command tag's count, once done */
	int row;             /* the row a column read reads */
	unsigned char *blob; /* the last blob column, unescaped */
};

static struct pg_stmt *
pst(struct cgs_stmt *st)
{
	return (struct pg_stmt *)st;
}

static PGconn *
conn_of(struct cgs_db *db)
{
	return ((struct pg_db *)db)->conn;
}

/* Is res a failure?  Logged (by fn), and noted when a concurrent
 * transaction caused it. */
static int
failed(struct cgs_db *db, const char *fn, const PGresult *res)
{
	const char *state;
	ExecStatusType s = PQresultStatus(res);

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return 0;
	if (PQstatus(conn_of(db)) == CONNECTION_BAD)
		db->lost = 1;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state != NULL &&
	    (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)) {
		db->conflict = 1;
		proto_log(PROTO_LOG_INFO, "%s: %s", fn,
		    PQerrorMessage(conn_of(db)));
	} else if (!db->conflict) {
		/* after a conflict, the rest of the transaction only fails */
		proto_log(PROTO_LOG_ERR, "%s: %s", fn,
		    PQerrorMessage(conn_of(db)));
	}
	return PROTO_ERR_IO;
}

static void
pg_close(struct cgs_db *db)
{
	PQfinish(conn_of(db));
	free(db);
}

static int
pg_exec(struct cgs_db *db, const char *sql)
{
	PGresult *res = PQexec(conn_of(db), sql);
	int rc = failed(db, __func__, res);

	PQclear(res);
	return rc;
}

static void
pg_rollback(struct cgs_db *db)
{
	if (PQtransactionStatus(conn_of(db)) != PQTRANS_IDLE)
		(void)pg_exec(db, "ROLLBACK");
}

/*
 * The limit a server's refusal names (SQLSTATE 53300, which libpq keeps
 * only in the text): the setting to look at, or NULL for another refusal.
 */
static const char *
full_limit(const char *msg)
{
	if (strstr(msg, "too many clients") != NULL ||
	    strstr(msg, "remaining connection slots are reserved") != NULL)
		return "its max_connections";
	if (strstr(msg, "too many connections for role") != NULL)
		return "the role's CONNECTION LIMIT";
	if (strstr(msg, "too many connections for database") != NULL)
		return "the database's CONNECTION LIMIT";
	return NULL;
}

/* Why url could not be opened: libpq's message with url's passwords
 * hidden (it may quote the URL), and, when the server is full, what to
 * change. */
static void
log_refused(const char *fn, const char *url, const PGconn *conn)
{
	char msg[CGS_DB_NAME_MAX + 1024];
	const char *e = PQerrorMessage(conn), *limit = full_limit(e);

	cgs_db_scrub(url, e, msg, sizeof(msg));
	proto_log(PROTO_LOG_ERR, "%s: %s", fn, msg);
	if (limit != NULL)
		proto_log(PROTO_LOG_ERR,
		    "%s: PostgreSQL is full: %s is reached (SQLSTATE 53300, "
		    "too many clients).  centerd opens one connection per "
		    "session it serves at once (at most -n) and one for its "
		    "console: the -n of all instances on that server, with "
		    "room left for centerctl and other clients, must stay "
		    "under it",
		    fn, limit);
}

static int
pg_open(const char *url, int flags, struct cgs_db **out)
{
	struct pg_db *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return PROTO_ERR_NOMEM;
	d->base.e = &cgs_engine_pg;
	d->conn = PQconnectdb(url);
	if (PQstatus(d->conn) != CONNECTION_OK) {
		log_refused(__func__, url, d->conn);
		pg_close(&d->base);
		return PROTO_ERR_IO;
	}
	/* notices (CREATE ... IF NOT EXISTS) are not the log's business */
	if (pg_exec(&d->base, "SET client_min_messages = error") != 0 ||
	    ((flags & CGS_OPEN_READONLY) &&
		pg_exec(&d->base, "SET default_transaction_read_only = on") !=
		    0)) {
		pg_close(&d->base);
		return PROTO_ERR_IO;
	}
	*out = &d->base;
	return 0;
}

/*
 * sql with each ?N as $N and each bare ? as the next number, as SQLite
 * numbers them (one more than the largest so far); quoted text is left
 * alone.  *n: the largest number; used[i]: $i+1 appears.
 */
static char *
rewrite(const char *sql, int *n, int used[PG_MAX_PARAMS])
{
	size_t cap = 2 * strlen(sql) + 1, o = 0;
	char *out = malloc(cap);
	int quoted = 0, max = 0;

	if (out == NULL)
		return NULL;
	for (const char *p = sql; *p != '\0'; p++) {
		long k;
		char *end;

		if (*p == '\'')
			quoted = !quoted;
		if (quoted || *p != '?') {
			out[o++] = *p;
			continue;
		}
		k = strtol(p + 1, &end, 10);
		if (end == p + 1)
			k = max + 1;
		if (k < 1 || k > PG_MAX_PARAMS || o + 4 > cap) {
			free(out);
			return NULL;
		}
		max = k > max ? (int)k : max;
		used[k - 1] = 1;
		o += (size_t)snprintf(out + o, cap - o, "$%ld", k);
		p = end - 1;
	}
	out[o] = '\0';
	*n = max;
	return out;
}

static struct cgs_stmt *
pg_prepare(struct cgs_db *db, const char *sql)
{
	struct pg_db *d = (struct pg_db *)db;
	Oid types[PG_MAX_PARAMS] = { 0 };
	int used[PG_MAX_PARAMS] = { 0 };
	struct pg_stmt *s;
	PGresult *res = NULL;
	char *text = NULL;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (text = rewrite(sql, &s->nparams, used)) == NULL) {
		proto_log(PROTO_LOG_ERR, "%s: cannot prepare %s", __func__,
		    sql);
		goto fail;
	}
	/* a number no placeholder uses still needs a type */
	for (int i = 0; i < s->nparams; i++)
		types[i] = used[i] ? 0 : 25; /* text */
	s->base.e = db->e;
	s->db = d;
	(void)snprintf(s->name, sizeof(s->name), "s%u", ++d->n_prepared);
	res = PQprepare(d->conn, s->name, text, s->nparams, types);
	if (failed(db, __func__, res) != 0)
		goto fail;
	PQclear(res);
	free(text);
	return &s->base;
fail:
	PQclear(res);
	free(text);
	free(s);
	return NULL;
}

static void
drop_results(struct pg_stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	PQfreemem(s->blob);
	s->blob = NULL;
}

static void
pg_reset(struct cgs_stmt *st)
{
	struct pg_stmt *s = pst(st);

	drop_results(s);
	for (int i = 0; i < PG_MAX_PARAMS; i++) {
		free(s->val[i]);
		s->val[i] = NULL;
	}
}

static void
pg_finalize(struct cgs_stmt *st)
{
	char sql[32];

	pg_reset(st);
	(void)snprintf(sql, sizeof(sql), "DEALLOCATE %s", pst(st)->name);
	PQclear(PQexec(pst(st)->db->conn, sql));
	free(st);
}

/* Parameter i (from 1) holds a copy of n bytes at p, in format fmt. */
static void
bind(struct cgs_stmt *st, int i, const void *p, size_t n, int fmt)
{
	struct pg_stmt *s = pst(st);

	if (i < 1 || i > PG_MAX_PARAMS || n > (size_t)INT32_MAX)
		return;
	free(s->val[i - 1]);
	s->val[i - 1] = NULL;
	if (p == NULL || (s->val[i - 1] = malloc(n + 1)) == NULL)
		return; /* NULL; out of memory shows as a NULL constraint */
	memcpy(s->val[i - 1], p, n);
	s->val[i - 1][n] = '\0';
	s->len[i - 1] = (int)n;
	s->fmt[i - 1] = fmt;
}

static void
pg_bind_i64(struct cgs_stmt *st, int i, int64_t v)
{
	char num[PG_NUM_LEN];
	int n = snprintf(num, sizeof(num), "%lld", (long long)v);

	bind(st, i, num, (size_t)n, 0);
}

static void
pg_bind_text(struct cgs_stmt *st, int i, const char *t)
{
	bind(st, i, t, t != NULL ? strlen(t) : 0, 0);
}

static void
pg_bind_blob(struct cgs_stmt *st, int i, const void *p, size_t n)
{
	bind(st, i, p, n, 1);
}

static void
pg_bind_null(struct cgs_stmt *st, int i)
{
	bind(st, i, NULL, 0, 0);
}

/* The PostgreSQL types whose text is an integer (pg_type.dat's OIDs). */
#define PG_INT8OID 20
#define PG_INT2OID 21
#define PG_INT4OID 23

/*
 * The row s->row, text from the server, read before any column of it is
 * used: each integer column an integer (cgs_pg_int8), else the row is
 * refused, saying which column and what it held.
 */
static int
row_valid(const struct pg_stmt *s)
{
	int64_t v;

	for (int i = 0; i < PQnfields(s->res); i++) {
		Oid t = PQftype(s->res, i);
		const char *text;

		if ((t != PG_INT8OID && t != PG_INT4OID && t != PG_INT2OID) ||
		    PQgetisnull(s->res, s->row, i))
			continue;
		text = PQgetvalue(s->res, s->row, i);
		if (cgs_pg_int8(text, &v) != 0) {
			proto_log(PROTO_LOG_ERR,
			    "pg_step: the server's row: column %d (%.40s) "
			    "holds \"%.40s\", not a 64-bit integer",
			    i + 1, PQfname(s->res, i), text);
			return PROTO_ERR_IO;
		}
	}
	return 0;
}

static int
pg_step(struct cgs_stmt *st)
{
	struct pg_stmt *s = pst(st);
	int rc;

	if (s->res == NULL) {
		s->res = PQexecPrepared(s->db->conn, s->name, s->nparams,
		    (const char *const *)s->val, s->len, s->fmt, 0);
		s->row = -1;
		s->changes = 0;
		if (failed(&s->db->base, __func__, s->res) != 0) {
			pg_reset(st);
			return PROTO_ERR_IO;
		}
		/* text from the server: "INSERT 0 1", "UPDATE 3", "BEGIN" */
		rc = cgs_pg_tag_rows(PQcmdTuples(s->res), &s->changes);
		if (rc != 0) {
			proto_log(PROTO_LOG_ERR,
			    "%s: the server's command tag \"%.40s\": its row "
			    "count is %s",
			    __func__, PQcmdStatus(s->res),
			    rc == PROTO_ERR_RANGE ? "over a 64-bit count" :
						    "not a decimal number");
			pg_reset(st);
			return PROTO_ERR_IO;
		}
	}
	PQfreemem(s->blob);
	s->blob = NULL;
	if (++s->row < PQntuples(s->res)) {
		if (row_valid(s) == 0)
			return 1;
		pg_reset(st);
		return PROTO_ERR_IO;
	}
	pg_reset(st);
	return 0;
}

static int64_t
pg_changes(struct cgs_stmt *st)
{
	return pst(st)->changes;
}

static int
pg_col_null(struct cgs_stmt *st, int i)
{
	return PQgetisnull(pst(st)->res, pst(st)->row, i);
}

/* An integer column was checked with its row (row_valid); another type
 * read as one (a numeric's SUM) must hold one too, else it reads 0, said
 * in the log. */
static int64_t
pg_col_i64(struct cgs_stmt *st, int i)
{
	const struct pg_stmt *s = pst(st);
	const char *text;
	int64_t v = 0;

	if (pg_col_null(st, i))
		return 0;
	text = PQgetvalue(s->res, s->row, i);
	if (cgs_pg_int8(text, &v) != 0)
		proto_log(PROTO_LOG_ERR,
		    "%s: column %d (%.40s) holds \"%.40s\", not a 64-bit "
		    "integer: read as 0",
		    __func__, i + 1, PQfname(s->res, i), text);
	return v;
}

static const char *
pg_col_text(struct cgs_stmt *st, int i)
{
	return pg_col_null(st, i) ? NULL :
				    PQgetvalue(pst(st)->res, pst(st)->row, i);
}

static const uint8_t *
pg_col_blob(struct cgs_stmt *st, int i, size_t *n)
{
	struct pg_stmt *s = pst(st);
	const char *t = pg_col_text(st, i);

	PQfreemem(s->blob);
	s->blob = NULL;
	*n = 0;
	if (t != NULL)
		s->blob = PQunescapeBytea((const unsigned char *)t, n);
	return s->blob;
}

const struct cgs_engine cgs_engine_pg = {
	.name = "postgresql",
	.begin = "BEGIN ISOLATION LEVEL SERIALIZABLE",
	.begin_locked = "BEGIN ISOLATION LEVEL READ COMMITTED",
	/* in UA order (the lock rows come out sorted), so that two sessions
	 * locking the same cards never wait for each other in a cycle */
	.lock_cards = "SELECT 1 FROM cards WHERE ua = ANY "
		      "(string_to_array(?1, ',')) ORDER BY ua "
		      "FOR NO KEY UPDATE",
	.version_get = "SELECT version FROM schema_version",
	.version_set = "DELETE FROM schema_version;"
		       "INSERT INTO schema_version (version) SELECT ",
	/* instances starting together: one migrates, the others wait for
	 * it and find the version moved (a lock of the database's) */
	.migrate_first = "SELECT pg_advisory_xact_lock(7458421);"
			 "CREATE TABLE IF NOT EXISTS schema_version ("
			 " version INTEGER NOT NULL)",
	/* what the first migration makes: a database without it is empty */
	.schema_exists = "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE "
			 "schemaname = current_schema() AND "
			 "tablename = 'schema_version'",
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.rollback = pg_rollback,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.bind_i64 = pg_bind_i64,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.changes = pg_changes,
	.reset = pg_reset,
	.col_null = pg_col_null,
	.col_i64 = pg_col_i64,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
};
