/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * BER-TLV as ISO 7816-4 uses it: tags of one or two bytes, definite lengths
 * of up to three length bytes (81 xx, 82 xx xx, 83 xx xx xx).  Indefinite
 * lengths, longer tags and longer length forms are rejected.
 */
#ifndef PROTO_TLV_H
#define PROTO_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* How deep constructed values may nest before a walk gives up. */
#define PROTO_TLV_MAX_DEPTH 8
/* The largest value a three-byte length can announce. */
#define PROTO_TLV_MAX_LEN 0xffffffu

struct proto_tlv {
	uint16_t tag;          /* one byte (0x00xx) or two bytes (0xXXYY) */
	int constructed;       /* bit 6 of the first tag byte */
	struct proto_rd value; /* borrows from the reader it was read from */
};

/* Read one TLV; on error the reader has not moved. */
int proto_tlv_read(struct proto_rd *r, struct proto_tlv *t);
/*
 * Check that r holds a sequence of well-formed TLVs, descending into
 * constructed ones, at most PROTO_TLV_MAX_DEPTH levels (depth counts from 1).
 */
int proto_tlv_check(const struct proto_rd *r);
/* Find the first TLV with this tag at the top level of r (r unchanged). */
int
proto_tlv_find(const struct proto_rd *r, uint16_t tag, struct proto_rd *value);

/* Write a tag and a length; the caller then writes len value bytes. */
int proto_tlv_write_hdr(struct proto_wr *w, uint16_t tag, size_t len);
/* Write a whole primitive TLV. */
int
proto_tlv_write(struct proto_wr *w, uint16_t tag, const void *v, size_t len);

#endif
