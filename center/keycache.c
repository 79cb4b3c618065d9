/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "../proto/crypto.h"
#include "../proto/proto.h"
#include "keycache.h"

struct key_slot {
	uint8_t ua[PROTO_UA_LEN];
	uint8_t pub[PROTO_EC_PUB_LEN];
	struct proto_ec_pub *k;
};

struct cgs_keycache {
	struct key_slot slot[CGS_KEY_CACHE];
};

int
cgs_keycache_new(struct cgs_keycache **out)
{
	struct cgs_keycache *kc;

	if (out == NULL)
		return PROTO_ERR_ARG;
	if ((kc = calloc(1, sizeof(*kc))) == NULL)
		return PROTO_ERR_NOMEM;
	*out = kc;
	return 0;
}

void
cgs_keycache_free(struct cgs_keycache **kcp)
{
	if (kcp == NULL || *kcp == NULL)
		return;
	for (size_t i = 0; i < CGS_KEY_CACHE; i++)
		proto_ec_pub_free(&(*kcp)->slot[i].k);
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

int
cgs_keycache_verify(struct cgs_keycache *kc, const struct cgs_card *card,
    const uint8_t *msg, size_t len, const uint8_t *sig)
{
	struct key_slot *s = slot_of(kc, card->ua);
	int rc;

	if (s->k == NULL || memcmp(s->ua, card->ua, PROTO_UA_LEN) != 0 ||
	    memcmp(s->pub, card->pub, PROTO_EC_PUB_LEN) != 0) {
		proto_ec_pub_free(&s->k);
		if ((rc = proto_ec_pub_new(card->pub, &s->k)) != 0)
			return rc;
		memcpy(s->ua, card->ua, PROTO_UA_LEN);
		memcpy(s->pub, card->pub, PROTO_EC_PUB_LEN);
	}
	return proto_ec_pub_verify(s->k, msg, len, sig);
}

int
cgs_keycache_verify_kept(struct cgs_keycache *kc,
    const uint8_t ua[PROTO_UA_LEN], const uint8_t *msg, size_t len,
    const uint8_t *sig, uint8_t pub[PROTO_EC_PUB_LEN])
{
	struct key_slot *s = slot_of(kc, ua);

	if (s->k == NULL || memcmp(s->ua, ua, PROTO_UA_LEN) != 0)
		return PROTO_ERR_NOTFOUND;
	memcpy(pub, s->pub, PROTO_EC_PUB_LEN);
	return proto_ec_pub_verify(s->k, msg, len, sig);
}
