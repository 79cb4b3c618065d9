/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "ctl.h"
#include "proto.h"

static int
ctl_addr(const char *path, struct sockaddr_un *sa)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sa->sun_path))
		return PROTO_ERR_TOOBIG;
	memcpy(sa->sun_path, path, n);
	return 0;
}

static int
ctl_connect(const char *path, int *out)
{
	struct sockaddr_un sa;
	int fd, rc;

	if ((rc = ctl_addr(path, &sa)) != 0)
		return rc;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return proto_err_sys(errno);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = errno == ENOENT || errno == ECONNREFUSED ?
		    PROTO_ERR_NOTFOUND :
		    proto_err_sys(errno);
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

int
proto_ctl_listen(const char *path, int *out)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, probe = -1, rc;

	if ((rc = ctl_addr(path, &sa)) != 0)
		return rc;
	if (ctl_connect(path, &probe) == 0) {
		close(probe);
		return PROTO_ERR_EXISTS; /* a live daemon owns it */
	}
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return proto_err_sys(errno);
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0 || listen(fd, 8) != 0) {
		rc = proto_err_sys(errno);
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

static long
ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

static void
deadline_in(struct timespec *d, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, d);
	d->tv_sec += ms / 1000;
	d->tv_nsec += (long)(ms % 1000) * 1000000;
	if (d->tv_nsec >= 1000000000) {
		d->tv_sec++;
		d->tv_nsec -= 1000000000;
	}
}

/* Read until LF (request) or EOF (reply), at most cap - 1 bytes. */
static int
read_until(int fd, int timeout_ms, int stop_at_lf, char *buf, size_t cap,
    size_t *len)
{
	struct timespec deadline;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t have = 0;
	long left;
	ssize_t n;
	int rc;

	deadline_in(&deadline, timeout_ms);
	for (;;) {
		if ((left = ms_left(&deadline)) <= 0)
			return proto_err_sys(ETIMEDOUT);
		if ((rc = poll(&pfd, 1, (int)left)) <= 0) {
			if (rc < 0 && errno == EINTR)
				continue;
			return proto_err_sys(rc < 0 ? errno : ETIMEDOUT);
		}
		if (have == cap - 1)
			return PROTO_ERR_TOOBIG;
		n = read(fd, buf + have, cap - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return proto_err_sys(errno);
		if (n == 0)
			break;
		have += (size_t)n;
		if (stop_at_lf && memchr(buf, '\n', have) != NULL)
			break;
	}
	buf[have] = '\0';
	*len = have;
	return 0;
}

int
proto_ctl_split_request(char *buf, size_t len, char **arg)
{
	char *lf, *sp;

	if (len == 0 || (lf = memchr(buf, '\n', len)) == NULL ||
	    lf != buf + len - 1)
		return PROTO_ERR_FORMAT;
	*lf = '\0';
	if (memchr(buf, '\0', len - 1) != NULL)
		return PROTO_ERR_FORMAT;
	if ((sp = strchr(buf, ' ')) != NULL) {
		*sp = '\0';
		*arg = sp + 1;
	} else {
		*arg = lf;
	}
	return 0;
}

int
proto_ctl_read_request(int fd, int timeout_ms, char *buf, size_t cap,
    char **arg)
{
	size_t len;
	int rc;

	if ((rc = read_until(fd, timeout_ms, 1, buf, cap, &len)) != 0)
		return rc;
	return proto_ctl_split_request(buf, len, arg);
}

int
proto_ctl_send(int fd, const char *reply, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, reply, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return proto_err_sys(n < 0 ? errno : EPIPE);
		reply += n;
		len -= (size_t)n;
	}
	return 0;
}

