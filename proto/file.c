/* SPDX-License-Identifier: BSD-2-Clause */
#define _DEFAULT_SOURCE /* flock */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "file.h"
#include "num.h"
#include "proto.h"

static unsigned long fp_count;
static unsigned long fp_target;
static int fp_loaded;

void
proto_failpoint(const char *name)
{
	const char *v;

	(void)name;
	if (!fp_loaded) {
		uint64_t n;

		fp_loaded = 1;
		/* a test's setting: one that is no count arms nothing, and
		 * says so (a tear test that never tears would pass) */
		if ((v = getenv("PROTO_CRASH_AT")) != NULL && *v != '\0') {
			if (proto_parse_u64(v, 0, ULONG_MAX, &n) == 0)
				fp_target = (unsigned long)n;
			else
				(void)fprintf(stderr,
				    "PROTO_CRASH_AT=%.40s: not a count of "
				    "failpoints; none armed\n",
				    v);
		}
	}
	if (++fp_count == fp_target)
		_exit(PROTO_CRASH_EXIT);
}

void
proto_failpoint_arm(unsigned long n)
{
	fp_loaded = 1;
	fp_count = 0;
	fp_target = n;
}

unsigned long
proto_failpoint_count(void)
{
	return fp_count;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return proto_err_sys(n < 0 ? errno : ENOSPC);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd, rc = 0;

	if (slash == NULL) {
		dir[0] = '.';
		n = 1;
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir))
			return PROTO_ERR_TOOBIG;
		memcpy(dir, path, n);
	}
	dir[n] = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return proto_err_sys(errno);
	if (fsync(fd) != 0)
		rc = proto_err_sys(errno);
	close(fd);
	return rc;
}

int
proto_file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	const uint8_t *p = data;
	int fd = -1, rc, n;

	if (path == NULL || (data == NULL && len > 0))
		return PROTO_ERR_ARG;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return PROTO_ERR_TOOBIG;
	proto_failpoint("replace:open");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = proto_err_sys(errno);
		goto out;
	}
	/* A crash halfway through the write leaves a torn temporary file. */
	if ((rc = write_all(fd, p, len / 2)) != 0)
		goto out;
	proto_failpoint("replace:write-half");
	if ((rc = write_all(fd, p + len / 2, len - len / 2)) != 0)
		goto out;
	proto_failpoint("replace:written");
	if (fsync(fd) != 0) {
		rc = proto_err_sys(errno);
		goto out;
	}
	proto_failpoint("replace:synced");
	if (close(fd) != 0) {
		rc = proto_err_sys(errno);
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = proto_err_sys(errno);
		goto out;
	}
	proto_failpoint("replace:renamed");
	if ((rc = fsync_dir_of(path)) != 0)
		goto out;
	proto_failpoint("replace:dir-synced");
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
proto_file_read(const char *path, size_t max, uint8_t **out, size_t *outlen)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd, rc;

	if (path == NULL || out == NULL || outlen == NULL)
		return PROTO_ERR_ARG;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? PROTO_ERR_NOTFOUND :
					 proto_err_sys(errno);
	if (fstat(fd, &st) != 0) {
		rc = proto_err_sys(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = proto_err_sys(S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
		goto out;
	}
	if ((uintmax_t)st.st_size > max) {
		rc = PROTO_ERR_TOOBIG;
		goto out;
	}
	/* One spare byte tells a file that grew while we read it. */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = PROTO_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = proto_err_sys(errno);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)st.st_size) {
			rc = PROTO_ERR_TOOBIG;
			goto out;
		}
	}
	*out = buf;
	*outlen = got;
	buf = NULL;
	rc = 0;
out:
	if (buf != NULL) {
		proto_cleanse(buf, got); /* the file may hold keys */
		free(buf);
	}
	close(fd);
	return rc;
}

/* The pid a lock file names ("PID\n"), 0 if it names none: the file is
 * read as any input is, through proto's bounded number parser. */
static long
lock_holder(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	uint32_t pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (proto_parse_u32(buf, 1, INT32_MAX, &pid) != 0)
		return 0;
	return (long)pid;
}

int
proto_file_lock(const char *path, int *out, long *holder)
{
	char lock[PATH_MAX], pid[24];
	int fd, n;

	*holder = 0;
	if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock))
		return PROTO_ERR_TOOBIG;
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return proto_err_sys(errno);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = errno;
		if (n == EWOULDBLOCK)
			*holder = lock_holder(fd);
		close(fd);
		errno = n;
		return n == EWOULDBLOCK ? PROTO_ERR_EXISTS : proto_err_sys(n);
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		n = errno != 0 ? errno : ENOSPC;
		close(fd);
		return proto_err_sys(n);
	}
	*out = fd;
	return 0;
}

void
proto_file_unlock(int *fd)
{
	if (*fd < 0)
		return;
	/* Name no holder any more (a failure leaves a stale pid only). */
	if (ftruncate(*fd, 0) != 0)
		errno = 0;
	close(*fd);
	*fd = -1;
}
