/* SPDX-License-Identifier: BSD-2-Clause */
#include <stddef.h>

#include "num.h"
#include "proto.h"

int
proto_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t n;
	int over = 0;

	if (s == NULL || v == NULL || min > max)
		return PROTO_ERR_ARG;
	for (n = 0; s[n] != '\0'; n++) {
		unsigned d;

		if (s[n] < '0' || s[n] > '9' || n >= PROTO_NUM_MAX_DIGITS)
			return PROTO_ERR_FORMAT;
		d = (unsigned)(s[n] - '0');
		if (x > (UINT64_MAX - d) / 10)
			over = 1;
		else
			x = x * 10 + d;
	}
	if (n == 0)
		return PROTO_ERR_FORMAT;
	if (over || x < min || x > max)
		return PROTO_ERR_RANGE;
	*v = x;
	return 0;
}

int
proto_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	uint64_t x;
	int rc;

	if (v == NULL)
		return PROTO_ERR_ARG;
	if ((rc = proto_parse_u64(s, min, max, &x)) != 0)
		return rc;
	*v = (uint32_t)x;
	return 0;
}

int
proto_parse_uint(const char *s, unsigned min, unsigned max, unsigned *v)
{
	uint64_t x;
	int rc;

	if (v == NULL)
		return PROTO_ERR_ARG;
	if ((rc = proto_parse_u64(s, min, max, &x)) != 0)
		return rc;
	*v = (unsigned)x;
	return 0;
}
