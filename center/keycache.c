/* SPDX-License-Identifier: BSD-2-Clause */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/crypto.h"
#include "../proto/proto.h"
#include "keycache.h"

/*
 * ua names the card whose transmission key kt is (NULL: not derived
 * yet); kept says k holds pub, ua's registered key, as last checked.
 * All of it under lock, held through a verify or an open with its keys.
 */
struct key_slot {
	pthread_mutex_t lock;
	uint8_t ua[PROTO_UA_LEN];
	uint8_t pub[PROTO_EC_PUB_LEN];
	int kept;
	struct proto_ec_pub *k;
	struct proto_gcm_key *kt;
};

struct cgs_keycache {
	struct cgs_keycache *next; /* the process's caches, under caches_lock */
	unsigned refs;             /* under caches_lock */
	uint8_t master[PROTO_MASTER_LEN];
	pthread_mutex_t kdf_lock;
	struct proto_hkdf_key *kdf; /* master's, under kdf_lock */
	struct key_slot slot[CGS_KEY_CACHE];
};

static pthread_mutex_t caches_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cgs_keycache *caches;

/*
 * Every slot's public key made ahead, once per process and master (about
 * 45 ms and 11 MB for 4096): a card's first block then sets a key in
 * place (~3 us) instead of making one (~11 us: EVP_PKEY_dup, a verify
 * context), as in a cache that cards have filled.  Best effort: a slot
 * left without one makes its key when a card needs it.
 */
static void
cache_warm(struct cgs_keycache *kc)
{
	for (size_t i = 0; i < CGS_KEY_CACHE; i++)
		if (proto_ec_pub_new_unset(&kc->slot[i].k) != 0)
			return;
}

/* A cache not shared yet (refs 0), or NULL. */
static struct cgs_keycache *
cache_make(const uint8_t master[PROTO_MASTER_LEN])
{
	struct cgs_keycache *kc;
	size_t i;

	if ((kc = calloc(1, sizeof(*kc))) == NULL)
		return NULL;
	if (proto_kt_kdf_new(master, &kc->kdf) != 0 ||
	    pthread_mutex_init(&kc->kdf_lock, NULL) != 0) {
		proto_hkdf_key_free(&kc->kdf);
		free(kc);
		return NULL;
	}
	for (i = 0; i < CGS_KEY_CACHE; i++)
		if (pthread_mutex_init(&kc->slot[i].lock, NULL) != 0)
			break;
	if (i < CGS_KEY_CACHE) {
		while (i-- > 0)
			pthread_mutex_destroy(&kc->slot[i].lock);
		pthread_mutex_destroy(&kc->kdf_lock);
		proto_hkdf_key_free(&kc->kdf);
		free(kc);
		return NULL;
	}
	memcpy(kc->master, master, PROTO_MASTER_LEN);
	cache_warm(kc);
	return kc;
}

static void
cache_destroy(struct cgs_keycache *kc)
{
	for (size_t i = 0; i < CGS_KEY_CACHE; i++) {
		proto_ec_pub_free(&kc->slot[i].k);
		proto_gcm_key_free(&kc->slot[i].kt);
		pthread_mutex_destroy(&kc->slot[i].lock);
	}
	pthread_mutex_destroy(&kc->kdf_lock);
	proto_hkdf_key_free(&kc->kdf);
	proto_cleanse(kc->master, sizeof(kc->master));
	free(kc);
}

int
cgs_keycache_new(const uint8_t master[PROTO_MASTER_LEN],
    struct cgs_keycache **out)
{
	struct cgs_keycache *kc;
	int rc = 0;

	if (master == NULL || out == NULL)
		return PROTO_ERR_ARG;
	pthread_mutex_lock(&caches_lock);
	for (kc = caches; kc != NULL; kc = kc->next)
		if (proto_memcmp_ct(kc->master, master, PROTO_MASTER_LEN) == 0)
			break;
	if (kc == NULL) {
		if ((kc = cache_make(master)) == NULL) {
			rc = PROTO_ERR_NOMEM;
			goto out;
		}
		kc->next = caches;
		caches = kc;
	}
	kc->refs++;
	*out = kc;
out:
	pthread_mutex_unlock(&caches_lock);
	return rc;
}

