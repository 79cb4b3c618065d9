/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decoderd: the decoder daemon.  It watches the readers, keeps a session
 * with the security module in one of them, exports the card's data into
 * M1 by policy (the change counter moved, the interval passed, asked to),
 * feeds ECMs, makes impulse purchases, runs uplink sessions with the
 * center, and answers decoderctl on a control socket.
 *
 * This file is main: the arguments and the configuration, the wiring of
 * the modules (state, session, events, export, ecm, sync, ctl; see
 * README.md) and the poll loop.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../proto/daemon.h"
#include "../proto/log.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "../proto/stop.h"
#include "config.h"
#include "contact.h"
#include "ctl.h"
#include "emm.h"
#include "events.h"
#include "export.h"
#include "files.h"
#include "metrics.h"
#include "m1.h"
#include "monitor.h"
#include "preflight.h"
#include "session.h"
#include "state.h"
#include "sync.h"

static const char help[] =
    "usage: decoderd [OPTIONS]\n"
    "The decoder: the card in the reader, its exports into M1, ECMs and\n"
    "impulse purchases, the uplink to the center; decoderctl asks it.\n"
    "  -c, --config FILE          key = value lines (decoderd(8)); the\n"
    "                             options below win over the file\n"
    "  -r, --reader NAME          a part of the reader's name (the first\n"
    "                             reader holding our applet)\n"
    "  -m, --m1 FILE              M1 (/var/lib/ptv/decoder/m1); its\n"
    "                             directory must exist\n"
    "  -k, --key FILE             the decoder key, made at the first start\n"
    "                             (/var/lib/ptv/decoder/decoder.key)\n"
    "  -S, --socket PATH          the control socket, mode 0600\n"
    "                             (/run/decoderd/decoderd.sock)\n"
    "  -e, --ecm-dir DIR          the CHANNEL.ecm files (/var/lib/ptv/ecm)\n"
    "  -i, --export-interval TIME export at least this often (1h; 0: only\n"
    "                             when the card's data changed or asked)\n"
    "  -E, --emm-dir DIR          the broadcast's *.emm files\n"
    "                             (/var/lib/ptv/emm)\n"
    "  -T, --emm-interval TIME    read them this often (30s; 0: at a\n"
    "                             card's insertion and when asked only)\n"
    "  -C, --center HOST:PORT[,HOST:PORT...]  the center (localhost:7443);\n"
    "                             several: instances of one center, tried\n"
    "                             in order, the next when one fails\n"
    "  -A, --ca FILE              the CA the center's certificate chains to\n"
    "                             (/etc/ptv/ca.crt)\n"
    "  -I, --issuer FILE          the operator's issuer public key\n"
    "                             (issuer.pub of its key directory): only\n"
    "                             cards it certified export into M1; it\n"
    "                             must be there (/etc/ptv/issuer.pub)\n"
    "  -u, --uplink-interval TIME uplink this often (0: only when asked)\n"
    "  -t, --uplink-deadline TIME the longest an uplink session may\n"
    "                             last, all of it (60)\n"
    "  -L, --first-contact yes|no uplink at once when a transfer-locked\n"
    "                             card is inserted (yes)\n"
    "  -R, --first-contact-max TIME  its tries 2 s apart, doubling up\n"
    "                             to this (60)\n"
    "  -g, --usage-export-gap TIME usage changes export too, at most once\n"
    "                             per this gap (0: never)\n"
    "  -M, --metrics-file FILE    keep the metrics there too, for\n"
    "                             node_exporter's textfile collector\n"
    "  TIME: a number and a unit, " PROTO_DURATION_UNITS ".\n" PROTO_DAEMON_HELP
    "SIGTERM or SIGINT stop decoderd; SIGHUP is ignored.\n";

