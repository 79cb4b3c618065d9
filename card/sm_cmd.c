/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PROCESS COMMAND: a command the center signed for this card's UA, with a
 * counter above the last one accepted: unlock the transfer lock,
 * acknowledge purchases, reload credit, grant or revoke a right.  An
 * applied command moves the change counter.
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
apply_command(struct card_sm_state *s, const struct proto_cmd *c)
{
	int i;

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
		if ((i = find_right(s, (uint16_t)c->arg1)) < 0) {
			if (s->n_rights == PROTO_M2_MAX_RIGHTS)
				return PROTO_SW_NOT_ENOUGH_MEMORY;
			i = s->n_rights++;
		}
		s->rights[i].channel = (uint16_t)c->arg1;
		s->rights[i].expiry = c->arg2;
		return PROTO_SW_OK;
	case PROTO_CMD_REVOKE:
		if ((i = find_right(s, (uint16_t)c->arg1)) < 0)
			return PROTO_SW_REF_NOT_FOUND;
		s->rights[i] = s->rights[--s->n_rights];
		memset(&s->rights[s->n_rights], 0, sizeof(s->rights[0]));
		return PROTO_SW_OK;
	default:
		return PROTO_SW_WRONG_DATA;
	}
}

uint16_t
card_sm_process_command(struct card_ctx *ctx, struct card_sm_state *s)
{
	const struct proto_apdu *a = ctx->apdu;
	struct proto_cmd c;
	const uint8_t *sp, *sig;
	uint32_t *ctr;
	size_t slen;
	uint16_t sw;

	if (a->p1 != 0 || a->p2 != 0)
		return PROTO_SW_INCORRECT_P1P2;
	if (a->lc == 0)
		return PROTO_SW_WRONG_LENGTH;
	if (proto_cmd_parse(a->data, a->lc, &c, &sp, &slen, &sig) != 0)
		return PROTO_SW_WRONG_DATA;
	if (proto_ec_verify(s->center_pub, sp, slen, sig) != 0)
		return PROTO_SW_SECURITY;
	if (memcmp(c.ua, s->ua, PROTO_UA_LEN) != 0)
		return SM_SW_OTHER_UA;
	ctr = c.path == PROTO_CMD_PATH_BROADCAST ? &s->bcast_ctr : &s->cmd_ctr;
	if (c.counter <= *ctr)
		return SM_SW_REPLAYED;
	if ((sw = apply_command(s, &c)) != PROTO_SW_OK)
		return sw;
	*ctr = c.counter;
	s->change_ctr++;
	return card_sm_save(ctx, s) == 0 ? PROTO_SW_OK : PROTO_SW_UNKNOWN;
}
