/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One client connection of the center: the TLS handshake, the session's
 * frames in (HELLO, BLOCK and RECOVERED frames, END), the ingest on a
 * pooled database slot, and the answer (RESULTs, COMMANDs, ACKs, DONE)
 * sent only after the ingest committed; an ERROR frame when the session
 * cannot be read or recorded.  Or, for a client the server will not
 * serve, the refusal: a bounded handshake and an ERROR frame "busy".
 *
 * Time: a connection has one absolute deadline, its accept plus the
 * session time; the handshake and every frame must moreover each be
 * complete within the idle time from when the center starts waiting for
 * it.  Neither moves when bytes arrive, so a client trickling a byte at
 * a time is cut like a silent one.  The answer, after the commit, has the
 * idle time of its own: the session is recorded by then.
 */
#ifndef CENTER_CONN_H
#define CENTER_CONN_H

#include <openssl/ssl.h>

#include "pool.h"
#include "stats.h"

struct cgs_conn_limits {
	int idle_ms;    /* the handshake, and each frame, complete within */
	int session_ms; /* the whole connection, from its accept */
};

/* What every connection borrows from the server, which outlives them. */
struct cgs_conn_env {
	SSL_CTX *tls;
	struct cgs_pool *pool;
	struct cgs_conn_limits lim;
	struct cgs_stats *stats;
};

/*
 * Serve the client on socket fd (non-blocking; owned: closed before this
 * returns), accepted at accepted_ms (cgs_now_ms).  peer names the client
 * in the log.  Failures are logged (at most one line of each kind per
 * interval at WARNING, the rest at INFO) and counted, never returned: the
 * client learns them from the ERROR frame or the closed connection.
 */
void cgs_conn_serve(int fd, const char *peer, long accepted_ms,
    const struct cgs_conn_env *env);

/*
 * Refuse the client on fd (non-blocking; owned, closed): the TLS
 * handshake, an ERROR frame with reason PROTO_UP_BUSY and the text why,
 * and the goodbye, all by until; a client slower than that gets the
 * connection closed.
 */
void cgs_conn_refuse(int fd, const char *why, long until,
    const struct cgs_conn_env *env);

#endif
