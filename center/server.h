/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The center's listener: accepts TCP connections and serves each on a
 * thread of its own (conn.h), at most max_sessions at once, so that a
 * slow or hostile client holds one thread and nothing else.
 */
#ifndef CENTER_SERVER_H
#define CENTER_SERVER_H

#include <openssl/ssl.h>

#include "conn.h"
#include "pool.h"

struct cgs_server_conf {
	const char *addr, *port; /* where to listen */
	int max_sessions;        /* connections served at once */
	struct cgs_conn_limits lim;
};

struct cgs_server;

/*
 * Listen on conf's address.  tls and pool are borrowed: they must outlive
 * the server and every session it started.  PROTO_ERR_NOTFOUND if the
 * address does not resolve, PROTO_ERR_IO (errno) if it cannot be bound.
 */
int cgs_server_new(const struct cgs_server_conf *conf, SSL_CTX *tls,
    struct cgs_pool *pool, struct cgs_server **out);

/*
 * Serve until proto_stop_requested(); then close the listener and let the
 * sessions under way finish (each is bounded by the session time), waiting
 * at most that long.  Returns the number of sessions still running.
 */
int cgs_server_run(struct cgs_server *srv);

/* Connections accepted and served so far. */
unsigned long cgs_server_sessions(struct cgs_server *srv);

/* Only once no session runs (cgs_server_run returned 0); NULL is fine. */
void cgs_server_free(struct cgs_server **srv);

#endif
