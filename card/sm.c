/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The security-module applet: its AID, SELECT, the dispatch of its APDUs
 * (card/APDU.md), GET DATA, and EXPORT / UPLINK BLOCKS.  PROCESS ECM and
 * BUY EVENT are in sm_ecm.c, PROCESS COMMAND in sm_cmd.c, the state codec
 * in sm_state.c, personalization in sm_perso.c.
 *
 * Each APDU runs on a decoded copy of the persistent state, written back
 * whole in one transaction when the APDU changes anything; the copy holds
 * the card's keys and is wiped on every path.
 *
 * The change counter moves when M2's data that the center must see
 * changes: a purchase, a consumed command (applied or refused: its
 * outcome is new).  Usage counters (ECMs, control words, denials,
 * power-ups) are exported too but do not move it.
 */
#include <string.h>

#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "../proto/proto.h"
#include "sm.h"
#include "sm_apdu.h"
#include "sm_state.h"

#define STATE_SIZE(f) PROTO_MEMBER_SIZE(struct card_sm_state, f)

_Static_assert(SM_STATE_LEN ==
	STATE_SIZE(ua) + STATE_SIZE(locked) + STATE_SIZE(change_ctr) +
	    STATE_SIZE(export_seq) + STATE_SIZE(credit) +
	    sizeof(uint8_t) /* free log entries */ + STATE_SIZE(purchase_seq) +
	    STATE_SIZE(acked_seq) + STATE_SIZE(cmd_ctr) + STATE_SIZE(flags) +
	    STATE_SIZE(bcast_ctr),
    "GET DATA's state object is the fields put_state writes");

static const uint8_t sm_aid[SM_AID_LEN] = SM_AID_INIT;

/* --- GET DATA ------------------------------------------------------------ */

