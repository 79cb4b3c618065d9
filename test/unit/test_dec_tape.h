/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A card transport (struct dec_card_io) that plays the card's side from a
 * tape of answers, for the decoder's unit tests and fuzz target; and the
 * script of card operations they run through it.  #included.
 *
 * A tape is a sequence of records, each a 2-byte big-endian length and
 * that many bytes: the ATR first, then one answer (data and status word)
 * per command the decoder sends.  Three records are special:
 *   - a record of length 0 makes that exchange fail the way a reader
 *     error other than a removal does (PROTO_ERR_STATE);
 *   - a record longer than the room the decoder gave is reported at its
 *     full length, only the room being copied (a reader that lies);
 *   - past the last record the card is gone (PROTO_ERR_IO).
 * The transport also counts the commands sent and keeps the INS of each.
 *
 * Transactions: begin and end are counted, and a command sent outside
 * one is counted too (outside).  A test scripts what the next begins
 * answer (tape_answers_add on begin_rc: 0, PROTO_ERR_STATE for a card another
 * program holds, PROTO_ERR_IO for a reset connection) and what a
 * reconnect answers (on reconnect_rc); a reconnect that succeeds
 * takes the next record as the card's ATR, as connect does.
 *
 * The reader service is the tape itself: a test sets st->svc = &tape
 * (tape_open refuses, as a reader service that is not there).
 */
#ifndef TEST_DEC_TAPE_H
#define TEST_DEC_TAPE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../decoder/card.h"
#include "../../decoder/m1.h"
#include "../../proto/apdu.h"
#include "../../proto/buf.h"
#include "../../proto/proto.h"
#include "../../proto/sm.h"

#define TAPE_LOG_MAX 512 /* INS bytes kept */
#define TAPE_REC_MAX 0xffff
#define TAPE_SCRIPT_MAX 8 /* scripted begin and reconnect answers */

struct tape_answers {
	int rc[TAPE_SCRIPT_MAX];
	unsigned n, next;
};

struct tape {
	/* playing */
	const uint8_t *p;
	size_t left;
	int connected;
	unsigned n_cmds;
	uint8_t ins[TAPE_LOG_MAX];
	uint8_t last[PROTO_APDU_HDR_LEN + 1 + PROTO_APDU_SHORT_MAX_LC + 1];
	size_t last_len;
	/* transactions */
	int in_tx, held;
	unsigned begins, ends, outside, reconnects;
	struct tape_answers begin_rc, reconnect_rc;
	/* building (tape_add and friends), or recording */
	uint8_t *buf;
	size_t len, cap;
};

static inline void
tape_init(struct tape *t, const uint8_t *p, size_t n)
{
	memset(t, 0, sizeof(*t));
	t->p = p;
	t->left = n;
}

/* Play what was built, from the start. */
static inline void
tape_rewind(struct tape *t)
{
	t->p = t->buf;
	t->left = t->len;
	t->n_cmds = 0;
	t->connected = 0;
	t->in_tx = 0;
	t->begins = t->ends = t->outside = t->reconnects = 0;
	t->begin_rc.next = t->reconnect_rc.next = 0;
}

/* The next answers of begin (or reconnect); past them, 0. */
static inline void
tape_answers_add(struct tape_answers *s, int rc)
{
	if (s->n == TAPE_SCRIPT_MAX)
		abort();
	s->rc[s->n++] = rc;
}

static inline int
tape_answers_next(struct tape_answers *s)
{
	return s->next < s->n ? s->rc[s->next++] : 0;
}

