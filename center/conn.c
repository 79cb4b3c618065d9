/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <netdb.h>
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
#include "../proto/tls.h"
#include "../proto/uplink.h"
#include "conn.h"

/* What one connection owns: the session and its frames' bodies. */
struct conn {
	SSL *ssl;
	char peer[64];
	struct cgs_session s;
	uint8_t store[PROTO_UPLINK_MAX_BLOCKS][PROTO_UPLINK_MAX_BODY];
};

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

	if (n > sizeof(body) - 1)
		n = sizeof(body) - 1;
	body[0] = reason;
	memcpy(body + 1, t, n);
	(void)send_frame(ssl, PROTO_UP_ERROR, body, 1 + n);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One block frame (BLOCK or RECOVERED) of len bytes in store[s->n]. */
static int
take_block(struct conn *cn, uint8_t type, size_t len)
{
	struct cgs_session *s = &cn->s;
	struct proto_up_recovered rec;

	if (type == PROTO_UP_BLOCK) {
		s->in[s->n] =
		    (struct cgs_in_block){ .origin = CGS_ORIGIN_PRESENT,
			    .block = cn->store[s->n],
			    .len = len };
	} else if (type == PROTO_UP_RECOVERED &&
	    proto_up_recovered_decode(cn->store[s->n], len, &rec) == 0) {
		s->in[s->n] =
		    (struct cgs_in_block){ .origin = CGS_ORIGIN_RECOVERED,
			    .block = rec.block,
			    .len = rec.len,
			    .stored_at = rec.stored_at };
		memcpy(s->in[s->n].decoder_id, rec.decoder_id,
		    PROTO_DECODER_ID_LEN);
	} else {
		return PROTO_ERR_FORMAT;
	}
	s->n++;
	return 0;
}

/* Read HELLO, the blocks and END; the bodies are kept in cn->store. */
static int
read_session(struct conn *cn, long deadline)
{
	uint8_t body[PROTO_UPLINK_MAX_BODY], type;
	struct cgs_session *s = &cn->s;
	size_t len;
	int rc;

	if ((rc = proto_tls_read_frame(cn->ssl, &type, body, sizeof(body),
		 &len)) != 0)
		return rc;
	if (type != PROTO_UP_HELLO ||
	    proto_up_hello_decode(body, len, &s->hello) != 0)
		return PROTO_ERR_FORMAT;
	for (;;) {
		if (now_ms() > deadline)
			return PROTO_ERR_IO;
		if (s->n == PROTO_UPLINK_MAX_BLOCKS) {
			/* room for END only */
			if ((rc = proto_tls_read_frame(cn->ssl, &type, body,
				 sizeof(body), &len)) != 0)
				return rc;
			return type == PROTO_UP_END && len == 0 ?
			    0 :
			    PROTO_ERR_TOOBIG;
		}
		if ((rc = proto_tls_read_frame(cn->ssl, &type, cn->store[s->n],
			 PROTO_UPLINK_MAX_BODY, &len)) != 0)
			return rc;
		if (type == PROTO_UP_END && len == 0)
			return 0;
		if ((rc = take_block(cn, type, len)) != 0)
			return rc;
	}
}

