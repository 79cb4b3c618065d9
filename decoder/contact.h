/* SPDX-License-Identifier: BSD-2-Clause */
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
 * The policy only: it writes st->contact_* and reads the card and
 * st->sync; the loop (decoderd.c) starts the sessions it asks for.
 */
#ifndef DECODER_CONTACT_H
#define DECODER_CONTACT_H

#include <time.h>

#include "state.h"
#include "sync.h"

#define DEC_CONTACT_FIRST_WAIT 2 /* s after a first contact failed */

/* A card was opened (insertion, or a new card after a reset). */
void dec_contact_arrived(struct dec_state *st, time_t now);
/* Whether to start the session now: none under way, the same card still
 * there and locked (a card gone or unlocked ends the contact). */
int dec_contact_due(struct dec_state *st, time_t now);
/* When the loop must wake for it (0: never). */
time_t dec_contact_deadline(const struct dec_state *st);
/* Any session ended (started for the contact or not), after the card's
 * state was read again: the contact ends, or its next try is set. */
void dec_contact_after(struct dec_state *st, const struct dec_sync_result *res,
    time_t now);
/* The wait after one more failure: DEC_CONTACT_FIRST_WAIT, doubled, cap. */
unsigned dec_contact_backoff(unsigned wait, unsigned cap);

#endif
