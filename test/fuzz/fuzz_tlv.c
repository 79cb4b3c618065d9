/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * BER-TLV (proto/tlv.h): the full check, a walk of the top level and a
 * look-up.  Invariants: a failed read leaves the reader where it was; a
 * sequence that checks walks to its end; a value found lies inside the
 * input.
 */
#include "../../proto/tlv.h"
#include "common.h"

static void
walk(const uint8_t *data, size_t size, int checked)
{
	struct proto_rd r, before;
	struct proto_tlv t;

	proto_rd_init(&r, data, size);
	while (proto_rd_left(&r) > 0) {
		before = r;
		if (proto_tlv_read(&r, &t) != 0) {
			fuzz_require(r.p == before.p && r.left == before.left,
			    "tlv", "a failed read does not move the reader");
			fuzz_require(!checked, "tlv",
			    "a checked sequence reads to its end");
			return;
		}
		fuzz_require(r.left < before.left &&
			t.value.left <= before.left,
		    "tlv", "a read consumes what it returns");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_rd r, v;
	int checked;

	proto_rd_init(&r, data, size);
	checked = proto_tlv_check(&r) == 0;
	fuzz_require(r.p == data && r.left == size, "tlv",
	    "check leaves its reader alone");
	walk(data, size, checked);
	if (proto_tlv_find(&r, 0x9f36, &v) == 0)
		fuzz_require(v.p >= data && v.left <= size &&
			(size_t)(v.p - data) <= size - v.left,
		    "tlv", "a found value lies inside the input");
	return 0;
}
