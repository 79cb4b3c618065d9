/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * centerd: the management center.  A TLS 1.3 server; each uplink session
 * runs on a thread of its own (server.c, conn.c) and is recorded through
 * a pooled database connection (pool.c, ingest.c), under limits (message
 * size, blocks per session, time per frame, one deadline per connection,
 * connections at once and per address) so that a slow or hostile client
 * cannot hold the center.  This file is the main: arguments, keys,
 * wiring.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/daemon.h"
#include "../proto/keydir.h"
#include "../proto/log.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "../proto/stop.h"
#include "../proto/tls.h"
#include "commands.h"
#include "console.h"
#include "db.h"
#include "db_name.h"
#include "pool.h"
#include "report.h"
#include "server.h"

#define DEFAULT_PORT "7443"
#define MAX_SESSIONS_DEFAULT 256 /* connections at once: threads, memory */
#define MAX_PER_ADDR_DEFAULT 8   /* of them from one address (-N) */
#define IDLE_MS_DEFAULT 10000    /* the handshake, and each frame (-I) */
#define SESSION_MS_DEFAULT 60000 /* a whole connection (-t) */
#define LIMIT_MS_MAX 3600000u    /* the largest time limit: an hour */
#define CONNS_MAX 65536u         /* the largest connection cap */
#define PATH_CAP 4096

/* What main owns; the sessions borrow keys and paths from it. */
struct centerd {
	struct cgs_server_conf conf;
	const char *keys_dir, *db_path;
	char *db_arg; /* -D's copy: the command line's is masked */
	char db_buf[PATH_CAP], cert[PATH_CAP], key[PATH_CAP];
	char db_name[CGS_DB_NAME_MAX]; /* db_path as the log names it */
	const char *console_addr;      /* -W: the operator console, or NULL */
	char token[PATH_CAP];
	struct proto_daemon_opts opts;
	struct cgs_keys keys;
	SSL_CTX *tls;
	struct cgs_pool *pool;
	struct cgs_server *srv;
	struct cgs_console *console;
};

#define STR_(x) #x
#define STR(x) STR_(x)

/* clang-format off */
static const char help[] =
    "usage: centerd -K DIR [OPTIONS]\n"
    "The management center: uplink sessions over TLS 1.3, the separation\n"
    "module, the exactly-once ledger, signed commands back to the cards.\n"
    "  -K, --keys DIR          the operator key directory (centerctl init):\n"
    "                          master.key, center.key, server.crt, server.key\n"
    "  -D, --database, --db DB a SQLite file or a postgresql:// URL\n"
    "                          ($CENTER_DB, else DIR/center.db)\n"
    "  -a, --address ADDRESS   the address to listen on (127.0.0.1; 0.0.0.0:\n"
    "                          every IPv4 address, :: every address)\n"
    "  -p, --port PORT         the port, 1 to 65535 (" DEFAULT_PORT ")\n"
    "  -n, --max-connections N    connections served at once ("
    STR(MAX_SESSIONS_DEFAULT) ")\n"
    "  -N, --max-per-address N    of them from one address, or IPv6 /64 ("
    STR(MAX_PER_ADDR_DEFAULT) ")\n"
    "  -F, --frame-timeout TIME   the TLS handshake, and each frame (10s)\n"
    "  -t, --session-timeout TIME a whole connection (1min)\n"
    "  -W, --console HOST:PORT the operator console over HTTPS, on its own\n"
    "                          address (off; e.g. " CGS_CONSOLE_DEFAULT ")\n"
    "  TIME: a number and a unit, " PROTO_DURATION_UNITS ", at most 1h.\n"
    PROTO_DAEMON_HELP
    "SIGTERM or SIGINT stop centerd (sessions under way finish); SIGHUP is\n"
    "ignored: centerd has no configuration file.\n";
/* clang-format on */

/* A cap on connections: 1 to CONNS_MAX, or a usage error naming it. */
static int
cap_arg(const char *flag, const char *s)
{
	return (int)proto_daemon_uint_arg("centerd", flag, "a whole number", s,
	    1, CONNS_MAX);
}

/* A time limit: 1 ms to an hour, or a usage error naming it. */
static int
time_arg(const char *flag, const char *s)
{
	return (int)proto_daemon_time_arg("centerd", flag,
	    "from 1ms to 1h (500ms, 10s, 1min)", s, 1, LIMIT_MS_MAX);
}

