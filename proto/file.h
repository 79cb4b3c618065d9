/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Files that must survive a crash: whole-file atomic, durable replacement,
 * and bounded reads of files that are treated as hostile input.
 */
#ifndef PROTO_FILE_H
#define PROTO_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Replace path with data: write a temporary file beside it, fsync it,
 * rename it over path, fsync the directory.  After a crash at any instant
 * path holds either its old content or the new one, never a mix; once this
 * returns 0 the new content is durable.
 */
int
proto_file_replace(const char *path, const void *data, size_t len, mode_t mode);
/*
 * Read all of path into a new buffer of at most max bytes
 * (PROTO_ERR_TOOBIG if larger).  The caller frees *out.
 */
int
proto_file_read(const char *path, size_t max, uint8_t **out, size_t *outlen);

/*
 * Hold path exclusively for as long as *fd stays open: an flock on
 * "path.lock" beside it (created 0600; path itself may be replaced by
 * proto_file_replace meanwhile), which names our pid.  PROTO_ERR_EXISTS:
 * another process holds it, and *holder is its pid (0 if unknown).
 * proto_file_unlock closes *fd and sets it to -1 (-1 already: nothing).
 */
int proto_file_lock(const char *path, int *fd, long *holder);
void proto_file_unlock(int *fd);

/*
 * Failpoints: crash-test hooks.  When the environment variable
 * PROTO_CRASH_AT holds N > 0, the N-th failpoint reached in this process
 * ends it at once with _exit(PROTO_CRASH_EXIT), as a kill -9 or a power cut
 * would.  Unset, a failpoint costs one branch.  Tests use this to tear a
 * commit at every step.
 */
#define PROTO_CRASH_EXIT 86
void proto_failpoint(const char *name);
/* Arm in-process: the n-th failpoint from now on crashes (0 disarms). */
void proto_failpoint_arm(unsigned long n);
/* Failpoints reached so far in this process. */
unsigned long proto_failpoint_count(void);

#endif
