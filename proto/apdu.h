/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ISO/IEC 7816-4 command and response APDUs.
 *
 * A command APDU is one of seven cases: 1, 2S, 3S, 4S, 2E, 3E, 4E.  Ne is
 * the number of response bytes the host expects at most: Le 00 means 256
 * in the short form, Le 0000 means 65536 in the extended form, and an
 * absent Le means 0.
 */
#ifndef PROTO_APDU_H
#define PROTO_APDU_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define PROTO_APDU_HDR_LEN 4
#define PROTO_APDU_SHORT_MAX_LC 255
#define PROTO_APDU_SHORT_MAX_NE 256
#define PROTO_APDU_EXT_MAX_LC 65535
#define PROTO_APDU_EXT_MAX_NE 65536
/* Header, extended Lc (3), data, extended Le (2). */
#define PROTO_APDU_MAX_CMD_LEN (4 + 3 + PROTO_APDU_EXT_MAX_LC + 2)

enum proto_apdu_case {
	PROTO_APDU_CASE_1 = 1,
	PROTO_APDU_CASE_2S,
	PROTO_APDU_CASE_3S,
	PROTO_APDU_CASE_4S,
	PROTO_APDU_CASE_2E,
	PROTO_APDU_CASE_3E,
	PROTO_APDU_CASE_4E,
};

struct proto_apdu {
	uint8_t cla, ins, p1, p2;
	enum proto_apdu_case kase;
	const uint8_t *data; /* borrowed from the parsed buffer; NULL if lc 0 */
	size_t lc;
	size_t ne; /* 0 when Le is absent */
};

struct proto_rapdu {
	const uint8_t *data; /* borrowed */
	size_t len;
	uint16_t sw;
};

/* Parse a command APDU; every form outside the seven cases is an error. */
int proto_apdu_parse(const uint8_t *buf, size_t len, struct proto_apdu *a);
/*
 * Encode a command APDU in the shortest form able to carry lc and ne
 * (the case field of a is ignored).  ne == 0 means no Le.
 */
int proto_apdu_encode(const struct proto_apdu *a, struct proto_wr *w);
/* Split a response APDU into data and status word. */
int proto_rapdu_parse(const uint8_t *buf, size_t len, struct proto_rapdu *r);
/* Whether the parsed command used the extended form. */
int proto_apdu_is_extended(const struct proto_apdu *a);

/* Interindustry class and instructions (ISO 7816-4) used across the project. */
#define PROTO_CLA_ISO 0x00
#define PROTO_CLA_PROPRIETARY 0x80 /* b8 set: not interindustry */
#define PROTO_INS_GET_CHALLENGE 0x84
#define PROTO_INS_GET_DATA 0xca
#define PROTO_INS_SELECT 0xa4
#define PROTO_INS_GET_RESPONSE 0xc0
#define PROTO_SELECT_BY_AID 0x04 /* P1 of SELECT */
#define PROTO_SELECT_FIRST 0x00  /* P2: first or only occurrence, FCI */

/* Status words used across the project. */

#define PROTO_SW_OK 0x9000
#define PROTO_SW_BYTES_REMAINING 0x6100 /* 61xx */
#define PROTO_SW_WARN_NVM_UNCHANGED 0x6200
#define PROTO_SW_WRONG_LENGTH 0x6700
#define PROTO_SW_CHANNEL_NOT_SUPPORTED 0x6881
#define PROTO_SW_SECURITY 0x6982
#define PROTO_SW_CONDITIONS 0x6985
#define PROTO_SW_COMMAND_NOT_ALLOWED 0x6986
#define PROTO_SW_WRONG_DATA 0x6a80
#define PROTO_SW_FUNC_NOT_SUPPORTED 0x6a81
#define PROTO_SW_FILE_NOT_FOUND 0x6a82
#define PROTO_SW_RECORD_NOT_FOUND 0x6a83
#define PROTO_SW_NOT_ENOUGH_MEMORY 0x6a84
#define PROTO_SW_INCORRECT_P1P2 0x6a86
#define PROTO_SW_REF_NOT_FOUND 0x6a88
#define PROTO_SW_INS_NOT_SUPPORTED 0x6d00
#define PROTO_SW_CLA_NOT_SUPPORTED 0x6e00
#define PROTO_SW_UNKNOWN 0x6f00

/* A static English description of a status word; never NULL. */
const char *proto_sw_str(uint16_t sw);

#endif
