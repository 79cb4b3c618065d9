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
	char status[24];
	int locked; /* -1 never seen, else 0 or 1 */
	uint32_t last_block_seq;
	uint32_t purchases; /* invoiced */
	int64_t registered_at, first_seen, last_seen, recovered_at;
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

typedef int (*cgs_card_cb)(void *arg, const struct cgs_card_row *r);
typedef int (*cgs_purchase_cb)(void *arg, const struct cgs_purchase_row *r);
typedef int (*cgs_flag_cb)(void *arg, const struct cgs_flag_row *r);
typedef int (*cgs_command_cb)(void *arg, const struct cgs_command_row *r);

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

#endif
