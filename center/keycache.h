/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The cards' keys, made once: the process keeps, for each of the last
 * CGS_KEY_CACHE cards it has verified a block of (any of them, by UA;
 * when full, the clock's choice of one not used lately gives its slot),
 * the card's public key with its verify context and the card's
 * transmission key set up for GCM, so a card seen before costs no key
 * parsing, no HKDF and no AES key schedule.  An entry is
 * checked against the key registered now, so a changed registration is
 * never verified against a stale key.  A slot's key objects are kept
 * when another card takes the slot (the public key is set again in
 * place, cheaper than a new one).
 *
 * One cache serves every context of the process with the same master
 * secret (cgs_keycache_new hands out the same one, counted), so a
 * card's next session finds its keys whichever worker or pool slot
 * takes it.  Each slot has a lock, held through a verify or an open
 * with its keys (the verify and cipher contexts are not for two
 * threads at once): two threads wait for each other only on the same
 * card at the same moment (the index's lock is held only to find a
 * slot).  When every slot is in use at once, a block is verified and
 * opened with keys made for it alone.
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
 * The process's cache whose transmission keys are derived from master
 * (copied), made if none is: each cgs_keycache_new is matched by one
 * cgs_keycache_free.
 */
int cgs_keycache_new(const uint8_t master[PROTO_MASTER_LEN],
    struct cgs_keycache **out);
/*
 * Gives the cache back; the last one frees the keys (the transmission
 * keys and the master wiped).  Accepts NULL, sets *kc to NULL.
 */
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
 * Whether a key is kept for ua (0, the key copied to pub) or not
 * (PROTO_ERR_NOTFOUND), without a verify.
 */
int cgs_keycache_kept(struct cgs_keycache *kc, const uint8_t ua[PROTO_UA_LEN],
    uint8_t pub[PROTO_EC_PUB_LEN]);
/*
 * card's registered key kept (set up now unless it is): 0, or the error
 * parsing it (nothing kept then).  When every slot is in use at once,
 * nothing is kept and 0 returned (the verify makes a key of its own).
 */
int cgs_keycache_set(struct cgs_keycache *kc, const struct cgs_card *card);
/*
 * Decrypt block b (verified) under its card's transmission key, as
 * proto_block_open: the key kept in b->ua's slot, derived into it the
 * first time.
 */
int cgs_keycache_open(struct cgs_keycache *kc, const struct proto_block *b,
    struct proto_m2 *m);

#endif
