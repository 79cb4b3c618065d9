/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * failsync.so, for LD_PRELOAD: the commit group's fdatasync of the WAL
 * fails with EIO (as a disk's write-back error would) from its
 * PTV_FAILSYNC_AFTER-th call on (0: the first).  The group's is told
 * from SQLite's own by its descriptor: opened read-only on a file whose
 * name ends in "-wal" (center/group.c; SQLite opens its files
 * read-write).  Every other call is the C library's.  For
 * test/integration/center_syncfail.sh.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../proto/num.h"

static atomic_int calls;

/* Is fd the group's descriptor of a WAL? */
static int
group_wal(int fd)
{
	char link[64], path[4096];
	ssize_t n;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_ACCMODE) != O_RDONLY)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) < 4)
		return 0;
	path[n] = '\0';
	return strcmp(path + n - 4, "-wal") == 0;
}

/* PTV_FAILSYNC_AFTER through the bounded parser, once: -1 unset; a value
 * that is no count ends the process, said (a test set up wrong must not
 * pass). */
static long
after_of(void)
{
	static long after = -2;
	const char *v;
	uint64_t n;

	if (after != -2)
		return after;
	if ((v = getenv("PTV_FAILSYNC_AFTER")) == NULL)
		return after = -1;
	if (proto_parse_u64(v, 0, 1000000000, &n) != 0) {
		(void)fprintf(stderr,
		    "failsync: PTV_FAILSYNC_AFTER=%.40s: not a count\n", v);
		_exit(2);
	}
	return after = (long)n;
}

int
fdatasync(int fd)
{
	static int (*real)(int);
	long after = after_of();

	if (real == NULL) {
		void *sym = dlsym(RTLD_NEXT, "fdatasync");

		memcpy(&real, &sym, sizeof(real));
	}
	if (after >= 0 && group_wal(fd) &&
	    atomic_fetch_add(&calls, 1) >= after) {
		errno = EIO;
		return -1;
	}
	return real != NULL ? real(fd) : (errno = ENOSYS, -1);
}
