/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * The decoder's card code (decoder/card.c) through its injectable
 * transport: the APDUs it sends, every kind of malformed answer (short,
 * no status word, 61xx chains too long, wrong lengths, error status
 * words, a reader that lies about lengths) each failing with its error
 * and leaving every output as it was; then the same code against the
 * real security-module applet (the card runtime in memory), whose
 * recorded answers are the fuzz target's seed corpus and must replay.
 *
 * PTV_CORPUS_OUT=DIR writes the recordings into DIR (how
 * test/fuzz/corpus/card_answers/ was made).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../proto/buf.h"
#include "../../proto/file.h"
#include "../../proto/log.h"
#include "smfix.c"
#include "test_dec_tape.h"

static const uint8_t atr[] = { 0x3b, 0x80, 0x80, 0x01, 0x01 };
static const uint8_t ua1[PROTO_UA_LEN] = { 0xa1, 1, 2, 3, 4, 5, 6, 7 };
static const uint8_t ua2[PROTO_UA_LEN] = { 0xa2, 1, 2, 3, 4, 5, 6, 7 };
static struct proto_card_keys keys;

static const struct dec_card_state state1 = { .ua = { 0xa1, 1, 2, 3, 4, 5, 6,
						  7 },
	.locked = 0,
	.change_ctr = 7,
	.export_seq = 3,
	.credit = 500,
	.free_log = 60,
	.purchase_seq = 4,
	.acked_seq = 1,
	.cmd_ctr = 2 };

/* ATR, SELECT 9000, GET DATA: a card that opens. */
static void
tape_good_open(struct tape *t)
{
	tape_answer(t, atr, sizeof(atr), 0);
	tape_sw(t, PROTO_SW_OK);
	tape_state(t, &state1);
}

static size_t
make_block(const uint8_t ua[PROTO_UA_LEN], uint32_t seq, unsigned n,
    uint8_t *out)
{
	return tape_make_block(&keys, ua, seq, n, out);
}

static int
setup(void **state)
{
	(void)state;
	proto_log_set_level(PROTO_LOG_ERR);
	return tape_keys_make(&keys);
}

/* --- what the card code sends, and the answers it takes ----------------- */

static void
test_operations(void **state)
{
	static const uint8_t get_data[] = { 0x80, 0xca, 0x01, 0x00,
		SM_STATE_LEN };
	uint8_t blk[PROTO_BLOCK_MAX], got[PROTO_BLOCK_MAX], cw[PROTO_CW_LEN],
	    offer[10] = { 0, 0, 0, 42, 0, 0, 1, 44, 0, 7 },
	    bought[8] = { 0, 0, 0, 5, 0, 0, 1, 0x90 },
	    ecm[PROTO_ECM_LEN] = { 0 };
	struct dec_ecm_result e;
	struct dec_card c;
	struct tape t;
	uint32_t seq, credit;
	size_t n, len;
	uint16_t sw;

	(void)state;
	memset(cw, 0x5c, sizeof(cw));
	n = make_block(ua1, 9, 30, blk);
	assert_true(n > 2 * PROTO_APDU_SHORT_MAX_NE); /* three chunks */
	tape_init(&t, NULL, 0);
	tape_good_open(&t);
	tape_chained(&t, blk, n, PROTO_SW_OK);
	tape_answer(&t, cw, sizeof(cw), PROTO_SW_OK);
	tape_sw(&t, SM_SW_NOT_ENTITLED);
	tape_answer(&t, offer, sizeof(offer), SM_SW_PURCHASE_POSSIBLE);
	tape_answer(&t, bought, sizeof(bought), PROTO_SW_OK);
	tape_sw(&t, PROTO_SW_OK);
	tape_rewind(&t);

	assert_int_equal(dec_card_open(&tape_io, &t, "Tape", &c), 0);
	assert_memory_equal(&c.st, &state1, sizeof(state1));
	assert_int_equal(c.atr_len, sizeof(atr));
	assert_memory_equal(c.atr, atr, sizeof(atr));
	assert_int_equal(t.n_cmds, 2);
	assert_int_equal(t.last_len, sizeof(get_data));
	assert_memory_equal(t.last, get_data, sizeof(get_data));

	assert_int_equal(dec_card_block(&c, SM_INS_EXPORT, NULL, got,
			     sizeof(got), &len, &sw),
	    0);
	assert_int_equal(len, n);
	assert_memory_equal(got, blk, n);
	/* EXPORT, then a GET RESPONSE per 61xx, asking for what is left */
	assert_int_equal(t.ins[2], SM_INS_EXPORT);
	assert_int_equal(tape_count_ins(&t, PROTO_INS_GET_RESPONSE), 2);
	assert_int_equal(t.last_len, 5);
	assert_int_equal(t.last[4], (uint8_t)(n - 2 * PROTO_APDU_SHORT_MAX_NE));

	assert_int_equal(dec_card_ecm(&c, ecm, sizeof(ecm), &e), 0);
	assert_int_equal(e.outcome, DEC_ECM_CW);
	assert_int_equal(dec_card_ecm(&c, ecm, sizeof(ecm), &e), 0);
	assert_int_equal(e.outcome, DEC_ECM_DENIED);
	assert_int_equal(dec_card_ecm(&c, ecm, sizeof(ecm), &e), 0);
	assert_int_equal(e.outcome, DEC_ECM_OFFER);
	assert_int_equal(e.event, 42);
	assert_int_equal(e.price, 300);
	assert_int_equal(e.channel, 7);
	assert_int_equal(dec_card_buy(&c, ecm, sizeof(ecm), &seq, &credit, &sw),
	    0);
	assert_int_equal(seq, 5);
	assert_int_equal(credit, 400);
	assert_int_equal(dec_card_command(&c, ecm, 20, &sw), 0);
	assert_int_equal(sw, PROTO_SW_OK);
	/* an empty tape now: the card is gone */
	assert_int_equal(dec_card_refresh(&c), PROTO_ERR_IO);
	assert_true(t.connected);
	dec_card_close(&c);
	assert_false(t.connected);
	assert_null(c.h);
	assert_int_equal(dec_card_refresh(&c), PROTO_ERR_IO);
	tape_release(&t);
}

