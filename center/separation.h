/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The separation module (the invention's): a session carries the present
 * card's blocks and blocks the decoder kept in M1 for cards no longer in
 * its reader.  For each block it decides, from the frame the block came
 * in and the UA in the block's header (before anything is opened), whose
 * block it is -- the present card's, one recovered from a retired card,
 * or refused -- and what a block of that origin may change at the center.
 * It also fixes the order a session's blocks are processed in.  It holds
 * no state and touches no database: the rules are here, ingest.c applies
 * them.
 */
#ifndef CENTER_SEPARATION_H
#define CENTER_SEPARATION_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/ua.h"
#include "../proto/uplink.h"

/* The two origins: a frame's kind, and how a block is processed. */
#define CGS_ORIGIN_PRESENT 0   /* BLOCK frame: made by the present card */
#define CGS_ORIGIN_RECOVERED 1 /* RECOVERED frame: from the decoder's M1 */

/* A block as it arrived in a session. */
struct cgs_in_block {
	int origin;           /* the frame it came in: CGS_ORIGIN_* */
	const uint8_t *block; /* borrowed */
	size_t len;
	uint8_t decoder_id[PROTO_DECODER_ID_LEN]; /* recovered: who kept it */
	uint64_t stored_at;
};

/* What a block may change, by origin (bits of cgs_route.may). */
#define CGS_MAY_INVOICE 0x01  /* its purchases enter the ledger */
#define CGS_MAY_ACTIVATE 0x02 /* the card is active, seen now as present */
#define CGS_MAY_SET_LOCK 0x04 /* the card's lock state is recorded */
/* its lock state and acknowledged purchases decide the present card's
 * commands (commands.h) */
#define CGS_MAY_COMMAND 0x08
/* the card is seen recovered from the session's decoder (retired once
 * that decoder proves it holds another card) */
#define CGS_MAY_RETIRE 0x10
/* the decoder is told it may delete its M1 copy (an ACK) */
#define CGS_MAY_RELEASE_M1 0x20

struct cgs_route {
	uint8_t refused; /* PROTO_UP_OK, or the reason the block is refused */
	int origin;      /* CGS_ORIGIN_*: as which it is processed */
	unsigned may;    /* CGS_MAY_*: nothing when refused */
};

/*
 * Route one block whose header names ua, arriving in frame (CGS_ORIGIN_*)
 * of a session that hello opened:
 *  - a BLOCK frame of the present card's UA: the present card's (the
 *    frame's kind and challenge, checked before, make it fresh: the card
 *    answered this session); it may activate the card, record its lock
 *    state and drive its commands;
 *  - any RECOVERED frame: recovered from a decoder's M1 -- an export
 *    block, which proves nothing of where the card is now, even when its
 *    UA is the present card's; it may record the card as seen recovered
 *    and release the decoder's M1 copy, nothing of the present card;
 *  - another UA in a BLOCK frame (or a BLOCK in a session without a
 *    card): refused, PROTO_UP_WRONG_CARD; it changes nothing.
 * Both accepted origins invoice their purchases.  Whether the block is
 * genuine (registered, signed, decryptable), and whether a recovered one
 * is older than what the center holds (stale), is checked afterwards and
 * does not change the route.
 */
void cgs_separate(const struct proto_up_hello *hello, int frame,
    const uint8_t ua[PROTO_UA_LEN], struct cgs_route *r);

/*
 * The order a session's n blocks are processed in, as indices into in:
 * every RECOVERED frame first, then the BLOCK frames, each group in
 * arrival order.  The retired cards' data is recorded before the present
 * card's commands are decided, so the present card is unlocked only after
 * what M1 held is safe at the center.  Returns n.
 */
size_t
cgs_separation_order(const struct cgs_in_block *in, size_t n, size_t *order);

#endif
