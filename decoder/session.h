/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The session with whatever card is in the reader: open it when a card
 * arrives, drop it when the card leaves or the reader service goes away.
 *
 * The reader is shared with other programs (pcsc_scan, opensc-tool, a
 * subscriber's own tools), so every card operation runs between
 * dec_session_begin and dec_session_end: one PC/SC transaction, our
 * applet selected at its start (another program may have selected
 * another).  A reset or a removal PC/SC reports is met by reconnecting,
 * and the card must then show it is the same one (its UA) before the
 * operation goes on; only when no card answers is the session dropped.
 * Another program's transaction is never waited for: the operation fails
 * at once (st->held), and a card held at its insertion is opened once it
 * is released (st->waiting, retried every DEC_HELD_RETRY s).
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
 * reader).  PROTO_ERR_STATE: another program holds the card (st->waiting
 * names the reader until it opens or leaves).  PROTO_ERR_EXISTS: a
 * session is open already.
 */
int dec_session_open(struct dec_state *st, const char *reader);
/* End the session, if any, saying why in the log; M1 stays. */
void dec_session_drop(struct dec_state *st, const char *why);
/* The card in reader left: stop waiting for it. */
void dec_session_unwait(struct dec_state *st, const char *reader);
/* The reader service went away: drop the session and the service. */
void dec_session_release(struct dec_state *st);
/*
 * Around a card operation; they nest, the outermost pair holding the
 * transaction.  begin fails with PROTO_ERR_STATE when there is no card or
 * another program holds it (st->held), PROTO_ERR_IO when the card is gone
 * (the session is dropped).  end takes the result of the card calls made
 * in between (not of files: their PROTO_ERR_IO is no card's) and returns
 * it; after PROTO_ERR_IO, here or in a nested pair, it reconnects, or
 * ends the session when no card answers.
 */
int dec_session_begin(struct dec_state *st);
int dec_session_end(struct dec_state *st, int rc);
/* Whether another program holds the card now (asked of PC/SC, no APDU). */
int dec_session_held(const struct dec_state *st);
/* A card operation's failure rc in words ("no card", "... in use ..."). */
const char *dec_session_why(const struct dec_state *st, int rc);
/* GET DATA: st->card.st afresh, as one operation. */
int dec_session_refresh(struct dec_state *st);
/* GET DATA 01 09, the card certificate (dec_card_cert), as one operation. */
int dec_session_cert(struct dec_state *st, uint8_t cert[PROTO_CERT_LEN]);
/* EXPORT or UPLINK BLOCKS (dec_card_block), as one operation. */
int dec_session_block(struct dec_state *st, uint8_t ins,
    const uint8_t *challenge, uint8_t *block, size_t *len, uint16_t *sw);

#endif
