/* SPDX-License-Identifier: BSD-2-Clause */
/* The benchmarks' SECONDS argument: a positive decimal, fractions allowed. */
#ifndef TEST_BENCH_SECS_H
#define TEST_BENCH_SECS_H

#include <stdlib.h>

static inline int
bench_secs(const char *s, double *v)
{
	char *end;
	double x = strtod(s, &end);

	if (end == s || *end != '\0' || !(x > 0) || x > 86400)
		return -1;
	*v = x;
	return 0;
}

#endif
