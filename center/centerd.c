/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * centerd: the management center.  A TLS 1.3 server; each uplink session
 * runs on a worker thread with its own database connection, under limits
 * (message size, blocks per session, idle time, session time, sessions at
 * once) so that a slow or hostile client cannot hold the center.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "../proto/file.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "../proto/stop.h"
#include "../proto/tls.h"
#include "../proto/uplink.h"
#include "db.h"
#include "ingest.h"

#define DEFAULT_PORT "7443"
#define MAX_SESSIONS_DEFAULT 32

/*
 * A worker's database connection with its prepared statements and parsed
 * card keys, kept between sessions so that repeated cards cost no key
 * parsing and statements no preparing.
 */
struct slot {
	struct cgs_db *db;
	struct cgs_ctx *ctx;
	struct slot *next;
};

struct server {
	const char *addr, *port, *db_path, *keys_dir;
	char cert[4096], key[4096];
	int idle_ms, session_ms, max_sessions;
	SSL_CTX *tls;
	struct cgs_keys keys;
	atomic_int active;
	atomic_ulong sessions;
	pthread_mutex_t pool_lock;
	struct slot *pool;
};

static struct slot *
slot_take(struct server *srv)
{
	struct slot *sl;

	pthread_mutex_lock(&srv->pool_lock);
	if ((sl = srv->pool) != NULL)
		srv->pool = sl->next;
	pthread_mutex_unlock(&srv->pool_lock);
	if (sl != NULL)
		return sl;
	if ((sl = calloc(1, sizeof(*sl))) == NULL)
		return NULL;
	if (cgs_db_open(srv->db_path, &sl->db) != 0 ||
	    cgs_ctx_new(sl->db, &srv->keys, &sl->ctx) != 0) {
		cgs_db_close(&sl->db);
		free(sl);
		return NULL;
	}
	return sl;
}

static void
slot_give(struct server *srv, struct slot *sl)
{
	pthread_mutex_lock(&srv->pool_lock);
	sl->next = srv->pool;
	srv->pool = sl;
	pthread_mutex_unlock(&srv->pool_lock);
}

static void
pool_free(struct server *srv)
{
	struct slot *sl;

	while ((sl = srv->pool) != NULL) {
		srv->pool = sl->next;
		cgs_ctx_free(&sl->ctx);
		cgs_db_close(&sl->db);
		free(sl);
	}
}

struct worker {
	struct server *srv;
	int fd;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: centerd [-f] -K keys-dir [-d db] [-a address] [-p port]\n"
	    "               [-n max-sessions] [-i idle-ms] [-t session-ms] "
	    "[-l level]\n"
	    "  -K dir    operator keys (centerctl init): master.key, "
	    "center.key,\n"
	    "            server.crt, server.key\n"
	    "  -d db     the SQLite database (default DIR/center.db)\n"
	    "  -a, -p    listen address (127.0.0.1) and port (" DEFAULT_PORT
	    ")\n");
	exit(2);
}

static int
send_frame(SSL *ssl, uint8_t type, const void *body, size_t len)
{
	uint8_t buf[PROTO_UPLINK_HDR_LEN + PROTO_UPLINK_MAX_BODY];
	struct proto_wr w;

	proto_wr_init(&w, buf, sizeof(buf));
	if (proto_up_frame(&w, type, len) != 0 ||
	    proto_wr_bytes(&w, body, len) != 0)
		return PROTO_ERR_TOOBIG;
	return proto_tls_write_all(ssl, buf, proto_wr_len(&w));
}

