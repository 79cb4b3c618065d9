/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A block as the center and the decoder receive it: proto_block_parse,
 * then verification against the fuzz card's key and opening under its
 * transmission key (the corpus holds blocks sealed with both), and again
 * under that key set up once (proto_gcm_key), which must agree.
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

/*
 * The block opened under the transmission key set up once (as the
 * center's key cache keeps it): the same result as under the key, rc,
 * and the same M2 (m, when it opened), by their encodings.
 */
static int
open_kept(const struct proto_block *b, int rc, const struct proto_m2 *m)
{
	static struct proto_gcm_key *gk; /* made once, kept to the end */
	uint8_t e1[PROTO_M2_MAX_LEN], e2[PROTO_M2_MAX_LEN];
	struct proto_m2 m2;
	struct proto_wr w1, w2;
	int same;

	if (gk == NULL && proto_gcm_key_new(fuzz_kt, &gk) != 0)
		return 1; /* out of memory: nothing to compare */
	if (proto_block_open_key(b, gk, &m2) != rc)
		return 0;
	if (rc != 0)
		return 1;
	proto_wr_init(&w1, e1, sizeof(e1));
	proto_wr_init(&w2, e2, sizeof(e2));
	same = proto_m2_encode(m, &w1) == 0 && proto_m2_encode(&m2, &w2) == 0 &&
	    proto_wr_len(&w1) == proto_wr_len(&w2) &&
	    memcmp(e1, e2, proto_wr_len(&w1)) == 0;
	proto_m2_clear(&m2);
	proto_cleanse(e1, sizeof(e1));
	proto_cleanse(e2, sizeof(e2));
	return same;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_m2 m;
	uint8_t out[PROTO_M2_MAX_LEN];
	struct proto_block b;
	struct proto_wr w;
	int rc;

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
	if (proto_block_verify(&b, fuzz_sign_pub) != 0)
		return 0;
	rc = proto_block_open(&b, fuzz_kt, &m);
	fuzz_require(open_kept(&b, rc, rc == 0 ? &m : NULL), "block",
	    "a key set up once opens what the key does");
	if (rc != 0)
		return 0;
	proto_wr_init(&w, out, sizeof(out));
	fuzz_require(proto_m2_encode(&m, &w) == 0 &&
		proto_wr_len(&w) == b.ct_len,
	    "block", "an opened body re-encodes to its length");
	proto_m2_clear(&m);
	return 0;
}
