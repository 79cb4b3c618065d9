/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/apdu.h"
#include "../proto/crypto.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "../proto/tls.h"
#include "answer.h"
#include "session.h"
#include "sync.h"
#include "upjob.h"

/* A session under way: its job, and what the loop keeps of it. */
struct dec_sync {
	struct dec_upjob *job;
	struct dec_sync_result res;
	struct proto_up_hello hello; /* what it claims */
	uint8_t block[PROTO_BLOCK_MAX];
	long deadline; /* dec_now_ms */
	int cancelled;
	unsigned center; /* the one tried now (dec_config_center) */
	unsigned cut;    /* cut_after, for each try */
};

static void
present_unread(struct dec_state *st, struct dec_sync_result *res, int rc,
    const char *why)
{
	res->present_rc = rc;
	snprintf(res->present_why, sizeof(res->present_why), "%s",
	    why != NULL ? why :
		rc == PROTO_ERR_STATE && res->sw != 0 ?
			  proto_sw_str(res->sw) :
			  dec_session_why(st, rc));
	proto_log(PROTO_LOG_WARNING,
	    "%s: UPLINK BLOCKS failed (%s): the session goes without the "
	    "present card's block",
	    __func__, res->present_why);
}

/*
 * The job asks for the present card's block, made for the challenge.  M1's
 * entries of other cards go even when the card cannot be read.
 */
static void
give_block(struct dec_state *st, struct dec_sync *s,
    const uint8_t challenge[PROTO_CHALLENGE_LEN])
{
	size_t len = 0;
	int rc;

	if (!dec_state_card_is(st, s->hello.ua)) {
		present_unread(st, &s->res, PROTO_ERR_STATE,
		    "the card left during the session");
		dec_upjob_give(s->job, NULL, 0);
		return;
	}
	if ((rc = dec_session_block(st, SM_INS_UPLINK, challenge, s->block,
		 &len, &s->res.sw)) != 0) {
		present_unread(st, &s->res, rc, NULL);
		len = 0;
	}
	dec_upjob_give(s->job, rc == 0 ? s->block : NULL, len);
}

/* What goes out: HELLO, the present card's block, M1's of other cards;
 * to center number center. */
static void
build_in(const struct dec_state *st, unsigned center, struct dec_upjob_in *in)
{
	size_t max;

	memset(in, 0, sizeof(*in));
	in->tls = st->tls;
	if (dec_config_center(&st->cfg, center, &in->host, &in->port) != 0)
		(void)dec_config_center(&st->cfg, 0, &in->host, &in->port);
	memcpy(in->hello.decoder_id, st->key.id, DEC_ID_LEN);
	if (st->has_card) {
		in->hello.has_card = 1;
		memcpy(in->hello.ua, st->card.st.ua, PROTO_UA_LEN);
		in->present = 1;
	}
	/* A session carries at most PROTO_UPLINK_MAX_BLOCKS blocks: a full
	 * M1 beside a present card sends the rest at the next session. */
	max = PROTO_UPLINK_MAX_BLOCKS - (size_t)in->present;
	for (size_t i = 0; i < st->m1.n && in->n_rec < max; i++) {
		const struct dec_m1_entry *e = &st->m1.e[i];
		if (e->state != DEC_M1_PENDING ||
		    (in->hello.has_card &&
			memcmp(e->ua, in->hello.ua, PROTO_UA_LEN) == 0))
			continue;
		in->rec[in->n_rec++] = e;
	}
}

static int
start_failed(struct dec_state *st, struct dec_sync_result *res,
    enum dec_sync_step step, int rc)
{
	if (rc != PROTO_ERR_EXISTS) /* not one of its own: one runs */
		st->n.uplinks_failed++;
	res->step = step;
	return res->rc = rc;
}

