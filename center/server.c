/* SPDX-License-Identifier: BSD-2-Clause */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "../proto/stop.h"
#include "addrs.h"
#include "io.h"
#include "server.h"

#define LISTEN_BACKLOG 256
#define TICK_MS 1000         /* the listener wakes this often for the summary */
#define FINISH_EXTRA_MS 1000 /* at the end: beyond the connections' limits */
#define PEER_LEN 64

struct cgs_server {
	struct cgs_server_conf conf;
	struct cgs_conn_env env;
	struct cgs_stats stats;
	int lfd;
	struct cgs_addrs *served;   /* connections being served */
	struct cgs_addrs *refusals; /* refusals being answered */
	atomic_ulong sessions;
};

struct worker {
	struct cgs_server *srv;
	int fd;
	long accepted;
	struct cgs_addr_key key;
	const char *why; /* a refusal's: what the client is told */
	char peer[PEER_LEN];
};

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
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, LISTEN_BACKLOG) == 0)
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

int
cgs_server_new(const struct cgs_server_conf *conf, SSL_CTX *tls,
    struct cgs_pool *pool, struct cgs_server **out)
{
	struct cgs_server *srv;
	int rc, lfd = -1;

	if (conf == NULL || tls == NULL || pool == NULL || out == NULL)
		return PROTO_ERR_ARG;
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = cgs_addrs_new(conf->max_sessions, conf->max_per_addr,
		 &srv->served)) != 0 ||
	    (rc = cgs_addrs_new(CGS_REFUSALS_MAX, CGS_REFUSALS_PER_ADDR,
		 &srv->refusals)) != 0 ||
	    (rc = listen_on(conf->addr, conf->port, &lfd)) != 0) {
		cgs_addrs_free(&srv->served);
		cgs_addrs_free(&srv->refusals);
		free(srv);
		return rc;
	}
	srv->lfd = lfd;
	srv->conf = *conf;
	srv->env = (struct cgs_conn_env){ .tls = tls,
		.pool = pool,
		.lim = conf->lim,
		.stats = &srv->stats };
	cgs_stats_init(&srv->stats);
	atomic_init(&srv->sessions, 0);
	*out = srv;
	return 0;
}

static void *
serve_run(void *arg)
{
	struct worker *wk = arg;
	struct cgs_server *srv = wk->srv;

	cgs_conn_serve(wk->fd, wk->peer, wk->accepted, &srv->env);
	cgs_addrs_put(srv->served, &wk->key);
	free(wk);
	ERR_clear_error();
	return NULL;
}

static void *
refuse_run(void *arg)
{
	struct worker *wk = arg;
	struct cgs_server *srv = wk->srv;
	int ms = srv->conf.lim.idle_ms < CGS_REFUSAL_MS ?
	    srv->conf.lim.idle_ms :
	    CGS_REFUSAL_MS;

	cgs_conn_refuse(wk->fd, wk->why, wk->accepted + ms, &srv->env);
	cgs_addrs_put(srv->refusals, &wk->key);
	free(wk);
	ERR_clear_error();
	return NULL;
}

/* Run fn(wk) on a thread of its own; 0, or -1 (nothing started). */
static int
spawn(void *(*fn)(void *), struct worker *wk)
{
	pthread_attr_t at;
	pthread_t t;
	int r;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &at, fn, wk);
	pthread_attr_destroy(&at);
	if (r != 0)
		proto_log(PROTO_LOG_ERR, "%s: no thread for %s", __func__,
		    wk->peer);
	return r == 0 ? 0 : -1;
}

/* The first refusal of an interval, in full: which limit, how many. */
static void
log_refusal(struct cgs_server *srv, enum cgs_event e, const char *peer)
{
	if (e == CGS_EV_REFUSED_SILENT)
		proto_log(PROTO_LOG_WARNING,
		    "%s: refusals under way: %d in all or %d from one address: "
		    "%s closed unanswered; the next ones go to the summary",
		    __func__, CGS_REFUSALS_MAX, CGS_REFUSALS_PER_ADDR, peer);
	else if (e == CGS_EV_REFUSED_FULL)
		proto_log(PROTO_LOG_WARNING,
		    "%s: center full (%d connections at once): %s refused "
		    "busy; the next ones go to the summary",
		    __func__, srv->conf.max_sessions, peer);
	else
		proto_log(PROTO_LOG_WARNING,
		    "%s: %s has %d connections, the per-address cap: refused "
		    "busy; the next ones go to the summary",
		    __func__, peer, srv->conf.max_per_addr);
}

