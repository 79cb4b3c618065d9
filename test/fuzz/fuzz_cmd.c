/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A center command as the card receives it: proto_cmd_parse, then
 * proto_cmd_verify against the fuzz center key (the corpus holds
 * commands signed with it).  Invariants: the signed part and the
 * signature split the input; a verified command parses to the same
 * fields; re-signed, it parses to them again (a type this library does
 * not know parses, with no arguments, and cannot be signed).
 */
#include <string.h>

#include "../../proto/proto.h"
#include "../../proto/sm.h"
#include "common.h"

static int
same_cmd(const struct proto_cmd *a, const struct proto_cmd *b)
{
	return a->type == b->type && memcmp(a->ua, b->ua, PROTO_UA_LEN) == 0 &&
	    a->path == b->path && a->counter == b->counter &&
	    a->arg1 == b->arg1 && a->arg2 == b->arg2;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_cmd c, v, r;
	const uint8_t *sp, *sig;
	uint8_t buf[PROTO_CMD_MAX_LEN];
	struct proto_wr w;
	size_t sl;

	if (proto_cmd_parse(data, size, &c, &sp, &sl, &sig) != 0) {
		fuzz_require(proto_cmd_verify(data, size, fuzz_sign_pub, &v) !=
			0,
		    "cmd", "what does not parse does not verify");
		return 0;
	}
	fuzz_require(size <= PROTO_CMD_MAX_LEN, "cmd", "within its limit");
	fuzz_require(c.path <= PROTO_CMD_PATH_BROADCAST, "cmd", "a known path");
	fuzz_require(sp == data && sl + PROTO_EC_SIG_LEN == size &&
		sig == data + sl,
	    "cmd", "signed part and signature split the input");
	if (proto_cmd_verify(data, size, fuzz_sign_pub, &v) != 0)
		return 0;
	fuzz_require(same_cmd(&c, &v), "cmd", "verify parses the same");
	proto_wr_init(&w, buf, sizeof(buf));
	if (!proto_cmd_known(c.type)) {
		fuzz_require(c.arg1 == 0 && c.arg2 == 0 &&
			proto_cmd_sign(&c, fuzz_sign_priv, fuzz_sign_pub, &w) ==
			    PROTO_ERR_ARG &&
			proto_wr_len(&w) == 0,
		    "cmd", "an unknown type has no arguments, is not signed");
		return 0;
	}
	fuzz_require(proto_cmd_sign(&c, fuzz_sign_priv, fuzz_sign_pub, &w) == 0,
	    "cmd", "a parsed command can be signed again");
	fuzz_require(proto_cmd_verify(buf, proto_wr_len(&w), fuzz_sign_pub,
			 &r) == 0 &&
		same_cmd(&c, &r),
	    "cmd", "a re-signed command verifies to the same fields");
	return 0;
}
