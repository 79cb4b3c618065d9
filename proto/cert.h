/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The card certificate (card/APDU.md, "Card certificate"): at
 * personalization the operator's issuer key signs the card's UA, public
 * key and function versions; the card returns it with GET DATA 01 09, and
 * a decoder holding the issuer's public key can tell a genuine card's
 * blocks from a programmable card's that claims its UA.
 *
 *   version (1) = 1, UA (8), card public key (65), versions (4)
 *   signature  ECDSA P-256 by the issuer key over everything before it (64)
 */
#ifndef PROTO_CERT_H
#define PROTO_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"
#include "ua.h"

#define PROTO_CERT_VERSION 1
#define PROTO_CERT_LEN                                              \
	(1 + PROTO_UA_LEN + PROTO_EC_PUB_LEN + PROTO_VERSIONS_LEN + \
	    PROTO_EC_SIG_LEN)

struct proto_cert {
	uint8_t ua[PROTO_UA_LEN];
	uint8_t pub[PROTO_EC_PUB_LEN]; /* the card's signing key */
	uint8_t versions[PROTO_VERSIONS_LEN];
};

/* Sign c with the issuer's key pair into w (PROTO_CERT_LEN bytes). */
int proto_cert_sign(const struct proto_cert *c,
    const uint8_t issuer_priv[PROTO_EC_PRIV_LEN],
    const uint8_t issuer_pub[PROTO_EC_PUB_LEN], struct proto_wr *w);
/*
 * Parse a certificate (layout only: length, version, an uncompressed
 * point) into *c, written only on success.
 */
int proto_cert_parse(const uint8_t *buf, size_t len, struct proto_cert *c);
/* Parse and verify against the issuer's public key; *c only on success. */
int proto_cert_verify(const uint8_t *buf, size_t len,
    const uint8_t issuer_pub[PROTO_EC_PUB_LEN], struct proto_cert *c);

#endif