static void
test_select_bytes(void **state)
{
	static const uint8_t select[] = { 0x00, 0xa4, 0x04, 0x00, 0x07, 0xf0,
		'P', 'T', 'V', 'S', 'M', 0x01 };
	struct dec_card c;
	struct tape t;

	(void)state;
	tape_init(&t, NULL, 0);
	tape_answer(&t, atr, sizeof(atr), 0);
	tape_sw(&t, PROTO_SW_FILE_NOT_FOUND);
	tape_rewind(&t);
	assert_int_equal(dec_card_open(&tape_io, &t, "Tape", &c),
	    PROTO_ERR_NOTFOUND);
	assert_int_equal(t.n_cmds, 1);
	assert_int_equal(t.last_len, sizeof(select));
	assert_memory_equal(t.last, select, sizeof(select));
	tape_release(&t);
}

/* --- opening a card that answers wrong ------------------------------------ */

enum {
	ATR_LONG = 1,
	SEL_6A82,
	SEL_SHORT,
	SEL_FAIL,
	SEL_GONE,
	ST_33,
	ST_LOCK2,
	ST_6A86,
	ST_ROOM,
	NO_ATR
};

static void
build_open(struct tape *t, int how)
{
	uint8_t b[SM_STATE_LEN + 1] = { 0 }, big[DEC_ATR_MAX + 7] = { 0x3b };

	switch (how) {
	case NO_ATR:
		return;
	case ATR_LONG:
		tape_answer(t, big, sizeof(big), 0);
		tape_sw(t, PROTO_SW_OK);
		tape_state(t, &state1);
		return;
	default:
		tape_answer(t, atr, sizeof(atr), 0);
	}
	switch (how) {
	case SEL_6A82:
		tape_sw(t, PROTO_SW_FILE_NOT_FOUND);
		return;
	case SEL_SHORT:
		tape_answer(t, "\x90", 1, 0);
		return;
	case SEL_FAIL:
		tape_fail(t);
		return;
	case SEL_GONE:
		return;
	default:
		tape_sw(t, PROTO_SW_OK);
	}
	tape_state_bytes(&state1, b);
	switch (how) {
	case ST_33:
		tape_answer(t, b, SM_STATE_LEN - 1, PROTO_SW_OK);
		break;
	case ST_LOCK2:
		b[PROTO_UA_LEN] = 2;
		tape_answer(t, b, SM_STATE_LEN, PROTO_SW_OK);
		break;
	case ST_6A86:
		tape_sw(t, PROTO_SW_INCORRECT_P1P2);
		break;
	default: /* ST_ROOM: more than the room the decoder gave */
		tape_answer(t, b, SM_STATE_LEN + 1, PROTO_SW_OK);
		break;
	}
}

