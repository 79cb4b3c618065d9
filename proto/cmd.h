/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Center commands: signed by the center, addressed to one card by UA,
 * sent on one of two paths (an uplink session, or the broadcast as an
 * EMM), bound to a counter that must strictly increase on its path
 * (card/APDU.md, "Center command").
 *
 *   version (1) = 2, type (1), UA (8), path (1), counter (4),
 *   parameter length (1), parameters (0 to PROTO_CMD_PARAMS_MAX)
 *   signature  ECDSA P-256 over everything before it (64)
 */
#ifndef PROTO_CMD_H
#define PROTO_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"
#include "ua.h"

#define PROTO_CMD_VERSION 2
#define PROTO_CMD_UNLOCK 0x01  /* lift the transfer lock */
#define PROTO_CMD_ACK 0x02     /* arg1: purchases acknowledged up to seq */
#define PROTO_CMD_RELOAD 0x03  /* arg1: credit to add */
#define PROTO_CMD_GRANT 0x04   /* arg1: channel, arg2: expiry */
#define PROTO_CMD_REVOKE 0x05  /* arg1: channel */
#define PROTO_CMD_EXPORT 0x06  /* export now: set the card's export flag */
#define PROTO_CMD_DISABLE 0x07 /* disable the card for good */

/* The paths a command reaches a card by; each has its own counter. */
#define PROTO_CMD_PATH_UPLINK 0x00    /* in an uplink session */
#define PROTO_CMD_PATH_BROADCAST 0x01 /* in the broadcast, as an EMM */

/* The longest parameters: GRANT's channel (2) and expiry (4). */
#define PROTO_CMD_PARAMS_MAX 6
#define PROTO_CMD_MAX_LEN                                          \
	(1 + 1 + PROTO_UA_LEN + 1 + 4 + 1 + PROTO_CMD_PARAMS_MAX + \
	    PROTO_EC_SIG_LEN)

struct proto_cmd {
	uint8_t type;
	uint8_t ua[PROTO_UA_LEN];
	uint8_t path; /* PROTO_CMD_PATH_* */
	uint32_t counter;
	uint32_t arg1, arg2;
};

int
proto_cmd_sign(const struct proto_cmd *c, const uint8_t priv[PROTO_EC_PRIV_LEN],
    const uint8_t pub[PROTO_EC_PUB_LEN], struct proto_wr *w);
/*
 * Parse a command (layout only) and say where its signed part and
 * signature are (borrowed from buf); the caller verifies.  A type this
 * library does not know parses too, with any parameter length up to
 * PROTO_CMD_PARAMS_MAX (arg1 and arg2 stay 0), so that a card can consume
 * an authentic command it cannot carry out (proto_cmd_known() tells).
 */
int proto_cmd_parse(const uint8_t *buf, size_t len, struct proto_cmd *c,
    const uint8_t **signed_part, size_t *signed_len, const uint8_t **sig);
/* Parse and verify against the center's public key. */
int proto_cmd_verify(const uint8_t *buf, size_t len,
    const uint8_t pub[PROTO_EC_PUB_LEN], struct proto_cmd *c);
/* A static name of a command type ("unknown" for others); never NULL. */
const char *proto_cmd_name(uint8_t type);
/* 1 if this library knows the command type (it can sign it), else 0. */
int proto_cmd_known(uint8_t type);

#endif
