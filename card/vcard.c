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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/crypto.h"
#include "../proto/ctl.h"
#include "../proto/log.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "../proto/stop.h"
#include "vcard.h"

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
			vcard_link_readable(v);
		if (pfd[0].revents & POLLIN)
			vcard_ctl_readable(v);
		vcard_link_try(v);
	}
	return 0;
}

static unsigned
parse_number(const char *s, unsigned min, unsigned max)
{
	unsigned x;

	if (proto_parse_uint(s, min, max, &x) != 0)
		usage();
	return x;
}

static void
parse_args(int argc, char **argv, struct vcard *v, const char **image)
{
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
			v->port = (uint16_t)parse_number(optarg, 1, UINT16_MAX);
			break;
		case 'w':
			v->swap_delay_ms = (int)parse_number(optarg, 0, 60000);
			break;
		default:
			usage();
		}
	}
	if (argc - optind > 1)
		usage();
	*image = optind < argc ? argv[optind] : NULL;
	proto_log_init("vcard", 0, level);
}

static int
vcard_new(struct vcard **out)
{
	const char *env = getenv("VCARD_SOCKET");
	struct vcard *v;
	int rc;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = proto_ctl_reply_init(&v->reply)) != 0) {
		free(v);
		return rc;
	}
	v->host = "127.0.0.1";
	v->port = CARD_VPCD_PORT;
	v->ctl_path = env != NULL ? env : VCARD_DEFAULT_SOCKET;
	v->swap_delay_ms = VCARD_SWAP_DELAY_MS;
	v->ctl_fd = -1;
	v->link_fd = -1;
	*out = v;
	return 0;
}

static void
vcard_free(struct vcard **vp)
{
	struct vcard *v = *vp;

	if (v == NULL)
		return;
	vcard_unload(v);
	if (v->ctl_fd >= 0) {
		close(v->ctl_fd);
		unlink(v->ctl_path);
	}
	proto_ctl_reply_free(&v->reply);
	proto_cleanse(v->out, sizeof(v->out));
	free(v);
	*vp = NULL;
}

/* Insert the image named on the command line. */
static int
insert_first(struct vcard *v, const char *image)
{
	char abs[PATH_MAX];
	int rc;

	if (realpath(image, abs) == NULL) {
		fprintf(stderr, "vcard: %s: %s\n", image, strerror(errno));
		return PROTO_ERR_IO;
	}
	if ((rc = vcard_load(abs, &v->store, &v->rt)) != 0) {
		fprintf(stderr, "vcard: cannot load %s: %s\n", image,
		    proto_strerror(rc));
		return rc;
	}
	proto_log(PROTO_LOG_NOTICE, "card inserted: %s", abs);
	return 0;
}

int
main(int argc, char **argv)
{
	struct vcard *v = NULL;
	const char *image;
	int rc;

	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		usage();
	if ((rc = vcard_new(&v)) != 0) {
		fprintf(stderr, "vcard: %s\n", proto_strerror(rc));
		return 1;
	}
	parse_args(argc, argv, v, &image);
	proto_signals_init();
	if ((rc = proto_ctl_listen(v->ctl_path, &v->ctl_fd)) != 0) {
		fprintf(stderr, "vcard: control socket %s: %s\n", v->ctl_path,
		    rc == PROTO_ERR_EXISTS ? "another vcard is running" :
					     proto_strerror(rc));
		vcard_free(&v);
		return 1;
	}
	if (image != NULL && insert_first(v, image) != 0) {
		vcard_free(&v);
		return 1;
	}
	proto_log(PROTO_LOG_NOTICE, "serving vpcd %s:%u, control %s", v->host,
	    (unsigned)v->port, v->ctl_path);
	vcard_link_try(v);
	rc = serve(v);
	vcard_free(&v);
	return rc;
}