static void
test_open_refusals(void **state)
{
	static const struct {
		const char *what;
		int how, rc;
	} cases[] = {
		{ "no ATR: the card is gone", NO_ATR, PROTO_ERR_IO },
		{ "an ATR over 33 bytes", ATR_LONG, PROTO_ERR_FORMAT },
		{ "SELECT refused 6A82: not ours", SEL_6A82,
		    PROTO_ERR_NOTFOUND },
		{ "SELECT answered 1 byte", SEL_SHORT, PROTO_ERR_FORMAT },
		{ "SELECT: a reader error", SEL_FAIL, PROTO_ERR_STATE },
		{ "SELECT: the card left", SEL_GONE, PROTO_ERR_IO },
		{ "GET DATA: 33 bytes", ST_33, PROTO_ERR_FORMAT },
		{ "GET DATA: lock byte 02", ST_LOCK2, PROTO_ERR_FORMAT },
		{ "GET DATA: 6A86", ST_6A86, PROTO_ERR_STATE },
		{ "GET DATA: longer than the room", ST_ROOM, PROTO_ERR_FORMAT },
	};
	struct dec_card c, before;
	struct tape t;
	int rc;

	(void)state;
	memset(&before, 0x5a, sizeof(before));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tape_init(&t, NULL, 0);
		build_open(&t, cases[i].how);
		tape_rewind(&t);
		memcpy(&c, &before, sizeof(c)); /* padding too */
		rc = dec_card_open(&tape_io, &t, "Tape", &c);
		if (rc != cases[i].rc)
			fail_msg("%s: %s, not %s", cases[i].what,
			    proto_strerror(rc), proto_strerror(cases[i].rc));
		/* Every byte, padding included: nothing may be written. */
		/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison) */
		if (memcmp(&c, &before, sizeof(c)) != 0)
			fail_msg("%s: the card was written", cases[i].what);
		if (t.connected)
			fail_msg("%s: left connected", cases[i].what);
		tape_release(&t);
	}
}

/* --- malformed answers to every operation ------------------------------- */

enum op { REFRESH, EXPORT, ECM, BUY, COMMAND };

struct bad {
	const char *what;
	enum op op;
	void (*build)(struct tape *);
	int rc;
	uint16_t sw;       /* the refusal's status word, when rc is STATE */
	unsigned commands; /* sent for the operation; 0: do not check */
};

static void
fill(struct tape *t, size_t n, uint16_t sw)
{
	uint8_t b[600];

	memset(b, 0x33, sizeof(b));
	tape_answer(t, b, n, sw);
}

static void
b_short(struct tape *t)
{
	tape_answer(t, "\x90", 1, 0);
}
static void
b_fail(struct tape *t)
{
	tape_fail(t);
}
static void
b_gone(struct tape *t)
{
	(void)t;
}
static void
b_room(struct tape *t)
{
	fill(t, 300, 0);
}
static void
b_st33(struct tape *t)
{
	fill(t, SM_STATE_LEN - 1, PROTO_SW_OK);
}
static void
b_st35(struct tape *t)
{
	fill(t, SM_STATE_LEN + 1, PROTO_SW_OK);
}
static void
b_6a86(struct tape *t)
{
	tape_sw(t, PROTO_SW_INCORRECT_P1P2);
}
static void
b_61(struct tape *t)
{
	fill(t, 0, PROTO_SW_BYTES_REMAINING | 34);
}
static void
b_6985(struct tape *t)
{
	tape_sw(t, PROTO_SW_CONDITIONS);
}
static void
b_empty_ok(struct tape *t)
{
	tape_sw(t, PROTO_SW_OK);
}

static void
b_chain_long(struct tape *t)
{
	for (int i = 0; i <= DEC_CHAIN_MAX; i++)
		fill(t, 1, PROTO_SW_BYTES_REMAINING | 1);
	fill(t, 1, PROTO_SW_OK);
}

/* Full 256-byte chunks that pass the block limit. */
#define CHAIN_BIG_CHUNKS (PROTO_BLOCK_MAX / 256 + 1)

static void
b_chain_big(struct tape *t)
{
	for (int i = 0; i < CHAIN_BIG_CHUNKS; i++)
		fill(t, 256, PROTO_SW_BYTES_REMAINING);
	fill(t, 10, PROTO_SW_OK);
}

