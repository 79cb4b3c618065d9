/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The security module's wire formats, shared by card, decoder, center and
 * tools: M2's exported data, blocks, ECMs and center commands.  The byte
 * layouts are specified in card/APDU.md; every integer is big-endian.
 */
#ifndef PROTO_SM_H
#define PROTO_SM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"

#define PROTO_UA_LEN 8
#define PROTO_VERSIONS_LEN 4

/* --- The security module's APDUs (card/APDU.md) ----------------------- */

/* The security-module applet's AID, F0 "PTVSM" 01 (a proprietary RID). */
#define SM_AID_LEN 7
#define SM_AID_INIT                                 \
	{                                           \
		0xf0, 'P', 'T', 'V', 'S', 'M', 0x01 \
	}

/* Application status words (see card/APDU.md). */
#define SM_SW_NOT_ENTITLED 0x9101
#define SM_SW_PURCHASE_POSSIBLE 0x9102
#define SM_SW_NO_CREDIT 0x9201
#define SM_SW_ALREADY_BOUGHT 0x9202
#define SM_SW_LOG_FULL 0x9203
#define SM_SW_NOT_PURCHASABLE 0x9204
#define SM_SW_REPLAYED 0x9301
#define SM_SW_OTHER_UA 0x9302

#define SM_CLA 0x80
#define SM_INS_GET_DATA 0xca
#define SM_INS_PROCESS_ECM 0x30
#define SM_INS_BUY_EVENT 0x32
#define SM_INS_EXPORT 0x40
#define SM_INS_UPLINK 0x42
#define SM_INS_COMMAND 0x50

/* GET DATA objects: P1 01, P2 one of these. */
#define SM_DO_STATE 0x00
#define SM_DO_UA 0x01
#define SM_DO_VERSIONS 0x02
#define SM_DO_LOCK 0x03
#define SM_DO_CHANGE_CTR 0x04
#define SM_DO_EXPORT_SEQ 0x05
#define SM_DO_FREE_LOG 0x06
#define SM_DO_PUBKEY 0x07
#define SM_DO_CREDIT 0x08
#define SM_STATE_LEN 34

/* --- M2: what a block carries ---------------------------------------- */

#define PROTO_M2_MAX_PURCHASES 64
#define PROTO_M2_MAX_RIGHTS 16
#define PROTO_M2_MAX_CHANNELS 16

struct proto_purchase {
	uint32_t seq; /* per-card purchase sequence, from 1 */
	uint32_t event;
	uint16_t channel;
	uint32_t price;
	uint32_t time; /* the ECM's time at purchase, Unix seconds */
};

struct proto_right {
	uint16_t channel;
	uint32_t expiry; /* Unix seconds; the right covers time < expiry */
};

struct proto_chan_count {
	uint16_t channel;
	uint32_t ecms;
};

struct proto_m2 {
	uint32_t credit;
	uint32_t purchase_seq; /* last purchase made */
	uint32_t acked_seq;    /* purchases up to here acknowledged */
	uint32_t change_ctr;
	uint32_t cmd_ctr;
	uint8_t locked;
	uint8_t versions[PROTO_VERSIONS_LEN];
	uint32_t cws, denials, powerups;
	uint8_t n_counts;
	struct proto_chan_count counts[PROTO_M2_MAX_CHANNELS];
	uint8_t n_rights;
	struct proto_right rights[PROTO_M2_MAX_RIGHTS];
	uint8_t n_purchases; /* the unacknowledged ones, oldest first */
	struct proto_purchase purchases[PROTO_M2_MAX_PURCHASES];
};

#define PROTO_M2_MAX_LEN                                             \
	(4 * 5 + 1 + 4 + 4 * 3 + 1 + 6 * PROTO_M2_MAX_CHANNELS + 1 + \
	    6 * PROTO_M2_MAX_RIGHTS + 1 + 18 * PROTO_M2_MAX_PURCHASES)

int proto_m2_encode(const struct proto_m2 *m, struct proto_wr *w);
/* The pieces M2 is made of, for the card's own state codec too. */
int proto_purchase_write(struct proto_wr *w, const struct proto_purchase *p);
int proto_purchase_read(struct proto_rd *r, struct proto_purchase *p);
/* A (channel, value) pair: a right's expiry or a channel's ECM count. */
int proto_pair_write(struct proto_wr *w, uint16_t channel, uint32_t v);
int proto_pair_read(struct proto_rd *r, uint16_t *channel, uint32_t *v);
/* Strict: counts within limits, purchases consecutive, nothing trailing. */
int proto_m2_decode(const uint8_t *buf, size_t len, struct proto_m2 *m);

/* --- Blocks ---------------------------------------------------------------- */

#define PROTO_BLOCK_VERSION 1
#define PROTO_BLOCK_EXPORT 0x01 /* made by EXPORT, for M1 */
#define PROTO_BLOCK_UPLINK 0x02 /* made by UPLINK BLOCKS, for a session */
#define PROTO_BLOCK_HDR_LEN (1 + 1 + PROTO_UA_LEN + 4 + 4)
#define PROTO_BLOCK_OVERHEAD                                          \
	(PROTO_BLOCK_HDR_LEN + PROTO_GCM_IV_LEN + PROTO_GCM_TAG_LEN + \
	    PROTO_EC_SIG_LEN)