static inline void
tape_release(struct tape *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

/* The next record; 0 at the end of the tape. */
static inline int
tape_next(struct tape *t, const uint8_t **rec, size_t *n)
{
	size_t len;

	if (t->left < 2)
		return 0;
	len = (size_t)t->p[0] << 8 | t->p[1];
	if (len > t->left - 2)
		len = t->left - 2; /* a short last record: what there is */
	*rec = t->p + 2;
	*n = len;
	t->p += 2 + len;
	t->left -= 2 + len;
	return 1;
}

/* --- the transport ------------------------------------------------------ */

static inline int
tape_open(void **svc)
{
	(void)svc;
	return PROTO_ERR_IO;
}

static inline void
tape_close(void *svc)
{
	(void)svc;
}

/* Copy a record into room, saying its full length. */
static inline void
tape_copy(const uint8_t *rec, size_t n, uint8_t *out, size_t *room)
{
	memcpy(out, rec, n < *room ? n : *room);
	*room = n;
}

static inline int
tape_connect(void *svc, const char *reader, void **h, uint8_t *atr,
    size_t *atr_len)
{
	struct tape *t = svc;
	const uint8_t *rec;
	size_t n;

	(void)reader;
	if (!tape_next(t, &rec, &n))
		return PROTO_ERR_IO;
	tape_copy(rec, n, atr, atr_len);
	t->connected = 1;
	*h = t;
	return 0;
}

static inline void
tape_disconnect(void *h)
{
	struct tape *t = h;

	t->connected = 0;
}

static inline int
tape_transmit(void *h, const uint8_t *cmd, size_t len, uint8_t *resp,
    size_t *rlen)
{
	struct tape *t = h;
	const uint8_t *rec;
	size_t n;

	if (t->n_cmds < TAPE_LOG_MAX)
		t->ins[t->n_cmds] = len > 1 ? cmd[1] : 0;
	t->n_cmds++;
	t->outside += !t->in_tx;
	t->last_len = len < sizeof(t->last) ? len : sizeof(t->last);
	memcpy(t->last, cmd, t->last_len);
	if (!tape_next(t, &rec, &n))
		return PROTO_ERR_IO;
	if (n == 0)
		return PROTO_ERR_STATE;
	tape_copy(rec, n, resp, rlen);
	return 0;
}

static inline int
tape_begin(void *h)
{
	struct tape *t = h;
	int rc = t->held ? PROTO_ERR_STATE : tape_answers_next(&t->begin_rc);

	t->begins++;
	t->in_tx = rc == 0;
	return rc;
}

static inline void
tape_end(void *h)
{
	struct tape *t = h;

	t->ends++;
	t->in_tx = 0;
}

static inline int
tape_reconnect(void *h, uint8_t *atr, size_t *atr_len)
{
	struct tape *t = h;
	const uint8_t *rec;
	size_t n;
	int rc = tape_answers_next(&t->reconnect_rc);

	t->reconnects++;
	if (rc != 0)
		return rc;
	if (!tape_next(t, &rec, &n))
		return PROTO_ERR_IO;
	tape_copy(rec, n, atr, atr_len);
	return 0;
}

static inline int
tape_probe(void *h)
{
	const struct tape *t = h;

	return t->held ? PROTO_ERR_STATE : 0;
}

static const struct dec_card_io tape_io = {
	.open = tape_open,
	.close = tape_close,
	.connect = tape_connect,
	.disconnect = tape_disconnect,
	.transmit = tape_transmit,
	.begin = tape_begin,
	.end = tape_end,
	.reconnect = tape_reconnect,
	.probe = tape_probe,
};

/* How many commands with this INS the decoder sent. */
static inline unsigned
tape_count_ins(const struct tape *t, uint8_t ins)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->n_cmds && i < TAPE_LOG_MAX; i++)
		n += t->ins[i] == ins;
	return n;
}

/* --- building a tape -------------------------------------------------- */

static inline void
tape_grow(struct tape *t, size_t more)
{
	uint8_t *p;
	size_t cap = t->cap == 0 ? 1024 : t->cap;

	while (cap - t->len < more)
		cap *= 2;
	if (cap == t->cap)
		return;
	if ((p = realloc(t->buf, cap)) == NULL)
		abort();
	t->buf = p;
	t->cap = cap;
}

