/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the security module's wire formats in proto: M2, blocks,
 * ECMs, center commands, and the uplink answer reader.  Every length summed
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
	uint8_t buf[PROTO_M2_MAX_LEN + 8];
	struct proto_wr w;
	size_t n;

	(void)state;
	m2_full(&m);
	n = m2_encode_to(&m, buf, sizeof(buf));
	assert_int_equal(n, PROTO_M2_MAX_LEN);
	assert_int_equal(proto_m2_decode(buf, n, &back), 0);
	assert_int_equal(back.credit, m.credit);
	assert_int_equal(back.n_purchases, PROTO_M2_MAX_PURCHASES);
	assert_int_equal(back.purchases[63].event, m.purchases[63].event);
	assert_int_equal(back.rights[15].expiry, m.rights[15].expiry);
	assert_int_equal(back.counts[15].ecms, m.counts[15].ecms);

	/* empty lists: the fixed part and three zero counts */
	memset(&m, 0, sizeof(m));
	n = m2_encode_to(&m, buf, sizeof(buf));
	assert_int_equal(n, PROTO_M2_FIXED_LEN + 3);

	/* one byte short of room: nothing written */
	m2_full(&m);
	proto_wr_init(&w, buf, PROTO_M2_MAX_LEN - 1);
	assert_int_equal(proto_m2_encode(&m, &w), PROTO_ERR_NOSPACE);
	assert_int_equal(proto_wr_len(&w), 0);
	m.n_rights = PROTO_M2_MAX_RIGHTS + 1;
	proto_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(proto_m2_encode(&m, &w), PROTO_ERR_ARG);
	assert_int_equal(proto_wr_len(&w), 0);

	proto_m2_clear(&back);
	for (size_t i = 0; i < sizeof(back); i++)
		assert_int_equal(((uint8_t *)&back)[i], 0);
	proto_m2_clear(NULL);
}

/* Offsets into an encoding with no counts, no rights, one purchase. */
#define OFF_PURCHASE_SEQ 4
#define OFF_ACKED 8
#define OFF_LOCKED 20
#define OFF_N_COUNTS PROTO_M2_FIXED_LEN
#define OFF_N_PURCHASES (PROTO_M2_FIXED_LEN + 2)
#define OFF_FIRST_SEQ (OFF_N_PURCHASES + 1)

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
	};

	(void)state;
	memset(&m, 0, sizeof(m));
	m.purchase_seq = 1;
	m.n_purchases = 1;
	m.purchases[0].seq = 1;
	n = m2_encode_to(&m, good, sizeof(good));
	assert_int_equal(n, PROTO_M2_FIXED_LEN + 3 + PROTO_PURCHASE_LEN);
	assert_int_equal(proto_m2_decode(good, n, &out), 0);
	assert_int_equal(good[OFF_FIRST_SEQ + 3], 1);

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

