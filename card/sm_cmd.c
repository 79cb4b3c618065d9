/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PROCESS COMMAND: a command the center signed for this card's UA, with a
 * counter above the last one accepted on its path (uplink session or
 * broadcast): unlock the transfer lock, acknowledge purchases, reload
 * credit, grant or revoke a right, ask for an export, disable the card.
 *
 * A command that is authentic, for this card and fresh on its path is
 * consumed whether or not it can be carried out: its counter is taken,
 * its outcome (9000, or the reason it was refused) goes into the outcome
 * ring M2 carries, and the change counter moves, all in one transaction.
 * A refused one answers 9303 with the reason as data, so one command the
 * card cannot carry out never blocks those queued after it.  A malformed,
 * forged, replayed or other card's command changes nothing.
 */
#include <string.h>

#include "../proto/crypto.h"
#include "../proto/proto.h"
#include "sm_apdu.h"

static int
find_right(const struct card_sm_state *s, uint16_t channel)
{
	for (unsigned i = 0; i < s->n_rights; i++)
		if (s->rights[i].channel == channel)
			return (int)i;
	return -1;
}

static uint16_t
grant(struct card_sm_state *s, uint16_t channel, uint32_t expiry)
{
	int i;

	if ((i = find_right(s, channel)) < 0) {
		if (s->n_rights == PROTO_M2_MAX_RIGHTS)
			return PROTO_SW_NOT_ENOUGH_MEMORY;
		i = s->n_rights++;
	}
	s->rights[i].channel = channel;
	s->rights[i].expiry = expiry;
	return PROTO_SW_OK;
}

static uint16_t
revoke(struct card_sm_state *s, uint16_t channel)
{
	int i;

	if ((i = find_right(s, channel)) < 0)
		return PROTO_SW_REF_NOT_FOUND;
	s->rights[i] = s->rights[--s->n_rights];
	memset(&s->rights[s->n_rights], 0, sizeof(s->rights[0]));
	return PROTO_SW_OK;
}

/* Carry c out; a refusal (its reason returned) has changed nothing. */
static uint16_t
apply_command(struct card_sm_state *s, const struct proto_cmd *c)
{
	switch (c->type) {
	case PROTO_CMD_UNLOCK:
		s->locked = 0;
		return PROTO_SW_OK;
	case PROTO_CMD_ACK:
		if (c->arg1 > s->purchase_seq)
			return PROTO_SW_WRONG_DATA;
		if (c->arg1 > s->acked_seq)
			s->acked_seq = c->arg1;
		return PROTO_SW_OK;
	case PROTO_CMD_RELOAD:
		if (c->arg1 > UINT32_MAX - s->credit)
			return PROTO_SW_WRONG_DATA;
		s->credit += c->arg1;
		return PROTO_SW_OK;
	case PROTO_CMD_GRANT:
		return grant(s, (uint16_t)c->arg1, c->arg2);
	case PROTO_CMD_REVOKE:
		return revoke(s, (uint16_t)c->arg1);
	case PROTO_CMD_EXPORT:
		s->flags |= PROTO_M2_FLAG_EXPORT;
		return PROTO_SW_OK;
	case PROTO_CMD_DISABLE:
		s->flags |= PROTO_M2_FLAG_DISABLED;
		return PROTO_SW_OK;
	default: /* authentic, but of a type this card does not know */
		return PROTO_SW_FUNC_NOT_SUPPORTED;
	}
}

/* The latest PROTO_M2_MAX_OUTCOMES outcomes, oldest first. */
static void
record_outcome(struct card_sm_state *s, const struct proto_cmd *c, uint16_t sw)
{
	if (s->n_outcomes == PROTO_M2_MAX_OUTCOMES) {
		memmove(s->outcomes, s->outcomes + 1,
		    sizeof(s->outcomes[0]) * (PROTO_M2_MAX_OUTCOMES - 1));
		s->n_outcomes--;
	}
	s->outcomes[s->n_outcomes++] = (struct proto_outcome){ .path = c->path,
		.counter = c->counter,
		.type = c->type,
		.sw = sw };
}

/*
 * The checks that decide whether a command is consumed at all; none of
 * them changes anything.  *ctr: the counter of the command's path.
 */
static uint16_t
admit(const struct card_ctx *ctx, struct card_sm_state *s, struct proto_cmd *c,
    uint32_t **ctr)
{
	const struct proto_apdu *a = ctx->apdu;
	const uint8_t *sp, *sig;
	size_t slen;

	if (a->p1 != 0 || a->p2 != 0)
		return PROTO_SW_INCORRECT_P1P2;
	if (a->lc == 0)
		return PROTO_SW_WRONG_LENGTH;
	if (proto_cmd_parse(a->data, a->lc, c, &sp, &slen, &sig) != 0)
		return PROTO_SW_WRONG_DATA;
	if (proto_ec_verify(s->center_pub, sp, slen, sig) != 0)
		return PROTO_SW_SECURITY;
	if (memcmp(c->ua, s->ua, PROTO_UA_LEN) != 0)
		return SM_SW_OTHER_UA;
	*ctr =
	    c->path == PROTO_CMD_PATH_BROADCAST ? &s->bcast_ctr : &s->cmd_ctr;
	if (c->counter <= **ctr)
		return SM_SW_REPLAYED;
	return PROTO_SW_OK;
}

uint16_t
card_sm_process_command(struct card_ctx *ctx, struct card_sm_state *s)
{
	struct proto_cmd c;
	uint32_t *ctr = NULL;
	uint16_t sw;

	if ((sw = admit(ctx, s, &c, &ctr)) != PROTO_SW_OK)
		return sw;
	/* before: expired rights make room; after: a grant already over */
	card_sm_expire(s);
	sw = apply_command(s, &c);
	card_sm_expire(s);
	*ctr = c.counter;
	record_outcome(s, &c, sw);
	s->change_ctr++;
	if (card_sm_save(ctx, s) != 0)
		return PROTO_SW_UNKNOWN;
	if (sw == PROTO_SW_OK)
		return PROTO_SW_OK;
	/* consumed, not carried out: the reason as data */
	return proto_wr_u16(ctx->resp, sw) == 0 ? SM_SW_CMD_REFUSED :
						  PROTO_SW_UNKNOWN;
}