static void
send_error(SSL *ssl, uint8_t reason)
{
	uint8_t body[64];
	const char *t = proto_up_reason(reason);
	size_t n = strlen(t);

	body[0] = reason;
	memcpy(body + 1, t, n < sizeof(body) - 1 ? n : sizeof(body) - 1);
	(void)send_frame(ssl, PROTO_UP_ERROR, body, 1 + (n < 63 ? n : 63));
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read HELLO, blocks and END into s; bodies are kept in store. */
static int
read_session(struct server *srv, SSL *ssl, struct cgs_session *s,
    uint8_t (*store)[PROTO_UPLINK_MAX_BODY], long deadline)
{
	uint8_t body[PROTO_UPLINK_MAX_BODY], type;
	struct proto_up_recovered rec;
	size_t len;
	int rc;

	(void)srv;
	if ((rc = proto_tls_read_frame(ssl, &type, body, sizeof(body), &len)) !=
	    0)
		return rc;
	if (type != PROTO_UP_HELLO ||
	    proto_up_hello_decode(body, len, &s->hello) != 0)
		return PROTO_ERR_FORMAT;
	for (;;) {
		if (now_ms() > deadline)
			return PROTO_ERR_IO;
		if ((rc = proto_tls_read_frame(ssl, &type, store[s->n],
			 PROTO_UPLINK_MAX_BODY, &len)) != 0)
			return rc;
		if (type == PROTO_UP_END && len == 0)
			return 0;
		if (s->n == PROTO_UPLINK_MAX_BLOCKS)
			return PROTO_ERR_TOOBIG;
		if (type == PROTO_UP_BLOCK) {
			s->in[s->n] =
			    (struct cgs_in_block){ .origin = CGS_ORIGIN_PRESENT,
				    .block = store[s->n],
				    .len = len };
		} else if (type == PROTO_UP_RECOVERED &&
		    proto_up_recovered_decode(store[s->n], len, &rec) == 0) {
			s->in[s->n] =
			    (struct cgs_in_block){ .origin =
						       CGS_ORIGIN_RECOVERED,
				    .block = rec.block,
				    .len = rec.len,
				    .stored_at = rec.stored_at };
			memcpy(s->in[s->n].decoder_id, rec.decoder_id,
			    PROTO_DECODER_ID_LEN);
		} else {
			return PROTO_ERR_FORMAT;
		}
		s->n++;
	}
}

static int
answer(SSL *ssl, const struct cgs_session *s)
{
	uint8_t buf[64];
	struct proto_wr w;
	int rc;

	for (size_t i = 0; i < s->ans.n_res; i++) {
		proto_wr_init(&w, buf, sizeof(buf));
		if ((rc = proto_up_result_encode(&s->ans.res[i], &w)) != 0 ||
		    (rc = proto_tls_write_all(ssl, buf, proto_wr_len(&w))) != 0)
			return rc;
	}
	for (size_t i = 0; i < s->ans.n_cmds; i++)
		if ((rc = send_frame(ssl, PROTO_UP_COMMAND, s->ans.cmds[i],
			 s->ans.cmd_len[i])) != 0)
			return rc;
	for (size_t i = 0; i < s->ans.n_acks; i++) {
		proto_wr_init(&w, buf, sizeof(buf));
		if ((rc = proto_up_ack_encode(s->ans.ack_ua[i],
			 s->ans.ack_seq[i], &w)) != 0 ||
		    (rc = proto_tls_write_all(ssl, buf, proto_wr_len(&w))) != 0)
			return rc;
	}
	proto_wr_init(&w, buf, sizeof(buf));
	if ((rc = proto_up_frame(&w, PROTO_UP_DONE, 8)) != 0 ||
	    (rc = proto_wr_u32(&w, s->ans.invoiced)) != 0 ||
	    (rc = proto_wr_u32(&w, s->ans.flagged)) != 0)
		return rc;
	return proto_tls_write_all(ssl, buf, proto_wr_len(&w));
}

static void
serve_session(struct server *srv, SSL *ssl, const char *peer)
{
	static __thread uint8_t store[PROTO_UPLINK_MAX_BLOCKS]
				     [PROTO_UPLINK_MAX_BODY];
	struct cgs_session *s = NULL;
	struct slot *sl = NULL;
	long deadline = now_ms() + srv->session_ms;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return;
	if ((rc = read_session(srv, ssl, s, store, deadline)) != 0) {
		proto_log(PROTO_LOG_WARNING, "session from %s dropped: %s",
		    peer, proto_strerror(rc));
		send_error(ssl, PROTO_UP_PROTOCOL);
		goto out;
	}
	if ((sl = slot_take(srv)) == NULL ||
	    (rc = cgs_ingest(sl->ctx, s)) != 0) {
		proto_log(PROTO_LOG_ERR, "session from %s: not recorded", peer);
		send_error(ssl, PROTO_UP_INTERNAL);
		goto out;
	}
	/* Committed: a crash from here on loses only the answer. */
	proto_failpoint("center:committed");
	proto_log(PROTO_LOG_NOTICE,
	    "session from %s: %zu blocks, %u "
	    "purchases invoiced, %u flagged, %zu commands",
	    peer, s->n, s->ans.invoiced, s->ans.flagged, s->ans.n_cmds);
	if (answer(ssl, s) != 0)
		proto_log(PROTO_LOG_WARNING,
		    "session from %s: the answer did "
		    "not get through",
		    peer);
out:
	if (sl != NULL)
		slot_give(srv, sl);
	free(s);
}

/*
 * Half-close and drain what the client still sends, briefly, so that our
 * last frame (an ERROR, say) is not destroyed by a reset.
 */
static void
linger_close(int fd)
{
	char sink[4096];

	(void)shutdown(fd, SHUT_WR);
	(void)proto_tls_timeouts(fd, 200);
	for (int i = 0; i < 64 && read(fd, sink, sizeof(sink)) > 0; i++)
		;
}

static void *
worker_run(void *arg)
{
	struct worker *wk = arg;
	struct server *srv = wk->srv;
	SSL *ssl = NULL;
	char peer[64];
	struct sockaddr_storage sa;
	socklen_t slen = sizeof(sa);

	if (getpeername(wk->fd, (struct sockaddr *)&sa, &slen) != 0 ||
	    getnameinfo((struct sockaddr *)&sa, slen, peer, sizeof(peer), NULL,
		0, NI_NUMERICHOST) != 0)
		snprintf(peer, sizeof(peer), "?");
	if (proto_tls_timeouts(wk->fd, srv->idle_ms) == 0 &&
	    (ssl = SSL_new(srv->tls)) != NULL && SSL_set_fd(ssl, wk->fd) == 1 &&
	    SSL_accept(ssl) == 1) {
		serve_session(srv, ssl, peer);
		SSL_shutdown(ssl);
		linger_close(wk->fd);
	} else {
		proto_log(PROTO_LOG_INFO, "TLS handshake with %s failed", peer);
	}
	ERR_clear_error();
	SSL_free(ssl);
	close(wk->fd);
	free(wk);
	atomic_fetch_sub(&srv->active, 1);
	ERR_clear_error();
	return NULL;
}

static int
listen_on(const char *addr, const char *port, int *out)
{
	struct addrinfo hints, *res = NULL;
	int fd = -1, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (getaddrinfo(addr, port, &hints, &res) != 0)
		return PROTO_ERR_NOTFOUND;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 64) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return PROTO_ERR_IO;
	*out = fd;
	return 0;
}

