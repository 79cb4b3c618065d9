/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * powercut: an LD_PRELOAD shim that keeps, beside each file it is told
 * of, what a disk would hold of it after a power cut: PATH.disk.  A
 * write goes to the file as usual and is kept as pending for the file's
 * inode; an fsync or fdatasync of the inode (on any descriptor, from any
 * thread) applies to the image, once it returned, the pending writes and
 * truncations that had returned before it began, in their order.  A
 * kill -9 keeps the page cache, a power cut does not: after a kill -9,
 * the images are what a power cut at that instant would have left.
 *
 * The image starts as a copy of the file when the process first opens
 * it (the test makes sure that it was durable then); an unlink of the
 * file removes its image.  Followed: open, open64, openat, __open_2,
 * __open64_2, close, pwrite64, pwrite, write, ftruncate(64), fsync,
 * fdatasync, unlink (what SQLite's unix VFS calls here: open64, pwrite64,
 * ftruncate64, fdatasync, unlink; the center, open and fdatasync);
 * writev or pwritev on a followed file ends the program.  mmap
 * writes are not seen (SQLite maps only the -shm, which recovery
 * rebuilds, and maps its database read-only if at all).
 *
 * A test tool only: make tests builds it, nothing installs it.
 * Environment:
 *   PTV_POWERCUT_FILES   the files, as the program opens them (absolute
 *                        paths for SQLite), ':' between
 *   PTV_POWERCUT_CUT_AT  N: the program cuts its own power (SIGKILL) once
 *                        N syncs of these files returned, at random
 *                        either as the next sync begins or as the next
 *                        write or truncation returns: with writes
 *                        pending.  Unset: the test kills it from outside.
 *   PTV_POWERCUT_TORN    a seed: at such a cut, a random part of the
 *                        pending writes reaches the disk after all, each
 *                        one whole, not at all, or some of its 512-byte
 *                        sectors (a disk may write any of them)
 *   PTV_POWERCUT_LIE     N (1 to 16), the test of the test: a sync makes
 *                        durable only what the sync N before it on that
 *                        file covered (counting those that came after a
 *                        write), so the writes synced last before a cut
 *                        are lost, as with a disk lying about its cache,
 *                        or a program that answers before its sync
 * A file it cannot image ends the program (abort): a test must not go
 * on with a wrong image.
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE /* open() is defined here, not wrapped inline */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../../proto/num.h"

#define PC_FD_CAP 65536
#define PC_FILES 8
#define PC_SECTOR 512
#define PC_PATH 4096
#define PC_LIE_MAX 16

/* A write or truncation of the file not yet made durable. */
struct rec {
	struct rec *next;
	uint64_t seq;
	off_t off; /* where, or the length truncated to */
	size_t len;
	int trunc;
	unsigned char data[];
};

/* A file of the list, its inode while open, its image, what is pending. */
struct img {
	char path[PC_PATH];
	int open; /* its inode is known (dev, ino) */
	dev_t dev;
	ino_t ino;
	int disk; /* the image's descriptor */
	struct rec *head, **tail;
	uint64_t next_seq;
	/* LIE: the marks of the last syncs after a write, newest first */
	uint64_t lie[PC_LIE_MAX + 1];
};

static struct img imgs[PC_FILES];
static int n_imgs;
static int fd_img[PC_FD_CAP]; /* an img index + 1; atomic loads/stores */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int lie, torn, cut_after;
static long cut_at = -1, syncs; /* syncs returned (atomic) */
static uint64_t rnd;

static int (*r_open)(const char *, int, ...);
static int (*r_openat)(int, const char *, int, ...);
static int (*r_close)(int);
static ssize_t (*r_write)(int, const void *, size_t);
static ssize_t (*r_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*r_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t (*r_writev)(int, const struct iovec *, int);
static ssize_t (*r_pwritev)(int, const struct iovec *, int, off_t);
static int (*r_ftruncate)(int, off_t);
static int (*r_ftruncate64)(int, off64_t);
static int (*r_fsync)(int);
static int (*r_fdatasync)(int);
static int (*r_unlink)(const char *);

static void
die(const char *what, const char *path)
{
	fprintf(stderr, "powercut: %s: %s\n", what, path);
	abort();
}

static void *
sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL)
		die("no such function", name);
	return p;
}

/* A setting of ours, through the bounded parser: a value that is no
 * count from min to max ends the process (a test set up wrong must not
 * pass). */
