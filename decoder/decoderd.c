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

#include "../proto/log.h"
#include "../proto/proto.h"
#include "../proto/stop.h"
#include "config.h"
#include "ctl.h"
#include "emm.h"
#include "events.h"
#include "export.h"
#include "files.h"
#include "metrics.h"
#include "m1.h"
#include "monitor.h"
#include "session.h"
#include "state.h"
#include "sync.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: decoderd [-f] [-c config] [-r reader] [-m m1] [-k "
	    "keyfile]\n"
	    "                [-S socket] [-e ecm-dir] [-i seconds] "
	    "[-l level]\n"
	    "                [-C host:port[,host:port...]] [-A ca-file] "
	    "[-u uplink-seconds]\n"
	    "                [-t uplink-deadline] [-L yes|no] [-R seconds]\n"
	    "                [-g seconds] [-M metrics-file] [-I issuer.pub]\n"
	    "                [-E emm-dir] [-T emm-seconds]\n"
	    "  -f          stay in the foreground, log to stderr\n"
	    "  -c config   configuration file (key = value lines)\n"
	    "  -i seconds  periodic export interval (0: never)\n"
	    "  -g seconds  usage changes export too, at most once per "
	    "this gap (0: never)\n"
	    "  -t seconds  the longest an uplink session may last (60)\n"
	    "  -L yes|no   uplink at once when a transfer-locked card is "
	    "inserted (yes)\n"
	    "  -R seconds  its tries 2 s apart, doubling up to this (60)\n"
	    "  -M file     keep the metrics there too, for node_exporter\n"
	    "  -I file     the operator's issuer public key: only cards it\n"
	    "              certified may export into M1\n"
	    "  -E dir      the broadcast's EMM files (*.emm)\n"
	    "  -T seconds  between readings of the EMM files (30; 0: at\n"
	    "              insertion and when asked only)\n");
	exit(2);
}

static void
parse_args(int argc, char **argv, struct dec_config *c, int *fg)
{
	static const struct option longs[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const keys[] = { ['r'] = "reader",
		['m'] = "m1",
		['k'] = "key",
		['S'] = "socket",
		['e'] = "ecm_dir",
		['i'] = "export_interval",
		['g'] = "usage_export_gap",
		['l'] = "log_level",
		['C'] = "center",
		['A'] = "ca",
		['u'] = "uplink_interval",
		['t'] = "uplink_deadline",
		['L'] = "first_contact",
		['R'] = "first_contact_max",
		['M'] = "metrics_file",
		['I'] = "issuer",
		['E'] = "emm_dir",
		['T'] = "emm_interval" };
	int opt, line, rc;

	dec_config_defaults(c);
	/* The file first, flags over it. */
	while ((opt = getopt_long(argc, argv,
		    "fhc:r:m:k:S:e:i:g:l:C:A:u:t:L:R:M:I:E:T:", longs, NULL)) !=
	    -1) {
		if (opt != 'c')
			continue;
		if ((rc = dec_config_load(optarg, c, &line)) != 0) {
			if (line > 0)
				fprintf(stderr, "decoderd: %s line %d: %s\n",
				    optarg, line, proto_strerror(rc));
			else
				fprintf(stderr, "decoderd: %s: %s\n", optarg,
				    proto_strerror(rc));
			exit(2);
		}
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv,
		    "fhc:r:m:k:S:e:i:g:l:C:A:u:t:L:R:M:I:E:T:", longs, NULL)) !=
	    -1) {
		if (opt == 'f') {
			*fg = 1;
		} else if (opt == 'c') {
			continue;
		} else if (opt > 0 &&
		    opt < (int)(sizeof(keys) / sizeof(keys[0])) &&
		    keys[opt] != NULL) {
			if (dec_config_set(c, keys[opt], optarg) != 0) {
				fprintf(stderr,
				    "decoderd: bad value for -%c: "
				    "%s\n",
				    opt, optarg);
				exit(2);
			}
		} else {
			usage();
		}
	}
	if (optind != argc)
		usage();
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
	dec_sync_contact_after(st, &res, time(NULL));
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
	dec_sync_contact_after(st, res, time(NULL));
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
		timeout = sooner(dec_sync_contact_deadline(st), timeout);
		timeout = sooner(dec_events_deadline(st), timeout);
		timeout = sooner(dec_emm_deadline(st), timeout);
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
		dec_events_tick(st, time(NULL));
		emm_tick(st, time(NULL));
		dec_export_tick(st, time(NULL));
		if (dec_sync_due(st, time(NULL)))
			scheduled_uplink(st);
		if (dec_sync_contact_due(st, time(NULL)))
			contact_uplink(st);
		metrics_ms = dec_metrics_file_tick(&mf, st, 0);
	}
	(void)dec_metrics_file_tick(&mf, st, 1);
	return 0;
}

/* Load the key and M1, open the socket, start the monitor. */
static int
start(struct dec_state *st, struct dec_ctl **ctl, struct dec_monitor **mon,
    int *ev_fd)
{
	char why[DEC_WHY_MAX];
	int rc;

	if ((rc = dec_files_open(st, why)) != 0) {
		fprintf(stderr, "decoderd: %s\n", why);
		proto_log(PROTO_LOG_ERR, "%s: %s", __func__, why);
		return rc;
	}
	if ((rc = dec_ctl_open(st->cfg.socket, ctl)) != 0) {
		fprintf(stderr, "decoderd: control socket %s: %s\n",
		    st->cfg.socket,
		    rc == PROTO_ERR_EXISTS ? "another decoderd is running" :
					     proto_strerror(rc));
		return rc;
	}
	if ((rc = dec_monitor_start(mon, ev_fd)) != 0) {
		fprintf(stderr, "decoderd: cannot start the reader monitor\n");
		return rc;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct dec_state st;
	struct dec_ctl *ctl = NULL;
	struct dec_monitor *mon = NULL;
	int fg = 0, ev_fd = -1, rc = 1;

	dec_card_pcsc_init(); /* before the monitor's thread */
	dec_state_init(&st, &dec_card_io_pcsc);
	parse_args(argc, argv, &st.cfg, &fg);
	proto_log_init("decoderd", !fg, st.cfg.log_level);
	proto_signals_init();
	if (start(&st, &ctl, &mon, &ev_fd) != 0)
		goto out;
	dec_sync_schedule(&st, time(NULL));
	dec_emm_start(&st, time(NULL));
	proto_log(PROTO_LOG_NOTICE,
	    "decoder %s: M1 %s (%zu entries), control %s", DEC_UA(st.key.id),
	    st.cfg.m1, st.m1.n, st.cfg.socket);
	rc = serve(&st, ctl, ev_fd);
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
