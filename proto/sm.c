/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>

#include "proto.h"
#include "sm.h"

static const char kt_salt[] = "ptv transmission key v1";

int
proto_purchase_write(struct proto_wr *w, const struct proto_purchase *p)
{
	struct proto_wr c = *w;
	int rc;

	if ((rc = proto_wr_u32(&c, p->seq)) != 0 ||
	    (rc = proto_wr_u32(&c, p->event)) != 0 ||
	    (rc = proto_wr_u16(&c, p->channel)) != 0 ||
	    (rc = proto_wr_u32(&c, p->price)) != 0 ||
	    (rc = proto_wr_u32(&c, p->time)) != 0)
		return rc;
	*w = c;
	return 0;
}

int
proto_purchase_read(struct proto_rd *r, struct proto_purchase *out)
{
	struct proto_purchase p;
	struct proto_rd c = *r;
	int rc;

	if ((rc = proto_rd_u32(&c, &p.seq)) != 0 ||
	    (rc = proto_rd_u32(&c, &p.event)) != 0 ||
	    (rc = proto_rd_u16(&c, &p.channel)) != 0 ||
	    (rc = proto_rd_u32(&c, &p.price)) != 0 ||
	    (rc = proto_rd_u32(&c, &p.time)) != 0)
		return rc;
	*r = c;
	*out = p;
	return 0;
}

int
proto_pair_write(struct proto_wr *w, uint16_t channel, uint32_t v)
{
	struct proto_wr c = *w;
	int rc;

	if ((rc = proto_wr_u16(&c, channel)) != 0 ||
	    (rc = proto_wr_u32(&c, v)) != 0)
		return rc;
	*w = c;
	return 0;
}

int
proto_pair_read(struct proto_rd *r, uint16_t *channel, uint32_t *v)
{
	struct proto_rd c = *r;
	uint16_t ch;
	uint32_t x;
	int rc;

	if ((rc = proto_rd_u16(&c, &ch)) != 0 ||
	    (rc = proto_rd_u32(&c, &x)) != 0)
		return rc;
	*r = c;
	*channel = ch;
	*v = x;
	return 0;
}

int
proto_m2_encode(const struct proto_m2 *m, struct proto_wr *w)
{
	struct proto_wr c = *w;
	int rc = 0;

	if (m->n_counts > PROTO_M2_MAX_CHANNELS ||
	    m->n_rights > PROTO_M2_MAX_RIGHTS ||
	    m->n_purchases > PROTO_M2_MAX_PURCHASES)
		return PROTO_ERR_ARG;
	if ((rc = proto_wr_u32(&c, m->credit)) != 0 ||
	    (rc = proto_wr_u32(&c, m->purchase_seq)) != 0 ||
	    (rc = proto_wr_u32(&c, m->acked_seq)) != 0 ||
	    (rc = proto_wr_u32(&c, m->change_ctr)) != 0 ||
	    (rc = proto_wr_u32(&c, m->cmd_ctr)) != 0 ||
	    (rc = proto_wr_u8(&c, m->locked)) != 0 ||
	    (rc = proto_wr_bytes(&c, m->versions, PROTO_VERSIONS_LEN)) != 0 ||
	    (rc = proto_wr_u32(&c, m->cws)) != 0 ||
	    (rc = proto_wr_u32(&c, m->denials)) != 0 ||
	    (rc = proto_wr_u32(&c, m->powerups)) != 0 ||
	    (rc = proto_wr_u8(&c, m->n_counts)) != 0)
		return rc;
	for (unsigned i = 0; i < m->n_counts; i++)
		if ((rc = proto_pair_write(&c, m->counts[i].channel,
			 m->counts[i].ecms)) != 0)
			return rc;
	if ((rc = proto_wr_u8(&c, m->n_rights)) != 0)
		return rc;
	for (unsigned i = 0; i < m->n_rights; i++)
		if ((rc = proto_pair_write(&c, m->rights[i].channel,
			 m->rights[i].expiry)) != 0)
			return rc;
	if ((rc = proto_wr_u8(&c, m->n_purchases)) != 0)
		return rc;
	for (unsigned i = 0; i < m->n_purchases; i++)
		if ((rc = proto_purchase_write(&c, &m->purchases[i])) != 0)
			return rc;
	*w = c;
	return 0;
}

