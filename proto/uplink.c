/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>

#include "proto.h"
#include "uplink.h"

/* Bodies of fixed length. */
#define HELLO_LEN (1 + PROTO_DECODER_ID_LEN + 1 + PROTO_UA_LEN)
#define RESULT_LEN (2 + 1 + 1 + PROTO_UA_LEN + 4)
#define ACK_LEN (PROTO_UA_LEN + 4)
#define RECOVERED_HDR_LEN (PROTO_DECODER_ID_LEN + 8)

#define HELLO_SIZE(f) PROTO_MEMBER_SIZE(struct proto_up_hello, f)
#define RESULT_SIZE(f) PROTO_MEMBER_SIZE(struct proto_up_result, f)

_Static_assert(HELLO_LEN ==
	sizeof(uint8_t) /* version */ + HELLO_SIZE(decoder_id) +
	    HELLO_SIZE(has_card) + HELLO_SIZE(ua),
    "HELLO is the fields proto_up_hello_encode writes");
_Static_assert(RESULT_LEN ==
	RESULT_SIZE(index) + RESULT_SIZE(status) + RESULT_SIZE(reason) +
	    RESULT_SIZE(ua) + RESULT_SIZE(seq),
    "RESULT is the fields proto_up_result_encode writes");
_Static_assert(RECOVERED_HDR_LEN ==
	PROTO_MEMBER_SIZE(struct proto_up_recovered, decoder_id) +
	    PROTO_MEMBER_SIZE(struct proto_up_recovered, stored_at),
    "RECOVERED: decoder id and time before the block");
_Static_assert(PROTO_UPLINK_MAX_BODY >= RECOVERED_HDR_LEN + PROTO_BLOCK_MAX &&
	PROTO_UPLINK_MAX_BODY >= PROTO_CMD_MAX_LEN,
    "the largest frames fit the body limit");
_Static_assert(PROTO_UPLINK_HDR_LEN == sizeof(uint8_t) + sizeof(uint32_t),
    "a frame header is type and length");

int
proto_up_frame(struct proto_wr *w, uint8_t type, size_t len)
{
	struct proto_wr c = *w;
	int rc;

	if (len > PROTO_UPLINK_MAX_BODY)
		return PROTO_ERR_TOOBIG;
	if ((rc = proto_wr_u8(&c, type)) != 0 ||
	    (rc = proto_wr_u32(&c, (uint32_t)len)) != 0)
		return rc;
	*w = c;
	return 0;
}

int
proto_up_header(const uint8_t hdr[PROTO_UPLINK_HDR_LEN], uint8_t *type,
    size_t *len)
{
	struct proto_rd r;
	uint8_t t;
	uint32_t n;
	int rc;

	proto_rd_init(&r, hdr, PROTO_UPLINK_HDR_LEN);
	if ((rc = proto_rd_u8(&r, &t)) != 0 || (rc = proto_rd_u32(&r, &n)) != 0)
		return rc;
	if (n > PROTO_UPLINK_MAX_BODY)
		return PROTO_ERR_TOOBIG;
	*type = t;
	*len = n;
	return 0;
}

int
proto_up_hello_encode(const struct proto_up_hello *h, struct proto_wr *w)
{
	struct proto_wr c = *w;
	int rc;

	if ((rc = proto_up_frame(&c, PROTO_UP_HELLO, HELLO_LEN)) != 0 ||
	    (rc = proto_wr_u8(&c, PROTO_UPLINK_VERSION)) != 0 ||
	    (rc = proto_wr_bytes(&c, h->decoder_id, PROTO_DECODER_ID_LEN)) ||
	    (rc = proto_wr_u8(&c, h->has_card)) != 0 ||
	    (rc = proto_wr_bytes(&c, h->ua, PROTO_UA_LEN)) != 0)
		return rc;
	*w = c;
	return 0;
}

