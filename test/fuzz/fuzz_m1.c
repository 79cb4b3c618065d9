/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * M1's file image as the decoder reads it back from disk
 * (dec_m1_decode under the fuzz decoder key; the corpus holds images
 * encoded with it).  Invariants: a decoded M1 is within its limits; it
 * encodes again, and that decodes to the same entries.
 */
#include <string.h>

#include "../../decoder/m1.h"
#include "common.h"

#define T "m1"

static void
same_m1(const struct dec_m1 *a, const struct dec_m1 *b)
{
	fuzz_require(a->n == b->n, T, "as many entries");
	for (size_t i = 0; i < a->n; i++) {
		const struct dec_m1_entry *x = &a->e[i], *y = &b->e[i];

		fuzz_require(memcmp(x->ua, y->ua, PROTO_UA_LEN) == 0 &&
			x->state == y->state && x->seq == y->seq &&
			x->change_ctr == y->change_ctr &&
			x->exported_at == y->exported_at && x->len == y->len &&
			memcmp(x->block, y->block, x->len) == 0,
		    T, "the same entries");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dec_m1 m, m2;
	uint8_t img[DEC_M1_FILE_MAX];
	struct dec_key k;
	size_t len;

	memset(&k, 0, sizeof(k));
	memcpy(k.key, fuzz_m1_key, sizeof(k.key));
	memcpy(k.id, fuzz_decoder_id, sizeof(k.id));
	if (dec_m1_decode(&k, data, size, &m) != 0)
		return 0;
	fuzz_require(m.n <= DEC_M1_MAX_ENTRIES, T, "entries within the limit");
	for (size_t i = 0; i < m.n; i++)
		fuzz_require(m.e[i].len <= PROTO_BLOCK_MAX &&
			(m.e[i].state == DEC_M1_PENDING ||
			    m.e[i].state == DEC_M1_ACKED),
		    T, "an entry within its limits, in a known state");
	fuzz_require(dec_m1_encode(&k, &m, img, sizeof(img), &len) == 0, T,
	    "a decoded M1 encodes");
	fuzz_require(dec_m1_decode(&k, img, len, &m2) == 0, T,
	    "an encoded M1 decodes");
	same_m1(&m, &m2);
	return 0;
}
