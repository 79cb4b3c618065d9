/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vcard: the virtual card daemon.  It holds at most one card image at a
 * time, serves it to a vpcd reader of pcscd as a real card, and takes
 * insert / eject / swap / status requests on a control socket (cardctl).
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../proto/ctl.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "../proto/stop.h"
#include "applets.h"
#include "runtime.h"
#include "store.h"
#include "vpcd.h"

#define VCARD_DEFAULT_SOCKET "/run/vcard.sock"
#define VCARD_RETRY_MS 250
#define VCARD_CONNECT_TIMEOUT_MS 1000
#define VCARD_SWAP_DELAY_MS 1000

struct vcard {
	const char *host;
	uint16_t port;
	const char *ctl_path;
	int swap_delay_ms;
	int ctl_fd;
	int link_fd;
	struct card_store *store;
	struct card_rt *rt;
	struct card_vpcd_rx rx;
	uint8_t out[CARD_VPCD_FRAME_MAX];
	unsigned long connects;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: vcard [-d] [-H host] [-p port] [-S socket] [-w swap-ms] "
	    "[image]\n"
	    "  -H host    vpcd host (default 127.0.0.1)\n"
	    "  -p port    vpcd port (default %d; slot n is %d + n)\n"
	    "  -S socket  control socket (default %s, or $VCARD_SOCKET)\n"
	    "  -w ms      pause between eject and insert on swap (default %d)\n"
	    "  -d         debug logging; -q errors only\n"
	    "  image      card image to insert at start\n",
	    CARD_VPCD_PORT, CARD_VPCD_PORT, VCARD_DEFAULT_SOCKET,
	    VCARD_SWAP_DELAY_MS);
	exit(2);
}

static void
link_close(struct vcard *v)
{
	if (v->link_fd >= 0) {
		close(v->link_fd);
		v->link_fd = -1;
	}
	v->rx.have = 0;
	v->rx.consumed = 0;
	if (v->rt != NULL)
		card_rt_reset(v->rt);
}

static void
link_try(struct vcard *v)
{
	int fd;

	if (v->store == NULL || v->link_fd >= 0)
		return;
	if (card_vpcd_connect(v->host, v->port, VCARD_CONNECT_TIMEOUT_MS,
		&fd) != 0)
		return;
	v->link_fd = fd;
	v->connects++;
	proto_log(PROTO_LOG_INFO, "connected to vpcd at %s:%u", v->host,
	    (unsigned)v->port);
}

static int
card_load(const char *path, struct card_store **store, struct card_rt **rt)
{
	const struct card_applet *const *apps;
	size_t n;
	int rc;

	if ((rc = card_store_open(path, store)) != 0)
		return rc;
	apps = card_applets(&n);
	if ((rc = card_rt_new(*store, apps, n, rt)) != 0)
		card_store_free(store);
	return rc;
}

static void
card_unload(struct vcard *v)
{
	link_close(v);
	card_rt_free(&v->rt);
	card_store_free(&v->store);
}

static void
on_control(struct vcard *v, uint8_t c)
{
	uint8_t atr[CARD_ATR_MAX];
	size_t n;

	switch (c) {
	case CARD_VPCD_CTRL_ATR:
		n = card_atr(atr, sizeof(atr));
		if (card_vpcd_send(v->link_fd, atr, n) != 0)
			link_close(v);
		break;
	case CARD_VPCD_CTRL_OFF:
	case CARD_VPCD_CTRL_ON:
	case CARD_VPCD_CTRL_RESET:
		proto_log(PROTO_LOG_DEBUG, "power control %u", (unsigned)c);
		card_rt_reset(v->rt);
		break;
	default:
		proto_log(PROTO_LOG_WARNING, "%s: unknown control byte %02x",
		    __func__, (unsigned)c);
		break;
	}
}

static void
on_frame(struct vcard *v, const uint8_t *frame, size_t len)
{
	size_t n;

	if (len == 1) {
		on_control(v, frame[0]);
		return;
	}
	n = card_rt_transmit(v->rt, frame, len, v->out, sizeof(v->out));
	if (card_vpcd_send(v->link_fd, v->out, n) != 0) {
		proto_log(PROTO_LOG_WARNING, "%s: vpcd connection lost",
		    __func__);
		link_close(v);
	}
}

