/* SPDX-License-Identifier: BSD-2-Clause */
#include <stddef.h>

#include "apdu.h"
#include "proto.h"

#define APDU_SIZE(f) PROTO_MEMBER_SIZE(struct proto_apdu, f)

_Static_assert(PROTO_APDU_HDR_LEN ==
	APDU_SIZE(cla) + APDU_SIZE(ins) + APDU_SIZE(p1) + APDU_SIZE(p2),
    "the header is CLA INS P1 P2");
_Static_assert(PROTO_APDU_MAX_CMD_LEN ==
	PROTO_APDU_HDR_LEN + 3 /* 00 Lc Lc */ + PROTO_APDU_EXT_MAX_LC +
	    2 /* Le Le */,
    "the longest command is case 4E with the most data");

static int
apdu_body(struct proto_rd *r, struct proto_apdu *a)
{
	size_t n = proto_rd_left(r);
	uint8_t b;
	uint16_t v;
	int rc;

	if (n == 0) {
		a->kase = PROTO_APDU_CASE_1;
		return 0;
	}
	if ((rc = proto_rd_u8(r, &b)) != 0)
		return rc;
	if (n == 1) { /* case 2S: Le only */
		a->kase = PROTO_APDU_CASE_2S;
		a->ne = b == 0 ? 256 : b;
		return 0;
	}
	if (b != 0) { /* short Lc */
		a->lc = b;
		if (proto_rd_ptr(r, a->lc, &a->data) != 0)
			return PROTO_ERR_LENGTH;
		if (proto_rd_left(r) == 0) {
			a->kase = PROTO_APDU_CASE_3S;
			return 0;
		}
		if ((rc = proto_rd_u8(r, &b)) != 0)
			return rc;
		if (proto_rd_left(r) != 0)
			return PROTO_ERR_LENGTH;
		a->kase = PROTO_APDU_CASE_4S;
		a->ne = b == 0 ? 256 : b;
		return 0;
	}
	/* 00 followed by two bytes: the extended forms. */
	if (proto_rd_u16(r, &v) != 0)
		return PROTO_ERR_LENGTH;
	if (proto_rd_left(r) == 0) { /* case 2E */
		a->kase = PROTO_APDU_CASE_2E;
		a->ne = v == 0 ? 65536 : v;
		return 0;
	}
	if (v == 0)
		return PROTO_ERR_LENGTH;
	a->lc = v;
	if (proto_rd_ptr(r, a->lc, &a->data) != 0)
		return PROTO_ERR_LENGTH;
	if (proto_rd_left(r) == 0) {
		a->kase = PROTO_APDU_CASE_3E;
		return 0;
	}
	if (proto_rd_u16(r, &v) != 0 || proto_rd_left(r) != 0)
		return PROTO_ERR_LENGTH;
	a->kase = PROTO_APDU_CASE_4E;
	a->ne = v == 0 ? 65536 : v;
	return 0;
}

int
proto_apdu_parse(const uint8_t *buf, size_t len, struct proto_apdu *out)
{
	struct proto_apdu a = { 0 };
	struct proto_rd r;
	int rc;

	if (buf == NULL || out == NULL)
		return PROTO_ERR_ARG;
	proto_rd_init(&r, buf, len);
	if (proto_rd_left(&r) < PROTO_APDU_HDR_LEN)
		return PROTO_ERR_SHORT;
	if ((rc = proto_rd_u8(&r, &a.cla)) != 0 ||
	    (rc = proto_rd_u8(&r, &a.ins)) != 0 ||
	    (rc = proto_rd_u8(&r, &a.p1)) != 0 ||
	    (rc = proto_rd_u8(&r, &a.p2)) != 0)
		return rc;
	if ((rc = apdu_body(&r, &a)) != 0)
		return rc;
	*out = a;
	return 0;
}

