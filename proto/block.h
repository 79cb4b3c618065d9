/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Blocks: M2 encrypted under the card's transmission key and signed by the
 * card (card/APDU.md, "Block").
 *
 *   header     kind (1), version (1) = 2, UA (8), export sequence (4),
 *              challenge (16), body length (4): the GCM additional data
 *   IV (12), ciphertext (body length), tag (16)
 *   signature  ECDSA P-256 over header .. tag (64)
 *
 * The challenge of an uplink block (kind 02) is the nonce of the center
 * session it was made for, so a replayed block is no proof of presence;
 * an export block (kind 01) carries zeros there.
 */
#ifndef PROTO_BLOCK_H
#define PROTO_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"
#include "m2.h"
#include "ua.h"

#define PROTO_BLOCK_VERSION 2
#define PROTO_BLOCK_EXPORT 0x01 /* made by EXPORT, for M1 */
#define PROTO_BLOCK_UPLINK 0x02 /* made by UPLINK BLOCKS, for a session */
#define PROTO_CHALLENGE_LEN 16  /* a center session's nonce */
#define PROTO_BLOCK_HDR_LEN (1 + 1 + PROTO_UA_LEN + 4 + PROTO_CHALLENGE_LEN + 4)
#define PROTO_BLOCK_OVERHEAD                                          \
	(PROTO_BLOCK_HDR_LEN + PROTO_GCM_IV_LEN + PROTO_GCM_TAG_LEN + \
	    PROTO_EC_SIG_LEN)
#define PROTO_BLOCK_MAX (PROTO_BLOCK_OVERHEAD + PROTO_M2_MAX_LEN)

struct proto_block {
	uint8_t kind;
	uint8_t ua[PROTO_UA_LEN];
	uint32_t seq;
	uint8_t challenge[PROTO_CHALLENGE_LEN]; /* zeros in an export block */
	const uint8_t *iv; /* the pointers borrow the parsed buffer */
	const uint8_t *ct;
	size_t ct_len;
	const uint8_t *tag;
	const uint8_t *signed_part; /* header to tag: what the card signed */
	size_t signed_len;
	const uint8_t *sig;
};

/* The card's keys a block is made with. */
struct proto_card_keys {
	uint8_t sign_priv[PROTO_EC_PRIV_LEN];
	uint8_t sign_pub[PROTO_EC_PUB_LEN];
	uint8_t kt[PROTO_AES_KEY_LEN]; /* the transmission key */
};

/*
 * Encrypt and sign an M2 body into a block.  challenge: the session's
 * nonce for an uplink block; NULL (zeros) for an export block, which may
 * carry nothing else (PROTO_ERR_ARG).
 */
int proto_block_seal(uint8_t kind, const uint8_t ua[PROTO_UA_LEN], uint32_t seq,
    const uint8_t *challenge, const struct proto_card_keys *k,
    const uint8_t *body, size_t body_len, struct proto_wr *w);
/*
 * Split a block into its fields; checks the layout only (an export block
 * with a challenge other than zeros is malformed).
 */
int proto_block_parse(const uint8_t *buf, size_t len, struct proto_block *b);
int proto_block_verify(const struct proto_block *b,
    const uint8_t pub[PROTO_EC_PUB_LEN]);
/*
 * Decrypt and decode the body (after verification).  The plaintext is wiped
 * before this returns; *m is written only on success and is the caller's to
 * wipe (proto_m2_clear).
 */
int proto_block_open(const struct proto_block *b,
    const uint8_t kt[PROTO_AES_KEY_LEN], struct proto_m2 *m);
/* The same under a transmission key set up once (proto_gcm_key_new). */
int proto_block_open_key(const struct proto_block *b, struct proto_gcm_key *kt,
    struct proto_m2 *m);

/*
 * The transmission key a block is encrypted under: HKDF-SHA-256(master,
 * salt, info = UA), so the center derives every card's key from one
 * operator secret and stores none.
 */
#define PROTO_MASTER_LEN 32
int proto_kt_derive(const uint8_t master[PROTO_MASTER_LEN],
    const uint8_t ua[PROTO_UA_LEN], uint8_t kt[PROTO_AES_KEY_LEN]);
/*
 * The same for many UAs under one master: its HKDF extract done once in
 * k (proto_hkdf_key_free frees it).
 */
int proto_kt_kdf_new(const uint8_t master[PROTO_MASTER_LEN],
    struct proto_hkdf_key **k);
int proto_kt_kdf_derive(struct proto_hkdf_key *k,
    const uint8_t ua[PROTO_UA_LEN], uint8_t kt[PROTO_AES_KEY_LEN]);

#endif
