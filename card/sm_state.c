/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The security-module applet's state codec: its persistent region
 * decoded into struct card_sm_state and encoded back (see sm_state.h for
 * the layout), and the one transaction that writes it.
 */
#include <string.h>

#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "../proto/proto.h"
#include "sm_state.h"

#define STATE_SIZE(f) PROTO_MEMBER_SIZE(struct card_sm_state, f)

_Static_assert(CARD_SM_BOUGHT_LEN ==
	PROTO_MEMBER_SIZE(struct card_sm_bought, event) +
	    PROTO_MEMBER_SIZE(struct card_sm_bought, expiry),
    "a bought event is its two fields");
_Static_assert(STATE_SIZE(keys) ==
	PROTO_EC_PRIV_LEN + PROTO_EC_PUB_LEN + PROTO_AES_KEY_LEN,
    "the card's keys are stored as their three fields");
_Static_assert(CARD_SM_REGION_SIZE ==
	STATE_SIZE(ua) + STATE_SIZE(locked) + STATE_SIZE(flags) +
	    sizeof(uint32_t) * CARD_SM_STATE_U32S + STATE_SIZE(versions) +
	    STATE_SIZE(keys) + STATE_SIZE(center_pub) + STATE_SIZE(ecm_key) +
	    STATE_SIZE(n_rights) +
	    PROTO_PAIR_LEN * (size_t)PROTO_M2_MAX_RIGHTS +
	    STATE_SIZE(n_counts) +
	    PROTO_PAIR_LEN * (size_t)PROTO_M2_MAX_CHANNELS +
	    STATE_SIZE(n_bought) + CARD_SM_BOUGHT_LEN * (size_t)SM_MAX_BOUGHT +
	    PROTO_PURCHASE_LEN * (size_t)CARD_SM_LOG_SIZE +
	    STATE_SIZE(n_outcomes) +
	    PROTO_OUTCOME_LEN * (size_t)PROTO_M2_MAX_OUTCOMES +
	    STATE_SIZE(has_cert) + STATE_SIZE(cert),
    "the region is the fields encode_state writes");
_Static_assert(CARD_SM_REGION_SIZE <= CARD_TX_CAPACITY,
    "the whole state is rewritten in one transaction");
_Static_assert(SM_MAX_BOUGHT <= UINT8_MAX && CARD_SM_LOG_SIZE <= UINT8_MAX,
    "table counts and free log entries travel in one byte");

static int
rd_rights(struct proto_rd *r, struct card_sm_state *s)
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
rd_counts(struct proto_rd *r, struct card_sm_state *s)
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

/* The outcome ring and the certificate, after the purchase log. */
static int
rd_tail(struct proto_rd *r, struct card_sm_state *s)
{
	int rc;

	if ((rc = proto_rd_u8(r, &s->n_outcomes)) != 0)
		return rc;
	if (s->n_outcomes > PROTO_M2_MAX_OUTCOMES)
		return PROTO_ERR_FORMAT;
	for (size_t i = 0; i < PROTO_M2_MAX_OUTCOMES; i++)
		if ((rc = proto_outcome_read(r, &s->outcomes[i])) != 0)
			return rc;
	if ((rc = proto_rd_u8(r, &s->has_cert)) != 0 ||
	    (rc = proto_rd_bytes(r, s->cert, PROTO_CERT_LEN)) != 0)
		return rc;
	return s->has_cert > 1 ? PROTO_ERR_FORMAT : 0;
}

static int
wr_tail(const struct card_sm_state *s, struct proto_wr *w)
{
	int rc;

	if ((rc = proto_wr_u8(w, s->n_outcomes)) != 0)
		return rc;
	for (size_t i = 0; i < PROTO_M2_MAX_OUTCOMES; i++)
		if ((rc = proto_outcome_write(w, &s->outcomes[i])) != 0)
			return rc;
	if ((rc = proto_wr_u8(w, s->has_cert)) != 0 ||
	    (rc = proto_wr_bytes(w, s->cert, PROTO_CERT_LEN)) != 0)
		return rc;
	return 0;
}

