/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * M1: the decoder's non-volatile memory of exported blocks, one entry per
 * card (UA), each pending uplink or acknowledged by the center.
 *
 * The file is encrypted at rest (AES-256-GCM under the decoder-local key,
 * with the decoder's identity as authenticated data) and every update
 * replaces it atomically and durably.  A file that fails authentication or
 * parsing is reported with PROTO_ERR_AUTH / PROTO_ERR_FORMAT so the caller
 * can move it aside: it is never overwritten in place.
 */
#ifndef DECODER_M1_H
#define DECODER_M1_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/crypto.h"
#include "../proto/sm.h"

#define DEC_ID_LEN 8
/* One entry per card: room for every card a household's decoders see. */
#define DEC_M1_MAX_ENTRIES 32
#define DEC_M1_FILE_MAX (64 + DEC_M1_MAX_ENTRIES * (32 + PROTO_BLOCK_MAX))

#define DEC_M1_PENDING 1 /* waiting for the center */
#define DEC_M1_ACKED 2   /* the center has it; may be replaced */

struct dec_key {
	uint8_t key[PROTO_AES_KEY_LEN];
	uint8_t id[DEC_ID_LEN]; /* the decoder's identity */
};

struct dec_m1_entry {
	uint8_t ua[PROTO_UA_LEN];
	uint8_t state;
	uint32_t seq;
	uint32_t change_ctr;  /* the card's, when it exported */
	uint64_t exported_at; /* Unix seconds */
	uint16_t len;
	uint8_t block[PROTO_BLOCK_MAX];
};

struct dec_m1 {
	size_t n;
	struct dec_m1_entry e[DEC_M1_MAX_ENTRIES];
};

/* Load the key file: PROTO_ERR_NOTFOUND when absent, PROTO_ERR_LENGTH
 * for a file of the wrong size. */
int dec_key_load(const char *path, struct dec_key *k);
/*
 * Load the key file, or create it (mode 0600) when absent.  A file of the
 * wrong size is an error, never replaced.
 */
int dec_key_load_or_create(const char *path, struct dec_key *k);

/* Load M1; an absent file is an empty M1. */
int dec_m1_load(const char *path, const struct dec_key *k, struct dec_m1 *m);
int
dec_m1_save(const char *path, const struct dec_key *k, const struct dec_m1 *m);
/* Encode/decode the file image (for tests). */
int dec_m1_encode(const struct dec_key *k, const struct dec_m1 *m, uint8_t *out,
    size_t cap, size_t *len);
int dec_m1_decode(const struct dec_key *k, const uint8_t *buf, size_t len,
    struct dec_m1 *m);

/*
 * Store a block exported by the card it names, replacing that card's
 * entry.  PROTO_ERR_TOOBIG when M1 is full of other cards' pending
 * entries (acknowledged ones make room), PROTO_ERR_RANGE for a block no
 * newer than the one held; nothing changes on error.  It checks no
 * signature: the daemon stores through dec_m1_put_verified.
 */
int dec_m1_put(struct dec_m1 *m, const uint8_t *block, size_t len,
    uint32_t change_ctr, uint64_t now);
/*
 * dec_m1_put for a block whose card is certified with key pub (the
 * caller verified the card certificate under the issuer key, and that it
 * names the block's UA): the block's signature must verify under pub
 * (PROTO_ERR_AUTH), and an entry M1 holds of that UA is replaced only when
 * its own block verifies under the same key (PROTO_ERR_EXISTS: another
 * key's entry, which only the center's acknowledgement or quarantine
 * removes) and by a higher export sequence (PROTO_ERR_RANGE).  So a card
 * the issuer did not certify with that UA's key can neither overwrite
 * an entry nor pin it; nothing changes on error.
 */
int dec_m1_put_verified(struct dec_m1 *m, const uint8_t *block, size_t len,
    const uint8_t pub[PROTO_EC_PUB_LEN], uint32_t change_ctr, uint64_t now);
/* The entry of a UA, or NULL; it borrows m and moves when m changes. */
struct dec_m1_entry *
dec_m1_find(struct dec_m1 *m, const uint8_t ua[PROTO_UA_LEN]);
const struct dec_m1_entry *
dec_m1_find_const(const struct dec_m1 *m, const uint8_t ua[PROTO_UA_LEN]);
/* Drop the entry of a UA, whatever it holds. */
int dec_m1_remove(struct dec_m1 *m, const uint8_t ua[PROTO_UA_LEN]);
/*
 * The center acknowledged block seq of ua: drop ua's entry if it holds
 * that very block.  PROTO_ERR_NOTFOUND when M1 has no entry of ua,
 * PROTO_ERR_RANGE when the entry holds another block (older or newer: the
 * center has not seen this one); nothing changes then.
 */
int dec_m1_ack(struct dec_m1 *m, const uint8_t ua[PROTO_UA_LEN], uint32_t seq);
/* Entries pending uplink. */
size_t dec_m1_pending(const struct dec_m1 *m);

#endif
