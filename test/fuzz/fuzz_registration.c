/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A card's registration record as centerctl reads it (reg_parse).
 * Invariant: an accepted record is the canonical text of what it
 * parsed to, but for the case of its hex digits.
 */
#include <stdio.h>
#include <strings.h>

#include "../../proto/buf.h"
#include "../../tools/keys.h"
#include "common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registration r;
	char ua[2 * PROTO_UA_LEN + 1], pub[2 * PROTO_EC_PUB_LEN + 1];
	char ver[2 * PROTO_VERSIONS_LEN + 1], text[512];
	int n;

	if (reg_parse(data, size, &r) != 0)
		return 0;
	proto_hex(r.ua, sizeof(r.ua), ua);
	proto_hex(r.pub, sizeof(r.pub), pub);
	proto_hex(r.versions, sizeof(r.versions), ver);
	n = snprintf(text, sizeof(text),
	    "ptv-registration 1\nua %s\npublic-key %s\nversions %s\n", ua, pub,
	    ver);
	fuzz_require(n > 0 && (size_t)n == size &&
		strncasecmp(text, (const char *)data, size) == 0,
	    "registration", "an accepted record is canonical but for case");
	return 0;
}
