/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A block as the center and the decoder receive it: proto_block_parse,
 * then verification against the fuzz card's key and opening under its
 * transmission key (the corpus holds blocks sealed with both).
 * Invariants: the parsed fields lie inside the input, in order; the
 * signed part is everything but the signature; an opened body re-encodes
 * to exactly the ciphertext's length.
 */
#include <string.h>

#include "../../proto/sm.h"
#include "common.h"

static int
inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	return p >= data && n <= size && (size_t)(p - data) <= size - n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_m2 m;
	uint8_t out[PROTO_M2_MAX_LEN];
	struct proto_block b;
	struct proto_wr w;

	if (proto_block_parse(data, size, &b) != 0)
		return 0;
	fuzz_require(size <= PROTO_BLOCK_MAX && b.ct_len <= PROTO_M2_MAX_LEN,
	    "block", "a block within its limits");
	fuzz_require(inside(b.iv, PROTO_GCM_IV_LEN, data, size) &&
		inside(b.ct, b.ct_len, data, size) &&
		inside(b.tag, PROTO_GCM_TAG_LEN, data, size) &&
		inside(b.sig, PROTO_EC_SIG_LEN, data, size) &&
		b.iv < b.ct + 1 && b.ct <= b.tag && b.tag < b.sig,
	    "block", "fields inside the input, in order");
	fuzz_require(b.signed_part == data &&
		b.signed_len == size - PROTO_EC_SIG_LEN &&
		b.sig == data + b.signed_len,
	    "block", "the signed part is all but the signature");
	fuzz_require(memcmp(b.ua, data + 2, PROTO_UA_LEN) == 0, "block",
	    "the UA is the header's");
	fuzz_require(memcmp(b.challenge, data + 2 + PROTO_UA_LEN + 4,
			 PROTO_CHALLENGE_LEN) == 0,
	    "block", "the challenge is the header's");
	if (b.kind == PROTO_BLOCK_EXPORT)
		for (size_t i = 0; i < PROTO_CHALLENGE_LEN; i++)
			fuzz_require(b.challenge[i] == 0, "block",
			    "an export block answers no challenge");
	if (proto_block_verify(&b, fuzz_sign_pub) != 0 ||
	    proto_block_open(&b, fuzz_kt, &m) != 0)
		return 0;
	proto_wr_init(&w, out, sizeof(out));
	fuzz_require(proto_m2_encode(&m, &w) == 0 &&
		proto_wr_len(&w) == b.ct_len,
	    "block", "an opened body re-encodes to its length");
	proto_m2_clear(&m);
	return 0;
}
