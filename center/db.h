/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The center's state, on one of two engines (store.h): SQLite, one file
 * (the default), or PostgreSQL, one database that several centerd
 * instances share.  Every SQL statement of centerd is in the db*.c files,
 * written once for both engines, behind the functions declared here; the
 * modules above call them and hold no SQL.
 *
 * A struct cgs_db is one connection, used by one thread at a time; its
 * statements are prepared once and kept.  Functions return 0 or a
 * negative proto_err (PROTO_ERR_IO for a database failure, logged).
 */
#ifndef CENTER_DB_H
#define CENTER_DB_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/cmd.h"
#include "../proto/m2.h"
#include "../proto/ua.h"
#include "../proto/uplink.h"
#include "separation.h"

struct cgs_db;

/* The schema version this build makes and reads (db_schema.c). */
#define CGS_DB_VERSION 9

/*
 * Card status, as centerctl cards shows it: what its last sighting (its
 * newest accepted block) says.  A revoked card is shown "revoked" besides.
 */
#define CGS_ISSUED "issued" /* registered, never seen */
#define CGS_ACTIVE "active" /* last seen as a decoder's present card */
/* last seen recovered from a decoder's M1, that decoder holding no card
 * it proved present since */
#define CGS_SEEN_RECOVERED "recovered"
/* last seen recovered from a decoder that now holds another card */
#define CGS_RECOVERED "retired-recovered"
#define CGS_REVOKED "revoked" /* blacklisted by the operator */

/* A command's state (commands.h tells the life of one). */
#define CGS_CMD_QUEUED "queued"       /* made, not sent yet */
#define CGS_CMD_SENT "sent"           /* handed to a decoder, no outcome */
#define CGS_CMD_APPLIED "applied"     /* the card reported 9000 */
#define CGS_CMD_REFUSED "refused"     /* the card reported another SW */
#define CGS_CMD_CONSUMED "consumed"   /* counter passed, outcome not known */
#define CGS_CMD_CANCELLED "cancelled" /* by the operator, before an outcome */

struct cgs_card {
	uint8_t ua[PROTO_UA_LEN];
	uint8_t pub[PROTO_EC_PUB_LEN];
	char status[24];
	int revoked;
	uint32_t last_block_seq;
	/* per path: the last counter the center used, the last the card
	 * showed in a block */
	uint32_t cmd_counter, cmd_ctr_seen;
	uint32_t bcast_counter, bcast_ctr_seen;
	/* highest purchase seq in the ledger (the cards row keeps it, schema
	 * 9: no look-up of the ledger a block) */
	int64_t max_invoiced;
	/* the decoder it was last seen through (hex; "" if never) */
	char seen_via[2 * PROTO_DECODER_ID_LEN + 1];
};

/* What every row of a session is stamped with. */
struct cgs_stamp {
	int64_t session_id; /* 0: no session (an operator's change) */
	int64_t now;
	uint8_t decoder_id[PROTO_DECODER_ID_LEN]; /* the session's */
};

/* --- the connection (db.c) ----------------------------------------------- */

/*
 * Open target -- a SQLite file (created if needed) or a postgresql:// URL
 * -- and bring the schema up to date.  A SQLite file and its -wal and
 * -shm files are made (or made again) 0600.  PROTO_ERR_STATE: the
 * database is of a newer schema than this build's.
 */
int cgs_db_open(const char *target, struct cgs_db **db);
/*
 * Open a database that exists, never creating one: PROTO_ERR_NOTFOUND if
 * there is no SQLite file at target, or the PostgreSQL database holds no
 * center schema (nothing is made in it: no migration runs).  readonly: opened read-only, nothing
 * migrated (PROTO_ERR_STATE if its schema is not this build's), for the
 * reports; otherwise as cgs_db_open.
 */
int cgs_db_open_existing(const char *target, int readonly, struct cgs_db **db);
void cgs_db_close(struct cgs_db **db);
/* The engine's name: "sqlite" or "postgresql". */
const char *cgs_db_engine(const struct cgs_db *db);
int cgs_db_begin(struct cgs_db *db);
int cgs_db_commit(struct cgs_db *db);
void cgs_db_rollback(struct cgs_db *db);
/*
 * Did the transaction fail only because a concurrent one conflicted with
 * it (another instance on the same rows: a serialization failure or a
 * deadlock on PostgreSQL, a writer holding SQLite's file too long)?  Then
 * the whole transaction may be run again, from its begin.
 */
