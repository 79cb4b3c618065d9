/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The frames a decoder sends the center, read as the center reads a
 * session: a frame header (proto_up_header), then its body by type --
 * HELLO, BLOCK, RECOVERED (with the block it carries), END -- and, for
 * the decoder's side, CHALLENGE, RESULT and ACK bodies.  The input is a sequence of
 * frames; reading stops at the first bad one, as a session does.
 * Invariants: a header never announces more than the limit; every body
 * that decodes encodes back to the same frame.
 */
#include <string.h>

#include "../../proto/sm.h"
#include "../../proto/uplink.h"
#include "common.h"

#define T "uplink_frames"

static uint8_t again[PROTO_UPLINK_HDR_LEN + PROTO_UPLINK_MAX_BODY];

/* The frame just read (header included) must equal what w holds. */
static void
same_frame(const struct proto_wr *w, const uint8_t *frame, size_t n,
    const char *what)
{
	fuzz_require(proto_wr_len(w) == n && memcmp(again, frame, n) == 0, T,
	    what);
}

static int
body(uint8_t type, const uint8_t *frame, const uint8_t *b, size_t n)
{
	struct proto_up_hello h;
	struct proto_up_recovered rec;
	struct proto_up_result res;
	struct proto_block blk;
	uint8_t ua[PROTO_UA_LEN], nonce[PROTO_CHALLENGE_LEN];
	uint32_t seq;
	struct proto_wr w;
	size_t fl = PROTO_UPLINK_HDR_LEN + n;

	proto_wr_init(&w, again, sizeof(again));
	switch (type) {
	case PROTO_UP_HELLO:
		if (proto_up_hello_decode(b, n, &h) != 0)
			return -1;
		fuzz_require(proto_up_hello_encode(&h, &w) == 0, T,
		    "a HELLO encodes");
		same_frame(&w, frame, fl, "HELLO round trip");
		return 0;
	case PROTO_UP_BLOCK:
		return proto_block_parse(b, n, &blk);
	case PROTO_UP_RECOVERED:
		if (proto_up_recovered_decode(b, n, &rec) != 0)
			return -1;
		fuzz_require(rec.block >= b && rec.len > 0 &&
			rec.block + rec.len == b + n,
		    T, "a recovered block is the rest of its frame");
		fuzz_require(proto_up_recovered_encode(&rec, &w) == 0, T,
		    "a RECOVERED encodes");
		same_frame(&w, frame, fl, "RECOVERED round trip");
		return proto_block_parse(rec.block, rec.len, &blk);
	case PROTO_UP_CHALLENGE:
		if (proto_up_challenge_decode(b, n, nonce) != 0)
			return -1;
		fuzz_require(proto_up_challenge_encode(nonce, &w) == 0, T,
		    "a CHALLENGE encodes");
		same_frame(&w, frame, fl, "CHALLENGE round trip");
		return 0;
	case PROTO_UP_RESULT:
		if (proto_up_result_decode(b, n, &res) != 0)
			return -1;
		fuzz_require(proto_up_result_encode(&res, &w) == 0, T,
		    "a RESULT encodes");
		same_frame(&w, frame, fl, "RESULT round trip");
		return 0;
	case PROTO_UP_ACK:
		if (proto_up_ack_decode(b, n, ua, &seq) != 0)
			return -1;
		fuzz_require(proto_up_ack_encode(ua, seq, &w) == 0, T,
		    "an ACK encodes");
		same_frame(&w, frame, fl, "ACK round trip");
		return 0;
	case PROTO_UP_END:
		return n == 0 ? 0 : -1;
	default:
		return -1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_rd r;
	const uint8_t *frame, *b;
	uint8_t type;
	size_t n;

	proto_rd_init(&r, data, size);
	while (proto_rd_left(&r) >= PROTO_UPLINK_HDR_LEN) {
		frame = r.p;
		if (proto_up_header(frame, &type, &n) != 0)
			return 0;
		fuzz_require(n <= PROTO_UPLINK_MAX_BODY, T,
		    "a header within the limit");
		if (proto_rd_skip(&r, PROTO_UPLINK_HDR_LEN) != 0 ||
		    proto_rd_ptr(&r, n, &b) != 0 ||
		    body(type, frame, b, n) != 0)
			return 0;
	}
	return 0;
}