/* The configuration keys the options set. */
static const char *
option_key(int c)
{
	switch (c) {
	case 'r':
		return "reader";
	case 'm':
		return "m1";
	case 'k':
		return "key";
	case 'S':
		return "socket";
	case 'e':
		return "ecm_dir";
	case 'i':
		return "export_interval";
	case 'C':
		return "center";
	case 'A':
		return "ca";
	case 'u':
		return "uplink_interval";
	case 't':
		return "uplink_deadline";
	case 'L':
		return "first_contact";
	case 'R':
		return "first_contact_max";
	case 'g':
		return "usage_export_gap";
	case 'M':
		return "metrics_file";
	case 'I':
		return "issuer";
	case 'E':
		return "emm_dir";
	case 'T':
		return "emm_interval";
	default:
		return NULL;
	}
}

#define DEC_OPTSTRING \
	PROTO_DAEMON_OPTSTRING "c:r:m:k:S:e:i:C:A:u:t:L:R:g:M:I:E:T:"

static const struct option longs[] = {
	PROTO_DAEMON_LONGOPTS,
	{ "config", required_argument, NULL, 'c' },
	{ "reader", required_argument, NULL, 'r' },
	{ "m1", required_argument, NULL, 'm' },
	{ "key", required_argument, NULL, 'k' },
	{ "socket", required_argument, NULL, 'S' },
	{ "ecm-dir", required_argument, NULL, 'e' },
	{ "export-interval", required_argument, NULL, 'i' },
	{ "center", required_argument, NULL, 'C' },
	{ "ca", required_argument, NULL, 'A' },
	{ "uplink-interval", required_argument, NULL, 'u' },
	{ "uplink-deadline", required_argument, NULL, 't' },
	{ "first-contact", required_argument, NULL, 'L' },
	{ "first-contact-max", required_argument, NULL, 'R' },
	{ "usage-export-gap", required_argument, NULL, 'g' },
	{ "metrics-file", required_argument, NULL, 'M' },
	{ "issuer", required_argument, NULL, 'I' },
	{ "emm-dir", required_argument, NULL, 'E' },
	{ "emm-interval", required_argument, NULL, 'T' },
	{ NULL, 0, NULL, 0 },
};

/* -c FILE, read before the other options so that they win over it. */
static void
load_config_file(int argc, char **argv, struct dec_config *c)
{
	char why[DEC_CONFIG_WHY_MAX];
	int opt, line, rc;

	opterr = 0;
	while (
	    (opt = getopt_long(argc, argv, DEC_OPTSTRING, longs, NULL)) != -1) {
		if (opt != 'c')
			continue;
		if ((rc = dec_config_load_why(optarg, c, &line, why,
			 sizeof(why))) == 0)
			continue;
		if (line > 0)
			proto_log_fatal("%s line %d: %s", optarg, line, why);
		else
			proto_log_fatal("%s: %s", optarg,
			    rc == PROTO_ERR_NOTFOUND ? strerror(ENOENT) :
						       proto_strerror(rc));
		exit(2);
	}
	optind = 1;
	opterr = 1;
}

static void
parse_args(int argc, char **argv, struct dec_config *c,
    struct proto_daemon_opts *d)
{
	const char *key;
	int opt, level_given = 0;

	dec_config_defaults(c);
	load_config_file(argc, argv, c);
	proto_daemon_opts_init(d);
	while (
	    (opt = getopt_long(argc, argv, DEC_OPTSTRING, longs, NULL)) != -1) {
		if (proto_daemon_opt("decoderd", help, opt, argv, d)) {
			level_given |= opt == 'l' || opt == 'd' || opt == 'q';
			continue;
		}
		if (opt == 'c')
			continue;
		if ((key = option_key(opt)) == NULL)
			proto_daemon_usage_error("decoderd",
			    "unknown option -%c", opt);
		if (dec_config_set(c, key, optarg) != 0)
			proto_daemon_usage_error("decoderd",
			    "bad value for -%c (%s): %s: wants %s", opt, key,
			    optarg, dec_config_expects(key));
	}
	if (optind != argc)
		proto_daemon_usage_error("decoderd",
		    "takes no arguments besides options: %s", argv[optind]);
	if (!level_given)
		d->level = c->log_level;
}

