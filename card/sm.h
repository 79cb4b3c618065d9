/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The security-module applet: UA, M2 (credit, purchase log, rights, usage
 * counters), the transfer lock, signed exports and center commands.  Its
 * APDUs are specified in card/APDU.md; its AID, INS codes, GET DATA
 * objects and status words are defined in proto/sm.h.
 */
#ifndef CARD_SM_H
#define CARD_SM_H

#include <stdint.h>

#include "../proto/sm.h"
#include "runtime.h"
#include "store.h"

extern const struct card_applet card_sm_applet;

#define SM_MAX_BOUGHT 32

/* What personalization writes into a new card. */
struct card_sm_perso {
	uint8_t ua[PROTO_UA_LEN];
	uint32_t credit;
	uint8_t versions[PROTO_VERSIONS_LEN];
	struct proto_card_keys keys;
	uint8_t center_pub[PROTO_EC_PUB_LEN];
	uint8_t ecm_key[PROTO_AES_KEY_LEN];
	uint8_t n_rights;
	struct proto_right rights[PROTO_M2_MAX_RIGHTS];
	uint8_t has_cert; /* 1: cert holds the card certificate */
	uint8_t cert[PROTO_CERT_LEN];
};

/*
 * Sign p's certificate (UA, public key, versions) with the operator's
 * issuer key into p->cert and set p->has_cert; p is written only on
 * success.
 */
int card_sm_certify(struct card_sm_perso *p,
    const uint8_t issuer_priv[PROTO_EC_PRIV_LEN],
    const uint8_t issuer_pub[PROTO_EC_PUB_LEN]);
/* Install the applet into store and personalize it; the lock is set. */
int
card_sm_personalize(struct card_store *store, const struct card_sm_perso *p);

/*
 * Decoded view of an SM card for tools (keys excluded).  m2 is the card's
 * data: wipe it with proto_m2_clear() when done.
 */
struct card_sm_view {
	uint8_t ua[PROTO_UA_LEN];
	uint32_t export_seq, card_time;
	uint8_t sign_pub[PROTO_EC_PUB_LEN];
	uint8_t has_cert;
	uint8_t cert[PROTO_CERT_LEN];
	uint8_t n_bought;
	uint32_t bought_event[SM_MAX_BOUGHT], bought_expiry[SM_MAX_BOUGHT];
	struct proto_m2 m2;
};
int card_sm_view(const struct card_store *store, struct card_sm_view *v);

#endif
