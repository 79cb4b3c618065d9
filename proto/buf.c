/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>

#include "buf.h"
#include "proto.h"

void
proto_rd_init(struct proto_rd *r, const void *p, size_t len)
{
	r->p = p;
	r->left = p != NULL ? len : 0;
}

size_t
proto_rd_left(const struct proto_rd *r)
{
	return r->left;
}

static int
rd_be(struct proto_rd *r, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (n > r->left)
		return PROTO_ERR_SHORT;
	for (size_t i = 0; i < n; i++)
		x = (x << 8) | r->p[i];
	r->p += n;
	r->left -= n;
	*v = x;
	return 0;
}

int
proto_rd_u8(struct proto_rd *r, uint8_t *v)
{
	uint64_t x;
	int rc;

	if ((rc = rd_be(r, 1, &x)) == 0)
		*v = (uint8_t)x;
	return rc;
}

int
proto_rd_u16(struct proto_rd *r, uint16_t *v)
{
	uint64_t x;
	int rc;

	if ((rc = rd_be(r, 2, &x)) == 0)
		*v = (uint16_t)x;
	return rc;
}

int
proto_rd_u24(struct proto_rd *r, uint32_t *v)
{
	uint64_t x;
	int rc;

	if ((rc = rd_be(r, 3, &x)) == 0)
		*v = (uint32_t)x;
	return rc;
}

int
proto_rd_u32(struct proto_rd *r, uint32_t *v)
{
	uint64_t x;
	int rc;

	if ((rc = rd_be(r, 4, &x)) == 0)
		*v = (uint32_t)x;
	return rc;
}

int
proto_rd_u64(struct proto_rd *r, uint64_t *v)
{
	return rd_be(r, 8, v);
}

int
proto_rd_ptr(struct proto_rd *r, size_t n, const uint8_t **p)
{
	if (n > r->left)
		return PROTO_ERR_SHORT;
	*p = r->p;
	r->p += n;
	r->left -= n;
	return 0;
}

int
proto_rd_bytes(struct proto_rd *r, void *dst, size_t n)
{
	const uint8_t *p;
	int rc;

	if ((rc = proto_rd_ptr(r, n, &p)) != 0)
		return rc;
	if (n > 0)
		memcpy(dst, p, n);
	return 0;
}

int
proto_rd_sub(struct proto_rd *r, size_t n, struct proto_rd *sub)
{
	const uint8_t *p;
	int rc;

	if ((rc = proto_rd_ptr(r, n, &p)) != 0)
		return rc;
	sub->p = p;
	sub->left = n;
	return 0;
}

int
proto_rd_skip(struct proto_rd *r, size_t n)
{
	const uint8_t *p;

	return proto_rd_ptr(r, n, &p);
}

void
proto_rd_rest(struct proto_rd *r, const uint8_t **p, size_t *n)
{
	*p = r->p;
	*n = r->left;
	r->p += r->left;
	r->left = 0;
}

int
proto_rd_end(const struct proto_rd *r)
{
	return r->left == 0 ? 0 : PROTO_ERR_TRAILING;
}

int
proto_rd_peek(const struct proto_rd *r, uint8_t *v)
{
	if (r->left == 0)
		return PROTO_ERR_SHORT;
	*v = r->p[0];
	return 0;
}

void
proto_wr_init(struct proto_wr *w, void *buf, size_t cap)
{
	w->p = buf;
	w->cap = buf != NULL ? cap : 0;
	w->len = 0;
}

size_t
proto_wr_len(const struct proto_wr *w)
{
	return w->len;
}

int
proto_wr_reserve(struct proto_wr *w, size_t n, uint8_t **p)
{
	if (n > w->cap - w->len)
		return PROTO_ERR_NOSPACE;
	*p = w->p + w->len;
	w->len += n;
	return 0;
}

void
proto_put_be(uint8_t *dst, uint64_t v, size_t n)
{
	for (size_t i = n; i > 0; i--) {
		dst[i - 1] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static int
wr_be(struct proto_wr *w, uint64_t v, size_t n)
{
	uint8_t *p;
	int rc;

	if ((rc = proto_wr_reserve(w, n, &p)) != 0)
		return rc;
	proto_put_be(p, v, n);
	return 0;
}

int
proto_wr_u8(struct proto_wr *w, uint8_t v)
{
	return wr_be(w, v, 1);
}

int
proto_wr_u16(struct proto_wr *w, uint16_t v)
{
	return wr_be(w, v, 2);
}

int
proto_wr_u24(struct proto_wr *w, uint32_t v)
{
	if (v > 0xffffffu)
		return PROTO_ERR_RANGE;
	return wr_be(w, v, 3);
}

int
proto_wr_u32(struct proto_wr *w, uint32_t v)
{
	return wr_be(w, v, 4);
}

int
proto_wr_u64(struct proto_wr *w, uint64_t v)
{
	return wr_be(w, v, 8);
}

int
proto_wr_bytes(struct proto_wr *w, const void *src, size_t n)
{
	uint8_t *p;
	int rc;

	if ((rc = proto_wr_reserve(w, n, &p)) != 0)
		return rc;
	if (n > 0)
		memcpy(p, src, n);
	return 0;
}

void
proto_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
proto_unhex(const char *hex, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return PROTO_ERR_LENGTH;
	/* All digits checked before the first byte is written: out is left
	 * as it was on error. */
	for (size_t i = 0; i < len; i++)
		if (hexval(hex[i]) < 0)
			return PROTO_ERR_FORMAT;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) /* checked above; for the analyzer */
			return PROTO_ERR_FORMAT;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
