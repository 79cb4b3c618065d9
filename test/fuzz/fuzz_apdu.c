/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A command APDU as the card receives it (proto_apdu_parse).
 * Invariants: lengths within ISO 7816-4's limits, data inside the input;
 * a parsed APDU encodes and parses back to the same command.
 */
#include <string.h>

#include "../../proto/apdu.h"
#include "common.h"

static int
same_apdu(const struct proto_apdu *a, const struct proto_apdu *b)
{
	return a->cla == b->cla && a->ins == b->ins && a->p1 == b->p1 &&
	    a->p2 == b->p2 && a->lc == b->lc && a->ne == b->ne &&
	    (a->lc == 0 || memcmp(a->data, b->data, a->lc) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[PROTO_APDU_MAX_CMD_LEN];
	struct proto_apdu a, b;
	struct proto_wr w;

	if (proto_apdu_parse(data, size, &a) != 0)
		return 0;
	fuzz_require(a.lc <= PROTO_APDU_EXT_MAX_LC &&
		a.ne <= PROTO_APDU_EXT_MAX_NE && a.kase >= PROTO_APDU_CASE_1 &&
		a.kase <= PROTO_APDU_CASE_4E,
	    "apdu", "lengths and case within ISO 7816-4");
	fuzz_require(a.lc == 0 ||
		(a.data > data && (size_t)(a.data - data) + a.lc <= size),
	    "apdu", "the data lies inside the input");
	fuzz_require(a.lc != 0 || a.data == NULL, "apdu",
	    "no data pointer without data");
	proto_wr_init(&w, buf, sizeof(buf));
	fuzz_require(proto_apdu_encode(&a, &w) == 0, "apdu",
	    "a parsed APDU encodes");
	fuzz_require(proto_apdu_parse(buf, proto_wr_len(&w), &b) == 0 &&
		same_apdu(&a, &b),
	    "apdu", "encode then parse gives the same command");
	fuzz_require(proto_wr_len(&w) <= size, "apdu",
	    "the encoder's form is never longer");
	return 0;
}
