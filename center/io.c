/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "../proto/proto.h"
#include "../proto/uplink.h"
#include "io.h"

#define LINGER_READS 64 /* at most this many reads of 4 KiB drained */

long
cgs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The time left until until, or 0 (and io->timed_out) if none. */
static int
left_ms(struct cgs_io *io, long until)
{
	long left = until - cgs_now_ms();

	if (left <= 0) {
		io->timed_out = 1;
		return 0;
	}
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Wait until the socket is ready for what TLS wants, or until passes. */
static int
wait_ready(struct cgs_io *io, int want, long until)
{
	struct pollfd p = { .fd = io->fd,
		.events = want == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN };
	int left, r;

	while ((left = left_ms(io, until)) > 0) {
		if ((r = poll(&p, 1, left)) > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return PROTO_ERR_IO;
	}
	return PROTO_ERR_IO;
}

/* Why a TLS call failed with SSL error e, into io->why: OpenSSL's reason
 * (a protocol version refused, the peer's alert about our certificate),
 * the socket's errno, or the peer gone. */
static void
note_why(struct cgs_io *io, int e)
{
	unsigned long err = ERR_peek_last_error();
	const char *r;

	if (e == SSL_ERROR_SSL && err != 0 &&
	    (r = ERR_reason_error_string(err)) != NULL)
		snprintf(io->why, sizeof(io->why), "%s", r);
	else if (e == SSL_ERROR_SYSCALL && errno != 0)
		snprintf(io->why, sizeof(io->why), "%s", strerror(errno));
	else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN)
		snprintf(io->why, sizeof(io->why), "the peer closed the line");
	else
		io->why[0] = '\0';
}

/* After a TLS call that failed with ret: 0 to call it again, or an error. */
static int
again(struct cgs_io *io, int ret, long until)
{
	int e = SSL_get_error(io->ssl, ret);

	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return wait_ready(io, e, until);
	note_why(io, e);
	ERR_clear_error();
	return PROTO_ERR_IO;
}

int
cgs_io_accept(struct cgs_io *io, long until)
{
	int ret, rc;

	while ((ret = SSL_accept(io->ssl)) != 1)
		if ((rc = again(io, ret, until)) != 0)
			return rc;
	return 0;
}

/*
 * Move n bytes: into rd, or out of wr (the other NULL).  Records arriving
 * one by one do not move the deadline: it is checked before each.
 */
static int
transfer(struct cgs_io *io, uint8_t *rd, const uint8_t *wr, size_t n,
    long until)
{
	size_t off = 0, k;
	int ok, rc;

	while (off < n) {
		if (left_ms(io, until) == 0)
			return PROTO_ERR_IO;
		ok = rd != NULL ? SSL_read_ex(io->ssl, rd + off, n - off, &k) :
				  SSL_write_ex(io->ssl, wr + off, n - off, &k);
		if (ok == 1)
			off += k;
		else if ((rc = again(io, 0, until)) != 0)
			return rc;
	}
	return 0;
}

int
cgs_io_read(struct cgs_io *io, void *buf, size_t n, long until)
{
	return transfer(io, buf, NULL, n, until);
}

int
cgs_io_write(struct cgs_io *io, const void *buf, size_t n, long until)
{
	return transfer(io, NULL, buf, n, until);
}

int
cgs_io_read_frame(struct cgs_io *io, uint8_t *type, uint8_t *body, size_t cap,
    size_t *len, long until)
{
	uint8_t hdr[PROTO_UPLINK_HDR_LEN], t;
	size_t n;
	int rc;

	if ((rc = cgs_io_read(io, hdr, sizeof(hdr), until)) != 0 ||
	    (rc = proto_up_header(hdr, &t, &n)) != 0)
		return rc;
	if (n > cap)
		return PROTO_ERR_TOOBIG;
	if ((rc = cgs_io_read(io, body, n, until)) != 0)
		return rc;
	*type = t;
	*len = n;
	return 0;
}

void
cgs_io_linger(struct cgs_io *io, long until)
{
	struct pollfd p = { .fd = io->fd, .events = POLLIN };
	char sink[4096];
	int left;

	(void)SSL_shutdown(io->ssl);
	ERR_clear_error();
	(void)shutdown(io->fd, SHUT_WR);
	for (int i = 0; i < LINGER_READS; i++)
		if ((left = left_ms(io, until)) == 0 ||
		    poll(&p, 1, left) <= 0 ||
		    read(io->fd, sink, sizeof(sink)) <= 0)
			break;
}
