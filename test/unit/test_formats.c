/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the security module's wire formats in proto, version 2:
 * M2 with its outcome ring, blocks with their challenge, ECMs, center
 * commands with their path (test_wire.c has the uplink frames and the
 * card certificate).  Every length summed
 * by hand is checked against what the encoder writes; every refusal is
 * checked for its error and for outputs left as they were.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../proto/proto.h"
#include "../../proto/sm.h"
#include "../../proto/uplink.h"

#define POISON 0xa5

static const uint8_t ua1[PROTO_UA_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* An M2 with every list full: the largest encoding. */
static void
m2_full(struct proto_m2 *m)
{
	memset(m, 0, sizeof(*m));
	m->credit = 1000;
	m->acked_seq = 10;
	m->purchase_seq = 10 + PROTO_M2_MAX_PURCHASES;
	m->change_ctr = 7;
	m->cmd_ctr = 3;
	m->locked = 1;
	m->versions[0] = 1;
	m->cws = 5;
	m->denials = 6;
	m->powerups = 2;
	m->n_counts = PROTO_M2_MAX_CHANNELS;
	for (unsigned i = 0; i < m->n_counts; i++) {
		m->counts[i].channel = (uint16_t)i;
		m->counts[i].ecms = 100 + i;
	}
	m->n_rights = PROTO_M2_MAX_RIGHTS;
	for (unsigned i = 0; i < m->n_rights; i++) {
		m->rights[i].channel = (uint16_t)(i + 1);
		m->rights[i].expiry = 2000000000u + i;
	}
	m->n_purchases = PROTO_M2_MAX_PURCHASES;
	for (unsigned i = 0; i < m->n_purchases; i++) {
		m->purchases[i].seq = m->acked_seq + 1 + i;
		m->purchases[i].event = 500 + i;
		m->purchases[i].channel = 3;
		m->purchases[i].price = 10;
		m->purchases[i].time = 1800000000u + i;
	}
	m->clock = 1800000123u;
	m->flags = PROTO_M2_FLAGS_ALL;
	m->bcast_ctr = 0x01020304u;
	m->n_outcomes = PROTO_M2_MAX_OUTCOMES;
	for (unsigned i = 0; i < m->n_outcomes; i++)
		m->outcomes[i] =
		    (struct proto_outcome){ .path = (uint8_t)(i & 1),
			    .counter = 40 + i,
			    .type = (uint8_t)(1 + i % 7),
			    .sw = i % 3 ? 0x9000 : 0x6a84 };
}

static size_t
m2_encode_to(const struct proto_m2 *m, uint8_t *buf, size_t cap)
{
	struct proto_wr w;

	proto_wr_init(&w, buf, cap);
	assert_int_equal(proto_m2_encode(m, &w), 0);
	return proto_wr_len(&w);
}

static void
assert_m2_poisoned(const struct proto_m2 *m)
{
	const uint8_t *p = (const uint8_t *)m;

	for (size_t i = 0; i < sizeof(*m); i++)
		assert_int_equal(p[i], POISON);
}

static void
test_m2_sizes_and_roundtrip(void **state)
{
	static struct proto_m2 m, back;
	uint8_t buf[PROTO_M2_MAX_LEN + 8], again[sizeof(buf)];
	struct proto_wr w;
	size_t n;

	(void)state;
	/* the sizes the spec names (card/APDU.md) */
	assert_int_equal(PROTO_M2_TAIL_LEN, 9);
	assert_int_equal(PROTO_OUTCOMES_MAX_LEN, 1 + 8 * 16);
	assert_int_equal(PROTO_M2_MAX_LEN, 1384 + 9 + 129);
	m2_full(&m);
	n = m2_encode_to(&m, buf, sizeof(buf));
	assert_int_equal(n, PROTO_M2_MAX_LEN);
	assert_int_equal(proto_m2_decode(buf, n, &back), 0);
	assert_int_equal(back.credit, m.credit);
	assert_int_equal(back.n_purchases, PROTO_M2_MAX_PURCHASES);
	assert_int_equal(back.purchases[63].event, m.purchases[63].event);
	assert_int_equal(back.rights[15].expiry, m.rights[15].expiry);
	assert_int_equal(back.counts[15].ecms, m.counts[15].ecms);
	assert_int_equal(back.clock, m.clock);
	assert_int_equal(back.flags, PROTO_M2_FLAGS_ALL);
	assert_int_equal(back.bcast_ctr, m.bcast_ctr);
	assert_int_equal(back.n_outcomes, PROTO_M2_MAX_OUTCOMES);
	assert_int_equal(back.outcomes[15].counter, 55);
	assert_int_equal(back.outcomes[15].path, 1);
	assert_int_equal(back.outcomes[15].type, 2);
	assert_int_equal(back.outcomes[15].sw, 0x6a84);
	/* every field came back: the decoded M2 encodes to the same bytes */
	assert_int_equal(m2_encode_to(&back, again, sizeof(again)), n);
	assert_memory_equal(again, buf, n);

	/* empty lists: the fixed part, three zero counts, the tail, no ring */
	memset(&m, 0, sizeof(m));
	n = m2_encode_to(&m, buf, sizeof(buf));
	assert_int_equal(n, PROTO_M2_FIXED_LEN + 3 + PROTO_M2_TAIL_LEN + 1);

	/* one byte short of room: nothing written */
	m2_full(&m);
	proto_wr_init(&w, buf, PROTO_M2_MAX_LEN - 1);
	assert_int_equal(proto_m2_encode(&m, &w), PROTO_ERR_NOSPACE);
	assert_int_equal(proto_wr_len(&w), 0);
	m.n_rights = PROTO_M2_MAX_RIGHTS + 1;
	proto_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(proto_m2_encode(&m, &w), PROTO_ERR_ARG);
	assert_int_equal(proto_wr_len(&w), 0);
	m2_full(&m);
	m.n_outcomes = PROTO_M2_MAX_OUTCOMES + 1;
	assert_int_equal(proto_m2_encode(&m, &w), PROTO_ERR_ARG);
	assert_int_equal(proto_wr_len(&w), 0);

	proto_m2_clear(&back);
	for (size_t i = 0; i < sizeof(back); i++)
		assert_int_equal(((uint8_t *)&back)[i], 0);
	proto_m2_clear(NULL);
}

/*
 * Offsets into an encoding with no counts, no rights, one purchase and
 * one outcome.
 */
#define OFF_PURCHASE_SEQ 4
#define OFF_ACKED 8
#define OFF_LOCKED 20
#define OFF_N_COUNTS PROTO_M2_FIXED_LEN
#define OFF_N_PURCHASES (PROTO_M2_FIXED_LEN + 2)
#define OFF_FIRST_SEQ (OFF_N_PURCHASES + 1)
#define OFF_TAIL (OFF_FIRST_SEQ + PROTO_PURCHASE_LEN)
#define OFF_FLAGS (OFF_TAIL + 4)
#define OFF_N_OUTCOMES (OFF_TAIL + PROTO_M2_TAIL_LEN)
#define OFF_OUTCOME_PATH (OFF_N_OUTCOMES + 1)

static void
test_m2_decode_refusals(void **state)
{
	static struct proto_m2 m, out;
	uint8_t good[PROTO_M2_MAX_LEN + 1], bad[sizeof(good)];
	size_t n;
	const struct {
		size_t off;
		uint8_t v;
		int rc;
	} cases[] = {
		{ OFF_N_COUNTS, PROTO_M2_MAX_CHANNELS + 1, PROTO_ERR_RANGE },
		{ OFF_N_PURCHASES, 2, PROTO_ERR_SHORT },
		{ OFF_N_PURCHASES, 0, PROTO_ERR_TRAILING },
		{ OFF_FIRST_SEQ + 3, 9, PROTO_ERR_FORMAT }, /* not acked+1 */
		{ OFF_ACKED + 3, 2, PROTO_ERR_FORMAT },     /* acked > seq */
		{ OFF_PURCHASE_SEQ + 3, 5,
		    PROTO_ERR_FORMAT }, /* count != gap */
		{ OFF_LOCKED, 2, PROTO_ERR_FORMAT },
		{ OFF_FLAGS, 0x04, PROTO_ERR_FORMAT }, /* an unknown flag */
		{ OFF_FLAGS, 0x80, PROTO_ERR_FORMAT },
		{ OFF_N_OUTCOMES, PROTO_M2_MAX_OUTCOMES + 1, PROTO_ERR_RANGE },
		{ OFF_N_OUTCOMES, 0xff, PROTO_ERR_RANGE },
		{ OFF_N_OUTCOMES, 2, PROTO_ERR_SHORT },    /* one is there */
		{ OFF_N_OUTCOMES, 0, PROTO_ERR_TRAILING }, /* one is there */
		{ OFF_OUTCOME_PATH, 2, PROTO_ERR_FORMAT }, /* no such path */
	};

	(void)state;
	memset(&m, 0, sizeof(m));
	m.purchase_seq = 1;
	m.n_purchases = 1;
	m.purchases[0].seq = 1;
	m.flags = PROTO_M2_FLAG_EXPORT;
	m.n_outcomes = 1;
	m.outcomes[0] =
	    (struct proto_outcome){ .path = PROTO_CMD_PATH_BROADCAST,
		    .counter = 7,
		    .type = PROTO_CMD_GRANT,
		    .sw = 0x6a84 };
	n = m2_encode_to(&m, good, sizeof(good));
	assert_int_equal(n,
	    PROTO_M2_FIXED_LEN + 3 + PROTO_PURCHASE_LEN + PROTO_M2_TAIL_LEN +
		1 + PROTO_OUTCOME_LEN);
	assert_int_equal(proto_m2_decode(good, n, &out), 0);
	/* the offsets point where the test means */
	assert_int_equal(good[OFF_FIRST_SEQ + 3], 1);
	assert_int_equal(good[OFF_FLAGS], PROTO_M2_FLAG_EXPORT);
	assert_int_equal(good[OFF_N_OUTCOMES], 1);
	assert_int_equal(good[OFF_OUTCOME_PATH], PROTO_CMD_PATH_BROADCAST);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, good, n);
		bad[cases[i].off] = cases[i].v;
		memset(&out, POISON, sizeof(out));
		assert_int_equal(proto_m2_decode(bad, n, &out), cases[i].rc);
		assert_m2_poisoned(&out);
	}
	/* every truncation, and one byte too many */
	for (size_t len = 0; len < n; len++) {
		memset(&out, POISON, sizeof(out));
		assert_int_equal(proto_m2_decode(good, len, &out),
		    PROTO_ERR_SHORT);
		assert_m2_poisoned(&out);
	}
	good[n] = 0;
	assert_int_equal(proto_m2_decode(good, n + 1, &out),
	    PROTO_ERR_TRAILING);
	assert_m2_poisoned(&out);
}

