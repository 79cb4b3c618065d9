/* SPDX-License-Identifier: BSD-2-Clause */
/* ECDSA P-256 (crypto.h): key pairs, signatures, public keys kept. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/param_build.h>

#include "crypto.h"
#include "proto.h"

#define EC_GROUP_NAME "prime256v1"

/*
 * A DER ECDSA-Sig-Value of two 32-byte integers: SEQUENCE { INTEGER r,
 * INTEGER s }, each INTEGER at most 33 content bytes (a 0x00 before a
 * top bit set), so every length fits in one byte.
 */
#define SIG_INT_LEN (PROTO_EC_SIG_LEN / 2)
#define SIG_DER_INT_MAX (2 + 1 + SIG_INT_LEN)
#define SIG_DER_MAX (2 + 2 * SIG_DER_INT_MAX)
_Static_assert(SIG_DER_MAX - 2 < 0x80, "one-byte DER lengths");

struct proto_ec_pub {
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *vctx; /* verify, initialized for pkey */
	int usable;         /* 0 after a failed proto_ec_pub_set */
};

/* Build an EC key from raw parts; priv may be NULL for a public key. */
static int
ec_pkey(const uint8_t *priv, const uint8_t pub[PROTO_EC_PUB_LEN],
    EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *d = NULL;
	int rc = PROTO_ERR_CRYPTO;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
		EC_GROUP_NAME, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
		PROTO_EC_PUB_LEN))
		goto out;
	if (priv != NULL &&
	    ((d = BN_secure_new()) == NULL ||
		BN_bin2bn(priv, PROTO_EC_PRIV_LEN, d) == NULL ||
		!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)))
		goto out;
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out,
		priv != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
		params) != 1)
		goto out;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return rc;
}

int
proto_ec_keygen(uint8_t priv[PROTO_EC_PRIV_LEN], uint8_t pub[PROTO_EC_PUB_LEN])
{
	uint8_t d_raw[PROTO_EC_PRIV_LEN], q_raw[PROTO_EC_PUB_LEN];
	EVP_PKEY *pkey = NULL;
	BIGNUM *d = NULL;
	size_t n = 0;
	int rc = PROTO_ERR_CRYPTO;

	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", EC_GROUP_NAME)) == NULL)
		goto out;
	if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY,
		q_raw, sizeof(q_raw), &n) != 1 ||
	    n != sizeof(q_raw) ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 ||
	    BN_bn2binpad(d, d_raw, sizeof(d_raw)) != (int)sizeof(d_raw))
		goto out;
	memcpy(priv, d_raw, sizeof(d_raw));
	memcpy(pub, q_raw, sizeof(q_raw));
	rc = 0;
out:
	proto_cleanse(d_raw, sizeof(d_raw));
	BN_clear_free(d);
	EVP_PKEY_free(pkey);
	return rc;
}

static int
sig_der_to_raw(const uint8_t *der, size_t len, uint8_t raw[PROTO_EC_SIG_LEN])
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	uint8_t tmp[PROTO_EC_SIG_LEN];
	ECDSA_SIG *sig;
	int rc = PROTO_ERR_CRYPTO;

	if (len > LONG_MAX ||
	    (sig = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		return PROTO_ERR_CRYPTO;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, tmp, 32) == 32 &&
	    BN_bn2binpad(s, tmp + 32, 32) == 32) {
		memcpy(raw, tmp, sizeof(tmp));
		rc = 0;
	}
	ECDSA_SIG_free(sig);
	return rc;
}

/*
 * One DER INTEGER of the unsigned big-endian v (n bytes) at out: leading
 * zero bytes dropped (one kept for zero), a 0x00 put before a top bit
 * set.  The bytes written, at most 2 + 1 + n.
 */
static size_t
der_uint(const uint8_t *v, size_t n, uint8_t *out)
{
	size_t i = 0, len, pad;

	while (i + 1 < n && v[i] == 0)
		i++;
	len = n - i;
	pad = (v[i] & 0x80) != 0;
	out[0] = 0x02;
	out[1] = (uint8_t)(pad + len);
	if (pad)
		out[2] = 0x00;
	memcpy(out + 2 + pad, v + i, len);
	return 2 + pad + len;
}

/*
 * The DER of raw (r || s) into der, as i2d_ECDSA_SIG writes it (the
 * verifier refuses any other encoding): its length, at most SIG_DER_MAX.
 */
static size_t
sig_raw_to_der(const uint8_t raw[PROTO_EC_SIG_LEN], uint8_t der[SIG_DER_MAX])
{
	size_t n = 2;

	n += der_uint(raw, SIG_INT_LEN, der + n);
	n += der_uint(raw + SIG_INT_LEN, SIG_INT_LEN, der + n);
	der[0] = 0x30;
	der[1] = (uint8_t)(n - 2);
	return n;
}

int
proto_ec_sign(const uint8_t priv[PROTO_EC_PRIV_LEN],
    const uint8_t pub[PROTO_EC_PUB_LEN], const void *msg, size_t len,
    uint8_t sig[PROTO_EC_SIG_LEN])
{
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	uint8_t der[80];
	size_t dlen = sizeof(der);
	int rc;

	if ((rc = ec_pkey(priv, pub, &pkey)) != 0)
		return rc;
	rc = PROTO_ERR_CRYPTO;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, pkey, NULL) !=
		1 ||
	    EVP_DigestSign(md, der, &dlen, msg, len) != 1)
		goto out;
	rc = sig_der_to_raw(der, dlen, sig);
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return rc;
}