/* A record of n bytes: the data, then sw unless sw is 0 (raw bytes). */
static inline void
tape_answer(struct tape *t, const void *data, size_t n, uint16_t sw)
{
	size_t len = n + (sw != 0 ? 2 : 0);

	if (len > TAPE_REC_MAX)
		abort();
	tape_grow(t, 2 + len);
	t->buf[t->len++] = (uint8_t)(len >> 8);
	t->buf[t->len++] = (uint8_t)len;
	if (n > 0)
		memcpy(t->buf + t->len, data, n);
	t->len += n;
	if (sw != 0) {
		t->buf[t->len++] = (uint8_t)(sw >> 8);
		t->buf[t->len++] = (uint8_t)sw;
	}
}

static inline void
tape_sw(struct tape *t, uint16_t sw)
{
	tape_answer(t, NULL, 0, sw);
}

/* A reader error that is not a removal. */
static inline void
tape_fail(struct tape *t)
{
	tape_answer(t, NULL, 0, 0);
}

/*
 * A long answer as a card gives it to short Le: 256-byte chunks with
 * 61xx (xx the bytes left, 00 for 256 or more), the last with sw.
 */
static inline void
tape_chained(struct tape *t, const uint8_t *data, size_t n, uint16_t sw)
{
	while (n > PROTO_APDU_SHORT_MAX_NE) {
		size_t rest = n - PROTO_APDU_SHORT_MAX_NE;
		tape_answer(t, data, PROTO_APDU_SHORT_MAX_NE,
		    (uint16_t)(PROTO_SW_BYTES_REMAINING |
			(rest >= 256 ? 0 : rest)));
		data += PROTO_APDU_SHORT_MAX_NE;
		n = rest;
	}
	tape_answer(t, data, n, sw);
}

/* A GET DATA state answer. */
static inline void
tape_state_bytes(const struct dec_card_state *s, uint8_t out[SM_STATE_LEN])
{
	struct proto_wr w;

	proto_wr_init(&w, out, SM_STATE_LEN);
	if (proto_wr_bytes(&w, s->ua, PROTO_UA_LEN) != 0 ||
	    proto_wr_u8(&w, s->locked) != 0 ||
	    proto_wr_u32(&w, s->change_ctr) != 0 ||
	    proto_wr_u32(&w, s->export_seq) != 0 ||
	    proto_wr_u32(&w, s->credit) != 0 ||
	    proto_wr_u8(&w, s->free_log) != 0 ||
	    proto_wr_u32(&w, s->purchase_seq) != 0 ||
	    proto_wr_u32(&w, s->acked_seq) != 0 ||
	    proto_wr_u32(&w, s->cmd_ctr) != 0 ||
	    proto_wr_u8(&w, s->flags) != 0 ||
	    proto_wr_u32(&w, s->bcast_ctr) != 0 ||
	    proto_wr_len(&w) != SM_STATE_LEN)
		abort();
}

static inline void
tape_state(struct tape *t, const struct dec_card_state *s)
{
	uint8_t b[SM_STATE_LEN];

	tape_state_bytes(s, b);
	tape_answer(t, b, sizeof(b), PROTO_SW_OK);
}

/* Card keys to seal blocks with; 0 or -1. */
static inline int
tape_keys_make(struct proto_card_keys *k)
{
	if (proto_ec_keygen(k->sign_priv, k->sign_pub) != 0 ||
	    proto_random(k->kt, sizeof(k->kt)) != 0)
		return -1;
	return 0;
}

/* An EXPORT block of card ua, sequence seq, with n purchases (longer). */
static inline size_t
tape_make_block(const struct proto_card_keys *k, const uint8_t ua[PROTO_UA_LEN],
    uint32_t seq, unsigned n, uint8_t *out)
{
	static struct proto_m2 m;
	uint8_t body[PROTO_M2_MAX_LEN];
	struct proto_wr w, bw;

	memset(&m, 0, sizeof(m));
	m.credit = 100;
	m.n_purchases = (uint8_t)n;
	for (unsigned i = 0; i < n; i++)
		m.purchases[i] = (struct proto_purchase){ .seq = i + 1,
			.event = 1000 + i,
			.channel = 7,
			.price = 10,
			.time = 1800000000u };
	m.purchase_seq = n;
	proto_wr_init(&bw, body, sizeof(body));
	proto_wr_init(&w, out, PROTO_BLOCK_MAX);
	if (proto_m2_encode(&m, &bw) != 0 ||
	    proto_block_seal(PROTO_BLOCK_EXPORT, ua, seq, NULL, k, body,
		proto_wr_len(&bw), &w) != 0)
		abort();
	return proto_wr_len(&w);
}