/* The outcome ring on its own, as GET DATA 01 0A carries it. */
static void
test_outcomes_codec(void **state)
{
	static struct proto_m2 m;
	struct proto_outcome o[PROTO_M2_MAX_OUTCOMES],
	    back[sizeof(o) / sizeof(o[0])];
	uint8_t buf[PROTO_OUTCOMES_MAX_LEN + 1];
	struct proto_rd r;
	struct proto_wr w;
	uint8_t n = 0x77;

	(void)state;
	m2_full(&m);
	memcpy(o, m.outcomes, sizeof(o));
	proto_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(proto_outcomes_write(&w, o, PROTO_M2_MAX_OUTCOMES), 0);
	assert_int_equal(proto_wr_len(&w), PROTO_OUTCOMES_MAX_LEN);
	proto_rd_init(&r, buf, proto_wr_len(&w));
	assert_int_equal(proto_outcomes_read(&r, back, &n), 0);
	assert_int_equal(n, PROTO_M2_MAX_OUTCOMES);
	assert_int_equal(proto_rd_left(&r), 0);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(back[i].path, o[i].path);
		assert_int_equal(back[i].counter, o[i].counter);
		assert_int_equal(back[i].type, o[i].type);
		assert_int_equal(back[i].sw, o[i].sw);
	}
	/* too many to write: nothing written */
	proto_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(proto_outcomes_write(&w, o, PROTO_M2_MAX_OUTCOMES + 1),
	    PROTO_ERR_ARG);
	assert_int_equal(proto_wr_len(&w), 0);
	/* a refusal leaves the reader, the count and the entries alone */
	buf[0] = PROTO_M2_MAX_OUTCOMES + 1;
	memset(back, POISON, sizeof(back));
	n = 0x77;
	proto_rd_init(&r, buf, PROTO_OUTCOMES_MAX_LEN);
	assert_int_equal(proto_outcomes_read(&r, back, &n), PROTO_ERR_RANGE);
	assert_int_equal(proto_rd_left(&r), PROTO_OUTCOMES_MAX_LEN);
	buf[0] = 2;
	proto_rd_init(&r, buf, 1 + PROTO_OUTCOME_LEN + 3);
	assert_int_equal(proto_outcomes_read(&r, back, &n), PROTO_ERR_SHORT);
	assert_int_equal(proto_rd_left(&r), 1 + PROTO_OUTCOME_LEN + 3);
	assert_int_equal(n, 0x77);
	assert_int_equal(back[0].counter, 0xa5a5a5a5u);
}

