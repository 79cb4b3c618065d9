/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the uplink session's frames, version 2 (HELLO, the
 * center's CHALLENGE, the reasons, the answer reader) and of the card
 * certificate.  Every refusal is checked for its error and for outputs
 * left as they were.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../proto/cert.h"
#include "../../proto/proto.h"
#include "../../proto/uplink.h"

#define POISON 0xa5

static const uint8_t ua1[PROTO_UA_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static void
test_hello(void **state)
{
	struct proto_up_hello h = { .has_card = 1 }, back;
	uint8_t frame[64], bad[sizeof(frame)];
	const uint8_t *body = frame + PROTO_UPLINK_HDR_LEN;
	struct proto_wr w;
	size_t n;

	(void)state;
	assert_int_equal(PROTO_UPLINK_VERSION, 2);
	memset(h.decoder_id, 0xd0, sizeof(h.decoder_id));
	memcpy(h.ua, ua1, PROTO_UA_LEN);
	proto_wr_init(&w, frame, sizeof(frame));
	assert_int_equal(proto_up_hello_encode(&h, &w), 0);
	n = proto_wr_len(&w) - PROTO_UPLINK_HDR_LEN;
	assert_int_equal(n, 1 + PROTO_DECODER_ID_LEN + 1 + PROTO_UA_LEN);
	assert_int_equal(frame[0], PROTO_UP_HELLO);
	assert_int_equal(body[0], PROTO_UPLINK_VERSION);
	assert_int_equal(proto_up_hello_decode(body, n, &back), 0);
	assert_int_equal(back.has_card, 1);
	assert_memory_equal(back.ua, ua1, PROTO_UA_LEN);
	assert_memory_equal(back.decoder_id, h.decoder_id,
	    PROTO_DECODER_ID_LEN);

	/* version 1 (and 3), a card-present byte of 2: refused */
	const struct {
		size_t off;
		uint8_t v;
	} cases[] = { { 0, 1 }, { 0, 3 }, { 1 + PROTO_DECODER_ID_LEN, 2 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, body, n);
		bad[cases[i].off] = cases[i].v;
		memset(&back, POISON, sizeof(back));
		assert_int_equal(proto_up_hello_decode(bad, n, &back),
		    PROTO_ERR_FORMAT);
		assert_int_equal(back.has_card, POISON);
	}
	for (size_t len = 0; len < n; len++)
		assert_int_equal(proto_up_hello_decode(body, len, &back),
		    PROTO_ERR_SHORT);
	assert_int_equal(proto_up_hello_decode(body, n + 1, &back),
	    PROTO_ERR_TRAILING);
	assert_int_equal(back.has_card, POISON);
}

static void
test_challenge(void **state)
{
	uint8_t nonce[PROTO_CHALLENGE_LEN], got[PROTO_CHALLENGE_LEN];
	uint8_t frame[PROTO_UPLINK_HDR_LEN + PROTO_CHALLENGE_LEN + 1];
	struct proto_wr w;
	uint8_t type;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0x30 + i);
	proto_wr_init(&w, frame, sizeof(frame));
	assert_int_equal(proto_up_challenge_encode(nonce, &w), 0);
	assert_int_equal(proto_wr_len(&w),
	    PROTO_UPLINK_HDR_LEN + PROTO_CHALLENGE_LEN);
	assert_int_equal(proto_up_header(frame, &type, &len), 0);
	assert_int_equal(type, PROTO_UP_CHALLENGE);
	assert_int_equal(type, 0x15);
	assert_int_equal(len, PROTO_CHALLENGE_LEN);
	assert_int_equal(proto_up_challenge_decode(frame + PROTO_UPLINK_HDR_LEN,
			     len, got),
	    0);
	assert_memory_equal(got, nonce, sizeof(nonce));
	/* too short, too long: the nonce is left alone */
	memset(got, POISON, sizeof(got));
	for (size_t n = 0; n < PROTO_CHALLENGE_LEN; n++)
		assert_int_equal(proto_up_challenge_decode(frame +
					 PROTO_UPLINK_HDR_LEN,
				     n, got),
		    PROTO_ERR_SHORT);
	assert_int_equal(proto_up_challenge_decode(frame + PROTO_UPLINK_HDR_LEN,
			     PROTO_CHALLENGE_LEN + 1, got),
	    PROTO_ERR_TRAILING);
	assert_int_equal(got[0], POISON);
	assert_int_equal(got[PROTO_CHALLENGE_LEN - 1], POISON);
	/* no room: nothing written */
	proto_wr_init(&w, frame,
	    PROTO_UPLINK_HDR_LEN + PROTO_CHALLENGE_LEN - 1);
	assert_int_equal(proto_up_challenge_encode(nonce, &w),
	    PROTO_ERR_NOSPACE);
	assert_int_equal(proto_wr_len(&w), 0);
}

