/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The quarantine file beside M1 as decoderd reads it back at its start
 * (dec_quar_decode): a file anyone with the disk may have edited.
 * Invariants: a refused file leaves the output as it was; a decoded one
 * is within its limits, every entry a well-formed block of its UA; it
 * encodes again, and that decodes to the same entries.
 */
#include <string.h>

#include "../../decoder/quarantine.h"
#include "common.h"

#define T "quarantine"

static int
same_entry(const struct dec_quar_entry *a, const struct dec_quar_entry *b)
{
	return memcmp(a->ua, b->ua, PROTO_UA_LEN) == 0 && a->seq == b->seq &&
	    a->reason == b->reason && a->quarantined_at == b->quarantined_at &&
	    a->stored_at == b->stored_at && a->len == b->len &&
	    memcmp(a->block, b->block, a->len) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dec_quar q, back;
	static char img[DEC_QUAR_FILE_MAX];
	size_t len = 0;

	memset(&q, 0, sizeof(q));
	q.n = 7; /* what a refused file must leave as it was */
	q.e[0].seq = 42;
	if (dec_quar_decode((const char *)data, size, &q) != 0) {
		fuzz_require(q.n == 7 && q.e[0].seq == 42, T,
		    "a refused file changes nothing");
		return 0;
	}
	fuzz_require(q.n <= DEC_QUAR_MAX, T, "entries within the limit");
	for (size_t i = 0; i < q.n; i++)
		fuzz_require(q.e[i].len <= PROTO_BLOCK_MAX, T,
		    "a block within its limit");
	fuzz_require(dec_quar_encode(&q, img, sizeof(img), &len) == 0, T,
	    "a decoded quarantine encodes");
	memset(&back, 0, sizeof(back));
	fuzz_require(dec_quar_decode(img, len, &back) == 0, T,
	    "an encoded quarantine decodes");
	fuzz_require(back.n == q.n, T, "as many entries");
	for (size_t i = 0; i < q.n; i++)
		fuzz_require(same_entry(&back.e[i], &q.e[i]), T,
		    "the same entries");
	return 0;
}