int
proto_apdu_is_extended(const struct proto_apdu *a)
{
	return a->kase == PROTO_APDU_CASE_2E || a->kase == PROTO_APDU_CASE_3E ||
	    a->kase == PROTO_APDU_CASE_4E;
}

/* Write an Lc or Le field; an extended field that opens the body gets 00. */
static int
apdu_wr_len(struct proto_wr *w, int ext, int opens_body, size_t v)
{
	int rc;

	if (!ext)
		return proto_wr_u8(w, (uint8_t)(v & 0xff));
	if (opens_body && (rc = proto_wr_u8(w, 0)) != 0)
		return rc;
	return proto_wr_u16(w, (uint16_t)(v & 0xffff));
}

int
proto_apdu_encode(const struct proto_apdu *a, struct proto_wr *w)
{
	struct proto_wr c = *w;
	int ext;
	int rc;

	if (a->lc > PROTO_APDU_EXT_MAX_LC || a->ne > PROTO_APDU_EXT_MAX_NE ||
	    (a->lc > 0 && a->data == NULL))
		return PROTO_ERR_ARG;
	ext =
	    a->lc > PROTO_APDU_SHORT_MAX_LC || a->ne > PROTO_APDU_SHORT_MAX_NE;
	if ((rc = proto_wr_u8(&c, a->cla)) != 0 ||
	    (rc = proto_wr_u8(&c, a->ins)) != 0 ||
	    (rc = proto_wr_u8(&c, a->p1)) != 0 ||
	    (rc = proto_wr_u8(&c, a->p2)) != 0)
		return rc;
	if (a->lc > 0 &&
	    ((rc = apdu_wr_len(&c, ext, 1, a->lc)) != 0 ||
		(rc = proto_wr_bytes(&c, a->data, a->lc)) != 0))
		return rc;
	if (a->ne > 0 && (rc = apdu_wr_len(&c, ext, a->lc == 0, a->ne)) != 0)
		return rc;
	*w = c;
	return 0;
}

int
proto_rapdu_parse(const uint8_t *buf, size_t len, struct proto_rapdu *out)
{
	struct proto_rd r;
	struct proto_rapdu a;
	int rc;

	if (buf == NULL || out == NULL)
		return PROTO_ERR_ARG;
	if (len < 2)
		return PROTO_ERR_SHORT;
	proto_rd_init(&r, buf, len);
	a.len = len - 2;
	if ((rc = proto_rd_ptr(&r, a.len, &a.data)) != 0 ||
	    (rc = proto_rd_u16(&r, &a.sw)) != 0)
		return rc;
	if (a.len == 0)
		a.data = NULL;
	*out = a;
	return 0;
}

const char *
proto_sw_str(uint16_t sw)
{
	if ((sw & 0xff00) == 0x6100)
		return "success, more response bytes available";
	if ((sw & 0xff00) == 0x6c00)
		return "wrong Le, exact length in SW2";
	switch (sw) {
	case 0x9000:
		return "success";
	case 0x6200:
		return "warning, memory unchanged";
	case 0x6581:
		return "memory failure";
	case 0x6700:
		return "wrong length";
	case 0x6881:
		return "logical channel not supported";
	case 0x6882:
		return "secure messaging not supported";
	case 0x6982:
		return "security status not satisfied";
	case 0x6983:
		return "authentication method blocked";
	case 0x6984:
		return "reference data not usable";
	case 0x6985:
		return "conditions of use not satisfied";
	case 0x6986:
		return "command not allowed";
	case 0x6a80:
		return "incorrect data";
	case 0x6a81:
		return "function not supported";
	case 0x6a82:
		return "file or application not found";
	case 0x6a83:
		return "record not found";
	case 0x6a84:
		return "not enough memory";
	case 0x6a86:
		return "incorrect P1 or P2";
	case 0x6a88:
		return "referenced data not found";
	case 0x6d00:
		return "instruction not supported";
	case 0x6e00:
		return "class not supported";
	case 0x6f00:
		return "no precise diagnosis";
	default:
		return "unknown status word";
	}
}