static int
load_keys(struct server *srv)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/master.key", srv->keys_dir);
	if ((rc = proto_file_read(path, 64, &buf, &len)) != 0 ||
	    len != PROTO_MASTER_LEN)
		goto bad;
	memcpy(srv->keys.master, buf, PROTO_MASTER_LEN);
	proto_cleanse(buf, len);
	free(buf);
	buf = NULL;
	snprintf(path, sizeof(path), "%s/center.key", srv->keys_dir);
	if ((rc = proto_file_read(path, 128, &buf, &len)) != 0 ||
	    len != PROTO_EC_PRIV_LEN + PROTO_EC_PUB_LEN)
		goto bad;
	memcpy(srv->keys.center_priv, buf, PROTO_EC_PRIV_LEN);
	memcpy(srv->keys.center_pub, buf + PROTO_EC_PRIV_LEN, PROTO_EC_PUB_LEN);
	proto_cleanse(buf, len);
	free(buf);
	return 0;
bad:
	fprintf(stderr, "centerd: %s: %s\n", path,
	    rc != 0 ? proto_strerror(rc) : "wrong size");
	if (buf != NULL) {
		proto_cleanse(buf, len);
		free(buf);
	}
	return 1;
}

static int
parse_ms(const char *s, int *v)
{
	char *end;
	long x = strtol(s, &end, 10);

	if (*s < '0' || *s > '9' || *end != '\0' || x <= 0 || x > 3600000)
		return -1;
	*v = (int)x;
	return 0;
}

