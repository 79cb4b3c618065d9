/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * loadgen: N cards, M simulated decoders, real uplink sessions against
 * one or more centerd instances; then the ledger checked.  See loadgen.h.
 *
 * usage: loadgen -K keys-dir [-d db] [-A ca.crt] [-c host:port]...
 *                [-n cards] [-m decoders] [-s sessions] [-j threads]
 *                [-C in-flight] [-r cut%] [-u dup%] [-w swap%]
 *                [-a attempts] [-T timeout-ms] [-R run-seconds]
 *                [-V verify-seconds] [-b]
 *                [-S seed] [-x command] [-L ack-log]
 * Prints the rates, the latencies and the ledger check, and one line
 * "loadgen-result key=value ..." for scripts.  Exit 0 when every decoder
 * got through and the ledger holds every purchase the cards made, once;
 * 1 otherwise; 2 on a bad command line.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../../proto/num.h"
#include "../../proto/proto.h"
#include "../bench/p256.h"
#include "loadgen.h"

#define PATH_CAP 4096
#define FD_SPARE 64 /* files besides the connections */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen -K keys-dir [-d db] [-A ca.crt] [-c host:port]...\n"
	    "               [-n cards] [-m decoders] [-s sessions] "
	    "[-j threads]\n"
	    "               [-C in-flight] [-r cut%%] [-u dup%%] [-w swap%%]\n"
	    "               [-a attempts] [-T timeout-ms] [-R run-secs]\n"
	    "               [-V verify-secs] [-b] [-S seed] [-x command]\n"
	    "  -K dir   the operator's keys (centerctl init)\n"
	    "  -d db    the center's database (default DIR/center.db)\n"
	    "  -A file  the CA of the centers' certificate (DIR/ca.crt)\n"
	    "  -c h:p   a centerd instance (127.0.0.1:7443); several: "
	    "round robin\n"
	    "  -n, -m   cards (2000) and decoders (200)\n"
	    "  -s       sessions each decoder gets through, at least (3)\n"
	    "  -j       event-loop threads (2); -C connections at once "
	    "(decoders)\n"
	    "  -r, -u   sessions whose answer is lost (5), that resend a "
	    "block (10)\n"
	    "  -w       decoders whose card is swapped mid-run (20)\n"
	    "  -a, -T   attempts per session (1000; refused ones back off up "
	    "to 30 s),\n"
	    "           ms per session (120000)\n"
	    "  -R       seconds the run may take (3600): then the decoders "
	    "not through give up\n"
	    "  -V       seconds measuring OpenSSL's verify rate (1; 0: "
	    "not)\n"
	    "  -b       every decoder from 127.0.0.1 (else each from an "
	    "address of its own)\n"
	    "  -x cmd   run cmd (sh -c) before the ledger check\n"
	    "  -L file  append to file, as each answer comes, what it "
	    "acknowledged:\n"
	    "           b,UA,SEQ,P a block accepted or duplicate (the card "
	    "had made\n"
	    "           purchases 1..P when it made it), a,UA,SEQ,0 an M1 "
	    "block's ACK\n");
	exit(2);
}

static unsigned
num_arg(const char *s, unsigned min, unsigned max)
{
	unsigned v;

	if (proto_parse_uint(s, min, max, &v) != 0)
		usage();
	return v;
}

static void
center_arg(struct lg_conf *cf, char *s)
{
	char *colon = strrchr(s, ':');

	if (colon == NULL || cf->n_centers == LG_MAX_CENTERS)
		usage();
	*colon = '\0';
	cf->host[cf->n_centers] = s;
	cf->port[cf->n_centers++] = colon + 1;
}

