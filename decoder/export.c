/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <string.h>

#include "../proto/apdu.h"
#include "../proto/cert.h"
#include "../proto/log.h"
#include "../proto/m2.h"
#include "../proto/proto.h"
#include "export.h"
#include "session.h"

int
dec_export_due(const struct dec_state *st, enum dec_export_trigger t,
    time_t now)
{
	const struct dec_m1_entry *e;

	if (!st->has_card)
		return 0;
	switch (t) {
	case DEC_EXPORT_CHANGED:
		if (st->card.st.locked)
			return 0;
		if (st->card.st.flags & PROTO_M2_FLAG_EXPORT)
			return 1; /* the center asked: export now */
		e = dec_m1_find_const(&st->m1, st->card.st.ua);
		return e == NULL || e->change_ctr != st->card.st.change_ctr;
	case DEC_EXPORT_INTERVAL:
		return dec_deadline_passed(st->next_export, now);
	case DEC_EXPORT_ASKED:
		return 1;
	case DEC_EXPORT_USAGE:
		return !st->card.st.locked &&
		    dec_deadline_passed(dec_export_usage_at(st), now);
	default:
		return 0;
	}
}

time_t
dec_export_usage_at(const struct dec_state *st)
{
	const struct dec_m1_entry *e;
	time_t at = st->usage_since, last;

	if (st->cfg.usage_export_gap == 0 || at == 0 || !st->has_card)
		return 0;
	if ((e = dec_m1_find_const(&st->m1, st->card.st.ua)) != NULL) {
		/* a clock set back: the gap counts from the change */
		last =
		    e->exported_at < (uint64_t)at ? (time_t)e->exported_at : at;
		if (last + (time_t)st->cfg.usage_export_gap > at)
			at = last + (time_t)st->cfg.usage_export_gap;
	}
	return st->usage_retry > at ? st->usage_retry : at;
}

static int
failed(struct dec_export_result *res, enum dec_export_step step, int rc)
{
	res->step = step;
	res->rc = rc;
	return rc;
}

/* M1 is full of other cards' pending entries: an uplink makes room. */
static void
ask_uplink(struct dec_state *st, time_t now)
{
	if (st->m1_full_at != 0 && now - st->m1_full_at < DEC_M1_FULL_GAP)
		return;
	st->m1_full_at = now;
	st->uplink_asked = 1;
	proto_log(PROTO_LOG_NOTICE,
	    "M1 is full (%zu entries wait for the center): asking for an "
	    "uplink",
	    dec_m1_pending(&st->m1));
}

static const char *
m1_refusal(int rc)
{
	switch (rc) {
	case PROTO_ERR_AUTH:
		return "its signature does not verify under the card's "
		       "certified key";
	case PROTO_ERR_EXISTS:
		return "M1 holds an entry of this UA made by another key";
	case PROTO_ERR_RANGE:
		return "M1 holds a block of this card with an export sequence "
		       "as high";
	default:
		return proto_strerror(rc);
	}
}

/* Put the block into the next M1 and the file; then M1 is that. */
static int
store_block(struct dec_state *st, struct dec_export_result *res,
    const uint8_t *block, size_t len)
{
	int rc, err;

	st->m1_next = st->m1;
	if ((rc = dec_m1_put_verified(&st->m1_next, block, len, st->cert_pub,
		 st->card.st.change_ctr, (uint64_t)time(NULL))) != 0) {
		if (rc == PROTO_ERR_TOOBIG) {
			dec_state_failed(st, res->why,
			    "M1 is full: %zu entries wait for the center",
			    dec_m1_pending(&st->m1));
			ask_uplink(st, time(NULL));
		} else {
			dec_state_failed(st, res->why,
			    "M1 refused the block of card %s: %s",
			    DEC_UA(res->ua), m1_refusal(rc));
		}
		return failed(res,
		    rc == PROTO_ERR_TOOBIG ? DEC_EXPORT_M1_FULL :
					     DEC_EXPORT_M1_REFUSED,
		    rc);
	}
	if ((rc = dec_m1_save(st->cfg.m1, &st->key, &st->m1_next)) != 0) {
		err = errno;
		dec_state_failed(st, res->why, "cannot write %.180s: %s",
		    st->cfg.m1,
		    rc == PROTO_ERR_IO ? strerror(err) : proto_strerror(rc));
		return failed(res, DEC_EXPORT_M1_WRITE, rc);
	}
	st->m1 = st->m1_next;
	return 0;
}

static const char *
cert_why(enum dec_cert_verdict v)
{
	switch (v) {
	case DEC_CERT_OK:
		return "certified";
	case DEC_CERT_NONE:
		return "it has no certificate";
	case DEC_CERT_BAD:
		return "its certificate is not our operator's for this card";
	case DEC_CERT_UNANSWERED:
		return "it did not answer for its certificate";
	default:
		return "its certificate was not read";
	}
}