int cgs_db_conflicted(const struct cgs_db *db);
/*
 * Run body(db, arg) in one transaction and commit it -- again from the
 * begin, up to CGS_DB_TRIES times, while it fails only for a conflict
 * with a concurrent transaction (cgs_db_conflicted), so the body must
 * start from the same state each time.  A body returning CGS_DB_DISCARD
 * has its transaction rolled back, and cgs_db_txn returns 0.
 */
#define CGS_DB_TRIES 16
#define CGS_DB_DISCARD 1
int cgs_db_txn(struct cgs_db *db, int (*body)(struct cgs_db *db, void *arg),
    void *arg);
/*
 * As cgs_db_txn, for a body that first locks the cards it reads and
 * writes (cgs_cards_lock) and whose other rows are kept right by unique
 * keys: READ COMMITTED on PostgreSQL (no serialization failures, no
 * predicate locks; each statement sees what committed before it), the
 * same as cgs_db_txn on SQLite.  An uplink session's transaction.
 */
int cgs_db_txn_locked(struct cgs_db *db,
    int (*body)(struct cgs_db *db, void *arg), void *arg);
/*
 * Lock the rows of the n cards whose UAs follow each other at ua
 * (registered or not; repeats are fine)
 * until the transaction ends, in UA order: a concurrent transaction
 * locking one of them waits for this one's commit, and then reads what it
 * wrote.  Nothing to do on SQLite, whose writer holds the whole file.
 */
#define CGS_LOCK_MAX (PROTO_UPLINK_MAX_BLOCKS + 1) /* a session's cards */
int cgs_cards_lock(struct cgs_db *db, const uint8_t *ua, size_t n);
/* Is the connection still there?  A lost one (the server restarted) is
 * closed by its holder, who opens another. */
int cgs_db_usable(const struct cgs_db *db);
/* A transaction on db is coming (delta 1: its checks run now) or no more
 * (-1): in a commit group (group.h), a batch waits a little for it. */
void cgs_db_coming(struct cgs_db *db, int delta);
/* Run one statement (or several) with no result rows. */
int cgs_db_exec(struct cgs_db *db, const char *sql);
/* For db*.c: a UA bound as the schema keeps it (hex text). */
struct cgs_stmt;
void
cgs_db_bind_ua(struct cgs_stmt *st, int col, const uint8_t ua[PROTO_UA_LEN]);

/* --- the schema (db_schema.c) -------------------------------------------- */

/* Take the database to CGS_DB_VERSION (one transaction); a database of a
 * newer version is refused (PROTO_ERR_STATE). */
int cgs_db_migrate(struct cgs_db *db);
/* The same, to version (tests: a database as an older build left it). */
int cgs_db_migrate_to(struct cgs_db *db, int version);
int cgs_db_version(struct cgs_db *db, int *version);

/* --- cards (db.c) ----------------------------------------------------- */

/* Register a card; the same record again is fine, another key is not. */
int cgs_card_register(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    const uint8_t pub[PROTO_EC_PUB_LEN], const uint8_t versions[4]);
/* PROTO_ERR_NOTFOUND for a card never registered. */
int cgs_card_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    struct cgs_card *c);
/* Only the card's registered key (cgs_card_get without the ledger's
 * look-up): PROTO_ERR_NOTFOUND for a card never registered. */
int cgs_card_key(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint8_t pub[PROTO_EC_PUB_LEN]);
/* The columns cgs_card_get reads of a card (the cards table as c). */
#define CGS_CARD_COLUMNS                                                  \
	"public_key, status, last_block_seq, cmd_counter, cmd_ctr_seen, " \
	"max_invoiced, bcast_counter, bcast_ctr_seen, revoked_at, seen_via"
/* The card's row from a statement whose columns 0..9 are cgs_card_get's;
 * the statement is the caller's to reset. */
