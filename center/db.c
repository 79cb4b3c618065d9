/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L /* fchmod */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "db.h"
#include "db_name.h"
#include "store.h"

int
cgs_db_exec(struct cgs_db *db, const char *sql)
{
	return db->e->exec(db, sql);
}

/*
 * A SQLite database and the -wal and -shm files beside it are 0600: they
 * hold the ledger.  SQLite makes those two with the database's own mode,
 * so a database made here is made 0600 first; one made looser before (or
 * by another program) is tightened.
 */
static int
db_private(const char *path, int create)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[PATH_MAX], name[CGS_DB_NAME_MAX];
	struct stat st;
	int fd;

	/* named as everywhere: a path that looks like a URL shows no
	 * password (a misspelt PostgreSQL URL never comes here: refused) */
	cgs_db_name(path, name, sizeof(name));
	if (create) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			(void)close(fd);
		else if (errno != EEXIST) {
			proto_log(PROTO_LOG_ERR, "%s: %s: %s", __func__, name,
			    strerror(errno));
			return PROTO_ERR_IO;
		}
	}
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		if ((size_t)snprintf(p, sizeof(p), "%s%s", path, suffix[i]) >=
		    sizeof(p))
			return PROTO_ERR_TOOBIG;
		if (stat(p, &st) != 0 || (st.st_mode & 077) == 0)
			continue;
		if (chmod(p, 0600) != 0) {
			proto_log(PROTO_LOG_ERR, "%s: %s%s: %s", __func__, name,
			    suffix[i], strerror(errno));
			return PROTO_ERR_IO;
		}
	}
	return 0;
}

/* Is target a SQLite file of ours (not PostgreSQL, not one of SQLite's
 * names that are no file: tests' and tools')? */
static int
sqlite_file(const char *target)
{
	return cgs_engine_for(target) == &cgs_engine_sqlite &&
	    strcmp(target, ":memory:") != 0 && strncmp(target, "file:", 5) != 0;
}

/* A database that must exist (not CGS_OPEN_CREATE) holds a schema:
 * PROTO_ERR_NOTFOUND if it is empty (PostgreSQL's, as made by createdb). */
static int
db_has_schema(struct cgs_db *db)
{
	struct cgs_stmt *st;
	int rc, n = 0;

	if (db->e->schema_exists == NULL)
		return 0;
	if ((st = cgs_stmt(db, db->e->schema_exists)) == NULL)
		return PROTO_ERR_IO;
	if ((rc = cgs_step(st)) == 1)
		n = (int)cgs_col_i64(st, 0);
	cgs_reset(st);
	if (rc < 0)
		return rc;
	return n > 0 ? 0 : PROTO_ERR_NOTFOUND;
}

/* Open target with the engine's flags (CGS_OPEN_*); writable: its schema
 * brought up to date; read-only: its schema must be this build's.
 * Without CGS_OPEN_CREATE, an empty database is PROTO_ERR_NOTFOUND and
 * nothing is made in it. */
static int
db_open(const char *target, int flags, struct cgs_db **out)
{
	const struct cgs_engine *e = cgs_engine_for(target);
	struct cgs_db *db = NULL;
	int v = 0, rc;

	if ((rc = e->open(target, flags, &db)) != 0)
		return rc;
	if ((flags & CGS_OPEN_CREATE) == 0)
		rc = db_has_schema(db);
	if (rc == 0 && (flags & CGS_OPEN_READONLY) == 0) {
		rc = cgs_db_migrate(db);
		rc = rc == PROTO_ERR_STATE ? rc : rc != 0 ? PROTO_ERR_IO : 0;
	} else if (rc == 0 && (rc = cgs_db_version(db, &v)) == 0 &&
	    v != CGS_DB_VERSION) {
		proto_log(PROTO_LOG_ERR,
		    "%s: the database is at schema version %d, this program's "
		    "is %d",
		    __func__, v, CGS_DB_VERSION);
		rc = PROTO_ERR_STATE;
	}
	if (rc != 0)
		cgs_db_close(&db);
	else
		*out = db;
	return rc;
}

/* A target that begins with PostgreSQL's scheme misspelt is refused,
 * not made a SQLite file of that name: PROTO_ERR_ARG. */