int
proto_ec_verify(const uint8_t pub[PROTO_EC_PUB_LEN], const void *msg,
    size_t len, const uint8_t sig[PROTO_EC_SIG_LEN])
{
	struct proto_ec_pub *k = NULL;
	int rc;

	if ((rc = proto_ec_pub_new(pub, &k)) != 0)
		return rc;
	rc = proto_ec_pub_verify(k, msg, len, sig);
	proto_ec_pub_free(&k);
	return rc;
}

/*
 * A public key made from the curve's parameters (EVP_PKEY_fromdata) costs
 * about 36-60 us here, most of it building the group again (d2i_PUBKEY
 * about 200); a copy of a key that holds the group, given the new point,
 * about 7-12 us (EVP_PKEY_copy_parameters into a new key the same), and
 * its verify context 4 more; a kept key given another point in place
 * (proto_ec_pub_set) about 1.5, its context initialized again 1.3.  The
 * template is a public key of its own (the generator's point: no
 * private half to copy), made once.
 */
static const uint8_t p256_generator[PROTO_EC_PUB_LEN] = { 0x04, 0x6b, 0x17,
	0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4,
	0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1,
	0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a,
	0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce,
	0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf,
	0x51, 0xf5 };
static CRYPTO_ONCE ec_once = CRYPTO_ONCE_STATIC_INIT;
static EVP_PKEY *pub_template; /* NULL: not made, keys made whole */
static EVP_MD *ec_md;          /* SHA-256 fetched once, the verify's */

static void
ec_once_make(void)
{
	ec_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (ec_pkey(NULL, p256_generator, &pub_template) != 0)
		pub_template = NULL;
}

/* The public key of point pub (uncompressed); checked to be on the
 * curve either way.  After ec_once. */
static int
ec_pub_pkey(const uint8_t pub[PROTO_EC_PUB_LEN], EVP_PKEY **out)
{
	EVP_PKEY *k;

	if (pub_template == NULL)
		return ec_pkey(NULL, pub, out);
	if ((k = EVP_PKEY_dup(pub_template)) == NULL)
		return PROTO_ERR_CRYPTO;
	if (pub != p256_generator && /* the template's own point */
	    EVP_PKEY_set1_encoded_public_key(k, pub, PROTO_EC_PUB_LEN) != 1) {
		EVP_PKEY_free(k);
		return PROTO_ERR_CRYPTO;
	}
	*out = k;
	return 0;
}

/* The verify context of k->pkey, made again (its key may have changed). */
static int
pub_vctx(struct proto_ec_pub *k)
{
	if (k->vctx == NULL) {
		if ((k->vctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey,
			 NULL)) == NULL)
			return PROTO_ERR_NOMEM;
		if (EVP_PKEY_verify_init(k->vctx) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(k->vctx, ec_md) != 1)
			return PROTO_ERR_CRYPTO;
		return 0;
	}
	/* verify_init takes the context's key as it is now */
	return EVP_PKEY_verify_init(k->vctx) == 1 ? 0 : PROTO_ERR_CRYPTO;
}

/* The key of point pub, or an unusable one of the generator's (NULL). */
static int
pub_make(const uint8_t *pub, struct proto_ec_pub **out)
{
	struct proto_ec_pub *k;
	int rc;

	if (!CRYPTO_THREAD_run_once(&ec_once, ec_once_make) || ec_md == NULL)
		return PROTO_ERR_CRYPTO;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return PROTO_ERR_NOMEM;
	if (ec_pub_pkey(pub != NULL ? pub : p256_generator, &k->pkey) != 0) {
		rc = PROTO_ERR_FORMAT; /* not a point on the curve */
		goto out;
	}
	if ((rc = pub_vctx(k)) != 0)
		goto out;
	k->usable = pub != NULL;
	*out = k;
	k = NULL;
out:
	proto_ec_pub_free(&k);
	return rc;
}

int
proto_ec_pub_new(const uint8_t pub[PROTO_EC_PUB_LEN], struct proto_ec_pub **out)
{
	if (pub == NULL || pub[0] != 0x04)
		return PROTO_ERR_FORMAT;
	return pub_make(pub, out);
}

int
proto_ec_pub_new_unset(struct proto_ec_pub **out)
{
	return pub_make(NULL, out);
}

int
proto_ec_pub_set(struct proto_ec_pub *k, const uint8_t pub[PROTO_EC_PUB_LEN])
{
	int rc;

	if (k == NULL || pub == NULL)
		return PROTO_ERR_ARG;
	k->usable = 0;
	if (pub[0] != 0x04 ||
	    EVP_PKEY_set1_encoded_public_key(k->pkey, pub, PROTO_EC_PUB_LEN) !=
		1)
		return PROTO_ERR_FORMAT; /* not a point on the curve */
	if ((rc = pub_vctx(k)) != 0)
		return rc;
	k->usable = 1;
	return 0;
}

void
proto_ec_pub_free(struct proto_ec_pub **kp)
{
	if (kp == NULL || *kp == NULL)
		return;
	EVP_PKEY_CTX_free((*kp)->vctx);
	EVP_PKEY_free((*kp)->pkey);
	free(*kp);
	*kp = NULL;
}

int
proto_ec_pub_verify(struct proto_ec_pub *k, const void *msg, size_t len,
    const uint8_t sig[PROTO_EC_SIG_LEN])
{
	uint8_t der[SIG_DER_MAX], md[PROTO_SHA256_LEN];
	size_t dlen;
	int rc;

	if (k == NULL || !k->usable)
		return PROTO_ERR_STATE;
	if ((rc = proto_sha256(msg, len, md)) != 0)
		return rc;
	dlen = sig_raw_to_der(sig, der);
	switch (EVP_PKEY_verify(k->vctx, der, dlen, md, sizeof(md))) {
	case 1:
		return 0;
	case 0:
		return PROTO_ERR_AUTH; /* r or s out of range too */
	default:
		return PROTO_ERR_CRYPTO;
	}
}