/* The sooner of timeout (-1: none) and the ms until t (0: none). */
static int
sooner(time_t t, int timeout)
{
	time_t left;
	int ms;

	if (t == 0)
		return timeout;
	left = t - time(NULL);
	ms = left <= 0 ? 0 : (int)(left > 86400 ? 86400000 : left * 1000);
	return timeout < 0 || ms < timeout ? ms : timeout;
}

/* The sooner of two poll timeouts (-1: none). */
static int
sooner_ms(int a, int b)
{
	if (a < 0)
		return b;
	return b < 0 || a < b ? a : b;
}

static void
scheduled_uplink(struct dec_state *st)
{
	struct dec_sync_result res;

	if (st->sync == NULL && dec_sync_start(st, 0, &res) != 0)
		proto_log(PROTO_LOG_WARNING, "%s: scheduled uplink: %s",
		    __func__, res.why);
	dec_sync_schedule(st, time(NULL));
}

/* A transfer-locked card's first contact, or its next try. */
static void
contact_uplink(struct dec_state *st)
{
	struct dec_sync_result res;

	if (dec_sync_start(st, 0, &res) == 0)
		return;
	proto_log(PROTO_LOG_WARNING, "%s: %s", __func__, res.why);
	dec_contact_after(st, &res, time(NULL));
}

/* A session ended: whoever asked hears how, and the policy follows. */
static void
uplink_over(struct dec_state *st, struct dec_ctl *ctl,
    const struct dec_sync_result *res)
{
	dec_ctl_uplink_done(ctl, res);
	if (res->rc == 0)
		dec_export_after(st, "after uplink");
	else
		proto_log(PROTO_LOG_WARNING,
		    "%s: %s; everything stays for the "
		    "next try",
		    __func__, res->why);
	dec_contact_after(st, res, time(NULL));
}

/* The broadcast's EMMs for the present card; the policy follows. */
static void
emm_tick(struct dec_state *st, time_t now)
{
	struct dec_emm_result res;

	if (!dec_emm_due(st, now))
		return;
	if (dec_emm_feed(st, &res) != 0 && res.step != DEC_EMM_NO_DIR)
		proto_log(PROTO_LOG_WARNING, "%s: EMMs not fed: %s", __func__,
		    dec_session_why(st, res.rc));
	dec_emm_schedule(st, time(NULL));
	if (res.applied + res.consumed_refused > 0)
		dec_export_if_changed(st, "after EMMs");
}

/* What the loop waits on: the monitor, the uplink's worker, the clients. */
static size_t
poll_set(struct dec_state *st, struct dec_ctl *ctl, int ev_fd, struct pollfd *p)
{
	size_t n = 0;

	p[n++] = (struct pollfd){ .fd = ev_fd, .events = POLLIN };
	if (dec_sync_fd(st) >= 0)
		p[n++] =
		    (struct pollfd){ .fd = dec_sync_fd(st), .events = POLLIN };
	return n + dec_ctl_pollfds(ctl, p + n);
}

static int
serve(struct dec_state *st, struct dec_ctl *ctl, int ev_fd)
{
	static struct dec_metrics_file mf;
	struct pollfd pfd[2 + DEC_CTL_POLLFDS];
	struct dec_sync_result res;
	struct dec_event ev;
	size_t n;
	int timeout, metrics_ms = dec_metrics_file_tick(&mf, st, 1);

	while (!proto_stop_requested()) {
		n = poll_set(st, ctl, ev_fd, pfd);
		timeout = sooner(dec_export_deadline(st), -1);
		timeout = sooner(dec_sync_deadline(st), timeout);
		timeout = sooner(dec_contact_deadline(st), timeout);
		timeout = sooner(dec_emm_deadline(st), timeout);
		timeout = sooner_ms(dec_events_wait_ms(st), timeout);
		timeout = sooner_ms(dec_sync_wait_ms(st), timeout);
		timeout = sooner_ms(dec_ctl_wait_ms(ctl), timeout);
		timeout = sooner_ms(metrics_ms, timeout);
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			proto_log(PROTO_LOG_ERR, "%s: poll: %s", __func__,
			    strerror(errno));
			return 1;
		}
		if ((pfd[0].revents & POLLIN) &&
		    dec_monitor_read(ev_fd, &ev) == 0)
			dec_events_handle(st, &ev);
		if (dec_sync_step(st, &res))
			uplink_over(st, ctl, &res);
		dec_ctl_serve(ctl, st, pfd, n);
		dec_events_tick(st, dec_now_ms());
		emm_tick(st, time(NULL));
		dec_export_tick(st, time(NULL));
		if (dec_sync_due(st, time(NULL)))
			scheduled_uplink(st);
		if (dec_contact_due(st, time(NULL)))
			contact_uplink(st);
		metrics_ms = dec_metrics_file_tick(&mf, st, 0);
	}
	(void)dec_metrics_file_tick(&mf, st, 1);
	return 0;
}