static int
answer(SSL *ssl, const struct proto_up_answer *a)
{
	uint8_t buf[64];
	struct proto_wr w;
	int rc;

	for (size_t i = 0; i < a->n_res; i++) {
		proto_wr_init(&w, buf, sizeof(buf));
		if ((rc = proto_up_result_encode(&a->res[i], &w)) != 0 ||
		    (rc = proto_tls_write_all(ssl, buf, proto_wr_len(&w))) != 0)
			return rc;
	}
	for (size_t i = 0; i < a->n_cmds; i++)
		if ((rc = send_frame(ssl, PROTO_UP_COMMAND, a->cmds[i],
			 a->cmd_len[i])) != 0)
			return rc;
	for (size_t i = 0; i < a->n_acks; i++) {
		proto_wr_init(&w, buf, sizeof(buf));
		if ((rc = proto_up_ack_encode(a->ack_ua[i], a->ack_seq[i],
			 &w)) != 0 ||
		    (rc = proto_tls_write_all(ssl, buf, proto_wr_len(&w))) != 0)
			return rc;
	}
	proto_wr_init(&w, buf, sizeof(buf));
	if ((rc = proto_up_frame(&w, PROTO_UP_DONE, 8)) != 0 ||
	    (rc = proto_wr_u32(&w, a->invoiced)) != 0 ||
	    (rc = proto_wr_u32(&w, a->flagged)) != 0)
		return rc;
	return proto_tls_write_all(ssl, buf, proto_wr_len(&w));
}

static void
serve_session(struct conn *cn, struct cgs_pool *pool,
    const struct cgs_conn_limits *lim)
{
	struct cgs_session *s = &cn->s;
	struct cgs_slot *sl = NULL;
	int rc;

	if ((rc = read_session(cn, now_ms() + lim->session_ms)) != 0) {
		proto_log(PROTO_LOG_WARNING, "%s: session from %s dropped: %s",
		    __func__, cn->peer, proto_strerror(rc));
		send_error(cn->ssl, PROTO_UP_PROTOCOL);
		goto out;
	}
	if ((sl = cgs_pool_take(pool)) == NULL)
		rc = PROTO_ERR_NOMEM;
	else
		rc = cgs_ingest(sl->ctx, s);
	if (rc != 0) {
		proto_log(PROTO_LOG_ERR, "%s: session from %s not recorded: %s",
		    __func__, cn->peer, proto_strerror(rc));
		send_error(cn->ssl, PROTO_UP_INTERNAL);
		goto out;
	}
	/* Committed: a crash from here on loses only the answer. */
	proto_failpoint("center:committed");
	proto_log(PROTO_LOG_NOTICE,
	    "session from %s: %zu blocks, %u purchases invoiced, %u flagged, "
	    "%zu commands",
	    cn->peer, s->n, s->ans.invoiced, s->ans.flagged, s->ans.n_cmds);
	if ((rc = answer(cn->ssl, &s->ans)) != 0)
		proto_log(PROTO_LOG_WARNING,
		    "%s: session from %s: the answer did not get through: %s",
		    __func__, cn->peer, proto_strerror(rc));
out:
	cgs_pool_give(pool, sl);
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

static void
peer_name(int fd, char *peer, size_t cap)
{
	struct sockaddr_storage sa;
	socklen_t slen = sizeof(sa);

	if (getpeername(fd, (struct sockaddr *)&sa, &slen) != 0 ||
	    getnameinfo((struct sockaddr *)&sa, slen, peer, (socklen_t)cap,
		NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(peer, cap, "?");
}

void
cgs_conn_serve(int fd, SSL_CTX *tls, struct cgs_pool *pool,
    const struct cgs_conn_limits *lim)
{
	struct conn *cn;

	if ((cn = calloc(1, sizeof(*cn))) == NULL) {
		proto_log(PROTO_LOG_ERR, "%s: out of memory", __func__);
		close(fd);
		return;
	}
	peer_name(fd, cn->peer, sizeof(cn->peer));
	if (proto_tls_timeouts(fd, lim->idle_ms) == 0 &&
	    (cn->ssl = SSL_new(tls)) != NULL && SSL_set_fd(cn->ssl, fd) == 1 &&
	    SSL_accept(cn->ssl) == 1) {
		serve_session(cn, pool, lim);
		SSL_shutdown(cn->ssl);
		linger_close(fd);
	} else {
		proto_log(PROTO_LOG_INFO, "%s: TLS handshake with %s failed",
		    __func__, cn->peer);
	}
	SSL_free(cn->ssl);
	ERR_clear_error();
	close(fd);
	free(cn);
}