static void
b_other_ua(struct tape *t)
{
	uint8_t b[PROTO_BLOCK_MAX];

	tape_chained(t, b, make_block(ua2, 4, 1, b), PROTO_SW_OK);
}

static void
b_truncated(struct tape *t)
{
	uint8_t b[PROTO_BLOCK_MAX];

	tape_chained(t, b, make_block(ua1, 4, 1, b) - 1, PROTO_SW_OK);
}

static void
b_61_gone(struct tape *t)
{
	fill(t, 16, PROTO_SW_BYTES_REMAINING | 16);
}

static void
b_61_short(struct tape *t)
{
	fill(t, 16, PROTO_SW_BYTES_REMAINING | 16);
	tape_answer(t, "\x61", 1, 0);
}

static void
b_cw31(struct tape *t)
{
	fill(t, PROTO_CW_LEN - 1, PROTO_SW_OK);
}
static void
b_cw33(struct tape *t)
{
	fill(t, PROTO_CW_LEN + 1, PROTO_SW_OK);
}
static void
b_den1(struct tape *t)
{
	fill(t, 1, SM_SW_NOT_ENTITLED);
}
static void
b_off9(struct tape *t)
{
	fill(t, 9, SM_SW_PURCHASE_POSSIBLE);
}
static void
b_6982(struct tape *t)
{
	tape_sw(t, PROTO_SW_SECURITY);
}
static void
b_ecm65(struct tape *t)
{
	fill(t, 65, PROTO_SW_OK);
}
static void
b_9201(struct tape *t)
{
	tape_sw(t, SM_SW_NO_CREDIT);
}
static void
b_buy7(struct tape *t)
{
	fill(t, 7, PROTO_SW_OK);
}
static void
b_buy9(struct tape *t)
{
	fill(t, 9, PROTO_SW_OK);
}
static void
b_9301(struct tape *t)
{
	tape_sw(t, SM_SW_REPLAYED);
}
static void
b_cmd2(struct tape *t)
{
	fill(t, 2, PROTO_SW_OK);
}

static const struct bad bad[] = {
	{ "GET DATA: no status word", REFRESH, b_short, PROTO_ERR_FORMAT, 0,
	    1 },
	{ "GET DATA: a reader error", REFRESH, b_fail, PROTO_ERR_STATE, 0, 1 },
	{ "GET DATA: the card left", REFRESH, b_gone, PROTO_ERR_IO, 0, 1 },
	{ "GET DATA: more than the room", REFRESH, b_room, PROTO_ERR_FORMAT, 0,
	    1 },
	{ "GET DATA: 33 bytes", REFRESH, b_st33, PROTO_ERR_FORMAT, 0, 1 },
	{ "GET DATA: 35 bytes", REFRESH, b_st35, PROTO_ERR_FORMAT, 0, 1 },
	{ "GET DATA: 6A86", REFRESH, b_6a86, PROTO_ERR_STATE, 0, 1 },
	{ "GET DATA: 61xx, not chained", REFRESH, b_61, PROTO_ERR_STATE, 0, 1 },
	{ "EXPORT: 6985", EXPORT, b_6985, PROTO_ERR_STATE, PROTO_SW_CONDITIONS,
	    1 },
	{ "EXPORT: 9000 and no block", EXPORT, b_empty_ok, PROTO_ERR_FORMAT, 0,
	    1 },
	{ "EXPORT: no status word", EXPORT, b_short, PROTO_ERR_FORMAT, 0, 1 },
	{ "EXPORT: 61xx more than 64 times", EXPORT, b_chain_long,
	    PROTO_ERR_TOOBIG, 0, 1 + DEC_CHAIN_MAX },
	{ "EXPORT: a chain over the block limit", EXPORT, b_chain_big,
	    PROTO_ERR_TOOBIG, 0, CHAIN_BIG_CHUNKS },
	{ "EXPORT: another card's block", EXPORT, b_other_ua, PROTO_ERR_FORMAT,
	    0, 0 },
	{ "EXPORT: a block a byte short", EXPORT, b_truncated, PROTO_ERR_FORMAT,
	    0, 0 },
	{ "EXPORT: the card left in a chain", EXPORT, b_61_gone, PROTO_ERR_IO,
	    0, 2 },
	{ "EXPORT: GET RESPONSE without SW", EXPORT, b_61_short,
	    PROTO_ERR_FORMAT, 0, 2 },
	{ "EXPORT: more than the room", EXPORT, b_room, PROTO_ERR_FORMAT, 0,
	    1 },
	{ "ECM: a CW of 31 bytes", ECM, b_cw31, PROTO_ERR_FORMAT, 0, 1 },
	{ "ECM: a CW of 33 bytes", ECM, b_cw33, PROTO_ERR_FORMAT, 0, 1 },
	{ "ECM: a denial with data", ECM, b_den1, PROTO_ERR_FORMAT, 0, 1 },
	{ "ECM: an offer of 9 bytes", ECM, b_off9, PROTO_ERR_FORMAT, 0, 1 },
	{ "ECM: 6982", ECM, b_6982, PROTO_ERR_STATE, 0, 1 },
	{ "ECM: 65 bytes", ECM, b_ecm65, PROTO_ERR_TOOBIG, 0, 1 },
	{ "ECM: a reader error", ECM, b_fail, PROTO_ERR_STATE, 0, 1 },
	{ "BUY: 9201", BUY, b_9201, PROTO_ERR_STATE, SM_SW_NO_CREDIT, 1 },
	{ "BUY: 7 bytes", BUY, b_buy7, PROTO_ERR_FORMAT, 0, 1 },
	{ "BUY: 9 bytes", BUY, b_buy9, PROTO_ERR_FORMAT, 0, 1 },
	{ "BUY: no status word", BUY, b_short, PROTO_ERR_FORMAT, 0, 1 },
	{ "COMMAND: 9301", COMMAND, b_9301, PROTO_ERR_STATE, SM_SW_REPLAYED,
	    1 },
	{ "COMMAND: data with 9000", COMMAND, b_cmd2, PROTO_ERR_FORMAT, 0, 1 },
	{ "COMMAND: the card left", COMMAND, b_gone, PROTO_ERR_IO, 0, 1 },
};

