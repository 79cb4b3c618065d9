/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The cards' public keys, parsed once: a worker keeps the parsed key of
 * each card it has verified a block of, by UA (FNV-1a into a fixed table;
 * a collision just parses again), so a card seen before costs no key
 * parsing.  An entry is checked against the key registered now, so a
 * changed registration is never verified against a stale key.
 */
#ifndef CENTER_KEYCACHE_H
#define CENTER_KEYCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define CGS_KEY_CACHE 4096

struct cgs_keycache;

int cgs_keycache_new(struct cgs_keycache **out);
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

#endif
