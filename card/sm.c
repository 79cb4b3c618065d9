/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The security-module applet.
 *
 * Its persistent region is decoded into struct sm_state for each APDU
 * that needs it and, when the APDU changes anything, written back whole
 * inside one transaction: every change an APDU makes commits together or
 * not at all.  Keys are wiped from the stack copy on every path.
 *
 * The change counter moves when M2's data that the center must see
 * changes: a purchase, an applied command.  Usage counters (ECMs, control
 * words, denials, power-ups) are exported too but do not move it.
 */
#include <string.h>

#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "../proto/proto.h"
#include "sm.h"

#define LOG_SIZE PROTO_M2_MAX_PURCHASES
#define PURCHASE_REC_LEN 18
#define TRANSIENT_POWERUP 0 /* transient byte: a power-up to count */

static const uint8_t sm_aid[SM_AID_LEN] = SM_AID_INIT;

struct bought {
	uint32_t event;
	uint32_t expiry;
};

struct sm_state {
	uint8_t ua[PROTO_UA_LEN];
	uint8_t locked;
	uint32_t credit, purchase_seq, acked_seq, export_seq, change_ctr;
	uint32_t cmd_ctr, cws, denials, powerups, card_time;
	uint8_t versions[PROTO_VERSIONS_LEN];
	struct proto_card_keys keys;
	uint8_t center_pub[PROTO_EC_PUB_LEN];
	uint8_t ecm_key[PROTO_AES_KEY_LEN];
	uint8_t n_rights;
	struct proto_right rights[PROTO_M2_MAX_RIGHTS];
	uint8_t n_counts;
	struct proto_chan_count counts[PROTO_M2_MAX_CHANNELS];
	uint8_t n_bought;
	struct bought bought[SM_MAX_BOUGHT];
	struct proto_purchase log[LOG_SIZE]; /* slot (seq - 1) % LOG_SIZE */
};

#define REGION_SIZE                                                           \
	(PROTO_UA_LEN + 1 + 4 * 11 + PROTO_VERSIONS_LEN + PROTO_EC_PRIV_LEN + \
	    PROTO_EC_PUB_LEN + PROTO_AES_KEY_LEN + PROTO_EC_PUB_LEN +         \
	    PROTO_AES_KEY_LEN + 1 + 6 * PROTO_M2_MAX_RIGHTS + 1 +             \
	    6 * PROTO_M2_MAX_CHANNELS + 1 + 8 * SM_MAX_BOUGHT +               \
	    PURCHASE_REC_LEN * LOG_SIZE)

static int
rd_rights(struct proto_rd *r, struct sm_state *s)
{
	int rc;

	if ((rc = proto_rd_u8(r, &s->n_rights)) != 0)
		return rc;
	if (s->n_rights > PROTO_M2_MAX_RIGHTS)
		return PROTO_ERR_FORMAT;
	for (size_t i = 0; i < PROTO_M2_MAX_RIGHTS; i++)
		if ((rc = proto_pair_read(r, &s->rights[i].channel,
			 &s->rights[i].expiry)) != 0)
			return rc;
	return 0;
}

static int
rd_counts(struct proto_rd *r, struct sm_state *s)
{
	int rc;

	if ((rc = proto_rd_u8(r, &s->n_counts)) != 0)
		return rc;
	if (s->n_counts > PROTO_M2_MAX_CHANNELS)
		return PROTO_ERR_FORMAT;
	for (size_t i = 0; i < PROTO_M2_MAX_CHANNELS; i++)
		if ((rc = proto_pair_read(r, &s->counts[i].channel,
			 &s->counts[i].ecms)) != 0)
			return rc;
	return 0;
}

