/* SPDX-License-Identifier: BSD-2-Clause */
/* The first contact of a transfer-locked card (contact.h). */
#include <limits.h>
#include <string.h>

#include "../proto/log.h"
#include "contact.h"

unsigned
dec_contact_backoff(unsigned wait, unsigned cap)
{
	unsigned next = wait == 0 ? DEC_CONTACT_FIRST_WAIT :
	    wait > UINT_MAX / 2   ? UINT_MAX :
				    2 * wait;

	return next < cap ? next : cap;
}

static void
contact_end(struct dec_state *st)
{
	st->contact_at = 0;
	st->contact_wait = 0;
}

void
dec_contact_arrived(struct dec_state *st, time_t now)
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
dec_contact_due(struct dec_state *st, time_t now)
{
	if (st->contact_at == 0)
		return 0;
	if (!dec_state_card_is(st, st->contact_ua) || !st->card.st.locked) {
		contact_end(st);
		return 0;
	}
	return st->sync == NULL && dec_deadline_passed(st->contact_at, now);
}

time_t
dec_contact_deadline(const struct dec_state *st)
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
dec_contact_after(struct dec_state *st, const struct dec_sync_result *res,
    time_t now)
{
	if (st->contact_at == 0)
		return;
	st->contact_tries++;
	if (!dec_state_card_is(st, st->contact_ua)) {
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
	    dec_contact_backoff(st->contact_wait, st->cfg.first_contact_max);
	st->contact_at = now + st->contact_wait;
	proto_log(PROTO_LOG_NOTICE,
	    "first contact of card %s: %s; trying again in %u s",
	    DEC_UA(st->contact_ua), contact_failure(res), st->contact_wait);
}
