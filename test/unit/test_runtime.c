/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * Unit tests of the runtime's APDU dispatcher: SELECT rules, class and
 * instruction errors, response chaining with 61xx and GET RESPONSE,
 * extended responses, transactions left open, reset.  Every error case
 * also checks that the card image did not change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "image_check.c"

#include "../../card/applets.h"
#include "../../card/runtime.h"
#include "../../card/store.h"
#include "../../card/vpcd.h"
#include "../../proto/proto.h"

/* A test applet: INS 01 returns P1P2 bytes; INS 02 leaves a transaction
 * open; INS 03 returns an invalid status word; INS 04 writes transient
 * memory, INS 05 reads it back. */
static const uint8_t test_aid[] = { 0xf0, 'T', 'E', 'S', 'T', 0x01, 0x02 };

static uint16_t
test_process(struct card_ctx *ctx)
{
	const struct proto_apdu *a = ctx->apdu;
	size_t n = (size_t)a->p1 << 8 | a->p2;

	switch (a->ins) {
	case 0x01:
		for (size_t i = 0; i < n; i++)
			if (proto_wr_u8(ctx->resp, (uint8_t)i) != 0)
				return PROTO_SW_UNKNOWN;
		return PROTO_SW_OK;
	case 0x02:
		card_store_begin(ctx->store);
		card_store_write(ctx->store, ctx->region, 0, "zz", 2);
		return PROTO_SW_OK;
	case 0x03:
		return 0x1234;
	case 0x04:
		ctx->transient[0] = 0x77;
		return PROTO_SW_OK;
	case 0x05:
		return proto_wr_u8(ctx->resp, ctx->transient[0]) == 0 ?
		    PROTO_SW_OK :
		    PROTO_SW_UNKNOWN;
	default:
		return PROTO_SW_INS_NOT_SUPPORTED;
	}
}

static const struct card_applet test_applet = {
	.name = "test",
	.aid = test_aid,
	.aidlen = sizeof(test_aid),
	.region_size = 16,
	.process = test_process,
};

static const struct card_applet *const both[] = { &card_ident_applet,
	&test_applet };

struct fx {
	char dir[64], path[128];
	struct card_store *s;
	struct card_rt *rt;
	uint8_t out[70000];
	size_t n;
	struct image_snap snap;
};

