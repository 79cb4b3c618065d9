/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ECMs: the broadcast's entitlement control messages, carrying the control
 * words encrypted under the operator key (card/APDU.md, "ECM").
 *
 *   version (1), channel (2), event (4), time (4), event end (4),
 *   flags (1), price (4): the GCM additional data
 *   IV (12), encrypted control words (32), tag (16)
 */
#ifndef PROTO_ECM_H
#define PROTO_ECM_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

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
/*
 * Authenticate and open an ECM; cw may be NULL.  *e and cw are written only
 * on success; cw is a secret the caller wipes.
 */
int proto_ecm_open(const uint8_t *buf, size_t len,
    const uint8_t key[PROTO_AES_KEY_LEN], struct proto_ecm *e,
    uint8_t cw[PROTO_CW_LEN]);

#endif