/* Every output the operations write, filled with a pattern. */
struct outputs {
	uint8_t block[PROTO_BLOCK_MAX];
	size_t len;
	struct dec_ecm_result ecm;
	uint32_t seq, credit;
};

static int
run_op(struct dec_card *c, enum op op, struct outputs *o, uint16_t *sw)
{
	static const uint8_t ecm[PROTO_ECM_LEN];

	switch (op) {
	case REFRESH:
		return dec_card_refresh(c);
	case EXPORT:
		return dec_card_block(c, SM_INS_EXPORT, NULL, o->block,
		    sizeof(o->block), &o->len, sw);
	case ECM:
		return dec_card_ecm(c, ecm, sizeof(ecm), &o->ecm);
	case BUY:
		return dec_card_buy(c, ecm, sizeof(ecm), &o->seq, &o->credit,
		    sw);
	default:
		return dec_card_command(c, ecm, 30, sw);
	}
}

static void
test_malformed_answers(void **state)
{
	static struct outputs o, before;
	struct dec_card c;
	struct dec_card_state st;
	struct tape t;
	uint16_t sw;
	int rc;

	(void)state;
	memset(&before, 0xa5, sizeof(before));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad *b = &bad[i];
		tape_init(&t, NULL, 0);
		tape_good_open(&t);
		b->build(&t);
		tape_rewind(&t);
		assert_int_equal(dec_card_open(&tape_io, &t, "Tape", &c), 0);
		t.n_cmds = 0;
		memcpy(&o, &before, sizeof(o)); /* padding too */
		memcpy(&st, &c.st, sizeof(st));
		sw = 0;
		rc = run_op(&c, b->op, &o, &sw);
		if (rc != b->rc)
			fail_msg("%s: %s, not %s", b->what, proto_strerror(rc),
			    proto_strerror(b->rc));
		if (b->sw != 0 && sw != b->sw)
			fail_msg("%s: SW %04X, not %04X", b->what, sw, b->sw);
		/* Every byte, padding included: nothing may be written. */
		/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison) */
		if (memcmp(&o, &before, sizeof(o)) != 0)
			fail_msg("%s: an output was written", b->what);
		/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison) */
		if (memcmp(&c.st, &st, sizeof(st)) != 0)
			fail_msg("%s: the card's state changed", b->what);
		if (b->commands != 0 && t.n_cmds != b->commands)
			fail_msg("%s: %u commands sent, not %u", b->what,
			    t.n_cmds, b->commands);
		dec_card_close(&c);
		tape_release(&t);
	}
}

