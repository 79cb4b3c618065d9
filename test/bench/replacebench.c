/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * replacebench: the bare cost of one fsynced atomic file replacement
 * (temporary file, fsync, rename, directory fsync) of SIZE bytes, the
 * physical limit of a durable M1 update.
 *
 * usage: replacebench PATH SIZE COUNT   prints microseconds per replace
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../proto/file.h"

int
main(int argc, char **argv)
{
	struct timespec a, b;
	uint8_t *buf;
	size_t size;
	long n;

	if (argc != 4)
		return 2;
	size = strtoul(argv[2], NULL, 10);
	n = strtol(argv[3], NULL, 10);
	if (n <= 0 || (buf = calloc(1, size + 1)) == NULL)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		buf[0] = (uint8_t)i;
		if (proto_file_replace(argv[1], buf, size, 0600) != 0) {
			free(buf);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.0f\n",
	    ((double)(b.tv_sec - a.tv_sec) * 1e9 +
		(double)(b.tv_nsec - a.tv_nsec)) /
		1e3 / (double)n);
	unlink(argv[1]);
	free(buf);
	return 0;
}
