/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The center's state in SQLite: one file, WAL, synchronous=FULL (a commit
 * is durable when it returns).  The schema uses only types and statements
 * PostgreSQL accepts as they are (INTEGER, BIGINT, TEXT, BYTEA-compatible
 * BLOB through the driver, ON CONFLICT DO NOTHING), so an operator with
 * millions of decoders can move it.
 */
#ifndef CENTER_DB_H
#define CENTER_DB_H

#include <sqlite3.h>
#include <stdint.h>

#include "../proto/sm.h"

struct cgs_db;

/* Card status, as centerctl cards shows it. */
#define CGS_ISSUED "issued"               /* registered, never seen */
#define CGS_ACTIVE "active"               /* seen as the present card */
#define CGS_RECOVERED "retired-recovered" /* its data came back from M1 */

struct cgs_card {
	uint8_t ua[PROTO_UA_LEN];
	uint8_t pub[PROTO_EC_PUB_LEN];
	char status[24];
	uint32_t last_block_seq, cmd_counter, cmd_ctr_seen;
	int64_t max_invoiced; /* highest purchase seq in the ledger */
};

int cgs_db_open(const char *path, struct cgs_db **db);
void cgs_db_close(struct cgs_db **db);
sqlite3 *cgs_db_sql(struct cgs_db *db);
int cgs_db_begin(struct cgs_db *db);
int cgs_db_commit(struct cgs_db *db);
void cgs_db_rollback(struct cgs_db *db);
/* Run one statement with no result rows. */
int cgs_db_exec(struct cgs_db *db, const char *sql);

/* Register a card; the same record again is fine, another key is not. */
int cgs_card_register(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    const uint8_t pub[PROTO_EC_PUB_LEN], const uint8_t versions[4]);
int cgs_card_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    struct cgs_card *c);
/* The query behind cgs_card_get (one parameter: the UA in hex), and the
 * decoding of its row, for callers that keep the statement prepared. */
extern const char cgs_card_sql[];
int cgs_card_row(sqlite3_stmt *st, const uint8_t ua[PROTO_UA_LEN],
    struct cgs_card *c);

#endif
