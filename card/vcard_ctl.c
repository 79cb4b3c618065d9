/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vcard's control socket: insert, eject, swap and status, one request per
 * connection (proto/ctl.h), answered through one reply builder.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../proto/buf.h"
#include "../proto/file.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "vcard.h"

/* Another vcard's image is refused (why: the reply). */
static int
claim(struct vcard *v, const char *path, int *lock)
{
	char why[PROTO_CTL_ERROR_MAX];
	int rc;

	if ((rc = vcard_claim_image(v, path, lock, why, sizeof(why))) != 0)
		proto_ctl_reply_fail(&v->reply, "%s", why);
	return rc;
}

static int
insert(struct vcard *v, const char *path)
{
	int rc, lock;

	if (path[0] != '/') {
		proto_ctl_reply_fail(&v->reply,
		    "image path must be absolute: %s", path);
		return PROTO_ERR_ARG;
	}
	if ((rc = claim(v, path, &lock)) != 0)
		return rc;
	if ((rc = vcard_load(path, &v->store, &v->rt)) != 0) {
		proto_ctl_reply_fail(&v->reply, "cannot load %s: %s", path,
		    proto_strerror(rc));
		proto_file_unlock(&lock);
		return rc;
	}
	vcard_release_image(v, lock);
	proto_log(PROTO_LOG_NOTICE, "card inserted: %s", path);
	vcard_link_try(v);
	return 0;
}

static void
do_eject(struct vcard *v)
{
	if (v->store == NULL) {
		proto_ctl_reply_fail(&v->reply, "no card inserted");
		return;
	}
	vcard_unload(v);
	proto_file_unlock(&v->image_lock);
	proto_log(PROTO_LOG_NOTICE, "card ejected");
}

static void
do_insert(struct vcard *v, const char *path)
{
	if (v->store != NULL) {
		proto_ctl_reply_fail(&v->reply,
		    "a card is inserted already (%s); eject or swap",
		    card_store_path(v->store));
		return;
	}
	(void)insert(v, path);
}

static void
do_swap(struct vcard *v, const char *path)
{
	struct card_store *s = NULL;
	struct card_rt *rt = NULL;
	struct timespec ts;
	int rc, lock;

	if (path[0] != '/') {
		proto_ctl_reply_fail(&v->reply,
		    "image path must be absolute: %s", path);
		return;
	}
	/* Load first: a bad image changes nothing. */
	if (claim(v, path, &lock) != 0)
		return;
	if ((rc = vcard_load(path, &s, &rt)) != 0) {
		proto_ctl_reply_fail(&v->reply, "cannot load %s: %s", path,
		    proto_strerror(rc));
		proto_file_unlock(&lock);
		return;
	}
	if (v->store != NULL) {
		vcard_unload(v);
		proto_log(PROTO_LOG_NOTICE, "card ejected for swap");
		/* Let the reader's presence poll see the card gone. */
		ts.tv_sec = v->swap_delay_ms / 1000;
		ts.tv_nsec = (long)(v->swap_delay_ms % 1000) * 1000000;
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	v->store = s;
	v->rt = rt;
	vcard_release_image(v, lock);
	proto_log(PROTO_LOG_NOTICE, "card inserted: %s", path);
	vcard_link_try(v);
}

static void
do_status(struct vcard *v)
{
	struct proto_ctl_reply *r = &v->reply;
	char serial[2 * CARD_SERIAL_LEN + 1] = "";

	if (v->store != NULL)
		proto_hex(card_store_serial(v->store), CARD_SERIAL_LEN, serial);
	proto_ctl_reply_add(r, "inserted=%s\n",
	    v->store != NULL ? "yes" : "no");
	proto_ctl_reply_add(r, "image=%s\n",
	    v->store != NULL ? card_store_path(v->store) : "");
	proto_ctl_reply_add(r, "serial=%s\n", serial);
	proto_ctl_reply_add(r, "reader=%s\n",
	    v->link_fd >= 0 ? "connected" : "disconnected");
	proto_ctl_reply_add(r, "host=%s\nport=%u\n", v->host,
	    (unsigned)v->port);
	proto_ctl_reply_add(r, "apdus=%lu\ncommits=%lu\nconnects=%lu\n",
	    v->rt != NULL ? card_rt_apdus(v->rt) : 0,
	    v->store != NULL ? card_store_commits(v->store) : 0, v->connects);
}

/*
 * After the reply to a malformed request: read (bounded in time and
 * bytes) what the client still sends, so that it reads our error instead
 * of dying of a reset or a broken pipe because we closed first.
 */
static void
drain_client(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec start, now;
	char buf[4096];
	size_t total = 0;
	long ms = 0;
	ssize_t n;

	(void)shutdown(fd, SHUT_WR);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (total < VCARD_DRAIN_MAX && ms < VCARD_DRAIN_MS &&
	    poll(&pfd, 1, (int)(VCARD_DRAIN_MS - ms)) == 1) {
		if ((n = read(fd, buf, sizeof(buf))) <= 0)
			break;
		total += (size_t)n;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000;
	}
}

static void
reply_send(struct vcard *v, int fd)
{
	const char *out;
	size_t len;

	proto_ctl_reply_finish(&v->reply, &out, &len);
	(void)proto_ctl_send(fd, out, len);
	proto_ctl_reply_reset(&v->reply);
}

static void
handle_request(struct vcard *v, int fd)
{
	char req[PROTO_CTL_REQUEST_MAX], *arg;
	int rc;

	proto_ctl_reply_reset(&v->reply);
	if ((rc = proto_ctl_read_request(fd, PROTO_CTL_TIMEOUT_MS, req,
		 sizeof(req), &arg)) != 0) {
		proto_ctl_reply_fail(&v->reply, "bad request: %s",
		    proto_strerror(rc));
		reply_send(v, fd);
		drain_client(fd);
		return;
	}
	if (strcmp(req, "status") == 0 && *arg == '\0')
		do_status(v);
	else if (strcmp(req, "eject") == 0 && *arg == '\0')
		do_eject(v);
	else if (strcmp(req, "insert") == 0 && *arg != '\0')
		do_insert(v, arg);
	else if (strcmp(req, "swap") == 0 && *arg != '\0')
		do_swap(v, arg);
	else
		proto_ctl_reply_fail(&v->reply, "unknown request: %s", req);
	reply_send(v, fd);
}

void
vcard_ctl_readable(struct vcard *v)
{
	int fd = accept(v->ctl_fd, NULL, NULL);

	if (fd < 0)
		return;
	handle_request(v, fd);
	close(fd);
}