static void
on_link_readable(struct vcard *v)
{
	const uint8_t *frame;
	size_t len;
	int fd = v->link_fd, rc;

	while ((rc = card_vpcd_recv(fd, &v->rx, &frame, &len)) == 1) {
		on_frame(v, frame, len);
		if (v->link_fd < 0)
			return;
		fd = -1; /* further frames already buffered */
	}
	if (rc < 0 && fd >= 0) {
		proto_log(PROTO_LOG_INFO, "vpcd closed the connection");
		link_close(v);
	}
}

static void
reply_error(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reply_error(int fd, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	memcpy(buf, "error: ", 7);
	va_start(ap, fmt);
	n = vsnprintf(buf + 7, sizeof(buf) - 8, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	n += 7;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	/* A message never spans lines. */
	for (int i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	buf[n++] = '\n';
	(void)proto_ctl_send(fd, buf, (size_t)n);
}

static int
insert(struct vcard *v, int fd, const char *path)
{
	int rc;

	if (path[0] != '/') {
		reply_error(fd, "image path must be absolute: %s", path);
		return -1;
	}
	if ((rc = card_load(path, &v->store, &v->rt)) != 0) {
		reply_error(fd, "cannot load %s: %s", path, proto_strerror(rc));
		return -1;
	}
	proto_log(PROTO_LOG_NOTICE, "card inserted: %s", path);
	link_try(v);
	return 0;
}

static void
do_swap(struct vcard *v, int fd, const char *path)
{
	struct card_store *s = NULL;
	struct card_rt *rt = NULL;
	struct timespec ts;
	int rc;

	if (path[0] != '/') {
		reply_error(fd, "image path must be absolute: %s", path);
		return;
	}
	/* Load first: a bad image changes nothing. */
	if ((rc = card_load(path, &s, &rt)) != 0) {
		reply_error(fd, "cannot load %s: %s", path, proto_strerror(rc));
		return;
	}
	if (v->store != NULL) {
		card_unload(v);
		proto_log(PROTO_LOG_NOTICE, "card ejected for swap");
		/* Let the reader's presence poll see the card gone. */
		ts.tv_sec = v->swap_delay_ms / 1000;
		ts.tv_nsec = (long)(v->swap_delay_ms % 1000) * 1000000;
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	v->store = s;
	v->rt = rt;
	proto_log(PROTO_LOG_NOTICE, "card inserted: %s", path);
	link_try(v);
	(void)proto_ctl_send(fd, "ok\n", 3);
}

static void
do_status(struct vcard *v, int fd)
{
	char buf[PATH_MAX + 512], serial[2 * CARD_SERIAL_LEN + 1] = "";
	int n;

	if (v->store != NULL)
		for (size_t i = 0; i < CARD_SERIAL_LEN; i++)
			snprintf(serial + 2 * i, 3, "%02x",
			    card_store_serial(v->store)[i]);
	n = snprintf(buf, sizeof(buf),
	    "inserted=%s\nimage=%s\nserial=%s\nreader=%s\nhost=%s\nport=%u\n"
	    "apdus=%lu\ncommits=%lu\nconnects=%lu\nok\n",
	    v->store != NULL ? "yes" : "no",
	    v->store != NULL ? card_store_path(v->store) : "", serial,
	    v->link_fd >= 0 ? "connected" : "disconnected", v->host,
	    (unsigned)v->port, v->rt != NULL ? card_rt_apdus(v->rt) : 0,
	    v->store != NULL ? card_store_commits(v->store) : 0, v->connects);
	if (n > 0 && (size_t)n < sizeof(buf))
		(void)proto_ctl_send(fd, buf, (size_t)n);
}

static void
handle_request(struct vcard *v, int fd)
{
	char req[PROTO_CTL_REQUEST_MAX], *arg;
	int rc;

	if ((rc = proto_ctl_read_request(fd, PROTO_CTL_TIMEOUT_MS, req,
		 sizeof(req), &arg)) != 0) {
		reply_error(fd, "bad request: %s", proto_strerror(rc));
		return;
	}
	if (strcmp(req, "status") == 0 && *arg == '\0') {
		do_status(v, fd);
	} else if (strcmp(req, "eject") == 0 && *arg == '\0') {
		if (v->store == NULL) {
			reply_error(fd, "no card inserted");
			return;
		}
		card_unload(v);
		proto_log(PROTO_LOG_NOTICE, "card ejected");
		(void)proto_ctl_send(fd, "ok\n", 3);
	} else if (strcmp(req, "insert") == 0 && *arg != '\0') {
		if (v->store != NULL) {
			reply_error(fd,
			    "a card is inserted already (%s); eject "
			    "or swap",
			    card_store_path(v->store));
			return;
		}
		if (insert(v, fd, arg) == 0)
			(void)proto_ctl_send(fd, "ok\n", 3);
	} else if (strcmp(req, "swap") == 0 && *arg != '\0') {
		do_swap(v, fd, arg);
	} else {
		reply_error(fd, "unknown request: %s", req);
	}
}

static void
on_ctl_readable(struct vcard *v)
{
	int fd = accept(v->ctl_fd, NULL, NULL);

	if (fd < 0)
		return;
	handle_request(v, fd);
	close(fd);
}

static int
serve(struct vcard *v)
{
	struct pollfd pfd[2];
	int n, timeout;

	while (!proto_stop_requested()) {
		pfd[0].fd = v->ctl_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = v->link_fd;
		pfd[1].events = POLLIN;
		n = v->link_fd >= 0 ? 2 : 1;
		timeout =
		    v->store != NULL && v->link_fd < 0 ? VCARD_RETRY_MS : -1;
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			proto_log(PROTO_LOG_ERR, "%s: poll: %s", __func__,
			    strerror(errno));
			return 1;
		}
		if (n == 2 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			on_link_readable(v);
		if (pfd[0].revents & POLLIN)
			on_ctl_readable(v);
		link_try(v);
	}
	return 0;
}

static int
parse_args(int argc, char **argv, struct vcard *v, const char **image)
{
	char *end;
	unsigned long x;
	int c, level = PROTO_LOG_NOTICE;

	while ((c = getopt(argc, argv, "dqhH:p:S:w:")) != -1) {
		switch (c) {
		case 'd':
			level = PROTO_LOG_DEBUG;
			break;
		case 'q':
			level = PROTO_LOG_ERR;
			break;
		case 'H':
			v->host = optarg;
			break;
		case 'S':
			v->ctl_path = optarg;
			break;
		case 'p':
			x = strtoul(optarg, &end, 10);
			if (*end != '\0' || x == 0 || x > 65535)
				usage();
			v->port = (uint16_t)x;
			break;
		case 'w':
			x = strtoul(optarg, &end, 10);
			if (*end != '\0' || x > 60000)
				usage();
			v->swap_delay_ms = (int)x;
			break;
		default:
			usage();
		}
	}
	if (argc - optind > 1)
		usage();
	*image = optind < argc ? argv[optind] : NULL;
	proto_log_init("vcard", 0, level);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct vcard v;
	const char *image, *env;
	char abs[PATH_MAX];
	int rc;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		usage();
	}
	v.host = "127.0.0.1";
	v.port = CARD_VPCD_PORT;
	v.ctl_path =
	    (env = getenv("VCARD_SOCKET")) != NULL ? env : VCARD_DEFAULT_SOCKET;
	v.swap_delay_ms = VCARD_SWAP_DELAY_MS;
	v.link_fd = -1;
	parse_args(argc, argv, &v, &image);
	proto_signals_init();
	if ((rc = proto_ctl_listen(v.ctl_path, &v.ctl_fd)) != 0) {
		fprintf(stderr, "vcard: control socket %s: %s\n", v.ctl_path,
		    rc == PROTO_ERR_EXISTS ? "another vcard is running" :
					     proto_strerror(rc));
		return 1;
	}
	if (image != NULL) {
		if (realpath(image, abs) == NULL) {
			fprintf(stderr, "vcard: %s: %s\n", image,
			    strerror(errno));
			unlink(v.ctl_path);
			return 1;
		}
		if ((rc = card_load(abs, &v.store, &v.rt)) != 0) {
			fprintf(stderr, "vcard: cannot load %s: %s\n", image,
			    proto_strerror(rc));
			unlink(v.ctl_path);
			return 1;
		}
		proto_log(PROTO_LOG_NOTICE, "card inserted: %s", abs);
	}
	proto_log(PROTO_LOG_NOTICE, "serving vpcd %s:%u, control %s", v.host,
	    (unsigned)v.port, v.ctl_path);
	link_try(&v);
	rc = serve(&v);
	card_unload(&v);
	close(v.ctl_fd);
	unlink(v.ctl_path);
	return rc;
}