/* Read the certificate and judge it, inside an operation. */
static int
certify(struct dec_state *st)
{
	uint8_t buf[PROTO_CERT_LEN];
	struct proto_cert c = { 0 };
	int rc;

	memset(st->cert_pub, 0, sizeof(st->cert_pub));
	rc = dec_session_cert(st, buf);
	if (rc == 0)
		st->cert_verdict =
		    proto_cert_verify(buf, sizeof(buf), st->issuer, &c) == 0 &&
			memcmp(c.ua, st->card.st.ua, PROTO_UA_LEN) == 0 ?
		    DEC_CERT_OK :
		    DEC_CERT_BAD;
	else if (rc == PROTO_ERR_NOTFOUND)
		st->cert_verdict = DEC_CERT_NONE;
	else if (rc == PROTO_ERR_FORMAT)
		st->cert_verdict = DEC_CERT_BAD;
	else
		st->cert_verdict = DEC_CERT_UNANSWERED;
	if (st->cert_verdict == DEC_CERT_OK)
		memcpy(st->cert_pub, c.pub, sizeof(st->cert_pub));
	return rc == PROTO_ERR_NOTFOUND || rc == PROTO_ERR_FORMAT ? 0 : rc;
}

int
dec_export_certify(struct dec_state *st)
{
	int rc;

	if (!st->has_card)
		return PROTO_ERR_STATE;
	rc = certify(st);
	if (st->cert_verdict != DEC_CERT_OK && rc != PROTO_ERR_IO)
		proto_log(PROTO_LOG_WARNING,
		    "%s: card %s: %s; none of its blocks may enter M1",
		    __func__, DEC_UA(st->card.st.ua),
		    cert_why(st->cert_verdict));
	return rc;
}

