/* SPDX-License-Identifier: BSD-2-Clause */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "proto.h"

struct proto_hkdf_key {
	EVP_KDF_CTX *c; /* expand only, keyed by the PRK */
};

struct proto_gcm_key {
	EVP_CIPHER_CTX *c; /* keyed: each message sets its IV only */
};

/*
 * The algorithms fetched once: an implicit fetch (EVP_sha256() and the
 * like) looks the provider's method up again on every call.
 */
static CRYPTO_ONCE fetch_once = CRYPTO_ONCE_STATIC_INIT;
static EVP_MD *sha256_md;
static EVP_CIPHER *gcm_cipher;
static EVP_KDF *hkdf_kdf;

static void
fetch_make(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	gcm_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	hkdf_kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
}

/* 0 when the fetched algorithms are there (a failed fetch stays NULL). */
static int
fetched(void)
{
	if (!CRYPTO_THREAD_run_once(&fetch_once, fetch_make) ||
	    sha256_md == NULL || gcm_cipher == NULL || hkdf_kdf == NULL)
		return PROTO_ERR_CRYPTO;
	return 0;
}

int
proto_sha256(const void *data, size_t len, uint8_t out[PROTO_SHA256_LEN])
{
	unsigned int n = 0;

	if (fetched() != 0 ||
	    EVP_Digest(data, len, out, &n, sha256_md, NULL) != 1 ||
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

/*
 * One message through c, keyed already or by key (when not NULL): the
 * tag is checked (open) or written (seal).
 */
static int
gcm(EVP_CIPHER_CTX *c, int enc, const uint8_t *key,
    const uint8_t iv[PROTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *in, size_t len, uint8_t *out, uint8_t *tag)
{
	int n = 0;

	if (aadlen > INT_MAX || len > INT_MAX)
		return PROTO_ERR_TOOBIG;
	if (EVP_CipherInit_ex2(c, key != NULL ? gcm_cipher : NULL, key, iv, enc,
		NULL) != 1)
		return PROTO_ERR_CRYPTO;
	if (!enc &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, PROTO_GCM_TAG_LEN,
		tag) != 1)
		return PROTO_ERR_CRYPTO;
	if (aadlen > 0 && EVP_CipherUpdate(c, NULL, &n, aad, (int)aadlen) != 1)
		return PROTO_ERR_CRYPTO;
	if (len > 0 && EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)
		return PROTO_ERR_CRYPTO;
	if (EVP_CipherFinal_ex(c, out + len, &n) != 1)
		return enc ? PROTO_ERR_CRYPTO : PROTO_ERR_AUTH;
	if (enc &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, PROTO_GCM_TAG_LEN,
		tag) != 1)
		return PROTO_ERR_CRYPTO;
	return 0;
}

/* A message opened aside: out sees nothing unless the tag is right. */
#define GCM_STACK_LEN 512

static int
gcm_open_aside(EVP_CIPHER_CTX *c, const uint8_t *key,
    const uint8_t iv[PROTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *in, size_t len, const uint8_t tag[PROTO_GCM_TAG_LEN],
    uint8_t *out)
{
	uint8_t buf[GCM_STACK_LEN + 1], *tmp = buf;
	int rc;

	if (len > GCM_STACK_LEN && (tmp = malloc(len + 1)) == NULL)
		return PROTO_ERR_NOMEM;
	rc = gcm(c, 0, key, iv, aad, aadlen, in, len, tmp,
	    (uint8_t *)(uintptr_t)tag);
	if (rc == 0 && len > 0)
		memcpy(out, tmp, len);
	proto_cleanse(tmp, len + 1);
	if (tmp != buf)
		free(tmp);
	return rc;
}

/* A fresh cipher context, the cipher fetched. */
static int
gcm_ctx_new(EVP_CIPHER_CTX **c)
{
	int rc;

	if ((rc = fetched()) != 0)
		return rc;
	if ((*c = EVP_CIPHER_CTX_new()) == NULL)
		return PROTO_ERR_NOMEM;
	return 0;
}

int
proto_gcm_seal(const uint8_t key[PROTO_AES_KEY_LEN],
    const uint8_t iv[PROTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *in, size_t len, uint8_t *out, uint8_t tag[PROTO_GCM_TAG_LEN])
{
	EVP_CIPHER_CTX *c;
	int rc;

	if ((rc = gcm_ctx_new(&c)) != 0)
		return rc;
	rc = gcm(c, 1, key, iv, aad, aadlen, in, len, out, tag);
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int
proto_gcm_open(const uint8_t key[PROTO_AES_KEY_LEN],
    const uint8_t iv[PROTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *in, size_t len, const uint8_t tag[PROTO_GCM_TAG_LEN],
    uint8_t *out)
{
	EVP_CIPHER_CTX *c;
	int rc;

	if ((rc = gcm_ctx_new(&c)) != 0)
		return rc;
	rc = gcm_open_aside(c, key, iv, aad, aadlen, in, len, tag, out);
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int
proto_gcm_key_new(const uint8_t key[PROTO_AES_KEY_LEN],
    struct proto_gcm_key **out)
{
	struct proto_gcm_key *k;
	int rc;

	if (key == NULL || out == NULL)
		return PROTO_ERR_ARG;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = gcm_ctx_new(&k->c)) != 0)
		goto out;
	/* decrypting: the key schedule and GHASH's table made here, once */
	if (EVP_DecryptInit_ex2(k->c, gcm_cipher, key, NULL, NULL) != 1) {
		rc = PROTO_ERR_CRYPTO;
		goto out;
	}
	*out = k;
	k = NULL;
out:
	proto_gcm_key_free(&k);
	return rc;
}

void
proto_gcm_key_free(struct proto_gcm_key **kp)
{
	if (kp == NULL || *kp == NULL)
		return;
	EVP_CIPHER_CTX_free((*kp)->c); /* wipes the key schedule */
	free(*kp);
	*kp = NULL;
}

int
proto_gcm_key_open(struct proto_gcm_key *k, const uint8_t iv[PROTO_GCM_IV_LEN],
    const void *aad, size_t aadlen, const void *in, size_t len,
    const uint8_t tag[PROTO_GCM_TAG_LEN], uint8_t *out)
{
	if (k == NULL)
		return PROTO_ERR_ARG;
	return gcm_open_aside(k->c, NULL, iv, aad, aadlen, in, len, tag, out);
}

/* HKDF-SHA-256's digest, secret and salt: params[0..2]. */
static void
hkdf_params(OSSL_PARAM params[3], const void *secret, size_t slen,
    const void *salt, size_t saltlen)
{
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)(uintptr_t) "SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)secret, slen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)(uintptr_t)salt, saltlen);
}

int
proto_hkdf(const void *secret, size_t slen, const void *salt, size_t saltlen,
    const void *info, size_t infolen, uint8_t *out, size_t outlen)
{
	EVP_KDF_CTX *kctx;
	OSSL_PARAM params[5];
	int rc;

	if ((rc = fetched()) != 0)
		return rc;
	if ((kctx = EVP_KDF_CTX_new(hkdf_kdf)) == NULL)
		return PROTO_ERR_NOMEM;
	rc = PROTO_ERR_CRYPTO;
	hkdf_params(params, secret, slen, salt, saltlen);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)(uintptr_t)info, infolen);
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, outlen, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(kctx);
	return rc;
}

int
proto_hkdf_key_new(const void *secret, size_t slen, const void *salt,
    size_t saltlen, struct proto_hkdf_key **out)
{
	struct proto_hkdf_key *k = NULL;
	uint8_t prk[PROTO_SHA256_LEN];
	int extract = EVP_KDF_HKDF_MODE_EXTRACT_ONLY,
	    expand = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM params[5];
	int rc;

	if (out == NULL)
		return PROTO_ERR_ARG;
	if ((rc = fetched()) != 0)
		return rc;
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->c = EVP_KDF_CTX_new(hkdf_kdf)) == NULL) {
		rc = PROTO_ERR_NOMEM;
		goto out;
	}
	rc = PROTO_ERR_CRYPTO;
	hkdf_params(params, secret, slen, salt, saltlen);
	params[3] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &extract);
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(k->c, prk, sizeof(prk), params) != 1)
		goto out;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, prk,
	    sizeof(prk));
	params[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &expand);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_KDF_CTX_set_params(k->c, params) != 1)
		goto out;
	*out = k;
	k = NULL;
	rc = 0;
out:
	proto_cleanse(prk, sizeof(prk));
	proto_hkdf_key_free(&k);
	return rc;
}

int
proto_hkdf_key_derive(struct proto_hkdf_key *k, const void *info,
    size_t infolen, uint8_t *out, size_t outlen)
{
	OSSL_PARAM params[2];

	if (k == NULL)
		return PROTO_ERR_ARG;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)(uintptr_t)info, infolen);
	params[1] = OSSL_PARAM_construct_end();
	return EVP_KDF_derive(k->c, out, outlen, params) == 1 ?
	    0 :
	    PROTO_ERR_CRYPTO;
}

void
proto_hkdf_key_free(struct proto_hkdf_key **kp)
{
	if (kp == NULL || *kp == NULL)
		return;
	EVP_KDF_CTX_free((*kp)->c); /* wipes the PRK */
	free(*kp);
	*kp = NULL;
}