static int
m2_decode_lists(struct proto_rd *r, struct proto_m2 *m)
{
	int rc;

	if ((rc = proto_rd_u8(r, &m->n_counts)) != 0)
		return rc;
	if (m->n_counts > PROTO_M2_MAX_CHANNELS)
		return PROTO_ERR_RANGE;
	for (unsigned i = 0; i < m->n_counts; i++)
		if ((rc = proto_pair_read(r, &m->counts[i].channel,
			 &m->counts[i].ecms)) != 0)
			return rc;
	if ((rc = proto_rd_u8(r, &m->n_rights)) != 0)
		return rc;
	if (m->n_rights > PROTO_M2_MAX_RIGHTS)
		return PROTO_ERR_RANGE;
	for (unsigned i = 0; i < m->n_rights; i++)
		if ((rc = proto_pair_read(r, &m->rights[i].channel,
			 &m->rights[i].expiry)) != 0)
			return rc;
	if ((rc = proto_rd_u8(r, &m->n_purchases)) != 0)
		return rc;
	if (m->n_purchases > PROTO_M2_MAX_PURCHASES)
		return PROTO_ERR_RANGE;
	for (unsigned i = 0; i < m->n_purchases; i++)
		if ((rc = proto_purchase_read(r, &m->purchases[i])) != 0)
			return rc;
	return 0;
}

/* The log holds exactly the purchases acked_seq+1 .. purchase_seq. */
static int
m2_check(const struct proto_m2 *m)
{
	if (m->acked_seq > m->purchase_seq ||
	    m->purchase_seq - m->acked_seq != m->n_purchases || m->locked > 1)
		return PROTO_ERR_FORMAT;
	for (unsigned i = 0; i < m->n_purchases; i++)
		if (m->purchases[i].seq != m->acked_seq + 1 + i)
			return PROTO_ERR_FORMAT;
	return 0;
}

int
proto_m2_decode(const uint8_t *buf, size_t len, struct proto_m2 *out)
{
	struct proto_m2 m;
	struct proto_rd r;
	int rc;

	memset(&m, 0, sizeof(m));
	proto_rd_init(&r, buf, len);
	if ((rc = proto_rd_u32(&r, &m.credit)) != 0 ||
	    (rc = proto_rd_u32(&r, &m.purchase_seq)) != 0 ||
	    (rc = proto_rd_u32(&r, &m.acked_seq)) != 0 ||
	    (rc = proto_rd_u32(&r, &m.change_ctr)) != 0 ||
	    (rc = proto_rd_u32(&r, &m.cmd_ctr)) != 0 ||
	    (rc = proto_rd_u8(&r, &m.locked)) != 0 ||
	    (rc = proto_rd_bytes(&r, m.versions, PROTO_VERSIONS_LEN)) != 0 ||
	    (rc = proto_rd_u32(&r, &m.cws)) != 0 ||
	    (rc = proto_rd_u32(&r, &m.denials)) != 0 ||
	    (rc = proto_rd_u32(&r, &m.powerups)) != 0 ||
	    (rc = m2_decode_lists(&r, &m)) != 0 ||
	    (rc = proto_rd_end(&r)) != 0 || (rc = m2_check(&m)) != 0)
		return rc;
	*out = m;
	return 0;
}