static int
decode_state(struct proto_rd *r, struct sm_state *s)
{
	uint32_t *u32s[] = { &s->credit, &s->purchase_seq, &s->acked_seq,
		&s->export_seq, &s->change_ctr, &s->cmd_ctr, &s->cws,
		&s->denials, &s->powerups, &s->card_time };
	uint32_t reserved;
	int rc;

	if ((rc = proto_rd_bytes(r, s->ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_rd_u8(r, &s->locked)) != 0)
		return rc;
	for (size_t i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++)
		if ((rc = proto_rd_u32(r, u32s[i])) != 0)
			return rc;
	if ((rc = proto_rd_u32(r, &reserved)) != 0 ||
	    (rc = proto_rd_bytes(r, s->versions, PROTO_VERSIONS_LEN)) != 0 ||
	    (rc = proto_rd_bytes(r, s->keys.sign_priv, PROTO_EC_PRIV_LEN)) ||
	    (rc = proto_rd_bytes(r, s->keys.sign_pub, PROTO_EC_PUB_LEN)) ||
	    (rc = proto_rd_bytes(r, s->keys.kt, PROTO_AES_KEY_LEN)) != 0 ||
	    (rc = proto_rd_bytes(r, s->center_pub, PROTO_EC_PUB_LEN)) != 0 ||
	    (rc = proto_rd_bytes(r, s->ecm_key, PROTO_AES_KEY_LEN)) != 0)
		return rc;
	if ((rc = rd_rights(r, s)) != 0 || (rc = rd_counts(r, s)) != 0 ||
	    (rc = proto_rd_u8(r, &s->n_bought)) != 0)
		return rc;
	if (s->n_bought > SM_MAX_BOUGHT)
		return PROTO_ERR_FORMAT;
	for (size_t i = 0; i < SM_MAX_BOUGHT; i++)
		if ((rc = proto_rd_u32(r, &s->bought[i].event)) != 0 ||
		    (rc = proto_rd_u32(r, &s->bought[i].expiry)) != 0)
			return rc;
	for (size_t i = 0; i < LOG_SIZE; i++)
		if ((rc = proto_purchase_read(r, &s->log[i])) != 0)
			return rc;
	if (s->acked_seq > s->purchase_seq ||
	    s->purchase_seq - s->acked_seq > LOG_SIZE)
		return PROTO_ERR_FORMAT;
	return proto_rd_end(r);
}

static int
encode_state(const struct sm_state *s, struct proto_wr *w)
{
	const uint32_t u32s[] = { s->credit, s->purchase_seq, s->acked_seq,
		s->export_seq, s->change_ctr, s->cmd_ctr, s->cws, s->denials,
		s->powerups, s->card_time, 0 };
	int rc;

	if ((rc = proto_wr_bytes(w, s->ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_wr_u8(w, s->locked)) != 0)
		return rc;
	for (size_t i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++)
		if ((rc = proto_wr_u32(w, u32s[i])) != 0)
			return rc;
	if ((rc = proto_wr_bytes(w, s->versions, PROTO_VERSIONS_LEN)) != 0 ||
	    (rc = proto_wr_bytes(w, s->keys.sign_priv, PROTO_EC_PRIV_LEN)) ||
	    (rc = proto_wr_bytes(w, s->keys.sign_pub, PROTO_EC_PUB_LEN)) ||
	    (rc = proto_wr_bytes(w, s->keys.kt, PROTO_AES_KEY_LEN)) != 0 ||
	    (rc = proto_wr_bytes(w, s->center_pub, PROTO_EC_PUB_LEN)) != 0 ||
	    (rc = proto_wr_bytes(w, s->ecm_key, PROTO_AES_KEY_LEN)) != 0 ||
	    (rc = proto_wr_u8(w, s->n_rights)) != 0)
		return rc;
	for (size_t i = 0; i < PROTO_M2_MAX_RIGHTS; i++)
		if ((rc = proto_pair_write(w, s->rights[i].channel,
			 s->rights[i].expiry)) != 0)
			return rc;
	if ((rc = proto_wr_u8(w, s->n_counts)) != 0)
		return rc;
	for (size_t i = 0; i < PROTO_M2_MAX_CHANNELS; i++)
		if ((rc = proto_pair_write(w, s->counts[i].channel,
			 s->counts[i].ecms)) != 0)
			return rc;
	if ((rc = proto_wr_u8(w, s->n_bought)) != 0)
		return rc;
	for (size_t i = 0; i < SM_MAX_BOUGHT; i++)
		if ((rc = proto_wr_u32(w, s->bought[i].event)) != 0 ||
		    (rc = proto_wr_u32(w, s->bought[i].expiry)) != 0)
			return rc;
	for (size_t i = 0; i < LOG_SIZE; i++)
		if ((rc = proto_purchase_write(w, &s->log[i])) != 0)
			return rc;
	return 0;
}

static int
sm_load(const struct card_store *store, int region, struct sm_state *s)
{
	struct proto_rd r;
	const uint8_t *p;
	size_t n;
	int rc;

	if ((rc = card_store_view(store, region, &p, &n)) != 0)
		return rc;
	memset(s, 0, sizeof(*s));
	proto_rd_init(&r, p, n);
	if ((rc = decode_state(&r, s)) != 0)
		proto_cleanse(s, sizeof(*s));
	return rc;
}

/* Write the whole state back in one transaction. */
static int
sm_store(struct card_store *store, int region, const struct sm_state *s)
{
	uint8_t buf[REGION_SIZE];
	struct proto_wr w;
	int rc;

	proto_wr_init(&w, buf, sizeof(buf));
	if ((rc = encode_state(s, &w)) == 0 &&
	    (rc = card_store_begin(store)) == 0) {
		if ((rc = card_store_write(store, region, 0, buf,
			 sizeof(buf))) == 0)
			rc = card_store_commit(store);
		else
			card_store_abort(store);
	}
	proto_cleanse(buf, sizeof(buf));
	return rc;
}

/* Commit s, counting a pending power-up in the same transaction. */
static int
sm_save(struct card_ctx *ctx, struct sm_state *s)
{
	int pending = ctx->transient[TRANSIENT_POWERUP], rc;

	if (pending)
		s->powerups++;
	if ((rc = sm_store(ctx->store, ctx->region, s)) == 0)
		ctx->transient[TRANSIENT_POWERUP] = 0;
	return rc;
}

static uint32_t
free_log(const struct sm_state *s)
{
	return LOG_SIZE - (s->purchase_seq - s->acked_seq);
}

static void
to_m2(const struct sm_state *s, struct proto_m2 *m)
{
	memset(m, 0, sizeof(*m));
	m->credit = s->credit;
	m->purchase_seq = s->purchase_seq;
	m->acked_seq = s->acked_seq;
	m->change_ctr = s->change_ctr;
	m->cmd_ctr = s->cmd_ctr;
	m->locked = s->locked;
	memcpy(m->versions, s->versions, PROTO_VERSIONS_LEN);
	m->cws = s->cws;
	m->denials = s->denials;
	m->powerups = s->powerups;
	m->n_counts = s->n_counts;
	memcpy(m->counts, s->counts, sizeof(m->counts));
	m->n_rights = s->n_rights;
	memcpy(m->rights, s->rights, sizeof(m->rights));
	m->n_purchases = (uint8_t)(s->purchase_seq - s->acked_seq);
	for (uint32_t i = 0; i < m->n_purchases; i++)
		m->purchases[i] = s->log[(s->acked_seq + i) % LOG_SIZE];
}

/* --- GET DATA ------------------------------------------------------------ */

static int
put_state(const struct sm_state *s, struct proto_wr *w)
{
	int rc;

	if ((rc = proto_wr_bytes(w, s->ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_wr_u8(w, s->locked)) != 0 ||
	    (rc = proto_wr_u32(w, s->change_ctr)) != 0 ||
	    (rc = proto_wr_u32(w, s->export_seq)) != 0 ||
	    (rc = proto_wr_u32(w, s->credit)) != 0 ||
	    (rc = proto_wr_u8(w, (uint8_t)free_log(s))) != 0 ||
	    (rc = proto_wr_u32(w, s->purchase_seq)) != 0 ||
	    (rc = proto_wr_u32(w, s->acked_seq)) != 0 ||
	    (rc = proto_wr_u32(w, s->cmd_ctr)) != 0)
		return rc;
	return 0;
}

static uint16_t
get_data(struct card_ctx *ctx, const struct sm_state *s)
{
	const struct proto_apdu *a = ctx->apdu;
	struct proto_wr *w = ctx->resp;
	int rc;

	if (a->lc != 0)
		return PROTO_SW_WRONG_LENGTH;
	if (a->p1 != 0x01)
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
		rc = proto_wr_u8(w, (uint8_t)free_log(s));
		break;
	case SM_DO_PUBKEY:
		rc = proto_wr_bytes(w, s->keys.sign_pub, PROTO_EC_PUB_LEN);
		break;
	case SM_DO_CREDIT:
		rc = proto_wr_u32(w, s->credit);
		break;
	default:
		return PROTO_SW_INCORRECT_P1P2;
	}
	return rc == 0 ? PROTO_SW_OK : PROTO_SW_UNKNOWN;
}

/* --- ECMs and purchases ------------------------------------------------------ */

static uint16_t
open_ecm(struct card_ctx *ctx, const struct sm_state *s, struct proto_ecm *e,
    uint8_t cw[PROTO_CW_LEN])
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
has_right(const struct sm_state *s, uint16_t channel, uint32_t now)
{
	for (unsigned i = 0; i < s->n_rights; i++)
		if (s->rights[i].channel == channel &&
		    now < s->rights[i].expiry)
			return 1;
	return 0;
}

static int
find_bought(const struct sm_state *s, uint32_t event)
{
	for (unsigned i = 0; i < s->n_bought; i++)
		if (s->bought[i].event == event)
			return (int)i;
	return -1;
}

static void
count_ecm(struct sm_state *s, uint16_t channel)
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
advance_time(struct sm_state *s, uint32_t t)
{
	if (t > s->card_time)
		s->card_time = t;
}

static uint16_t
process_ecm(struct card_ctx *ctx, struct sm_state *s)
{
	struct proto_ecm e;
	uint8_t cw[PROTO_CW_LEN];
	uint16_t sw;
	int entitled, b;

	if ((sw = open_ecm(ctx, s, &e, cw)) != PROTO_SW_OK)
		goto out;
	b = find_bought(s, e.event);
	entitled = ((e.flags & PROTO_ECM_SUBSCRIPTION) &&
		       has_right(s, e.channel, e.time)) ||
	    (b >= 0 && e.time < s->bought[b].expiry);
	count_ecm(s, e.channel);
	advance_time(s, e.time);
	if (entitled)
		s->cws++;
	else
		s->denials++;
	if (sm_save(ctx, s) != 0) {
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
expire_bought(struct sm_state *s)
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
buy_checks(const struct sm_state *s, const struct proto_ecm *e)
{
	if (!(e->flags & PROTO_ECM_PPV) || e->time >= e->event_end)
		return SM_SW_NOT_PURCHASABLE;
	if (find_bought(s, e->event) >= 0)
		return SM_SW_ALREADY_BOUGHT;
	if (s->credit < e->price)
		return SM_SW_NO_CREDIT;
	if (free_log(s) == 0)
		return SM_SW_LOG_FULL;
	return PROTO_SW_OK;
}

static uint16_t
buy_event(struct card_ctx *ctx, struct sm_state *s)
{
	struct proto_purchase *p;
	struct proto_ecm e;
	uint16_t sw;

	if ((sw = open_ecm(ctx, s, &e, NULL)) != PROTO_SW_OK ||
	    (sw = buy_checks(s, &e)) != PROTO_SW_OK)
		return sw;
	advance_time(s, e.time);
	expire_bought(s);
	if (s->n_bought == SM_MAX_BOUGHT)
		return PROTO_SW_NOT_ENOUGH_MEMORY;
	s->credit -= e.price;
	s->purchase_seq++;
	p = &s->log[(s->purchase_seq - 1) % LOG_SIZE];
	p->seq = s->purchase_seq;
	p->event = e.event;
	p->channel = e.channel;
	p->price = e.price;
	p->time = e.time;
	s->bought[s->n_bought].event = e.event;
	s->bought[s->n_bought].expiry = e.event_end;
	s->n_bought++;
	s->change_ctr++;
	if (sm_save(ctx, s) != 0)
		return PROTO_SW_UNKNOWN;
	if (proto_wr_u32(ctx->resp, s->purchase_seq) != 0 ||
	    proto_wr_u32(ctx->resp, s->credit) != 0)
		return PROTO_SW_UNKNOWN;
	return PROTO_SW_OK;
}

/* --- EXPORT and UPLINK BLOCKS ------------------------------------------- */

static uint16_t
export_block(struct card_ctx *ctx, struct sm_state *s, uint8_t kind)
{
	const struct proto_apdu *a = ctx->apdu;
	uint8_t body[PROTO_M2_MAX_LEN];
	struct proto_m2 m;
	struct proto_wr w;
	uint16_t sw = PROTO_SW_UNKNOWN;

	if (a->p1 != 0 || a->p2 != 0)
		return PROTO_SW_INCORRECT_P1P2;
	if (a->lc != 0)
		return PROTO_SW_WRONG_LENGTH;
	if (kind == PROTO_BLOCK_EXPORT && s->locked)
		return PROTO_SW_CONDITIONS;
	/*
	 * The sequence number is committed before the block leaves: a tear
	 * after this point loses a number, never reuses one.
	 */
	s->export_seq++;
	if (sm_save(ctx, s) != 0)
		return PROTO_SW_UNKNOWN;
	to_m2(s, &m);
	proto_wr_init(&w, body, sizeof(body));
	if (proto_m2_encode(&m, &w) == 0 &&
	    proto_block_seal(kind, s->ua, s->export_seq, &s->keys, body,
		proto_wr_len(&w), ctx->resp) == 0)
		sw = PROTO_SW_OK;
	proto_cleanse(body, sizeof(body));
	return sw;
}

/* --- PROCESS COMMAND --------------------------------------------------------- */

static int
find_right(const struct sm_state *s, uint16_t channel)
{
	for (unsigned i = 0; i < s->n_rights; i++)
		if (s->rights[i].channel == channel)
			return (int)i;
	return -1;
}

static uint16_t
apply_command(struct sm_state *s, const struct proto_cmd *c)
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

static uint16_t
process_command(struct card_ctx *ctx, struct sm_state *s)
{
	const struct proto_apdu *a = ctx->apdu;
	struct proto_cmd c;
	const uint8_t *sp, *sig;
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
	if (c.counter <= s->cmd_ctr)
		return SM_SW_REPLAYED;
	if ((sw = apply_command(s, &c)) != PROTO_SW_OK)
		return sw;
	s->cmd_ctr = c.counter;
	s->change_ctr++;
	return sm_save(ctx, s) == 0 ? PROTO_SW_OK : PROTO_SW_UNKNOWN;
}

/* --- dispatch ---------------------------------------------------------------- */

static uint16_t
sm_dispatch(struct card_ctx *ctx, struct sm_state *s)
{
	const struct proto_apdu *a = ctx->apdu;

	if (a->ins == SM_INS_GET_DATA && (a->cla == 0x00 || a->cla == SM_CLA))
		return get_data(ctx, s);
	if (a->cla != SM_CLA)
		return a->cla == 0x00 ? PROTO_SW_INS_NOT_SUPPORTED :
					PROTO_SW_CLA_NOT_SUPPORTED;
	switch (a->ins) {
	case SM_INS_PROCESS_ECM:
		return process_ecm(ctx, s);
	case SM_INS_BUY_EVENT:
		return buy_event(ctx, s);
	case SM_INS_EXPORT:
		return export_block(ctx, s, PROTO_BLOCK_EXPORT);
	case SM_INS_UPLINK:
		return export_block(ctx, s, PROTO_BLOCK_UPLINK);
	case SM_INS_COMMAND:
		return process_command(ctx, s);
	default:
		return PROTO_SW_INS_NOT_SUPPORTED;
	}
}

static uint16_t
sm_process(struct card_ctx *ctx)
{
	struct sm_state s;
	uint16_t sw;

	if (sm_load(ctx->store, ctx->region, &s) != 0)
		return PROTO_SW_UNKNOWN;
	sw = sm_dispatch(ctx, &s);
	proto_cleanse(&s, sizeof(s));
	return sw;
}

static uint16_t
sm_select(struct card_ctx *ctx)
{
	if (ctx->first_select)
		ctx->transient[TRANSIENT_POWERUP] = 1;
	return PROTO_SW_OK;
}

const struct card_applet card_sm_applet = {
	.name = "security-module",
	.aid = sm_aid,
	.aidlen = sizeof(sm_aid),
	.region_size = REGION_SIZE,
	.install = NULL,
	.select = sm_select,
	.process = sm_process,
};

int
card_sm_personalize(struct card_store *store, const struct card_sm_perso *p)
{
	struct sm_state s;
	int id, rc;

	if (p->n_rights > PROTO_M2_MAX_RIGHTS)
		return PROTO_ERR_ARG;
	if ((rc = card_rt_install(store, &card_sm_applet)) != 0)
		return rc;
	if ((rc = card_store_region(store, sm_aid, sizeof(sm_aid), &id,
		 NULL)) != 0)
		return rc;
	memset(&s, 0, sizeof(s));
	memcpy(s.ua, p->ua, PROTO_UA_LEN);
	s.locked = 1; /* every new card starts transfer-locked */
	s.credit = p->credit;
	memcpy(s.versions, p->versions, PROTO_VERSIONS_LEN);
	s.keys = p->keys;
	memcpy(s.center_pub, p->center_pub, PROTO_EC_PUB_LEN);
	memcpy(s.ecm_key, p->ecm_key, PROTO_AES_KEY_LEN);
	s.n_rights = p->n_rights;
	memcpy(s.rights, p->rights, sizeof(s.rights[0]) * p->n_rights);
	rc = sm_store(store, id, &s);
	proto_cleanse(&s, sizeof(s));
	return rc;
}

int
card_sm_view(const struct card_store *store, struct card_sm_view *v)
{
	struct sm_state s;
	int id, rc;

	if ((rc = card_store_region(store, sm_aid, sizeof(sm_aid), &id,
		 NULL)) != 0)
		return rc;
	if ((rc = sm_load(store, id, &s)) != 0)
		return rc;
	memset(v, 0, sizeof(*v));
	memcpy(v->ua, s.ua, PROTO_UA_LEN);
	v->export_seq = s.export_seq;
	v->card_time = s.card_time;
	memcpy(v->sign_pub, s.keys.sign_pub, PROTO_EC_PUB_LEN);
	v->n_bought = s.n_bought;
	for (unsigned i = 0; i < s.n_bought; i++) {
		v->bought_event[i] = s.bought[i].event;
		v->bought_expiry[i] = s.bought[i].expiry;
	}
	to_m2(&s, &v->m2);
	proto_cleanse(&s, sizeof(s));
	return 0;
}
