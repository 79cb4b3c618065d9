/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Numbers from text: command lines, configuration files, control requests,
 * the environment.  One parser for all of them, so every number a user
 * types is read the same way: decimal digits only (no sign, no blanks, no
 * base prefix), at most PROTO_NUM_MAX_DIGITS of them, the value within
 * [min, max].  The output is written only on success.
 */
#ifndef PROTO_NUM_H
#define PROTO_NUM_H

#include <stdint.h>

/* Enough for UINT64_MAX (20 digits) with leading zeros allowed up to here. */
#define PROTO_NUM_MAX_DIGITS 24

/*
 * Parse s as a decimal number in [min, max].  Returns 0, PROTO_ERR_ARG
 * (s NULL or min > max), PROTO_ERR_FORMAT (empty, not all digits, too
 * many digits) or PROTO_ERR_RANGE (outside [min, max]).
 */
int proto_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v);
int proto_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v);
int proto_parse_uint(const char *s, unsigned min, unsigned max, unsigned *v);

/*
 * A duration: decimal digits, then a unit -- ms, s, min, h or d -- or
 * none for seconds ("500ms", "10s", "10", "5min", "1h").  Into *ms, at
 * most max_ms.  PROTO_ERR_FORMAT (no digits, another unit, blanks),
 * PROTO_ERR_RANGE (over max_ms).
 */
#define PROTO_DURATION_UNITS "ms, s, min, h or d (none: seconds)"
int proto_parse_duration(const char *s, uint64_t max_ms, uint64_t *ms);

#endif
