/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The session with whatever card is in the reader: open it when a card
 * arrives, drop it when the card leaves or the reader service goes away.
 * Every card operation runs between dec_session_begin and
 * dec_session_end, so what a session needs around one (a PC/SC
 * transaction, a reselect after a reset) has one place to live.
 */
#ifndef DECODER_SESSION_H
#define DECODER_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

/*
 * Open a session with the card in reader (connecting to the reader
 * service first if needed).  0: st->card holds it, st->has_card is set.
 * PROTO_ERR_NOTFOUND: the card is not ours (st->foreign names the
 * reader).  PROTO_ERR_EXISTS: a session is open already.
 */
int dec_session_open(struct dec_state *st, const char *reader);
/* End the session, if any, saying why in the log; M1 stays. */
void dec_session_drop(struct dec_state *st, const char *why);
/* The reader service went away: drop the session and the service. */
void dec_session_release(struct dec_state *st);
/*
 * Around a card operation: begin fails with PROTO_ERR_STATE when there is
 * no card; end takes the operation's result, ends the session when the
 * card went away (PROTO_ERR_IO), and returns the result.
 */
int dec_session_begin(struct dec_state *st);
int dec_session_end(struct dec_state *st, int rc);
/* GET DATA: st->card.st afresh, as one operation. */
int dec_session_refresh(struct dec_state *st);
/* EXPORT or UPLINK BLOCKS (dec_card_block), as one operation. */
int dec_session_block(struct dec_state *st, uint8_t ins,
    const uint8_t *challenge, uint8_t *block, size_t *len, uint16_t *sw);

#endif