static int
misspelt(const char *target)
{
	char name[CGS_DB_NAME_MAX];

	if (!cgs_db_url_misspelt(target))
		return 0;
	cgs_db_name(target, name, sizeof(name));
	proto_log(PROTO_LOG_ERR,
	    "the database %s: not a PostgreSQL URL: one begins "
	    "postgresql:// or postgres://, in lower case, and this is no "
	    "SQLite file's name either",
	    name);
	return PROTO_ERR_ARG;
}

int
cgs_db_open(const char *target, struct cgs_db **out)
{
	int rc;

	if ((rc = misspelt(target)) != 0)
		return rc;
	if (sqlite_file(target) && (rc = db_private(target, 1)) != 0)
		return rc;
	return db_open(target, CGS_OPEN_CREATE, out);
}

int
cgs_db_open_existing(const char *target, int readonly, struct cgs_db **out)
{
	struct stat st;
	int rc;

	if ((rc = misspelt(target)) != 0)
		return rc;
	if (sqlite_file(target)) {
		/* the cause said (EACCES), not SQLite's "unable to open" */
		if (stat(target, &st) != 0)
			return errno == ENOENT ? PROTO_ERR_NOTFOUND :
						 proto_err_sys(errno);
		if (access(target, readonly ? R_OK : R_OK | W_OK) != 0)
			return proto_err_sys(errno);
		if (!readonly && (rc = db_private(target, 0)) != 0)
			return rc;
	}
	return db_open(target, readonly ? CGS_OPEN_READONLY : 0, out);
}

void
cgs_db_close(struct cgs_db **dbp)
{
	if (dbp == NULL || *dbp == NULL)
		return;
	cgs_stmts_free(*dbp);
	(*dbp)->e->close(*dbp);
	*dbp = NULL;
}

const char *
cgs_db_engine(const struct cgs_db *db)
{
	return db->e->name;
}

void
cgs_db_bind_ua(struct cgs_stmt *st, int col, const uint8_t ua[PROTO_UA_LEN])
{
	char h[2 * PROTO_UA_LEN + 1];

	proto_hex(ua, PROTO_UA_LEN, h);
	cgs_bind_text(st, col, h);
}

int
cgs_card_register(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    const uint8_t pub[PROTO_EC_PUB_LEN], const uint8_t versions[4])
{
	struct proto_ec_pub *k = NULL;
	struct cgs_card c;
	struct cgs_stmt *st;
	char vh[9];
	int rc;

	/* a key that is no point of the curve could never verify a block */
	if ((rc = proto_ec_pub_new(pub, &k)) != 0)
		return rc;
	proto_ec_pub_free(&k);
	if ((rc = cgs_card_get(db, ua, &c)) == 0)
		return memcmp(c.pub, pub, PROTO_EC_PUB_LEN) == 0 ?
		    0 :
		    PROTO_ERR_EXISTS;
	if (rc != PROTO_ERR_NOTFOUND)
		return rc;
	if ((st = cgs_stmt(db,
		 "INSERT INTO cards (ua, public_key, versions, status, "
		 "registered_at) VALUES (?, ?, ?, ?, ?)")) == NULL)
		return PROTO_ERR_IO;
	proto_hex(versions, 4, vh);
	cgs_db_bind_ua(st, 1, ua);
	cgs_bind_blob(st, 2, pub, PROTO_EC_PUB_LEN);
	cgs_bind_text(st, 3, vh);
	cgs_bind_text(st, 4, CGS_ISSUED);
	cgs_bind_i64(st, 5, (int64_t)time(NULL));
	return cgs_step_done(st);
}

int
cgs_card_from_row(struct cgs_stmt *st, const uint8_t ua[PROTO_UA_LEN],
    struct cgs_card *c)
{
	const uint8_t *pub;
	const char *status, *via;
	size_t n;
	int rc = cgs_step(st);

