/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hex decoder (proto_unhex) behind UAs, keys and records typed or
 * stored as text.  Invariant: hex is accepted exactly when it is 2n hex
 * digits, and encodes back to itself in lowercase.
 */
#include <ctype.h>
#include <string.h>

#include "../../proto/buf.h"
#include "common.h"

#define T "hex"
#define HEX_MAX 256

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[HEX_MAX / 2];
	char again[HEX_MAX + 1];
	int valid = size % 2 == 0, rc;

	if (size > HEX_MAX)
		return 0;
	for (size_t i = 0; i < size; i++)
		valid = valid && isxdigit(data[i]);
	rc = proto_unhex((const char *)data, size, out, size / 2);
	fuzz_require((rc == 0) == valid, T,
	    "accepted exactly when 2n hex digits");
	if (rc != 0)
		return 0;
	proto_hex(out, size / 2, again);
	for (size_t i = 0; i < size; i++)
		fuzz_require(again[i] == tolower(data[i]), T,
		    "decodes to what encodes back to it");
	return 0;
}