static uint64_t
env_num(const char *name, const char *v, uint64_t min, uint64_t max)
{
	uint64_t n;

	if (proto_parse_u64(v, min, max, &n) != 0)
		die("not a count in its range", name);
	return n;
}

static uint64_t
next_rnd(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return rnd;
}

static void
add_files(const char *list)
{
	const char *p = list, *e;

	while (*p != '\0' && n_imgs < PC_FILES) {
		size_t n;

		e = strchr(p, ':');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n > 0 && n < PC_PATH) {
			memcpy(imgs[n_imgs].path, p, n);
			imgs[n_imgs++].path[n] = '\0';
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
}

__attribute__((constructor)) static void
pc_init(void)
{
	const char *v;

	r_open = (int (*)(const char *, int, ...))sym("open");
	r_openat = (int (*)(int, const char *, int, ...))sym("openat");
	r_close = (int (*)(int))sym("close");
	r_write = (ssize_t(*)(int, const void *, size_t))sym("write");
	r_pwrite = (ssize_t(*)(int, const void *, size_t, off_t))sym("pwrite");
	r_pwrite64 =
	    (ssize_t(*)(int, const void *, size_t, off64_t))sym("pwrite64");
	r_writev = (ssize_t(*)(int, const struct iovec *, int))sym("writev");
	r_pwritev =
	    (ssize_t(*)(int, const struct iovec *, int, off_t))sym("pwritev");
	r_ftruncate = (int (*)(int, off_t))sym("ftruncate");
	r_ftruncate64 = (int (*)(int, off64_t))sym("ftruncate64");
	r_fsync = (int (*)(int))sym("fsync");
	r_fdatasync = (int (*)(int))sym("fdatasync");
	r_unlink = (int (*)(const char *))sym("unlink");
	if ((v = getenv("PTV_POWERCUT_FILES")) != NULL)
		add_files(v);
	if ((v = getenv("PTV_POWERCUT_LIE")) != NULL)
		lie = (int)env_num("PTV_POWERCUT_LIE", v, 1, PC_LIE_MAX);
	if ((v = getenv("PTV_POWERCUT_TORN")) != NULL) {
		torn = 1;
		rnd = env_num("PTV_POWERCUT_TORN", v, 0, UINT64_MAX);
	}
	rnd = rnd * 2654435761u + 1; /* never 0, the same for a seed */
	if ((v = getenv("PTV_POWERCUT_CUT_AT")) != NULL) {
		cut_at = (long)env_num("PTV_POWERCUT_CUT_AT", v, 0, LONG_MAX);
		cut_after = (int)(next_rnd() & 1);
	}
}

/* --- the image ----------------------------------------------------------- */

static void
disk_write(const struct img *m, const unsigned char *p, size_t n, off_t off)
{
	while (n > 0) {
		ssize_t w = r_pwrite(m->disk, p, n, off);

		if (w <= 0)
			die("cannot write the image of", m->path);
		p += w;
		n -= (size_t)w;
		off += w;
	}
}

/* The image of m made a copy of what the file holds now. */
static void
disk_start(struct img *m)
{
	char path[PC_PATH + 8];
	unsigned char buf[65536];
	ssize_t n;
	off_t off = 0;
	int fd;

	snprintf(path, sizeof(path), "%s.disk", m->path);
	if ((m->disk = r_open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		 0600)) < 0 ||
	    (fd = r_open(m->path, O_RDONLY | O_CLOEXEC)) < 0)
		die("cannot start the image of", m->path);
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		disk_write(m, buf, (size_t)n, off);
		off += n;
	}
	if (n < 0)
		die("cannot read", m->path);
	r_close(fd);
	m->head = NULL;
	m->tail = &m->head;
}

static void
apply(struct img *m, const struct rec *r)
{
	if (r->trunc) {
		if (r_ftruncate(m->disk, r->off) != 0)
			die("cannot truncate the image of", m->path);
	} else {
		disk_write(m, r->data, r->len, r->off);
	}
}

/* The pending records of m before seq upto, applied and dropped. */
static void
settle(struct img *m, uint64_t upto)
{
	struct rec *r;

	while ((r = m->head) != NULL && r->seq < upto) {
		apply(m, r);
		if ((m->head = r->next) == NULL)
			m->tail = &m->head;
		free(r);
	}
}

/* What a torn cut did with the pending records: whole, none, torn. */
static unsigned long n_how[3];

