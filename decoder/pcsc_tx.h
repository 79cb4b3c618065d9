/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A PC/SC connection's commands sent from a thread of their own, and
 * waited for DEC_TRANSMIT_WAIT_MS at most (pcsc.c's transmit).  A card
 * that never answers (behind vpcd: an empty frame, which its driver takes
 * for the start of more) holds SCardTransmit, pcscd's reader, and the
 * connection's context in libpcsclite, until the card leaves: nothing
 * cancels a transmit, so the caller gives the connection up instead; the
 * thread frees it once SCardTransmit returns.  Only for short APDUs.
 */
#ifndef DECODER_PCSC_TX_H
#define DECODER_PCSC_TX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <winscard.h>

#include "../proto/apdu.h"
#include "card.h"

/* Longer than any command of the security module takes (an export signs
 * in milliseconds) and than a card's default waiting time (ISO 7816-3:
 * 9,600 etu, about 1 s at 9,600 baud). */
#define DEC_TRANSMIT_WAIT_MS 5000
#define DEC_TX_CMD_MAX (PROTO_APDU_HDR_LEN + 1 + PROTO_APDU_SHORT_MAX_LC + 1)
#define DEC_TX_RESP_MAX DEC_RAPDU_MAX

struct pcsc_tx;

/* A sender (its thread waiting for commands).  PROTO_ERR_NOMEM. */
int pcsc_tx_new(struct pcsc_tx **out);

/*
 * Send cmd (len bytes, at most DEC_TX_CMD_MAX) on h and wait ms at most:
 * 0 and SCardTransmit's *rv, the response in resp (*rlen: the room, then
 * its length); PROTO_ERR_ARG (too long), PROTO_ERR_STATE: no answer in
 * time -- the transmit goes on, and the caller gives the sender up with
 * pcsc_tx_abandon.  The response is wiped from the sender's buffer.
 */
int pcsc_tx_run(struct pcsc_tx *t, SCARDHANDLE h, const SCARD_IO_REQUEST *pci,
    const uint8_t *cmd, size_t len, uint8_t *resp, size_t *rlen, long ms,
    LONG *rv);

/* A sender whose last command was answered: its thread ended and it is
 * freed.  NULL is fine. */
void pcsc_tx_free(struct pcsc_tx *t);

/*
 * A sender whose command went unanswered: once SCardTransmit returns, its
 * thread calls release(arg) (which frees the connection) and frees it.
 * Until then pcsc_tx_pending() counts it.
 */
void pcsc_tx_abandon(struct pcsc_tx *t, void (*release)(void *), void *arg);

/* Commands given up on whose SCardTransmit has not returned yet. */
unsigned pcsc_tx_pending(void);

/* *t: ms from now on CLOCK_MONOTONIC (a timed wait's deadline on a
 * condition of that clock). */
void pcsc_deadline(struct timespec *t, long ms);

#endif
