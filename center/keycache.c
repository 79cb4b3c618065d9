/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "../proto/crypto.h"
#include "../proto/proto.h"
#include "keycache.h"

/*
 * ua names the card whose transmission key kt is (NULL: not derived
 * yet); kept says k holds pub, ua's registered key, as last checked.
 */
struct key_slot {
	uint8_t ua[PROTO_UA_LEN];
	uint8_t pub[PROTO_EC_PUB_LEN];
	int kept;
	struct proto_ec_pub *k;
	struct proto_gcm_key *kt;
};

struct cgs_keycache {
	const uint8_t *master;
	struct key_slot slot[CGS_KEY_CACHE];
};

int
cgs_keycache_new(const uint8_t master[PROTO_MASTER_LEN],
    struct cgs_keycache **out)
{
	struct cgs_keycache *kc;

	if (master == NULL || out == NULL)
		return PROTO_ERR_ARG;
	if ((kc = calloc(1, sizeof(*kc))) == NULL)
		return PROTO_ERR_NOMEM;
	kc->master = master;
	*out = kc;
	return 0;
}

void
cgs_keycache_free(struct cgs_keycache **kcp)
{
	if (kcp == NULL || *kcp == NULL)
		return;
	for (size_t i = 0; i < CGS_KEY_CACHE; i++) {
		proto_ec_pub_free(&(*kcp)->slot[i].k);
		proto_gcm_key_free(&(*kcp)->slot[i].kt);
	}
	free(*kcp);
	*kcp = NULL;
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
	int rc;

	if (!s->kept || memcmp(s->ua, card->ua, PROTO_UA_LEN) != 0 ||
	    memcmp(s->pub, card->pub, PROTO_EC_PUB_LEN) != 0) {
		if ((rc = slot_fill(s, card->ua, card->pub)) != 0)
			return rc;
	}
	return proto_ec_pub_verify(s->k, msg, len, sig);
}

int
cgs_keycache_verify_kept(struct cgs_keycache *kc,
    const uint8_t ua[PROTO_UA_LEN], const uint8_t *msg, size_t len,
    const uint8_t *sig, uint8_t pub[PROTO_EC_PUB_LEN])
{
	struct key_slot *s = slot_of(kc, ua);

	if (!s->kept || memcmp(s->ua, ua, PROTO_UA_LEN) != 0)
		return PROTO_ERR_NOTFOUND;
	memcpy(pub, s->pub, PROTO_EC_PUB_LEN);
	return proto_ec_pub_verify(s->k, msg, len, sig);
}

int
cgs_keycache_open(struct cgs_keycache *kc, const struct proto_block *b,
    struct proto_m2 *m)
{
	struct key_slot *s = slot_of(kc, b->ua);
	uint8_t kt[PROTO_AES_KEY_LEN];
	int rc;

	if (memcmp(s->ua, b->ua, PROTO_UA_LEN) == 0 && s->kt != NULL)
		return proto_block_open_key(b, s->kt, m);
	if ((rc = proto_kt_derive(kc->master, b->ua, kt)) != 0)
		goto out;
	if (memcmp(s->ua, b->ua, PROTO_UA_LEN) != 0) {
		/* the slot is another card's: this block's key only */
		rc = proto_block_open(b, kt, m);
		goto out;
	}
	if ((rc = proto_gcm_key_new(kt, &s->kt)) == 0)
		rc = proto_block_open_key(b, s->kt, m);
out:
	proto_cleanse(kt, sizeof(kt));
	return rc;
}
