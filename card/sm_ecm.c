/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PROCESS ECM and BUY EVENT: the control words for what the card is
 * entitled to (a subscription right, or an event bought and running), and
 * impulse purchases on the card's credit.  Every ECM that authenticates
 * moves the usage counters and the card's clock, and drops the rights
 * that clock has passed; only a purchase moves the change counter.  A
 * disabled card answers both 9103 and changes nothing; a transfer-locked
 * card buys nothing (9205), so nothing it records can be stranded on it
 * before its first uplink, while its rights and ECMs keep working.
 */
#include <string.h>

#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "../proto/proto.h"
#include "sm_apdu.h"

static uint16_t
open_ecm(struct card_ctx *ctx, const struct card_sm_state *s,
    struct proto_ecm *e, uint8_t cw[PROTO_CW_LEN])
{
	const struct proto_apdu *a = ctx->apdu;
	int rc;

	if (a->p1 != 0 || a->p2 != 0)
		return PROTO_SW_INCORRECT_P1P2;
	if (a->lc == 0)
		return PROTO_SW_WRONG_LENGTH;
	rc = proto_ecm_open(a->data, a->lc, s->ecm_key, e, cw);
	if (rc == PROTO_ERR_AUTH)
		return PROTO_SW_SECURITY;
	return rc == 0 ? PROTO_SW_OK : PROTO_SW_WRONG_DATA;
}

static int
has_right(const struct card_sm_state *s, uint16_t channel, uint32_t now)
{
	for (unsigned i = 0; i < s->n_rights; i++)
		if (s->rights[i].channel == channel &&
		    now < s->rights[i].expiry)
			return 1;
	return 0;
}

static int
find_bought(const struct card_sm_state *s, uint32_t event)
{
	for (unsigned i = 0; i < s->n_bought; i++)
		if (s->bought[i].event == event)
			return (int)i;
	return -1;
}

static void
count_ecm(struct card_sm_state *s, uint16_t channel)
{
	for (unsigned i = 0; i < s->n_counts; i++) {
		if (s->counts[i].channel == channel) {
			s->counts[i].ecms++;
			return;
		}
	}
	/* A full table counts the totals only. */
	if (s->n_counts < PROTO_M2_MAX_CHANNELS) {
		s->counts[s->n_counts].channel = channel;
		s->counts[s->n_counts].ecms = 1;
		s->n_counts++;
	}
}

static void
advance_time(struct card_sm_state *s, uint32_t t)
{
	if (t > s->card_time)
		s->card_time = t;
}

uint16_t
card_sm_process_ecm(struct card_ctx *ctx, struct card_sm_state *s)
{
	struct proto_ecm e;
	uint8_t cw[PROTO_CW_LEN];
	uint16_t sw;
	int entitled, b;

	if ((sw = open_ecm(ctx, s, &e, cw)) != PROTO_SW_OK)
		goto out;
	if (s->flags & PROTO_M2_FLAG_DISABLED) {
		sw = SM_SW_DISABLED;
		goto out;
	}
	count_ecm(s, e.channel);
	advance_time(s, e.time);
	card_sm_expire(s);
	b = find_bought(s, e.event);
	entitled = ((e.flags & PROTO_ECM_SUBSCRIPTION) &&
		       has_right(s, e.channel, e.time)) ||
	    (b >= 0 && e.time < s->bought[b].expiry);
	if (entitled)
		s->cws++;
	else
		s->denials++;
	if (card_sm_save(ctx, s) != 0) {
		sw = PROTO_SW_UNKNOWN;
		goto out;
	}
	if (entitled) {
		sw = proto_wr_bytes(ctx->resp, cw, sizeof(cw)) == 0 ?
		    PROTO_SW_OK :
		    PROTO_SW_UNKNOWN;
	} else if ((e.flags & PROTO_ECM_PPV) && e.time < e.event_end) {
		if (proto_wr_u32(ctx->resp, e.event) != 0 ||
		    proto_wr_u32(ctx->resp, e.price) != 0 ||
		    proto_wr_u16(ctx->resp, e.channel) != 0)
			sw = PROTO_SW_UNKNOWN;
		else
			sw = SM_SW_PURCHASE_POSSIBLE;
	} else {
		sw = SM_SW_NOT_ENTITLED;
	}
out:
	proto_cleanse(cw, sizeof(cw));
	return sw;
}

/* Forget bought events that are over, by the card's clock. */
static void
expire_bought(struct card_sm_state *s)
{
	unsigned j = 0;

	for (unsigned i = 0; i < s->n_bought; i++)
		if (s->bought[i].expiry > s->card_time)
			s->bought[j++] = s->bought[i];
	for (unsigned i = j; i < s->n_bought; i++)
		memset(&s->bought[i], 0, sizeof(s->bought[i]));
	s->n_bought = (uint8_t)j;
}

static uint16_t
buy_checks(const struct card_sm_state *s, const struct proto_ecm *e)
{
	if (s->flags & PROTO_M2_FLAG_DISABLED)
		return SM_SW_DISABLED;
	if (s->locked)
		return SM_SW_LOCKED;
	if (!(e->flags & PROTO_ECM_PPV) || e->time >= e->event_end)
		return SM_SW_NOT_PURCHASABLE;
	if (find_bought(s, e->event) >= 0)
		return SM_SW_ALREADY_BOUGHT;
	if (s->credit < e->price)
		return SM_SW_NO_CREDIT;
	if (card_sm_free_log(s) == 0)
		return SM_SW_LOG_FULL;
	return PROTO_SW_OK;
}

uint16_t
card_sm_buy_event(struct card_ctx *ctx, struct card_sm_state *s)
{
	struct proto_purchase *p;
	struct proto_ecm e;
	uint16_t sw;

	if ((sw = open_ecm(ctx, s, &e, NULL)) != PROTO_SW_OK ||
	    (sw = buy_checks(s, &e)) != PROTO_SW_OK)
		return sw;
	advance_time(s, e.time);
	card_sm_expire(s);
	expire_bought(s);
	if (s->n_bought == SM_MAX_BOUGHT)
		return PROTO_SW_NOT_ENOUGH_MEMORY;
	s->credit -= e.price;
	s->purchase_seq++;
	p = &s->log[(s->purchase_seq - 1) % CARD_SM_LOG_SIZE];
	p->seq = s->purchase_seq;
	p->event = e.event;
	p->channel = e.channel;
	p->price = e.price;
	p->time = e.time;
	s->bought[s->n_bought].event = e.event;
	s->bought[s->n_bought].expiry = e.event_end;
	s->n_bought++;
	s->change_ctr++;
	if (card_sm_save(ctx, s) != 0)
		return PROTO_SW_UNKNOWN;
	if (proto_wr_u32(ctx->resp, s->purchase_seq) != 0 ||
	    proto_wr_u32(ctx->resp, s->credit) != 0)
		return PROTO_SW_UNKNOWN;
	return PROTO_SW_OK;
}