int cgs_card_from_row(struct cgs_stmt *st, const uint8_t ua[PROTO_UA_LEN],
    struct cgs_card *c);
/* The session's decoder proved it holds card ua: the cards last seen
 * recovered from it are retired. */
int cgs_card_decoder_holds(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN]);
/* Revoke a card: PROTO_ERR_NOTFOUND if never registered, PROTO_ERR_EXISTS
 * if revoked already. */
int
cgs_card_revoke(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN], int64_t now);
/* A block showed the card's command counters (each only grows). */
int cgs_card_counters_seen(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint32_t cmd_ctr, uint32_t bcast_ctr);

/* --- one session's rows (db_session.c) --------------------------------- */

int cgs_db_session_open(struct cgs_db *db, const struct proto_up_hello *h,
    size_t nblocks, int64_t now, int64_t *session_id);
/* The session's answer: what it invoiced and flagged, its blocks counted
 * by status (the console's ingest per minute reads those, by the
 * session's time); present_seen: a fresh block of the card HELLO named
 * was accepted. */
int cgs_db_session_close(struct cgs_db *db, int64_t session_id,
    const struct proto_up_answer *ans, int present_seen);

/* What became of a block, under the frame it came in (in: who kept it,
 * since when); ua NULL: unread. */
int cgs_db_block_record(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t *ua, uint32_t seq, const struct cgs_in_block *in,
    const struct proto_up_result *r);
/*
 * A session's rejected blocks r[0..n), for the operator (issue 11): each
 * into the ring of the last CGS_REJECTED_KEEP (the oldest one replaced:
 * the table never grows past that, whatever arrives), in order, and
 * counted under its reason (one statement a reason, one for the ring's
 * place, one a block).  peer: the decoder's address (NULL: unknown); a
 * ua NULL: the header was unreadable; at->session_id 0: a session that
 * left no row.
 */
#define CGS_REJECTED_KEEP 1000
struct cgs_rejected_block {
	const uint8_t *ua;
	uint32_t seq;
	int origin;
	uint8_t reason;
};
int cgs_db_rejected_add(struct cgs_db *db, const struct cgs_stamp *at,
    const char *peer, const struct cgs_rejected_block *r, size_t n);
/*
 * Count the session's blocks by status and reason (res[0..n), as
 * cgs_db_block_record recorded them) in block_counts, whose rows the
 * console reads instead of counting every block: in one of
 * CGS_COUNT_SHARDS rows per pair, by session, so that sessions committing
 * at once on PostgreSQL seldom wait for the same row.  The session's last
 * write.
 */
#define CGS_COUNT_SHARDS 16
int cgs_db_block_counts_add(struct cgs_db *db, int64_t session_id,
    const struct proto_up_result *res, size_t n);

/* The ledger's rows of the card with lo <= seq <= hi, in seq order, into
 * p[0..*n): at most cap of them (the first). */
int cgs_db_purchases_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint32_t lo, uint32_t hi, struct proto_purchase *p, size_t cap, size_t *n);
/* Insert unless (UA, seq) is there; *added says whether it was new. */
int cgs_db_purchase_add(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], const struct proto_purchase *p,
    const uint8_t via[PROTO_UA_LEN], int origin, int *added);
/* Record a purchase that contradicts the invoiced one under its seq;
 * *added 0 if this very contradiction was recorded before. */
int cgs_db_conflict_add(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], const struct proto_purchase *p, int *added);
/* The lowest purchase seq of the card in conflict, 0 if none. */
int cgs_db_conflict_min(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint32_t *seq);
/* An anomaly for the operator (centerctl flags). */
int cgs_db_flag(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], const char *what);

/* --- what the cards' blocks said (db_card.c) ------------------------- */

/*
 * The newest accepted block of a card: what its M2 said (m, without its
 * purchases and outcomes, which live in the ledger and the commands),
 * and the block, session, decoder and time it came by.
 */
struct cgs_card_data {
	uint32_t block_seq;
	int origin; /* CGS_ORIGIN_*: the frame it came in */
	int64_t session_id, received_at;
	uint8_t decoder_id[PROTO_DECODER_ID_LEN];
	struct proto_m2 m;
	int pairs; /* the card has ECMs or rights rows */
};

