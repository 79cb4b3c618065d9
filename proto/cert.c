/* SPDX-License-Identifier: BSD-2-Clause */
/* Card certificates: signed by the issuer key, verified by decoders. */
#include <string.h>

#include "cert.h"
#include "proto.h"

#define CERT_SIZE(f) PROTO_MEMBER_SIZE(struct proto_cert, f)
/* An uncompressed point starts with this byte. */
#define EC_POINT_UNCOMPRESSED 0x04

_Static_assert(PROTO_CERT_LEN ==
	sizeof(uint8_t) /* version */ + CERT_SIZE(ua) + CERT_SIZE(pub) +
	    CERT_SIZE(versions) + PROTO_EC_SIG_LEN,
    "a certificate is the fields proto_cert_sign writes");

int
proto_cert_sign(const struct proto_cert *c,
    const uint8_t issuer_priv[PROTO_EC_PRIV_LEN],
    const uint8_t issuer_pub[PROTO_EC_PUB_LEN], struct proto_wr *w)
{
	struct proto_wr x = *w;
	uint8_t *start = x.p + x.len, *sig;
	int rc;

	if (c->pub[0] != EC_POINT_UNCOMPRESSED)
		return PROTO_ERR_ARG;
	if ((rc = proto_wr_u8(&x, PROTO_CERT_VERSION)) != 0 ||
	    (rc = proto_wr_bytes(&x, c->ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_wr_bytes(&x, c->pub, PROTO_EC_PUB_LEN)) != 0 ||
	    (rc = proto_wr_bytes(&x, c->versions, PROTO_VERSIONS_LEN)) != 0 ||
	    (rc = proto_wr_reserve(&x, PROTO_EC_SIG_LEN, &sig)) != 0)
		return rc;
	if ((rc = proto_ec_sign(issuer_priv, issuer_pub, start,
		 (size_t)(sig - start), sig)) != 0)
		return rc;
	*w = x;
	return 0;
}

int
proto_cert_parse(const uint8_t *buf, size_t len, struct proto_cert *out)
{
	struct proto_cert c;
	struct proto_rd r;
	uint8_t version;
	int rc;

	proto_rd_init(&r, buf, len);
	if ((rc = proto_rd_u8(&r, &version)) != 0 ||
	    (rc = proto_rd_bytes(&r, c.ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_rd_bytes(&r, c.pub, PROTO_EC_PUB_LEN)) != 0 ||
	    (rc = proto_rd_bytes(&r, c.versions, PROTO_VERSIONS_LEN)) != 0 ||
	    (rc = proto_rd_skip(&r, PROTO_EC_SIG_LEN)) != 0 ||
	    (rc = proto_rd_end(&r)) != 0)
		return rc;
	if (version != PROTO_CERT_VERSION || c.pub[0] != EC_POINT_UNCOMPRESSED)
		return PROTO_ERR_FORMAT;
	*out = c;
	return 0;
}

int
proto_cert_verify(const uint8_t *buf, size_t len,
    const uint8_t issuer_pub[PROTO_EC_PUB_LEN], struct proto_cert *out)
{
	struct proto_cert c;
	int rc;

	if ((rc = proto_cert_parse(buf, len, &c)) != 0)
		return rc;
	if ((rc = proto_ec_verify(issuer_pub, buf, len - PROTO_EC_SIG_LEN,
		 buf + len - PROTO_EC_SIG_LEN)) != 0)
		return rc;
	*out = c;
	return 0;
}