struct card {
	struct proto_card_keys k;
	uint8_t master[PROTO_MASTER_LEN];
};

static void
card_keys(struct card *c)
{
	memset(c->master, 0x42, sizeof(c->master));
	assert_int_equal(proto_ec_keygen(c->k.sign_priv, c->k.sign_pub), 0);
	assert_int_equal(proto_kt_derive(c->master, ua1, c->k.kt), 0);
}

static const uint8_t nonce1[PROTO_CHALLENGE_LEN] = { 0xc1, 2, 3, 4, 5, 6, 7, 8,
	9, 10, 11, 12, 13, 14, 15, 0xcf };

/* Seal m: an export block (no challenge) or an uplink block (nonce1). */
static size_t
seal(const struct card *c, uint8_t kind, uint32_t seq, const struct proto_m2 *m,
    uint8_t *out, size_t cap)
{
	uint8_t body[PROTO_M2_MAX_LEN];
	size_t n = m2_encode_to(m, body, sizeof(body));
	struct proto_wr w;

	proto_wr_init(&w, out, cap);
	assert_int_equal(proto_block_seal(kind, ua1, seq,
			     kind == PROTO_BLOCK_UPLINK ? nonce1 : NULL, &c->k,
			     body, n, &w),
	    0);
	assert_int_equal(proto_wr_len(&w), PROTO_BLOCK_OVERHEAD + n);
	return proto_wr_len(&w);
}