/*
 * Check the configuration, open the socket, start the monitor, load the
 * key and M1.  What can fail without making a file comes first, so a
 * decoderd that cannot start leaves its state directory as it was (no
 * key, no lock file).  What fails is said on standard error and in the
 * log; what was started is stopped again.
 */
static int
start(struct dec_state *st, struct dec_ctl **ctl, struct dec_monitor **mon,
    int *ev_fd)
{
	char why[DEC_PREFLIGHT_WHY_MAX], why2[DEC_WHY_MAX];
	int rc;

	if ((rc = dec_preflight(&st->cfg, 1, why)) != 0) {
		proto_log_fatal("%s", why);
		return rc;
	}
	if ((rc = proto_daemon_socket_dir(st->cfg.socket)) != 0 ||
	    (rc = dec_ctl_open(st->cfg.socket, ctl)) != 0) {
		proto_log_fatal("control socket %s: %s", st->cfg.socket,
		    rc == PROTO_ERR_EXISTS ? "another decoderd is running" :
					     proto_strerror(rc));
		return rc;
	}
	if ((rc = dec_monitor_start(mon, ev_fd)) != 0) {
		proto_log_fatal("cannot start the reader monitor");
		goto fail;
	}
	if ((rc = dec_files_open(st, why2)) != 0) {
		proto_log_fatal("%s", why2);
		goto fail;
	}
	return 0;
fail:
	dec_monitor_stop(mon);
	if (*ev_fd >= 0)
		close(*ev_fd);
	*ev_fd = -1;
	dec_ctl_close(ctl);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct dec_state st;
	struct proto_daemon_opts opts;
	struct dec_ctl *ctl = NULL;
	struct dec_monitor *mon = NULL;
	char status[PATH_MAX + 64];
	int ev_fd = -1, rc = 1;

	proto_log_init("decoderd", 0, PROTO_LOG_NOTICE); /* for the arguments */
	dec_state_init(&st, &dec_card_io_pcsc);
	parse_args(argc, argv, &st.cfg, &opts);
	proto_log_init("decoderd", opts.syslog, opts.level);
	if (opts.background && (rc = proto_daemon_detach()) != 0) {
		proto_log_fatal("cannot detach: %s", proto_strerror(rc));
		rc = 1;
		goto out;
	}
	rc = 1;
	dec_card_pcsc_init(); /* before the monitor's thread */
	proto_signals_init();
	if (start(&st, &ctl, &mon, &ev_fd) != 0)
		goto out;
	dec_sync_schedule(&st, time(NULL));
	dec_emm_start(&st, time(NULL));
	snprintf(status, sizeof(status), "decoder %s: M1 %s (%zu entries)",
	    DEC_UA(st.key.id), st.cfg.m1, st.m1.n);
	proto_log(PROTO_LOG_NOTICE, "%s, control %s", status, st.cfg.socket);
	proto_daemon_ready(status);
	rc = serve(&st, ctl, ev_fd);
	proto_daemon_stopping();
	dec_sync_stop(&st);
	dec_monitor_stop(&mon);
	close(ev_fd);
	dec_session_drop(&st, "released at shutdown");
	dec_session_release(&st);
	proto_log(PROTO_LOG_NOTICE, "stopped");
out:
	dec_ctl_close(&ctl);
	dec_files_close(&st);
	dec_state_clear(&st); /* the decoder key, on every path */
	return rc;
}
