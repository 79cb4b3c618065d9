/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the three daemons (centerd, decoderd, vcard) share around their
 * main: the options every one of them takes, start-up in the background,
 * and readiness.
 *
 * A daemon stays in the foreground (what systemd and a test harness
 * want) unless started with -b: then proto_daemon_detach() forks and the
 * command returns only once the daemon is ready (its socket is there),
 * with status 0, or with the daemon's own exit status after it printed
 * why it could not start.  proto_daemon_ready() says so to the parent
 * waiting, and to systemd (sd_notify READY=1, for Type=notify units)
 * when $NOTIFY_SOCKET is set.
 *
 * This file alone of proto/ links libsystemd (sd_notify).
 */
#ifndef PROTO_DAEMON_H
#define PROTO_DAEMON_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

/* The options every daemon takes, as parsed by proto_daemon_opt(). */
struct proto_daemon_opts {
	int level;      /* -l LEVEL, -d, -q (PROTO_LOG_*) */
	int syslog;     /* -s */
	int background; /* -b */
};

/* getopt letters of the common options, and their long names. */
#define PROTO_DAEMON_OPTSTRING ":hVl:dqsfb"
#define PROTO_DAEMON_LONGOPTS                              \
	{ "help", no_argument, NULL, 'h' },                \
	    { "version", no_argument, NULL, 'V' },         \
	    { "log-level", required_argument, NULL, 'l' }, \
	    { "debug", no_argument, NULL, 'd' },           \
	    { "quiet", no_argument, NULL, 'q' },           \
	    { "syslog", no_argument, NULL, 's' },          \
	    { "foreground", no_argument, NULL, 'f' },      \
	{                                                  \
		"background", no_argument, NULL, 'b'       \
	}

/* Their lines in a usage text. */
#define PROTO_DAEMON_HELP                                                  \
	"  -l, --log-level LEVEL  error, warning, notice, info or debug "  \
	"(notice)\n"                                                       \
	"  -d, --debug            the same as -l debug\n"                  \
	"  -q, --quiet            the same as -l error\n"                  \
	"  -s, --syslog           log to syslog (LOG_DAEMON), not to "     \
	"standard error\n"                                                 \
	"  -b, --background       detach once ready: the command returns " \
	"0 when the\n"                                                     \
	"                         daemon serves, or fails saying why\n"    \
	"  -f, --foreground       stay in the foreground (the default)\n"  \
	"  -h, --help             this text;  -V, --version  the version\n"

void proto_daemon_opts_init(struct proto_daemon_opts *o);

/*
 * Handle one getopt_long result c (with PROTO_DAEMON_OPTSTRING first in
 * the option string) if it is a common option: returns 1 when handled, 0
 * when c is the daemon's own.  --help prints help (the daemon's whole
 * usage text) on stdout and exits 0; --version prints "prog (ptv)
 * VERSION" and exits 0; a bad log level, an unknown option or a missing
 * value print one line on stderr naming it and exit 2.  Reads getopt's
 * optarg, optopt and optind; argv is the one getopt_long parses.
 */
int proto_daemon_opt(const char *prog, const char *help, int c,
    char *const *argv, struct proto_daemon_opts *o);
/* A usage error: "prog: MESSAGE (prog --help lists the options)" on
 * stderr, exit 2. */
_Noreturn void proto_daemon_usage_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The next of the daemon's own options: getopt_long over argv with
 * optstring (PROTO_DAEMON_OPTSTRING first, then the daemon's letters)
 * and longs (PROTO_DAEMON_LONGOPTS first), every common option handled
 * by proto_daemon_opt on the way.  Returns the option's letter, with
 * optarg set, or -1 after the last.
 */
int proto_daemon_getopt(const char *prog, const char *help, int argc,
    char *const *argv, const char *optstring, const struct option *longs,
    struct proto_daemon_opts *o);
/*
 * An option's value s, or a usage error naming the option (flag, "-p")
 * and what it wants: "-p wants WHAT from MIN to MAX: S", exit 2.  _uint:
 * a whole number (what: "a whole number", "a port"); _time: a duration
 * (proto_parse_duration) from min_ms to max_ms, the error saying "FLAG
 * wants a time RANGE: S" (range: "from 1ms to 1h (500ms, 10s, 1min)").
 */
unsigned proto_daemon_uint_arg(const char *prog, const char *flag,
    const char *what, const char *s, unsigned min, unsigned max);
uint64_t proto_daemon_time_arg(const char *prog, const char *flag,
    const char *range, const char *s, uint64_t min_ms, uint64_t max_ms);

/*
 * -b: fork.  In the child (the daemon) returns 0 after setsid().  The
 * parent never returns: it exits 0 when the child calls
 * proto_daemon_ready(), or with the child's status when the child exits
 * first.  A failed fork is an error return (proto_err_sys).
 */
int proto_daemon_detach(void);
/*
 * The daemon serves: tell a parent waiting (-b) and systemd (READY=1 and
 * STATUS=status).  Standard input and output then read and write
 * /dev/null in a detached daemon.
 */
void proto_daemon_ready(const char *status);
/* The daemon is stopping (STOPPING=1 to systemd). */
void proto_daemon_stopping(void);

/*
 * Make the directory a control socket goes in (/run/vcard for
 * /run/vcard/vcard.sock), mode 0755, if it does not exist; systemd makes
 * it for a unit (RuntimeDirectory=), a daemon started by hand makes it
 * here, as pcscd does /run/pcscd.  Only a directory of /run itself is
 * made; anywhere else the socket's directory must exist (a typo in -S
 * makes nothing).
 */
int proto_daemon_socket_dir(const char *path);

#endif
