/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control socket's connections (ctl.h): accepted, read, answered and
 * written without ever blocking the loop.  Each client has its own
 * buffer and an absolute deadline (PROTO_CTL_TIMEOUT_MS from its accept
 * for the request line, as long again for its reply to drain); a client
 * that says nothing costs a slot, not the daemon's time.  With all
 * DEC_CTL_CLIENTS slots taken, a new client takes the slot of the one that
 * has said nothing for the longest (so a flood of silent clients cannot
 * keep decoderctl out); when no client can be dropped that way, the new
 * one is told the daemon is busy.  A client that asked for an uplink
 * waits in its slot for the session's end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../proto/crypto.h"
#include "../proto/ctl.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "ctl.h"

enum client_state {
	CLIENT_FREE = 0,
	CLIENT_READING,
	CLIENT_WAITING, /* for the uplink */
	CLIENT_WRITING,
};

struct client {
	enum client_state state;
	int fd;
	long deadline; /* ms, CLOCK_MONOTONIC */
	size_t len;
	char req[PROTO_CTL_REQUEST_MAX];
	char *out; /* the reply still to send, owned */
	size_t out_len, out_off;
};

struct dec_ctl {
	int fd;
	char path[sizeof(((struct dec_config *)0)->socket)];
	struct proto_ctl_reply reply;
	struct client cl[DEC_CTL_CLIENTS];
};

static void
client_close(struct client *k)
{
	if (k->state == CLIENT_FREE)
		return;
	close(k->fd);
	if (k->out != NULL) {
		proto_cleanse(k->out, k->out_len);
		free(k->out);
	}
	memset(k, 0, sizeof(*k));
}

/* Send what the socket takes now; keep the rest for POLLOUT. */
static void
client_send(struct client *k, const char *buf, size_t len)
{
	ssize_t n = send(k->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		n = (ssize_t)len; /* the client went: nothing more to send */
	if (n < 0)
		n = 0;
	if ((size_t)n == len) {
		client_close(k);
		return;
	}
	if ((k->out = malloc(len - (size_t)n)) == NULL) {
		proto_log(PROTO_LOG_ERR, "%s: out of memory", __func__);
		client_close(k);
		return;
	}
	memcpy(k->out, buf + n, len - (size_t)n);
	k->out_len = len - (size_t)n;
	k->out_off = 0;
	k->state = CLIENT_WRITING;
	k->deadline = dec_now_ms() + PROTO_CTL_TIMEOUT_MS;
}

/* Finish c->reply and send it to k. */
static void
reply_to(struct dec_ctl *c, struct client *k)
{
	const char *out;
	size_t len;

	proto_ctl_reply_finish(&c->reply, &out, &len);
	client_send(k, out, len);
	proto_ctl_reply_reset(&c->reply);
}

static void
refuse(struct dec_ctl *c, struct client *k, const char *why)
{
	proto_ctl_reply_reset(&c->reply);
	proto_ctl_reply_fail(&c->reply, "bad request: %s", why);
	reply_to(c, k);
}

static void
answer(struct dec_ctl *c, struct client *k, struct dec_state *st)
{
	char *arg;
	int rc;

	if ((rc = proto_ctl_split_request(k->req, k->len, &arg)) != 0) {
		refuse(c, k, proto_strerror(rc));
		return;
	}
	proto_ctl_reply_reset(&c->reply);
	if (dec_ctl_answer(&c->reply, st, k->req, arg) == DEC_CTL_PENDING) {
		proto_ctl_reply_reset(&c->reply);
		k->state = CLIENT_WAITING;
		return;
	}
	reply_to(c, k);
}

static void
client_read(struct dec_ctl *c, struct client *k, struct dec_state *st)
{
	size_t room = sizeof(k->req) - 1 - k->len;
	ssize_t n;

	if (room == 0) {
		refuse(c, k, proto_strerror(PROTO_ERR_TOOBIG));
		return;
	}
	n = recv(k->fd, k->req + k->len, room, MSG_DONTWAIT);
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) { /* the client is done talking: a line or not */
		if (k->len == 0 && n < 0) {
			client_close(k);
			return;
		}
		answer(c, k, st);
		return;
	}
	k->len += (size_t)n;
	k->req[k->len] = '\0';
	if (memchr(k->req, '\n', k->len) != NULL)
		answer(c, k, st);
}

static void
client_write(struct client *k)
{
	ssize_t n = send(k->fd, k->out + k->out_off, k->out_len - k->out_off,
	    MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0 || (k->out_off += (size_t)n) == k->out_len)
		client_close(k);
}

/* No slot at all: say so, and let what it sent go before closing. */
static void
refuse_busy(int fd)
{
	static const char busy[] =
	    "error: decoderd is busy: too many control clients\n";
	char sink[PROTO_CTL_REQUEST_MAX];

	(void)send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)shutdown(fd, SHUT_WR);
	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	close(fd);
	proto_log(PROTO_LOG_WARNING,
	    "%s: %d control clients at once: one refused", __func__,
	    DEC_CTL_CLIENTS);
}