static void
parse_args(int argc, char **argv, struct lg_conf *cf)
{
	int c;

	while ((c = getopt(argc, argv,
		    "hK:d:A:c:n:m:s:j:C:r:u:w:a:T:R:V:bS:x:L:")) != -1) {
		switch (c) {
		case 'K':
			cf->keys_dir = optarg;
			break;
		case 'd':
			cf->db = optarg;
			break;
		case 'A':
			cf->ca = optarg;
			break;
		case 'c':
			center_arg(cf, optarg);
			break;
		case 'n':
			cf->n_cards = num_arg(optarg, 1, 50000000);
			break;
		case 'm':
			cf->n_decoders = num_arg(optarg, 1, 1000000);
			break;
		case 's':
			cf->sessions = (int)num_arg(optarg, 1, 20);
			break;
		case 'j':
			cf->threads = (int)num_arg(optarg, 1, 64);
			break;
		case 'C':
			cf->inflight = num_arg(optarg, 1, 1000000);
			break;
		case 'r':
			cf->cut_pct = (int)num_arg(optarg, 0, 100);
			break;
		case 'u':
			cf->dup_pct = (int)num_arg(optarg, 0, 100);
			break;
		case 'w':
			cf->swap_pct = (int)num_arg(optarg, 0, 100);
			break;
		case 'a':
			cf->max_attempts = (int)num_arg(optarg, 1, 100000);
			break;
		case 'T':
			cf->timeout_ms = (int)num_arg(optarg, 100, 3600000);
			break;
		case 'R':
			cf->run_secs = (int)num_arg(optarg, 1, 86400);
			break;
		case 'V':
			cf->verify_secs = (int)num_arg(optarg, 0, 600);
			break;
		case 'b':
			cf->own_addrs = 0;
			break;
		case 'S':
			cf->seed = num_arg(optarg, 0, 65535);
			break;
		case 'x':
			cf->before_check = optarg;
			break;
		case 'L':
			if ((cf->ack_fd = open(optarg,
				 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				 0644)) < 0) {
				fprintf(stderr, "loadgen: cannot open %s\n",
				    optarg);
				exit(2);
			}
			break;
		default:
			usage();
		}
	}
	if (optind != argc || cf->keys_dir == NULL ||
	    cf->n_cards < cf->n_decoders)
		usage();
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- OpenSSL's own verify rate, on as many threads as the run's -------- */

/* The summed rate of nt threads verifying at once (OpenSSL's fastest
 * path, ../bench/p256.h); 0 if it failed. */
static double
verify_rate(int nt, double secs)
{
	return p256_verify_rate(nt, P256_FAST, 256 /* a block's signed size */,
	    secs, NULL);
}

/* --- the report ---------------------------------------------------------- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
quantile(const struct lg_stats *st, double q)
{
	size_t i;

	if (st->n_lat == 0)
		return 0;
	i = (size_t)(q * (double)(st->n_lat - 1) + 0.5);
	return st->lat_ms[i];
}

static unsigned long
gave_up(const struct lg_world *w)
{
	unsigned long n = 0;

	for (uint32_t d = 0; d < w->conf->n_decoders; d++)
		n += (unsigned long)w->decs[d].gave_up;
	return n;
}

static void
report(const struct lg_world *w, struct lg_stats *st, double secs, double vr)
{
	double p50, p99, bps = (double)st->blocks / secs;

	qsort(st->lat_ms, st->n_lat, sizeof(*st->lat_ms), cmp_double);
	p50 = quantile(st, 0.50);
	p99 = quantile(st, 0.99);
	printf("sessions: %lu through in %lu attempts (%lu answers lost, "
	       "%lu busy, %lu refused by an ERROR, %lu failed, %lu timed "
	       "out); %lu decoders gave up\n",
	    st->sessions, st->attempts, st->cut, st->busy, st->refused,
	    st->errors, st->timeouts, gave_up(w));
	printf("blocks: %lu in sessions through (%lu present, %lu "
	       "recovered, %lu resent); results: %lu accepted, %lu "
	       "duplicate, %lu stale, %lu rejected (%lu final)\n",
	    st->blocks, st->present, st->recovered, st->dup_sent, st->accepted,
	    st->duplicate, st->stale, st->rejected + st->rejected_final,
	    st->rejected_final);
	printf("center: %lu purchases invoiced, %lu anomalies said in DONE; "
	       "%lu commands applied, %lu acks\n",
	    st->invoiced, st->flagged, st->cmds_applied, st->acks);
	printf("rate: %.0f sessions/s, %.0f blocks/s over %.2f s; session "
	       "latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
	    (double)st->sessions / secs, bps, secs, p50, quantile(st, 0.90),
	    p99, quantile(st, 1));
	if (vr > 0)
		printf("OpenSSL ECDSA P-256 verify on %d threads: %.0f /s; "
		       "blocks/s over it: %.2f\n",
		    w->conf->threads, vr, bps / vr);
	printf("loadgen-result decoders=%u cards=%u centers=%d sessions=%lu "
	       "secs=%.2f sessions_per_s=%.0f blocks_per_s=%.0f p50_ms=%.1f "
	       "p99_ms=%.1f verify_per_s=%.0f ratio=%.2f\n",
	    w->conf->n_decoders, w->conf->n_cards, w->conf->n_centers,
	    st->sessions, secs, (double)st->sessions / secs, bps, p50, p99, vr,
	    vr > 0 ? bps / vr : 0);
}

/* Room for every connection at once, and then some. */
static void
raise_nofile(struct lg_conf *cf)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rl.rlim_cur = rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)cf->inflight + FD_SPARE) {
		cf->inflight = rl.rlim_cur > FD_SPARE + 1 ?
		    (uint32_t)(rl.rlim_cur - FD_SPARE) :
		    1;
		fprintf(stderr,
		    "loadgen: open files limited to %lu: at most %u "
		    "connections at once\n",
		    (unsigned long)rl.rlim_cur, cf->inflight);
	}
}