void
cgs_keycache_free(struct cgs_keycache **kcp)
{
	struct cgs_keycache **pp, *kc;

	if (kcp == NULL || (kc = *kcp) == NULL)
		return;
	*kcp = NULL;
	pthread_mutex_lock(&caches_lock);
	if (--kc->refs > 0) {
		pthread_mutex_unlock(&caches_lock);
		return;
	}
	for (pp = &caches; *pp != kc; pp = &(*pp)->next)
		;
	*pp = kc->next;
	pthread_mutex_unlock(&caches_lock);
	cache_destroy(kc);
}

static struct key_slot *
slot_of(struct cgs_keycache *kc, const uint8_t ua[PROTO_UA_LEN])
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t i = 0; i < PROTO_UA_LEN; i++)
		h = (h ^ ua[i]) * 0x100000001b3ull;
	return &kc->slot[h % CGS_KEY_CACHE];
}

/* Slot s given to card ua with key pub; its key objects reused. */
static int
slot_fill(struct key_slot *s, const uint8_t ua[PROTO_UA_LEN],
    const uint8_t pub[PROTO_EC_PUB_LEN])
{
	int rc;

	s->kept = 0;
	if (memcmp(s->ua, ua, PROTO_UA_LEN) != 0) {
		proto_gcm_key_free(&s->kt); /* another card's */
		memcpy(s->ua, ua, PROTO_UA_LEN);
	}
	if (s->k != NULL)
		rc = proto_ec_pub_set(s->k, pub);
	else
		rc = proto_ec_pub_new(pub, &s->k);
	if (rc != 0)
		return rc;
	memcpy(s->pub, pub, PROTO_EC_PUB_LEN);
	s->kept = 1;
	return 0;
}

int
cgs_keycache_verify(struct cgs_keycache *kc, const struct cgs_card *card,
    const uint8_t *msg, size_t len, const uint8_t *sig)
{
	struct key_slot *s = slot_of(kc, card->ua);
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (!s->kept || memcmp(s->ua, card->ua, PROTO_UA_LEN) != 0 ||
	    memcmp(s->pub, card->pub, PROTO_EC_PUB_LEN) != 0)
		rc = slot_fill(s, card->ua, card->pub);
	if (rc == 0)
		rc = proto_ec_pub_verify(s->k, msg, len, sig);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
cgs_keycache_verify_kept(struct cgs_keycache *kc,
    const uint8_t ua[PROTO_UA_LEN], const uint8_t *msg, size_t len,
    const uint8_t *sig, uint8_t pub[PROTO_EC_PUB_LEN])
{
	struct key_slot *s = slot_of(kc, ua);
	int rc = PROTO_ERR_NOTFOUND;

	pthread_mutex_lock(&s->lock);
	if (s->kept && memcmp(s->ua, ua, PROTO_UA_LEN) == 0) {
		memcpy(pub, s->pub, PROTO_EC_PUB_LEN);
		rc = proto_ec_pub_verify(s->k, msg, len, sig);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* ua's transmission key: HKDF's expand only, its extract done once. */
static int
cache_kt(struct cgs_keycache *kc, const uint8_t ua[PROTO_UA_LEN],
    uint8_t kt[PROTO_AES_KEY_LEN])
{
	int rc;

	pthread_mutex_lock(&kc->kdf_lock);
	rc = proto_kt_kdf_derive(kc->kdf, ua, kt);
	pthread_mutex_unlock(&kc->kdf_lock);
	return rc;
}

int
cgs_keycache_open(struct cgs_keycache *kc, const struct proto_block *b,
    struct proto_m2 *m)
{
	struct key_slot *s = slot_of(kc, b->ua);
	uint8_t kt[PROTO_AES_KEY_LEN];
	int rc;

	pthread_mutex_lock(&s->lock);
	if (memcmp(s->ua, b->ua, PROTO_UA_LEN) == 0 && s->kt != NULL) {
		rc = proto_block_open_key(b, s->kt, m);
		goto out;
	}
	if ((rc = cache_kt(kc, b->ua, kt)) != 0)
		goto out;
	if (memcmp(s->ua, b->ua, PROTO_UA_LEN) != 0)
		/* the slot is another card's: this block's key only */
		rc = proto_block_open(b, kt, m);
	else if ((rc = proto_gcm_key_new(kt, &s->kt)) == 0)
		rc = proto_block_open_key(b, s->kt, m);
out:
	pthread_mutex_unlock(&s->lock);
	proto_cleanse(kt, sizeof(kt));
	return rc;
}