/* --- against the real applet; the seed corpus ---------------------------- */

/* The card runtime behind the transport, every answer recorded. */
struct bridge {
	struct smfix *f;
	struct tape rec;
};

static int
bridge_connect(void *svc, const char *reader, void **h, uint8_t *out,
    size_t *out_len)
{
	struct bridge *b = svc;
	uint8_t a[DEC_ATR_MAX];
	size_t n = card_atr(a, sizeof(a));

	(void)reader;
	card_rt_reset(b->f->rt);
	tape_answer(&b->rec, a, n, 0);
	tape_copy(a, n, out, out_len);
	*h = b;
	return 0;
}

static void
bridge_disconnect(void *h)
{
	(void)h;
}

static int
bridge_transmit(void *h, const uint8_t *cmd, size_t len, uint8_t *resp,
    size_t *rlen)
{
	struct bridge *b = h;

	*rlen = card_rt_transmit(b->f->rt, cmd, len, resp, *rlen);
	tape_answer(&b->rec, resp, *rlen, 0);
	return 0;
}

static const struct dec_card_io bridge_io = {
	.open = tape_open,
	.close = tape_close,
	.connect = bridge_connect,
	.disconnect = bridge_disconnect,
	.transmit = bridge_transmit,
};

static void
ppv_ecm(struct smfix *f, uint32_t event, uint32_t price,
    uint8_t out[PROTO_ECM_LEN])
{
	smfix_ecm(f, 7, event, FX_T0, FX_T0 + 7200, PROTO_ECM_PPV, price, NULL,
	    out);
}

static void
save_recording(const char *name, const struct tape *t)
{
	const char *dir = getenv("PTV_CORPUS_OUT");
	char path[4096];

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(proto_file_replace(path, t->buf, t->len, 0644), 0);
}

/*
 * Run the script against the applet, check its outcomes, then replay the
 * recording through the tape: the card code must see the same.
 */
static void
record(const char *name, struct smfix *f, const struct tape_input *in,
    const int want[2][TAPE_OPS])
{
	static struct tape_run live, replay;
	struct bridge b = { .f = f };
	struct tape t;

	tape_script(&bridge_io, &b, in, 2, &live);
	assert_int_equal(live.open_rc, 0);
	assert_int_equal(live.rounds, 2);
	for (int r = 0; r < 2; r++)
		for (int op = 0; op < TAPE_OPS; op++)
			if (live.rc[r][op] != want[r][op])
				fail_msg("%s: round %d op %d: %s, not %s", name,
				    r, op, proto_strerror(live.rc[r][op]),
				    proto_strerror(want[r][op]));
	tape_init(&t, b.rec.buf, b.rec.len);
	tape_script(&tape_io, &t, in, TAPE_ROUNDS, &replay);
	assert_int_equal(replay.open_rc, 0);
	assert_int_equal(replay.rounds, 3); /* the third finds the tape end */
	assert_memory_equal(replay.rc, live.rc, sizeof(live.rc[0]) * 2);
	assert_int_equal(replay.rc[2][TAPE_OP_REFRESH], PROTO_ERR_IO);
	assert_int_equal(replay.m1_puts, live.m1_puts);
	assert_memory_equal(&replay.card.st, &live.card.st,
	    sizeof(live.card.st));
	save_recording(name, &b.rec);
	tape_release(&b.rec);
}

static void
test_applet_locked_then_unlocked(void **state)
{
	static const int want[2][TAPE_OPS] = {
		/* locked: no export, no purchase (9205); the unlock */
		{ 0, PROTO_ERR_STATE, 0, 0, 0, PROTO_ERR_STATE, 0 },
		/* exports now; the event is bought; the command replayed */
		{ 0, 0, 0, 0, 0, 0, PROTO_ERR_STATE },
	};
	struct smfix *f = smfix_new(FX_CREDIT);
	struct tape_input in;

	(void)state;
	assert_non_null(f);
	smfix_ecm(f, 5, 1, FX_T0, FX_T0 + 3600, PROTO_ECM_SUBSCRIPTION, 0, NULL,
	    in.ecm_sub);
	ppv_ecm(f, 42, 300, in.ecm_ppv);
	in.cmd_len = smfix_cmd(f, PROTO_CMD_UNLOCK, 1, 0, 0, NULL, in.cmd);
	record("locked-then-unlocked", f, &in, want);
	smfix_free(&f);
}