int
dec_sync_start(struct dec_state *st, unsigned cut, struct dec_sync_result *res)
{
	struct dec_upjob_in in;
	struct dec_sync *s;
	int rc;

	memset(res, 0, sizeof(*res));
	st->uplink_asked = 0; /* an attempt answers the request */
	if (st->sync != NULL) {
		dec_state_failed(st, res->why, "an uplink is under way");
		return start_failed(st, res, DEC_SYNC_CENTER, PROTO_ERR_EXISTS);
	}
	if (st->tls == NULL &&
	    (rc = proto_tls_client_ctx(st->cfg.ca, &st->tls)) != 0) {
		dec_state_failed(st, res->why, "CA file %.200s: %s", st->cfg.ca,
		    proto_strerror(rc));
		return start_failed(st, res, DEC_SYNC_CA, rc);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		dec_state_failed(st, res->why, "uplink: out of memory");
		return start_failed(st, res, DEC_SYNC_CENTER, PROTO_ERR_NOMEM);
	}
	build_in(st, 0, &in);
	in.cut_after = s->cut = cut;
	s->hello = in.hello;
	if ((rc = dec_upjob_start(&in, &s->job)) != 0) {
		free(s);
		dec_state_failed(st, res->why, "cannot start an uplink: %s",
		    proto_strerror(rc));
		return start_failed(st, res, DEC_SYNC_CENTER, rc);
	}
	s->deadline = dec_now_ms() + 1000L * st->cfg.uplink_deadline;
	st->sync = s;
	st->uplink_since = time(NULL);
	return 0;
}

static void
session_failed(struct dec_state *st, const struct dec_sync *s, int rc,
    struct dec_sync_result *res)
{
	const struct proto_up_answer *a = &res->out.ans;
	const char *host, *port;

	(void)dec_config_center(&st->cfg, s->center, &host, &port);
	if (s->cancelled)
		dec_state_failed(st, res->why,
		    "uplink to %.200s:%s: no answer within its deadline "
		    "(%u s)",
		    host, port, st->cfg.uplink_deadline);
	else if (rc == PROTO_ERR_STATE &&
	    (a->error == PROTO_UP_BUSY || a->error == PROTO_UP_FULL))
		dec_state_failed(st, res->why,
		    "center %.200s:%s busy: try again later", host, port);
	else
		dec_state_failed(st, res->why, "uplink to %.200s:%s failed: %s",
		    host, port,
		    rc == PROTO_ERR_STATE ? proto_up_reason(a->error) :
					    proto_strerror(rc));
	res->step = DEC_SYNC_CENTER;
	res->rc = rc != 0 ? rc : PROTO_ERR_IO;
	st->n.uplinks_failed++;
}

static int
busy(const struct proto_up_answer *a)
{
	return a->error == PROTO_UP_BUSY || a->error == PROTO_UP_FULL;
}

/*
 * The session failed on s->center: start it again, whole, on the next
 * center the configuration lists, if there is one -- when the center
 * could not be reached, failed mid-session or was busy (instances of one
 * center share its database: the next finds what the first committed),
 * not when it refused the session itself (an ERROR of another reason)
 * or the uplink passed its deadline.  1 if a new job runs.
 */
static int
next_center(struct dec_state *st, struct dec_sync *s, int rc,
    const struct proto_up_answer *a)
{
	struct dec_upjob_in in;
	const char *host, *port;

	if (s->cancelled || (rc == PROTO_ERR_STATE && !busy(a)) ||
	    s->center >= st->cfg.n_more ||
	    dec_config_center(&st->cfg, s->center, &host, &port) != 0)
		return 0;
	proto_log(PROTO_LOG_WARNING,
	    "%s: center %.200s:%s: %s; trying the next", __func__, host, port,
	    rc == PROTO_ERR_STATE ? proto_up_reason(a->error) :
				    proto_strerror(rc));
	build_in(st, s->center + 1, &in);
	in.cut_after = s->cut;
	if (dec_upjob_start(&in, &s->job) != 0)
		return 0;
	s->center++;
	s->hello = in.hello;
	return 1;
}

