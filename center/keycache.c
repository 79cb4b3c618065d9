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
 * card is the index's, under the cache's index_lock: the card the slot
 * is given to (its keys may not be made yet).
 */
struct key_slot {
	pthread_mutex_t lock;
	uint8_t ua[PROTO_UA_LEN];
	uint8_t pub[PROTO_EC_PUB_LEN];
	int kept;
	struct proto_ec_pub *k;
	struct proto_gcm_key *kt;
	uint8_t card[PROTO_UA_LEN];
};

/*
 * A slot's marks for the clock, under index_lock, apart from the slots
 * so that the hand's round reads a few lines, not every slot's: the
 * threads using it now (pins: never given to another card then), and
 * whether it was used since the hand last passed.
 */
struct slot_mark {
	unsigned pins;
	int used;
};

/*
 * The index maps a UA to its slot: an open-addressed table (linear
 * probing, 0 empty, else the slot's number + 1) of twice as many entries
 * as slots or more, so that any n cards fit n slots (a table of slots by
 * hash alone kept only 3 of 4 of 4,096 cards in 4,096 slots).  A card
 * not kept takes a free slot, else the one the clock's hand finds
 * unused since it last passed and not in use now.
 */
struct cgs_keycache {
	struct cgs_keycache *next; /* the process's caches, under caches_lock */
	unsigned refs;             /* under caches_lock */
	uint8_t master[PROTO_MASTER_LEN];
	pthread_mutex_t kdf_lock;
	struct proto_hkdf_key *kdf; /* master's, under kdf_lock */
	pthread_mutex_t index_lock;
	size_t nslots, nfree, hand; /* under index_lock; nfree: never given */
	size_t mask;                /* the index's entries less one */
	uint32_t *index;            /* under index_lock */
	struct slot_mark *mark;     /* nslots, under index_lock */
	struct key_slot slot[];
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
	for (size_t i = 0; i < kc->nslots; i++)
		if (proto_ec_pub_new_unset(&kc->slot[i].k) != 0)
			return;
}

/* A cache of n slots (n >= 1) not shared yet (refs 0), or NULL. */
static struct cgs_keycache *
cache_make(const uint8_t master[PROTO_MASTER_LEN], size_t n)
{
	struct cgs_keycache *kc;
	size_t i, m = 2;

	while (m < 2 * n)
		m *= 2;
	if ((kc = calloc(1, sizeof(*kc) + n * sizeof(kc->slot[0]))) == NULL)
		return NULL;
	kc->nslots = kc->nfree = n;
	kc->mask = m - 1;
	if ((kc->index = calloc(m, sizeof(kc->index[0]))) == NULL ||
	    (kc->mark = calloc(n, sizeof(kc->mark[0]))) == NULL)
		goto fail_index;
	if (proto_kt_kdf_new(master, &kc->kdf) != 0)
		goto fail_kdf;
	if (pthread_mutex_init(&kc->kdf_lock, NULL) != 0)
		goto fail_kdf;
	if (pthread_mutex_init(&kc->index_lock, NULL) != 0)
		goto fail_index_lock;
	for (i = 0; i < n; i++)
		if (pthread_mutex_init(&kc->slot[i].lock, NULL) != 0)
			break;
	if (i < n) {
		while (i-- > 0)
			pthread_mutex_destroy(&kc->slot[i].lock);
		pthread_mutex_destroy(&kc->index_lock);
		goto fail_index_lock;
	}
	memcpy(kc->master, master, PROTO_MASTER_LEN);
	cache_warm(kc);
	return kc;
fail_index_lock:
	pthread_mutex_destroy(&kc->kdf_lock);
fail_kdf:
	proto_hkdf_key_free(&kc->kdf);
fail_index:
	free(kc->mark);
	free(kc->index);
	free(kc);
	return NULL;
}

static void
cache_destroy(struct cgs_keycache *kc)
{
	for (size_t i = 0; i < kc->nslots; i++) {
		proto_ec_pub_free(&kc->slot[i].k);
		proto_gcm_key_free(&kc->slot[i].kt);
		pthread_mutex_destroy(&kc->slot[i].lock);
	}
	pthread_mutex_destroy(&kc->index_lock);
	pthread_mutex_destroy(&kc->kdf_lock);
	proto_hkdf_key_free(&kc->kdf);
	proto_cleanse(kc->master, sizeof(kc->master));
	free(kc->mark);
	free(kc->index);
	free(kc);
}

