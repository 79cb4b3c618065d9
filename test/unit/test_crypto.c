/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The crypto wrappers (proto/ec.c, included to reach its statics) and
 * the center's key cache (center/keycache.c, included): the signature's DER made by hand is byte for
 * byte what i2d_ECDSA_SIG writes, for every edge of r and s; a kept key
 * verifies exactly what a key made for one verify does (a wrong key, any
 * flipped bit, r or s zero or not below n, junk: refused; high s accepted
 * as OpenSSL always did); a key set again in place verifies by its new
 * point only, and by none after a failed set; a GCM key set up once opens
 * what proto_gcm_seal sealed and nothing tampered, leaving out untouched;
 * HKDF is RFC 5869's, its extract done once the same; the key cache's kept transmission keys open the
 * blocks a key derived now opens, across a slot taken by another card;
 * one cache per master, shared by the process's contexts and by threads
 * at once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../center/keycache.c"
#include "../../proto/ec.c"
#include "../../proto/sm.h"

#define POISON 0xa5

/* r || s as OpenSSL encodes it: the reference for the hand-made DER. */
static size_t
ref_der(const uint8_t raw[PROTO_EC_SIG_LEN], uint8_t *out, size_t cap)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL),
	       *s = BN_bin2bn(raw + 32, 32, NULL);
	unsigned char *der = NULL;
	int n;

	assert_non_null(sig);
	assert_non_null(r);
	assert_non_null(s);
	assert_int_equal(ECDSA_SIG_set0(sig, r, s), 1);
	n = i2d_ECDSA_SIG(sig, &der);
	assert_true(n > 0 && (size_t)n <= cap);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	return (size_t)n;
}

static void
check_der(const uint8_t raw[PROTO_EC_SIG_LEN])
{
	uint8_t mine[SIG_DER_MAX + 8], ref[SIG_DER_MAX + 8];
	size_t n, rn;

	memset(mine, POISON, sizeof(mine));
	n = sig_raw_to_der(raw, mine);
	rn = ref_der(raw, ref, sizeof(ref));
	assert_int_equal(n, rn);
	assert_true(n <= SIG_DER_MAX);
	assert_memory_equal(mine, ref, n);
	for (size_t i = SIG_DER_MAX; i < sizeof(mine); i++)
		assert_int_equal(mine[i], POISON); /* bounded */
}

/* One 32-byte integer of each edge shape. */
static void
edge_int(int shape, uint8_t v[32])
{
	memset(v, 0, 32);
	switch (shape) {
	case 0: /* zero */
		break;
	case 1: /* one */
		v[31] = 1;
		break;
	case 2: /* leading zero bytes, then a top bit clear */
		v[3] = 0x7f;
		memset(v + 4, 0x11, 28);
		break;
	case 3: /* leading zero bytes, then a top bit set */
		v[5] = 0x80;
		v[31] = 0x01;
		break;
	case 4: /* top bit set at once */
		v[0] = 0x80;
		break;
	case 5: /* all 0xff */
		memset(v, 0xff, 32);
		break;
	case 6: /* 0x7f then 0xff: full length, no pad */
		memset(v, 0xff, 32);
		v[0] = 0x7f;
		break;
	case 7: /* a single byte with its top bit set */
		v[31] = 0xff;
		break;
	default: /* one zero byte, then a top bit set */
		v[1] = 0xc3;
		memset(v + 2, 0x5a, 30);
		break;
	}
}

static void
test_sig_der(void **state)
{
	uint8_t raw[PROTO_EC_SIG_LEN];

	(void)state;
	for (int a = 0; a <= 8; a++)
		for (int b = 0; b <= 8; b++) {
			edge_int(a, raw);
			edge_int(b, raw + 32);
			check_der(raw);
		}
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(proto_random(raw, sizeof(raw)), 0);
		/* zero a random number of leading bytes of r and of s */
		memset(raw, 0, raw[0] % 33);
		memset(raw + 32, 0, raw[63] % 33);
		check_der(raw);
	}
}

/* The verdict of the old path: DER through ECDSA_SIG, EVP_DigestVerify. */
static int
ref_verify(const uint8_t pub[PROTO_EC_PUB_LEN], const uint8_t *msg, size_t len,
    const uint8_t sig[PROTO_EC_SIG_LEN])
{
	uint8_t der[SIG_DER_MAX + 8];
	size_t n = ref_der(sig, der, sizeof(der));
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int v;

	assert_non_null(md);
	assert_int_equal(ec_pkey(NULL, pub, &pk), 0);
	assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL,
			     pk, NULL),
	    1);
	v = EVP_DigestVerify(md, der, n, msg, len);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return v == 1 ? 0 : PROTO_ERR_AUTH;
}

