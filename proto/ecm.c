/* SPDX-License-Identifier: BSD-2-Clause */
/* ECMs: built by the head-end, opened by the card. */
#include <string.h>

#include "buf.h"
#include "ecm.h"
#include "proto.h"

#define ECM_SIZE(f) PROTO_MEMBER_SIZE(struct proto_ecm, f)

_Static_assert(PROTO_ECM_AAD_LEN ==
	sizeof(uint8_t) /* version */ + ECM_SIZE(channel) + ECM_SIZE(event) +
	    ECM_SIZE(time) + ECM_SIZE(event_end) + ECM_SIZE(flags) +
	    ECM_SIZE(price),
    "the additional data is the fields ecm_aad writes");

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

static int
ecm_aad_read(struct proto_rd *r, uint8_t *version, struct proto_ecm *e)
{
	int rc;

	if ((rc = proto_rd_u8(r, version)) != 0 ||
	    (rc = proto_rd_u16(r, &e->channel)) != 0 ||
	    (rc = proto_rd_u32(r, &e->event)) != 0 ||
	    (rc = proto_rd_u32(r, &e->time)) != 0 ||
	    (rc = proto_rd_u32(r, &e->event_end)) != 0 ||
	    (rc = proto_rd_u8(r, &e->flags)) != 0 ||
	    (rc = proto_rd_u32(r, &e->price)) != 0)
		return rc;
	return 0;
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
	if ((rc = ecm_aad_read(&r, &version, &e)) != 0 ||
	    (rc = proto_rd_ptr(&r, PROTO_GCM_IV_LEN, &iv)) != 0 ||
	    (rc = proto_rd_ptr(&r, PROTO_CW_LEN, &ct)) != 0 ||
	    (rc = proto_rd_ptr(&r, PROTO_GCM_TAG_LEN, &tag)) != 0 ||
	    (rc = proto_rd_end(&r)) != 0)
		goto out;
	if (version != PROTO_ECM_VERSION) {
		rc = PROTO_ERR_FORMAT;
		goto out;
	}
	if ((rc = proto_gcm_open(key, iv, buf, PROTO_ECM_AAD_LEN, ct,
		 PROTO_CW_LEN, tag, plain)) != 0)
		goto out;
	if (cw != NULL)
		memcpy(cw, plain, PROTO_CW_LEN);
	*out = e;
out:
	proto_cleanse(plain, sizeof(plain));
	return rc;
}
