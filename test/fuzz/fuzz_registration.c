/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A card's registration record as centerctl reads it (reg_parse).
 * Invariants: an accepted record is the canonical text of what it
 * parsed to, but for the case of its hex digits; a certificate in it
 * names the record's UA, key and versions.
 */
#include <stdio.h>
#include <strings.h>

#include <string.h>

#include "../../proto/buf.h"
#include "../../proto/cert.h"
#include "../../tools/keys.h"
#include "common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registration r;
	char ua[2 * PROTO_UA_LEN + 1], pub[2 * PROTO_EC_PUB_LEN + 1];
	char ver[2 * PROTO_VERSIONS_LEN + 1], cert[2 * PROTO_CERT_LEN + 1];
	char text[1024];
	struct proto_cert c;
	int n;

	if (reg_parse(data, size, &r) != 0)
		return 0;
	proto_hex(r.ua, sizeof(r.ua), ua);
	proto_hex(r.pub, sizeof(r.pub), pub);
	proto_hex(r.versions, sizeof(r.versions), ver);
	proto_hex(r.cert, sizeof(r.cert), cert);
	n = snprintf(text, sizeof(text),
	    "ptv-registration 1\nua %s\npublic-key %s\nversions %s\n%s%s%s", ua,
	    pub, ver, r.has_cert ? "certificate " : "", r.has_cert ? cert : "",
	    r.has_cert ? "\n" : "");
	if (r.has_cert)
		fuzz_require(proto_cert_parse(r.cert, sizeof(r.cert), &c) ==
			    0 &&
			memcmp(c.ua, r.ua, PROTO_UA_LEN) == 0 &&
			memcmp(c.pub, r.pub, PROTO_EC_PUB_LEN) == 0,
		    "registration", "the certificate names the record's card");
	fuzz_require(n > 0 && (size_t)n == size &&
		strncasecmp(text, (const char *)data, size) == 0,
	    "registration", "an accepted record is canonical but for case");
	return 0;
}