int
proto_ctl_call(const char *path, const char *request, int timeout_ms,
    char **reply, size_t *len)
{
	char *buf = NULL;
	size_t n = strlen(request);
	int fd = -1, rc;

	if (n + 1 > PROTO_CTL_REQUEST_MAX || memchr(request, '\n', n) != NULL)
		return PROTO_ERR_ARG;
	if ((rc = ctl_connect(path, &fd)) != 0)
		return rc;
	if ((rc = proto_ctl_send(fd, request, n)) != 0 ||
	    (rc = proto_ctl_send(fd, "\n", 1)) != 0)
		goto out;
	if ((buf = malloc(PROTO_CTL_REPLY_MAX)) == NULL) {
		rc = PROTO_ERR_NOMEM;
		goto out;
	}
	if ((rc = read_until(fd, timeout_ms, 0, buf, PROTO_CTL_REPLY_MAX,
		 len)) != 0)
		goto out;
	*reply = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

int
proto_ctl_next_line(struct proto_rd *r, const char **line, size_t *len)
{
	const uint8_t *p, *lf;
	size_t n = proto_rd_left(r);

	if (n == 0)
		return PROTO_ERR_SHORT;
	if (proto_rd_ptr(r, 0, &p) != 0 || (lf = memchr(p, '\n', n)) == NULL)
		return PROTO_ERR_FORMAT;
	*line = (const char *)p;
	*len = (size_t)(lf - p);
	return proto_rd_skip(r, *len + 1);
}

int
proto_ctl_reply_status(const char *reply, size_t len, const char **msg,
    size_t *msglen)
{
	static const char err[] = "error: ";
	struct proto_rd r;
	const char *line = NULL;
	size_t n = 0;

	proto_rd_init(&r, reply, len);
	if (len >= sizeof(err) - 1 &&
	    memcmp(reply, err, sizeof(err) - 1) == 0) {
		if (proto_ctl_next_line(&r, &line, &n) != 0)
			return PROTO_ERR_FORMAT;
		*msg = line + sizeof(err) - 1;
		*msglen = n - (sizeof(err) - 1);
		return PROTO_ERR_STATE;
	}
	while (proto_rd_left(&r) > 0)
		if (proto_ctl_next_line(&r, &line, &n) != 0)
			return PROTO_ERR_FORMAT;
	return line != NULL && n == 2 && memcmp(line, "ok", 2) == 0 ?
	    0 :
	    PROTO_ERR_FORMAT;
}

int
proto_ctl_reply_get(const char *reply, size_t len, const char *key, char *out,
    size_t cap)
{
	struct proto_rd r;
	const char *line;
	size_t n, k = strlen(key);

	proto_rd_init(&r, reply, len);
	while (proto_ctl_next_line(&r, &line, &n) == 0) {
		if (n > k && line[k] == '=' && memcmp(line, key, k) == 0) {
			if (n - k - 1 >= cap)
				return PROTO_ERR_TOOBIG;
			memcpy(out, line + k + 1, n - k - 1);
			out[n - k - 1] = '\0';
			return 0;
		}
	}
	return PROTO_ERR_NOTFOUND;
}

int
proto_ctl_reply_init(struct proto_ctl_reply *r)
{
	r->len = 0;
	r->state = PROTO_CTL_REPLY_OPEN;
	if ((r->buf = malloc(PROTO_CTL_REPLY_MAX)) == NULL)
		return PROTO_ERR_NOMEM;
	return 0;
}

void
proto_ctl_reply_reset(struct proto_ctl_reply *r)
{
	if (r->buf != NULL)
		proto_cleanse(r->buf, r->len);
	r->len = 0;
	r->state = PROTO_CTL_REPLY_OPEN;
}

void
proto_ctl_reply_free(struct proto_ctl_reply *r)
{
	proto_ctl_reply_reset(r);
	free(r->buf);
	r->buf = NULL;
}

void
proto_ctl_reply_add(struct proto_ctl_reply *r, const char *fmt, ...)
{
	size_t room = PROTO_CTL_REPLY_MAX - r->len;
	va_list ap;
	int n;

	if (r->state != PROTO_CTL_REPLY_OPEN)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, room, fmt, ap);
	va_end(ap);
	/* keep room for the closing "ok" */
	if (n < 0 || (size_t)n + 3 >= room) {
		proto_cleanse(r->buf + r->len, room);
		r->state = PROTO_CTL_REPLY_OVERFLOW;
		return;
	}
	r->len += (size_t)n;
}

static void __attribute__((format(printf, 2, 0)))
reply_error(struct proto_ctl_reply *r, const char *fmt, va_list ap)
{
	char msg[PROTO_CTL_ERROR_MAX];
	int n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		n = 0;
	else if ((size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;
	for (int i = 0; i < n; i++)
		if (msg[i] == '\n' || msg[i] == '\r')
			msg[i] = ' ';
	proto_cleanse(r->buf, r->len);
	n = snprintf(r->buf, PROTO_CTL_REPLY_MAX, "error: %.*s\n", n, msg);
	r->len = n > 0 ? (size_t)n : 0;
	r->state = PROTO_CTL_REPLY_ERROR;
}

void
proto_ctl_reply_fail(struct proto_ctl_reply *r, const char *fmt, ...)
{
	va_list ap;

	if (r->state == PROTO_CTL_REPLY_ERROR ||
	    r->state == PROTO_CTL_REPLY_DONE)
		return;
	va_start(ap, fmt);
	reply_error(r, fmt, ap);
	va_end(ap);
}

int
proto_ctl_reply_failed(const struct proto_ctl_reply *r)
{
	return r->state == PROTO_CTL_REPLY_ERROR;
}

void
proto_ctl_reply_finish(struct proto_ctl_reply *r, const char **out, size_t *len)
{
	if (r->state == PROTO_CTL_REPLY_OVERFLOW)
		proto_ctl_reply_fail(r, "reply too long");
	if (r->state == PROTO_CTL_REPLY_OPEN) {
		memcpy(r->buf + r->len, "ok\n", 3);
		r->len += 3;
	}
	r->state = PROTO_CTL_REPLY_DONE;
	*out = r->buf;
	*len = r->len;
}