/* k, a one-shot verify and the old path agree on sig: want. */
static void
verdict(struct proto_ec_pub *k, const uint8_t pub[PROTO_EC_PUB_LEN],
    const uint8_t *msg, size_t len, const uint8_t sig[PROTO_EC_SIG_LEN],
    int want)
{
	assert_int_equal(proto_ec_pub_verify(k, msg, len, sig), want);
	assert_int_equal(proto_ec_verify(pub, msg, len, sig), want);
	assert_int_equal(ref_verify(pub, msg, len, sig), want);
}

/* n - s: the other s of the same signature (high s if s was low). */
static void
negate_s(uint8_t sig[PROTO_EC_SIG_LEN])
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *s = BN_bin2bn(sig + 32, 32, NULL), *t = BN_new();

	assert_non_null(g);
	assert_non_null(s);
	assert_non_null(t);
	assert_int_equal(BN_sub(t, EC_GROUP_get0_order(g), s), 1);
	assert_int_equal(BN_bn2binpad(t, sig + 32, 32), 32);
	BN_free(t);
	BN_free(s);
	EC_GROUP_free(g);
}

static void
order_bytes(uint8_t out[32], int add)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *t = BN_dup(EC_GROUP_get0_order(g));

	assert_non_null(t);
	assert_int_equal(BN_add_word(t, (BN_ULONG)add), 1);
	assert_int_equal(BN_bn2binpad(t, out, 32), 32);
	BN_free(t);
	EC_GROUP_free(g);
}