static int
put_state(const struct card_sm_state *s, struct proto_wr *w)
{
	int rc;

	if ((rc = proto_wr_bytes(w, s->ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_wr_u8(w, s->locked)) != 0 ||
	    (rc = proto_wr_u32(w, s->change_ctr)) != 0 ||
	    (rc = proto_wr_u32(w, s->export_seq)) != 0 ||
	    (rc = proto_wr_u32(w, s->credit)) != 0 ||
	    (rc = proto_wr_u8(w, (uint8_t)card_sm_free_log(s))) != 0 ||
	    (rc = proto_wr_u32(w, s->purchase_seq)) != 0 ||
	    (rc = proto_wr_u32(w, s->acked_seq)) != 0 ||
	    (rc = proto_wr_u32(w, s->cmd_ctr)) != 0 ||
	    (rc = proto_wr_u8(w, s->flags)) != 0 ||
	    (rc = proto_wr_u32(w, s->bcast_ctr)) != 0)
		return rc;
	return 0;
}

static uint16_t
get_data(struct card_ctx *ctx, const struct card_sm_state *s)
{
	const struct proto_apdu *a = ctx->apdu;
	struct proto_wr *w = ctx->resp;
	int rc;

	if (a->lc != 0)
		return PROTO_SW_WRONG_LENGTH;
	if (a->p1 != SM_DO_P1)
		return PROTO_SW_INCORRECT_P1P2;
	switch (a->p2) {
	case SM_DO_STATE:
		rc = put_state(s, w);
		break;
	case SM_DO_UA:
		rc = proto_wr_bytes(w, s->ua, PROTO_UA_LEN);
		break;
	case SM_DO_VERSIONS:
		rc = proto_wr_bytes(w, s->versions, PROTO_VERSIONS_LEN);
		break;
	case SM_DO_LOCK:
		rc = proto_wr_u8(w, s->locked);
		break;
	case SM_DO_CHANGE_CTR:
		rc = proto_wr_u32(w, s->change_ctr);
		break;
	case SM_DO_EXPORT_SEQ:
		rc = proto_wr_u32(w, s->export_seq);
		break;
	case SM_DO_FREE_LOG:
		rc = proto_wr_u8(w, (uint8_t)card_sm_free_log(s));
		break;
	case SM_DO_PUBKEY:
		rc = proto_wr_bytes(w, s->keys.sign_pub, PROTO_EC_PUB_LEN);
		break;
	case SM_DO_CREDIT:
		rc = proto_wr_u32(w, s->credit);
		break;
	case SM_DO_CERT:
		if (!s->has_cert)
			return PROTO_SW_REF_NOT_FOUND;
		rc = proto_wr_bytes(w, s->cert, PROTO_CERT_LEN);
		break;
	case SM_DO_OUTCOMES:
		rc = proto_outcomes_write(w, s->outcomes, s->n_outcomes);
		break;
	default:
		return PROTO_SW_INCORRECT_P1P2;
	}
	return rc == 0 ? PROTO_SW_OK : PROTO_SW_UNKNOWN;
}

/* --- EXPORT and UPLINK BLOCKS ------------------------------------------- */

/*
 * EXPORT (kind 01) takes no data; UPLINK BLOCKS (kind 02) takes the
 * session's challenge, signed into its block.
 */
static uint16_t
export_block(struct card_ctx *ctx, struct card_sm_state *s, uint8_t kind)
{
	const struct proto_apdu *a = ctx->apdu;
	const uint8_t *challenge = NULL;
	uint8_t body[PROTO_M2_MAX_LEN];
	struct proto_m2 m;
	struct proto_wr w;
	uint16_t sw = PROTO_SW_UNKNOWN;

	memset(&m, 0, sizeof(m));
	if (a->p1 != 0 || a->p2 != 0) {
		sw = PROTO_SW_INCORRECT_P1P2;
		goto out;
	}
	if (a->lc != (kind == PROTO_BLOCK_UPLINK ? SM_UPLINK_LC : 0)) {
		sw = PROTO_SW_WRONG_LENGTH;
		goto out;
	}
	if (kind == PROTO_BLOCK_UPLINK)
		challenge = a->data;
	if (kind == PROTO_BLOCK_EXPORT && s->locked) {
		sw = PROTO_SW_CONDITIONS;
		goto out;
	}
	/*
	 * The sequence number is committed before the block leaves: a tear
	 * after this point loses a number, never reuses one.  An EXPORT also
	 * answers the center's request for one (command 06) in the same
	 * transaction.
	 */
	card_sm_expire(s);
	if (kind == PROTO_BLOCK_EXPORT)
		s->flags &= (uint8_t)~PROTO_M2_FLAG_EXPORT;
	s->export_seq++;
	if (card_sm_save(ctx, s) != 0)
		goto out;
	card_sm_to_m2(s, &m);
	proto_wr_init(&w, body, sizeof(body));
	if (proto_m2_encode(&m, &w) == 0 &&
	    proto_block_seal(kind, s->ua, s->export_seq, challenge, &s->keys,
		body, proto_wr_len(&w), ctx->resp) == 0)
		sw = PROTO_SW_OK;
out:
	proto_cleanse(body, sizeof(body));
	proto_m2_clear(&m);
	return sw;
}

/* --- dispatch ---------------------------------------------------------------- */

static uint16_t
sm_dispatch(struct card_ctx *ctx, struct card_sm_state *s)
{
	const struct proto_apdu *a = ctx->apdu;

	if (a->ins == SM_INS_GET_DATA &&
	    (a->cla == PROTO_CLA_ISO || a->cla == SM_CLA))
		return get_data(ctx, s);
	if (a->cla != SM_CLA)
		return a->cla == PROTO_CLA_ISO ? PROTO_SW_INS_NOT_SUPPORTED :
						 PROTO_SW_CLA_NOT_SUPPORTED;
	switch (a->ins) {
	case SM_INS_PROCESS_ECM:
		return card_sm_process_ecm(ctx, s);
	case SM_INS_BUY_EVENT:
		return card_sm_buy_event(ctx, s);
	case SM_INS_EXPORT:
		return export_block(ctx, s, PROTO_BLOCK_EXPORT);
	case SM_INS_UPLINK:
		return export_block(ctx, s, PROTO_BLOCK_UPLINK);
	case SM_INS_COMMAND:
		return card_sm_process_command(ctx, s);
	default:
		return PROTO_SW_INS_NOT_SUPPORTED;
	}
}

static uint16_t
sm_process(struct card_ctx *ctx)
{
	struct card_sm_state s;
	uint16_t sw;

	if (card_sm_load(ctx->store, ctx->region, &s) != 0)
		sw = PROTO_SW_UNKNOWN;
	else
		sw = sm_dispatch(ctx, &s);
	card_sm_state_clear(&s);
	return sw;
}

static uint16_t
sm_select(struct card_ctx *ctx)
{
	if (ctx->first_select)
		ctx->transient[CARD_SM_TRANSIENT_POWERUP] = 1;
	return PROTO_SW_OK;
}

const struct card_applet card_sm_applet = {
	.name = "security-module",
	.aid = sm_aid,
	.aidlen = sizeof(sm_aid),
	.region_size = CARD_SM_REGION_SIZE,
	.install = NULL,
	.select = sm_select,
	.process = sm_process,
};