static int
setup(void **state)
{
	static const uint8_t serial[CARD_SERIAL_LEN] = { 0xca, 0xfe, 0, 0, 0, 0,
		0, 1 };
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ptv-rt.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/c.img", f->dir);
	if (card_store_create(f->path, serial, &f->s) != 0 ||
	    card_rt_install(f->s, &card_ident_applet) != 0 ||
	    card_rt_install(f->s, &test_applet) != 0 ||
	    card_rt_new(f->s, both, 2, &f->rt) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	card_rt_free(&f->rt);
	card_store_free(&f->s);
	free(f->snap.img);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static uint16_t
tx(struct fx *f, const uint8_t *cmd, size_t len)
{
	f->n = card_rt_transmit(f->rt, cmd, len, f->out, sizeof(f->out));
	assert_true(f->n >= 2);
	return (uint16_t)(f->out[f->n - 2] << 8 | f->out[f->n - 1]);
}

#define TX(f, ...)                              \
	tx(f, (const uint8_t[]){ __VA_ARGS__ }, \
	    sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void
snapshot(struct fx *f)
{
	image_snapshot(f->s, &f->snap);
}

static void
assert_unchanged(struct fx *f)
{
	image_assert_unchanged(f->s, &f->snap);
}

#define SELECT_IDENT \
	0x00, 0xa4, 0x04, 0x00, 0x07, 0xf0, 'P', 'T', 'V', 'I', 'D', 0x01
#define SELECT_TEST \
	0x00, 0xa4, 0x04, 0x00, 0x07, 0xf0, 'T', 'E', 'S', 'T', 0x01, 0x02

static void
test_select_rules(void **state)
{
	struct fx *f = *state;

	snapshot(f);
	/* nothing selected yet */
	assert_int_equal(TX(f, 0x00, 0xca, 0x01, 0x01, 0x00), 0x6d00);
	assert_int_equal(TX(f, 0x80, 0x10, 0x00, 0x00), 0x6e00);
	/* foreign AIDs, as opensc-tool probes */
	assert_int_equal(TX(f, 0x00, 0xa4, 0x04, 0x00, 0x07, 0xa0, 0x00, 0x00,
			     0x00, 0x03, 0x10, 0x10),
	    0x6a82);
	assert_int_equal(TX(f, 0x00, 0xa4, 0x00, 0x0c, 0x02, 0x3f, 0x00),
	    0x6a82);
	assert_int_equal(TX(f, 0x00, 0xa4, 0x04, 0x00), 0x6a82);
	/* exact */
	assert_int_equal(TX(f, SELECT_IDENT), 0x9000);
	assert_int_equal(f->n, 2);
	assert_int_equal(TX(f, 0x00, 0xca, 0x01, 0x01, 0x00), 0x9000);
	assert_memory_equal(f->out, "\xca\xfe\0\0\0\0\0\1", 8);
	/* a failed SELECT keeps the current applet */
	assert_int_equal(TX(f, 0x00, 0xa4, 0x04, 0x00, 0x05, 1, 2, 3, 4, 5),
	    0x6a82);
	assert_int_equal(TX(f, 0x00, 0xca, 0x01, 0x01, 0x00), 0x9000);
	/* partial: 5 bytes of the test applet's AID; fewer do not match */
	assert_int_equal(TX(f, 0x00, 0xa4, 0x04, 0x00, 0x05, 0xf0, 'T', 'E',
			     'S', 'T', 0x00),
	    0x9000);
	assert_memory_equal(f->out, "\x6f\x09\x84\x07\xf0TEST\x01\x02", 11);
	assert_int_equal(TX(f, 0x00, 0x01, 0x00, 0x01, 0x00), 0x9000);
	assert_int_equal(TX(f, 0x00, 0xa4, 0x04, 0x00, 0x04, 0xf0, 'P', 'T',
			     'V'),
	    0x6a82);
	/* P2 asking for the next occurrence */
	assert_int_equal(TX(f, 0x00, 0xa4, 0x04, 0x02, 0x07, 0xf0, 'P', 'T',
			     'V', 'I', 'D', 0x01),
	    0x6a86);
	assert_unchanged(f);
}

static void
test_class_and_length_errors(void **state)
{
	struct fx *f = *state;

	assert_int_equal(TX(f, SELECT_IDENT), 0x9000);
	snapshot(f);
	assert_int_equal(TX(f, 0xff, 0xca, 0x01, 0x01, 0x00), 0x6e00);
	assert_int_equal(TX(f, 0x01, 0xca, 0x01, 0x01, 0x00), 0x6881);
	assert_int_equal(TX(f, 0x90, 0xca, 0x01, 0x01, 0x00), 0x6e00);
	assert_int_equal(TX(f, 0x00, 0x99, 0x00, 0x00, 0x00), 0x6d00);
	assert_int_equal(TX(f, 0x00, 0xca, 0x02, 0x01, 0x00), 0x6a86);
	assert_int_equal(TX(f, 0x00, 0xca, 0x01, 0x09, 0x00), 0x6a86);
	assert_int_equal(TX(f, 0x00, 0xca, 0x01, 0x01, 0x01, 0x00, 0x00),
	    0x6700);
	assert_int_equal(TX(f, 0x80, 0x10, 0x01, 0x00), 0x6a86);
	assert_int_equal(TX(f, 0x80, 0x10, 0x00, 0x00, 0x01, 0x01), 0x6700);
	/* malformed encodings */
	assert_int_equal(TX(f, 0x00, 0xca, 0x01), 0x6700);
	assert_int_equal(TX(f, 0x00, 0xca), 0x6700);
	assert_int_equal(TX(f, 0x00, 0xca, 0x01, 0x01, 0x05, 0x01), 0x6700);
	assert_int_equal(TX(f, 0x00, 0xca, 0x01, 0x01, 0x00, 0x01), 0x6700);
	assert_unchanged(f);
	/* and the applet still answers */
	assert_int_equal(TX(f, 0x00, 0xca, 0x01, 0x02, 0x00), 0x9000);
	assert_int_equal(f->n, 6);
}

static void
test_mutation(void **state)
{
	struct fx *f = *state;
	unsigned long commits = card_store_commits(f->s);

	assert_int_equal(TX(f, SELECT_IDENT), 0x9000);
	assert_int_equal(TX(f, 0x80, 0x10, 0x00, 0x00, 0x04), 0x9000);
	assert_memory_equal(f->out, "\0\0\0\1", 4);
	assert_int_equal(TX(f, 0x80, 0x10, 0x00, 0x00, 0x04), 0x9000);
	assert_int_equal(TX(f, 0x00, 0xca, 0x01, 0x03, 0x00), 0x9000);
	assert_memory_equal(f->out, "\0\0\0\2", 4);
	assert_int_equal(card_store_commits(f->s), commits + 2);
}

static void
test_chaining(void **state)
{
	struct fx *f = *state;

	assert_int_equal(TX(f, SELECT_TEST), 0x9000);
	/* 300 bytes against Le 00 (256): 256 now, 44 by GET RESPONSE */
	assert_int_equal(TX(f, 0x00, 0x01, 0x01, 0x2c, 0x00), 0x612c);
	assert_int_equal(f->n, 258);
	assert_int_equal(f->out[255], 255);
	assert_int_equal(TX(f, 0x00, 0xc0, 0x00, 0x00, 0x2c), 0x9000);
	assert_int_equal(f->n, 46);
	assert_int_equal(f->out[0], (uint8_t)256);
	assert_int_equal(TX(f, 0x00, 0xc0, 0x00, 0x00, 0x10), 0x6985);
	/* no Le at all: nothing now, 61 00 (256 or more) */
	assert_int_equal(TX(f, 0x00, 0x01, 0x01, 0x2c), 0x6100);
	assert_int_equal(f->n, 2);
	/* GET RESPONSE under a proprietary CLA, short Le: partial chunks */
	assert_int_equal(TX(f, 0x80, 0xc0, 0x00, 0x00, 0x64), 0x61c8);
	assert_int_equal(f->out[0], 0);
	assert_int_equal(TX(f, 0x00, 0xc0, 0x01, 0x00, 0x64), 0x6a86);
	assert_int_equal(TX(f, 0x00, 0xc0, 0x00, 0x00), 0x6700);
	assert_int_equal(TX(f, 0x00, 0xc0, 0x00, 0x00, 0x00), 0x9000);
	assert_int_equal(f->n, 202);
	assert_int_equal(f->out[0], 100);
	/* any other command drops a pending response */
	assert_int_equal(TX(f, 0x00, 0x01, 0x01, 0x2c, 0x10), 0x6100);
	assert_int_equal(TX(f, 0x00, 0x01, 0x00, 0x01, 0x01), 0x9000);
	assert_int_equal(TX(f, 0x00, 0xc0, 0x00, 0x00, 0x10), 0x6985);
	/* Le shorter than the response: Le bytes and the rest announced */
	assert_int_equal(TX(f, 0x00, 0x01, 0x00, 0x10, 0x04), 0x610c);
	assert_int_equal(f->n, 6);
}

static void
test_extended(void **state)
{
	struct fx *f = *state;

	assert_int_equal(TX(f, SELECT_TEST), 0x9000);
	/* 4 KiB in one extended response */
	assert_int_equal(TX(f, 0x00, 0x01, 0x10, 0x00, 0x00, 0x10, 0x00),
	    0x9000);
	assert_int_equal(f->n, 4098);
	/* Le 0000 = 65536 */
	assert_int_equal(TX(f, 0x00, 0x01, 0x7f, 0xff, 0x00, 0x00, 0x00),
	    0x9000);
	assert_int_equal(f->n, 0x7fff + 2);
	/* more than the applet may build */
	assert_int_equal(TX(f, 0x00, 0x01, 0x80, 0x01, 0x00, 0x00, 0x00),
	    0x6f00);
	assert_int_equal(f->n, 2);
}

static void
test_applet_faults(void **state)
{
	struct fx *f = *state;

	assert_int_equal(TX(f, SELECT_TEST), 0x9000);
	snapshot(f);
	assert_int_equal(TX(f, 0x00, 0x02, 0x00, 0x00), 0x6f00);
	assert_int_equal(card_store_in_tx(f->s), 0);
	assert_unchanged(f);
	assert_int_equal(TX(f, 0x00, 0x03, 0x00, 0x00), 0x6f00);
	/* the card keeps running */
	assert_int_equal(TX(f, 0x00, 0x01, 0x00, 0x02, 0x00), 0x9000);
}

static void
test_reset(void **state)
{
	struct fx *f = *state;

	assert_int_equal(TX(f, SELECT_TEST), 0x9000);
	assert_int_equal(TX(f, 0x00, 0x04, 0x00, 0x00), 0x9000);
	assert_int_equal(TX(f, 0x00, 0x05, 0x00, 0x00, 0x01), 0x9000);
	assert_int_equal(f->out[0], 0x77);
	assert_int_equal(TX(f, 0x00, 0x01, 0x01, 0x2c, 0x10), 0x6100);
	card_rt_reset(f->rt);
	/* deselected, nothing pending */
	assert_int_equal(TX(f, 0x00, 0x05, 0x00, 0x00, 0x01), 0x6d00);
	assert_int_equal(TX(f, 0x00, 0xc0, 0x00, 0x00, 0x10), 0x6985);
	/* transient memory cleared */
	assert_int_equal(TX(f, SELECT_TEST), 0x9000);
	assert_int_equal(TX(f, 0x00, 0x05, 0x00, 0x00, 0x01), 0x9000);
	assert_int_equal(f->out[0], 0x00);
	/* SELECT of another applet clears it too */
	assert_int_equal(TX(f, 0x00, 0x04, 0x00, 0x00), 0x9000);
	assert_int_equal(TX(f, SELECT_IDENT), 0x9000);
	assert_int_equal(TX(f, SELECT_TEST), 0x9000);
	assert_int_equal(TX(f, 0x00, 0x05, 0x00, 0x00, 0x01), 0x9000);
	assert_int_equal(f->out[0], 0x00);
}

static void
test_atr(void **state)
{
	uint8_t atr[CARD_ATR_MAX], tck = 0;
	size_t n = card_atr(atr, sizeof(atr));

	(void)state;
	assert_true(n > 4);
	assert_int_equal(atr[0], 0x3b);
	assert_int_equal(atr[2] & 0x0f, 1); /* T=1 */
	for (size_t i = 1; i < n; i++)
		tck ^= atr[i];
	assert_int_equal(tck, 0); /* TCK checks */
	/* TS T0 TD1 TD2 TA3 TB3, K historical bytes, TCK */
	assert_int_equal(atr[1] & 0x0f, n - 7);
	assert_int_equal(card_atr(atr, 4), 0);
}

/* The bytes vpcd sends for one frame. */
static size_t
vpcd_frame(uint8_t *out, const uint8_t *body, size_t n)
{
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;
	if (n > 0)
		memcpy(out + 2, body, n);
	return n + 2;
}

static void
test_vpcd_framing(void **state)
{
	static struct card_vpcd_rx rx;
	static uint8_t stream[3 * (2 + CARD_VPCD_FRAME_MAX)];
	static const uint8_t apdu[] = { SELECT_IDENT };
	static uint8_t big[CARD_VPCD_FRAME_MAX];
	const uint8_t atr_req = CARD_VPCD_CTRL_ATR, *frame;
	size_t n = 0, len, fed, got;

	(void)state;
	n += vpcd_frame(stream + n, &atr_req, 1);
	n += vpcd_frame(stream + n, apdu, sizeof(apdu));
	n += vpcd_frame(stream + n, NULL, 0);
	memset(rx.buf, 0, sizeof(rx.buf));
	rx.have = rx.consumed = 0;
	/* byte by byte: a frame appears only when its last byte is in */
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(card_vpcd_feed(&rx, stream + i, 1), 1);
		assert_int_equal(card_vpcd_take(&rx, &frame, &len), 0);
	}
	assert_int_equal(card_vpcd_feed(&rx, stream + 2, 1), 1);
	assert_int_equal(card_vpcd_take(&rx, &frame, &len), 1);
	assert_int_equal(len, 1);
	assert_int_equal(frame[0], CARD_VPCD_CTRL_ATR);
	assert_int_equal(card_vpcd_take(&rx, &frame, &len), 0);
	/* the rest at once: two frames, the empty one included */
	assert_int_equal(card_vpcd_feed(&rx, stream + 3, n - 3), n - 3);
	assert_int_equal(card_vpcd_take(&rx, &frame, &len), 1);
	assert_int_equal(len, sizeof(apdu));
	assert_memory_equal(frame, apdu, sizeof(apdu));
	assert_int_equal(card_vpcd_take(&rx, &frame, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(card_vpcd_take(&rx, &frame, &len), 0);
	assert_int_equal(rx.have, 0);

	/* largest frames back to back: the buffer takes one at a time */
	memset(big, 0x5a, sizeof(big));
	n = vpcd_frame(stream, big, sizeof(big));
	n += vpcd_frame(stream + n, big, sizeof(big));
	fed = card_vpcd_feed(&rx, stream, n);
	assert_int_equal(fed, sizeof(rx.buf));
	assert_int_equal(card_vpcd_feed(&rx, stream + fed, n - fed), 0);
	for (got = 0;;) {
		if (card_vpcd_take(&rx, &frame, &len) == 1) {
			assert_int_equal(len, sizeof(big));
			assert_memory_equal(frame, big, len);
			got++;
		} else if (fed < n) {
			fed += card_vpcd_feed(&rx, stream + fed, n - fed);
		} else {
			break;
		}
	}
	assert_int_equal(got, 2);
	assert_int_equal(fed, n);
}

static void
test_vpcd_answer(void **state)
{
	struct fx *f = *state;
	static const uint8_t select[] = { SELECT_TEST };
	uint8_t c, atr[CARD_ATR_MAX];
	size_t n = 99;

	c = CARD_VPCD_CTRL_ATR;
	assert_int_equal(card_vpcd_answer(f->rt, &c, 1, f->out, sizeof(f->out),
			     &n),
	    0);
	assert_int_equal(n, card_atr(atr, sizeof(atr)));
	assert_memory_equal(f->out, atr, n);
	assert_int_equal(card_vpcd_answer(f->rt, &c, 1, f->out, 4, &n),
	    PROTO_ERR_NOSPACE);

	/* an APDU gets its response; a reset deselects */
	assert_int_equal(card_vpcd_answer(f->rt, select, sizeof(select), f->out,
			     sizeof(f->out), &n),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(f->out[0], 0x90);
	assert_int_equal(TX(f, 0x00, 0x05, 0x00, 0x00, 0x01), 0x9000);
	for (c = CARD_VPCD_CTRL_OFF; c <= CARD_VPCD_CTRL_RESET; c++) {
		n = 99;
		assert_int_equal(card_vpcd_answer(f->rt, &c, 1, f->out,
				     sizeof(f->out), &n),
		    0);
		assert_int_equal(n, 0);
		assert_int_equal(TX(f, 0x00, 0x05, 0x00, 0x00, 0x01), 0x6d00);
		assert_int_equal(TX(f, SELECT_TEST), 0x9000);
	}
	/* an unknown control byte: no answer, still selected */
	c = 0x03;
	n = 99;
	assert_int_equal(card_vpcd_answer(f->rt, &c, 1, f->out, sizeof(f->out),
			     &n),
	    PROTO_ERR_FORMAT);
	assert_int_equal(n, 99);
	assert_int_equal(TX(f, 0x00, 0x05, 0x00, 0x00, 0x01), 0x9000);
	/* an empty frame is a malformed APDU */
	assert_int_equal(card_vpcd_answer(f->rt, select, 0, f->out,
			     sizeof(f->out), &n),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(f->out[0] << 8 | f->out[1], PROTO_SW_WRONG_LENGTH);
}

int
main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_select_rules),
		T(test_class_and_length_errors),
		T(test_mutation),
		T(test_chaining),
		T(test_extended),
		T(test_applet_faults),
		T(test_reset),
		cmocka_unit_test(test_atr),
		cmocka_unit_test(test_vpcd_framing),
		T(test_vpcd_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
