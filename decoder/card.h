/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The decoder's PC/SC session with the security module in a reader.
 * Every card response is parsed as hostile input: exact lengths, bounded
 * GET RESPONSE chaining, status words checked.
 */
#ifndef DECODER_CARD_H
#define DECODER_CARD_H

#include <stddef.h>
#include <stdint.h>

#include <winscard.h>

#include "../proto/sm.h"

#define DEC_READER_MAX 256
#define DEC_RESP_MAX 8192 /* the most a card answer may chain to */

struct dec_card_state {
	uint8_t ua[PROTO_UA_LEN];
	uint8_t locked;
	uint32_t change_ctr, export_seq, credit;
	uint8_t free_log;
	uint32_t purchase_seq, acked_seq, cmd_ctr;
};

struct dec_card {
	SCARDHANDLE h;
	DWORD proto;
	char reader[DEC_READER_MAX];
	struct dec_card_state st;
	unsigned long apdus;
};

/* Outcome of an ECM. */
#define DEC_ECM_CW 1
#define DEC_ECM_DENIED 2
#define DEC_ECM_OFFER 3

struct dec_ecm_result {
	int outcome;
	uint32_t event, price;
	uint16_t channel;
};

/*
 * Connect to the card in reader and select the security module.
 * PROTO_ERR_NOTFOUND: the card is not ours (it answered the SELECT 6A82 or
 * otherwise refused it); the connection is then closed.
 */
int dec_card_open(SCARDCONTEXT ctx, const char *reader, struct dec_card *c);
void dec_card_close(struct dec_card *c);
/* Read GET DATA 01 00 into c->st. */
int dec_card_refresh(struct dec_card *c);
/*
 * EXPORT (ins SM_INS_EXPORT) or UPLINK BLOCKS (SM_INS_UPLINK): the block,
 * checked to be a well-formed block of this card.  *sw gets the card's
 * status word when it refused (PROTO_ERR_STATE).
 */
int dec_card_block(struct dec_card *c, uint8_t ins, uint8_t *block, size_t cap,
    size_t *len, uint16_t *sw);
int dec_card_ecm(struct dec_card *c, const uint8_t *ecm, size_t len,
    struct dec_ecm_result *r);
/* BUY EVENT; *sw holds the card's refusal when PROTO_ERR_STATE. */
int dec_card_buy(struct dec_card *c, const uint8_t *ecm, size_t len,
    uint32_t *seq, uint32_t *credit, uint16_t *sw);
int dec_card_command(struct dec_card *c, const uint8_t *cmd, size_t len,
    uint16_t *sw);
/* A PC/SC error means the card or pcscd went away. */
int dec_card_lost(long rv);

#endif
