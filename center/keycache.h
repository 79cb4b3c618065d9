/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The cards' keys, made once: a worker keeps, for each card it has
 * verified a block of, by UA (FNV-1a into a fixed table; a collision
 * just loads again), the card's public key with its verify context and
 * the card's transmission key set up for GCM, so a card seen before
 * costs no key parsing, no HKDF and no AES key schedule.  An entry is
 * checked against the key registered now, so a changed registration is
 * never verified against a stale key.  A slot's key objects are kept
 * when another card takes the slot (the public key is set again in
 * place, cheaper than a new one).
 *
 * Not for two threads at once: a cache belongs to one cgs_ctx, which
 * serves one session at a time (centerd's pool hands a context to one
 * session under its lock), and the verify and cipher contexts it holds
 * are used by whoever holds the cache.
 */
#ifndef CENTER_KEYCACHE_H
#define CENTER_KEYCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/block.h"
#include "db.h"

#define CGS_KEY_CACHE 4096

struct cgs_keycache;

/*
 * A cache whose transmission keys are derived from master (borrowed: it
 * outlives the cache).
 */
int cgs_keycache_new(const uint8_t master[PROTO_MASTER_LEN],
    struct cgs_keycache **out);
/* Frees the keys (the transmission keys wiped); accepts NULL. */
void cgs_keycache_free(struct cgs_keycache **kc);

/*
 * Verify sig over msg (len bytes) with the key registered for card
 * (card->pub).  0 if the signature is good; PROTO_ERR_AUTH if not, or
 * the error parsing the registered key.
 */
int cgs_keycache_verify(struct cgs_keycache *kc, const struct cgs_card *card,
    const uint8_t *msg, size_t len, const uint8_t *sig);
/*
 * The same with the key kept for ua, if one is, without reading the
 * registration: PROTO_ERR_NOTFOUND if none is kept; else as
 * cgs_keycache_verify, the key it used copied to pub.  The caller checks
 * pub against the registration later (in its transaction), when it reads
 * the card anyway.
 */
int cgs_keycache_verify_kept(struct cgs_keycache *kc,
    const uint8_t ua[PROTO_UA_LEN], const uint8_t *msg, size_t len,
    const uint8_t *sig, uint8_t pub[PROTO_EC_PUB_LEN]);
/*
 * Decrypt block b (verified) under its card's transmission key, as
 * proto_block_open: the key kept in b->ua's slot, derived into it the
 * first time.
 */
int cgs_keycache_open(struct cgs_keycache *kc, const struct proto_block *b,
    struct proto_m2 *m);

#endif