int
main(int argc, char **argv)
{
	struct lg_conf cf = { .n_cards = 2000,
		.n_decoders = 200,
		.sessions = 3,
		.threads = 2,
		.cut_pct = 5,
		.dup_pct = 10,
		.swap_pct = 20,
		.max_attempts = 1000,
		.run_secs = 3600,
		.timeout_ms = 120000,
		.verify_secs = 1,
		.own_addrs = 1,
		.ack_fd = -1 };
	char db[PATH_CAP], ca[PATH_CAP], def_center[] = "127.0.0.1:7443";
	struct lg_world w = { 0 };
	struct lg_stats st;
	double t0, secs = 0, vr = 0;
	int rc = 1, ledger;

	memset(&st, 0, sizeof(st));
	/* a center closing first must fail a write, not end the run */
	signal(SIGPIPE, SIG_IGN);
	cf.seed = (unsigned)time(NULL) & 0xffff;
	parse_args(argc, argv, &cf);
	if (cf.n_centers == 0)
		center_arg(&cf, def_center);
	if (cf.inflight == 0)
		cf.inflight = cf.n_decoders;
	snprintf(db, sizeof(db), "%s/center.db", cf.keys_dir);
	snprintf(ca, sizeof(ca), "%s/ca.crt", cf.keys_dir);
	if (cf.db == NULL)
		cf.db = db;
	if (cf.ca == NULL)
		cf.ca = ca;
	raise_nofile(&cf);
	printf("loadgen: %u cards, %u decoders, %d sessions each at least, "
	       "%d center(s), %d threads, %u connections at once\n",
	    cf.n_cards, cf.n_decoders, cf.sessions, cf.n_centers, cf.threads,
	    cf.inflight);
	fflush(stdout);
	t0 = now();
	if (lg_world_make(&w, &cf) != 0 || lg_register(&w) != 0)
		goto out;
	printf("cards made and registered in %.1f s\n", now() - t0);
	fflush(stdout);
	if (cf.verify_secs > 0 &&
	    (vr = verify_rate(cf.threads, cf.verify_secs)) == 0) {
		fprintf(stderr, "loadgen: OpenSSL's verify failed\n");
		goto out;
	}
	if (lg_drive(&w, &st, &secs) != 0) {
		fprintf(stderr, "loadgen: the run failed\n");
		goto out;
	}
	report(&w, &st, secs, vr);
	fflush(stdout);
	/* the tests' own command, to alter the ledger on purpose */
	if (cf.before_check != NULL &&
	    system(cf.before_check) != 0) /* NOLINT(cert-env33-c) */
		fprintf(stderr, "loadgen: %s failed\n", cf.before_check);
	ledger = lg_ledger_check(&w);
	rc = ledger == 0 && gave_up(&w) == 0 && st.rejected_final == 0 ? 0 : 1;
out:
	if (w.conf != NULL)
		lg_world_free(&w);
	free(st.lat_ms);
	if (cf.ack_fd >= 0)
		close(cf.ack_fd);
	return rc;
}
