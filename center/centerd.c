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

#include "../proto/keydir.h"
#include "../proto/log.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "../proto/stop.h"
#include "../proto/tls.h"
#include "commands.h"
#include "db.h"
#include "pool.h"
#include "server.h"

#define DEFAULT_PORT "7443"
#define MAX_SESSIONS_DEFAULT 256 /* connections at once: threads, memory */
#define MAX_PER_ADDR_DEFAULT 8   /* of them from one address (-N) */
#define IDLE_MS_DEFAULT 10000    /* the handshake, and each frame (-i) */
#define SESSION_MS_DEFAULT 60000 /* a whole connection (-t) */
#define LIMIT_MS_MAX 3600000u    /* the largest time limit: an hour */
#define CONNS_MAX 65536u         /* the largest connection cap */
#define PATH_CAP 4096

/* What main owns; the sessions borrow keys and paths from it. */
struct centerd {
	struct cgs_server_conf conf;
	const char *keys_dir, *db_path;
	char db_buf[PATH_CAP], cert[PATH_CAP], key[PATH_CAP];
	int fg, level;
	struct cgs_keys keys;
	SSL_CTX *tls;
	struct cgs_pool *pool;
	struct cgs_server *srv;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: centerd [-f] -K keys-dir [-d db] [-a address] [-p port]\n"
	    "               [-n max-sessions] [-N max-per-address] "
	    "[-i idle-ms]\n"
	    "               [-t session-ms] [-l level]\n"
	    "  -K dir    operator keys (centerctl init): master.key, "
	    "center.key,\n"
	    "            server.crt, server.key\n"
	    "  -d db     the SQLite database (default DIR/center.db)\n"
	    "  -a, -p    listen address (127.0.0.1) and port (" DEFAULT_PORT
	    ")\n"
	    "  -n, -N    connections served at once (%d), from one address "
	    "(%d)\n"
	    "  -i        ms for the TLS handshake and for each frame (%d)\n"
	    "  -t        ms for a whole connection (%d)\n",
	    MAX_SESSIONS_DEFAULT, MAX_PER_ADDR_DEFAULT, IDLE_MS_DEFAULT,
	    SESSION_MS_DEFAULT);
	exit(2);
}

/* A limit given on the command line: 1 to max, or usage. */
static int
limit_arg(const char *s, unsigned max)
{
	unsigned v;

	if (proto_parse_uint(s, 1, max, &v) != 0)
		usage();
	return (int)v;
}