static void
parse_args(int argc, char **argv, struct centerd *d)
{
	static const struct option longs[] = {
		PROTO_DAEMON_LONGOPTS,
		{ "keys", required_argument, NULL, 'K' },
		{ "database", required_argument, NULL, 'D' },
		{ "db", required_argument, NULL, 'D' },
		{ "address", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "max-connections", required_argument, NULL, 'n' },
		{ "max-per-address", required_argument, NULL, 'N' },
		{ "frame-timeout", required_argument, NULL, 'F' },
		{ "session-timeout", required_argument, NULL, 't' },
		{ "console", required_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	proto_daemon_opts_init(&d->opts);
	d->db_path = getenv("CENTER_DB");
	while ((c = proto_daemon_getopt("centerd", help, argc, argv,
		    PROTO_DAEMON_OPTSTRING "K:D:a:p:n:N:F:t:W:", longs,
		    &d->opts)) != -1) {
		switch (c) {
		case 'K':
			d->keys_dir = optarg;
			break;
		case 'D':
			free(d->db_arg);
			if ((d->db_arg = strdup(cgs_db_unmasked(optarg))) ==
			    NULL) {
				proto_log_fatal("out of memory");
				exit(1);
			}
			d->db_path = d->db_arg;
			break;
		case 'a':
			d->conf.addr = optarg;
			break;
		case 'p':
			(void)proto_daemon_uint_arg("centerd", "-p", "a port",
			    optarg, 1, 65535);
			d->conf.port = optarg;
			break;
		case 'n':
			d->conf.max_sessions = cap_arg("-n", optarg);
			break;
		case 'N':
			d->conf.max_per_addr = cap_arg("-N", optarg);
			break;
		case 'F':
			d->conf.lim.idle_ms = time_arg("-F", optarg);
			break;
		case 't':
			d->conf.lim.session_ms = time_arg("-t", optarg);
			break;
		case 'W':
			d->console_addr = optarg;
			break;
		default:
			proto_daemon_usage_error("centerd",
			    "unknown option -%c", c);
		}
	}
	if (optind != argc)
		proto_daemon_usage_error("centerd",
		    "takes no arguments besides options: %s", argv[optind]);
	if (d->keys_dir == NULL)
		proto_daemon_usage_error("centerd",
		    "-K DIR, the operator key directory, is required");
}

/* DIR/name into buf, or an error naming what did not fit. */
static int
dir_path(char buf[PATH_CAP], const char *dir, const char *name)
{
	int n = snprintf(buf, PATH_CAP, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_CAP) {
		proto_log_fatal("%s/%s: path too long", dir, name);
		return PROTO_ERR_TOOBIG;
	}
	return 0;
}

/* The master secret and the center's signing key, from the key dir. */
static int
load_keys(struct centerd *d)
{
	struct proto_keydir kd;
	const char *file = NULL;
	int rc;

	if ((rc = proto_keydir_load(d->keys_dir,
		 PROTO_KEYDIR_MASTER | PROTO_KEYDIR_CENTER, 0, &kd, &file)) !=
	    0) {
		proto_log_fatal("%s/%s: %s", d->keys_dir,
		    file != NULL ? file : "",
		    rc == PROTO_ERR_LENGTH       ? "wrong size" :
			rc == PROTO_ERR_NOTFOUND ? "no such file (make the "
						   "keys with centerctl init)" :
						   proto_strerror(rc));
		return rc;
	}
	memcpy(d->keys.master, kd.master, PROTO_MASTER_LEN);
	memcpy(d->keys.center_priv, kd.center_priv, PROTO_EC_PRIV_LEN);
	memcpy(d->keys.center_pub, kd.center_pub, PROTO_EC_PUB_LEN);
	proto_keydir_wipe(&kd);
	return 0;
}

/* The operator console, if asked for, on the server's counters. */
static int
start_console(struct centerd *d)
{
	struct cgs_console_conf cc = { .listen = d->console_addr,
		.cert = d->cert,
		.key = d->key,
		.token_file = d->token,
		.db_path = d->db_path,
		.stats = cgs_server_stats(d->srv) };
	int rc;

	if (d->console_addr == NULL)
		return 0;
	if ((rc = dir_path(d->token, d->keys_dir, CGS_CONSOLE_TOKEN)) != 0)
		return rc;
	if ((rc = cgs_console_start(&cc, &d->console)) != 0)
		proto_log_fatal("cannot serve the console on %s: %s",
		    d->console_addr, proto_strerror(rc));
	return rc;
}

static int
count_card(void *arg, const struct cgs_count_row *r)
{
	*(uint64_t *)arg += r->n;
	return 0;
}

/* A database that knows no card serves no decoder: said at start (a
 * mistyped --db makes a new, empty one; centerctl register fills it). */
static void
warn_no_cards(struct cgs_db *db, const char *path)
{
	uint64_t n = 0;

	if (cgs_report_card_counts(db, count_card, &n) == 0 && n == 0)
		fprintf(stderr,
		    "centerd: warning: the database %s holds no card: every "
		    "block is rejected until centerctl register adds them\n",
		    path);
}

/* Everything the server needs before it listens; errors on stderr. */
static int
prepare(struct centerd *d)
{
	struct cgs_db *db = NULL;
	int rc;

	if (d->db_path == NULL) {
		if ((rc = dir_path(d->db_buf, d->keys_dir, "center.db")) != 0)
			return rc;
		d->db_path = d->db_buf;
	}
	cgs_db_name(d->db_path, d->db_name, sizeof(d->db_name));
	if ((rc = load_keys(d)) != 0 ||
	    (rc = dir_path(d->cert, d->keys_dir, "server.crt")) != 0 ||
	    (rc = dir_path(d->key, d->keys_dir, "server.key")) != 0)
		return rc;
	if ((rc = proto_tls_server_ctx(d->cert, d->key, &d->tls)) != 0) {
		proto_log_fatal("TLS certificate %s or key %s: %s", d->cert,
		    d->key, proto_strerror(rc));
		return rc;
	}
	/* Create the schema before serving; fail early on a bad path. */
	if ((rc = cgs_db_open(d->db_path, &db)) != 0) {
		proto_log_fatal("cannot open database %s: %s", d->db_name,
		    proto_strerror(rc));
		return rc;
	}
	warn_no_cards(db, d->db_name);
	cgs_db_close(&db);
	if ((rc = cgs_pool_new(d->db_path, &d->keys, &d->pool)) != 0) {
		proto_log_fatal("%s", proto_strerror(rc));
		return rc;
	}
	if ((rc = cgs_server_new(&d->conf, d->tls, d->pool, &d->srv)) != 0) {
		proto_log_fatal("cannot listen on %s:%s: %s", d->conf.addr,
		    d->conf.port,
		    proto_err_errno(rc) != 0 ? proto_strerror(rc) :
					       strerror(errno));
		return rc;
	}
	return start_console(d);
}

/* Free what no session uses any more; secrets wiped. */
static void
centerd_free(struct centerd *d)
{
	cgs_console_stop(&d->console);
	cgs_server_free(&d->srv);
	cgs_pool_free(&d->pool);
	SSL_CTX_free(d->tls);
	proto_cleanse(&d->keys, sizeof(d->keys));
	if (d->db_arg != NULL)
		proto_cleanse(d->db_arg, strlen(d->db_arg));
	free(d->db_arg);
	free(d);
}

int
main(int argc, char **argv)
{
	struct centerd *d;
	unsigned long sessions;
	char status[CGS_DB_NAME_MAX + 256];
	int left, rc, failed;

	/* before anything that may fail or wait */
	if (cgs_db_mask_argv(argc, argv) != 0) {
		proto_log_fatal("out of memory");
		return 1;
	}
	proto_log_init("centerd", 0, PROTO_LOG_NOTICE); /* for the arguments */
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		proto_log_fatal("out of memory");
		return 1;
	}
	d->conf.addr = "127.0.0.1";
	d->conf.port = DEFAULT_PORT;
	d->conf.max_sessions = MAX_SESSIONS_DEFAULT;
	d->conf.max_per_addr = MAX_PER_ADDR_DEFAULT;
	d->conf.lim.idle_ms = IDLE_MS_DEFAULT;
	d->conf.lim.session_ms = SESSION_MS_DEFAULT;
	parse_args(argc, argv, d);
	proto_log_init("centerd", d->opts.syslog, d->opts.level);
	if (d->opts.background && (rc = proto_daemon_detach()) != 0) {
		proto_log_fatal("cannot detach: %s", proto_strerror(rc));
		centerd_free(d);
		return 1;
	}
	proto_signals_init();
	if (prepare(d) != 0) {
		centerd_free(d);
		return 1;
	}
	snprintf(status, sizeof(status), "listening on %s:%s, database %s",
	    d->conf.addr, d->conf.port, d->db_name);
	proto_log(PROTO_LOG_NOTICE,
	    "%s; at most %d connections, %d from one address, %d ms per "
	    "frame, %d ms per connection",
	    status, d->conf.max_sessions, d->conf.max_per_addr,
	    d->conf.lim.idle_ms, d->conf.lim.session_ms);
	if (d->console != NULL)
		proto_log(PROTO_LOG_NOTICE, "operator console on https://%s/",
		    d->console_addr);
	proto_daemon_ready(status);
	left = cgs_server_run(d->srv);
	cgs_console_stop(&d->console);
	proto_daemon_stopping();
	sessions = cgs_server_sessions(d->srv);
	if ((failed = cgs_pool_failed(d->pool)) != 0)
		proto_log(PROTO_LOG_ERR,
		    "stopping: the database's WAL could not be synced; no "
		    "session is acknowledged any more, and the next start "
		    "recovers from what its file holds");
	if (left == 0)
		centerd_free(d);
	else /* their threads still use the keys: the exit takes them */
		proto_log(PROTO_LOG_WARNING,
		    "%s: %d sessions still running at exit", __func__, left);
	proto_log(PROTO_LOG_NOTICE, "stopped after %lu sessions", sessions);
	return failed != 0 ? 1 : 0;
}
