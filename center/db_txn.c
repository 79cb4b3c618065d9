/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Transactions (db.h): begun as the engine begins them, committed, run
 * again from their begin after a conflict with a concurrent one; the
 * cards' row locks a session's transaction takes first; in a commit
 * group, through its batches (group.h).
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <string.h>
#include <time.h>

#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "../proto/proto.h"
#include "db.h"
#include "group.h"
#include "store.h"

static int
begin_with(struct cgs_db *db, const char *sql)
{
	db->conflict = 0;
	return cgs_db_exec(db, sql);
}

int
cgs_db_begin(struct cgs_db *db)
{
	return begin_with(db, db->e->begin);
}

int
cgs_db_commit(struct cgs_db *db)
{
	return cgs_db_exec(db, "COMMIT");
}

void
cgs_db_rollback(struct cgs_db *db)
{
	int conflict = db->conflict;

	db->e->rollback(db);
	db->conflict = conflict;
}

int
cgs_db_usable(const struct cgs_db *db)
{
	return !db->lost;
}

void
cgs_db_coming(struct cgs_db *db, int delta)
{
	if (db->group != NULL)
		cgs_group_coming(db->group, delta);
}

int
cgs_db_conflicted(const struct cgs_db *db)
{
	return db->conflict;
}

/* Before try n + 1: a pause growing with n, its phase random so the
 * transactions that conflicted do not meet again in step. */
static void
conflict_pause(int n)
{
	uint8_t r;
	struct timespec ts = { 0, 0 };

	if (proto_random(&r, 1) != 0)
		r = 128;
	ts.tv_nsec = (long)(n < 8 ? n : 8) * (200000L + 4000L * r);
	(void)nanosleep(&ts, NULL);
}

/* body in a transaction begun by begin, run again on a conflict */
static int
txn(struct cgs_db *db, const char *begin,
    int (*body)(struct cgs_db *db, void *arg), void *arg)
{
	int rc;

	if (db->group != NULL)
		return cgs_group_txn(db->group, body, arg);
	for (int n = 1;; n++) {
		if ((rc = begin_with(db, begin)) != 0)
			return rc;
		if ((rc = body(db, arg)) == 0 && (rc = cgs_db_commit(db)) == 0)
			return 0;
		cgs_db_rollback(db);
		if (rc == CGS_DB_DISCARD)
			return 0;
		if (!db->conflict || n == CGS_DB_TRIES)
			return rc;
		conflict_pause(n);
	}
}

int
cgs_db_txn(struct cgs_db *db, int (*body)(struct cgs_db *db, void *arg),
    void *arg)
{
	return txn(db, db->e->begin, body, arg);
}

int
cgs_db_txn_locked(struct cgs_db *db, int (*body)(struct cgs_db *db, void *arg),
    void *arg)
{
	return txn(db, db->e->begin_locked, body, arg);
}

int
cgs_cards_lock(struct cgs_db *db, const uint8_t *ua, size_t n)
{
	char list[CGS_LOCK_MAX * (2 * PROTO_UA_LEN + 1) + 1];
	struct cgs_stmt *st;
	size_t o = 0;
	int rc;

	if (db->e->lock_cards == NULL || n == 0)
		return 0;
	if (n > CGS_LOCK_MAX)
		return PROTO_ERR_ARG;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			list[o++] = ',';
		proto_hex(ua + i * PROTO_UA_LEN, PROTO_UA_LEN, list + o);
		o += 2 * PROTO_UA_LEN;
	}
	list[o] = '\0';
	if ((st = cgs_stmt(db, db->e->lock_cards)) == NULL)
		return PROTO_ERR_IO;
	cgs_bind_text(st, 1, list);
	while ((rc = cgs_step(st)) == 1)
		;
	return rc;
}
