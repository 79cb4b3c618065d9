/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The uplink session between a decoder and the management center, over
 * TLS 1.3.  Every message is a frame: type (1), body length (4), body.
 *
 * decoder -> center
 *   HELLO      version (1) = 2, decoder id (8), card present (1), UA (8)
 *   BLOCK      an uplink block (kind 02) made by the present card (UPLINK
 *              BLOCKS) with this session's challenge
 *   RECOVERED  (type 0x81) decoder id (8), stored at (8, Unix seconds),
 *              an export block (kind 01) from M1
 *   END        empty: no more blocks
 * center -> decoder
 *   CHALLENGE  nonce (16), fresh per session, right after HELLO
 *   RESULT     index (2), status (1), reason (1), UA (8), seq (4)
 *   COMMAND    a signed center command for the present card
 *   ACK        UA (8), seq (4): the center holds this M1 block durably
 *   DONE       purchases invoiced (4), anomalies flagged (4)
 *   ERROR      reason (1), text
 * Order: HELLO, CHALLENGE, BLOCK* RECOVERED* END, then RESULT* COMMAND*
 * ACK* DONE (or ERROR).  The center answers only after everything the
 * session recorded has committed.
 */
#ifndef PROTO_UPLINK_H
#define PROTO_UPLINK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "sm.h"

#define PROTO_UPLINK_VERSION 2
#define PROTO_UPLINK_HDR_LEN 5
#define PROTO_UPLINK_MAX_BODY (PROTO_BLOCK_MAX + 64)
#define PROTO_UPLINK_MAX_BLOCKS 32 /* blocks in one session */
#define PROTO_DECODER_ID_LEN 8

#define PROTO_UP_HELLO 0x01
#define PROTO_UP_BLOCK 0x02
#define PROTO_UP_END 0x04
#define PROTO_UP_RECOVERED 0x81
#define PROTO_UP_RESULT 0x11
#define PROTO_UP_COMMAND 0x12
#define PROTO_UP_ACK 0x13
#define PROTO_UP_DONE 0x14
#define PROTO_UP_CHALLENGE 0x15
#define PROTO_UP_ERROR 0x1f

/* RESULT status */
#define PROTO_UP_ACCEPTED 0
#define PROTO_UP_DUPLICATE 1
#define PROTO_UP_REJECTED 2

/* RESULT and ERROR reasons */
#define PROTO_UP_OK 0
#define PROTO_UP_UNKNOWN_UA 1
#define PROTO_UP_BAD_SIGNATURE 2
#define PROTO_UP_UNDECRYPTABLE 3
#define PROTO_UP_MALFORMED 4
#define PROTO_UP_WRONG_CARD 5
#define PROTO_UP_PROTOCOL 6
#define PROTO_UP_BUSY 7
#define PROTO_UP_INTERNAL 8
#define PROTO_UP_WRONG_KIND \
	9                      /* BLOCK not kind 02 with the challenge, or
				 RECOVERED not kind 01 */
#define PROTO_UP_STALE 0x0a    /* older than the center holds from the card */
#define PROTO_UP_REVOKED 0x0b  /* the card is revoked */
#define PROTO_UP_FULL 0x0c     /* ERROR: the center is full, try later */
#define PROTO_UP_DEADLINE 0x0d /* ERROR: the session's deadline passed */

struct proto_up_hello {
	uint8_t decoder_id[PROTO_DECODER_ID_LEN];
	uint8_t has_card;
	uint8_t ua[PROTO_UA_LEN];
};

struct proto_up_result {
	uint16_t index;
	uint8_t status, reason;
	uint8_t ua[PROTO_UA_LEN];
	uint32_t seq;
};

#define PROTO_UP_MAX_COMMANDS 16

/*
 * The center's answer to a session, as the center builds it and the
 * decoder reads it back: a RESULT per block, the COMMANDs for the present
 * card in order, the ACKs of M1 blocks, and DONE's counts.
 */
struct proto_up_answer {
	size_t n_res;
	struct proto_up_result res[PROTO_UPLINK_MAX_BLOCKS];
	size_t n_cmds;
	uint8_t cmds[PROTO_UP_MAX_COMMANDS][PROTO_CMD_MAX_LEN];
	size_t cmd_len[PROTO_UP_MAX_COMMANDS];
	size_t n_acks;
	uint8_t ack_ua[PROTO_UPLINK_MAX_BLOCKS][PROTO_UA_LEN];
	uint32_t ack_seq[PROTO_UPLINK_MAX_BLOCKS];
	uint32_t invoiced, flagged;
	uint8_t error; /* an ERROR frame's reason */
};

struct proto_up_recovered {
	uint8_t decoder_id[PROTO_DECODER_ID_LEN];
	uint64_t stored_at;
	const uint8_t *block; /* borrowed */
	size_t len;
};

/* Frame header: writes type and length. */
int proto_up_frame(struct proto_wr *w, uint8_t type, size_t len);
/* Split a header into type and body length (checked against the limit). */
int proto_up_header(const uint8_t hdr[PROTO_UPLINK_HDR_LEN], uint8_t *type,
    size_t *len);

int proto_up_hello_encode(const struct proto_up_hello *h, struct proto_wr *w);
int proto_up_hello_decode(const uint8_t *b, size_t n, struct proto_up_hello *h);
/* CHALLENGE: the whole frame; decode takes its body, nonce only on success. */
int proto_up_challenge_encode(const uint8_t nonce[PROTO_CHALLENGE_LEN],
    struct proto_wr *w);
int proto_up_challenge_decode(const uint8_t *b, size_t n,
    uint8_t nonce[PROTO_CHALLENGE_LEN]);
int proto_up_recovered_encode(const struct proto_up_recovered *r,
    struct proto_wr *w);
int proto_up_recovered_decode(const uint8_t *b, size_t n,
    struct proto_up_recovered *r);
int proto_up_result_encode(const struct proto_up_result *r, struct proto_wr *w);
int
proto_up_result_decode(const uint8_t *b, size_t n, struct proto_up_result *r);
int proto_up_ack_encode(const uint8_t ua[PROTO_UA_LEN], uint32_t seq,
    struct proto_wr *w);
int proto_up_ack_decode(const uint8_t *b, size_t n, uint8_t ua[PROTO_UA_LEN],
    uint32_t *seq);
/*
 * Take one frame of the center's answer into a.  *done is set by DONE;
 * an ERROR frame sets a->error and returns PROTO_ERR_STATE.  Any other
 * failure leaves a and *done as they were.
 */
int proto_up_answer_take(struct proto_up_answer *a, uint8_t type,
    const uint8_t *body, size_t n, int *done);
/* A static name of a reason ("unknown reason" for others); never NULL. */
const char *proto_up_reason(uint8_t reason);
/*
 * 1 if a RESULT with this reason is final for its block (resending it can
 * never succeed: unknown card, bad signature, cannot decrypt, malformed,
 * wrong kind, revoked), else 0.
 */
int proto_up_reason_final(uint8_t reason);

#endif
