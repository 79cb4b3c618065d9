/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The center's listener: accepts TCP connections and serves each on a
 * thread of its own (conn.h), at most max_sessions at once and at most
 * max_per_addr of them from one source address (an IPv4 address, or an
 * IPv6 /64: what one subscriber is given), so that a slow or hostile
 * client holds one thread and a host a few.  A client over either cap is
 * refused on a thread of the refusals (at most CGS_REFUSALS_MAX at once,
 * CGS_REFUSALS_PER_ADDR to one address, each bounded by CGS_REFUSAL_MS):
 * a TLS handshake and an ERROR frame "busy"; when those are taken too, it
 * is closed unanswered.  The
 * counters (stats.h) are summed up in the log once per interval, and
 * once more at the end.
 */
#ifndef CENTER_SERVER_H
#define CENTER_SERVER_H

#include <openssl/ssl.h>

#include "conn.h"
#include "pool.h"

#define CGS_REFUSALS_MAX 16     /* refusals answered at once */
#define CGS_REFUSALS_PER_ADDR 2 /* of them, to one address */
#define CGS_REFUSAL_MS 1000     /* a refusal's handshake, ERROR, goodbye */

struct cgs_server_conf {
	const char *addr, *port; /* where to listen */
	int max_sessions;        /* connections served at once */
	int max_per_addr;        /* of them, from one source address */
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
 * connections under way finish (each is bounded by its deadline), waiting
 * at most that long, and log the counters' totals.  Returns the number of
 * connections still running.
 */
int cgs_server_run(struct cgs_server *srv);

/* Connections accepted and served so far. */
unsigned long cgs_server_sessions(struct cgs_server *srv);
/* The counters, live (for metrics); valid as long as srv. */
const struct cgs_stats *cgs_server_stats(const struct cgs_server *srv);

/* Only once no session runs (cgs_server_run returned 0); NULL is fine. */
void cgs_server_free(struct cgs_server **srv);

#endif
