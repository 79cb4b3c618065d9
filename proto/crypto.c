/* SPDX-License-Identifier: BSD-2-Clause */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "proto.h"

#define EC_GROUP_NAME "prime256v1"

struct proto_ec_pub {
	EVP_PKEY *pkey;
};

int
proto_sha256(const void *data, size_t len, uint8_t out[PROTO_SHA256_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != PROTO_SHA256_LEN)
		return PROTO_ERR_CRYPTO;
	return 0;
}

int
proto_random(void *buf, size_t n)
{
	if (n > (size_t)INT_MAX)
		return PROTO_ERR_ARG;
	return RAND_bytes(buf, (int)n) == 1 ? 0 : PROTO_ERR_CRYPTO;
}

int
proto_memcmp_ct(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0 ? 0 : 1;
}

void
proto_cleanse(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}

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

/* DER-encode a raw signature into a new buffer. */
static int
sig_raw_to_der(const uint8_t raw[PROTO_EC_SIG_LEN], uint8_t **der, size_t *len)
{
	ECDSA_SIG *sig;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *out = NULL;
	int n, rc = PROTO_ERR_CRYPTO;

	if ((sig = ECDSA_SIG_new()) == NULL)
		return PROTO_ERR_NOMEM;
	if ((r = BN_bin2bn(raw, 32, NULL)) == NULL ||
	    (s = BN_bin2bn(raw + 32, 32, NULL)) == NULL ||
	    ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	if ((n = i2d_ECDSA_SIG(sig, &out)) <= 0)
		goto out;
	*der = out;
	*len = (size_t)n;
	rc = 0;
out:
	ECDSA_SIG_free(sig);
	return rc;
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

static int
verify_pkey(EVP_PKEY *pkey, const void *msg, size_t len,
    const uint8_t sig[PROTO_EC_SIG_LEN])
{
	EVP_MD_CTX *md = NULL;
	uint8_t *der = NULL;
	size_t dlen = 0;
	int rc, v;

	if ((rc = sig_raw_to_der(sig, &der, &dlen)) != 0)
		return rc;
	rc = PROTO_ERR_CRYPTO;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pkey,
		NULL) != 1)
		goto out;
	v = EVP_DigestVerify(md, der, dlen, msg, len);
	rc = v == 1 ? 0 : PROTO_ERR_AUTH;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
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
 * about 60 us here, most of it building the group again; a copy of a key
 * that holds the group, given the new point, about 12 us.  The template
 * is a public key of its own (the generator's point: no private half to
 * copy), made once.
 */
static const uint8_t p256_generator[PROTO_EC_PUB_LEN] = { 0x04, 0x6b, 0x17,
	0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4,
	0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1,
	0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a,
	0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce,
	0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf,
	0x51, 0xf5 };
static CRYPTO_ONCE pub_template_once = CRYPTO_ONCE_STATIC_INIT;
static EVP_PKEY *pub_template; /* NULL: not made, keys made whole */

static void
pub_template_make(void)
{
	if (ec_pkey(NULL, p256_generator, &pub_template) != 0)
		pub_template = NULL;
}

/* The public key of point pub (uncompressed); checked to be on the
 * curve either way. */
static int
ec_pub_pkey(const uint8_t pub[PROTO_EC_PUB_LEN], EVP_PKEY **out)
{
	EVP_PKEY *k;

	if (!CRYPTO_THREAD_run_once(&pub_template_once, pub_template_make) ||
	    pub_template == NULL)
		return ec_pkey(NULL, pub, out);
	if ((k = EVP_PKEY_dup(pub_template)) == NULL)
		return PROTO_ERR_CRYPTO;
	if (EVP_PKEY_set1_encoded_public_key(k, pub, PROTO_EC_PUB_LEN) != 1) {
		EVP_PKEY_free(k);
		return PROTO_ERR_CRYPTO;
	}
	*out = k;
	return 0;
}

int
proto_ec_pub_new(const uint8_t pub[PROTO_EC_PUB_LEN], struct proto_ec_pub **out)
{
	struct proto_ec_pub *k;

	if (pub == NULL || pub[0] != 0x04)
		return PROTO_ERR_FORMAT;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return PROTO_ERR_NOMEM;
	if (ec_pub_pkey(pub, &k->pkey) != 0) {
		free(k);
		return PROTO_ERR_FORMAT; /* not a point on the curve */
	}
	*out = k;
	return 0;
}

void
proto_ec_pub_free(struct proto_ec_pub **kp)
{
	if (kp == NULL || *kp == NULL)
		return;
	EVP_PKEY_free((*kp)->pkey);
	free(*kp);
	*kp = NULL;
}

int
proto_ec_pub_verify(const struct proto_ec_pub *k, const void *msg, size_t len,
    const uint8_t sig[PROTO_EC_SIG_LEN])
{
	return verify_pkey(k->pkey, msg, len, sig);
}

static int
gcm(int enc, const uint8_t key[PROTO_AES_KEY_LEN],
    const uint8_t iv[PROTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *in, size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c;
	int n = 0, rc = PROTO_ERR_CRYPTO;

	if (aadlen > INT_MAX || len > INT_MAX)
		return PROTO_ERR_TOOBIG;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return PROTO_ERR_NOMEM;
	if (EVP_CipherInit_ex2(c, EVP_aes_256_gcm(), key, iv, enc, NULL) != 1)
		goto out;
	if (!enc &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, PROTO_GCM_TAG_LEN,
		tag) != 1)
		goto out;
	if (aadlen > 0 && EVP_CipherUpdate(c, NULL, &n, aad, (int)aadlen) != 1)
		goto out;
	if (len > 0 && EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + len, &n) != 1) {
		rc = enc ? PROTO_ERR_CRYPTO : PROTO_ERR_AUTH;
		goto out;
	}
	if (enc &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, PROTO_GCM_TAG_LEN,
		tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int
proto_gcm_seal(const uint8_t key[PROTO_AES_KEY_LEN],
    const uint8_t iv[PROTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *in, size_t len, uint8_t *out, uint8_t tag[PROTO_GCM_TAG_LEN])
{
	return gcm(1, key, iv, aad, aadlen, in, len, out, tag);
}

int
proto_gcm_open(const uint8_t key[PROTO_AES_KEY_LEN],
    const uint8_t iv[PROTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *in, size_t len, const uint8_t tag[PROTO_GCM_TAG_LEN],
    uint8_t *out)
{
	uint8_t *tmp;
	int rc;

	/* Decrypt aside: out sees nothing unless the tag is right. */
	if ((tmp = malloc(len + 1)) == NULL)
		return PROTO_ERR_NOMEM;
	rc = gcm(0, key, iv, aad, aadlen, in, len, tmp,
	    (uint8_t *)(uintptr_t)tag);
	if (rc == 0 && len > 0)
		memcpy(out, tmp, len);
	proto_cleanse(tmp, len + 1);
	free(tmp);
	return rc;
}

int
proto_hkdf(const void *secret, size_t slen, const void *salt, size_t saltlen,
    const void *info, size_t infolen, uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[5];
	int rc = PROTO_ERR_CRYPTO;

	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
		return PROTO_ERR_CRYPTO;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (kctx == NULL)
		return PROTO_ERR_NOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)(uintptr_t) "SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)secret, slen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)(uintptr_t)salt, saltlen);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)(uintptr_t)info, infolen);
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, outlen, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(kctx);
	return rc;
}