/* Header offsets. */
#define BOFF_VERSION 1
#define BOFF_SEQ (2 + PROTO_UA_LEN)
#define BOFF_CHALLENGE (BOFF_SEQ + 4)
#define BOFF_BODY_LEN (BOFF_CHALLENGE + PROTO_CHALLENGE_LEN)

static void
test_block(void **state)
{
	static struct proto_m2 m, out;
	static uint8_t buf[PROTO_BLOCK_MAX + 1], bad[sizeof(buf)];
	struct proto_block b, b2;
	struct card c, other;
	uint8_t kt2[PROTO_AES_KEY_LEN];
	struct proto_wr w;
	size_t n;

	(void)state;
	assert_int_equal(PROTO_BLOCK_HDR_LEN, 34);
	assert_int_equal(PROTO_M2_MAX_LEN, 0x05f2);
	assert_int_equal(BOFF_BODY_LEN + 4, PROTO_BLOCK_HDR_LEN);
	card_keys(&c);
	card_keys(&other);
	m2_full(&m);
	n = seal(&c, PROTO_BLOCK_EXPORT, 9, &m, buf, sizeof(buf));
	assert_int_equal(n, PROTO_BLOCK_MAX);
	assert_int_equal(buf[BOFF_VERSION], PROTO_BLOCK_VERSION);
	assert_int_equal(proto_block_parse(buf, n, &b), 0);
	assert_int_equal(b.kind, PROTO_BLOCK_EXPORT);
	assert_memory_equal(b.ua, ua1, PROTO_UA_LEN);
	assert_int_equal(b.seq, 9);
	for (size_t i = 0; i < PROTO_CHALLENGE_LEN; i++)
		assert_int_equal(b.challenge[i], 0);
	assert_int_equal(b.ct_len, PROTO_M2_MAX_LEN);
	assert_int_equal(b.signed_len, n - PROTO_EC_SIG_LEN);
	assert_int_equal(proto_block_verify(&b, c.k.sign_pub), 0);
	assert_int_equal(proto_block_verify(&b, other.k.sign_pub),
	    PROTO_ERR_AUTH);
	assert_int_equal(proto_block_open(&b, c.k.kt, &out), 0);
	assert_int_equal(out.n_purchases, PROTO_M2_MAX_PURCHASES);
	assert_int_equal(out.purchases[5].event, m.purchases[5].event);
	assert_int_equal(out.n_outcomes, PROTO_M2_MAX_OUTCOMES);
	assert_int_equal(out.bcast_ctr, m.bcast_ctr);

	/* the transmission key is the UA's: another UA, another key */
	assert_int_equal(proto_kt_derive(c.master, b.ua, kt2), 0);
	assert_memory_equal(kt2, c.k.kt, sizeof(kt2));
	b.ua[0] ^= 1;
	assert_int_equal(proto_kt_derive(c.master, b.ua, kt2), 0);
	assert_memory_not_equal(kt2, c.k.kt, sizeof(kt2));
	memset(&out, POISON, sizeof(out));
	assert_int_equal(proto_block_open(&b, kt2, &out), PROTO_ERR_AUTH);
	assert_m2_poisoned(&out);

	/* the header is authenticated: a changed sequence does not open */
	memcpy(bad, buf, n);
	bad[BOFF_SEQ + 3] ^= 1;
	assert_int_equal(proto_block_parse(bad, n, &b2), 0);
	assert_int_equal(proto_block_verify(&b2, c.k.sign_pub), PROTO_ERR_AUTH);
	assert_int_equal(proto_block_open(&b2, c.k.kt, &out), PROTO_ERR_AUTH);
	assert_m2_poisoned(&out);

	/* layout refusals leave the output alone */
	const struct {
		size_t off;
		uint8_t v;
		int rc;
	} cases[] = {
		{ 0, 0x03, PROTO_ERR_FORMAT },         /* kind */
		{ 0, 0x00, PROTO_ERR_FORMAT },         /* kind */
		{ BOFF_VERSION, 1, PROTO_ERR_FORMAT }, /* v1 */
		{ BOFF_VERSION, PROTO_BLOCK_VERSION + 1, PROTO_ERR_FORMAT },
		{ BOFF_CHALLENGE, 1,
		    PROTO_ERR_FORMAT }, /* export: zeros only */
		{ BOFF_CHALLENGE + 15, 0x80, PROTO_ERR_FORMAT },
		{ BOFF_BODY_LEN + 1, 0xff, PROTO_ERR_TOOBIG },
		{ BOFF_BODY_LEN + 3, 0x00, PROTO_ERR_TRAILING },
		/* one byte over PROTO_M2_MAX_LEN (0x05f2) */
		{ BOFF_BODY_LEN + 3, 0xf3, PROTO_ERR_TOOBIG },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, buf, n);
		bad[cases[i].off] = cases[i].v;
		memset(&b2, POISON, sizeof(b2));
		assert_int_equal(proto_block_parse(bad, n, &b2), cases[i].rc);
		assert_int_equal(b2.kind, POISON);
	}
	/* every truncation, and one byte too many */
	for (size_t len = 0; len < n; len++)
		assert_int_equal(proto_block_parse(buf, len, &b2),
		    PROTO_ERR_SHORT);
	assert_int_equal(proto_block_parse(buf, n + 1, &b2),
	    PROTO_ERR_TRAILING);
	assert_int_equal(b2.kind, POISON);

	/* a body over the limit, or no room: nothing written */
	proto_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(proto_block_seal(PROTO_BLOCK_UPLINK, ua1, 1, nonce1,
			     &c.k, bad, PROTO_M2_MAX_LEN + 1, &w),
	    PROTO_ERR_TOOBIG);
	proto_wr_init(&w, buf, PROTO_BLOCK_OVERHEAD + 9);
	assert_int_equal(proto_block_seal(PROTO_BLOCK_UPLINK, ua1, 1, nonce1,
			     &c.k, bad, 10, &w),
	    PROTO_ERR_NOSPACE);
	assert_int_equal(proto_wr_len(&w), 0);
	proto_m2_clear(&out);
}

