/* SPDX-License-Identifier: BSD-2-Clause */
#include "proto.h"
#include "tlv.h"

static int
tlv_read_tag(struct proto_rd *r, uint16_t *tag, int *constructed)
{
	uint8_t b0, b1;
	int rc;

	if ((rc = proto_rd_u8(r, &b0)) != 0)
		return rc;
	if (b0 == 0x00 || b0 == 0xff)
		return PROTO_ERR_FORMAT;
	*constructed = (b0 & 0x20) != 0;
	if ((b0 & 0x1f) != 0x1f) {
		*tag = b0;
		return 0;
	}
	if ((rc = proto_rd_u8(r, &b1)) != 0)
		return rc;
	/* Only two-byte tags, and only the minimal encoding of them. */
	if ((b1 & 0x80) != 0 || b1 < 0x1f)
		return PROTO_ERR_FORMAT;
	*tag = (uint16_t)((b0 << 8) | b1);
	return 0;
}

static int
tlv_read_len(struct proto_rd *r, size_t *len)
{
	uint8_t b0;
	uint32_t v;
	uint16_t v16;
	uint8_t v8;
	int rc;

	if ((rc = proto_rd_u8(r, &b0)) != 0)
		return rc;
	if (b0 < 0x80) {
		*len = b0;
		return 0;
	}
	switch (b0) {
	case 0x81:
		rc = proto_rd_u8(r, &v8);
		v = v8;
		break;
	case 0x82:
		rc = proto_rd_u16(r, &v16);
		v = v16;
		break;
	case 0x83:
		rc = proto_rd_u24(r, &v);
		break;
	default:
		return PROTO_ERR_LENGTH;
	}
	if (rc != 0)
		return rc;
	*len = v;
	return 0;
}

int
proto_tlv_read(struct proto_rd *r, struct proto_tlv *t)
{
	struct proto_rd c = *r;
	struct proto_tlv out;
	size_t len;
	int rc;

	if ((rc = tlv_read_tag(&c, &out.tag, &out.constructed)) != 0)
		return rc;
	if ((rc = tlv_read_len(&c, &len)) != 0)
		return rc;
	if (len > proto_rd_left(&c))
		return PROTO_ERR_LENGTH;
	if ((rc = proto_rd_sub(&c, len, &out.value)) != 0)
		return rc;
	*r = c;
	*t = out;
	return 0;
}

static int
tlv_check_level(struct proto_rd r, int depth)
{
	struct proto_tlv t;
	int rc;

	if (depth > PROTO_TLV_MAX_DEPTH)
		return PROTO_ERR_DEPTH;
	while (proto_rd_left(&r) > 0) {
		if ((rc = proto_tlv_read(&r, &t)) != 0)
			return rc;
		if (t.constructed &&
		    (rc = tlv_check_level(t.value, depth + 1)) != 0)
			return rc;
	}
	return 0;
}

int
proto_tlv_check(const struct proto_rd *r)
{
	return tlv_check_level(*r, 1);
}

int
proto_tlv_find(const struct proto_rd *r, uint16_t tag, struct proto_rd *value)
{
	struct proto_rd c = *r;
	struct proto_tlv t;
	int rc;

	while (proto_rd_left(&c) > 0) {
		if ((rc = proto_tlv_read(&c, &t)) != 0)
			return rc;
		if (t.tag == tag) {
			*value = t.value;
			return 0;
		}
	}
	return PROTO_ERR_NOTFOUND;
}

static int
tlv_tag_valid(uint16_t tag)
{
	uint8_t hi = (uint8_t)(tag >> 8), lo = (uint8_t)tag;

	if (hi == 0)
		return lo != 0x00 && lo != 0xff && (lo & 0x1f) != 0x1f;
	return (hi & 0x1f) == 0x1f && hi != 0xff && (lo & 0x80) == 0 &&
	    lo >= 0x1f;
}

int
proto_tlv_write_hdr(struct proto_wr *w, uint16_t tag, size_t len)
{
	uint8_t hdr[6];
	size_t n = 0;

	if (!tlv_tag_valid(tag))
		return PROTO_ERR_ARG;
	if (len > PROTO_TLV_MAX_LEN)
		return PROTO_ERR_TOOBIG;
	if (tag > 0xff)
		hdr[n++] = (uint8_t)(tag >> 8);
	hdr[n++] = (uint8_t)tag;
	if (len < 0x80) {
		hdr[n++] = (uint8_t)len;
	} else if (len <= 0xff) {
		hdr[n++] = 0x81;
		hdr[n++] = (uint8_t)len;
	} else if (len <= 0xffff) {
		hdr[n++] = 0x82;
		proto_put_be(hdr + n, len, 2);
		n += 2;
	} else {
		hdr[n++] = 0x83;
		proto_put_be(hdr + n, len, 3);
		n += 3;
	}
	if (n + len > w->cap - w->len)
		return PROTO_ERR_NOSPACE;
	return proto_wr_bytes(w, hdr, n);
}

int
proto_tlv_write(struct proto_wr *w, uint16_t tag, const void *v, size_t len)
{
	int rc;

	if ((rc = proto_tlv_write_hdr(w, tag, len)) != 0)
		return rc;
	return proto_wr_bytes(w, v, len);
}
