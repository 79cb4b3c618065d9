/* SPDX-License-Identifier: BSD-2-Clause */
/* Blocks: seal (the card), parse, verify and open (decoder and center). */
#include <string.h>

#include "block.h"
#include "proto.h"

#define BLOCK_SIZE(f) PROTO_MEMBER_SIZE(struct proto_block, f)

_Static_assert(PROTO_BLOCK_HDR_LEN ==
	BLOCK_SIZE(kind) + sizeof(uint8_t) /* version */ + BLOCK_SIZE(ua) +
	    BLOCK_SIZE(seq) + BLOCK_SIZE(challenge) +
	    sizeof(uint32_t) /* body length */,
    "the header is the fields block_hdr writes");

static const char kt_salt[] = "ptv transmission key v1";
static const uint8_t no_challenge[PROTO_CHALLENGE_LEN];

static int
block_hdr(struct proto_wr *w, uint8_t kind, const uint8_t ua[PROTO_UA_LEN],
    uint32_t seq, const uint8_t *challenge, size_t body_len)
{
	int rc;

	if ((rc = proto_wr_u8(w, kind)) != 0 ||
	    (rc = proto_wr_u8(w, PROTO_BLOCK_VERSION)) != 0 ||
	    (rc = proto_wr_bytes(w, ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_wr_u32(w, seq)) != 0 ||
	    (rc = proto_wr_bytes(w, challenge, PROTO_CHALLENGE_LEN)) != 0 ||
	    (rc = proto_wr_u32(w, (uint32_t)body_len)) != 0)
		return rc;
	return 0;
}

/* Only an uplink block answers a challenge; an export block has zeros. */
static int
challenge_fits(uint8_t kind, const uint8_t *challenge)
{
	if (kind == PROTO_BLOCK_UPLINK)
		return 1;
	return kind == PROTO_BLOCK_EXPORT &&
	    memcmp(challenge, no_challenge, PROTO_CHALLENGE_LEN) == 0;
}

int
proto_block_seal(uint8_t kind, const uint8_t ua[PROTO_UA_LEN], uint32_t seq,
    const uint8_t *challenge, const struct proto_card_keys *k,
    const uint8_t *body, size_t body_len, struct proto_wr *w)
{
	struct proto_wr c = *w;
	uint8_t *start = c.p + c.len, *iv, *ct, *tag, *sig;
	int rc;

	if (challenge == NULL)
		challenge = no_challenge;
	if (!challenge_fits(kind, challenge))
		return PROTO_ERR_ARG;
	if (body_len > PROTO_M2_MAX_LEN)
		return PROTO_ERR_TOOBIG;
	if ((rc = block_hdr(&c, kind, ua, seq, challenge, body_len)) != 0 ||
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

static int
block_hdr_read(struct proto_rd *r, struct proto_block *b)
{
	uint8_t version;
	uint32_t body_len;
	int rc;

	if ((rc = proto_rd_u8(r, &b->kind)) != 0 ||
	    (rc = proto_rd_u8(r, &version)) != 0 ||
	    (rc = proto_rd_bytes(r, b->ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_rd_u32(r, &b->seq)) != 0 ||
	    (rc = proto_rd_bytes(r, b->challenge, PROTO_CHALLENGE_LEN)) != 0 ||
	    (rc = proto_rd_u32(r, &body_len)) != 0)
		return rc;
	if (version != PROTO_BLOCK_VERSION ||
	    !challenge_fits(b->kind, b->challenge))
		return PROTO_ERR_FORMAT;
	if (body_len > PROTO_M2_MAX_LEN)
		return PROTO_ERR_TOOBIG;
	b->ct_len = body_len;
	return 0;
}

int
proto_block_parse(const uint8_t *buf, size_t len, struct proto_block *out)
{
	struct proto_block b;
	struct proto_rd r;
	int rc;

	memset(&b, 0, sizeof(b));
	proto_rd_init(&r, buf, len);
	if ((rc = block_hdr_read(&r, &b)) != 0 ||
	    (rc = proto_rd_ptr(&r, PROTO_GCM_IV_LEN, &b.iv)) != 0 ||
	    (rc = proto_rd_ptr(&r, b.ct_len, &b.ct)) != 0 ||
	    (rc = proto_rd_ptr(&r, PROTO_GCM_TAG_LEN, &b.tag)) != 0 ||
	    (rc = proto_rd_ptr(&r, PROTO_EC_SIG_LEN, &b.sig)) != 0 ||
	    (rc = proto_rd_end(&r)) != 0)
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

/* The body under kt, or under gk when kt is NULL. */
static int
block_open(const struct proto_block *b, const uint8_t *kt,
    struct proto_gcm_key *gk, struct proto_m2 *m)
{
	uint8_t body[PROTO_M2_MAX_LEN];
	int rc;

	if (b->ct_len > sizeof(body)) {
		rc = PROTO_ERR_TOOBIG;
		goto out;
	}
	if (kt != NULL)
		rc = proto_gcm_open(kt, b->iv, b->signed_part,
		    PROTO_BLOCK_HDR_LEN, b->ct, b->ct_len, b->tag, body);
	else
		rc = proto_gcm_key_open(gk, b->iv, b->signed_part,
		    PROTO_BLOCK_HDR_LEN, b->ct, b->ct_len, b->tag, body);
	if (rc != 0)
		goto out;
	rc = proto_m2_decode(body, b->ct_len, m);
out:
	proto_cleanse(body, sizeof(body));
	return rc;
}

int
proto_block_open(const struct proto_block *b,
    const uint8_t kt[PROTO_AES_KEY_LEN], struct proto_m2 *m)
{
	if (kt == NULL)
		return PROTO_ERR_ARG;
	return block_open(b, kt, NULL, m);
}

int
proto_block_open_key(const struct proto_block *b, struct proto_gcm_key *kt,
    struct proto_m2 *m)
{
	if (kt == NULL)
		return PROTO_ERR_ARG;
	return block_open(b, NULL, kt, m);
}

int
proto_kt_derive(const uint8_t master[PROTO_MASTER_LEN],
    const uint8_t ua[PROTO_UA_LEN], uint8_t kt[PROTO_AES_KEY_LEN])
{
	return proto_hkdf(master, PROTO_MASTER_LEN, kt_salt,
	    sizeof(kt_salt) - 1, ua, PROTO_UA_LEN, kt, PROTO_AES_KEY_LEN);
}

int
proto_kt_kdf_new(const uint8_t master[PROTO_MASTER_LEN],
    struct proto_hkdf_key **k)
{
	return proto_hkdf_key_new(master, PROTO_MASTER_LEN, kt_salt,
	    sizeof(kt_salt) - 1, k);
}

int
proto_kt_kdf_derive(struct proto_hkdf_key *k, const uint8_t ua[PROTO_UA_LEN],
    uint8_t kt[PROTO_AES_KEY_LEN])
{
	return proto_hkdf_key_derive(k, ua, PROTO_UA_LEN, kt,
	    PROTO_AES_KEY_LEN);
}
