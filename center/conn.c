/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "../proto/buf.h"
#include "../proto/file.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "../proto/uplink.h"
#include "conn.h"
#include "io.h"

#define CLOSE_MS 200 /* an ERROR frame and the goodbye after a failure */
#define ERROR_TEXT_MAX 63

/* What one connection owns: the session and its frames' bodies. */
struct conn {
	struct cgs_io io;
	const char *peer;               /* borrowed */
	const struct cgs_conn_env *env; /* borrowed */
	long deadline;                  /* the connection's, absolute */
	enum cgs_event cut;             /* what a timeout now would be */
	struct cgs_session s;
	uint8_t store[PROTO_UPLINK_MAX_BLOCKS][PROTO_UPLINK_MAX_BODY];
};

static int
send_frame(struct cgs_io *io, uint8_t type, const void *body, size_t len,
    long until)
{
	uint8_t buf[PROTO_UPLINK_HDR_LEN + PROTO_UPLINK_MAX_BODY];
	struct proto_wr w;

	proto_wr_init(&w, buf, sizeof(buf));
	if (proto_up_frame(&w, type, len) != 0 ||
	    proto_wr_bytes(&w, body, len) != 0)
		return PROTO_ERR_TOOBIG;
	return cgs_io_write(io, buf, proto_wr_len(&w), until);
}

/* ERROR: the reason, and text (NULL: the reason's own). */
static void
send_error(struct cgs_io *io, uint8_t reason, const char *text, long until)
{
	uint8_t body[1 + ERROR_TEXT_MAX];
	const char *t = text != NULL ? text : proto_up_reason(reason);
	size_t n = strlen(t);
	struct proto_wr w;

	if (n > ERROR_TEXT_MAX)
		n = ERROR_TEXT_MAX;
	/* The reason, then the text without its NUL. */
	proto_wr_init(&w, body, sizeof(body));
	if (proto_wr_u8(&w, reason) != 0 || proto_wr_bytes(&w, t, n) != 0)
		return;
	(void)send_frame(io, PROTO_UP_ERROR, body, proto_wr_len(&w), until);
}

/*
 * When the next step (the handshake, a frame) must be done: the idle
 * time from now, or the connection's deadline if that comes first.
 * Notes which limit a timeout would be, for the counters.
 */
static long
step_deadline(struct conn *cn, enum cgs_event kind)
{
	long t = cgs_now_ms() + cn->env->lim.idle_ms;

	cn->cut = kind;
	if (t < cn->deadline)
		return t;
	if (kind != CGS_EV_CUT_HANDSHAKE)
		cn->cut = CGS_EV_CUT_SESSION;
	return cn->deadline;
}