/* The challenge an uplink block answers is signed and authenticated. */
static void
test_block_challenge(void **state)
{
	static struct proto_m2 m, out;
	static uint8_t buf[PROTO_BLOCK_MAX], bad[sizeof(buf)];
	struct proto_block b;
	struct card c;
	struct proto_wr w;
	size_t n;

	(void)state;
	card_keys(&c);
	memset(&m, 0, sizeof(m));
	m.credit = 5;
	n = seal(&c, PROTO_BLOCK_UPLINK, 3, &m, buf, sizeof(buf));
	assert_int_equal(n,
	    PROTO_BLOCK_OVERHEAD + PROTO_M2_FIXED_LEN + 3 + PROTO_M2_TAIL_LEN +
		1);
	assert_memory_equal(buf + BOFF_CHALLENGE, nonce1, PROTO_CHALLENGE_LEN);
	assert_int_equal(proto_block_parse(buf, n, &b), 0);
	assert_int_equal(b.kind, PROTO_BLOCK_UPLINK);
	assert_memory_equal(b.challenge, nonce1, PROTO_CHALLENGE_LEN);
	assert_int_equal(proto_block_verify(&b, c.k.sign_pub), 0);
	assert_int_equal(proto_block_open(&b, c.k.kt, &out), 0);
	assert_int_equal(out.credit, 5);
	/* each byte of the challenge: under the signature and the tag */
	for (size_t i = 0; i < PROTO_CHALLENGE_LEN; i++) {
		memcpy(bad, buf, n);
		bad[BOFF_CHALLENGE + i] ^= 0x01;
		assert_int_equal(proto_block_parse(bad, n, &b), 0);
		assert_int_equal(proto_block_verify(&b, c.k.sign_pub),
		    PROTO_ERR_AUTH);
		memset(&out, POISON, sizeof(out));
		assert_int_equal(proto_block_open(&b, c.k.kt, &out),
		    PROTO_ERR_AUTH);
		assert_m2_poisoned(&out);
	}
	/* an export block cannot carry a challenge: nothing written */
	proto_wr_init(&w, bad, sizeof(bad));
	assert_int_equal(proto_block_seal(PROTO_BLOCK_EXPORT, ua1, 1, nonce1,
			     &c.k, buf, 10, &w),
	    PROTO_ERR_ARG);
	assert_int_equal(proto_wr_len(&w), 0);
	assert_int_equal(proto_block_seal(0x05, ua1, 1, NULL, &c.k, buf, 10,
			     &w),
	    PROTO_ERR_ARG);
	assert_int_equal(proto_wr_len(&w), 0);
	/* an uplink block with no challenge given carries zeros */
	assert_int_equal(proto_block_seal(PROTO_BLOCK_UPLINK, ua1, 1, NULL,
			     &c.k, buf, 0, &w),
	    0);
	assert_int_equal(proto_block_parse(bad, proto_wr_len(&w), &b), 0);
	assert_int_equal(b.challenge[0] | b.challenge[15], 0);
	proto_m2_clear(&out);
}

