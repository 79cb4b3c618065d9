/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The security-module applet's persistent state, inside card/ only: what
 * its region holds, decoded into struct card_sm_state for each APDU that
 * needs it and written back whole in one transaction, so every change an
 * APDU makes commits together or not at all.
 *
 * A decoded state holds the card's keys: every holder wipes it with
 * card_sm_state_clear() on every path.
 */
#ifndef CARD_SM_STATE_H
#define CARD_SM_STATE_H

#include <stdint.h>

#include "../proto/sm.h"
#include "runtime.h"
#include "sm.h"
#include "store.h"

/* The purchase log: slot (seq - 1) % CARD_SM_LOG_SIZE. */
#define CARD_SM_LOG_SIZE PROTO_M2_MAX_PURCHASES
/* An event bought and running: event (4), its end (4). */
#define CARD_SM_BOUGHT_LEN 8

struct card_sm_bought {
	uint32_t event;
	uint32_t expiry;
};

struct card_sm_state {
	uint8_t ua[PROTO_UA_LEN];
	uint8_t locked;
	uint8_t flags; /* PROTO_M2_FLAG_* */
	uint32_t credit, purchase_seq, acked_seq, export_seq, change_ctr;
	uint32_t cmd_ctr;   /* the last counter accepted on the uplink path */
	uint32_t bcast_ctr; /* ... and on the broadcast path */
	uint32_t cws, denials, powerups, card_time;
	uint8_t versions[PROTO_VERSIONS_LEN];
	struct proto_card_keys keys;
	uint8_t center_pub[PROTO_EC_PUB_LEN];
	uint8_t ecm_key[PROTO_AES_KEY_LEN];
	uint8_t n_rights;
	struct proto_right rights[PROTO_M2_MAX_RIGHTS];
	uint8_t n_counts;
	struct proto_chan_count counts[PROTO_M2_MAX_CHANNELS];
	uint8_t n_bought;
	struct card_sm_bought bought[SM_MAX_BOUGHT];
	struct proto_purchase log[CARD_SM_LOG_SIZE];
	uint8_t n_outcomes; /* the latest consumed commands, oldest first */
	struct proto_outcome outcomes[PROTO_M2_MAX_OUTCOMES];
	uint8_t has_cert;
	uint8_t cert[PROTO_CERT_LEN];
};

/*
 * The region, in this order: UA (8), lock (1), flags (1), the eleven
 * 32-bit words (credit .. card time), versions (4), the card's keys
 * (signing private 32, public 65, transmission 32), the center's public
 * key (65), the ECM key (32), then every table at full size with its count
 * byte: rights, channel counts, bought events; the purchase log; the
 * outcome ring with its count; the certificate with a presence byte.
 * sm_state.c ties the sum to the fields.
 */
#define CARD_SM_STATE_U32S 11
#define CARD_SM_REGION_SIZE                                                   \
	(PROTO_UA_LEN + 1 + 1 + 4 * CARD_SM_STATE_U32S + PROTO_VERSIONS_LEN + \
	    PROTO_EC_PRIV_LEN + PROTO_EC_PUB_LEN + PROTO_AES_KEY_LEN +        \
	    PROTO_EC_PUB_LEN + PROTO_AES_KEY_LEN + 1 +                        \
	    PROTO_PAIR_LEN * PROTO_M2_MAX_RIGHTS + 1 +                        \
	    PROTO_PAIR_LEN * PROTO_M2_MAX_CHANNELS + 1 +                      \
	    CARD_SM_BOUGHT_LEN * SM_MAX_BOUGHT +                              \
	    PROTO_PURCHASE_LEN * CARD_SM_LOG_SIZE + 1 +                       \
	    PROTO_OUTCOME_LEN * PROTO_M2_MAX_OUTCOMES + 1 + PROTO_CERT_LEN)

/* Decode the applet's region of store into *s (wiped on failure). */
int card_sm_load(const struct card_store *store, int region,
    struct card_sm_state *s);
/* Encode *s and write the whole region back in one transaction. */
int card_sm_store(struct card_store *store, int region,
    const struct card_sm_state *s);
/*
 * card_sm_store from an APDU, counting a power-up the applet's select
 * left pending (transient) in the same transaction.
 */
int card_sm_save(struct card_ctx *ctx, struct card_sm_state *s);
void card_sm_state_clear(struct card_sm_state *s);

/* Free purchase-log entries. */
uint32_t card_sm_free_log(const struct card_sm_state *s);
/*
 * Drop the rights whose expiry <= the card's clock (they can never open an
 * ECM again), so the rights table does not fill over the card's life.
 * Called on every ECM, command and export, before it is saved.
 */
void card_sm_expire(struct card_sm_state *s);
/* The M2 a block carries: the state without keys, the log in order. */
void card_sm_to_m2(const struct card_sm_state *s, struct proto_m2 *m);

/* The transient byte where select() leaves a power-up to count. */
#define CARD_SM_TRANSIENT_POWERUP 0

#endif
