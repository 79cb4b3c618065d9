/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The decoder's APDUs to the security module in a reader.  Every card
 * answer is parsed as hostile input: exact lengths, bounded GET RESPONSE
 * chaining, status words checked.  Outputs are written only on success;
 * response buffers that may hold control words are wiped on every path.
 *
 * The card is reached through a transport, struct dec_card_io, as
 * libfido2 reaches its devices through fido_dev_io_t: the PC/SC one
 * (dec_card_io_pcsc, pcsc.c) in the daemon, one that plays the card's side
 * in a unit test or a fuzzer.  The code above the transport is the same.
 */
#ifndef DECODER_CARD_H
#define DECODER_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/cert.h"
#include "../proto/sm.h"

#define DEC_READER_MAX 256
#define DEC_ATR_MAX 33            /* ISO 7816-3 */
#define DEC_CHAIN_MAX 64          /* GET RESPONSE rounds after one command */
#define DEC_RAPDU_MAX 258         /* one short response: 256 data bytes + SW */
#define DEC_CHUNK_DELAY_MAX 60000 /* ms, the test hook's upper bound */

/*
 * A card transport.  Every function returns 0; PROTO_ERR_IO when the card
 * or the reader service went away, or the connection was reset under us
 * (reconnect to tell which); PROTO_ERR_STATE when another program holds
 * the card (a transaction or an exclusive connection of its own); or
 * another negative proto_err when the operation failed but the card is
 * still there.  No function waits for another program.  Handles are
 * opaque to the caller and live from a successful open/connect to the
 * matching close/disconnect.
 */
struct dec_card_io {
	/* The service the readers hang off (a PC/SC context). */
	int (*open)(void **svc);
	void (*close)(void *svc);
	/*
	 * Connect to the card in reader.  atr gets its ATR: *atr_len is the
	 * room on entry, the ATR's length on return.
	 */
	int (*connect)(void *svc, const char *reader, void **h, uint8_t *atr,
	    size_t *atr_len);
	void (*disconnect)(void *h);
	/*
	 * Send one command APDU; the response (data and SW) into resp: *rlen
	 * is its room on entry, the response's length on return.
	 */
	int (*transmit)(void *h, const uint8_t *cmd, size_t len, uint8_t *resp,
	    size_t *rlen);
	/*
	 * Take the card for a series of commands (a PC/SC transaction) and
	 * release it; begin fails at once, PROTO_ERR_STATE, when another
	 * program holds it.
	 */
	int (*begin)(void *h);
	void (*end)(void *h);
	/*
	 * After a reset or a removal: connect h again to whatever card is in
	 * the reader now, its ATR as in connect.  PROTO_ERR_IO: no card.
	 */
	int (*reconnect)(void *h, uint8_t *atr, size_t *atr_len);
	/* What begin would say now, without taking the card. */
	int (*probe)(void *h);
};

/* The default transport: libpcsclite (pcsc.c). */
extern const struct dec_card_io dec_card_io_pcsc;
/*
 * Call once, before any thread of the process talks to pcscd: libpcsclite
 * then answers "sharing violation" at once instead of waiting for another
 * program's transaction to end (PCSCLITE_NO_BLOCKING).
 */
void dec_card_pcsc_init(void);

struct dec_card_state {
	uint8_t ua[PROTO_UA_LEN];
	uint8_t locked;
	uint32_t change_ctr, export_seq, credit;
	uint8_t free_log;
	uint32_t purchase_seq, acked_seq, cmd_ctr;
	uint8_t flags; /* PROTO_M2_FLAG_* */
	uint32_t bcast_ctr;
};

/*
 * A session with a card.  io is borrowed and must outlive the card; h is
 * the transport's connection, NULL once closed.  st is what the card said
 * at the last successful GET DATA; it stays readable after close (for
 * the log lines about a card just removed).
 */
struct dec_card {
	const struct dec_card_io *io;
	void *h;
	char reader[DEC_READER_MAX];
	uint8_t atr[DEC_ATR_MAX];
	size_t atr_len;
	struct dec_card_state st;
	unsigned long apdus;
	unsigned chunk_delay_ms; /* test hook PTV_TEST_CHUNK_DELAY_MS */
};

/* Outcome of an ECM. */
#define DEC_ECM_CW 1
#define DEC_ECM_DENIED 2
#define DEC_ECM_OFFER 3

/* What the card said of an ECM; the control words themselves never leave
 * card.c (the decoder has no descrambler), they are wiped there. */
struct dec_ecm_result {
	int outcome;
	uint32_t event, price;
	uint16_t channel;
};

/*
 * Connect to the card in reader through io (svc from io->open), select the
 * security module and read its state.  *c is written only on success.
 * PROTO_ERR_NOTFOUND: the card is not ours (it answered the SELECT 6A82 or
 * otherwise refused it); the connection is then closed, as on any error.
 */
int dec_card_open(const struct dec_card_io *io, void *svc, const char *reader,
    struct dec_card *c);
/* Disconnect; c->st stays.  Safe on a closed card. */
void dec_card_close(struct dec_card *c);
/*
 * dec_card_open in steps, for a session that runs each operation in a
 * transaction: connect (no APDU; *c written only on success), then
 * between begin and end, select.  PROTO_ERR_NOTFOUND from select: the
 * card refused our applet (not ours).
 */
int dec_card_connect(const struct dec_card_io *io, void *svc,
    const char *reader, struct dec_card *c);
int dec_card_select(struct dec_card *c);
/* The transport's begin, end, reconnect and probe on c's connection. */
int dec_card_begin(struct dec_card *c);
void dec_card_end(struct dec_card *c);
int dec_card_reconnect(struct dec_card *c);
int dec_card_probe(const struct dec_card *c);
/* GET DATA 01 00 into c->st (only on success). */
int dec_card_refresh(struct dec_card *c);
/*
 * EXPORT (ins SM_INS_EXPORT, challenge NULL) or UPLINK BLOCKS
 * (SM_INS_UPLINK, challenge: the session's PROTO_CHALLENGE_LEN bytes): the
 * block, checked to be a well-formed block of this card, into block (cap bytes)
 * and *len, only on success.  When the card refused (PROTO_ERR_STATE), *sw
 * holds its status word; *sw is written whenever the card gave a final
 * status word.
 */
int dec_card_block(struct dec_card *c, uint8_t ins, const uint8_t *challenge,
    uint8_t *block, size_t cap, size_t *len, uint16_t *sw);
/*
 * GET DATA 01 09, the card certificate: its PROTO_CERT_LEN bytes into
 * cert, only on success (layout not checked here: proto_cert_verify).
 * PROTO_ERR_NOTFOUND: the card says it has none (6A88); PROTO_ERR_STATE:
 * another refusal; PROTO_ERR_FORMAT: an answer of another length.
 */
int dec_card_cert(struct dec_card *c, uint8_t cert[PROTO_CERT_LEN]);
/* PROCESS ECM: *r only on success; the card's CW is wiped here. */
int dec_card_ecm(struct dec_card *c, const uint8_t *ecm, size_t len,
    struct dec_ecm_result *r);
/* BUY EVENT; *seq and *credit only on success, *sw as dec_card_block. */
int dec_card_buy(struct dec_card *c, const uint8_t *ecm, size_t len,
    uint32_t *seq, uint32_t *credit, uint16_t *sw);
/* PROCESS COMMAND (a center-signed command); *sw as dec_card_block. */
int dec_card_command(struct dec_card *c, const uint8_t *cmd, size_t len,
    uint16_t *sw);

#endif