static void
test_ecm(void **state)
{
	const struct proto_ecm e = { .channel = 7,
		.event = 1234,
		.time = 1800000000u,
		.event_end = 1800003600u,
		.flags = PROTO_ECM_PPV,
		.price = 250 };
	uint8_t key[PROTO_AES_KEY_LEN], cw[PROTO_CW_LEN], got[PROTO_CW_LEN];
	uint8_t ecm[PROTO_ECM_LEN + 1], bad[sizeof(ecm)];
	struct proto_ecm out;

	(void)state;
	memset(key, 0x17, sizeof(key));
	for (size_t i = 0; i < sizeof(cw); i++)
		cw[i] = (uint8_t)i;
	assert_int_equal(proto_ecm_build(&e, cw, key, ecm), 0);
	assert_int_equal(ecm[0], PROTO_ECM_VERSION);
	assert_int_equal(proto_ecm_open(ecm, PROTO_ECM_LEN, key, &out, got), 0);
	assert_memory_equal(got, cw, sizeof(cw));
	assert_int_equal(out.channel, 7);
	assert_int_equal(out.price, 250);
	assert_int_equal(out.event_end, e.event_end);
	assert_int_equal(proto_ecm_open(ecm, PROTO_ECM_LEN, key, &out, NULL),
	    0);

	/* every byte of the additional data is authenticated */
	for (size_t off = 1; off < PROTO_ECM_AAD_LEN; off++) {
		memcpy(bad, ecm, PROTO_ECM_LEN);
		bad[off] ^= 0x80;
		memset(&out, POISON, sizeof(out));
		memset(got, POISON, sizeof(got));
		assert_int_equal(proto_ecm_open(bad, PROTO_ECM_LEN, key, &out,
				     got),
		    PROTO_ERR_AUTH);
		assert_int_equal(out.channel, 0xa5a5);
		assert_int_equal(got[0], POISON);
	}
	memcpy(bad, ecm, PROTO_ECM_LEN);
	bad[0] = PROTO_ECM_VERSION + 1;
	assert_int_equal(proto_ecm_open(bad, PROTO_ECM_LEN, key, &out, got),
	    PROTO_ERR_FORMAT);
	assert_int_equal(proto_ecm_open(ecm, PROTO_ECM_LEN - 1, key, &out, got),
	    PROTO_ERR_SHORT);
	assert_int_equal(proto_ecm_open(ecm, PROTO_ECM_LEN + 1, key, &out, got),
	    PROTO_ERR_TRAILING);
	assert_int_equal(got[0], POISON);
	assert_int_equal(out.channel, 0xa5a5);
}

static size_t
sign_cmd_path(uint8_t type, uint8_t path, uint32_t arg1,
    const uint8_t priv[PROTO_EC_PRIV_LEN], const uint8_t pub[PROTO_EC_PUB_LEN],
    uint8_t *out)
{
	struct proto_cmd c = { .type = type,
		.path = path,
		.counter = 5,
		.arg1 = arg1,
		.arg2 = 1900000000u };
	struct proto_wr w;

	memcpy(c.ua, ua1, PROTO_UA_LEN);
	proto_wr_init(&w, out, PROTO_CMD_MAX_LEN);
	assert_int_equal(proto_cmd_sign(&c, priv, pub, &w), 0);
	return proto_wr_len(&w);
}

static size_t
sign_cmd(uint8_t type, uint32_t arg1, const uint8_t priv[PROTO_EC_PRIV_LEN],
    const uint8_t pub[PROTO_EC_PUB_LEN], uint8_t *out)
{
	return sign_cmd_path(type, PROTO_CMD_PATH_UPLINK, arg1, priv, pub, out);
}