static void
parse_args(int argc, char **argv, struct centerd *d)
{
	int c;

	while ((c = getopt(argc, argv, "fhK:d:a:p:n:N:i:t:l:")) != -1) {
		switch (c) {
		case 'f':
			d->fg = 1;
			break;
		case 'K':
			d->keys_dir = optarg;
			break;
		case 'd':
			d->db_path = optarg;
			break;
		case 'a':
			d->conf.addr = optarg;
			break;
		case 'p':
			d->conf.port = optarg;
			break;
		case 'n':
			d->conf.max_sessions = limit_arg(optarg, CONNS_MAX);
			break;
		case 'N':
			d->conf.max_per_addr = limit_arg(optarg, CONNS_MAX);
			break;
		case 'i':
			d->conf.lim.idle_ms = limit_arg(optarg, LIMIT_MS_MAX);
			break;
		case 't':
			d->conf.lim.session_ms =
			    limit_arg(optarg, LIMIT_MS_MAX);
			break;
		case 'l':
			if (proto_log_level_parse(optarg, &d->level) != 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || d->keys_dir == NULL)
		usage();
}

/* DIR/name into buf, or an error naming what did not fit. */
static int
dir_path(char buf[PATH_CAP], const char *dir, const char *name)
{
	int n = snprintf(buf, PATH_CAP, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_CAP) {
		fprintf(stderr, "centerd: %s/%s: path too long\n", dir, name);
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
		fprintf(stderr, "centerd: %s/%s: %s\n", d->keys_dir,
		    file != NULL ? file : "",
		    rc == PROTO_ERR_LENGTH ? "wrong size" :
			rc == PROTO_ERR_IO ? strerror(errno) :
					     proto_strerror(rc));
		return rc;
	}
	memcpy(d->keys.master, kd.master, PROTO_MASTER_LEN);
	memcpy(d->keys.center_priv, kd.center_priv, PROTO_EC_PRIV_LEN);
	memcpy(d->keys.center_pub, kd.center_pub, PROTO_EC_PUB_LEN);
	proto_keydir_wipe(&kd);
	return 0;
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
	if ((rc = load_keys(d)) != 0 ||
	    (rc = dir_path(d->cert, d->keys_dir, "server.crt")) != 0 ||
	    (rc = dir_path(d->key, d->keys_dir, "server.key")) != 0)
		return rc;
	if ((rc = proto_tls_server_ctx(d->cert, d->key, &d->tls)) != 0) {
		fprintf(stderr, "centerd: TLS certificate %s or key %s: %s\n",
		    d->cert, d->key, proto_strerror(rc));
		return rc;
	}
	/* Create the schema before serving; fail early on a bad path. */
	if ((rc = cgs_db_open(d->db_path, &db)) != 0) {
		fprintf(stderr, "centerd: cannot open database %s\n",
		    d->db_path);
		return rc;
	}
	cgs_db_close(&db);
	if ((rc = cgs_pool_new(d->db_path, &d->keys, &d->pool)) != 0) {
		fprintf(stderr, "centerd: %s\n", proto_strerror(rc));
		return rc;
	}
	if ((rc = cgs_server_new(&d->conf, d->tls, d->pool, &d->srv)) != 0) {
		fprintf(stderr, "centerd: cannot listen on %s:%s: %s\n",
		    d->conf.addr, d->conf.port, strerror(errno));
		return rc;
	}
	return 0;
}

/* Free what no session uses any more; secrets wiped. */
static void
centerd_free(struct centerd *d)
{
	cgs_server_free(&d->srv);
	cgs_pool_free(&d->pool);
	SSL_CTX_free(d->tls);
	proto_cleanse(&d->keys, sizeof(d->keys));
	free(d);
}

int
main(int argc, char **argv)
{
	struct centerd *d;
	unsigned long sessions;
	int left;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		fprintf(stderr, "centerd: out of memory\n");
		return 1;
	}
	d->conf.addr = "127.0.0.1";
	d->conf.port = DEFAULT_PORT;
	d->conf.max_sessions = MAX_SESSIONS_DEFAULT;
	d->conf.max_per_addr = MAX_PER_ADDR_DEFAULT;
	d->conf.lim.idle_ms = IDLE_MS_DEFAULT;
	d->conf.lim.session_ms = SESSION_MS_DEFAULT;
	d->level = PROTO_LOG_NOTICE;
	parse_args(argc, argv, d);
	proto_log_init("centerd", !d->fg, d->level);
	proto_signals_init();
	if (prepare(d) != 0) {
		centerd_free(d);
		return 1;
	}
	proto_log(PROTO_LOG_NOTICE,
	    "listening on %s:%s, database %s; at most %d connections, %d "
	    "from one address, %d ms per frame, %d ms per connection",
	    d->conf.addr, d->conf.port, d->db_path, d->conf.max_sessions,
	    d->conf.max_per_addr, d->conf.lim.idle_ms, d->conf.lim.session_ms);
	left = cgs_server_run(d->srv);
	sessions = cgs_server_sessions(d->srv);
	if (left == 0)
		centerd_free(d);
	else /* their threads still use the keys: the exit takes them */
		proto_log(PROTO_LOG_WARNING,
		    "%s: %d sessions still running at exit", __func__, left);
	proto_log(PROTO_LOG_NOTICE, "stopped after %lu sessions", sessions);
	return 0;
}
