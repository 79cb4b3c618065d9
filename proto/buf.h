/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bounded byte reader and writer.
 *
 * A reader is a cursor over borrowed bytes: it never owns them and lives no
 * longer than they do.  Every read either consumes exactly the requested
 * bytes and returns 0, or returns PROTO_ERR_SHORT and leaves the cursor where
 * it was.  Integers are big-endian and assembled byte by byte.
 *
 * A writer appends into a caller-owned buffer of fixed capacity; a write
 * that does not fit returns PROTO_ERR_NOSPACE and writes nothing.
 */
#ifndef PROTO_BUF_H
#define PROTO_BUF_H

#include <stddef.h>
#include <stdint.h>

struct proto_rd {
	const uint8_t *p;
	size_t left;
};

struct proto_wr {
	uint8_t *p;
	size_t cap;
	size_t len;
};

void proto_rd_init(struct proto_rd *r, const void *p, size_t len);
size_t proto_rd_left(const struct proto_rd *r);
int proto_rd_u8(struct proto_rd *r, uint8_t *v);
int proto_rd_u16(struct proto_rd *r, uint16_t *v);
int proto_rd_u24(struct proto_rd *r, uint32_t *v);
int proto_rd_u32(struct proto_rd *r, uint32_t *v);
int proto_rd_u64(struct proto_rd *r, uint64_t *v);
/* Copy n bytes into dst. */
int proto_rd_bytes(struct proto_rd *r, void *dst, size_t n);
/* Borrow n bytes: *p points into the reader's buffer. */
int proto_rd_ptr(struct proto_rd *r, size_t n, const uint8_t **p);
/* Split off the next n bytes as a reader of their own. */
int proto_rd_sub(struct proto_rd *r, size_t n, struct proto_rd *sub);
int proto_rd_skip(struct proto_rd *r, size_t n);
/* Borrow everything that is left. */
void proto_rd_rest(struct proto_rd *r, const uint8_t **p, size_t *n);
/* 0 when nothing is left, PROTO_ERR_TRAILING otherwise. */
int proto_rd_end(const struct proto_rd *r);
/* Look at the next byte without consuming it. */
int proto_rd_peek(const struct proto_rd *r, uint8_t *v);

void proto_wr_init(struct proto_wr *w, void *buf, size_t cap);
size_t proto_wr_len(const struct proto_wr *w);
int proto_wr_u8(struct proto_wr *w, uint8_t v);
int proto_wr_u16(struct proto_wr *w, uint16_t v);
int proto_wr_u24(struct proto_wr *w, uint32_t v);
int proto_wr_u32(struct proto_wr *w, uint32_t v);
int proto_wr_u64(struct proto_wr *w, uint64_t v);
int proto_wr_bytes(struct proto_wr *w, const void *src, size_t n);
/* Reserve n bytes to fill later; *p is valid until the buffer goes away. */
int proto_wr_reserve(struct proto_wr *w, size_t n, uint8_t **p);

/* Write n bytes as lowercase hex into out, NUL-terminated (2n + 1). */
void proto_hex(const uint8_t *in, size_t n, char *out);
/* Decode exactly 2n hex digits (either case) from hex into out. */
int proto_unhex(const char *hex, size_t len, uint8_t *out, size_t n);

/* Encode v big-endian into dst[0..n); n <= 8. */
void proto_put_be(uint8_t *dst, uint64_t v, size_t n);

#endif
