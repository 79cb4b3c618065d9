/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The card certificate as a decoder receives it (GET DATA 01 09):
 * proto_cert_parse, then proto_cert_verify against the fuzz issuer key
 * (the corpus holds certificates signed with it).  Invariants: a parsed
 * certificate is exactly PROTO_CERT_LEN bytes whose fields are the
 * input's; verification parses the same; re-signed, it is the same
 * signed part.
 */
#include <string.h>

#include "../../proto/cert.h"
#include "../../proto/proto.h"
#include "common.h"

#define T "cert"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_cert c, v;
	uint8_t again[PROTO_CERT_LEN];
	struct proto_wr w;

	if (proto_cert_parse(data, size, &c) != 0) {
		fuzz_require(proto_cert_verify(data, size, fuzz_sign_pub, &v) !=
			0,
		    T, "what does not parse does not verify");
		return 0;
	}
	fuzz_require(size == PROTO_CERT_LEN, T, "exactly its length");
	fuzz_require(data[0] == PROTO_CERT_VERSION &&
		memcmp(c.ua, data + 1, PROTO_UA_LEN) == 0 &&
		memcmp(c.pub, data + 1 + PROTO_UA_LEN, PROTO_EC_PUB_LEN) == 0 &&
		memcmp(c.versions, data + 1 + PROTO_UA_LEN + PROTO_EC_PUB_LEN,
		    PROTO_VERSIONS_LEN) == 0,
	    T, "the fields are the input's");
	if (proto_cert_verify(data, size, fuzz_sign_pub, &v) != 0)
		return 0;
	fuzz_require(memcmp(&c, &v, sizeof(c)) == 0, T,
	    "verify parses the same");
	proto_wr_init(&w, again, sizeof(again));
	fuzz_require(proto_cert_sign(&c, fuzz_sign_priv, fuzz_sign_pub, &w) ==
		    0 &&
		proto_wr_len(&w) == size &&
		memcmp(again, data, size - PROTO_EC_SIG_LEN) == 0,
	    T, "re-signed, the same signed part");
	return 0;
}
