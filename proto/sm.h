/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The security module as the other parts see it: its applet's AID, its
 * APDUs (INS codes, GET DATA objects, status words), defined here once for
 * the card, the decoder and the tools; and, through the headers included
 * below, its wire formats: M2 (m2.h), blocks (block.h), ECMs (ecm.h),
 * center commands (cmd.h) and the card certificate (cert.h).  Everything
 * is specified in card/APDU.md.
 */
#ifndef PROTO_SM_H
#define PROTO_SM_H

#include "apdu.h"
#include "block.h"
#include "cert.h"
#include "cmd.h"
#include "ecm.h"
#include "m2.h"
#include "ua.h"

/* The security-module applet's AID, F0 "PTVSM" 01 (a proprietary RID). */
#define SM_AID_LEN 7
#define SM_AID_INIT                                 \
	{                                           \
		0xf0, 'P', 'T', 'V', 'S', 'M', 0x01 \
	}

/* Application status words (see card/APDU.md). */
#define SM_SW_NOT_ENTITLED 0x9101
#define SM_SW_PURCHASE_POSSIBLE 0x9102
#define SM_SW_DISABLED 0x9103 /* ECM or BUY EVENT on a disabled card */
#define SM_SW_NO_CREDIT 0x9201
#define SM_SW_ALREADY_BOUGHT 0x9202
#define SM_SW_LOG_FULL 0x9203
#define SM_SW_NOT_PURCHASABLE 0x9204
#define SM_SW_LOCKED 0x9205 /* BUY EVENT on a transfer-locked card */
#define SM_SW_REPLAYED 0x9301
#define SM_SW_OTHER_UA 0x9302
/* PROCESS COMMAND: consumed but not carried out; data: the reason SW (2). */
#define SM_SW_CMD_REFUSED 0x9303

/* The proprietary class; GET DATA is also accepted under CLA 00. */
#define SM_CLA PROTO_CLA_PROPRIETARY
#define SM_INS_GET_DATA PROTO_INS_GET_DATA
#define SM_INS_PROCESS_ECM 0x30
#define SM_INS_BUY_EVENT 0x32
#define SM_INS_EXPORT 0x40
#define SM_INS_UPLINK 0x42
#define SM_INS_COMMAND 0x50

/* GET DATA objects: P1 SM_DO_P1, P2 one of these. */
#define SM_DO_P1 0x01
#define SM_DO_STATE 0x00
#define SM_DO_UA 0x01
#define SM_DO_VERSIONS 0x02
#define SM_DO_LOCK 0x03
#define SM_DO_CHANGE_CTR 0x04
#define SM_DO_EXPORT_SEQ 0x05
#define SM_DO_FREE_LOG 0x06
#define SM_DO_PUBKEY 0x07
#define SM_DO_CREDIT 0x08
#define SM_DO_CERT 0x09     /* the card certificate (cert.h) */
#define SM_DO_OUTCOMES 0x0a /* the outcome ring, as in M2 */
/*
 * The state object: UA (8), lock (1), change counter (4), export
 * sequence (4), credit (4), free log entries (1), purchase sequence (4),
 * acknowledged sequence (4), command counter of the uplink path (4),
 * flags (1, PROTO_M2_FLAG_*), command counter of the broadcast path (4).
 * card/sm.c ties it to the fields it writes.
 */
#define SM_STATE_LEN (PROTO_UA_LEN + 1 + 4 + 4 + 4 + 1 + 4 + 4 + 4 + 1 + 4)
/* UPLINK BLOCKS' data: the session's challenge. */
#define SM_UPLINK_LC PROTO_CHALLENGE_LEN

#endif
