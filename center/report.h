/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the operator reads of the center (centerctl's reports): cards,
 * the ledger, flags, commands, and one card's history, as typed rows
 * handed to a callback one at a time, in a stable order.  The queries
 * are in db_report.c, beside the center's other SQL; callers format the
 * rows and hold no SQL.  A callback returning non-zero stops the report,
 * which returns that value.  Times are Unix seconds, 0 when there is none
 * (never seen, never sent, ...).
 */
#ifndef CENTER_REPORT_H
#define CENTER_REPORT_H

#include <stdint.h>

#include "../proto/ua.h"
#include "../proto/uplink.h"
#include "db.h"

struct cgs_card_row {
	uint8_t ua[PROTO_UA_LEN];
	char status[24]; /* CGS_* of db.h; CGS_REVOKED when revoked */
	int locked;      /* -1 never seen, else 0 or 1 */
	uint32_t last_block_seq;
	uint32_t invoiced; /* how many of its purchases were invoiced */
	int64_t registered_at, first_seen, last_seen, recovered_at;
	/* where it was last seen: a decoder, when, as what */
	int has_seen;
	uint8_t seen_via[PROTO_DECODER_ID_LEN];
	int64_t seen_at;
	char seen_as[12]; /* present, recovered */
	int64_t revoked_at;
};

struct cgs_purchase_row {
	uint8_t ua[PROTO_UA_LEN];
	struct proto_purchase p; /* p.time: bought at */
	int64_t recorded_at, session;
	int has_via;
	uint8_t via[PROTO_UA_LEN]; /* the session's present card */
	char origin[12];           /* present, recovered */
};

struct cgs_flag_row {
	int64_t id, session, at;
	int has_ua;
	uint8_t ua[PROTO_UA_LEN];
	char what[256];
};

struct cgs_command_row {
	uint8_t ua[PROTO_UA_LEN];
	uint8_t path; /* PROTO_CMD_PATH_* */
	uint32_t counter;
	char type[16];
	uint32_t arg1, arg2;
	char state[16]; /* CGS_CMD_* */
	int has_sw;
	uint16_t sw; /* the card's status word, applied or refused */
	uint32_t sends;
	int64_t created_at, sent_at, outcome_at, cancelled_at;
};

struct cgs_session_row {
	int64_t id, started_at;
	uint8_t decoder_id[PROTO_DECODER_ID_LEN];
	int has_present;
	uint8_t present[PROTO_UA_LEN]; /* the card HELLO named */
	uint32_t blocks, invoiced, flagged;
};

struct cgs_block_row {
	int64_t session, received_at;
	uint8_t decoder_id[PROTO_DECODER_ID_LEN]; /* the session's */
	int has_ua;
	uint8_t ua[PROTO_UA_LEN];
	uint32_t seq;
	char origin[12]; /* the frame: present, recovered */
	char status[12]; /* accepted, duplicate, rejected */
	char reason[96];
};

/* One block of the ring of the last rejected ones (db.h). */
struct cgs_rejected_row {
	int64_t n;       /* its number among all rejected blocks, from 1 */
	int64_t at;      /* when */
	int64_t session; /* 0: its session left no row (junk) */
	char peer[64];   /* the decoder's address ("": unknown) */
	uint8_t decoder_id[PROTO_DECODER_ID_LEN]; /* as its HELLO said */
	int has_ua; /* 0: its header was unreadable */
	uint8_t ua[PROTO_UA_LEN];
	uint32_t seq;
	char origin[12]; /* the frame: present, recovered */
	uint8_t reason;  /* PROTO_UP_*: proto_up_reason names it */
};

/* How many blocks were rejected for one reason, and when the last. */
struct cgs_rejected_count_row {
	uint8_t reason;
	int64_t n, last_at;
};

typedef int (*cgs_card_cb)(void *arg, const struct cgs_card_row *r);
typedef int (*cgs_purchase_cb)(void *arg, const struct cgs_purchase_row *r);
typedef int (*cgs_flag_cb)(void *arg, const struct cgs_flag_row *r);
typedef int (*cgs_command_cb)(void *arg, const struct cgs_command_row *r);

typedef int (*cgs_session_cb)(void *arg, const struct cgs_session_row *r);
typedef int (*cgs_block_cb)(void *arg, const struct cgs_block_row *r);
typedef int (*cgs_data_cb)(void *arg, const struct cgs_card_data *d);
typedef int (*cgs_rejected_cb)(void *arg, const struct cgs_rejected_row *r);
typedef int (
    *cgs_rejected_count_cb)(void *arg, const struct cgs_rejected_count_row *r);

/* Every card, or the one ua names (NULL: all), by UA. */
int cgs_report_cards(struct cgs_db *db, const uint8_t *ua, cgs_card_cb cb,
    void *arg);
/* The ledger, by UA and purchase seq. */
int cgs_report_purchases(struct cgs_db *db, const uint8_t *ua,
    cgs_purchase_cb cb, void *arg);
/* The flags, oldest first. */
int cgs_report_flags(struct cgs_db *db, const uint8_t *ua, cgs_flag_cb cb,
    void *arg);
/* The commands, by UA, path and counter. */
int cgs_report_commands(struct cgs_db *db, const uint8_t *ua, cgs_command_cb cb,
    void *arg);

/* The sessions that named the card in HELLO or carried a block of it
 * (every session: ua NULL), oldest first. */
int cgs_report_sessions(struct cgs_db *db, const uint8_t *ua, cgs_session_cb cb,
    void *arg);
/* The blocks of the card (ua NULL: all), in the order they came. */
int cgs_report_blocks(struct cgs_db *db, const uint8_t *ua, cgs_block_cb cb,
    void *arg);
/* What the card's newest accepted block said: cb once, or not at all if
 * no block of it was accepted. */
int cgs_report_card_data(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    cgs_data_cb cb, void *arg);
/* The rejected blocks the ring keeps (at most CGS_REJECTED_KEEP), newest
 * first. */
int cgs_report_rejected(struct cgs_db *db, cgs_rejected_cb cb, void *arg);
/* The rejected blocks counted by reason, since the database was made. */
int cgs_report_rejected_counts(struct cgs_db *db, cgs_rejected_count_cb cb,
    void *arg);

/* --- the console's views (overview, lists with filters and paging) -------- */

/* One count of a breakdown: by status (and reason), or by time. */
struct cgs_count_row {
	char status[24];
	char reason[96];
	int64_t at; /* the start of a time bucket */
	uint64_t n;
};
typedef int (*cgs_count_cb)(void *arg, const struct cgs_count_row *r);

/* Cards by status (revoked counted as revoked), by status. */
int cgs_report_card_counts(struct cgs_db *db, cgs_count_cb cb, void *arg);
/* Recorded blocks by status and reason. */
int cgs_report_block_counts(struct cgs_db *db, cgs_count_cb cb, void *arg);
/* Recorded blocks received since (Unix s) in buckets of bucket_s seconds,
 * by bucket and status, oldest first. */
int cgs_report_ingest(struct cgs_db *db, int64_t since, int64_t bucket_s,
    cgs_count_cb cb, void *arg);
/* Sessions recorded since (0: ever). */
int cgs_report_session_count(struct cgs_db *db, int64_t since, uint64_t *n);
/* Anomalies (flags) recorded. */
int cgs_report_flag_count(struct cgs_db *db, uint64_t *n);

#define CGS_PAGE_TEXT_MAX 64 /* the longest text filter */

/*
 * A page of a list: the rows after offset, at most limit of them, that
 * pass the filters (each NULL: any), and how many pass in all.
 */
struct cgs_page {
	const uint8_t *ua;  /* the card */
	const char *status; /* cards: a CGS_* status */
	const char *origin; /* invoices: present, recovered */
	const char *text;   /* anomalies: contained in the text */
	uint32_t offset, limit;
};

int cgs_report_cards_page(struct cgs_db *db, const struct cgs_page *pg,
    cgs_card_cb cb, void *arg, uint64_t *total);
/* Invoices, newest first. */
int cgs_report_purchases_page(struct cgs_db *db, const struct cgs_page *pg,
    cgs_purchase_cb cb, void *arg, uint64_t *total);
/* Anomalies, newest first.  PROTO_ERR_TOOBIG for a text filter longer
 * than CGS_PAGE_TEXT_MAX. */
int cgs_report_flags_page(struct cgs_db *db, const struct cgs_page *pg,
    cgs_flag_cb cb, void *arg, uint64_t *total);

#endif