/* A cut, torn: each pending record reaches the disk whole, not at all,
 * or a random part of its sectors. */
static void
tear(struct img *m)
{
	for (const struct rec *r = m->head; r != NULL; r = r->next) {
		unsigned how = (unsigned)(next_rnd() % 3);
		size_t at = 0;

		n_how[r->trunc && how == 2 ? 0 : how]++;
		if (how == 0 || (how == 2 && r->trunc))
			apply(m, r);
		if (how != 2 || r->trunc)
			continue;
		while (at < r->len) {
			off_t o = r->off + (off_t)at;
			size_t n = PC_SECTOR - (size_t)(o % PC_SECTOR);

			if (n > r->len - at)
				n = r->len - at;
			if (next_rnd() & 1)
				disk_write(m, r->data + at, n, o);
			at += n;
		}
	}
}

/* The power goes: under the lock, never given back. */
static void
cut(void)
{
	pthread_mutex_lock(&lock);
	if (torn)
		for (int i = 0; i < n_imgs; i++)
			if (imgs[i].open)
				tear(&imgs[i]);
	fprintf(stderr,
	    "powercut: the power cut %s, after %ld syncs; of the "
	    "writes pending, %lu reach the disk whole, %lu not at all, %lu "
	    "torn\n",
	    cut_after ? "after a write" : "before a sync", syncs, n_how[0],
	    n_how[1], n_how[2]);
	raise(SIGKILL);
	abort();
}

/* where: 0 as a sync begins, 1 as a write or truncation returned */
static void
maybe_cut(int where)
{
	if (cut_at >= 0 && where == cut_after &&
	    __atomic_load_n(&syncs, __ATOMIC_ACQUIRE) >= cut_at)
		cut();
}

/* --- descriptors ----------------------------------------------------------- */

static struct img *
img_of(int fd)
{
	int i;

	if (fd < 0 || fd >= PC_FD_CAP ||
	    (i = __atomic_load_n(&fd_img[fd], __ATOMIC_ACQUIRE)) == 0)
		return NULL;
	return &imgs[i - 1];
}

static int
listed(const char *path)
{
	for (int i = 0; i < n_imgs; i++)
		if (strcmp(imgs[i].path, path) == 0)
			return i;
	return -1;
}

/* A descriptor of a listed file: its inode's image found or started.
 * Returns fd. */
static int
opened(int fd, const char *path, int flags)
{
	struct stat st;
	struct img *m;
	int i;

	if (fd < 0 || (i = listed(path)) < 0)
		return fd;
	if (fd >= PC_FD_CAP || fstat(fd, &st) != 0)
		die("cannot follow", path);
	m = &imgs[i];
	pthread_mutex_lock(&lock);
	if (!m->open || m->dev != st.st_dev || m->ino != st.st_ino) {
		if (m->open)
			die("a second inode of", path);
		m->dev = st.st_dev;
		m->ino = st.st_ino;
		m->open = 1;
		disk_start(m);
	} else if (flags & O_TRUNC) {
		die("truncated at open (not followed)", path);
	}
	__atomic_store_n(&fd_img[fd], i + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&lock);
	return fd;
}

static void
record(struct img *m, const void *p, size_t n, off_t off, int trunc)
{
	struct rec *r = malloc(sizeof(*r) + n);

	if (r == NULL)
		die("out of memory for", m->path);
	r->next = NULL;
	r->off = off;
	r->len = n;
	r->trunc = trunc;
	if (n > 0)
		memcpy(r->data, p, n);
	pthread_mutex_lock(&lock);
	if (!m->open) { /* a descriptor of a file unlinked since */
		pthread_mutex_unlock(&lock);
		free(r);
		return;
	}
	r->seq = m->next_seq++;
	*m->tail = r;
	m->tail = &r->next;
	pthread_mutex_unlock(&lock);
}

static int
synced(int fd, int (*real)(int))
{
	struct img *m = img_of(fd);
	uint64_t mark;
	int rc;

	if (m == NULL)
		return real(fd);
	maybe_cut(0);
	pthread_mutex_lock(&lock);
	mark = m->next_seq;
	pthread_mutex_unlock(&lock);
	if ((rc = real(fd)) == 0) {
		pthread_mutex_lock(&lock);
		if (lie > 0 && mark > m->lie[0]) {
			memmove(&m->lie[1], &m->lie[0],
			    PC_LIE_MAX * sizeof(m->lie[0]));
			m->lie[0] = mark;
		}
		if (lie > 0)
			mark = m->lie[lie];
		settle(m, mark);
		__atomic_add_fetch(&syncs, 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&lock);
	}
	return rc;
}

