/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One client connection of the center: the TLS handshake, the session's
 * frames in (HELLO, BLOCK and RECOVERED frames, END), the ingest on a
 * pooled database slot, and the answer (RESULTs, COMMANDs, ACKs, DONE)
 * sent only after the ingest committed; an ERROR frame when the session
 * cannot be read or recorded.
 */
#ifndef CENTER_CONN_H
#define CENTER_CONN_H

#include <openssl/ssl.h>

#include "pool.h"

struct cgs_conn_limits {
	int idle_ms;    /* the longest wait for the client's next bytes */
	int session_ms; /* the whole session, checked between frames */
};

/*
 * Serve the client on socket fd (owned: closed before this returns).  tls,
 * pool and lim are borrowed.  Failures are logged, never returned: the
 * client learns them from the ERROR frame or the closed connection.
 */
void cgs_conn_serve(int fd, SSL_CTX *tls, struct cgs_pool *pool,
    const struct cgs_conn_limits *lim);

#endif