/* Command offsets. */
#define COFF_TYPE 1
#define COFF_PATH (2 + PROTO_UA_LEN)
#define COFF_COUNTER (COFF_PATH + 1)
#define COFF_PLEN (COFF_COUNTER + 4)

/*
 * A command of a type this library cannot sign, with plen parameter
 * bytes, signed by hand as a newer center would: n bytes into out.
 */
static size_t
sign_unknown(uint8_t type, uint8_t plen, const uint8_t priv[PROTO_EC_PRIV_LEN],
    const uint8_t pub[PROTO_EC_PUB_LEN], uint8_t *out)
{
	size_t n = COFF_PLEN + 1 + plen;

	memset(out, 0, n);
	out[0] = PROTO_CMD_VERSION;
	out[COFF_TYPE] = type;
	memcpy(out + 2, ua1, PROTO_UA_LEN);
	out[COFF_PATH] = PROTO_CMD_PATH_BROADCAST;
	out[COFF_COUNTER + 3] = 9;
	out[COFF_PLEN] = plen;
	memset(out + COFF_PLEN + 1, 0xee, plen);
	assert_int_equal(proto_ec_sign(priv, pub, out, n, out + n), 0);
	return n + PROTO_EC_SIG_LEN;
}

static void
test_cmd(void **state)
{
	uint8_t priv[PROTO_EC_PRIV_LEN], pub[PROTO_EC_PUB_LEN];
	uint8_t priv2[PROTO_EC_PRIV_LEN], pub2[PROTO_EC_PUB_LEN];
	uint8_t buf[PROTO_CMD_MAX_LEN + 1], bad[sizeof(buf)];
	const uint8_t *sp, *sig;
	struct proto_cmd c = { 0 };
	struct proto_wr w;
	size_t n, slen;
	const struct {
		uint8_t type;
		size_t params;
		const char *name;
	} types[] = {
		{ PROTO_CMD_UNLOCK, 0, "unlock" },
		{ PROTO_CMD_ACK, 4, "ack" },
		{ PROTO_CMD_RELOAD, 4, "reload" },
		{ PROTO_CMD_GRANT, PROTO_CMD_PARAMS_MAX, "grant" },
		{ PROTO_CMD_REVOKE, 2, "revoke" },
		{ PROTO_CMD_EXPORT, 0, "export" },
		{ PROTO_CMD_DISABLE, 0, "disable" },
	};

	(void)state;
	assert_int_equal(PROTO_CMD_MAX_LEN, 86);
	assert_int_equal(COFF_PLEN, 15);
	assert_int_equal(proto_ec_keygen(priv, pub), 0);
	assert_int_equal(proto_ec_keygen(priv2, pub2), 0);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		for (uint8_t path = 0; path <= PROTO_CMD_PATH_BROADCAST;
		     path++) {
			n = sign_cmd_path(types[i].type, path, 77, priv, pub,
			    buf);
			assert_int_equal(n,
			    PROTO_CMD_MAX_LEN - PROTO_CMD_PARAMS_MAX +
				types[i].params);
			assert_int_equal(buf[0], PROTO_CMD_VERSION);
			assert_int_equal(buf[COFF_PATH], path);
			assert_int_equal(buf[COFF_PLEN], types[i].params);
			memset(&c, 0, sizeof(c));
			assert_int_equal(proto_cmd_verify(buf, n, pub, &c), 0);
			assert_int_equal(c.type, types[i].type);
			assert_int_equal(c.path, path);
			assert_int_equal(c.counter, 5);
			assert_int_equal(c.arg1, types[i].params > 0 ? 77 : 0);
			assert_int_equal(c.arg2,
			    types[i].type == PROTO_CMD_GRANT ? 1900000000u : 0);
		}
		assert_string_equal(proto_cmd_name(types[i].type),
		    types[i].name);
		assert_true(proto_cmd_known(types[i].type));
	}
	assert_string_equal(proto_cmd_name(0x7f), "unknown");
	assert_false(proto_cmd_known(0x7f));
	assert_false(proto_cmd_known(0));

	n = sign_cmd(PROTO_CMD_GRANT, 9, priv, pub, buf);
	memset(&c, POISON, sizeof(c));
	assert_int_equal(proto_cmd_verify(buf, n, pub2, &c), PROTO_ERR_AUTH);
	assert_int_equal(c.type, POISON);
	assert_int_equal(proto_cmd_parse(buf, n, &c, &sp, &slen, &sig), 0);
	assert_ptr_equal(sp, buf);
	assert_int_equal(slen, n - PROTO_EC_SIG_LEN);
	assert_ptr_equal(sig, buf + slen);
	/* the path is signed: moved to the other path, it fails */
	memcpy(bad, buf, n);
	bad[COFF_PATH] = PROTO_CMD_PATH_BROADCAST;
	assert_int_equal(proto_cmd_verify(bad, n, pub, &c), PROTO_ERR_AUTH);

	/*
	 * refusals: version (1 is the old one), a known type's parameter
	 * length, an unknown path, an unknown type's parameters too long
	 */
	const struct {
		size_t off;
		uint8_t v;
	} cases[] = { { 0, 1 }, { 0, PROTO_CMD_VERSION + 1 },
		{ COFF_TYPE, PROTO_CMD_REVOKE },
		{ COFF_TYPE, PROTO_CMD_UNLOCK },
		{ COFF_TYPE, PROTO_CMD_EXPORT }, { COFF_PLEN, 5 },
		{ COFF_PLEN, 7 }, { COFF_PATH, 2 }, { COFF_PATH, 0xff } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, buf, n);
		bad[cases[i].off] = cases[i].v;
		memset(&c, POISON, sizeof(c));
		assert_int_equal(proto_cmd_verify(bad, n, pub, &c),
		    PROTO_ERR_FORMAT);
		assert_int_equal(c.type, POISON);
	}
	/* every truncation, and one byte too many */
	for (size_t len = 0; len < n; len++)
		assert_int_equal(proto_cmd_parse(buf, len, &c, &sp, &slen,
				     &sig),
		    PROTO_ERR_SHORT);
	buf[n] = 0;
	assert_int_equal(proto_cmd_verify(buf, n + 1, pub, &c),
	    PROTO_ERR_TRAILING);
	assert_int_equal(c.type, POISON);

	/* what cannot be signed writes nothing */
	c = (struct proto_cmd){ .type = 0x7f };
	proto_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(proto_cmd_sign(&c, priv, pub, &w), PROTO_ERR_ARG);
	c = (struct proto_cmd){ .type = PROTO_CMD_UNLOCK, .path = 2 };
	assert_int_equal(proto_cmd_sign(&c, priv, pub, &w), PROTO_ERR_ARG);
	c = (struct proto_cmd){ .type = PROTO_CMD_GRANT, .arg1 = 0x10000 };
	assert_int_equal(proto_cmd_sign(&c, priv, pub, &w), PROTO_ERR_RANGE);
	c.arg1 = 1;
	proto_wr_init(&w, buf, PROTO_CMD_MAX_LEN - 1);
	assert_int_equal(proto_cmd_sign(&c, priv, pub, &w), PROTO_ERR_NOSPACE);
	assert_int_equal(proto_wr_len(&w), 0);
}

