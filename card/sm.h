/*
 * The security-module applet: UA, M2 (credit, purchase log, rights, usage
 * counters), the transfer lock, signed exports and center commands.  Its
 * APDUs are specified in card/APDU.md.
 */
#ifndef CARD_SM_H
#define CARD_SM_H

#include <stdint.h>

#include "../proto/sm.h"
#include "runtime.h"
#include "store.h"

extern const struct card_applet card_sm_applet;

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
};

/* Install the applet into store and personalize it; the lock is set. */
int card_sm_personalize(struct card_store *store,
    const struct card_sm_perso *p);

/* Decoded view of an SM card for tools (keys excluded). */
struct card_sm_view {
	uint8_t ua[PROTO_UA_LEN];
	uint32_t export_seq, card_time;
	uint8_t sign_pub[PROTO_EC_PUB_LEN];
	uint8_t n_bought;
	uint32_t bought_event[SM_MAX_BOUGHT], bought_expiry[SM_MAX_BOUGHT];
	struct proto_m2 m2;
};
int card_sm_view(const struct card_store *store, struct card_sm_view *v);

#endif
