/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A response APDU as the decoder receives it (proto_rapdu_parse).
 * Invariant: the data is the input but its last two bytes, which are
 * the status word.
 */
#include "../../proto/apdu.h"
#include "common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_rapdu r;

	if (proto_rapdu_parse(data, size, &r) != 0) {
		fuzz_require(size < 2, "rapdu",
		    "only a response shorter than SW1 SW2 is refused");
		return 0;
	}
	fuzz_require(size >= 2 && r.len == size - 2, "rapdu",
	    "data is all but the status word");
	fuzz_require(r.len == 0 || r.data == data, "rapdu",
	    "data starts the response");
	fuzz_require(r.sw == (uint16_t)(data[size - 2] << 8 | data[size - 1]),
	    "rapdu", "SW1 SW2 end the response");
	(void)proto_sw_str(r.sw);
	return 0;
}
