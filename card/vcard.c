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
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/crypto.h"
#include "../proto/ctl.h"
#include "../proto/daemon.h"
#include "../proto/file.h"
#include "../proto/log.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "../proto/stop.h"
#include "vcard.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define SWAP_PAUSE_MAX_MS 60000

static const char help[] =
    "usage: vcard [OPTIONS] [IMAGE]\n"
    "Serve a card image to the vpcd reader of pcscd as a real card; cardctl\n"
    "inserts, ejects and swaps images through the control socket.\n"
    "  IMAGE                  a card image to insert at start\n"
    "  -H, --host HOST        vpcd's host (127.0.0.1), resolved at start\n"
    "  -p, --port PORT        vpcd's port (" STR(
	CARD_VPCD_PORT) "; "
			"reader slot n is " STR(
			    CARD_VPCD_PORT) " + n)\n"
					    "  -S, --socket PATH      the "
					    "control socket "
					    "(" VCARD_DEFAULT_SOCKET ",\n"
					    "                         or "
					    "$VCARD_SOCKET), mode 0600\n"
					    "  -w, --swap-pause TIME  the "
					    "card's absence on a swap (1s; at "
					    "most "
					    "1min),\n"
					    "                         longer "
					    "than pcscd's 400 ms "
					    "poll\n" PROTO_DAEMON_HELP
					    "TIME is a number and a "
					    "unit: " PROTO_DURATION_UNITS ".\n"
					    "SIGTERM or SIGINT stop vcard; "
					    "SIGHUP is ignored.\n";

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

static void
parse_args(int argc, char **argv, struct vcard *v, struct proto_daemon_opts *d,
    const char **image)
{
	static const struct option longs[] = {
		PROTO_DAEMON_LONGOPTS,
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 'S' },
		{ "swap-pause", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	proto_daemon_opts_init(d);
	while ((c = proto_daemon_getopt("vcard", help, argc, argv,
		    PROTO_DAEMON_OPTSTRING "H:p:S:w:", longs, d)) != -1) {
		switch (c) {
		case 'H':
			v->host = optarg;
			break;
		case 'S':
			v->ctl_path = optarg;
			break;
		case 'p':
			v->port = (uint16_t)proto_daemon_uint_arg("vcard", "-p",
			    "a port", optarg, 1, UINT16_MAX);
			break;
		case 'w':
			v->swap_delay_ms = (int)proto_daemon_time_arg("vcard",
			    "-w", "of at most 1min (500ms, 2s)", optarg, 0,
			    SWAP_PAUSE_MAX_MS);
			break;
		default:
			proto_daemon_usage_error("vcard", "unknown option -%c",
			    c);
		}
	}
	if (argc - optind > 1)
		proto_daemon_usage_error("vcard",
		    "one card image at most, not also %s", argv[optind + 1]);
	*image = optind < argc ? argv[optind] : NULL;
}

/* vpcd's host must resolve: a typo is said now, not retried forever. */
static int
check_vpcd_host(const struct vcard *v)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(v->host, NULL, &hints, &res)) != 0) {
		proto_log_fatal("vpcd host %s: %s", v->host,
		    proto_strerror(rc == EAI_SYSTEM ? proto_err_sys(errno) :
						      proto_err_gai(rc)));
		return PROTO_ERR_NOTFOUND;
	}
	freeaddrinfo(res);
	return 0;
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
	v->image_lock = v->port_lock = -1;
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
	proto_file_unlock(&v->image_lock);
	if (v->port_lock >= 0)
		close(v->port_lock);
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
	char abs[PATH_MAX], why[PROTO_CTL_ERROR_MAX];
	int rc;

	if (realpath(image, abs) == NULL) {
		proto_log_fatal("%s: %s", image, strerror(errno));
		return proto_err_sys(errno);
	}
	if ((rc = vcard_claim_image(v, abs, &v->image_lock, why,
		 sizeof(why))) != 0) {
		proto_log_fatal("%s", why);
		return rc;
	}
	if ((rc = vcard_load(abs, &v->store, &v->rt)) != 0) {
		proto_log_fatal("cannot load %s: %s", image,
		    proto_strerror(rc));
		return rc;
	}
	proto_log(PROTO_LOG_NOTICE, "card inserted: %s", abs);
	return 0;
}

/* Everything checked and opened before vcard says it is ready. */
static int
start(struct vcard *v, const char *image)
{
	int rc;

	if ((rc = check_vpcd_host(v)) != 0)
		return rc;
	if ((rc = vcard_claim_port(v)) != 0) {
		proto_log_fatal("vpcd %s:%u: %s", v->host, (unsigned)v->port,
		    rc == PROTO_ERR_EXISTS ? "another vcard serves it" :
					     proto_strerror(rc));
		return rc;
	}
	if ((rc = proto_daemon_socket_dir(v->ctl_path)) != 0 ||
	    (rc = proto_ctl_listen(v->ctl_path, &v->ctl_fd)) != 0) {
		proto_log_fatal("control socket %s: %s", v->ctl_path,
		    rc == PROTO_ERR_EXISTS ? "another vcard is running" :
					     proto_strerror(rc));
		return rc;
	}
	if (image != NULL && (rc = insert_first(v, image)) != 0)
		return rc;
	vcard_link_try(v);
	if (v->store != NULL && v->link_fd < 0)
		proto_log(PROTO_LOG_WARNING,
		    "%s: vpcd at %s:%u does not answer: is pcscd running, "
		    "with the vpcd driver (vsmartcard-vpcd)?  vcard retries "
		    "every %d ms",
		    __func__, v->host, (unsigned)v->port, VCARD_RETRY_MS);
	return 0;
}

int
main(int argc, char **argv)
{
	struct proto_daemon_opts d;
	struct vcard *v = NULL;
	const char *image;
	char status[128];
	int rc;

	proto_log_init("vcard", 0, PROTO_LOG_NOTICE); /* for the arguments */
	if ((rc = vcard_new(&v)) != 0) {
		proto_log_fatal("%s", proto_strerror(rc));
		return 1;
	}
	parse_args(argc, argv, v, &d, &image);
	proto_log_init("vcard", d.syslog, d.level);
	if (d.background && (rc = proto_daemon_detach()) != 0) {
		proto_log_fatal("cannot detach: %s", proto_strerror(rc));
		vcard_free(&v);
		return 1;
	}
	proto_signals_init();
	if (start(v, image) != 0) {
		vcard_free(&v);
		return 1;
	}
	if (image != NULL)
		snprintf(status, sizeof(status),
		    "serving vpcd %s:%u, control %s", v->host,
		    (unsigned)v->port, v->ctl_path);
	else /* vpcd is called only with a card to serve */
		snprintf(status, sizeof(status),
		    "no card yet: vpcd %s:%u is called at cardctl insert, "
		    "control %s",
		    v->host, (unsigned)v->port, v->ctl_path);
	proto_log(PROTO_LOG_NOTICE, "%s", status);
	proto_daemon_ready(status);
	rc = serve(v);
	proto_daemon_stopping();
	vcard_free(&v);
	return rc;
}
