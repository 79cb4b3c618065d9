/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * M2's body codec (proto_m2_decode), what a block carries once opened.
 * Invariant: the decoder is strict, so what it accepts encodes back to
 * the same bytes.
 */
#include <string.h>

#include "../../proto/sm.h"
#include "common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_m2 m;
	uint8_t out[PROTO_M2_MAX_LEN];
	struct proto_wr w;

	if (proto_m2_decode(data, size, &m) != 0)
		return 0;
	fuzz_require(m.n_counts <= PROTO_M2_MAX_CHANNELS &&
		m.n_rights <= PROTO_M2_MAX_RIGHTS &&
		m.n_purchases <= PROTO_M2_MAX_PURCHASES &&
		m.n_outcomes <= PROTO_M2_MAX_OUTCOMES,
	    "m2", "counts within their limits");
	fuzz_require((m.flags & ~PROTO_M2_FLAGS_ALL) == 0, "m2",
	    "only known flags");
	for (unsigned i = 0; i < m.n_outcomes; i++)
		fuzz_require(m.outcomes[i].path <= PROTO_CMD_PATH_BROADCAST,
		    "m2", "outcomes of known paths");
	proto_wr_init(&w, out, sizeof(out));
	fuzz_require(proto_m2_encode(&m, &w) == 0, "m2",
	    "a decoded M2 encodes");
	fuzz_require(proto_wr_len(&w) == size && memcmp(out, data, size) == 0,
	    "m2", "decode then encode gives the same bytes");
	return 0;
}