/* --- the script the unit tests and the fuzzer run ---------------------- */

enum {
	TAPE_OP_REFRESH,
	TAPE_OP_EXPORT,
	TAPE_OP_UPLINK,
	TAPE_OP_ECM_SUB,
	TAPE_OP_ECM_PPV,
	TAPE_OP_BUY,
	TAPE_OP_COMMAND,
	TAPE_OPS
};

#define TAPE_ROUNDS 8

/* What the decoder sends (the answers come from the tape). */
struct tape_input {
	uint8_t ecm_sub[PROTO_ECM_LEN]; /* an ECM a subscription covers */
	uint8_t ecm_ppv[PROTO_ECM_LEN]; /* an ECM of an event to buy */
	uint8_t cmd[PROTO_CMD_MAX_LEN]; /* a center command */
	size_t cmd_len;
	uint8_t challenge[PROTO_CHALLENGE_LEN]; /* for UPLINK BLOCKS */
};

struct tape_run {
	int open_rc;
	unsigned rounds; /* rounds begun */
	int rc[TAPE_ROUNDS][TAPE_OPS];
	struct dec_card card;
	struct dec_m1 m1; /* the exported blocks, as M1 would take them */
	size_t m1_puts;
};

static inline int
tape_op(struct tape_run *r, const struct tape_input *in, int op)
{
	struct dec_card *c = &r->card;
	uint8_t block[PROTO_BLOCK_MAX];
	struct dec_ecm_result e;
	uint32_t seq, credit;
	size_t len;
	uint16_t sw;
	int rc;

	switch (op) {
	case TAPE_OP_REFRESH:
		return dec_card_refresh(c);
	case TAPE_OP_EXPORT:
	case TAPE_OP_UPLINK:
		rc = dec_card_block(c,
		    op == TAPE_OP_EXPORT ? SM_INS_EXPORT : SM_INS_UPLINK,
		    op == TAPE_OP_EXPORT ? NULL : in->challenge, block,
		    sizeof(block), &len, &sw);
		if (rc == 0 && op == TAPE_OP_EXPORT &&
		    dec_m1_put(&r->m1, block, len, c->st.change_ctr, 0) == 0)
			r->m1_puts++;
		return rc;
	case TAPE_OP_ECM_SUB:
	case TAPE_OP_ECM_PPV:
		return dec_card_ecm(c,
		    op == TAPE_OP_ECM_SUB ? in->ecm_sub : in->ecm_ppv,
		    PROTO_ECM_LEN, &e);
	case TAPE_OP_BUY:
		return dec_card_buy(c, in->ecm_ppv, PROTO_ECM_LEN, &seq,
		    &credit, &sw);
	default:
		return dec_card_command(c, in->cmd, in->cmd_len, &sw);
	}
}

/*
 * Open the card in svc, then run rounds of every operation until the card
 * is gone (the tape ends) or max rounds are done, as the daemon would:
 * an operation that finds the card gone ends the session.
 */
static inline void
tape_script(const struct dec_card_io *io, void *svc,
    const struct tape_input *in, unsigned max, struct tape_run *r)
{
	memset(r, 0, sizeof(*r));
	if ((r->open_rc = dec_card_open(io, svc, "Tape Reader 00", &r->card)) !=
	    0)
		return;
	for (unsigned round = 0; round < max && round < TAPE_ROUNDS; round++) {
		r->rounds++;
		for (int op = 0; op < TAPE_OPS; op++)
			if ((r->rc[round][op] = tape_op(r, in, op)) ==
			    PROTO_ERR_IO)
				goto out;
	}
out:
	dec_card_close(&r->card);
}

#endif