static void
test_verify_refusals(void **state)
{
	uint8_t priv[PROTO_EC_PRIV_LEN], pub[PROTO_EC_PUB_LEN];
	uint8_t priv2[PROTO_EC_PRIV_LEN], pub2[PROTO_EC_PUB_LEN];
	uint8_t msg[150], sig[PROTO_EC_SIG_LEN], bad[PROTO_EC_SIG_LEN];
	struct proto_ec_pub *k = NULL, *k2 = NULL;

	(void)state;
	memset(msg, 0x3c, sizeof(msg));
	assert_int_equal(proto_ec_keygen(priv, pub), 0);
	assert_int_equal(proto_ec_keygen(priv2, pub2), 0);
	assert_int_equal(proto_ec_sign(priv, pub, msg, sizeof(msg), sig), 0);
	assert_int_equal(proto_ec_pub_new(pub, &k), 0);
	assert_int_equal(proto_ec_pub_new(pub2, &k2), 0);
	verdict(k, pub, msg, sizeof(msg), sig, 0);
	verdict(k, pub, msg, sizeof(msg), sig, 0); /* the context again */
	verdict(k2, pub2, msg, sizeof(msg), sig, PROTO_ERR_AUTH);
	/* every flipped bit of the signature, and of the message */
	for (size_t i = 0; i < 8 * sizeof(sig); i++) {
		memcpy(bad, sig, sizeof(bad));
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(proto_ec_pub_verify(k, msg, sizeof(msg), bad),
		    PROTO_ERR_AUTH);
	}
	for (size_t i = 0; i < 8 * sizeof(msg); i += 7) {
		msg[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(proto_ec_pub_verify(k, msg, sizeof(msg), sig),
		    PROTO_ERR_AUTH);
		msg[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	verdict(k, pub, msg, sizeof(msg) - 1, sig, PROTO_ERR_AUTH);
	/* the same signature with n - s: accepted, as OpenSSL always did */
	memcpy(bad, sig, sizeof(bad));
	negate_s(bad);
	verdict(k, pub, msg, sizeof(msg), bad, 0);
	/* r or s zero, n, n + 1, all ones */
	for (int half = 0; half < 2; half++) {
		uint8_t *v = bad + 32 * half;

		memcpy(bad, sig, sizeof(bad));
		memset(v, 0, 32);
		verdict(k, pub, msg, sizeof(msg), bad, PROTO_ERR_AUTH);
		order_bytes(v, 0);
		verdict(k, pub, msg, sizeof(msg), bad, PROTO_ERR_AUTH);
		order_bytes(v, 1);
		verdict(k, pub, msg, sizeof(msg), bad, PROTO_ERR_AUTH);
		memset(v, 0xff, 32);
		verdict(k, pub, msg, sizeof(msg), bad, PROTO_ERR_AUTH);
	}
	memset(bad, 0, sizeof(bad));
	verdict(k, pub, msg, sizeof(msg), bad, PROTO_ERR_AUTH);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(proto_random(bad, sizeof(bad)), 0);
		verdict(k, pub, msg, sizeof(msg), bad, PROTO_ERR_AUTH);
	}
	/* the key still verifies after all those refusals */
	verdict(k, pub, msg, sizeof(msg), sig, 0);
	proto_ec_pub_free(&k);
	proto_ec_pub_free(&k2);
	assert_null(k);
	proto_ec_pub_free(&k);
	proto_ec_pub_free(NULL);
	proto_cleanse(priv, sizeof(priv));
	proto_cleanse(priv2, sizeof(priv2));
}

/* k's verdicts on two signatures of msg. */
static void
verdicts(struct proto_ec_pub *k, const uint8_t *msg, size_t len,
    uint8_t sig[2][PROTO_EC_SIG_LEN], int want0, int want1)
{
	assert_int_equal(proto_ec_pub_verify(k, msg, len, sig[0]), want0);
	assert_int_equal(proto_ec_pub_verify(k, msg, len, sig[1]), want1);
}

static void
test_pub_set(void **state)
{
	uint8_t priv[2][PROTO_EC_PRIV_LEN], pub[2][PROTO_EC_PUB_LEN];
	uint8_t sig[2][PROTO_EC_SIG_LEN], off[PROTO_EC_PUB_LEN];
	const uint8_t msg[] = "a block's signed part";
	struct proto_ec_pub *k = NULL;

	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(proto_ec_keygen(priv[i], pub[i]), 0);
		assert_int_equal(proto_ec_sign(priv[i], pub[i], msg,
				     sizeof(msg), sig[i]),
		    0);
	}
	assert_int_equal(proto_ec_pub_new(pub[0], &k), 0);
	verdicts(k, msg, sizeof(msg), sig, 0, PROTO_ERR_AUTH);
	/* set to the other point: its signature only */
	assert_int_equal(proto_ec_pub_set(k, pub[1]), 0);
	verdicts(k, msg, sizeof(msg), sig, PROTO_ERR_AUTH, 0);
	/* a point off the curve: refused, and then nothing verifies */
	memcpy(off, pub[0], sizeof(off));
	off[PROTO_EC_PUB_LEN - 1] ^= 1;
	assert_int_equal(proto_ec_pub_set(k, off), PROTO_ERR_FORMAT);
	verdicts(k, msg, sizeof(msg), sig, PROTO_ERR_STATE, PROTO_ERR_STATE);
	assert_int_equal(proto_ec_pub_new(off, &k), PROTO_ERR_FORMAT);
	assert_non_null(k); /* untouched */
	/* a compressed or junk prefix */
	memcpy(off, pub[0], sizeof(off));
	off[0] = 0x02;
	assert_int_equal(proto_ec_pub_set(k, off), PROTO_ERR_FORMAT);
	assert_int_equal(proto_ec_pub_verify(k, msg, sizeof(msg), sig[1]),
	    PROTO_ERR_STATE);
	/* set again to the first: usable */
	assert_int_equal(proto_ec_pub_set(k, pub[0]), 0);
	verdicts(k, msg, sizeof(msg), sig, 0, PROTO_ERR_AUTH);
	proto_ec_pub_free(&k);
	/* made ahead: nothing verifies until it is set */
	assert_int_equal(proto_ec_pub_new_unset(&k), 0);
	assert_int_equal(proto_ec_pub_verify(k, msg, sizeof(msg), sig[0]),
	    PROTO_ERR_STATE);
	assert_int_equal(proto_ec_pub_set(k, pub[1]), 0);
	verdicts(k, msg, sizeof(msg), sig, PROTO_ERR_AUTH, 0);
	assert_int_equal(proto_ec_pub_set(NULL, pub[0]), PROTO_ERR_ARG);
	assert_int_equal(proto_ec_pub_verify(NULL, msg, sizeof(msg), sig[0]),
	    PROTO_ERR_STATE);
	proto_ec_pub_free(&k);
	proto_cleanse(priv, sizeof(priv));
}

/* Seal len bytes, open them through a kept key: both directions. */
static void
gcm_roundtrip(struct proto_gcm_key *gk, const uint8_t key[32], size_t len)
{
	uint8_t iv[PROTO_GCM_IV_LEN], aad[13], tag[PROTO_GCM_TAG_LEN];
	uint8_t *pt = malloc(len + 1), *ct = malloc(len + 1),
		*out = malloc(len + 1);

	assert_non_null(pt);
	assert_non_null(ct);
	assert_non_null(out);
	assert_int_equal(proto_random(iv, sizeof(iv)), 0);
	assert_int_equal(proto_random(aad, sizeof(aad)), 0);
	assert_int_equal(proto_random(pt, len + 1), 0);
	assert_int_equal(proto_gcm_seal(key, iv, aad, sizeof(aad), pt, len, ct,
			     tag),
	    0);
	memset(out, POISON, len + 1);
	assert_int_equal(proto_gcm_key_open(gk, iv, aad, sizeof(aad), ct, len,
			     tag, out),
	    0);
	assert_memory_equal(out, pt, len);
	assert_int_equal(out[len], POISON);
	/* tampered: refused, out untouched */
	memset(out, POISON, len + 1);
	tag[3] ^= 0x10;
	assert_int_equal(proto_gcm_key_open(gk, iv, aad, sizeof(aad), ct, len,
			     tag, out),
	    PROTO_ERR_AUTH);
	assert_int_equal(proto_gcm_open(key, iv, aad, sizeof(aad), ct, len, tag,
			     out),
	    PROTO_ERR_AUTH);
	tag[3] ^= 0x10;
	aad[0] ^= 1;
	assert_int_equal(proto_gcm_key_open(gk, iv, aad, sizeof(aad), ct, len,
			     tag, out),
	    PROTO_ERR_AUTH);
	aad[0] ^= 1;
	if (len > 0) {
		ct[len - 1] ^= 0x80;
		assert_int_equal(proto_gcm_key_open(gk, iv, aad, sizeof(aad),
				     ct, len, tag, out),
		    PROTO_ERR_AUTH);
		ct[len - 1] ^= 0x80;
	}
	iv[11] ^= 1;
	assert_int_equal(proto_gcm_key_open(gk, iv, aad, sizeof(aad), ct, len,
			     tag, out),
	    PROTO_ERR_AUTH);
	iv[11] ^= 1;
	for (size_t i = 0; i <= len; i++)
		assert_int_equal(out[i], POISON);
	/* and after the refusals, the good message still opens */
	assert_int_equal(proto_gcm_key_open(gk, iv, aad, sizeof(aad), ct, len,
			     tag, out),
	    0);
	assert_memory_equal(out, pt, len);
	free(pt);
	free(ct);
	free(out);
}

static void
test_gcm_key(void **state)
{
	uint8_t key[PROTO_AES_KEY_LEN], other[PROTO_AES_KEY_LEN];
	uint8_t iv[PROTO_GCM_IV_LEN] = { 0 }, tag[PROTO_GCM_TAG_LEN], ct[40];
	uint8_t out[40];
	/* around crypto.c's stack buffer (512) too */
	const size_t lens[] = { 0, 1, 15, 16, 17, 200, 512, 513, 4000 };
	struct proto_gcm_key *gk = NULL, *go = NULL;

	(void)state;
	assert_int_equal(proto_random(key, sizeof(key)), 0);
	assert_int_equal(proto_random(other, sizeof(other)), 0);
	assert_int_equal(proto_gcm_key_new(key, &gk), 0);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		gcm_roundtrip(gk, key, lens[i]);
	/* another key opens nothing of this one's */
	assert_int_equal(proto_gcm_key_new(other, &go), 0);
	assert_int_equal(proto_gcm_seal(key, iv, NULL, 0,
			     "thirty-two bytes "
			     "of plain text..",
			     32, ct, tag),
	    0);
	assert_int_equal(proto_gcm_key_open(go, iv, NULL, 0, ct, 32, tag, out),
	    PROTO_ERR_AUTH);
	assert_int_equal(proto_gcm_key_open(gk, iv, NULL, 0, ct, 32, tag, out),
	    0);
	assert_memory_equal(out, "thirty-two bytes of plain text..", 32);
	assert_int_equal(proto_gcm_key_open(NULL, iv, NULL, 0, ct, 32, tag,
			     out),
	    PROTO_ERR_ARG);
	assert_int_equal(proto_gcm_key_new(NULL, &go), PROTO_ERR_ARG);
	proto_gcm_key_free(&gk);
	proto_gcm_key_free(&go);
	assert_null(gk);
	proto_gcm_key_free(&gk);
	proto_gcm_key_free(NULL);
	proto_cleanse(key, sizeof(key));
}

/* RFC 5869, A.1 (SHA-256, basic). */
static void
test_hkdf_rfc5869(void **state)
{
	uint8_t ikm[22], salt[13], info[10], okm[42];
	const uint8_t want[42] = { 0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5,
		0x7a, 0x90, 0x43, 0x4f, 0x64, 0xd0, 0x36, 0x2f, 0x2a, 0x2d,
		0x2d, 0x0a, 0x90, 0xcf, 0x1a, 0x5a, 0x4c, 0x5d, 0xb0, 0x2d,
		0x56, 0xec, 0xc4, 0xc5, 0xbf, 0x34, 0x00, 0x72, 0x08, 0xd5,
		0xb8, 0x87, 0x18, 0x58, 0x65 };

	(void)state;
	memset(ikm, 0x0b, sizeof(ikm));
	for (size_t i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(info); i++)
		info[i] = (uint8_t)(0xf0 + i);
	assert_int_equal(proto_hkdf(ikm, sizeof(ikm), salt, sizeof(salt), info,
			     sizeof(info), okm, sizeof(okm)),
	    0);
	assert_memory_equal(okm, want, sizeof(want));
}

/* The extract done once: the same keys as proto_hkdf, for any info. */
static void
test_hkdf_key(void **state)
{
	uint8_t secret[32], salt[23], info[PROTO_UA_LEN], a[42], b[42];
	uint8_t master[PROTO_MASTER_LEN], ua[PROTO_UA_LEN], kt[32], kt2[32];
	struct proto_hkdf_key *k = NULL, *kk = NULL;

	(void)state;
	assert_int_equal(proto_random(secret, sizeof(secret)), 0);
	assert_int_equal(proto_random(salt, sizeof(salt)), 0);
	assert_int_equal(proto_hkdf_key_new(secret, sizeof(secret), salt,
			     sizeof(salt), &k),
	    0);
	for (int i = 0; i < 50; i++) {
		size_t n = i % 2 ? 32 : 42;

		assert_int_equal(proto_random(info, sizeof(info)), 0);
		memset(a, 0, sizeof(a));
		memset(b, POISON, sizeof(b));
		assert_int_equal(proto_hkdf(secret, sizeof(secret), salt,
				     sizeof(salt), info, sizeof(info), a, n),
		    0);
		assert_int_equal(proto_hkdf_key_derive(k, info, sizeof(info), b,
				     n),
		    0);
		assert_memory_equal(a, b, n);
	}
	assert_int_equal(proto_hkdf_key_derive(NULL, info, sizeof(info), b, 32),
	    PROTO_ERR_ARG);
	proto_hkdf_key_free(&k);
	assert_null(k);
	proto_hkdf_key_free(&k);
	/* a card's transmission key both ways */
	assert_int_equal(proto_random(master, sizeof(master)), 0);
	assert_int_equal(proto_kt_kdf_new(master, &kk), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(proto_random(ua, sizeof(ua)), 0);
		assert_int_equal(proto_kt_derive(master, ua, kt), 0);
		assert_int_equal(proto_kt_kdf_derive(kk, ua, kt2), 0);
		assert_memory_equal(kt, kt2, sizeof(kt));
	}
	proto_hkdf_key_free(&kk);
	proto_cleanse(secret, sizeof(secret));
	proto_cleanse(master, sizeof(master));
}

struct kc_card {
	struct cgs_card card;
	struct proto_card_keys ck;
	uint8_t buf[PROTO_BLOCK_MAX];
	struct proto_block b;
};

static void
kc_card_make(const uint8_t master[PROTO_MASTER_LEN],
    const uint8_t ua[PROTO_UA_LEN], uint32_t credit, struct kc_card *c)
{
	uint8_t body[PROTO_M2_MAX_LEN];
	struct proto_m2 m = { .credit = credit };
	struct proto_wr w, bw;

	memset(c, 0, sizeof(*c));
	memcpy(c->card.ua, ua, PROTO_UA_LEN);
	assert_int_equal(proto_ec_keygen(c->ck.sign_priv, c->ck.sign_pub), 0);
	memcpy(c->card.pub, c->ck.sign_pub, PROTO_EC_PUB_LEN);
	assert_int_equal(proto_kt_derive(master, ua, c->ck.kt), 0);
	proto_wr_init(&bw, body, sizeof(body));
	proto_wr_init(&w, c->buf, sizeof(c->buf));
	assert_int_equal(proto_m2_encode(&m, &bw), 0);
	assert_int_equal(proto_block_seal(PROTO_BLOCK_EXPORT, ua, 1, NULL,
			     &c->ck, body, proto_wr_len(&bw), &w),
	    0);
	assert_int_equal(proto_block_parse(c->buf, proto_wr_len(&w), &c->b), 0);
}

static void
kc_check(struct cgs_keycache *kc, const struct kc_card *c, uint32_t credit)
{
	struct proto_m2 m;

	assert_int_equal(cgs_keycache_verify(kc, &c->card, c->b.signed_part,
			     c->b.signed_len, c->b.sig),
	    0);
	memset(&m, POISON, sizeof(m));
	assert_int_equal(cgs_keycache_open(kc, &c->b, &m), 0);
	assert_int_equal(m.credit, credit);
	proto_m2_clear(&m);
}

/* A fresh master and its cache of one slot; cards x and y of it. */
static struct cgs_keycache *
kc_pair(uint8_t master[PROTO_MASTER_LEN], const uint8_t ua[PROTO_UA_LEN],
    uint32_t cx, uint32_t cy, struct kc_card *x, struct kc_card *y)
{
	struct cgs_keycache *kc = NULL;
	uint8_t ua2[PROTO_UA_LEN];

	assert_non_null(x);
	assert_non_null(y);
	assert_int_equal(proto_random(master, PROTO_MASTER_LEN), 0);
	assert_int_equal(cache_get(master, 1, &kc), 0);
	memcpy(ua2, ua, PROTO_UA_LEN);
	ua2[PROTO_UA_LEN - 1] ^= 0x5a;
	kc_card_make(master, ua, cx, x);
	kc_card_make(master, ua2, cy, y);
	return kc;
}

static void
test_keycache(void **state)
{
	uint8_t master[PROTO_MASTER_LEN], ua[PROTO_UA_LEN] = { 0xbe, 0xcc, 1 };
	uint8_t pub[PROTO_EC_PUB_LEN];
	struct cgs_keycache *kc;
	struct kc_card *x = calloc(1, sizeof(*x)), *y = calloc(1, sizeof(*y)),
		       *x2 = calloc(1, sizeof(*x2));
	struct cgs_card reg;
	struct proto_m2 m;
	uint8_t *tamper;

	(void)state;
	assert_non_null(x2);
	kc = kc_pair(master, ua, 111, 222, x, y);
	/* nothing kept yet */
	assert_int_equal(cgs_keycache_verify_kept(kc, ua, x->b.signed_part,
			     x->b.signed_len, x->b.sig, pub),
	    PROTO_ERR_NOTFOUND);
	kc_check(kc, x, 111);
	kc_check(kc, x, 111); /* kept: key and transmission key */
	memset(pub, 0, sizeof(pub));
	assert_int_equal(cgs_keycache_verify_kept(kc, ua, x->b.signed_part,
			     x->b.signed_len, x->b.sig, pub),
	    0);
	assert_memory_equal(pub, x->card.pub, PROTO_EC_PUB_LEN);
	/* y takes the slot: x's keys are gone, y's work */
	kc_check(kc, y, 222);
	assert_int_equal(cgs_keycache_verify_kept(kc, ua, x->b.signed_part,
			     x->b.signed_len, x->b.sig, pub),
	    PROTO_ERR_NOTFOUND);
	/* x's block opened while the slot is y's: derived for it */
	memset(&m, POISON, sizeof(m));
	assert_int_equal(cgs_keycache_open(kc, &x->b, &m), 0);
	assert_int_equal(m.credit, 111);
	proto_m2_clear(&m);
	kc_check(kc, y, 222);
	/* x's block's signature fails under y's registration */
	assert_int_equal(cgs_keycache_verify(kc, &y->card, x->b.signed_part,
			     x->b.signed_len, x->b.sig),
	    PROTO_ERR_AUTH);
	/* x registered again with a new key: the old key's block fails */
	kc_check(kc, x, 111);
	kc_card_make(master, ua, 333, x2);
	assert_int_equal(cgs_keycache_verify(kc, &x2->card, x->b.signed_part,
			     x->b.signed_len, x->b.sig),
	    PROTO_ERR_AUTH);
	kc_check(kc, x2, 333);
	assert_int_equal(cgs_keycache_verify_kept(kc, ua, x->b.signed_part,
			     x->b.signed_len, x->b.sig, pub),
	    PROTO_ERR_AUTH);
	assert_memory_equal(pub, x2->card.pub, PROTO_EC_PUB_LEN);
	/* a registered key off the curve: an error, and nothing kept */
	reg = x2->card;
	reg.pub[PROTO_EC_PUB_LEN - 1] ^= 1;
	assert_int_equal(cgs_keycache_verify(kc, &reg, x2->b.signed_part,
			     x2->b.signed_len, x2->b.sig),
	    PROTO_ERR_FORMAT);
	assert_int_equal(cgs_keycache_verify_kept(kc, ua, x2->b.signed_part,
			     x2->b.signed_len, x2->b.sig, pub),
	    PROTO_ERR_NOTFOUND);
	kc_check(kc, x2, 333);
	/* a tampered ciphertext under the kept key: refused, m untouched */
	tamper = (uint8_t *)(uintptr_t)x2->b.ct;
	tamper[0] ^= 1;
	memset(&m, POISON, sizeof(m));
	assert_int_equal(cgs_keycache_open(kc, &x2->b, &m), PROTO_ERR_AUTH);
	assert_int_equal(((uint8_t *)&m)[0], POISON);
	tamper[0] ^= 1;
	kc_check(kc, x2, 333);
	assert_int_equal(cgs_keycache_new(NULL, &kc), PROTO_ERR_ARG);
	cgs_keycache_free(&kc);
	assert_null(kc);
	cgs_keycache_free(&kc);
	proto_cleanse(x, sizeof(*x));
	proto_cleanse(x2, sizeof(*x2));
	proto_cleanse(y, sizeof(*y));
	free(x);
	free(x2);
	free(y);
	proto_cleanse(master, sizeof(master));
}

/* One cache for one master, counted; another for another master. */
static void
test_keycache_shared(void **state)
{
	uint8_t master[PROTO_MASTER_LEN], other[PROTO_MASTER_LEN];
	uint8_t ua[PROTO_UA_LEN] = { 0xbe, 0xcc, 2 }, pub[PROTO_EC_PUB_LEN];
	struct cgs_keycache *a = NULL, *b = NULL, *c = NULL;
	struct kc_card *x = calloc(1, sizeof(*x));

	(void)state;
	assert_non_null(x);
	assert_int_equal(proto_random(master, sizeof(master)), 0);
	memcpy(other, master, sizeof(other));
	other[31] ^= 1;
	assert_int_equal(cgs_keycache_new(master, &a), 0);
	assert_int_equal(cgs_keycache_new(master, &b), 0);
	assert_int_equal(cgs_keycache_new(other, &c), 0);
	assert_ptr_equal(a, b);
	assert_ptr_not_equal(a, c);
	kc_card_make(master, ua, 44, x);
	kc_check(a, x, 44);
	/* b is a: x kept; c is not, and its transmission key is other's */
	assert_int_equal(cgs_keycache_verify_kept(b, ua, x->b.signed_part,
			     x->b.signed_len, x->b.sig, pub),
	    0);
	assert_int_equal(cgs_keycache_verify_kept(c, ua, x->b.signed_part,
			     x->b.signed_len, x->b.sig, pub),
	    PROTO_ERR_NOTFOUND);
	assert_int_equal(cgs_keycache_verify(c, &x->card, x->b.signed_part,
			     x->b.signed_len, x->b.sig),
	    0);
	assert_int_equal(cgs_keycache_open(c, &x->b, &(struct proto_m2){ 0 }),
	    PROTO_ERR_AUTH);
	/* a given back: b still has x */
	cgs_keycache_free(&a);
	assert_null(a);
	kc_check(b, x, 44);
	cgs_keycache_free(&b);
	cgs_keycache_free(&c);
	/* all given back: a new one starts empty */
	assert_int_equal(cgs_keycache_new(master, &a), 0);
	assert_int_equal(cgs_keycache_verify_kept(a, ua, x->b.signed_part,
			     x->b.signed_len, x->b.sig, pub),
	    PROTO_ERR_NOTFOUND);
	cgs_keycache_free(&a);
	proto_cleanse(x, sizeof(*x));
	free(x);
}

/*
 * A cache of n slots keeps any n cards (by UA, whatever their hashes);
 * one more takes the slot of one of them, the one the clock finds not
 * used since it last passed; a card's slot in use is never taken.
 */
static void
test_keycache_full(void **state)
{
	enum { N = 8 };
	uint8_t master[PROTO_MASTER_LEN], pub[PROTO_EC_PUB_LEN];
	uint8_t ua[PROTO_UA_LEN] = { 0xbe, 0xcc, 4 };
	struct kc_card *c = calloc(N + 2, sizeof(*c));
	struct cgs_keycache *kc = NULL;
	struct key_slot *pinned;
	int kept = 0;

	(void)state;
	assert_non_null(c);
	assert_int_equal(proto_random(master, sizeof(master)), 0);
	assert_int_equal(cache_get(master, N, &kc), 0);
	assert_int_equal(kc->mask + 1, 2 * N);
	for (int i = 0; i < N + 2; i++) {
		ua[7] = (uint8_t)i;
		kc_card_make(master, ua, (uint32_t)i, &c[i]);
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < N; i++)
			kc_check(kc, &c[i], (uint32_t)i);
	for (int i = 0; i < N; i++)
		assert_int_equal(cgs_keycache_verify_kept(kc, c[i].card.ua,
				     c[i].b.signed_part, c[i].b.signed_len,
				     c[i].b.sig, pub),
		    0);
	/* all used since the hand passed: it goes round once, clearing
	 * their marks, and takes its first (card 0's) */
	kc_check(kc, &c[N], N);
	assert_int_equal(cgs_keycache_verify_kept(kc, c[0].card.ua,
			     c[0].b.signed_part, c[0].b.signed_len, c[0].b.sig,
			     pub),
	    PROTO_ERR_NOTFOUND);
	/* the next (card 1's), unmarked but in use, is passed over */
	pinned = slot_get(kc, c[1].card.ua, 0);
	assert_ptr_equal(pinned, &kc->slot[1]);
	kc->mark[1].used = 0;
	kc_check(kc, &c[N + 1], N + 1);
	for (int i = 0; i < N + 2; i++)
		kept += cgs_keycache_verify_kept(kc, c[i].card.ua,
			    c[i].b.signed_part, c[i].b.signed_len, c[i].b.sig,
			    pub) == 0;
	assert_int_equal(kept, N);
	assert_int_equal(cgs_keycache_verify_kept(kc, c[2].card.ua,
			     c[2].b.signed_part, c[2].b.signed_len, c[2].b.sig,
			     pub),
	    PROTO_ERR_NOTFOUND);
	kc_check(kc, &c[1], 1);
	slot_put(kc, pinned);
	/* a key set up without a verify, then kept; one off the curve not */
	assert_int_equal(cgs_keycache_kept(kc, c[2].card.ua, pub),
	    PROTO_ERR_NOTFOUND);
	assert_int_equal(cgs_keycache_set(kc, &c[2].card), 0);
	memset(pub, 0, sizeof(pub));
	assert_int_equal(cgs_keycache_kept(kc, c[2].card.ua, pub), 0);
	assert_memory_equal(pub, c[2].card.pub, PROTO_EC_PUB_LEN);
	c[2].card.pub[PROTO_EC_PUB_LEN - 1] ^= 1;
	assert_int_equal(cgs_keycache_set(kc, &c[2].card), PROTO_ERR_FORMAT);
	assert_int_equal(cgs_keycache_kept(kc, c[2].card.ua, pub),
	    PROTO_ERR_NOTFOUND);
	c[2].card.pub[PROTO_EC_PUB_LEN - 1] ^= 1;
	/* every slot in use: a block still verified and opened, uncached */
	for (size_t i = 0; i < kc->nslots; i++)
		kc->mark[i].pins++;
	ua[7] = 0xee;
	kc_card_make(master, ua, 77, &c[0]);
	assert_int_equal(cgs_keycache_set(kc, &c[0].card), 0);
	kc_check(kc, &c[0], 77);
	assert_int_equal(cgs_keycache_verify_kept(kc, ua, c[0].b.signed_part,
			     c[0].b.signed_len, c[0].b.sig, pub),
	    PROTO_ERR_NOTFOUND);
	for (size_t i = 0; i < kc->nslots; i++)
		kc->mark[i].pins--;
	cgs_keycache_free(&kc);
	proto_cleanse(c, (N + 2) * sizeof(*c));
	free(c);
	proto_cleanse(master, sizeof(master));
}

/*
 * The index through many cards taking each other's slots: each slot's
 * card found at its own entry, no other entry (its probes cross).
 */
static void
test_keycache_index(void **state)
{
	uint8_t master[PROTO_MASTER_LEN], ua[PROTO_UA_LEN] = { 0xbe, 0xcc, 5 };
	struct cgs_keycache *kc = NULL;
	struct key_slot *s;
	size_t entries;

	(void)state;
	assert_int_equal(proto_random(master, sizeof(master)), 0);
	assert_int_equal(cache_get(master, 5, &kc), 0);
	for (unsigned i = 0; i < 2000; i++) {
		ua[7] = (uint8_t)((i * 7919u) % 23u);
		assert_non_null(s = slot_get(kc, ua, 1));
		assert_memory_equal(s->card, ua, PROTO_UA_LEN);
		slot_put(kc, s);
		entries = 0;
		for (size_t j = 0; j <= kc->mask; j++)
			entries += kc->index[j] != 0;
		assert_int_equal(entries, kc->nslots - kc->nfree);
		for (size_t j = 0; j < kc->nslots - kc->nfree; j++)
			assert_int_equal(kc->index[index_find(kc,
					     kc->slot[j].card)],
			    j + 1);
	}
	assert_null(slot_get(kc, (uint8_t[PROTO_UA_LEN]){ 1 }, 0));
	cgs_keycache_free(&kc);
}

/* Threads at once on one cache: two cards in one slot, each kept. */
struct kc_thread {
	pthread_t t;
	struct cgs_keycache *kc;
	const struct kc_card *card[2];
	uint32_t credit[2];
	int bad;
};

static void *
kc_thread_run(void *arg)
{
	struct kc_thread *t = arg;
	struct proto_m2 m;

	for (int i = 0; i < 60; i++) {
		const struct kc_card *c = t->card[i % 2];

		if (cgs_keycache_verify(t->kc, &c->card, c->b.signed_part,
			c->b.signed_len, c->b.sig) != 0 ||
		    cgs_keycache_open(t->kc, &c->b, &m) != 0 ||
		    m.credit != t->credit[i % 2])
			t->bad++;
		proto_m2_clear(&m);
	}
	return NULL;
}

static void
test_keycache_threads(void **state)
{
	uint8_t master[PROTO_MASTER_LEN], ua[PROTO_UA_LEN] = { 0xbe, 0xcc, 3 };
	struct kc_card *x = calloc(1, sizeof(*x)), *y = calloc(1, sizeof(*y));
	struct kc_thread t[3];
	struct cgs_keycache *kc;

	(void)state;
	kc = kc_pair(master, ua, 5, 6, x, y);
	for (int i = 0; i < 3; i++) {
		t[i] = (struct kc_thread){ .kc = kc,
			.card = { i % 2 ? y : x, i % 2 ? x : y },
			.credit = { i % 2 ? 6 : 5, i % 2 ? 5 : 6 } };
		assert_int_equal(pthread_create(&t[i].t, NULL, kc_thread_run,
				     &t[i]),
		    0);
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(t[i].t, NULL), 0);
		assert_int_equal(t[i].bad, 0);
	}
	cgs_keycache_free(&kc);
	free(x);
	free(y);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sig_der),
		cmocka_unit_test(test_verify_refusals),
		cmocka_unit_test(test_pub_set),
		cmocka_unit_test(test_gcm_key),
		cmocka_unit_test(test_hkdf_rfc5869),
		cmocka_unit_test(test_hkdf_key),
		cmocka_unit_test(test_keycache),
		cmocka_unit_test(test_keycache_shared),
		cmocka_unit_test(test_keycache_full),
		cmocka_unit_test(test_keycache_index),
		cmocka_unit_test(test_keycache_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
