/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../proto/buf.h"
#include "../proto/proto.h"
#include "runtime.h"
#include "vpcd.h"

_Static_assert(CARD_FRAME_MAX_DATA + 2 == CARD_VPCD_FRAME_MAX,
    "a response frame is at most the runtime's data and the SW");

#ifndef TCP_QUICKACK
#define TCP_QUICKACK 12
#endif

static int
connect_one(const struct addrinfo *ai, int timeout_ms)
{
	/* A frame's body never lags its length by long. */
	const struct timeval rcv_timeout = { .tv_sec = 2, .tv_usec = 0 };
	struct pollfd pfd;
	socklen_t slen;
	int fd, fl, err = 0, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd < 0)
		return -1;
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) != 1)
			goto fail;
		slen = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &slen) != 0 ||
		    err != 0)
			goto fail;
	}
	/*
	 * vpcd writes small frames; answer each at once (no Nagle on our
	 * side) so neither end waits for a delayed ACK.
	 */
	if (fcntl(fd, F_SETFL, fl) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcv_timeout,
		sizeof(rcv_timeout)) != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

int
card_vpcd_connect(const char *host, uint16_t port, int timeout_ms, int *out)
{
	struct addrinfo hints, *res = NULL;
	char service[8];
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	if (getaddrinfo(host, service, &hints, &res) != 0)
		return PROTO_ERR_NOTFOUND;
	for (const struct addrinfo *ai = res; ai != NULL && fd < 0;
	     ai = ai->ai_next)
		fd = connect_one(ai, timeout_ms);
	freeaddrinfo(res);
	if (fd < 0)
		return PROTO_ERR_IO;
	*out = fd;
	return 0;
}

/* Drop the frame handed out last. */
static void
rx_compact(struct card_vpcd_rx *rx)
{
	if (rx->consumed == 0)
		return;
	memmove(rx->buf, rx->buf + rx->consumed, rx->have - rx->consumed);
	rx->have -= rx->consumed;
	rx->consumed = 0;
}

/* A whole frame at the front of the buffer? */
static int
frame_ready(struct card_vpcd_rx *rx, const uint8_t **frame, size_t *len)
{
	struct proto_rd r;
	const uint8_t *p;
	uint16_t n;

	proto_rd_init(&r, rx->buf, rx->have);
	if (proto_rd_u16(&r, &n) != 0 || proto_rd_ptr(&r, n, &p) != 0)
		return 0;
	*frame = p;
	*len = n;
	rx->consumed = 2 + (size_t)n;
	return 1;
}

size_t
card_vpcd_feed(struct card_vpcd_rx *rx, const uint8_t *p, size_t n)
{
	size_t room;

	rx_compact(rx);
	room = sizeof(rx->buf) - rx->have;
	if (n > room)
		n = room;
	if (n > 0)
		memcpy(rx->buf + rx->have, p, n);
	rx->have += n;
	return n;
}

int
card_vpcd_take(struct card_vpcd_rx *rx, const uint8_t **frame, size_t *len)
{
	rx_compact(rx);
	return frame_ready(rx, frame, len);
}

static int
read_more(int fd, struct card_vpcd_rx *rx)
{
	ssize_t n;

	do {
		n = read(fd, rx->buf + rx->have, sizeof(rx->buf) - rx->have);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return PROTO_ERR_IO;
	rx->have += (size_t)n;
	return 0;
}

int
card_vpcd_recv(int fd, struct card_vpcd_rx *rx, const uint8_t **frame,
    size_t *len)
{
	int one = 1;

	rx_compact(rx);
	if (fd >= 0 && read_more(fd, rx) != 0)
		return PROTO_ERR_IO;
	if (frame_ready(rx, frame, len))
		return 1;
	if (fd < 0)
		return 0;
	/*
	 * vpcd writes the length and the body separately, and without
	 * TCP_NODELAY its second write waits for our ACK of the first: ACK
	 * at once (Linux leaves quick-ACK mode on its own, so ask each time).
	 * A complete frame needs no such ACK: our answer carries it.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	/*
	 * The body follows at once: wait for it here rather than through
	 * the daemon's poll loop, bounded by the socket's receive timeout.
	 */
	while (rx->have >= 2 && !frame_ready(rx, frame, len))
		if (read_more(fd, rx) != 0)
			return PROTO_ERR_IO;
	return rx->have >= 2 ? 1 : 0;
}

int
card_vpcd_answer(struct card_rt *rt, const uint8_t *frame, size_t len,
    uint8_t *out, size_t cap, size_t *outlen)
{
	size_t n;

	if (len != 1) {
		if (cap < 2)
			return PROTO_ERR_NOSPACE;
		*outlen = card_rt_transmit(rt, frame, len, out, cap);
		return 0;
	}
	switch (frame[0]) {
	case CARD_VPCD_CTRL_ATR:
		if ((n = card_atr(out, cap)) == 0)
			return PROTO_ERR_NOSPACE;
		*outlen = n;
		return 0;
	case CARD_VPCD_CTRL_OFF:
	case CARD_VPCD_CTRL_ON:
	case CARD_VPCD_CTRL_RESET:
		card_rt_reset(rt);
		*outlen = 0;
		return 0;
	default:
		return PROTO_ERR_FORMAT;
	}
}

int
card_vpcd_send(int fd, const uint8_t *data, size_t len)
{
	uint8_t hdr[2];
	struct iovec iov[2];
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	if (len > CARD_VPCD_FRAME_MAX)
		return PROTO_ERR_TOOBIG;
	proto_put_be(hdr, len, 2);
	/* Length and data in one call, so in one segment, without a copy. */
	iov[0] = (struct iovec){ .iov_base = hdr, .iov_len = sizeof(hdr) };
	iov[1] = (struct iovec){ .iov_base = (void *)(uintptr_t)data,
		.iov_len = len };
	while (msg.msg_iovlen > 0) {
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return PROTO_ERR_IO;
		/* A partial send: step over what went. */
		while (
		    msg.msg_iovlen > 0 && (size_t)n >= msg.msg_iov[0].iov_len) {
			n -= (ssize_t)msg.msg_iov[0].iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen > 0) {
			msg.msg_iov[0].iov_base =
			    (uint8_t *)msg.msg_iov[0].iov_base + n;
			msg.msg_iov[0].iov_len -= (size_t)n;
		}
	}
	return 0;
}
