/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vpcd framing as the card reads it from pcscd's reader driver, and
 * the card's answer to each frame: card_vpcd_feed, card_vpcd_take and
 * card_vpcd_answer, the code vcard runs, on the fuzz card
 * (card_fixture.c).
 *
 * Input: two bytes choosing how the stream is cut into reads (00 00: all
 * at once; anything else seeds the sizes of the reads, 1 to 300 bytes),
 * then the bytes vpcd sends: frames of a 2-byte big-endian length and
 * that many bytes.
 *
 * Invariants:
 *   - every byte is accounted for: the frames taken (2 + length each)
 *     and what stays buffered add up to what was fed, and the buffer
 *     refuses bytes only with a whole frame waiting at its front;
 *   - an ATR request gets the card's ATR; power off, on and reset get
 *     nothing; another 1-byte frame is refused (no answer); any other
 *     frame gets a response APDU of 2 to CARD_VPCD_FRAME_MAX bytes;
 *   - the card's invariants (fuzz_card_check) hold after every APDU and
 *     at the end.
 */
#include <string.h>

#include "../../card/runtime.h"
#include "../../card/vpcd.h"
#include "../../proto/proto.h"
#include "card_fixture.h"
#include "common.h"

#define TARGET "vpcd"
#define CHUNK_MAX 300

struct run {
	struct card_store *store;
	struct card_rt *rt;
	struct card_vpcd_rx rx;
	struct card_sm_view view;
	uint8_t out[CARD_VPCD_FRAME_MAX];
	uint8_t atr[CARD_ATR_MAX];
	size_t atr_len;
	size_t fed, taken; /* bytes into rx, bytes of frames out of it */
	uint32_t chunk_state;
};

static struct run run; /* the state of the input being run */

static void
require(int cond, const char *what)
{
	fuzz_require(cond, TARGET, what);
}

static size_t
next_chunk(struct run *r, size_t left)
{
	size_t n;

	if (r->chunk_state == 0)
		return left;
	r->chunk_state = r->chunk_state * 1103515245u + 12345u;
	n = 1 + (r->chunk_state >> 16) % CHUNK_MAX;
	return n < left ? n : left;
}

static void
answer(struct run *r, const uint8_t *frame, size_t len)
{
	size_t n = SIZE_MAX;
	int rc;

	rc = card_vpcd_answer(r->rt, frame, len, r->out, sizeof(r->out), &n);
	if (len == 1) {
		switch (frame[0]) {
		case CARD_VPCD_CTRL_ATR:
			require(rc == 0 && n == r->atr_len &&
				memcmp(r->out, r->atr, n) == 0,
			    "an ATR request not answered by the ATR");
			break;
		case CARD_VPCD_CTRL_OFF:
		case CARD_VPCD_CTRL_ON:
		case CARD_VPCD_CTRL_RESET:
			require(rc == 0 && n == 0, "a power control answered");
			break;
		default:
			require(rc == PROTO_ERR_FORMAT && n == SIZE_MAX,
			    "an unknown control byte not refused");
		}
		return;
	}
	require(rc == 0 && n >= 2 && n <= CARD_VPCD_FRAME_MAX,
	    "an APDU frame without a response APDU");
	fuzz_card_check(TARGET, r->store, &r->view);
}

/* Answer every whole frame buffered. */
static void
drain(struct run *r)
{
	const uint8_t *frame;
	size_t len;

	while (card_vpcd_take(&r->rx, &frame, &len) == 1) {
		require(len <= CARD_VPCD_FRAME_MAX, "a frame over the limit");
		r->taken += 2 + len;
		answer(r, frame, len);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run *r = &run;
	size_t off = 2, n, took;

	if (size < 2)
		return 0;
	memset(&r->rx, 0, sizeof(r->rx));
	r->fed = r->taken = 0;
	r->chunk_state = (uint32_t)data[0] << 8 | data[1];
	r->atr_len = card_atr(r->atr, sizeof(r->atr));
	fuzz_card_new(&r->store, &r->rt);
	while (off < size) {
		n = next_chunk(r, size - off);
		took = card_vpcd_feed(&r->rx, data + off, n);
		require(took > 0 &&
			(took == n || r->rx.have == sizeof(r->rx.buf)),
		    "the buffer refused bytes with room left");
		r->fed += took;
		off += took;
		drain(r);
		require(r->fed == r->taken + r->rx.have - r->rx.consumed,
		    "bytes lost or made up by the framing");
	}
	fuzz_card_check(TARGET, r->store, &r->view);
	fuzz_card_free(&r->store, &r->rt);
	return 0;
}
