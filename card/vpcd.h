/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtual card's side of the vsmartcard vpcd protocol.
 *
 * vpcd (the pcscd reader driver) listens on TCP port 35963 + slot; the card
 * connects to it.  Every message either way is a 2-byte big-endian length
 * and that many bytes.  A 1-byte message from the reader is a control
 * message (power off, power on, reset, ATR request); anything longer is a
 * command APDU, answered by one response APDU.  Closing the connection is
 * removing the card.
 */
#ifndef CARD_VPCD_H
#define CARD_VPCD_H

#include <stddef.h>
#include <stdint.h>

#define CARD_VPCD_PORT 35963
#define CARD_VPCD_FRAME_MAX 65535
#define CARD_VPCD_CTRL_OFF 0x00
#define CARD_VPCD_CTRL_ON 0x01
#define CARD_VPCD_CTRL_RESET 0x02
#define CARD_VPCD_CTRL_ATR 0x04

struct card_vpcd_rx {
	uint8_t buf[2 + CARD_VPCD_FRAME_MAX];
	size_t have;
	size_t consumed; /* bytes of the last frame handed out */
};

/*
 * Connect to vpcd at host:port within timeout_ms; *fd is a blocking TCP
 * socket with Nagle off.
 */
int card_vpcd_connect(const char *host, uint16_t port, int timeout_ms, int *fd);
/*
 * Read what fd has and return 1 with the next whole frame in
 * frame and len (borrowed until the next call), 0 if a frame is still
 * incomplete, PROTO_ERR_IO on error or end of stream.  Call with fd == -1
 * to take a further frame already buffered without reading.
 */
int card_vpcd_recv(int fd, struct card_vpcd_rx *rx, const uint8_t **frame,
    size_t *len);
/* Send one frame (length prefix and data in one write). */
int card_vpcd_send(int fd, const uint8_t *data, size_t len);

/*
 * The framing without a socket, for tests and fuzzing: card_vpcd_feed
 * appends up to n bytes and returns how many it took (fewer when the
 * buffer is full, which happens only with a whole frame at its front);
 * card_vpcd_take returns 1 with the next whole frame buffered (borrowed
 * until the next call on rx), 0 if none is complete.
 */
size_t card_vpcd_feed(struct card_vpcd_rx *rx, const uint8_t *p, size_t n);
int card_vpcd_take(struct card_vpcd_rx *rx, const uint8_t **frame, size_t *len);

/*
 * The card's answer to one frame from vpcd, into out (cap bytes): to an
 * ATR request the ATR; to power off, on or reset nothing (*outlen 0), and
 * the card is reset; to anything longer than one byte the response APDU.
 * PROTO_ERR_FORMAT: an unknown control byte (no answer, nothing changed).
 */
struct card_rt;
int card_vpcd_answer(struct card_rt *rt, const uint8_t *frame, size_t len,
    uint8_t *out, size_t cap, size_t *outlen);

#endif
