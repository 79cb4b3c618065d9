/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The center's answer as the decoder reads it: frames (proto_up_header)
 * taken one by one into a proto_up_answer (proto_up_answer_take) until
 * DONE, an ERROR or a bad frame, as decoder/uplink.c does.
 * Invariants: the answer's counts never pass their limits; DONE ends the
 * answer; an ERROR frame fails with its reason recorded; any other frame
 * refused leaves the answer as it was.
 */
#include <string.h>

#include "../../proto/proto.h"
#include "../../proto/uplink.h"
#include "common.h"

#define T "uplink_answer"

static void
within_limits(const struct proto_up_answer *a)
{
	fuzz_require(a->n_res <= PROTO_UPLINK_MAX_BLOCKS &&
		a->n_cmds <= PROTO_UP_MAX_COMMANDS &&
		a->n_acks <= PROTO_UPLINK_MAX_BLOCKS,
	    T, "counts within their limits");
	for (size_t i = 0; i < a->n_cmds; i++)
		fuzz_require(a->cmd_len[i] <= PROTO_CMD_MAX_LEN, T,
		    "a command within its limit");
}

/* Member by member: the struct has padding, which memcmp would compare. */
static int
same_answer(const struct proto_up_answer *a, const struct proto_up_answer *b)
{
	for (size_t i = 0; i < PROTO_UPLINK_MAX_BLOCKS; i++)
		if (a->res[i].index != b->res[i].index ||
		    a->res[i].status != b->res[i].status ||
		    a->res[i].reason != b->res[i].reason ||
		    memcmp(a->res[i].ua, b->res[i].ua, PROTO_UA_LEN) != 0 ||
		    a->res[i].seq != b->res[i].seq)
			return 0;
	return a->n_res == b->n_res && a->n_cmds == b->n_cmds &&
	    a->n_acks == b->n_acks && a->invoiced == b->invoiced &&
	    a->flagged == b->flagged && a->error == b->error &&
	    memcmp(a->cmds, b->cmds, sizeof(a->cmds)) == 0 &&
	    memcmp(a->cmd_len, b->cmd_len, sizeof(a->cmd_len)) == 0 &&
	    memcmp(a->ack_ua, b->ack_ua, sizeof(a->ack_ua)) == 0 &&
	    memcmp(a->ack_seq, b->ack_seq, sizeof(a->ack_seq)) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_up_answer a, before;
	struct proto_rd r;
	const uint8_t *b;
	uint8_t type;
	size_t n;
	int done = 0, rc;

	memset(&a, 0, sizeof(a));
	proto_rd_init(&r, data, size);
	while (!done && proto_rd_left(&r) >= PROTO_UPLINK_HDR_LEN) {
		if (proto_up_header(r.p, &type, &n) != 0 ||
		    proto_rd_skip(&r, PROTO_UPLINK_HDR_LEN) != 0 ||
		    proto_rd_ptr(&r, n, &b) != 0)
			break;
		before = a;
		rc = proto_up_answer_take(&a, type, b, n, &done);
		within_limits(&a);
		if (type == PROTO_UP_ERROR) {
			fuzz_require(rc == PROTO_ERR_STATE &&
				a.error == (n > 0 ? b[0] : PROTO_UP_INTERNAL),
			    T, "an ERROR fails with its reason");
			break;
		}
		fuzz_require(rc == 0 || same_answer(&a, &before), T,
		    "a refused frame leaves the answer as it was");
		fuzz_require(!done || (rc == 0 && type == PROTO_UP_DONE), T,
		    "only DONE ends the answer");
		if (rc != 0)
			break;
	}
	return 0;
}