static int
read_frame(struct conn *cn, uint8_t *type, uint8_t *body, size_t cap,
    size_t *len)
{
	return cgs_io_read_frame(&cn->io, type, body, cap, len,
	    step_deadline(cn, CGS_EV_CUT_FRAME));
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

/* A fresh nonce for this session, sent right after HELLO. */
static int
send_challenge(struct conn *cn)
{
	int rc;

	if ((rc = proto_random(cn->s.challenge, PROTO_CHALLENGE_LEN)) != 0)
		return rc;
	return send_frame(&cn->io, PROTO_UP_CHALLENGE, cn->s.challenge,
	    PROTO_CHALLENGE_LEN, step_deadline(cn, CGS_EV_CUT_FRAME));
}

/* Read HELLO, the blocks and END; the bodies are kept in cn->store. */
static int
read_session(struct conn *cn)
{
	uint8_t body[PROTO_UPLINK_MAX_BODY], type;
	struct cgs_session *s = &cn->s;
	size_t len;
	int rc;

	if ((rc = read_frame(cn, &type, body, sizeof(body), &len)) != 0)
		return rc;
	if (type != PROTO_UP_HELLO ||
	    proto_up_hello_decode(body, len, &s->hello) != 0)
		return PROTO_ERR_FORMAT;
	if ((rc = send_challenge(cn)) != 0)
		return rc;
	for (;;) {
		if (s->n == PROTO_UPLINK_MAX_BLOCKS) {
			/* room for END only */
			if ((rc = read_frame(cn, &type, body, sizeof(body),
				 &len)) != 0)
				return rc;
			return type == PROTO_UP_END && len == 0 ?
			    0 :
			    PROTO_ERR_TOOBIG;
		}
		if ((rc = read_frame(cn, &type, cn->store[s->n],
			 PROTO_UPLINK_MAX_BODY, &len)) != 0)
			return rc;
		if (type == PROTO_UP_END && len == 0)
			return 0;
		if ((rc = take_block(cn, type, len)) != 0)
			return rc;
	}
}

static int
answer(struct cgs_io *io, const struct proto_up_answer *a, long until)
{
	uint8_t buf[64];
	struct proto_wr w;
	int rc;

	for (size_t i = 0; i < a->n_res; i++) {
		proto_wr_init(&w, buf, sizeof(buf));
		if ((rc = proto_up_result_encode(&a->res[i], &w)) != 0 ||
		    (rc = cgs_io_write(io, buf, proto_wr_len(&w), until)) != 0)
			return rc;
	}
	for (size_t i = 0; i < a->n_cmds; i++)
		if ((rc = send_frame(io, PROTO_UP_COMMAND, a->cmds[i],
			 a->cmd_len[i], until)) != 0)
			return rc;
	for (size_t i = 0; i < a->n_acks; i++) {
		proto_wr_init(&w, buf, sizeof(buf));
		if ((rc = proto_up_ack_encode(a->ack_ua[i], a->ack_seq[i],
			 &w)) != 0 ||
		    (rc = cgs_io_write(io, buf, proto_wr_len(&w), until)) != 0)
			return rc;
	}
	proto_wr_init(&w, buf, sizeof(buf));
	if ((rc = proto_up_frame(&w, PROTO_UP_DONE, 8)) != 0 ||
	    (rc = proto_wr_u32(&w, a->invoiced)) != 0 ||
	    (rc = proto_wr_u32(&w, a->flagged)) != 0)
		return rc;
	return cgs_io_write(io, buf, proto_wr_len(&w), until);
}

/* Count e; the level to log it at: the interval's first, or INFO. */
static int
note(struct conn *cn, enum cgs_event e, int level)
{
	return cgs_stats_note(cn->env->stats, e) ? level : PROTO_LOG_INFO;
}

static const char *
more(int level)
{
	return level == PROTO_LOG_INFO ? "" :
					 " (the next ones go to the summary)";
}

/* Why a session could not be read: the limit that cut it, or rc. */
static void
log_dropped(struct conn *cn, int rc)
{
	const struct cgs_conn_limits *lim = &cn->env->lim;
	enum cgs_event e = cn->io.timed_out ? cn->cut : CGS_EV_DROPPED;
	int level = note(cn, e, PROTO_LOG_WARNING);

	if (e == CGS_EV_CUT_FRAME)
		proto_log(level,
		    "%s: session from %s dropped: a frame not complete "
		    "within %d ms%s",
		    __func__, cn->peer, lim->idle_ms, more(level));
	else if (e == CGS_EV_CUT_SESSION)
		proto_log(level,
		    "%s: session from %s dropped: not done within %d ms%s",
		    __func__, cn->peer, lim->session_ms, more(level));
	else
		proto_log(level, "%s: session from %s dropped: %s%s", __func__,
		    cn->peer, proto_strerror(rc), more(level));
}

/*
 * Each rejected block, at notice, with what the operator needs to find it
 * (centerctl rejected lists them): all of a recorded session's; of a junk
 * session's, the interval's first (the summary counts the rest).
 */
static void
log_rejected(struct conn *cn)
{
	const struct cgs_session *s = &cn->s;
	const struct proto_up_result *r;
	char ua[2 * PROTO_UA_LEN + 1], dec[2 * PROTO_DECODER_ID_LEN + 1];
	int level;

	proto_hex(s->hello.decoder_id, PROTO_DECODER_ID_LEN, dec);
	for (size_t i = 0; i < s->ans.n_res; i++) {
		r = &s->ans.res[i];
		if (r->status != PROTO_UP_REJECTED)
			continue;
		level = note(cn, CGS_EV_REJECTED, PROTO_LOG_NOTICE);
		if (s->recorded)
			level = PROTO_LOG_NOTICE;
		if (s->has_ua[i])
			proto_hex(r->ua, PROTO_UA_LEN, ua);
		proto_log(level,
		    "%s: block %zu from %s (decoder %s), card %s seq %u, "
		    "rejected: %s%s",
		    __func__, i + 1, cn->peer, dec,
		    s->has_ua[i] ? ua : "unread", r->seq,
		    proto_up_reason(r->reason), s->recorded ? "" : more(level));
	}
}

/* The session recorded, or counted: either way the client is answered. */
static void
log_ingested(struct conn *cn)
{
	const struct cgs_session *s = &cn->s;

	cgs_stats_answered(cn->env->stats, &s->ans);
	log_rejected(cn);
	if (!s->recorded) {
		cgs_stats_junk(cn->env->stats, &s->ans);
		proto_log(PROTO_LOG_INFO,
		    "session from %s: no valid block among %zu: counted, not "
		    "recorded",
		    cn->peer, s->n);
		return;
	}
	(void)cgs_stats_note(cn->env->stats, CGS_EV_RECORDED);
	proto_log(PROTO_LOG_NOTICE,
	    "session from %s: %zu blocks, %u purchases invoiced, %u flagged, "
	    "%zu commands",
	    cn->peer, s->n, s->ans.invoiced, s->ans.flagged, s->ans.n_cmds);
}

static void
serve_session(struct conn *cn)
{
	struct cgs_slot *sl = NULL;
	long long t0;
	int rc, level;

	if ((rc = read_session(cn)) != 0) {
		log_dropped(cn, rc);
		send_error(&cn->io, PROTO_UP_PROTOCOL, NULL,
		    cgs_now_ms() + CLOSE_MS);
		goto out;
	}
	t0 = cgs_now_us();
	cn->s.peer = cn->peer;
	if ((sl = cgs_pool_take(cn->env->pool)) == NULL)
		rc = PROTO_ERR_NOMEM;
	else
		rc = cgs_ingest(sl->ctx, &cn->s);
	if (rc == 0 && cn->s.refused == PROTO_UP_OK) {
		cgs_hist_add(&cn->env->stats->ingest,
		    (unsigned long long)(cgs_now_us() - t0));
		if (cn->s.recorded)
			cgs_hist_add(&cn->env->stats->commit,
			    (unsigned long long)cn->s.commit_us);
	}
	if (rc != 0) {
		level = note(cn, CGS_EV_NOT_RECORDED, PROTO_LOG_ERR);
		proto_log(level, "%s: session from %s not recorded: %s%s",
		    __func__, cn->peer, proto_strerror(rc), more(level));
		send_error(&cn->io, PROTO_UP_INTERNAL, NULL,
		    cgs_now_ms() + CLOSE_MS);
		goto out;
	}
	if (cn->s.refused != PROTO_UP_OK) {
		level = note(cn, CGS_EV_REFUSED_REVOKED, PROTO_LOG_NOTICE);
		proto_log(level, "%s: session from %s refused: %s%s", __func__,
		    cn->peer, proto_up_reason(cn->s.refused), more(level));
		send_error(&cn->io, cn->s.refused, NULL,
		    cgs_now_ms() + CLOSE_MS);
		goto out;
	}
	/* Committed: a crash from here on loses only the answer. */
	proto_failpoint("center:committed");
	log_ingested(cn);
	if ((rc = answer(&cn->io, &cn->s.ans,
		 cgs_now_ms() + cn->env->lim.idle_ms)) != 0)
		proto_log(PROTO_LOG_WARNING,
		    "%s: session from %s: the answer did not get through: %s",
		    __func__, cn->peer, proto_strerror(rc));
out:
	cgs_pool_give(cn->env->pool, sl);
}

void
cgs_conn_serve(int fd, const char *peer, long accepted_ms,
    const struct cgs_conn_env *env)
{
	struct conn *cn;
	int level;

	if ((cn = calloc(1, sizeof(*cn))) == NULL) {
		proto_log(PROTO_LOG_ERR, "%s: out of memory", __func__);
		close(fd);
		return;
	}
	cn->io.fd = fd;
	cn->peer = peer;
	cn->env = env;
	cn->deadline = accepted_ms + env->lim.session_ms;
	if ((cn->io.ssl = SSL_new(env->tls)) == NULL ||
	    SSL_set_fd(cn->io.ssl, fd) != 1) {
		proto_log(PROTO_LOG_ERR, "%s: no TLS for %s", __func__, peer);
	} else if (cgs_io_accept(&cn->io,
		       step_deadline(cn, CGS_EV_CUT_HANDSHAKE)) != 0) {
		level = note(cn,
		    cn->io.timed_out ? CGS_EV_CUT_HANDSHAKE :
				       CGS_EV_HANDSHAKE_FAILED,
		    PROTO_LOG_NOTICE);
		proto_log(level, "%s: TLS handshake with %s %s%s%s%s", __func__,
		    peer, cn->io.timed_out ? "not done in time" : "failed",
		    cn->io.timed_out || cn->io.why[0] == '\0' ? "" : ": ",
		    cn->io.timed_out ? "" : cn->io.why, more(level));
	} else {
		serve_session(cn);
		cgs_io_linger(&cn->io, cgs_now_ms() + CLOSE_MS);
	}
	SSL_free(cn->io.ssl);
	ERR_clear_error();
	close(fd);
	free(cn);
}

void
cgs_conn_refuse(int fd, const char *why, long until,
    const struct cgs_conn_env *env)
{
	struct cgs_io io = { .fd = fd };

	if ((io.ssl = SSL_new(env->tls)) != NULL &&
	    SSL_set_fd(io.ssl, fd) == 1 && cgs_io_accept(&io, until) == 0) {
		send_error(&io, PROTO_UP_BUSY, why, until);
		cgs_io_linger(&io, until);
	}
	SSL_free(io.ssl);
	ERR_clear_error();
	close(fd);
}
