/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Crypto wrappers over OpenSSL 3 EVP.  Nothing else in the project calls
 * OpenSSL's crypto directly.
 *
 * Keys cross this API as raw bytes: an ECDSA P-256 private key is its
 * 32-byte scalar, a public key its 65-byte uncompressed point (04 X Y), a
 * signature 64 bytes (r || s, each 32 bytes big-endian).
 */
#ifndef PROTO_CRYPTO_H
#define PROTO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_SHA256_LEN 32
#define PROTO_EC_PRIV_LEN 32
#define PROTO_EC_PUB_LEN 65
#define PROTO_EC_SIG_LEN 64
#define PROTO_AES_KEY_LEN 32
#define PROTO_GCM_IV_LEN 12
#define PROTO_GCM_TAG_LEN 16

int proto_sha256(const void *data, size_t len, uint8_t out[PROTO_SHA256_LEN]);
/* Fill buf with n bytes from the system's CSPRNG. */
int proto_random(void *buf, size_t n);
/* Constant-time comparison: 0 when equal. */
int proto_memcmp_ct(const void *a, const void *b, size_t n);
/* Wipe a secret so the compiler cannot drop it. */
void proto_cleanse(void *p, size_t n);

/* A fresh P-256 key pair. */
int
proto_ec_keygen(uint8_t priv[PROTO_EC_PRIV_LEN], uint8_t pub[PROTO_EC_PUB_LEN]);
/* Sign SHA-256(msg) with the key pair. */
int proto_ec_sign(const uint8_t priv[PROTO_EC_PRIV_LEN],
    const uint8_t pub[PROTO_EC_PUB_LEN], const void *msg, size_t len,
    uint8_t sig[PROTO_EC_SIG_LEN]);
/* 0 if sig is a valid signature of SHA-256(msg), PROTO_ERR_AUTH if not. */
int proto_ec_verify(const uint8_t pub[PROTO_EC_PUB_LEN], const void *msg,
    size_t len, const uint8_t sig[PROTO_EC_SIG_LEN]);

/*
 * A public key parsed once for many verifications (the center's cache),
 * with its verify context: not for two threads at once.
 * proto_ec_pub_set makes k the key of another point in place, cheaper
 * than a new key (the curve's group is kept); when it fails (a point not
 * on the curve: PROTO_ERR_FORMAT) k verifies nothing (PROTO_ERR_STATE)
 * until set again.  proto_ec_pub_free accepts NULL and sets *k to NULL.
 */
struct proto_ec_pub;
int
proto_ec_pub_new(const uint8_t pub[PROTO_EC_PUB_LEN], struct proto_ec_pub **k);
/* A key of no point yet, made ahead: it verifies nothing until set. */
int proto_ec_pub_new_unset(struct proto_ec_pub **k);
int
proto_ec_pub_set(struct proto_ec_pub *k, const uint8_t pub[PROTO_EC_PUB_LEN]);
void proto_ec_pub_free(struct proto_ec_pub **k);
int proto_ec_pub_verify(struct proto_ec_pub *k, const void *msg, size_t len,
    const uint8_t sig[PROTO_EC_SIG_LEN]);

/*
 * AES-256-GCM.  seal writes len bytes of ciphertext to out and the tag to
 * tag; open checks the tag (PROTO_ERR_AUTH) before anything is written to
 * out.  out may equal in.
 */
int proto_gcm_seal(const uint8_t key[PROTO_AES_KEY_LEN],
    const uint8_t iv[PROTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *in, size_t len, uint8_t *out, uint8_t tag[PROTO_GCM_TAG_LEN]);
int proto_gcm_open(const uint8_t key[PROTO_AES_KEY_LEN],
    const uint8_t iv[PROTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *in, size_t len, const uint8_t tag[PROTO_GCM_TAG_LEN],
    uint8_t *out);

/*
 * An AES-256-GCM key set up once (key schedule, GHASH table) to open
 * many messages, as proto_gcm_open does: not for two threads at once.
 * proto_gcm_key_free wipes it, accepts NULL and sets *k to NULL.
 */
struct proto_gcm_key;
int proto_gcm_key_new(const uint8_t key[PROTO_AES_KEY_LEN],
    struct proto_gcm_key **k);
void proto_gcm_key_free(struct proto_gcm_key **k);
int
proto_gcm_key_open(struct proto_gcm_key *k, const uint8_t iv[PROTO_GCM_IV_LEN],
    const void *aad, size_t aadlen, const void *in, size_t len,
    const uint8_t tag[PROTO_GCM_TAG_LEN], uint8_t *out);

/* HKDF-SHA-256 (RFC 5869). */
int
proto_hkdf(const void *secret, size_t slen, const void *salt, size_t saltlen,
    const void *info, size_t infolen, uint8_t *out, size_t outlen);
/*
 * The same for one secret and salt and many infos: the extract step done
 * once (its PRK kept, wiped by proto_hkdf_key_free, which accepts NULL
 * and sets *k to NULL), each derive one expand.  Not for two threads at
 * once.
 */
struct proto_hkdf_key;
int proto_hkdf_key_new(const void *secret, size_t slen, const void *salt,
    size_t saltlen, struct proto_hkdf_key **k);
int proto_hkdf_key_derive(struct proto_hkdf_key *k, const void *info,
    size_t infolen, uint8_t *out, size_t outlen);
void proto_hkdf_key_free(struct proto_hkdf_key **k);

#endif
