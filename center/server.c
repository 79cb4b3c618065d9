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
#include "server.h"

struct cgs_server {
	struct cgs_server_conf conf;
	SSL_CTX *tls;
	struct cgs_pool *pool;
	int lfd;
	atomic_int active;
	atomic_ulong sessions;
};

struct worker {
	struct cgs_server *srv;
	int fd;
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

int
cgs_server_new(const struct cgs_server_conf *conf, SSL_CTX *tls,
    struct cgs_pool *pool, struct cgs_server **out)
{
	struct cgs_server *srv;
	int rc;

	if (conf == NULL || tls == NULL || pool == NULL || out == NULL)
		return PROTO_ERR_ARG;
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = listen_on(conf->addr, conf->port, &srv->lfd)) != 0) {
		free(srv);
		return rc;
	}
	srv->conf = *conf;
	srv->tls = tls;
	srv->pool = pool;
	atomic_init(&srv->active, 0);
	atomic_init(&srv->sessions, 0);
	*out = srv;
	return 0;
}

static void *
worker_run(void *arg)
{
	struct worker *wk = arg;
	struct cgs_server *srv = wk->srv;

	cgs_conn_serve(wk->fd, srv->tls, srv->pool, &srv->conf.lim);
	free(wk);
	atomic_fetch_sub(&srv->active, 1);
	ERR_clear_error();
	return NULL;
}

static void
accept_one(struct cgs_server *srv)
{
	struct worker *wk;
	pthread_attr_t at;
	pthread_t t;
	int fd;

	if ((fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	if (atomic_load(&srv->active) >= srv->conf.max_sessions ||
	    (wk = malloc(sizeof(*wk))) == NULL) {
		proto_log(PROTO_LOG_WARNING,
		    "%s: too many sessions: connection refused", __func__);
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
		proto_log(PROTO_LOG_ERR, "%s: no thread for the connection",
		    __func__);
		atomic_fetch_sub(&srv->active, 1);
		close(fd);
		free(wk);
	}
	pthread_attr_destroy(&at);
}

int
cgs_server_run(struct cgs_server *srv)
{
	struct pollfd pfd = { .fd = srv->lfd, .events = POLLIN };

	while (!proto_stop_requested()) {
		if (poll(&pfd, 1, -1) > 0 && (pfd.revents & POLLIN))
			accept_one(srv);
	}
	close(srv->lfd);
	srv->lfd = -1;
	for (int i = 0;
	     i < srv->conf.lim.session_ms / 50 && atomic_load(&srv->active) > 0;
	     i++)
		nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
	return atomic_load(&srv->active);
}

unsigned long
cgs_server_sessions(struct cgs_server *srv)
{
	return atomic_load(&srv->sessions);
}

void
cgs_server_free(struct cgs_server **srvp)
{
	if (srvp == NULL || *srvp == NULL)
		return;
	if ((*srvp)->lfd >= 0)
		close((*srvp)->lfd);
	free(*srvp);
	*srvp = NULL;
}