/* The card's data; *found 0 if no block of it was accepted yet. */
int cgs_db_card_data_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    struct cgs_card_data *d, int *found);

/* What a session's transaction reads of a card for its block seq, in one
 * statement (the card's row holds its data): the card as cgs_card_get
 * reads it; what its newest accepted block said, but for its ECMs and
 * rights (*has_data 0: none yet; d->pairs: it has some, for
 * cgs_db_card_pairs_get); whether this very block was accepted before
 * (*seen).  PROTO_ERR_NOTFOUND for a card never registered. */
int cgs_card_for_block(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint32_t seq, struct cgs_card *c, struct cgs_card_data *d, int *has_data,
    int *seen);
/* The card's ECMs per channel and its rights, into m. */
int cgs_db_card_pairs_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    struct proto_m2 *m);
/*
 * Block seq of the card (as cgs_card_for_block read it in this
 * transaction) was accepted, new and not stale, in the session at (its
 * decoder), in frame origin.  Present: the card is active, last
 * seen there now as present, its lock state as *locked says (NULL: left
 * as it is).  Recovered (from the M1 of the session's decoder): last seen
 * there now as recovered.  The block sequence only grows.  m not NULL:
 * the block is newer than the one the card's data came from, which it
 * replaces, in the same statement; prev is that older data's M2 as
 * cgs_card_for_block and cgs_db_card_pairs_get read it in this
 * transaction (only the ECMs and rights that differ from it are
 * written), or NULL: the card had no data (all of them are).  invoiced:
 * the highest purchase seq the ledger holds of the card now, this block's
 * invoices included (the card's max_invoiced, which only grows, set in
 * the same statement).
 */
int cgs_card_seen(struct cgs_db *db, const struct cgs_stamp *at,
    const struct cgs_card *card, uint32_t seq, int origin,
    const uint8_t *locked, const struct proto_m2 *m,
    const struct proto_m2 *prev, int64_t invoiced);
/* The ledger now holds the card's purchases up to seq (its max_invoiced
 * raised to it; never lowered), for a block cgs_card_seen does not
 * record. */
int cgs_card_invoiced(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    int64_t seq);

/* --- commands (db_cmd.c) ----------------------------------------------- */

/* Store a signed command, queued, and make its counter the last used on
 * its path for the card. */
int cgs_db_command_add(struct cgs_db *db, const struct proto_cmd *c,
    const uint8_t *wire, size_t len, int64_t now);
/* Is a command of this type on the uplink path, queued or sent, with
 * arg1 >= min waiting? */
int cgs_db_command_pending(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint8_t type, int64_t min, int *found);
/*
 * The card's uplink commands queued or sent, in counter order, at most
 * max of them (the rest wait for the next session): copied into cmds and
 * lens, and marked sent (now, one send more).
 */
int cgs_db_commands_take(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], uint8_t (*cmds)[PROTO_CMD_MAX_LEN],
    size_t *lens, size_t max, size_t *n);
/*
 * What the card reported of one command it consumed.  *known: 0 if the
 * center has no command of that path and counter; *type_differs: 1 if it
 * has one, of another type (nothing is changed then).  An outcome is
 * final: a command applied or refused stays so; one consumed or
 * cancelled takes the outcome reported (the truth is recorded).
 */
int cgs_db_command_outcome(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], const struct proto_outcome *o, int *known,
    int *type_differs);
/* The card's counter on path is counter: its commands queued or sent up
 * to it are consumed (their outcome was not reported). */
int cgs_db_commands_consumed(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], uint8_t path, uint32_t counter);
/* Cancel the card's waiting acknowledgements of purchases up to seq or
 * beyond (a purchase in conflict must stay on the card). */
int cgs_db_acks_cancel_from(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint32_t seq, int64_t now);
/* Cancel a command queued or sent: PROTO_ERR_NOTFOUND if there is no such
 * command, PROTO_ERR_STATE if it is past that (applied, refused, ...). */
int cgs_db_command_cancel(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint8_t path, uint32_t counter, int64_t now);

#endif