static void
test_reasons(void **state)
{
	const struct {
		uint8_t reason;
		int final;
	} reasons[] = {
		{ PROTO_UP_OK, 0 },
		{ PROTO_UP_UNKNOWN_UA, 1 },
		{ PROTO_UP_BAD_SIGNATURE, 1 },
		{ PROTO_UP_UNDECRYPTABLE, 1 },
		{ PROTO_UP_MALFORMED, 1 },
		{ PROTO_UP_WRONG_CARD, 0 },
		{ PROTO_UP_PROTOCOL, 0 },
		{ PROTO_UP_BUSY, 0 },
		{ PROTO_UP_INTERNAL, 0 },
		{ PROTO_UP_WRONG_KIND, 1 },
		{ PROTO_UP_STALE, 0 },
		{ PROTO_UP_REVOKED, 1 },
		{ PROTO_UP_FULL, 0 },
		{ PROTO_UP_DEADLINE, 0 },
	};
	const size_t n = sizeof(reasons) / sizeof(reasons[0]);

	(void)state;
	assert_int_equal(PROTO_UP_WRONG_KIND, 0x09);
	assert_int_equal(PROTO_UP_DEADLINE, 0x0d);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(reasons[i].reason, i); /* 00 .. 0D, no gap */
		assert_string_not_equal(proto_up_reason(reasons[i].reason),
		    "unknown reason");
		assert_int_equal(proto_up_reason_final(reasons[i].reason),
		    reasons[i].final);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(proto_up_reason(
						    reasons[i].reason),
			    proto_up_reason(reasons[j].reason));
	}
	assert_non_null(strstr(proto_up_reason(PROTO_UP_FULL), "center busy"));
	assert_string_equal(proto_up_reason(0x0e), "unknown reason");
	assert_int_equal(proto_up_reason_final(0x0e), 0);
}