static size_t
seal(const struct card *c, uint8_t kind, uint32_t seq, const struct proto_m2 *m,
    uint8_t *out, size_t cap)
{
	uint8_t body[PROTO_M2_MAX_LEN];
	size_t n = m2_encode_to(m, body, sizeof(body));
	struct proto_wr w;

	proto_wr_init(&w, out, cap);
	assert_int_equal(proto_block_seal(kind, ua1, seq, &c->k, body, n, &w),
	    0);
	assert_int_equal(proto_wr_len(&w), PROTO_BLOCK_OVERHEAD + n);
	return proto_wr_len(&w);
}

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
	card_keys(&c);
	card_keys(&other);
	m2_full(&m);
	n = seal(&c, PROTO_BLOCK_EXPORT, 9, &m, buf, sizeof(buf));
	assert_int_equal(n, PROTO_BLOCK_MAX);
	assert_int_equal(proto_block_parse(buf, n, &b), 0);
	assert_int_equal(b.kind, PROTO_BLOCK_EXPORT);
	assert_memory_equal(b.ua, ua1, PROTO_UA_LEN);
	assert_int_equal(b.seq, 9);
	assert_int_equal(b.ct_len, PROTO_M2_MAX_LEN);
	assert_int_equal(b.signed_len, n - PROTO_EC_SIG_LEN);
	assert_int_equal(proto_block_verify(&b, c.k.sign_pub), 0);
	assert_int_equal(proto_block_verify(&b, other.k.sign_pub),
	    PROTO_ERR_AUTH);
	assert_int_equal(proto_block_open(&b, c.k.kt, &out), 0);
	assert_int_equal(out.n_purchases, PROTO_M2_MAX_PURCHASES);
	assert_int_equal(out.purchases[5].event, m.purchases[5].event);

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
	bad[1 + 1 + PROTO_UA_LEN + 3] ^= 1;
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
		{ 0, 0x03, PROTO_ERR_FORMAT },                    /* kind */
		{ 1, PROTO_BLOCK_VERSION + 1, PROTO_ERR_FORMAT }, /* version */
		{ PROTO_BLOCK_HDR_LEN - 3, 0xff, PROTO_ERR_TOOBIG },
		{ PROTO_BLOCK_HDR_LEN - 1, 0x00, PROTO_ERR_TRAILING },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, buf, n);
		bad[cases[i].off] = cases[i].v;
		memset(&b2, POISON, sizeof(b2));
		assert_int_equal(proto_block_parse(bad, n, &b2), cases[i].rc);
		assert_int_equal(b2.kind, POISON);
	}
	assert_int_equal(proto_block_parse(buf, n - 1, &b2), PROTO_ERR_SHORT);
	assert_int_equal(proto_block_parse(buf, n + 1, &b2),
	    PROTO_ERR_TRAILING);
	assert_int_equal(b2.kind, POISON);

	/* a body over the limit, or no room: nothing written */
	proto_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(proto_block_seal(PROTO_BLOCK_UPLINK, ua1, 1, &c.k, bad,
			     PROTO_M2_MAX_LEN + 1, &w),
	    PROTO_ERR_TOOBIG);
	proto_wr_init(&w, buf, PROTO_BLOCK_OVERHEAD + 9);
	assert_int_equal(proto_block_seal(PROTO_BLOCK_UPLINK, ua1, 1, &c.k, bad,
			     10, &w),
	    PROTO_ERR_NOSPACE);
	assert_int_equal(proto_wr_len(&w), 0);
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
sign_cmd(uint8_t type, uint32_t arg1, const uint8_t priv[PROTO_EC_PRIV_LEN],
    const uint8_t pub[PROTO_EC_PUB_LEN], uint8_t *out)
{
	struct proto_cmd c = { .type = type,
		.counter = 5,
		.arg1 = arg1,
		.arg2 = 1900000000u };
	struct proto_wr w;

	memcpy(c.ua, ua1, PROTO_UA_LEN);
	proto_wr_init(&w, out, PROTO_CMD_MAX_LEN);
	assert_int_equal(proto_cmd_sign(&c, priv, pub, &w), 0);
	return proto_wr_len(&w);
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
	};

	(void)state;
	assert_int_equal(proto_ec_keygen(priv, pub), 0);
	assert_int_equal(proto_ec_keygen(priv2, pub2), 0);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = sign_cmd(types[i].type, 77, priv, pub, buf);
		assert_int_equal(n,
		    PROTO_CMD_MAX_LEN - PROTO_CMD_PARAMS_MAX + types[i].params);
		memset(&c, 0, sizeof(c));
		assert_int_equal(proto_cmd_verify(buf, n, pub, &c), 0);
		assert_int_equal(c.type, types[i].type);
		assert_int_equal(c.counter, 5);
		assert_int_equal(c.arg1, types[i].params > 0 ? 77 : 0);
		assert_int_equal(c.arg2,
		    types[i].type == PROTO_CMD_GRANT ? 1900000000u : 0);
		assert_string_equal(proto_cmd_name(types[i].type),
		    types[i].name);
	}
	assert_string_equal(proto_cmd_name(0x7f), "unknown");

	n = sign_cmd(PROTO_CMD_GRANT, 9, priv, pub, buf);
	memset(&c, POISON, sizeof(c));
	assert_int_equal(proto_cmd_verify(buf, n, pub2, &c), PROTO_ERR_AUTH);
	assert_int_equal(c.type, POISON);
	assert_int_equal(proto_cmd_parse(buf, n, &c, &sp, &slen, &sig), 0);
	assert_ptr_equal(sp, buf);
	assert_int_equal(slen, n - PROTO_EC_SIG_LEN);
	assert_ptr_equal(sig, buf + slen);

	/* refusals: version, unknown type, parameter length, truncation */
	const struct {
		size_t off;
		uint8_t v;
	} cases[] = { { 0, PROTO_CMD_VERSION + 1 }, { 1, 0x7f },
		{ 1, PROTO_CMD_REVOKE }, { 1 + 1 + PROTO_UA_LEN + 4, 5 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, buf, n);
		bad[cases[i].off] = cases[i].v;
		memset(&c, POISON, sizeof(c));
		assert_int_equal(proto_cmd_verify(bad, n, pub, &c),
		    PROTO_ERR_FORMAT);
		assert_int_equal(c.type, POISON);
	}
	assert_int_equal(proto_cmd_verify(buf, n - 1, pub, &c),
	    PROTO_ERR_SHORT);
	buf[n] = 0;
	assert_int_equal(proto_cmd_verify(buf, n + 1, pub, &c),
	    PROTO_ERR_TRAILING);
	assert_int_equal(c.type, POISON);

	/* what cannot be signed writes nothing */
	c = (struct proto_cmd){ .type = 0x7f };
	proto_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(proto_cmd_sign(&c, priv, pub, &w), PROTO_ERR_ARG);
	c = (struct proto_cmd){ .type = PROTO_CMD_GRANT, .arg1 = 0x10000 };
	assert_int_equal(proto_cmd_sign(&c, priv, pub, &w), PROTO_ERR_RANGE);
	c.arg1 = 1;
	proto_wr_init(&w, buf, PROTO_CMD_MAX_LEN - 1);
	assert_int_equal(proto_cmd_sign(&c, priv, pub, &w), PROTO_ERR_NOSPACE);
	assert_int_equal(proto_wr_len(&w), 0);
}

