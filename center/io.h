/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A connection's bytes under absolute deadlines: TLS on a non-blocking
 * socket, every wait a poll() for the time left until the deadline the
 * caller gives (CLOCK_MONOTONIC milliseconds, cgs_now_ms).  A peer that
 * sends one byte at a time gets no more time than one that sends none:
 * the deadline does not move when bytes arrive.
 */
#ifndef CENTER_IO_H
#define CENTER_IO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct cgs_io {
	SSL *ssl; /* on fd, which is non-blocking */
	int fd;
	int timed_out; /* set when a call gave up at its deadline */
	char why[96];  /* why the last call failed, in words ("" unknown) */
};

/* Milliseconds of CLOCK_MONOTONIC: the clock every deadline is on. */
long cgs_now_ms(void);

/* Each returns 0, or PROTO_ERR_IO (io->timed_out says if at the deadline). */
int cgs_io_accept(struct cgs_io *io, long until);
int cgs_io_read(struct cgs_io *io, void *buf, size_t n, long until);
int cgs_io_write(struct cgs_io *io, const void *buf, size_t n, long until);
/*
 * One uplink frame, header and body, complete by until: its type and body
 * (at most cap bytes, else PROTO_ERR_TOOBIG).
 */
int cgs_io_read_frame(struct cgs_io *io, uint8_t *type, uint8_t *body,
    size_t cap, size_t *len, long until);

/*
 * Close gently by until: close_notify, half-close, and drain what the
 * peer still sends, so that our last frame is not destroyed by a reset.
 * The caller still frees the SSL and closes fd.
 */
void cgs_io_linger(struct cgs_io *io, long until);

#endif