int
proto_up_hello_decode(const uint8_t *b, size_t n, struct proto_up_hello *out)
{
	struct proto_up_hello h;
	struct proto_rd r;
	uint8_t v;
	int rc;

	proto_rd_init(&r, b, n);
	if ((rc = proto_rd_u8(&r, &v)) != 0 ||
	    (rc = proto_rd_bytes(&r, h.decoder_id, PROTO_DECODER_ID_LEN)) ||
	    (rc = proto_rd_u8(&r, &h.has_card)) != 0 ||
	    (rc = proto_rd_bytes(&r, h.ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_rd_end(&r)) != 0)
		return rc;
	if (v != PROTO_UPLINK_VERSION || h.has_card > 1)
		return PROTO_ERR_FORMAT;
	*out = h;
	return 0;
}

int
proto_up_challenge_encode(const uint8_t nonce[PROTO_CHALLENGE_LEN],
    struct proto_wr *w)
{
	struct proto_wr c = *w;
	int rc;

	if ((rc = proto_up_frame(&c, PROTO_UP_CHALLENGE,
		 PROTO_CHALLENGE_LEN)) != 0 ||
	    (rc = proto_wr_bytes(&c, nonce, PROTO_CHALLENGE_LEN)) != 0)
		return rc;
	*w = c;
	return 0;
}

int
proto_up_challenge_decode(const uint8_t *b, size_t n,
    uint8_t nonce[PROTO_CHALLENGE_LEN])
{
	uint8_t x[PROTO_CHALLENGE_LEN];
	struct proto_rd r;
	int rc;

	proto_rd_init(&r, b, n);
	if ((rc = proto_rd_bytes(&r, x, sizeof(x))) != 0 ||
	    (rc = proto_rd_end(&r)) != 0)
		return rc;
	memcpy(nonce, x, sizeof(x));
	return 0;
}

int
proto_up_recovered_encode(const struct proto_up_recovered *x,
    struct proto_wr *w)
{
	struct proto_wr c = *w;
	int rc;

	if ((rc = proto_up_frame(&c, PROTO_UP_RECOVERED,
		 RECOVERED_HDR_LEN + x->len)) != 0 ||
	    (rc = proto_wr_bytes(&c, x->decoder_id, PROTO_DECODER_ID_LEN)) ||
	    (rc = proto_wr_u64(&c, x->stored_at)) != 0 ||
	    (rc = proto_wr_bytes(&c, x->block, x->len)) != 0)
		return rc;
	*w = c;
	return 0;
}

int
proto_up_recovered_decode(const uint8_t *b, size_t n,
    struct proto_up_recovered *out)
{
	struct proto_up_recovered x;
	struct proto_rd r;
	int rc;

	proto_rd_init(&r, b, n);
	if ((rc = proto_rd_bytes(&r, x.decoder_id, PROTO_DECODER_ID_LEN)) ||
	    (rc = proto_rd_u64(&r, &x.stored_at)) != 0)
		return rc;
	proto_rd_rest(&r, &x.block, &x.len);
	if (x.len == 0)
		return PROTO_ERR_SHORT;
	*out = x;
	return 0;
}

int
proto_up_result_encode(const struct proto_up_result *x, struct proto_wr *w)
{
	struct proto_wr c = *w;
	int rc;

	if ((rc = proto_up_frame(&c, PROTO_UP_RESULT, RESULT_LEN)) != 0 ||
	    (rc = proto_wr_u16(&c, x->index)) != 0 ||
	    (rc = proto_wr_u8(&c, x->status)) != 0 ||
	    (rc = proto_wr_u8(&c, x->reason)) != 0 ||
	    (rc = proto_wr_bytes(&c, x->ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_wr_u32(&c, x->seq)) != 0)
		return rc;
	*w = c;
	return 0;
}

int
proto_up_result_decode(const uint8_t *b, size_t n, struct proto_up_result *out)
{
	struct proto_up_result x;
	struct proto_rd r;
	int rc;

	proto_rd_init(&r, b, n);
	if ((rc = proto_rd_u16(&r, &x.index)) != 0 ||
	    (rc = proto_rd_u8(&r, &x.status)) != 0 ||
	    (rc = proto_rd_u8(&r, &x.reason)) != 0 ||
	    (rc = proto_rd_bytes(&r, x.ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_rd_u32(&r, &x.seq)) != 0 ||
	    (rc = proto_rd_end(&r)) != 0)
		return rc;
	if (x.status > PROTO_UP_REJECTED)
		return PROTO_ERR_FORMAT;
	*out = x;
	return 0;
}

int
proto_up_ack_encode(const uint8_t ua[PROTO_UA_LEN], uint32_t seq,
    struct proto_wr *w)
{
	struct proto_wr c = *w;
	int rc;

	if ((rc = proto_up_frame(&c, PROTO_UP_ACK, ACK_LEN)) != 0 ||
	    (rc = proto_wr_bytes(&c, ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_wr_u32(&c, seq)) != 0)
		return rc;
	*w = c;
	return 0;
}

int
proto_up_ack_decode(const uint8_t *b, size_t n, uint8_t ua[PROTO_UA_LEN],
    uint32_t *seq)
{
	struct proto_rd r;
	uint8_t u[PROTO_UA_LEN];
	uint32_t s;
	int rc;

	proto_rd_init(&r, b, n);
	if ((rc = proto_rd_bytes(&r, u, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_rd_u32(&r, &s)) != 0 || (rc = proto_rd_end(&r)) != 0)
		return rc;
	memcpy(ua, u, PROTO_UA_LEN);
	*seq = s;
	return 0;
}

/* DONE: purchases invoiced (4), anomalies flagged (4). */
static int
answer_done(struct proto_up_answer *o, const uint8_t *b, size_t n)
{
	struct proto_rd r;
	uint32_t invoiced, flagged;

	proto_rd_init(&r, b, n);
	if (proto_rd_u32(&r, &invoiced) != 0 ||
	    proto_rd_u32(&r, &flagged) != 0 || proto_rd_end(&r) != 0)
		return PROTO_ERR_FORMAT;
	o->invoiced = invoiced;
	o->flagged = flagged;
	return 0;
}

int
proto_up_answer_take(struct proto_up_answer *o, uint8_t type, const uint8_t *b,
    size_t n, int *done)
{
	int rc;

	switch (type) {
	case PROTO_UP_RESULT:
		if (o->n_res == PROTO_UPLINK_MAX_BLOCKS)
			return PROTO_ERR_TOOBIG;
		if ((rc = proto_up_result_decode(b, n, &o->res[o->n_res])) != 0)
			return rc;
		o->n_res++;
		return 0;
	case PROTO_UP_COMMAND:
		if (o->n_cmds == PROTO_UP_MAX_COMMANDS || n > PROTO_CMD_MAX_LEN)
			return PROTO_ERR_TOOBIG;
		memcpy(o->cmds[o->n_cmds], b, n);
		o->cmd_len[o->n_cmds++] = n;
		return 0;
	case PROTO_UP_ACK:
		if (o->n_acks == PROTO_UPLINK_MAX_BLOCKS)
			return PROTO_ERR_TOOBIG;
		if (proto_up_ack_decode(b, n, o->ack_ua[o->n_acks],
			&o->ack_seq[o->n_acks]) != 0)
			return PROTO_ERR_FORMAT;
		o->n_acks++;
		return 0;
	case PROTO_UP_DONE:
		if ((rc = answer_done(o, b, n)) != 0)
			return rc;
		*done = 1;
		return 0;
	case PROTO_UP_ERROR:
		/* The one failure that writes: the center's reason. */
		o->error = n > 0 ? b[0] : PROTO_UP_INTERNAL;
		return PROTO_ERR_STATE;
	default:
		return PROTO_ERR_FORMAT;
	}
}

const char *
proto_up_reason(uint8_t reason)
{
	switch (reason) {
	case PROTO_UP_OK:
		return "ok";
	case PROTO_UP_UNKNOWN_UA:
		return "unknown card";
	case PROTO_UP_BAD_SIGNATURE:
		return "bad signature";
	case PROTO_UP_UNDECRYPTABLE:
		return "cannot decrypt";
	case PROTO_UP_MALFORMED:
		return "malformed";
	case PROTO_UP_WRONG_CARD:
		return "block of a card other than the "
		       "present one";
	case PROTO_UP_PROTOCOL:
		return "protocol error";
	case PROTO_UP_BUSY:
		return "center busy";
	case PROTO_UP_INTERNAL:
		return "center internal error";
	case PROTO_UP_WRONG_KIND:
		return "wrong block kind for the frame, or not this session's "
		       "challenge";
	case PROTO_UP_STALE:
		return "stale copy";
	case PROTO_UP_REVOKED:
		return "card revoked";
	case PROTO_UP_FULL:
		return "center busy: full, try again later";
	case PROTO_UP_DEADLINE:
		return "session deadline passed";
	default:
		return "unknown reason";
	}
}

int
proto_up_reason_final(uint8_t reason)
{
	switch (reason) {
	case PROTO_UP_UNKNOWN_UA:
	case PROTO_UP_BAD_SIGNATURE:
	case PROTO_UP_UNDECRYPTABLE:
	case PROTO_UP_MALFORMED:
	case PROTO_UP_WRONG_KIND:
	case PROTO_UP_REVOKED:
		return 1;
	default:
		return 0;
	}
}
