/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ledger: every purchase a card made is invoiced exactly once, keyed
 * by (UA, purchase sequence), however often its block arrives -- retries,
 * replays, the same data from M1 and from the card, through several
 * decoders.  What a card's blocks contradict is flagged for the operator
 * as an anomaly (centerctl flags): the card's own export sequence going
 * back, counters going down in a newer block, a card that freed
 * purchases the ledger never received, a purchase that differs from the
 * one invoiced under its number (a clone's: recorded in conflicts).  The
 * invoice kept is always the first one.
 *
 * A struct cgs_ledger is one session's use of the ledger: it stamps the
 * rows with the session and counts what the session invoiced and flagged.
 * It is used inside the session's transaction (ingest.c).
 */
#ifndef CENTER_LEDGER_H
#define CENTER_LEDGER_H

#include <stdint.h>

#include "../proto/m2.h"
#include "../proto/ua.h"
#include "db.h"

struct cgs_ledger {
	struct cgs_db *db; /* borrowed */
	struct cgs_stamp at;
	uint32_t invoiced; /* purchases new to the ledger this session */
	uint32_t flagged;  /* anomalies flagged this session */
	/* the highest purchase seq the last cgs_ledger_invoice added to the
	 * ledger (0: none) */
	uint32_t top;
};

/* Start a session's use of the ledger (the counts at zero). */
void cgs_ledger_begin(struct cgs_ledger *l, struct cgs_db *db,
    const struct cgs_stamp *at);

/* Record an anomaly of the card for the operator (logged), and count it. */
int cgs_ledger_flag(struct cgs_ledger *l, const uint8_t ua[PROTO_UA_LEN],
    const char *what);

/*
 * Flag what a genuine, non-stale block's sequences contradict, against
 * what the center knew of the card before it (card; prev: what the
 * card's newest block said, NULL if none):
 *  - a fresh block of the card (origin present) whose export sequence is
 *    below one seen before: the card itself went back ("export sequence
 *    went backwards");
 *  - a block newer than prev whose counters (purchase and acknowledged
 *    sequences, change counter, command counters, control words,
 *    denials, power-ups, clock, ECMs of a channel) are below prev's: one
 *    card's counters only grow ("counters went backwards");
 *  - purchases the card freed (acked_seq) beyond the highest the ledger
 *    holds ("purchase sequence jumps").
 * An older copy from M1 is no contradiction: ingest records it as stale
 * and does not call this.  Flags only; the block is still processed.
 */
int cgs_ledger_check_sequences(struct cgs_ledger *l,
    const struct cgs_card *card, const struct cgs_card_data *prev, int origin,
    uint32_t block_seq, const struct proto_m2 *m);

/*
 * Invoice each purchase of m (the card's, m taken from a block already
 * verified and opened) once: a (UA, seq) the ledger holds is not invoiced
 * again; if it differs from the invoiced one (event, price or time) it is
 * recorded as a conflict (flagged the first time) and the first kept.
 * via is the session's present card,
 * origin (CGS_ORIGIN_*) how the block was routed.
 */
int cgs_ledger_invoice(struct cgs_ledger *l, const struct cgs_card *card,
    const struct proto_m2 *m, const uint8_t via[PROTO_UA_LEN], int origin);

/* The rule the ledger compares by: the same purchase, as invoiced. */
int cgs_purchase_same(const struct proto_purchase *a,
    const struct proto_purchase *b);

#endif