static void
test_uplink_outputs_on_success_only(void **state)
{
	static struct proto_up_answer a, before;
	uint8_t hdr[PROTO_UPLINK_HDR_LEN] = { PROTO_UP_BLOCK, 0xff, 0xff, 0xff,
		0xff };
	uint8_t frame[64], body[8] = { 0 };
	struct proto_up_result res = { .index = 1,
		.status = PROTO_UP_ACCEPTED };
	struct proto_wr w;
	uint8_t type = 0;
	size_t len = 99;
	int done = 0;

	(void)state;
	assert_int_equal(proto_up_header(hdr, &type, &len), PROTO_ERR_TOOBIG);
	assert_int_equal(type, 0);
	assert_int_equal(len, 99);
	hdr[1] = hdr[2] = hdr[3] = 0;
	hdr[4] = 12;
	assert_int_equal(proto_up_header(hdr, &type, &len), 0);
	assert_int_equal(type, PROTO_UP_BLOCK);
	assert_int_equal(len, 12);

	memset(&a, 0, sizeof(a));
	a.invoiced = 3;
	before = a;
	/* a RESULT too short, a DONE too long: nothing taken */
	assert_int_equal(proto_up_answer_take(&a, PROTO_UP_RESULT, body, 4,
			     &done),
	    PROTO_ERR_SHORT);
	assert_memory_equal(&a, &before, sizeof(a));
	memset(frame, 0, sizeof(frame));
	assert_int_equal(proto_up_answer_take(&a, PROTO_UP_DONE, frame, 9,
			     &done),
	    PROTO_ERR_FORMAT);
	assert_int_equal(done, 0);
	assert_memory_equal(&a, &before, sizeof(a));
	assert_int_equal(proto_up_answer_take(&a, PROTO_UP_DONE, body, 8,
			     &done),
	    0);
	assert_int_equal(done, 1);
	assert_int_equal(a.invoiced, 0);

	proto_wr_init(&w, frame, sizeof(frame));
	assert_int_equal(proto_up_result_encode(&res, &w), 0);
	assert_int_equal(proto_up_answer_take(&a, PROTO_UP_RESULT,
			     frame + PROTO_UPLINK_HDR_LEN,
			     proto_wr_len(&w) - PROTO_UPLINK_HDR_LEN, &done),
	    0);
	assert_int_equal(a.n_res, 1);
	assert_int_equal(a.res[0].index, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_m2_sizes_and_roundtrip),
		cmocka_unit_test(test_m2_decode_refusals),
		cmocka_unit_test(test_block),
		cmocka_unit_test(test_ecm),
		cmocka_unit_test(test_cmd),
		cmocka_unit_test(test_uplink_outputs_on_success_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
