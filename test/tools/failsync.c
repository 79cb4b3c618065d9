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

int
fdatasync(int fd)
{
	static int (*real)(int);
	const char *after = getenv("PTV_FAILSYNC_AFTER");

	if (real == NULL) {
		void *sym = dlsym(RTLD_NEXT, "fdatasync");

		memcpy(&real, &sym, sizeof(real));
	}
	if (after != NULL && group_wal(fd) &&
	    atomic_fetch_add(&calls, 1) >= strtol(after, NULL, 10)) {
		errno = EIO;
		return -1;
	}
	return real != NULL ? real(fd) : (errno = ENOSYS, -1);
}
