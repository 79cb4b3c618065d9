/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Commands: what the center sends a card, and in which order.  Every
 * command is signed by the center and bound to the card's UA and to a
 * counter the card requires to increase strictly, so the center numbers a
 * card's commands (the card's next counter when a command is made) and
 * sends those not yet done in counter order.  A command stays queued,
 * resent unchanged at every session, until a block of the card shows its
 * command counter at or past it.
 *
 * Three sources: the unlock rule and the acknowledgement rule below (made
 * during a session, from what the present card's own blocks said), and
 * what the operator queues (centerctl reload, grant).
 */
#ifndef CENTER_COMMANDS_H
#define CENTER_COMMANDS_H

#include <stdint.h>

#include "../proto/crypto.h"
#include "../proto/block.h"
#include "../proto/cmd.h"
#include "../proto/uplink.h"
#include "db.h"

/* The center's keys: the master secret (transmission keys) and its
 * command-signing key. */
struct cgs_keys {
	uint8_t master[PROTO_MASTER_LEN];
	uint8_t center_priv[PROTO_EC_PRIV_LEN];
	uint8_t center_pub[PROTO_EC_PUB_LEN];
};

/* What a session learnt of its present card from the card's own blocks. */
struct cgs_present {
	int seen;       /* a block of the present card was accepted */
	uint8_t locked; /* its transfer-lock flag, as the last one says */
	uint32_t acked; /* purchases it freed, as the last one says */
};

/*
 * The unlock rule: a present card whose own block in this session shows
 * it transfer-locked is sent the command that lifts the lock.  It is
 * decided after the session's recovered blocks were recorded
 * (cgs_separation_order), so a new card may replace M1's data only once
 * what M1 held is safe at the center.  Returns 1 when an unlock is due.
 */
int cgs_rule_unlock_locked_present_card(const struct cgs_present *p);

/*
 * The acknowledgement rule: a present card is told that its purchases up
 * to max_invoiced are invoiced when the ledger holds more than the card
 * has freed, so the card may free log space.  Returns 1 when due.
 */
int cgs_rule_ack_invoiced_purchases(const struct cgs_present *p,
    int64_t max_invoiced);

/*
 * The present card's commands for the session's answer, inside the
 * session's transaction: the commands its counter shows are marked done;
 * an unlock and an acknowledgement are queued when their rules say so and
 * no such command waits already; then every command not done goes into
 * ans, in counter order (at most PROTO_UP_MAX_COMMANDS; the rest wait).
 * A card never registered gets none.
 */
int cgs_commands_for_present(struct cgs_db *db, const struct cgs_keys *k,
    const uint8_t ua[PROTO_UA_LEN], const struct cgs_present *p,
    struct proto_up_answer *ans);

/*
 * Queue an operator command (reload, grant) for a card, signed now with
 * the card's next counter, in a transaction of its own.
 */
int cgs_queue_command(struct cgs_db *db, const struct cgs_keys *k,
    const uint8_t ua[PROTO_UA_LEN], uint8_t type, uint32_t arg1, uint32_t arg2);

#endif