/* A free slot, or the one of the client silent for the longest. */
static struct client *
slot_for_new(struct dec_ctl *c)
{
	struct client *k = NULL;

	for (size_t i = 0; i < DEC_CTL_CLIENTS; i++) {
		struct client *x = &c->cl[i];
		if (x->state == CLIENT_FREE)
			return x;
		if (x->state == CLIENT_READING && x->len == 0 &&
		    (k == NULL || x->deadline < k->deadline))
			k = x;
	}
	if (k != NULL)
		refuse(c, k,
		    "nothing said, and another client needed the "
		    "slot");
	return k != NULL && k->state == CLIENT_FREE ? k : NULL;
}

static void
accept_clients(struct dec_ctl *c)
{
	struct client *k;
	int fd;

	while ((fd = accept4(c->fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if ((k = slot_for_new(c)) == NULL) {
			refuse_busy(fd);
			continue;
		}
		k->state = CLIENT_READING;
		k->fd = fd;
		k->deadline = dec_now_ms() + PROTO_CTL_TIMEOUT_MS;
	}
}

size_t
dec_ctl_pollfds(const struct dec_ctl *c, struct pollfd *p)
{
	size_t n = 0;

	p[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
	for (size_t i = 0; i < DEC_CTL_CLIENTS; i++) {
		const struct client *k = &c->cl[i];
		if (k->state == CLIENT_READING)
			p[n++] =
			    (struct pollfd){ .fd = k->fd, .events = POLLIN };
		else if (k->state == CLIENT_WRITING)
			p[n++] =
			    (struct pollfd){ .fd = k->fd, .events = POLLOUT };
	}
	return n;
}

static struct client *
client_of(struct dec_ctl *c, int fd)
{
	for (size_t i = 0; i < DEC_CTL_CLIENTS; i++)
		if (c->cl[i].state != CLIENT_FREE && c->cl[i].fd == fd)
			return &c->cl[i];
	return NULL;
}

void
dec_ctl_serve(struct dec_ctl *c, struct dec_state *st, const struct pollfd *p,
    size_t n)
{
	struct client *k;
	long now;

	for (size_t i = 0; i < n; i++) {
		if (p[i].revents == 0)
			continue;
		if (p[i].fd == c->fd) {
			accept_clients(c);
			continue;
		}
		if ((k = client_of(c, p[i].fd)) == NULL)
			continue;
		if (k->state == CLIENT_READING)
			client_read(c, k, st);
		else if (k->state == CLIENT_WRITING)
			client_write(k);
	}
	now = dec_now_ms();
	for (size_t i = 0; i < DEC_CTL_CLIENTS; i++) {
		k = &c->cl[i];
		if (k->state == CLIENT_READING && now >= k->deadline)
			refuse(c, k, "no request line in time");
		else if (k->state == CLIENT_WRITING && now >= k->deadline)
			client_close(k);
	}
}

int
dec_ctl_wait_ms(const struct dec_ctl *c)
{
	long now = dec_now_ms(), best = -1, left;

	for (size_t i = 0; i < DEC_CTL_CLIENTS; i++) {
		const struct client *k = &c->cl[i];
		if (k->state != CLIENT_READING && k->state != CLIENT_WRITING)
			continue;
		left = k->deadline > now ? k->deadline - now : 0;
		if (best < 0 || left < best)
			best = left;
	}
	return best > INT_MAX ? INT_MAX : (int)best;
}

void
dec_ctl_uplink_done(struct dec_ctl *c, const struct dec_sync_result *res)
{
	for (size_t i = 0; i < DEC_CTL_CLIENTS; i++) {
		if (c->cl[i].state != CLIENT_WAITING)
			continue;
		proto_ctl_reply_reset(&c->reply);
		dec_ctl_say_uplink(&c->reply, res);
		reply_to(c, &c->cl[i]);
	}
}

int
dec_ctl_open(const char *path, struct dec_ctl **out)
{
	struct dec_ctl *c;
	size_t n = strlen(path);
	int rc;

	if (n >= sizeof(c->path))
		return PROTO_ERR_TOOBIG;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PROTO_ERR_NOMEM;
	memcpy(c->path, path, n + 1);
	c->fd = -1;
	if ((rc = proto_ctl_reply_init(&c->reply)) != 0 ||
	    (rc = proto_ctl_listen(path, &c->fd)) != 0) {
		proto_ctl_reply_free(&c->reply);
		free(c);
		return rc;
	}
	if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) != 0) {
		dec_ctl_close(&c);
		return PROTO_ERR_IO;
	}
	*out = c;
	return 0;
}

void
dec_ctl_close(struct dec_ctl **cp)
{
	struct dec_ctl *c = *cp;

	if (c == NULL)
		return;
	for (size_t i = 0; i < DEC_CTL_CLIENTS; i++)
		client_close(&c->cl[i]);
	close(c->fd);
	unlink(c->path);
	proto_ctl_reply_free(&c->reply);
	free(c);
	*cp = NULL;
}