/* The job is done: apply what the center answered, or try the next
 * center.  1 when the uplink is over. */
static int
finish(struct dec_state *st, struct dec_sync_result *res)
{
	struct dec_sync *s = st->sync;
	const struct proto_up_answer *a = &res->out.ans;
	struct dec_answer_done done;
	int rc;

	*res = s->res;
	rc = dec_upjob_finish(&s->job, &res->out);
	if (rc != 0 && next_center(st, s, rc, a))
		return 0;
	if (rc != 0) { /* (a session done as it was stopped stands) */
		session_failed(st, s, rc, res);
		memset(&res->out, 0, sizeof(res->out)); /* not to act on */
		goto out;
	}
	dec_answer_apply(st, &s->hello, a, &done);
	res->applied = done.applied;
	res->deleted = done.deleted;
	res->quarantined = done.quarantined;
	st->last_uplink = time(NULL);
out:
	proto_cleanse(s, sizeof(*s));
	free(s);
	st->sync = NULL;
	return 1;
}

int
dec_sync_step(struct dec_state *st, struct dec_sync_result *res)
{
	struct dec_sync *s = st->sync;
	uint8_t challenge[PROTO_CHALLENGE_LEN];

	if (s == NULL)
		return 0;
	switch (dec_upjob_poll(s->job, challenge)) {
	case DEC_UPJOB_NEED_BLOCK:
		give_block(st, s, challenge);
		return 0;
	case DEC_UPJOB_DONE:
		return finish(st, res);
	default:
		break;
	}
	if (s->cancelled || dec_now_ms() >= s->deadline) {
		if (!s->cancelled)
			proto_log(PROTO_LOG_WARNING,
			    "%s: the uplink passed its deadline (%u s): "
			    "stopping it",
			    __func__, st->cfg.uplink_deadline);
		s->cancelled = 1;
		dec_upjob_cancel(s->job);
	}
	return 0;
}

int
dec_sync_fd(const struct dec_state *st)
{
	return st->sync != NULL ? dec_upjob_fd(st->sync->job) : -1;
}

int
dec_sync_wait_ms(const struct dec_state *st)
{
	long left;

	if (st->sync == NULL)
		return -1;
	if (st->sync->cancelled)
		return DEC_SYNC_RESIGNAL_MS;
	left = st->sync->deadline - dec_now_ms();
	return left <= 0 ? 0 : left > 86400000 ? 86400000 : (int)left;
}

int
dec_sync_wait(struct dec_state *st, struct dec_sync_result *res)
{
	struct pollfd p;
	int ms;

	for (;;) {
		if (dec_sync_step(st, res))
			return res->rc;
		p = (struct pollfd){ .fd = dec_sync_fd(st), .events = POLLIN };
		ms = dec_sync_wait_ms(st);
		(void)poll(&p, 1, ms < 0 || ms > 1000 ? 1000 : ms);
	}
}

void
dec_sync_stop(struct dec_state *st)
{
	struct dec_sync_result res;

	if (st->sync == NULL)
		return;
	st->sync->cancelled = 1;
	(void)dec_sync_wait(st, &res);
}

int
dec_sync_run(struct dec_state *st, unsigned cut, struct dec_sync_result *res)
{
	int rc;

	if ((rc = dec_sync_start(st, cut, res)) != 0)
		return rc;
	return dec_sync_wait(st, res);
}

void
dec_sync_schedule(struct dec_state *st, time_t now)
{
	st->next_uplink = dec_deadline(now, st->cfg.uplink_interval);
}

int
dec_sync_due(const struct dec_state *st, time_t now)
{
	return (st->uplink_asked && st->sync == NULL) ||
	    dec_deadline_passed(st->next_uplink, now);
}

time_t
dec_sync_deadline(const struct dec_state *st)
{
	return st->uplink_asked && st->sync == NULL ? time(NULL) :
						      st->next_uplink;
}
