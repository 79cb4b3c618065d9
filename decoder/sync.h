/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The uplink session with the management center, as the daemon runs it:
 * the present card's blocks (UPLINK BLOCKS) and every unacknowledged M1
 * entry of another card go out (uplink.h does the wire, on a worker:
 * upjob.h); a center that cannot be reached or is busy gives way to the
 * next the configuration lists; the answer is applied by answer.h (the
 * center's commands to the card in order, an M1 entry deleted only when
 * the center acknowledged that very block).  The caller applies the
 * export policy after a session (dec_export_after) and the first
 * contact's rule (contact.h).
 */
#ifndef DECODER_SYNC_H
#define DECODER_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "state.h"
#include "uplink.h"

#define DEC_SYNC_RESIGNAL_MS 100 /* a stopped worker is woken again */

enum dec_sync_step {
	DEC_SYNC_DONE = 0,
	DEC_SYNC_CA,     /* the CA file would not load */
	DEC_SYNC_CARD,   /* (unused: the session goes without the card) */
	DEC_SYNC_CENTER, /* the session failed; nothing was applied */
};

struct dec_sync_result {
	int rc;
	enum dec_sync_step step;
	uint16_t sw;
	struct dec_uplink_out out; /* the center's answer, when done */
	size_t applied;            /* commands the card took */
	size_t deleted;            /* M1 entries acknowledged and deleted */
	size_t quarantined;        /* M1 entries rejected for good, moved */
	/* The present card could not be read (0: it was, or none): the
	 * session went without its block (sw: the card's refusal). */
	int present_rc;
	char present_why[DEC_WHY_MAX];
	char why[DEC_WHY_MAX]; /* a failure in one sentence */
};

/*
 * A session runs on a worker (upjob.h) while the loop goes on: start it,
 * poll dec_sync_fd, and call dec_sync_step after every poll; it returns 1
 * once the session is over, with *res.  The card work stays on the
 * loop's thread (the present card's block is made in dec_sync_step, the
 * center's commands applied there).  The session has one deadline,
 * cfg.uplink_deadline s after its start, whatever the center sends or
 * does not: past it the worker is stopped and the session fails.
 *
 * dec_sync_start: 0, or res says why not (PROTO_ERR_EXISTS: one runs).
 * cut: fault injection (0, or cut the connection after that many
 * frames).  On failure st->last_error holds res->why and M1 and the card
 * are as they were.
 */
int
dec_sync_start(struct dec_state *st, unsigned cut, struct dec_sync_result *res);
int dec_sync_step(struct dec_state *st, struct dec_sync_result *res);
/* -1 when no session runs. */
int dec_sync_fd(const struct dec_state *st);
/* How long the loop may sleep for the session's sake (-1: forever). */
int dec_sync_wait_ms(const struct dec_state *st);
/* Step until the session is over; its rc. */
int dec_sync_wait(struct dec_state *st, struct dec_sync_result *res);
/* Stop a session under way and wait for it (at shutdown). */
void dec_sync_stop(struct dec_state *st);
/* Start and wait: one whole session (tests). */
int
dec_sync_run(struct dec_state *st, unsigned cut, struct dec_sync_result *res);
/* The next scheduled uplink: now + the interval (none if it is 0). */
void dec_sync_schedule(struct dec_state *st, time_t now);
/*
 * Whether an uplink is due (scheduled, or asked by a full M1); when the
 * loop must wake (0: never).
 */
int dec_sync_due(const struct dec_state *st, time_t now);
time_t dec_sync_deadline(const struct dec_state *st);

#endif