/*
 * Answer "busy" on a refusal thread; close at once when the refusals
 * under way are at their cap (in all, or from this address).
 */
static void
refuse(struct cgs_server *srv, struct worker *wk, enum cgs_event e)
{
	int answered =
	    cgs_addrs_take(srv->refusals, &wk->key) == CGS_ADDRS_TAKEN;

	if (!answered)
		e = CGS_EV_REFUSED_SILENT;
	if (cgs_stats_note(&srv->stats, e))
		log_refusal(srv, e, wk->peer);
	wk->why = e == CGS_EV_REFUSED_ADDR ?
	    "center busy: too many connections from your address" :
	    "center busy: full";
	if (answered && spawn(refuse_run, wk) == 0)
		return;
	if (answered)
		cgs_addrs_put(srv->refusals, &wk->key);
	close(wk->fd);
	free(wk);
}

static void
accept_one(struct cgs_server *srv)
{
	struct sockaddr_storage sa;
	socklen_t slen = sizeof(sa);
	struct worker *wk;
	enum cgs_addrs_take r;
	int fd;

	if ((fd = accept4(srv->lfd, (struct sockaddr *)&sa, &slen,
		 SOCK_CLOEXEC | SOCK_NONBLOCK)) < 0)
		return;
	if ((wk = calloc(1, sizeof(*wk))) == NULL) {
		proto_log(PROTO_LOG_ERR, "%s: out of memory", __func__);
		close(fd);
		return;
	}
	wk->srv = srv;
	wk->fd = fd;
	wk->accepted = cgs_now_ms();
	cgs_addr_key(&sa, &wk->key);
	if (getnameinfo((struct sockaddr *)&sa, slen, wk->peer, PEER_LEN, NULL,
		0, NI_NUMERICHOST) != 0)
		strcpy(wk->peer, "?");
	if ((r = cgs_addrs_take(srv->served, &wk->key)) != CGS_ADDRS_TAKEN) {
		refuse(srv, wk,
		    r == CGS_ADDRS_FULL ? CGS_EV_REFUSED_FULL :
					  CGS_EV_REFUSED_ADDR);
		return;
	}
	atomic_fetch_add(&srv->sessions, 1);
	if (spawn(serve_run, wk) != 0) {
		cgs_addrs_put(srv->served, &wk->key);
		close(fd);
		free(wk);
	}
}

static int
running(struct cgs_server *srv)
{
	return cgs_addrs_total(srv->served) + cgs_addrs_total(srv->refusals);
}

int
cgs_server_run(struct cgs_server *srv)
{
	struct pollfd pfd = { .fd = srv->lfd, .events = POLLIN };
	const struct cgs_conn_limits *lim = &srv->conf.lim;
	long until;

	/* a failed sync of the WAL (group.h) stops it as a signal does */
	while (!proto_stop_requested() && cgs_pool_failed(srv->env.pool) == 0) {
		if (poll(&pfd, 1, TICK_MS) > 0 && (pfd.revents & POLLIN))
			accept_one(srv);
		cgs_stats_report(&srv->stats, 0);
	}
	close(srv->lfd);
	srv->lfd = -1;
	until = cgs_now_ms() + lim->session_ms + lim->idle_ms + FINISH_EXTRA_MS;
	while (running(srv) > 0 && cgs_now_ms() < until)
		nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
	cgs_stats_report(&srv->stats, 1);
	return running(srv);
}

unsigned long
cgs_server_sessions(struct cgs_server *srv)
{
	return atomic_load(&srv->sessions);
}

const struct cgs_stats *
cgs_server_stats(const struct cgs_server *srv)
{
	return &srv->stats;
}

void
cgs_server_free(struct cgs_server **srvp)
{
	if (srvp == NULL || *srvp == NULL)
		return;
	if ((*srvp)->lfd >= 0)
		close((*srvp)->lfd);
	cgs_addrs_free(&(*srvp)->served);
	cgs_addrs_free(&(*srvp)->refusals);
	free(*srvp);
	*srvp = NULL;
}