const char *
dec_export_cert_name(enum dec_cert_verdict v)
{
	static const char *const names[] = { [DEC_CERT_UNREAD] = "unread",
		[DEC_CERT_OK] = "ok",
		[DEC_CERT_NONE] = "none",
		[DEC_CERT_BAD] = "bad",
		[DEC_CERT_UNANSWERED] = "unanswered" };

	return (size_t)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

/* The export, inside the card operation dec_export_run holds. */
static int
export_card(struct dec_state *st, const char *reason, int fresh,
    struct dec_export_result *res)
{
	uint8_t block[PROTO_BLOCK_MAX];
	struct proto_block b;
	size_t len = 0;
	uint16_t sw = 0;
	int rc;

	if (!fresh && (rc = dec_session_refresh(st)) != 0) {
		dec_state_failed(st, res->why, "the card did not answer: %s",
		    proto_strerror(rc));
		return failed(res, DEC_EXPORT_NO_ANSWER, rc);
	}
	memcpy(res->ua, st->card.st.ua, PROTO_UA_LEN);
	if (st->card.st.locked) {
		dec_state_failed(st, res->why, "card %s is transfer-locked",
		    DEC_UA(res->ua));
		return failed(res, DEC_EXPORT_LOCKED, PROTO_ERR_STATE);
	}
	/* Read afresh at every export: a card swapped for another under
	 * the same UA, across a reset, cannot pass on the first one's. */
	if ((rc = certify(st)) != 0) {
		dec_state_failed(st, res->why,
		    "the card did not answer for its certificate: %s",
		    proto_strerror(rc));
		return failed(res, DEC_EXPORT_NO_ANSWER, rc);
	}
	if (st->cert_verdict != DEC_CERT_OK) {
		dec_state_failed(st, res->why,
		    "card %s may not export into M1: %s", DEC_UA(res->ua),
		    cert_why(st->cert_verdict));
		return failed(res, DEC_EXPORT_UNCERTIFIED, PROTO_ERR_AUTH);
	}
	if ((rc = dec_session_block(st, SM_INS_EXPORT, NULL, block, &len,
		 &sw)) != 0) {
		res->sw = sw;
		dec_state_failed(st, res->why, "EXPORT failed: %s",
		    rc == PROTO_ERR_STATE ? proto_sw_str(sw) :
					    proto_strerror(rc));
		return failed(res, DEC_EXPORT_REFUSED, rc);
	}
	if ((rc = store_block(st, res, block, len)) != 0)
		return rc;
	/* dec_card_block checked it parses, and is this card's */
	(void)proto_block_parse(block, len, &b);
	res->seq = b.seq;
	res->len = len;
	(void)dec_session_refresh(st);
	st->last_export = time(NULL);
	st->last_export_seq = b.seq;
	st->usage_since = st->usage_retry = 0; /* the block carries it */
	proto_log(PROTO_LOG_NOTICE,
	    "exported card %s (seq %u, %zu bytes, %s) into M1", DEC_UA(res->ua),
	    b.seq, len, reason);
	return 0;
}

int
dec_export_run(struct dec_state *st, const char *reason, int fresh,
    struct dec_export_result *res)
{
	int rc;

	memset(res, 0, sizeof(*res));
	if (!st->has_card) {
		dec_state_failed(st, res->why, "no card");
		return failed(res, DEC_EXPORT_NO_CARD, PROTO_ERR_STATE);
	}
	memcpy(res->ua, st->card.st.ua, PROTO_UA_LEN);
	if ((rc = dec_session_begin(st)) != 0) {
		st->n.export_failures++;
		if (st->held)
			dec_state_failed(st, res->why, "%s",
			    dec_session_why(st, rc));
		else
			dec_state_failed(st, res->why,
			    "the card did not answer: %s", proto_strerror(rc));
		return failed(res,
		    st->held ? DEC_EXPORT_HELD : DEC_EXPORT_NO_ANSWER, rc);
	}
	/* The card calls inside are nested operations: they tell the
	 * session of a lost card; an M1 file's I/O error is no card's. */
	rc = export_card(st, reason, fresh, res);
	(void)dec_session_end(st, 0);
	if (rc == 0)
		st->n.exports++;
	else
		st->n.export_failures++;
	return rc;
}

void
dec_export_schedule(struct dec_state *st, time_t now)
{
	st->next_export = dec_deadline(now, st->cfg.export_interval);
}

/* The sooner of two deadlines (0: none). */
static time_t
sooner(time_t a, time_t b)
{
	return a == 0 || (b != 0 && b < a) ? b : a;
}

time_t
dec_export_deadline(const struct dec_state *st)
{
	time_t t;

	if (!st->has_card)
		return 0;
	t = sooner(st->next_export, st->export_retry);
	/* a locked card waits for its unlock, not for the clock */
	return st->card.st.locked ? t : sooner(t, dec_export_usage_at(st));
}

/*
 * An export failed or could not start: the policy looks again soon when
 * another program holds the card, and a pending usage export waits (a
 * second when held, else a gap), so a failing one is not tried at every
 * turn of the loop.
 */
static void
not_now(struct dec_state *st, int held, time_t now)
{
	st->export_retry = held ? now + DEC_HELD_RETRY : 0;
	if (st->usage_since != 0)
		st->usage_retry = now +
		    (held ? DEC_HELD_RETRY : (time_t)st->cfg.usage_export_gap);
}

/*
 * The policy at now, on st->card.st as last read: a change of M2 proper
 * exports at once, a change of usage once its gap passed.
 */
static void
policy(struct dec_state *st, const char *reason, time_t now)
{
	struct dec_export_result res;
	int changed = dec_export_due(st, DEC_EXPORT_CHANGED, now);

	if (!changed && !dec_export_due(st, DEC_EXPORT_USAGE, now))
		return;
	if (changed && (st->card.st.flags & PROTO_M2_FLAG_EXPORT))
		reason = "the center's export now";
	if (dec_export_run(st, changed ? reason : "usage changed", 1, &res) !=
	    0) {
		proto_log(PROTO_LOG_ERR, "%s: export of card %s failed: %s",
		    __func__, DEC_UA(res.ua), res.why);
		not_now(st, res.step == DEC_EXPORT_HELD, now);
	} else {
		st->export_retry = 0;
	}
	dec_export_schedule(st, now);
}

void
dec_export_if_changed(struct dec_state *st, const char *reason)
{
	policy(st, reason, time(NULL));
}

/* The card's state read afresh, then the policy. */
static void
after(struct dec_state *st, const char *reason, time_t now)
{
	if (!st->has_card)
		return;
	if (dec_session_refresh(st) == 0)
		policy(st, reason, now);
	else
		not_now(st, st->held, now);
}

void
dec_export_after(struct dec_state *st, const char *reason)
{
	after(st, reason, time(NULL));
}

void
dec_export_tick(struct dec_state *st, time_t now)
{
	struct dec_export_result res;

	if (dec_deadline_passed(st->export_retry, now) && st->has_card) {
		st->export_retry = 0;
		after(st, "card released", now);
	}
	if (dec_export_due(st, DEC_EXPORT_USAGE, now))
		after(st, "usage changed", now);
	if (!dec_export_due(st, DEC_EXPORT_INTERVAL, now))
		return;
	if (dec_export_run(st, "interval", 0, &res) != 0)
		proto_log(PROTO_LOG_WARNING, "%s: periodic export: %s",
		    __func__, res.why);
	st->export_retry = res.step == DEC_EXPORT_HELD ? now + DEC_HELD_RETRY :
							 st->export_retry;
	dec_export_schedule(st, time(NULL));
}
