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

int
proto_parse_duration(const char *s, uint64_t max_ms, uint64_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
		{ "", 1000 },
		{ "ms", 1 },
		{ "s", 1000 },
		{ "min", 60000 },
		{ "h", 3600000 },
		{ "d", 86400000 },
	};
	char digits[PROTO_NUM_MAX_DIGITS + 1];
	size_t n = 0;
	uint64_t x;
	int rc;

	if (s == NULL || ms == NULL)
		return PROTO_ERR_ARG;
	while (s[n] >= '0' && s[n] <= '9' && n < PROTO_NUM_MAX_DIGITS) {
		digits[n] = s[n];
		n++;
	}
	digits[n] = '\0';
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		const char *u = units[i].unit;
		size_t k = 0;

		while (u[k] != '\0' && s[n + k] == u[k])
			k++;
		if (u[k] != '\0' || s[n + k] != '\0')
			continue;
		if ((rc = proto_parse_u64(digits, 0, UINT64_MAX, &x)) != 0)
			return rc;
		if (x > max_ms / units[i].ms)
			return PROTO_ERR_RANGE;
		*ms = x * units[i].ms;
		return 0;
	}
	return PROTO_ERR_FORMAT;
}