static int
block_hdr(struct proto_wr *w, uint8_t kind, const uint8_t ua[PROTO_UA_LEN],
    uint32_t seq, size_t body_len)
{
	int rc;

	if ((rc = proto_wr_u8(w, kind)) != 0 ||
	    (rc = proto_wr_u8(w, PROTO_BLOCK_VERSION)) != 0 ||
	    (rc = proto_wr_bytes(w, ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_wr_u32(w, seq)) != 0 ||
	    (rc = proto_wr_u32(w, (uint32_t)body_len)) != 0)
		return rc;
	return 0;
}

int
proto_block_seal(uint8_t kind, const uint8_t ua[PROTO_UA_LEN], uint32_t seq,
    const struct proto_card_keys *k, const uint8_t *body, size_t body_len,
    struct proto_wr *w)
{
	struct proto_wr c = *w;
	uint8_t *start = c.p + c.len, *iv, *ct, *tag, *sig;
	int rc;

	if (body_len > PROTO_M2_MAX_LEN)
		return PROTO_ERR_TOOBIG;
	if ((rc = block_hdr(&c, kind, ua, seq, body_len)) != 0 ||
	    (rc = proto_wr_reserve(&c, PROTO_GCM_IV_LEN, &iv)) != 0 ||
	    (rc = proto_wr_reserve(&c, body_len, &ct)) != 0 ||
	    (rc = proto_wr_reserve(&c, PROTO_GCM_TAG_LEN, &tag)) != 0 ||
	    (rc = proto_wr_reserve(&c, PROTO_EC_SIG_LEN, &sig)) != 0)
		return rc;
	if ((rc = proto_random(iv, PROTO_GCM_IV_LEN)) != 0 ||
	    (rc = proto_gcm_seal(k->kt, iv, start, PROTO_BLOCK_HDR_LEN, body,
		 body_len, ct, tag)) != 0 ||
	    (rc = proto_ec_sign(k->sign_priv, k->sign_pub, start,
		 (size_t)(sig - start), sig)) != 0)
		return rc;
	*w = c;
	return 0;
}

int
proto_block_parse(const uint8_t *buf, size_t len, struct proto_block *out)
{
	struct proto_block b;
	struct proto_rd r;
	uint8_t version;
	uint32_t body_len;
	int rc;

	memset(&b, 0, sizeof(b));
	proto_rd_init(&r, buf, len);
	if ((rc = proto_rd_u8(&r, &b.kind)) != 0 ||
	    (rc = proto_rd_u8(&r, &version)) != 0 ||
	    (rc = proto_rd_bytes(&r, b.ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_rd_u32(&r, &b.seq)) != 0 ||
	    (rc = proto_rd_u32(&r, &body_len)) != 0)
		return rc;
	if (version != PROTO_BLOCK_VERSION ||
	    (b.kind != PROTO_BLOCK_EXPORT && b.kind != PROTO_BLOCK_UPLINK))
		return PROTO_ERR_FORMAT;
	if (body_len > PROTO_M2_MAX_LEN)
		return PROTO_ERR_TOOBIG;
	b.ct_len = body_len;
	if ((rc = proto_rd_ptr(&r, PROTO_GCM_IV_LEN, &b.iv)) != 0 ||
	    (rc = proto_rd_ptr(&r, b.ct_len, &b.ct)) != 0 ||
	    (rc = proto_rd_ptr(&r, PROTO_GCM_TAG_LEN, &b.tag)) != 0 ||
	    (rc = proto_rd_ptr(&r, PROTO_EC_SIG_LEN, &b.sig)) != 0)
		return rc;
	if ((rc = proto_rd_end(&r)) != 0)
		return rc;
	b.signed_part = buf;
	b.signed_len = len - PROTO_EC_SIG_LEN;
	*out = b;
	return 0;
}

int
proto_block_verify(const struct proto_block *b,
    const uint8_t pub[PROTO_EC_PUB_LEN])
{
	return proto_ec_verify(pub, b->signed_part, b->signed_len, b->sig);
}

int
proto_block_open(const struct proto_block *b,
    const uint8_t kt[PROTO_AES_KEY_LEN], struct proto_m2 *m)
{
	uint8_t body[PROTO_M2_MAX_LEN];
	int rc;

	if (b->ct_len > sizeof(body))
		return PROTO_ERR_TOOBIG;
	if ((rc = proto_gcm_open(kt, b->iv, b->signed_part, PROTO_BLOCK_HDR_LEN,
		 b->ct, b->ct_len, b->tag, body)) != 0)
		return rc;
	rc = proto_m2_decode(body, b->ct_len, m);
	proto_cleanse(body, sizeof(body));
	return rc;
}

int
proto_kt_derive(const uint8_t master[PROTO_MASTER_LEN],
    const uint8_t ua[PROTO_UA_LEN], uint8_t kt[PROTO_AES_KEY_LEN])
{
	return proto_hkdf(master, PROTO_MASTER_LEN, kt_salt,
	    sizeof(kt_salt) - 1, ua, PROTO_UA_LEN, kt, PROTO_AES_KEY_LEN);
}

static int
ecm_aad(const struct proto_ecm *e, struct proto_wr *w)
{
	int rc;

	if ((rc = proto_wr_u8(w, PROTO_ECM_VERSION)) != 0 ||
	    (rc = proto_wr_u16(w, e->channel)) != 0 ||
	    (rc = proto_wr_u32(w, e->event)) != 0 ||
	    (rc = proto_wr_u32(w, e->time)) != 0 ||
	    (rc = proto_wr_u32(w, e->event_end)) != 0 ||
	    (rc = proto_wr_u8(w, e->flags)) != 0 ||
	    (rc = proto_wr_u32(w, e->price)) != 0)
		return rc;
	return 0;
}

int
proto_ecm_build(const struct proto_ecm *e, const uint8_t cw[PROTO_CW_LEN],
    const uint8_t key[PROTO_AES_KEY_LEN], uint8_t out[PROTO_ECM_LEN])
{
	struct proto_wr w;
	uint8_t *iv, *ct, *tag;
	int rc;

	proto_wr_init(&w, out, PROTO_ECM_LEN);
	if ((rc = ecm_aad(e, &w)) != 0 ||
	    (rc = proto_wr_reserve(&w, PROTO_GCM_IV_LEN, &iv)) != 0 ||
	    (rc = proto_wr_reserve(&w, PROTO_CW_LEN, &ct)) != 0 ||
	    (rc = proto_wr_reserve(&w, PROTO_GCM_TAG_LEN, &tag)) != 0)
		return rc;
	if ((rc = proto_random(iv, PROTO_GCM_IV_LEN)) != 0)
		return rc;
	return proto_gcm_seal(key, iv, out, PROTO_ECM_AAD_LEN, cw, PROTO_CW_LEN,
	    ct, tag);
}

int
proto_ecm_open(const uint8_t *buf, size_t len,
    const uint8_t key[PROTO_AES_KEY_LEN], struct proto_ecm *out,
    uint8_t cw[PROTO_CW_LEN])
{
	struct proto_ecm e;
	struct proto_rd r;
	const uint8_t *iv, *ct, *tag;
	uint8_t version, plain[PROTO_CW_LEN];
	int rc;

	proto_rd_init(&r, buf, len);
	if ((rc = proto_rd_u8(&r, &version)) != 0 ||
	    (rc = proto_rd_u16(&r, &e.channel)) != 0 ||
	    (rc = proto_rd_u32(&r, &e.event)) != 0 ||
	    (rc = proto_rd_u32(&r, &e.time)) != 0 ||
	    (rc = proto_rd_u32(&r, &e.event_end)) != 0 ||
	    (rc = proto_rd_u8(&r, &e.flags)) != 0 ||
	    (rc = proto_rd_u32(&r, &e.price)) != 0 ||
	    (rc = proto_rd_ptr(&r, PROTO_GCM_IV_LEN, &iv)) != 0 ||
	    (rc = proto_rd_ptr(&r, PROTO_CW_LEN, &ct)) != 0 ||
	    (rc = proto_rd_ptr(&r, PROTO_GCM_TAG_LEN, &tag)) != 0 ||
	    (rc = proto_rd_end(&r)) != 0)
		return rc;
	if (version != PROTO_ECM_VERSION)
		return PROTO_ERR_FORMAT;
	if ((rc = proto_gcm_open(key, iv, buf, PROTO_ECM_AAD_LEN, ct,
		 PROTO_CW_LEN, tag, plain)) != 0)
		return rc;
	if (cw != NULL)
		memcpy(cw, plain, PROTO_CW_LEN);
	proto_cleanse(plain, sizeof(plain));
	*out = e;
	return 0;
}

static size_t
cmd_params_len(uint8_t type)
{
	switch (type) {
	case PROTO_CMD_UNLOCK:
		return 0;
	case PROTO_CMD_ACK:
		return 4;
	case PROTO_CMD_RELOAD:
		return 4;
	case PROTO_CMD_GRANT:
		return 6;
	case PROTO_CMD_REVOKE:
		return 2;
	default:
		return SIZE_MAX;
	}
}

const char *
proto_cmd_name(uint8_t type)
{
	switch (type) {
	case PROTO_CMD_UNLOCK:
		return "unlock";
	case PROTO_CMD_ACK:
		return "ack";
	case PROTO_CMD_RELOAD:
		return "reload";
	case PROTO_CMD_GRANT:
		return "grant";
	case PROTO_CMD_REVOKE:
		return "revoke";
	default:
		return "unknown";
	}
}

static int
cmd_params_write(const struct proto_cmd *c, struct proto_wr *w)
{
	switch (c->type) {
	case PROTO_CMD_UNLOCK:
		return 0;
	case PROTO_CMD_ACK:
	case PROTO_CMD_RELOAD:
		return proto_wr_u32(w, c->arg1);
	case PROTO_CMD_GRANT:
		if (c->arg1 > 0xffff)
			return PROTO_ERR_RANGE;
		return proto_wr_u16(w, (uint16_t)c->arg1) != 0 ?
		    PROTO_ERR_NOSPACE :
		    proto_wr_u32(w, c->arg2);
	case PROTO_CMD_REVOKE:
		if (c->arg1 > 0xffff)
			return PROTO_ERR_RANGE;
		return proto_wr_u16(w, (uint16_t)c->arg1);
	default:
		return PROTO_ERR_ARG;
	}
}

int
proto_cmd_sign(const struct proto_cmd *c, const uint8_t priv[PROTO_EC_PRIV_LEN],
    const uint8_t pub[PROTO_EC_PUB_LEN], struct proto_wr *w)
{
	struct proto_wr x = *w;
	uint8_t *start = x.p + x.len, *sig;
	size_t plen = cmd_params_len(c->type);
	int rc;

	if (plen == SIZE_MAX)
		return PROTO_ERR_ARG;
	if ((rc = proto_wr_u8(&x, PROTO_CMD_VERSION)) != 0 ||
	    (rc = proto_wr_u8(&x, c->type)) != 0 ||
	    (rc = proto_wr_bytes(&x, c->ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_wr_u32(&x, c->counter)) != 0 ||
	    (rc = proto_wr_u8(&x, (uint8_t)plen)) != 0 ||
	    (rc = cmd_params_write(c, &x)) != 0 ||
	    (rc = proto_wr_reserve(&x, PROTO_EC_SIG_LEN, &sig)) != 0)
		return rc;
	if ((rc = proto_ec_sign(priv, pub, start, (size_t)(sig - start),
		 sig)) != 0)
		return rc;
	*w = x;
	return 0;
}

static int
cmd_params_read(struct proto_rd *r, struct proto_cmd *c)
{
	uint16_t v16;
	int rc;

	switch (c->type) {
	case PROTO_CMD_UNLOCK:
		return 0;
	case PROTO_CMD_ACK:
	case PROTO_CMD_RELOAD:
		return proto_rd_u32(r, &c->arg1);
	case PROTO_CMD_GRANT:
	case PROTO_CMD_REVOKE:
		if ((rc = proto_rd_u16(r, &v16)) != 0)
			return rc;
		c->arg1 = v16;
		return c->type == PROTO_CMD_GRANT ? proto_rd_u32(r, &c->arg2) :
						    0;
	default:
		return PROTO_ERR_FORMAT;
	}
}

int
proto_cmd_parse(const uint8_t *buf, size_t len, struct proto_cmd *out,
    const uint8_t **signed_part, size_t *signed_len, const uint8_t **sig)
{
	struct proto_cmd c;
	struct proto_rd r, params;
	uint8_t version, plen;
	const uint8_t *s;
	int rc;

	memset(&c, 0, sizeof(c));
	proto_rd_init(&r, buf, len);
	if ((rc = proto_rd_u8(&r, &version)) != 0 ||
	    (rc = proto_rd_u8(&r, &c.type)) != 0 ||
	    (rc = proto_rd_bytes(&r, c.ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_rd_u32(&r, &c.counter)) != 0 ||
	    (rc = proto_rd_u8(&r, &plen)) != 0)
		return rc;
	if (version != PROTO_CMD_VERSION || plen != cmd_params_len(c.type))
		return PROTO_ERR_FORMAT;
	if ((rc = proto_rd_sub(&r, plen, &params)) != 0 ||
	    (rc = cmd_params_read(&params, &c)) != 0 ||
	    (rc = proto_rd_end(&params)) != 0 ||
	    (rc = proto_rd_ptr(&r, PROTO_EC_SIG_LEN, &s)) != 0 ||
	    (rc = proto_rd_end(&r)) != 0)
		return rc;
	*out = c;
	*signed_part = buf;
	*signed_len = len - PROTO_EC_SIG_LEN;
	*sig = s;
	return 0;
}

int
proto_cmd_verify(const uint8_t *buf, size_t len,
    const uint8_t pub[PROTO_EC_PUB_LEN], struct proto_cmd *out)
{
	struct proto_cmd c;
	const uint8_t *sp, *sig;
	size_t slen;
	int rc;

	if ((rc = proto_cmd_parse(buf, len, &c, &sp, &slen, &sig)) != 0)
		return rc;
	if ((rc = proto_ec_verify(pub, sp, slen, sig)) != 0)
		return rc;
	*out = c;
	return 0;
}
