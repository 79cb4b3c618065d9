/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one number parser of the command lines, configuration and control
 * requests (proto_parse_u64/u32/uint).  The input is the text.
 * Invariants: a number is accepted exactly when it is all decimal digits,
 * at most PROTO_NUM_MAX_DIGITS of them, and its value (as strtoull reads
 * it) lies in the range; the three widths agree; a refusal leaves the
 * output alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../proto/num.h"
#include "common.h"

#define T "num"
#define SENTINEL 0x5a5a5a5au

static int
all_digits(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= PROTO_NUM_MAX_DIGITS &&
	    strspn(s, "0123456789") == n;
}

static void
check(const char *s)
{
	uint64_t v64 = SENTINEL, ref = 0;
	uint32_t v32 = SENTINEL;
	unsigned vu = SENTINEL;
	int ok64, ok32, oku, fits = 0;

	ok64 = proto_parse_u64(s, 0, UINT64_MAX, &v64) == 0;
	if (all_digits(s)) {
		errno = 0;
		ref = strtoull(s, NULL, 10);
		fits = errno == 0;
	}
	fuzz_require(ok64 == fits, T, "accepted exactly when digits that fit");
	fuzz_require(ok64 ? v64 == ref : v64 == SENTINEL, T,
	    "the value, or the output untouched");
	ok32 = proto_parse_u32(s, 7, 100000, &v32) == 0;
	fuzz_require(ok32 == (fits && ref >= 7 && ref <= 100000), T,
	    "u32 honours its range");
	fuzz_require(ok32 ? v32 == ref : v32 == SENTINEL, T,
	    "u32's value, or the output untouched");
	oku = proto_parse_uint(s, 0, 65535, &vu) == 0;
	fuzz_require(oku == (fits && ref <= 65535), T,
	    "uint honours its range");
	fuzz_require(oku ? vu == ref : vu == SENTINEL, T,
	    "uint's value, or the output untouched");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[64];

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check(s);
	return 0;
}
