/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/apdu.h"
#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "../proto/tls.h"
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

/* The card the HELLO claimed, if it is still the one in the reader. */
static int
same_card(const struct dec_state *st, const struct proto_up_hello *h)
{
	return st->has_card && memcmp(st->card.st.ua, h->ua, PROTO_UA_LEN) == 0;
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

	if (!same_card(st, &s->hello)) {
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

/*
 * Apply the center's commands in order.  A command the card consumed but
 * refused (9303: it records why, for the center) does not stop the
 * others; any other failure does.  Returns how many were applied.
 */
static size_t
apply_commands(struct dec_state *st, const struct proto_up_answer *a)
{
	uint16_t sw = 0;
	size_t i, applied = 0;
	int rc;

	if (a->n_cmds == 0)
		return 0;
	if ((rc = dec_session_begin(st)) != 0) {
		proto_log(PROTO_LOG_WARNING,
		    "%s: %zu commands not applied: %s; the center sends them "
		    "again",
		    __func__, a->n_cmds, dec_session_why(st, rc));
		return 0;
	}
	for (i = 0; i < a->n_cmds; i++) {
		rc =
		    dec_card_command(&st->card, a->cmds[i], a->cmd_len[i], &sw);
		if (rc == PROTO_ERR_STATE && sw == SM_SW_CMD_REFUSED) {
			proto_log(PROTO_LOG_NOTICE,
			    "%s: the card consumed command %zu of %zu and "
			    "refused it; its next block tells the center why",
			    __func__, i + 1, a->n_cmds);
			rc = 0;
			continue;
		}
		if (rc != 0) {
			proto_log(PROTO_LOG_WARNING,
			    "%s: the card refused command %zu of %zu: %s",
			    __func__, i + 1, a->n_cmds,
			    rc == PROTO_ERR_STATE ? proto_sw_str(sw) :
						    proto_strerror(rc));
			break;
		}
		applied++;
	}
	(void)dec_session_end(st, rc);
	return applied;
}

size_t
dec_sync_forget_acked(struct dec_state *st, const struct proto_up_answer *ans)
{
	size_t deleted = 0;
	int rc;

	st->m1_next = st->m1;
	for (size_t i = 0; i < ans->n_acks; i++)
		if (dec_m1_ack(&st->m1_next, ans->ack_ua[i], ans->ack_seq[i]) ==
		    0)
			deleted++;
	if (deleted == 0)
		return 0;
	if ((rc = dec_m1_save(st->cfg.m1, &st->key, &st->m1_next)) != 0) {
		proto_log(PROTO_LOG_ERR,
		    "%s: cannot write %s: %s; the entries stay for the next "
		    "session",
		    __func__, st->cfg.m1,
		    rc == PROTO_ERR_IO ? strerror(errno) : proto_strerror(rc));
		return 0;
	}
	st->m1 = st->m1_next;
	return deleted;
}

static void
log_rejected(const struct proto_up_answer *a)
{
	for (size_t i = 0; i < a->n_res; i++)
		if (a->res[i].status == PROTO_UP_REJECTED)
			proto_log(PROTO_LOG_WARNING,
			    "%s: the center rejected block %u of card %s: %s",
			    __func__, a->res[i].seq, DEC_UA(a->res[i].ua),
			    proto_up_reason(a->res[i].reason));
}

/*
 * The M1 entry a RESULT rejects for good, or NULL: a final reason, for a
 * block M1 holds (same UA and sequence) that went as RECOVERED (not the
 * present card's: its block in the session was UPLINK BLOCKS').
 */
static const struct dec_m1_entry *
finally_rejected(const struct dec_state *st, const struct proto_up_hello *h,
    const struct proto_up_result *r)
{
	const struct dec_m1_entry *e;

	if (r->status != PROTO_UP_REJECTED || !proto_up_reason_final(r->reason))
		return NULL;
	if (h->has_card && memcmp(h->ua, r->ua, PROTO_UA_LEN) == 0)
		return NULL;
	e = dec_m1_find_const(&st->m1, r->ua);
	return e != NULL && e->seq == r->seq ? e : NULL;
}

size_t
dec_sync_quarantine(struct dec_state *st, const struct proto_up_hello *h,
    const struct proto_up_answer *a)
{
	struct dec_quar *q = NULL;
	const struct dec_m1_entry *e;
	char path[PATH_MAX];
	size_t moved = 0;
	int rc = 0;

	st->m1_next = st->m1;
	for (size_t i = 0; i < a->n_res; i++) {
		if ((e = finally_rejected(st, h, &a->res[i])) == NULL)
			continue;
		if (q == NULL && (q = malloc(sizeof(*q))) == NULL) {
			rc = PROTO_ERR_NOMEM;
			goto out;
		}
		if (moved == 0)
			*q = st->quar;
		(void)dec_quar_add(q, e, a->res[i].reason,
		    (uint64_t)time(NULL));
		proto_log(PROTO_LOG_WARNING,
		    "card %s: the center rejected M1's block %u for good (%s): "
		    "it goes into the quarantine",
		    DEC_UA(e->ua), e->seq, proto_up_reason(a->res[i].reason));
		(void)dec_m1_ack(&st->m1_next, a->res[i].ua, a->res[i].seq);
		moved++;
	}
	if (moved == 0)
		goto out;
	/* The quarantine first: a crash before M1 is written leaves the
	 * entry in both, never in neither. */
	if ((rc = dec_quar_path(st->cfg.m1, path, sizeof(path))) != 0 ||
	    (rc = dec_quar_save(path, q)) != 0 ||
	    (rc = dec_m1_save(st->cfg.m1, &st->key, &st->m1_next)) != 0)
		goto out;
	st->quar = *q;
	st->m1 = st->m1_next;
out:
	if (rc != 0)
		proto_log(PROTO_LOG_ERR,
		    "%s: cannot move %zu rejected entries out of M1: %s; they "
		    "stay for the next session",
		    __func__, moved,
		    rc == PROTO_ERR_IO ? strerror(errno) : proto_strerror(rc));
	free(q);
	return rc == 0 ? moved : 0;
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

/* What the center said of each block, and of the session. */
static void
count_answer(struct dec_counters *n, const struct proto_up_answer *a)
{
	size_t rejected = 0;

	for (size_t i = 0; i < a->n_res; i++) {
		if (a->res[i].status == PROTO_UP_ACCEPTED)
			n->blocks_accepted++;
		else if (a->res[i].status == PROTO_UP_DUPLICATE)
			n->blocks_duplicate++;
		else
			rejected++;
	}
	n->blocks_rejected += rejected;
	if (rejected > 0)
		n->uplinks_rejected++;
	else
		n->uplinks_ok++;
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
	log_rejected(a);
	count_answer(&st->n, a);
	/* the commands are for the card the HELLO claimed */
	if (same_card(st, &s->hello))
		res->applied = apply_commands(st, a);
	res->deleted = dec_sync_forget_acked(st, a);
	st->n.commands_applied += res->applied;
	st->n.m1_acked += res->deleted;
	res->quarantined = dec_sync_quarantine(st, &s->hello, a);
	st->last_uplink = time(NULL);
	proto_log(PROTO_LOG_NOTICE,
	    "uplink: %zu blocks sent, %u purchases invoiced, %zu of %zu "
	    "commands applied, %zu M1 entries acknowledged and deleted, %zu "
	    "quarantined",
	    a->n_res, a->invoiced, res->applied, a->n_cmds, res->deleted,
	    res->quarantined);
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

/* --- the first contact ------------------------------------------------------ */

unsigned
dec_sync_backoff(unsigned wait, unsigned cap)
{
	unsigned next = wait == 0 ? DEC_CONTACT_FIRST_WAIT :
	    wait > UINT_MAX / 2   ? UINT_MAX :
				    2 * wait;

	return next < cap ? next : cap;
}

/* The card of the contact under way is the one in the reader. */
static int
contact_card(const struct dec_state *st)
{
	return st->has_card &&
	    memcmp(st->card.st.ua, st->contact_ua, PROTO_UA_LEN) == 0;
}

static void
contact_end(struct dec_state *st)
{
	st->contact_at = 0;
	st->contact_wait = 0;
}

void
dec_sync_contact_arrived(struct dec_state *st, time_t now)
{
	contact_end(st);
	st->contact_tries = 0;
	if (!st->cfg.first_contact || !st->has_card || !st->card.st.locked)
		return;
	memcpy(st->contact_ua, st->card.st.ua, PROTO_UA_LEN);
	st->contact_since = now;
	st->contact_at = now;
	proto_log(PROTO_LOG_NOTICE,
	    "card %s is transfer-locked: its first contact with the center "
	    "starts now",
	    DEC_UA(st->contact_ua));
}

int
dec_sync_contact_due(struct dec_state *st, time_t now)
{
	if (st->contact_at == 0)
		return 0;
	if (!contact_card(st) || !st->card.st.locked) {
		contact_end(st);
		return 0;
	}
	return st->sync == NULL && dec_deadline_passed(st->contact_at, now);
}

time_t
dec_sync_contact_deadline(const struct dec_state *st)
{
	return st->sync == NULL ? st->contact_at : 0;
}

/* A session that did all a first contact can: nothing to try again. */
static int
contact_answered(const struct dec_sync_result *res)
{
	return res->rc == 0 && res->present_rc == 0 &&
	    res->applied == res->out.ans.n_cmds;
}

static const char *
contact_failure(const struct dec_sync_result *res)
{
	if (res->rc != 0)
		return res->why;
	if (res->present_rc != 0)
		return res->present_why;
	return "the card did not take the center's commands";
}

void
dec_sync_contact_after(struct dec_state *st, const struct dec_sync_result *res,
    time_t now)
{
	if (st->contact_at == 0)
		return;
	st->contact_tries++;
	if (!contact_card(st)) {
		contact_end(st);
		return;
	}
	if (!st->card.st.locked) {
		proto_log(PROTO_LOG_NOTICE,
		    "card %s unlocked by the center %lld s after its "
		    "insertion (tries: %lu)",
		    DEC_UA(st->contact_ua),
		    (long long)(now - st->contact_since), st->contact_tries);
		contact_end(st);
		return;
	}
	if (contact_answered(res)) {
		proto_log(PROTO_LOG_WARNING,
		    "%s: the center answered but did not unlock card %s; it "
		    "stays transfer-locked until a later uplink",
		    __func__, DEC_UA(st->contact_ua));
		contact_end(st);
		return;
	}
	st->contact_wait =
	    dec_sync_backoff(st->contact_wait, st->cfg.first_contact_max);
	st->contact_at = now + st->contact_wait;
	proto_log(PROTO_LOG_NOTICE,
	    "first contact of card %s: %s; trying again in %u s",
	    DEC_UA(st->contact_ua), contact_failure(res), st->contact_wait);
}