static void
test_uplink_outputs_on_success_only(void **state)
{
	static struct proto_up_answer a, before;
	uint8_t hdr[PROTO_UPLINK_HDR_LEN] = { PROTO_UP_BLOCK, 0xff, 0xff, 0xff,
		0xff };
	uint8_t frame[64], body[PROTO_CHALLENGE_LEN] = { 0 };
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
	/* a CHALLENGE belongs before the blocks, not in the answer */
	assert_int_equal(proto_up_answer_take(&a, PROTO_UP_CHALLENGE, body,
			     sizeof(body), &done),
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
	/* an ERROR of the new reasons reaches the caller */
	body[0] = PROTO_UP_FULL;
	assert_int_equal(proto_up_answer_take(&a, PROTO_UP_ERROR, body, 1,
			     &done),
	    PROTO_ERR_STATE);
	assert_int_equal(a.error, PROTO_UP_FULL);
}

/* --- the card certificate ------------------------------------------------ */

/* Certificate offsets. */
#define TOFF_UA 1
#define TOFF_PUB (TOFF_UA + PROTO_UA_LEN)
#define TOFF_VERSIONS (TOFF_PUB + PROTO_EC_PUB_LEN)
#define TOFF_SIG (TOFF_VERSIONS + PROTO_VERSIONS_LEN)

struct certfix {
	uint8_t issuer_priv[PROTO_EC_PRIV_LEN], issuer_pub[PROTO_EC_PUB_LEN];
	uint8_t card_priv[PROTO_EC_PRIV_LEN];
	struct proto_cert c;
	uint8_t buf[PROTO_CERT_LEN + 1];
	size_t n;
};

static void
certfix_make(struct certfix *f)
{
	struct proto_wr w;

	memset(f, 0, sizeof(*f));
	assert_int_equal(proto_ec_keygen(f->issuer_priv, f->issuer_pub), 0);
	assert_int_equal(proto_ec_keygen(f->card_priv, f->c.pub), 0);
	memcpy(f->c.ua, ua1, PROTO_UA_LEN);
	f->c.versions[0] = 1;
	f->c.versions[3] = 9;
	proto_wr_init(&w, f->buf, sizeof(f->buf));
	assert_int_equal(proto_cert_sign(&f->c, f->issuer_priv, f->issuer_pub,
			     &w),
	    0);
	f->n = proto_wr_len(&w);
}

static void
assert_cert_poisoned(const struct proto_cert *c)
{
	const uint8_t *p = (const uint8_t *)c;

	for (size_t i = 0; i < sizeof(*c); i++)
		assert_int_equal(p[i], POISON);
}

static void
test_cert(void **state)
{
	static struct certfix f;
	uint8_t other_priv[PROTO_EC_PRIV_LEN], other_pub[PROTO_EC_PUB_LEN];
	struct proto_cert back;

	(void)state;
	certfix_make(&f);
	assert_int_equal(PROTO_CERT_LEN, 142);
	assert_int_equal(TOFF_SIG + PROTO_EC_SIG_LEN, PROTO_CERT_LEN);
	assert_int_equal(f.n, PROTO_CERT_LEN);
	assert_int_equal(f.buf[0], PROTO_CERT_VERSION);
	assert_memory_equal(f.buf + TOFF_UA, ua1, PROTO_UA_LEN);
	assert_memory_equal(f.buf + TOFF_PUB, f.c.pub, PROTO_EC_PUB_LEN);
	assert_memory_equal(f.buf + TOFF_VERSIONS, f.c.versions,
	    PROTO_VERSIONS_LEN);
	assert_int_equal(proto_cert_verify(f.buf, f.n, f.issuer_pub, &back), 0);
	assert_memory_equal(back.ua, ua1, PROTO_UA_LEN);
	assert_memory_equal(back.pub, f.c.pub, PROTO_EC_PUB_LEN);
	assert_memory_equal(back.versions, f.c.versions, PROTO_VERSIONS_LEN);
	memset(&back, POISON, sizeof(back));
	assert_int_equal(proto_cert_parse(f.buf, f.n, &back), 0);
	assert_memory_equal(back.pub, f.c.pub, PROTO_EC_PUB_LEN);

	/* another issuer: not genuine */
	assert_int_equal(proto_ec_keygen(other_priv, other_pub), 0);
	memset(&back, POISON, sizeof(back));
	assert_int_equal(proto_cert_verify(f.buf, f.n, other_pub, &back),
	    PROTO_ERR_AUTH);
	assert_cert_poisoned(&back);
	/* the issuer's key signs, not the card's own */
	assert_int_equal(proto_cert_verify(f.buf, f.n, f.c.pub, &back),
	    PROTO_ERR_AUTH);
	assert_cert_poisoned(&back);
}

static void
test_cert_refusals(void **state)
{
	static struct certfix f;
	uint8_t bad[PROTO_CERT_LEN];
	struct proto_cert back;
	struct proto_wr w;

	(void)state;
	certfix_make(&f);
	/* any bit of any byte: refused (layout or signature), nothing out */
	for (size_t i = 0; i < f.n * 8; i++) {
		int rc;

		memcpy(bad, f.buf, f.n);
		bad[i / 8] ^= (uint8_t)(1 << (i % 8));
		memset(&back, POISON, sizeof(back));
		rc = proto_cert_verify(bad, f.n, f.issuer_pub, &back);
		if (i / 8 == 0 || i / 8 == TOFF_PUB)
			assert_int_equal(rc, PROTO_ERR_FORMAT);
		else if (rc != PROTO_ERR_AUTH)
			fail_msg("bit %zu flipped: %d", i, rc);
		assert_cert_poisoned(&back);
	}
	/* version 2; a compressed point */
	memcpy(bad, f.buf, f.n);
	bad[0] = PROTO_CERT_VERSION + 1;
	assert_int_equal(proto_cert_parse(bad, f.n, &back), PROTO_ERR_FORMAT);
	memcpy(bad, f.buf, f.n);
	bad[TOFF_PUB] = 0x02;
	assert_int_equal(proto_cert_parse(bad, f.n, &back), PROTO_ERR_FORMAT);
	/* every truncation, and one byte too many */
	for (size_t len = 0; len < f.n; len++)
		assert_int_equal(proto_cert_verify(f.buf, len, f.issuer_pub,
				     &back),
		    PROTO_ERR_SHORT);
	f.buf[f.n] = 0;
	assert_int_equal(proto_cert_verify(f.buf, f.n + 1, f.issuer_pub, &back),
	    PROTO_ERR_TRAILING);
	assert_int_equal(proto_cert_parse(f.buf, f.n + 1, &back),
	    PROTO_ERR_TRAILING);
	assert_cert_poisoned(&back);
	/* what cannot be signed writes nothing */
	proto_wr_init(&w, bad, PROTO_CERT_LEN - 1);
	assert_int_equal(proto_cert_sign(&f.c, f.issuer_priv, f.issuer_pub, &w),
	    PROTO_ERR_NOSPACE);
	assert_int_equal(proto_wr_len(&w), 0);
	f.c.pub[0] = 0x03;
	proto_wr_init(&w, bad, sizeof(bad));
	assert_int_equal(proto_cert_sign(&f.c, f.issuer_priv, f.issuer_pub, &w),
	    PROTO_ERR_ARG);
	assert_int_equal(proto_wr_len(&w), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_uplink_outputs_on_success_only),
		cmocka_unit_test(test_cert),
		cmocka_unit_test(test_cert_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
