/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The uplink session with the management center, as the daemon runs it:
 * the present card's blocks (UPLINK BLOCKS) and every unacknowledged M1
 * entry of another card go out (uplink.h does the wire); the center's
 * commands are applied to the card in order, and an M1 entry is deleted
 * only when the center acknowledged that very block (dec_m1_ack).  The
 * caller applies the export policy after a session (dec_export_after).
 */
#ifndef DECODER_SYNC_H
#define DECODER_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "state.h"
#include "uplink.h"

#define DEC_SYNC_RESIGNAL_MS 100 /* a stopped worker is woken again */
#define DEC_CONTACT_FIRST_WAIT 2 /* s after a first contact failed */

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
/*
 * Delete the M1 entries ans acknowledges (each only if M1 holds that very
 * block: same UA and seq), durably.  Returns how many; 0 when the file
 * could not be written (then M1 is unchanged, and logged).
 */
size_t
dec_sync_forget_acked(struct dec_state *st, const struct proto_up_answer *ans);

/*
 * Move the M1 entries ans rejects for good (proto_up_reason_final, a
 * block M1 holds that went as RECOVERED in the session hello opened)
 * into the quarantine, durably: the quarantine file first, then M1.
 * Returns how many; 0 when a file could not be written (then M1 and the
 * quarantine are unchanged, and logged).
 */
size_t dec_sync_quarantine(struct dec_state *st,
    const struct proto_up_hello *hello, const struct proto_up_answer *ans);

/* The next scheduled uplink: now + the interval (none if it is 0). */
void dec_sync_schedule(struct dec_state *st, time_t now);
/*
 * Whether an uplink is due (scheduled, or asked by a full M1); when the
 * loop must wake (0: never).
 */
int dec_sync_due(const struct dec_state *st, time_t now);
time_t dec_sync_deadline(const struct dec_state *st);

/*
 * The first contact (cfg.first_contact): a transfer-locked card may not
 * buy or export until the center has unlocked it, so its insertion starts
 * an uplink at once, and a session that fails (the center cannot be
 * reached, is busy, the card could not be read or did not take the
 * center's commands) is tried again after DEC_CONTACT_FIRST_WAIT s,
 * doubling up to cfg.first_contact_max.  It ends when the card is
 * unlocked or leaves, or when a session went through and the center did
 * not unlock it (the center's choice: a later uplink asks again).
 *
 * _arrived: a card was opened (insertion, or a new card after a reset).
 * _due: whether to start the session now (none under way, the same card
 * still there and locked); _deadline: when the loop must wake (0: never).
 * _after: any session ended (started for the contact or not), after the
 * card's state was read again.
 */
void dec_sync_contact_arrived(struct dec_state *st, time_t now);
int dec_sync_contact_due(struct dec_state *st, time_t now);
time_t dec_sync_contact_deadline(const struct dec_state *st);
void dec_sync_contact_after(struct dec_state *st,
    const struct dec_sync_result *res, time_t now);
/* The wait after one more failure: DEC_CONTACT_FIRST_WAIT, doubled, cap. */
unsigned dec_sync_backoff(unsigned wait, unsigned cap);

#endif