/* master's cache, made of n slots if there is none, counted. */
static int
cache_get(const uint8_t master[PROTO_MASTER_LEN], size_t n,
    struct cgs_keycache **out)
{
	struct cgs_keycache *kc;
	int rc = 0;

	if (master == NULL || out == NULL || n == 0)
		return PROTO_ERR_ARG;
	pthread_mutex_lock(&caches_lock);
	for (kc = caches; kc != NULL; kc = kc->next)
		if (proto_memcmp_ct(kc->master, master, PROTO_MASTER_LEN) == 0)
			break;
	if (kc == NULL) {
		if ((kc = cache_make(master, n)) == NULL) {
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

int
cgs_keycache_new(const uint8_t master[PROTO_MASTER_LEN],
    struct cgs_keycache **out)
{
	return cache_get(master, CGS_KEY_CACHE, out);
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

/* Where ua's search in the index begins (FNV-1a). */
static size_t
index_home(const struct cgs_keycache *kc, const uint8_t ua[PROTO_UA_LEN])
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < PROTO_UA_LEN; i++)
		h = (h ^ ua[i]) * 0x100000001b3ull;
	return (size_t)(h ^ (h >> 32)) & kc->mask;
}

/* The index's entry of ua, or the empty one where it would go. */
static size_t
index_find(const struct cgs_keycache *kc, const uint8_t ua[PROTO_UA_LEN])
{
	size_t i = index_home(kc, ua);

	while (kc->index[i] != 0 &&
	    memcmp(kc->slot[kc->index[i] - 1].card, ua, PROTO_UA_LEN) != 0)
		i = (i + 1) & kc->mask;
	return i;
}

/* Entry i emptied, the entries after it moved up to stay findable. */
static void
index_remove(struct cgs_keycache *kc, size_t i)
{
	size_t j = i, h;

	kc->index[i] = 0;
	for (;;) {
		j = (j + 1) & kc->mask;
		if (kc->index[j] == 0)
			return;
		h = index_home(kc, kc->slot[kc->index[j] - 1].card);
		/* j's entry stays if its home lies cyclically in (i, j] */
		if (((j - h) & kc->mask) < ((j - i) & kc->mask))
			continue;
		kc->index[i] = kc->index[j];
		kc->index[j] = 0;
		i = j;
	}
}

/* A slot for another card: a free one, else the clock's, or none. */
static size_t
slot_victim(struct cgs_keycache *kc)
{
	struct slot_mark *k;
	size_t v;

	if (kc->nfree > 0)
		return kc->nslots - kc->nfree--;
	for (size_t n = 0; n < 2 * kc->nslots; n++) {
		k = &kc->mark[v = kc->hand];
		kc->hand = (kc->hand + 1) % kc->nslots;
		if (k->pins > 0)
			continue;
		if (!k->used) {
			index_remove(kc, index_find(kc, kc->slot[v].card));
			return v;
		}
		k->used = 0;
	}
	return kc->nslots; /* every slot in use now */
}

/*
 * ua's slot, pinned (slot_put gives it back); if ua has none, one given
 * to it when give is set, else NULL.  NULL too when every slot is in use
 * now.  The slot's keys may still be another card's: its lock tells.
 */
static struct key_slot *
slot_get(struct cgs_keycache *kc, const uint8_t ua[PROTO_UA_LEN], int give)
{
	size_t i, v = kc->nslots;

	pthread_mutex_lock(&kc->index_lock);
	i = index_find(kc, ua);
	if (kc->index[i] != 0)
		v = kc->index[i] - 1;
	else if (give && (v = slot_victim(kc)) < kc->nslots) {
		memcpy(kc->slot[v].card, ua, PROTO_UA_LEN);
		kc->index[index_find(kc, ua)] = (uint32_t)v + 1;
	}
	if (v < kc->nslots) {
		kc->mark[v].pins++;
		kc->mark[v].used = 1;
	}
	pthread_mutex_unlock(&kc->index_lock);
	return v < kc->nslots ? &kc->slot[v] : NULL;
}

static void
slot_put(struct cgs_keycache *kc, struct key_slot *s)
{
	pthread_mutex_lock(&kc->index_lock);
	kc->mark[s - kc->slot].pins--;
	pthread_mutex_unlock(&kc->index_lock);
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

/* s (locked) holding card's registered key, set up unless it does. */
static int
slot_hold(struct key_slot *s, const struct cgs_card *card)
{
	if (s->kept && memcmp(s->ua, card->ua, PROTO_UA_LEN) == 0 &&
	    memcmp(s->pub, card->pub, PROTO_EC_PUB_LEN) == 0)
		return 0;
	return slot_fill(s, card->ua, card->pub);
}

int
cgs_keycache_verify(struct cgs_keycache *kc, const struct cgs_card *card,
    const uint8_t *msg, size_t len, const uint8_t *sig)
{
	struct key_slot *s = slot_get(kc, card->ua, 1);
	int rc;

	if (s == NULL) /* every slot in use: a key for this block only */
		return proto_ec_verify(card->pub, msg, len, sig);
	pthread_mutex_lock(&s->lock);
	if ((rc = slot_hold(s, card)) == 0)
		rc = proto_ec_pub_verify(s->k, msg, len, sig);
	pthread_mutex_unlock(&s->lock);
	slot_put(kc, s);
	return rc;
}

int
cgs_keycache_set(struct cgs_keycache *kc, const struct cgs_card *card)
{
	struct key_slot *s = slot_get(kc, card->ua, 1);
	int rc;

	if (s == NULL)
		return 0;
	pthread_mutex_lock(&s->lock);
	rc = slot_hold(s, card);
	pthread_mutex_unlock(&s->lock);
	slot_put(kc, s);
	return rc;
}

/* The key kept for ua copied to pub, sig over msg verified by it unless
 * msg is NULL: PROTO_ERR_NOTFOUND if none is kept. */
static int
kept_verify(struct cgs_keycache *kc, const uint8_t ua[PROTO_UA_LEN],
    const uint8_t *msg, size_t len, const uint8_t *sig,
    uint8_t pub[PROTO_EC_PUB_LEN])
{
	struct key_slot *s = slot_get(kc, ua, 0);
	int rc = PROTO_ERR_NOTFOUND;

	if (s == NULL)
		return rc;
	pthread_mutex_lock(&s->lock);
	if (s->kept && memcmp(s->ua, ua, PROTO_UA_LEN) == 0) {
		memcpy(pub, s->pub, PROTO_EC_PUB_LEN);
		rc = msg != NULL ? proto_ec_pub_verify(s->k, msg, len, sig) : 0;
	}
	pthread_mutex_unlock(&s->lock);
	slot_put(kc, s);
	return rc;
}

int
cgs_keycache_kept(struct cgs_keycache *kc, const uint8_t ua[PROTO_UA_LEN],
    uint8_t pub[PROTO_EC_PUB_LEN])
{
	return kept_verify(kc, ua, NULL, 0, NULL, pub);
}

int
cgs_keycache_verify_kept(struct cgs_keycache *kc,
    const uint8_t ua[PROTO_UA_LEN], const uint8_t *msg, size_t len,
    const uint8_t *sig, uint8_t pub[PROTO_EC_PUB_LEN])
{
	if (msg == NULL)
		return PROTO_ERR_ARG;
	return kept_verify(kc, ua, msg, len, sig, pub);
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
	struct key_slot *s = slot_get(kc, b->ua, 0);
	uint8_t kt[PROTO_AES_KEY_LEN];
	int rc;

	if (s != NULL) {
		pthread_mutex_lock(&s->lock);
		if (memcmp(s->ua, b->ua, PROTO_UA_LEN) == 0 && s->kt != NULL) {
			rc = proto_block_open_key(b, s->kt, m);
			goto out;
		}
	}
	if ((rc = cache_kt(kc, b->ua, kt)) != 0)
		goto out;
	if (s == NULL || memcmp(s->ua, b->ua, PROTO_UA_LEN) != 0)
		/* no slot, or its keys another card's: this block's key only */
		rc = proto_block_open(b, kt, m);
	else if ((rc = proto_gcm_key_new(kt, &s->kt)) == 0)
		rc = proto_block_open_key(b, s->kt, m);
out:
	if (s != NULL) {
		pthread_mutex_unlock(&s->lock);
		slot_put(kc, s);
	}
	proto_cleanse(kt, sizeof(kt));
	return rc;
}