static void
test_applet_long_history(void **state)
{
	static const int want[2][TAPE_OPS] = {
		{ 0, 0, 0, 0, 0, 0, 0 },
		{ 0, 0, 0, 0, 0, PROTO_ERR_STATE, PROTO_ERR_STATE },
	};
	struct smfix *f = smfix_new(FX_CREDIT);
	struct tape_input in;
	uint8_t ecm[PROTO_ECM_LEN];

	(void)state;
	assert_non_null(f);
	assert_int_equal(smfix_select(f), PROTO_SW_OK);
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_UNLOCK, 0, 0),
	    PROTO_SW_OK);
	/* twenty purchases: the blocks take three GET RESPONSE chunks */
	for (uint32_t e = 100; e < 120; e++) {
		ppv_ecm(f, e, 10, ecm);
		assert_int_equal(smfix_tx(f, SM_CLA, SM_INS_BUY_EVENT, 0, 0,
				     ecm, sizeof(ecm), 256),
		    PROTO_SW_OK);
	}
	smfix_ecm(f, 5, 1, FX_T0, FX_T0 + 3600, PROTO_ECM_SUBSCRIPTION, 0, NULL,
	    in.ecm_sub);
	ppv_ecm(f, 42, 300, in.ecm_ppv);
	in.cmd_len = smfix_cmd(f, PROTO_CMD_ACK, 2, 10, 0, NULL, in.cmd);
	record("long-history-chained", f, &in, want);
	smfix_free(&f);
}

static void
test_applet_refusals(void **state)
{
	/* locked, no credit, a command for another card, no right */
	static const int want[2][TAPE_OPS] = {
		{ 0, PROTO_ERR_STATE, 0, 0, 0, PROTO_ERR_STATE,
		    PROTO_ERR_STATE },
		{ 0, PROTO_ERR_STATE, 0, 0, 0, PROTO_ERR_STATE,
		    PROTO_ERR_STATE },
	};
	static const uint8_t other[PROTO_UA_LEN] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	struct smfix *f = smfix_new(0);
	struct tape_input in;

	(void)state;
	assert_non_null(f);
	smfix_ecm(f, 6, 1, FX_T0, FX_T0 + 3600, PROTO_ECM_SUBSCRIPTION, 0, NULL,
	    in.ecm_sub);
	ppv_ecm(f, 42, 300, in.ecm_ppv);
	in.cmd_len = smfix_cmd(f, PROTO_CMD_UNLOCK, 1, 0, 0, other, in.cmd);
	record("refusals", f, &in, want);
	smfix_free(&f);
}

/* Every committed seed is a valid sequence of answers from a real card. */
static void
test_corpus_replays(void **state)
{
	static struct tape_run run;
	static const struct tape_input zero;
	const char *root = getenv("PTV_ROOT");
	char dir[4096], path[8192];
	struct dirent *de;
	uint8_t *buf;
	size_t len, seeds = 0;
	struct tape t;
	DIR *d;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/test/fuzz/corpus/card_answers",
	    root != NULL ? root : ".");
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(proto_file_read(path, 1 << 20, &buf, &len), 0);
		tape_init(&t, buf, len);
		tape_script(&tape_io, &t, &zero, TAPE_ROUNDS, &run);
		if (run.open_rc != 0 || run.rounds < 2)
			fail_msg("%s: opened %d, %u rounds", de->d_name,
			    run.open_rc, run.rounds);
		for (unsigned r = 0; r + 1 < run.rounds; r++)
			for (int op = 0; op < TAPE_OPS; op++)
				if (run.rc[r][op] != 0 &&
				    run.rc[r][op] != PROTO_ERR_STATE)
					fail_msg("%s: round %u op %d: %s",
					    de->d_name, r, op,
					    proto_strerror(run.rc[r][op]));
		free(buf);
		seeds++;
	}
	closedir(d);
	assert_true(seeds >= 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operations),
		cmocka_unit_test(test_select_bytes),
		cmocka_unit_test(test_open_refusals),
		cmocka_unit_test(test_malformed_answers),
		cmocka_unit_test(test_applet_locked_then_unlocked),
		cmocka_unit_test(test_applet_long_history),
		cmocka_unit_test(test_applet_refusals),
		cmocka_unit_test(test_corpus_replays),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
