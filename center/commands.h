/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Commands: what the center sends a card, and in which order.  Every
 * command is signed by the center and bound to the card's UA, to a path
 * (an uplink session, or the broadcast as an EMM) and to a counter the
 * card requires to increase strictly on that path, so the center numbers
 * a card's commands per path (the next counter when a command is made)
 * and sends those waiting in counter order.
 *
 * The life of a command: queued when made; sent once it went out in a
 * session's answer (and again, unchanged, at every session until the
 * card's blocks say what became of it); then what the card's block
 * reports in its outcome ring: applied (9000), or refused with the reason
 * the card gave (a refused command was consumed by the card: it is never
 * sent again); consumed, when the card's counter on the path passed it
 * and its outcome is no longer in the ring; or cancelled by the operator
 * before any of that (if the card reports it applied anyway, that is
 * recorded).
 *
 * Three sources: the unlock rule and the acknowledgement rule below (made
 * during a session, from what the present card's own blocks said), and
 * what the operator queues (centerctl reload, grant, export, emm).
 */
#ifndef CENTER_COMMANDS_H
#define CENTER_COMMANDS_H

#include <stdint.h>

#include "../proto/crypto.h"
#include "../proto/block.h"
#include "../proto/cmd.h"
#include "../proto/uplink.h"
#include "db.h"
#include "ledger.h"

/* The center's keys: the master secret (transmission keys) and its
 * command-signing key. */
struct cgs_keys {
	uint8_t master[PROTO_MASTER_LEN];
	uint8_t center_priv[PROTO_EC_PRIV_LEN];
	uint8_t center_pub[PROTO_EC_PUB_LEN];
};

/* What a session learnt of its present card from the card's own blocks. */
struct cgs_present {
	int seen;       /* a fresh block of the present card was accepted */
	uint8_t locked; /* its transfer-lock flag, as the last one says */
	uint32_t acked; /* purchases it freed, as the last one says */
	uint32_t purchase_seq; /* its last purchase, as the last one says */
	/* the highest purchase seq the ledger holds of it, this session's
	 * invoices included (what the card's row says once they are) */
	int64_t invoiced;
};

/* A command as made: its counter and its signed bytes. */
struct cgs_made {
	uint32_t counter;
	uint8_t wire[PROTO_CMD_MAX_LEN];
	size_t len;
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
 * The acknowledgement rule: a present card is told that its purchases
 * are invoiced up to the highest the ledger holds (max_invoiced), so the
 * card may free log space -- but never past its own last purchase, nor
 * past a purchase in conflict (conflict: the lowest purchase seq whose
 * content contradicts the invoiced one, 0 if none), whose evidence the
 * card must keep.  Returns the seq to acknowledge, or 0 when nothing is
 * due (the card freed that much already).
 */
uint32_t cgs_rule_ack_upto(const struct cgs_present *p, int64_t max_invoiced,
    uint32_t conflict);

/*
 * What a genuine block of the card says of its commands, inside the
 * session's transaction: each outcome in its ring marks that command
 * applied or refused (an outcome of a command the center made with
 * another type is flagged); then the commands of each path up to the
 * card's counter there, still waiting, are consumed; the counters seen
 * are recorded.  card (NULL: not known): the card's row as this
 * transaction read it; a path whose counter in m is not past the one seen
 * there already is skipped, since whatever raised it consumed them.  Outcomes are facts, so any genuine block may teach
 * them, in any order.
 */
int cgs_commands_learn(struct cgs_ledger *l, const uint8_t ua[PROTO_UA_LEN],
    const struct cgs_card *card, const struct proto_m2 *m);

/*
 * The present card's commands for the session's answer, inside the
 * session's transaction: an unlock and an acknowledgement are queued
 * when their rules say so and no such command waits already; then every
 * uplink command waiting goes into ans, in counter order (at most
 * PROTO_UP_MAX_COMMANDS; the rest wait), marked sent.  Nothing without a
 * fresh block of the card (p->seen 0): a HELLO's claim of a UA gets none
 * of that card's commands.  A card never registered gets none.  The
 * acknowledgement goes up to p->invoiced at the most: the card is not
 * read again.
 */
int cgs_commands_for_present(struct cgs_db *db, const struct cgs_keys *k,
    const struct cgs_stamp *at, const uint8_t ua[PROTO_UA_LEN],
    const struct cgs_present *p, struct proto_up_answer *ans);

/*
 * Queue an operator command for a card on path (PROTO_CMD_PATH_*),
 * signed now with the card's next counter there, in a transaction of its
 * own; made (NULL: not wanted) receives it (an EMM is written out from
 * it).  PROTO_ERR_NOTFOUND: a card never registered.
 */
int cgs_queue_command(struct cgs_db *db, const struct cgs_keys *k,
    const uint8_t ua[PROTO_UA_LEN], uint8_t path, uint8_t type, uint32_t arg1,
    uint32_t arg2, struct cgs_made *made);

/*
 * Revoke a card (blacklist it), in one transaction: its sessions are
 * refused from now on (PROTO_UP_REVOKED), and a signed "disable" is made
 * for each path -- queued for an uplink session and, since its sessions
 * are refused, as an EMM (emm receives it, to be broadcast).
 * PROTO_ERR_NOTFOUND: never registered; PROTO_ERR_EXISTS: revoked
 * already (nothing made).
 */
int cgs_revoke_card(struct cgs_db *db, const struct cgs_keys *k,
    const uint8_t ua[PROTO_UA_LEN], struct cgs_made *emm);

/* Cancel a waiting command (cgs_db_command_cancel), in a transaction. */
int cgs_cancel_command(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint8_t path, uint32_t counter);

#endif