/*
 * A type this library does not know parses (parameters opaque, up to the
 * limit) and verifies, so a card can consume it; too long it does not.
 */
static void
test_cmd_unknown_type(void **state)
{
	uint8_t priv[PROTO_EC_PRIV_LEN], pub[PROTO_EC_PUB_LEN];
	uint8_t buf[PROTO_CMD_MAX_LEN + 8];
	struct proto_cmd c;
	size_t n;

	(void)state;
	assert_int_equal(proto_ec_keygen(priv, pub), 0);
	for (uint8_t plen = 0; plen <= PROTO_CMD_PARAMS_MAX; plen++) {
		n = sign_unknown(0x40, plen, priv, pub, buf);
		memset(&c, POISON, sizeof(c));
		assert_int_equal(proto_cmd_verify(buf, n, pub, &c), 0);
		assert_int_equal(c.type, 0x40);
		assert_int_equal(c.path, PROTO_CMD_PATH_BROADCAST);
		assert_int_equal(c.counter, 9);
		assert_int_equal(c.arg1, 0);
		assert_int_equal(c.arg2, 0);
		assert_memory_equal(c.ua, ua1, PROTO_UA_LEN);
		assert_false(proto_cmd_known(c.type));
		buf[n - 1] ^= 1;
		assert_int_equal(proto_cmd_verify(buf, n, pub, &c),
		    PROTO_ERR_AUTH);
	}
	n = sign_unknown(0x40, PROTO_CMD_PARAMS_MAX + 1, priv, pub, buf);
	memset(&c, POISON, sizeof(c));
	assert_int_equal(proto_cmd_verify(buf, n, pub, &c), PROTO_ERR_FORMAT);
	assert_int_equal(c.type, POISON);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_m2_sizes_and_roundtrip),
		cmocka_unit_test(test_m2_decode_refusals),
		cmocka_unit_test(test_outcomes_codec),
		cmocka_unit_test(test_block),
		cmocka_unit_test(test_block_challenge),
		cmocka_unit_test(test_ecm),
		cmocka_unit_test(test_cmd),
		cmocka_unit_test(test_cmd_unknown_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
