/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The security-module applet's APDU handlers, one file per group, inside
 * card/ only.  sm.c's dispatch loads the state, calls one of them, and
 * wipes the state afterwards; a handler checks its APDU's P1, P2 and
 * lengths, changes the state and commits it with card_sm_save(), and
 * returns the status word (card/APDU.md).  A refusal changes nothing.
 */
#ifndef CARD_SM_APDU_H
#define CARD_SM_APDU_H

#include <stdint.h>

#include "runtime.h"
#include "sm_state.h"

/* sm_ecm.c: PROCESS ECM and BUY EVENT. */
uint16_t card_sm_process_ecm(struct card_ctx *ctx, struct card_sm_state *s);
uint16_t card_sm_buy_event(struct card_ctx *ctx, struct card_sm_state *s);

/* sm_cmd.c: PROCESS COMMAND, a center-signed command. */
uint16_t card_sm_process_command(struct card_ctx *ctx, struct card_sm_state *s);

#endif