static int
decode_state(struct proto_rd *r, struct card_sm_state *s)
{
	uint32_t *u32s[] = { &s->credit, &s->purchase_seq, &s->acked_seq,
		&s->export_seq, &s->change_ctr, &s->cmd_ctr, &s->bcast_ctr,
		&s->cws, &s->denials, &s->powerups, &s->card_time };
	int rc;

	_Static_assert(sizeof(u32s) / sizeof(u32s[0]) == CARD_SM_STATE_U32S,
	    "the region's 32-bit words");

	if ((rc = proto_rd_bytes(r, s->ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_rd_u8(r, &s->locked)) != 0 ||
	    (rc = proto_rd_u8(r, &s->flags)) != 0)
		return rc;
	if ((s->flags & ~PROTO_M2_FLAGS_ALL) != 0 || s->locked > 1)
		return PROTO_ERR_FORMAT;
	for (size_t i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++)
		if ((rc = proto_rd_u32(r, u32s[i])) != 0)
			return rc;
	if ((rc = proto_rd_bytes(r, s->versions, PROTO_VERSIONS_LEN)) != 0 ||
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
	for (size_t i = 0; i < CARD_SM_LOG_SIZE; i++)
		if ((rc = proto_purchase_read(r, &s->log[i])) != 0)
			return rc;
	if ((rc = rd_tail(r, s)) != 0)
		return rc;
	if (s->acked_seq > s->purchase_seq ||
	    s->purchase_seq - s->acked_seq > CARD_SM_LOG_SIZE)
		return PROTO_ERR_FORMAT;
	return proto_rd_end(r);
}

static int
encode_state(const struct card_sm_state *s, struct proto_wr *w)
{
	const uint32_t u32s[] = { s->credit, s->purchase_seq, s->acked_seq,
		s->export_seq, s->change_ctr, s->cmd_ctr, s->bcast_ctr, s->cws,
		s->denials, s->powerups, s->card_time };
	int rc;

	_Static_assert(sizeof(u32s) / sizeof(u32s[0]) == CARD_SM_STATE_U32S,
	    "the region's 32-bit words");

	if ((rc = proto_wr_bytes(w, s->ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_wr_u8(w, s->locked)) != 0 ||
	    (rc = proto_wr_u8(w, s->flags)) != 0)
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
	for (size_t i = 0; i < CARD_SM_LOG_SIZE; i++)
		if ((rc = proto_purchase_write(w, &s->log[i])) != 0)
			return rc;
	return wr_tail(s, w);
}

int
card_sm_load(const struct card_store *store, int region,
    struct card_sm_state *s)
{
	struct proto_rd r;
	const uint8_t *p;
	size_t n;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = card_store_view(store, region, &p, &n)) != 0)
		return rc;
	proto_rd_init(&r, p, n);
	if ((rc = decode_state(&r, s)) != 0)
		card_sm_state_clear(s);
	return rc;
}

int
card_sm_store(struct card_store *store, int region,
    const struct card_sm_state *s)
{
	uint8_t buf[CARD_SM_REGION_SIZE];
	struct proto_wr w;
	int rc;

	proto_wr_init(&w, buf, sizeof(buf));
	if ((rc = encode_state(s, &w)) != 0)
		goto out;
	if (proto_wr_len(&w) != sizeof(buf)) {
		rc = PROTO_ERR_FORMAT; /* the layout and the codec disagree */
		goto out;
	}
	if ((rc = card_store_begin(store)) != 0)
		goto out;
	if ((rc = card_store_write(store, region, 0, buf, sizeof(buf))) != 0) {
		card_store_abort(store);
		goto out;
	}
	rc = card_store_commit(store);
out:
	proto_cleanse(buf, sizeof(buf));
	return rc;
}

void
card_sm_state_clear(struct card_sm_state *s)
{
	proto_cleanse(s, sizeof(*s));
}

int
card_sm_save(struct card_ctx *ctx, struct card_sm_state *s)
{
	int pending = ctx->transient[CARD_SM_TRANSIENT_POWERUP], rc;

	if (pending)
		s->powerups++;
	if ((rc = card_sm_store(ctx->store, ctx->region, s)) == 0)
		ctx->transient[CARD_SM_TRANSIENT_POWERUP] = 0;
	return rc;
}

uint32_t
card_sm_free_log(const struct card_sm_state *s)
{
	return CARD_SM_LOG_SIZE - (s->purchase_seq - s->acked_seq);
}

void
card_sm_expire(struct card_sm_state *s)
{
	unsigned j = 0;

	for (unsigned i = 0; i < s->n_rights; i++)
		if (s->rights[i].expiry > s->card_time)
			s->rights[j++] = s->rights[i];
	for (unsigned i = j; i < s->n_rights; i++)
		memset(&s->rights[i], 0, sizeof(s->rights[i]));
	s->n_rights = (uint8_t)j;
}

void
card_sm_to_m2(const struct card_sm_state *s, struct proto_m2 *m)
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
		m->purchases[i] = s->log[(s->acked_seq + i) % CARD_SM_LOG_SIZE];
	m->clock = s->card_time;
	m->flags = s->flags;
	m->bcast_ctr = s->bcast_ctr;
	m->n_outcomes = s->n_outcomes;
	memcpy(m->outcomes, s->outcomes, sizeof(m->outcomes));
}
