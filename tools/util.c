/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "../proto/version.h"
#include "util.h"

/* The tool's name for the exit check (it runs after main returned, when
 * main's own "who" is gone), and whether a failure was said already. */
static struct {
	char who[UTIL_WHO_MAX];
	int said;
	int err; /* the first failed write's errno (0: none seen) */
} stdout_state;

void
util_who(char who[UTIL_WHO_MAX], const char *prog, const char *cmd)
{
	if (cmd != NULL)
		snprintf(who, UTIL_WHO_MAX, "%s %s", prog, cmd);
	else
		snprintf(who, UTIL_WHO_MAX, "%s", prog);
	memcpy(stdout_state.who, who, UTIL_WHO_MAX);
}

/* Has standard output's reader left?  The write's EPIPE, or (errno gone
 * since) a pipe or socket whose other end is closed. */
static int
reader_gone(int err)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };

	return err == EPIPE ||
	    (poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0);
}

/* A write failed with err: kept if it is the first (stdio does not keep
 * it: the next flush of a stream in error fails without writing). */
static void
out_note(int err)
{
	if (stdout_state.err == 0)
		stdout_state.err = err != 0 ? err : EIO;
}

int
util_out_check(void)
{
	if (!ferror(stdout))
		return 0;
	out_note(errno);
	return PROTO_ERR_IO;
}

int
util_flush(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		out_note(errno);
		return PROTO_ERR_IO;
	}
	return 0;
}

int
util_out_failed(const char *who)
{
	int err = stdout_state.err != 0 ? stdout_state.err : errno;

	if (!stdout_state.said && !reader_gone(err))
		fprintf(stderr, "%s: standard output: %s\n", who,
		    strerror(err != 0 ? err : EIO));
	stdout_state.said = 1;
	return UTIL_EXIT_FAIL;
}

void
util_out_said(void)
{
	stdout_state.said = 1;
}

int
util_printed(const char *who, int rc)
{
	if (rc == 0)
		return 0;
	if (rc == PROTO_ERR_IO)
		return util_out_failed(who);
	fprintf(stderr, "%s: %s\n", who, proto_strerror(rc));
	return UTIL_EXIT_FAIL;
}

static void
out_close(void)
{
	errno = 0;
	/* flushed and judged while the descriptor is open (reader_gone) */
	if (util_flush() != 0) {
		(void)util_out_failed(stdout_state.who);
		_exit(UTIL_EXIT_FAIL);
	}
	if (fclose(stdout) != 0) {
		out_note(errno);
		(void)util_out_failed(stdout_state.who);
		_exit(UTIL_EXIT_FAIL);
	}
}

void
util_out_init(const char *prog)
{
	snprintf(stdout_state.who, sizeof(stdout_state.who), "%s", prog);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)atexit(out_close);
}

int
util_arg_u32(const char *who, const char *what, const char *s, uint32_t min,
    uint32_t max, uint32_t *v)
{
	int rc;

	if (s == NULL) {
		fprintf(stderr, "%s: %s is required\n", who, what);
		return PROTO_ERR_ARG;
	}
	if ((rc = proto_parse_u32(s, min, max, v)) != 0)
		fprintf(stderr,
		    "%s: %s wants a whole number from %u to %u: %s\n", who,
		    what, min, max, s);
	return rc;
}

int
util_arg_hex(const char *who, const char *what, const char *s, uint8_t *out,
    size_t n)
{
	uint8_t v[UTIL_HEX_ARG_MAX];
	int rc;

	if (s == NULL) {
		fprintf(stderr, "%s: %s is required\n", who, what);
		return PROTO_ERR_ARG;
	}
	if (n > sizeof(v))
		return PROTO_ERR_ARG;
	/* proto_unhex may have written part of v when it fails. */
	if ((rc = util_hex_decode(s, v, n)) != 0)
		fprintf(stderr, "%s: %s wants %zu hex digits: %s\n", who, what,
		    2 * n, s);
	else
		memcpy(out, v, n);
	proto_cleanse(v, sizeof(v));
	return rc;
}

int
util_hex_decode(const char *hex, uint8_t *out, size_t n)
{
	return proto_unhex(hex, strlen(hex), out, n);
}

void
util_hex_encode(const uint8_t *in, size_t n, char *out)
{
	proto_hex(in, n, out);
}

int
util_no_json(const char *who)
{
	fprintf(stderr, "%s: --json: this command has no JSON output\n", who);
	return UTIL_EXIT_USAGE;
}

void
util_help_version(const char *prog, const char *arg, const char *text)
{
	if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
		fputs(text, stdout);
	else if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0)
		printf("%s (ptv) %s\n", prog, PTV_VERSION);
	else
		return;
	exit(util_flush() == 0 ? 0 : UTIL_EXIT_FAIL);
}