static void
parse_args(int argc, char **argv, struct server *srv, int *fg, char *dbbuf,
    size_t dbcap)
{
	int c, level = PROTO_LOG_NOTICE;

	while ((c = getopt(argc, argv, "fhK:d:a:p:n:i:t:l:")) != -1) {
		switch (c) {
		case 'f':
			*fg = 1;
			break;
		case 'K':
			srv->keys_dir = optarg;
			break;
		case 'd':
			srv->db_path = optarg;
			break;
		case 'a':
			srv->addr = optarg;
			break;
		case 'p':
			srv->port = optarg;
			break;
		case 'n':
			if (parse_ms(optarg, &srv->max_sessions) != 0)
				usage();
			break;
		case 'i':
			if (parse_ms(optarg, &srv->idle_ms) != 0)
				usage();
			break;
		case 't':
			if (parse_ms(optarg, &srv->session_ms) != 0)
				usage();
			break;
		case 'l':
			if (proto_log_level_parse(optarg, &level) != 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || srv->keys_dir == NULL)
		usage();
	if (srv->db_path == NULL) {
		snprintf(dbbuf, dbcap, "%s/center.db", srv->keys_dir);
		srv->db_path = dbbuf;
	}
	proto_log_init("centerd", !*fg, level);
}

static void
accept_one(struct server *srv, int lfd)
{
	struct worker *wk;
	pthread_attr_t at;
	pthread_t t;
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	if (atomic_load(&srv->active) >= srv->max_sessions ||
	    (wk = malloc(sizeof(*wk))) == NULL) {
		proto_log(PROTO_LOG_WARNING,
		    "too many sessions: connection "
		    "refused");
		close(fd);
		return;
	}
	wk->srv = srv;
	wk->fd = fd;
	atomic_fetch_add(&srv->active, 1);
	atomic_fetch_add(&srv->sessions, 1);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, worker_run, wk) != 0) {
		atomic_fetch_sub(&srv->active, 1);
		close(fd);
		free(wk);
	}
	pthread_attr_destroy(&at);
}

int
main(int argc, char **argv)
{
	static struct server srv;
	char dbbuf[4096];
	struct cgs_db *db = NULL;
	struct pollfd pfd;
	int fg = 0, lfd, rc;

	srv.addr = "127.0.0.1";
	srv.port = DEFAULT_PORT;
	srv.idle_ms = 10000;
	srv.session_ms = 60000;
	srv.max_sessions = MAX_SESSIONS_DEFAULT;
	pthread_mutex_init(&srv.pool_lock, NULL);
	parse_args(argc, argv, &srv, &fg, dbbuf, sizeof(dbbuf));
	proto_signals_init();
	if (load_keys(&srv) != 0)
		return 1;
	snprintf(srv.cert, sizeof(srv.cert), "%s/server.crt", srv.keys_dir);
	snprintf(srv.key, sizeof(srv.key), "%s/server.key", srv.keys_dir);
	if ((rc = proto_tls_server_ctx(srv.cert, srv.key, &srv.tls)) != 0) {
		fprintf(stderr, "centerd: TLS certificate %s or key %s: %s\n",
		    srv.cert, srv.key, proto_strerror(rc));
		return 1;
	}
	/* Create the schema before serving; fail early on a bad path. */
	if (cgs_db_open(srv.db_path, &db) != 0) {
		fprintf(stderr, "centerd: cannot open database %s\n",
		    srv.db_path);
		return 1;
	}
	cgs_db_close(&db);
	if ((rc = listen_on(srv.addr, srv.port, &lfd)) != 0) {
		fprintf(stderr, "centerd: cannot listen on %s:%s: %s\n",
		    srv.addr, srv.port, strerror(errno));
		return 1;
	}
	proto_log(PROTO_LOG_NOTICE, "listening on %s:%s, database %s", srv.addr,
	    srv.port, srv.db_path);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	while (!proto_stop_requested()) {
		if (poll(&pfd, 1, -1) > 0 && (pfd.revents & POLLIN))
			accept_one(&srv, lfd);
	}
	close(lfd);
	/* Let the sessions under way finish (they are bounded in time). */
	for (int i = 0; i < srv.session_ms / 50 && atomic_load(&srv.active) > 0;
	     i++)
		nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
	if (atomic_load(&srv.active) == 0)
		pool_free(&srv);
	SSL_CTX_free(srv.tls);
	proto_cleanse(&srv.keys, sizeof(srv.keys));
	proto_log(PROTO_LOG_NOTICE, "stopped after %lu sessions",
	    atomic_load(&srv.sessions));
	return 0;
}
