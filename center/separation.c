/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>

#include "separation.h"

void
cgs_separate(const struct proto_up_hello *hello, int frame,
    const uint8_t ua[PROTO_UA_LEN], struct cgs_route *r)
{
	int present =
	    hello->has_card && memcmp(ua, hello->ua, PROTO_UA_LEN) == 0;

	memset(r, 0, sizeof(*r));
	r->refused = PROTO_UP_OK;
	r->origin = frame;
	if (frame == CGS_ORIGIN_RECOVERED)
		r->may = CGS_MAY_INVOICE | CGS_MAY_RETIRE | CGS_MAY_RELEASE_M1;
	else if (present)
		r->may = CGS_MAY_INVOICE | CGS_MAY_ACTIVATE | CGS_MAY_SET_LOCK |
		    CGS_MAY_COMMAND;
	else
		r->refused = PROTO_UP_WRONG_CARD;
}

size_t
cgs_separation_order(const struct cgs_in_block *in, size_t n, size_t *order)
{
	size_t k = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++)
			if ((in[i].origin == CGS_ORIGIN_RECOVERED) ==
			    (pass == 0))
				order[k++] = i;
	return k;
}
