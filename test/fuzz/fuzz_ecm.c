/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An ECM as the card receives it (proto_ecm_open under the fuzz ECM key;
 * the corpus holds ECMs built with it).  Invariant: an ECM that opens,
 * rebuilt from what it said, opens to the same fields and control words.
 */
#include <string.h>

#include "../../proto/sm.h"
#include "common.h"

static int
same_ecm(const struct proto_ecm *a, const struct proto_ecm *b)
{
	return a->channel == b->channel && a->event == b->event &&
	    a->time == b->time && a->event_end == b->event_end &&
	    a->flags == b->flags && a->price == b->price;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_ecm e, e2;
	uint8_t cw[PROTO_CW_LEN], cw2[PROTO_CW_LEN], again[PROTO_ECM_LEN];

	(void)proto_ecm_open(data, size, fuzz_ecm_key, &e, NULL);
	if (proto_ecm_open(data, size, fuzz_ecm_key, &e, cw) != 0)
		return 0;
	fuzz_require(size == PROTO_ECM_LEN, "ecm", "an ECM has one length");
	fuzz_require(proto_ecm_build(&e, cw, fuzz_ecm_key, again) == 0 &&
		proto_ecm_open(again, sizeof(again), fuzz_ecm_key, &e2, cw2) ==
		    0,
	    "ecm", "a rebuilt ECM opens");
	fuzz_require(same_ecm(&e, &e2) && memcmp(cw, cw2, sizeof(cw)) == 0,
	    "ecm", "a rebuilt ECM says the same");
	proto_cleanse(cw, sizeof(cw));
	proto_cleanse(cw2, sizeof(cw2));
	return 0;
}