#define PROTO_BLOCK_MAX (PROTO_BLOCK_OVERHEAD + PROTO_M2_MAX_LEN)

struct proto_block {
	uint8_t kind;
	uint8_t ua[PROTO_UA_LEN];
	uint32_t seq;
	const uint8_t *iv; /* the pointers borrow the parsed buffer */
	const uint8_t *ct;
	size_t ct_len;
	const uint8_t *tag;
	const uint8_t *signed_part; /* header to tag: what the card signed */
	size_t signed_len;
	const uint8_t *sig;
};

struct proto_card_keys {
	uint8_t sign_priv[PROTO_EC_PRIV_LEN];
	uint8_t sign_pub[PROTO_EC_PUB_LEN];
	uint8_t kt[PROTO_AES_KEY_LEN]; /* the transmission key */
};

/* Encrypt and sign an M2 body into a block. */
int proto_block_seal(uint8_t kind, const uint8_t ua[PROTO_UA_LEN], uint32_t seq,
    const struct proto_card_keys *k, const uint8_t *body, size_t body_len,
    struct proto_wr *w);
/* Split a block into its fields; checks the layout only. */
int proto_block_parse(const uint8_t *buf, size_t len, struct proto_block *b);
int proto_block_verify(const struct proto_block *b,
    const uint8_t pub[PROTO_EC_PUB_LEN]);
/* Decrypt and decode the body (after verification). */
int proto_block_open(const struct proto_block *b,
    const uint8_t kt[PROTO_AES_KEY_LEN], struct proto_m2 *m);

/* The transmission key: HKDF-SHA-256(master, salt, info = UA). */
#define PROTO_MASTER_LEN 32
int proto_kt_derive(const uint8_t master[PROTO_MASTER_LEN],
    const uint8_t ua[PROTO_UA_LEN], uint8_t kt[PROTO_AES_KEY_LEN]);

/* --- ECMs ---------------------------------------------------------------- */

#define PROTO_ECM_VERSION 1
#define PROTO_ECM_SUBSCRIPTION 0x01 /* a subscription right opens it */
#define PROTO_ECM_PPV 0x02          /* the event may be bought */
#define PROTO_CW_LEN 32             /* even and odd control words */
#define PROTO_ECM_AAD_LEN (1 + 2 + 4 + 4 + 4 + 1 + 4)
#define PROTO_ECM_LEN                                          \
	(PROTO_ECM_AAD_LEN + PROTO_GCM_IV_LEN + PROTO_CW_LEN + \
	    PROTO_GCM_TAG_LEN)

struct proto_ecm {
	uint16_t channel;
	uint32_t event;
	uint32_t time;      /* the broadcast's time now */
	uint32_t event_end; /* when the event ends */
	uint8_t flags;
	uint32_t price; /* for PPV */
};

int proto_ecm_build(const struct proto_ecm *e, const uint8_t cw[PROTO_CW_LEN],
    const uint8_t key[PROTO_AES_KEY_LEN], uint8_t out[PROTO_ECM_LEN]);
/* Authenticate and open an ECM; cw may be NULL. */
int proto_ecm_open(const uint8_t *buf, size_t len,
    const uint8_t key[PROTO_AES_KEY_LEN], struct proto_ecm *e,
    uint8_t cw[PROTO_CW_LEN]);

/* --- Center commands ----------------------------------------------------- */

#define PROTO_CMD_VERSION 1
#define PROTO_CMD_UNLOCK 0x01 /* lift the transfer lock */
#define PROTO_CMD_ACK 0x02    /* arg1: purchases acknowledged up to seq */
#define PROTO_CMD_RELOAD 0x03 /* arg1: credit to add */
#define PROTO_CMD_GRANT 0x04  /* arg1: channel, arg2: expiry */
#define PROTO_CMD_REVOKE 0x05 /* arg1: channel */
#define PROTO_CMD_MAX_LEN (1 + 1 + PROTO_UA_LEN + 4 + 1 + 6 + PROTO_EC_SIG_LEN)

struct proto_cmd {
	uint8_t type;
	uint8_t ua[PROTO_UA_LEN];
	uint32_t counter;
	uint32_t arg1, arg2;
};

int
proto_cmd_sign(const struct proto_cmd *c, const uint8_t priv[PROTO_EC_PRIV_LEN],
    const uint8_t pub[PROTO_EC_PUB_LEN], struct proto_wr *w);
/*
 * Parse a command (layout only) and say where its signed part and
 * signature are; the caller verifies.
 */
int proto_cmd_parse(const uint8_t *buf, size_t len, struct proto_cmd *c,
    const uint8_t **signed_part, size_t *signed_len, const uint8_t **sig);
/* Parse and verify against the center's public key. */
int proto_cmd_verify(const uint8_t *buf, size_t len,
    const uint8_t pub[PROTO_EC_PUB_LEN], struct proto_cmd *c);
const char *proto_cmd_name(uint8_t type);

#endif