	if (rc <= 0)
		return rc == 0 ? PROTO_ERR_NOTFOUND : rc;
	if ((pub = cgs_col_blob(st, 0, &n)) == NULL || n != PROTO_EC_PUB_LEN ||
	    (status = cgs_col_text(st, 1)) == NULL) {
		proto_log(PROTO_LOG_ERR, "%s: a card row is damaged", __func__);
		return PROTO_ERR_IO;
	}
	memcpy(c->ua, ua, PROTO_UA_LEN);
	memcpy(c->pub, pub, PROTO_EC_PUB_LEN);
	snprintf(c->status, sizeof(c->status), "%s", status);
	c->last_block_seq = (uint32_t)cgs_col_i64(st, 2);
	c->cmd_counter = (uint32_t)cgs_col_i64(st, 3);
	c->cmd_ctr_seen = (uint32_t)cgs_col_i64(st, 4);
	c->max_invoiced = cgs_col_i64(st, 5);
	c->bcast_counter = (uint32_t)cgs_col_i64(st, 6);
	c->bcast_ctr_seen = (uint32_t)cgs_col_i64(st, 7);
	c->revoked = !cgs_col_null(st, 8);
	via = cgs_col_text(st, 9);
	snprintf(c->seen_via, sizeof(c->seen_via), "%s",
	    via != NULL ? via : "");
	return 0;
}

int
cgs_card_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    struct cgs_card *c)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "SELECT " CGS_CARD_COLUMNS " FROM cards c WHERE ua = ?");
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	rc = cgs_card_from_row(st, ua, c);
	cgs_reset(st);
	return rc;
}

int
cgs_card_key(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint8_t pub[PROTO_EC_PUB_LEN])
{
	struct cgs_stmt *st =
	    cgs_stmt(db, "SELECT public_key FROM cards WHERE ua = ?");
	const uint8_t *p;
	size_t n = 0;
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	if ((rc = cgs_step(st)) == 1) {
		if ((p = cgs_col_blob(st, 0, &n)) != NULL &&
		    n == PROTO_EC_PUB_LEN)
			memcpy(pub, p, PROTO_EC_PUB_LEN);
		else
			rc = PROTO_ERR_IO;
	}
	cgs_reset(st);
	if (rc == PROTO_ERR_IO)
		proto_log(PROTO_LOG_ERR, "%s: a card row is damaged", __func__);
	return rc == 1 ? 0 : rc == 0 ? PROTO_ERR_NOTFOUND : rc;
}

int
cgs_card_decoder_holds(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN])
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "UPDATE cards SET status = '" CGS_RECOVERED "' WHERE status = "
	    "'" CGS_SEEN_RECOVERED "' AND seen_via = ? AND ua <> ?");
	char dec[2 * PROTO_DECODER_ID_LEN + 1];

	if (st == NULL)
		return PROTO_ERR_IO;
	proto_hex(at->decoder_id, PROTO_DECODER_ID_LEN, dec);
	cgs_bind_text(st, 1, dec);
	cgs_db_bind_ua(st, 2, ua);
	return cgs_step_done(st);
}

int
cgs_card_revoke(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN], int64_t now)
{
	struct cgs_card c;
	struct cgs_stmt *st;
	int rc;

	if ((rc = cgs_card_get(db, ua, &c)) != 0)
		return rc;
	if (c.revoked)
		return PROTO_ERR_EXISTS;
	if ((st = cgs_stmt(db,
		 "UPDATE cards SET revoked_at = ? WHERE ua = ?")) == NULL)
		return PROTO_ERR_IO;
	cgs_bind_i64(st, 1, now);
	cgs_db_bind_ua(st, 2, ua);
	return cgs_step_done(st);
}

int
cgs_card_counters_seen(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint32_t cmd_ctr, uint32_t bcast_ctr)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "UPDATE cards SET cmd_ctr_seen = CASE WHEN cmd_ctr_seen > ?1 "
	    "THEN cmd_ctr_seen ELSE ?1 END, bcast_ctr_seen = CASE WHEN "
	    "bcast_ctr_seen > ?2 THEN bcast_ctr_seen ELSE ?2 END WHERE ua = "
	    "?3");

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_bind_i64(st, 1, cmd_ctr);
	cgs_bind_i64(st, 2, bcast_ctr);
	cgs_db_bind_ua(st, 3, ua);
	return cgs_step_done(st);
}