/* --- the calls taken over ------------------------------------------------ */

/* mode: the third argument of an open call, there with O_CREAT or
 * O_TMPFILE only */
#define PC_MODE(flags, mode)                               \
	do {                                               \
		va_list ap_;                               \
		va_start(ap_, flags);                      \
		if ((flags) & (O_CREAT | O_TMPFILE))       \
			(mode) = (mode_t)va_arg(ap_, int); \
		va_end(ap_);                               \
	} while (0)

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	PC_MODE(flags, mode);
	return opened(r_open(path, flags, mode), path, flags);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	PC_MODE(flags, mode);
	return opened(r_open(path, flags | O_LARGEFILE, mode), path, flags);
}

int
openat(int dir, const char *path, int flags, ...)
{
	mode_t mode = 0;

	PC_MODE(flags, mode);
	return opened(r_openat(dir, path, flags, mode), path, flags);
}

/* fortify's checked opens, for a program built with _FORTIFY_SOURCE
 * whose open calls go through them */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);

int
__open_2(const char *path, int flags)
{
	return opened(r_open(path, flags), path, flags);
}

int
__open64_2(const char *path, int flags)
{
	return opened(r_open(path, flags | O_LARGEFILE), path, flags);
}

int
close(int fd)
{
	if (img_of(fd) != NULL)
		__atomic_store_n(&fd_img[fd], 0, __ATOMIC_RELEASE);
	return r_close(fd);
}

/* m's file is gone: its pending records and its image with it. */
static void
forget(struct img *m)
{
	char disk[PC_PATH + 8];

	while (m->head != NULL) {
		struct rec *r = m->head;
		m->head = r->next;
		free(r);
	}
	m->tail = &m->head;
	if (m->open)
		r_close(m->disk);
	m->open = 0;
	snprintf(disk, sizeof(disk), "%s.disk", m->path);
	(void)r_unlink(disk);
}

int
unlink(const char *path)
{
	int rc = r_unlink(path), i;

	if (rc == 0 && (i = listed(path)) >= 0) {
		pthread_mutex_lock(&lock);
		forget(&imgs[i]);
		pthread_mutex_unlock(&lock);
	}
	return rc;
}

/* A write of n bytes at off returned: kept as pending if fd is followed. */
static ssize_t
wrote(int fd, ssize_t n, const void *p, off_t off)
{
	struct img *m = img_of(fd);

	if (m != NULL && n > 0)
		record(m, p, (size_t)n, off, 0);
	if (m != NULL)
		maybe_cut(1);
	return n;
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	return wrote(fd, r_pwrite(fd, p, n, off), p, off);
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off64_t off)
{
	return wrote(fd, r_pwrite64(fd, p, n, off), p, (off_t)off);
}

ssize_t
write(int fd, const void *p, size_t n)
{
	ssize_t w = r_write(fd, p, n);

	if (w > 0 && img_of(fd) != NULL)
		(void)wrote(fd, w, p, lseek(fd, 0, SEEK_CUR) - w);
	return w;
}

/* Not followed (nothing here writes a database so): an end, not a miss. */
static void
unfollowed(int fd, const char *call)
{
	if (img_of(fd) != NULL)
		die(call, img_of(fd)->path);
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	unfollowed(fd, "writev is not followed, on");
	return r_writev(fd, iov, cnt);
}

ssize_t
pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	unfollowed(fd, "pwritev is not followed, on");
	return r_pwritev(fd, iov, cnt, off);
}

static int
truncated(int fd, int rc, off_t len)
{
	struct img *m = img_of(fd);

	if (m != NULL && rc == 0)
		record(m, NULL, 0, len, 1);
	if (m != NULL)
		maybe_cut(1);
	return rc;
}

int
ftruncate(int fd, off_t len)
{
	return truncated(fd, r_ftruncate(fd, len), len);
}

int
ftruncate64(int fd, off64_t len)
{
	return truncated(fd, r_ftruncate64(fd, len), (off_t)len);
}

int
fsync(int fd)
{
	return synced(fd, r_fsync);
}

int
fdatasync(int fd)
{
	return synced(fd, r_fdatasync);
}
