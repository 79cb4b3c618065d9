/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * The session with a card in a reader other programs share (session.c
 * through export.c and events.c), the card played from a tape: every
 * operation in a transaction that starts by selecting our applet;
 * another program's transaction is never waited for, and what was due
 * then is done once it ends; a reset is met by reconnecting, the card
 * must then be the same one; only a reader without a card ends the
 * session.
 */
#include "../../decoder/events.h"
#include "../../decoder/export.h"
#include "test_dec_fx.h"

#define READER "Tape Reader 00"

/* What the session sent, in order: the INS bytes. */
static void
assert_ins(const struct tape *t, const uint8_t *want, unsigned n)
{
	assert_int_equal(t->n_cmds, n);
	assert_memory_equal(t->ins, want, n);
}

static void
test_each_operation_in_a_transaction(void **state)
{
	static const uint8_t want[] = { PROTO_INS_SELECT, SM_INS_GET_DATA,
		PROTO_INS_SELECT, SM_INS_GET_DATA, SM_INS_GET_DATA,
		SM_INS_EXPORT };
	struct fx *f = *state;
	struct dec_export_result res;
	unsigned n;

	tape_card(f);
	tape_select(f);
	tape_state(&f->t, &f->cs);
	tape_export(f, 5);
	tape_state(&f->t, &f->cs);
	insert(f);
	assert_int_equal(f->t.begins, 1);
	assert_int_equal(f->t.ends, 1);
	assert_int_equal(dec_export_run(&f->st, "test", 0, &res), 0);
	/* one transaction for the whole export: state, block, state */
	assert_int_equal(f->t.begins, 2);
	assert_int_equal(f->t.ends, 2);
	assert_int_equal(f->t.outside, 0);
	assert_int_equal(f->st.depth, 0);
	n = f->t.n_cmds;
	assert_true(n > sizeof(want));
	assert_memory_equal(f->t.ins, want, sizeof(want));
	assert_int_equal(f->t.ins[n - 1], SM_INS_GET_DATA);
}

/* Held by another program: fail at once; the policy comes back. */
static void
test_held_card_is_not_waited_for(void **state)
{
	struct fx *f = *state;
	struct dec_export_result res;
	struct snap s;
	time_t now = time(NULL);

	tape_card(f);
	/* after the release: the policy reads the state, then exports */
	tape_select(f);
	tape_state(&f->t, &f->cs);
	tape_select(f);
	tape_export(f, 5);
	tape_state(&f->t, &f->cs);
	insert(f);
	snap_take(f, &s);
	f->t.held = 1;
	assert_true(dec_session_held(&f->st));
	dec_export_if_changed(&f->st, "inserted");
	assert_int_equal(f->t.n_cmds, 2); /* nothing sent */
	assert_string_equal(f->st.last_error,
	    "the card is in use by another program");
	assert_true(f->st.has_card); /* the card is still ours */
	assert_unchanged(f, &s);
	assert_true(f->st.export_retry >= now + DEC_HELD_RETRY);
	assert_int_equal(dec_export_deadline(&f->st), f->st.export_retry);
	assert_int_equal(dec_export_run(&f->st, "asked", 1, &res),
	    PROTO_ERR_STATE);
	assert_int_equal(res.step, DEC_EXPORT_HELD);
	assert_int_equal(f->t.n_cmds, 2);
	/* released: the retry applies the policy */
	f->t.held = 0;
	assert_false(dec_session_held(&f->st));
	dec_export_tick(&f->st, f->st.export_retry - 1);
	assert_int_equal(f->t.n_cmds, 2); /* not yet */
	dec_export_tick(&f->st, f->st.export_retry);
	assert_int_equal(tape_count_ins(&f->t, SM_INS_EXPORT), 1);
	assert_non_null(dec_m1_find(&f->st.m1, f->cs.ua));
	assert_int_equal(f->st.export_retry, 0);
	assert_int_equal(f->t.outside, 0);
}

/* A card held at its insertion is opened when it is released. */
static void
test_held_at_insertion(void **state)
{
	struct fx *f = *state;

	tape_card(f);
	tape_select(f);
	tape_cert(f); /* read at the card's contact */
	tape_select(f);
	tape_export(f, 5);
	tape_state(&f->t, &f->cs);
	tape_rewind(&f->t);
	f->t.held = 1;
	assert_int_equal(dec_session_open(&f->st, READER), PROTO_ERR_STATE);
	assert_false(f->st.has_card);
	assert_string_equal(f->st.waiting, READER);
	assert_true(dec_session_held(&f->st));
	assert_int_equal(f->st.open_fails, 0); /* held, not failing */
	assert_true(dec_events_wait_ms(&f->st) > 0);
	/* still held at the retry: still waiting */
	tape_rewind(&f->t);
	dec_events_tick(&f->st, f->st.next_open);
	assert_false(f->st.has_card);
	assert_string_equal(f->st.waiting, READER);
	/* released: opened, and the insertion's policy exports */
	f->t.held = 0;
	tape_rewind(&f->t);
	dec_events_tick(&f->st, f->st.next_open);
	assert_true(f->st.has_card);
	assert_string_equal(f->st.waiting, "");
	assert_int_equal(dec_events_wait_ms(&f->st), -1);
	assert_int_equal(f->st.cert_verdict, DEC_CERT_OK);
	assert_non_null(dec_m1_find(&f->st.m1, f->cs.ua));
}

/*
 * A card whose opening fails -- its first answers lost, as when the
 * reader's driver is still busy with a card just inserted -- is tried
 * again, the wait doubling from 0.2 s to DEC_OPEN_RETRY_MAX_MS, never
 * before it is due; it is not "held"; once it answers it is opened and
 * the insertion's policy runs.
 */
static void
test_open_failed_is_retried(void **state)
{
	static const uint8_t atr[] = { 0x3b, 0x80, 0x80, 0x01, 0x01 };
	static const unsigned want[] = { 200, 400, 800, 1600, 3200, 3200 };
	struct fx *f = *state;
	long before;

	tape_release(&f->t);
	tape_answer(&f->t, atr, sizeof(atr), 0); /* then every command lost */
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		tape_rewind(&f->t);
		before = dec_now_ms();
		if (i == 0)
			assert_int_equal(dec_session_open(&f->st, READER),
			    PROTO_ERR_IO);
		else
			dec_events_tick(&f->st, f->st.next_open);
		assert_int_equal(f->t.n_cmds, 1); /* it was tried: SELECT */
		assert_false(f->st.has_card);
		assert_string_equal(f->st.waiting, READER);
		assert_int_equal(f->st.open_wait, want[i]);
		assert_int_equal(f->st.open_fails, i + 1);
		assert_true(f->st.next_open >= before + (long)want[i]);
		assert_true(dec_events_wait_ms(&f->st) <= (int)want[i]);
		assert_false(dec_session_held(&f->st));
	}
	tape_rewind(&f->t);
	dec_events_tick(&f->st, f->st.next_open - 1);
	assert_int_equal(f->t.n_cmds, 0); /* not before it is due */
	/* it answers: opened, and the insertion's policy exports */
	tape_card(f);
	tape_select(f);
	tape_cert(f);
	tape_select(f);
	tape_export(f, 5);
	tape_state(&f->t, &f->cs);
	tape_rewind(&f->t);
	dec_events_tick(&f->st, f->st.next_open);
	assert_true(f->st.has_card);
	assert_string_equal(f->st.waiting, "");
	assert_int_equal(f->st.open_fails, 0);
	assert_int_equal(f->st.open_wait, 0);
	assert_int_equal(dec_events_wait_ms(&f->st), -1);
	assert_non_null(dec_m1_find(&f->st.m1, f->cs.ua));
}

/* A reset: reconnect, reselect, the same UA: the operation goes on. */
static void
test_reset_reconnects(void **state)
{
	static const uint8_t atr[] = { 0x3b, 0x80, 0x80, 0x01, 0x01 };
	static const uint8_t after[] = { PROTO_INS_SELECT, SM_INS_GET_DATA,
		PROTO_INS_SELECT, SM_INS_GET_DATA, SM_INS_GET_DATA };
	struct fx *f = *state;

	tape_card(f);
	tape_answer(&f->t, atr, sizeof(atr), 0); /* the reconnect's ATR */
	tape_select(f);
	tape_state(&f->t, &f->cs); /* same card */
	f->cs.credit = 77;
	tape_state(&f->t, &f->cs); /* the refresh itself */
	insert(f);
	tape_answers_add(&f->t.begin_rc, PROTO_ERR_IO);
	assert_int_equal(dec_session_refresh(&f->st), 0);
	assert_int_equal(f->t.reconnects, 1);
	assert_int_equal(f->st.reconnects, 1);
	assert_true(f->st.has_card);
	assert_false(f->st.verify);
	assert_int_equal(f->st.card.st.credit, 77);
	assert_ins(&f->t, after, sizeof(after));
	assert_int_equal(f->t.outside, 0);
}

/* After the reconnect another card answers: this session is over. */
static void
test_reset_to_another_card(void **state)
{
	static const uint8_t atr[] = { 0x3b, 0x80, 0x80, 0x01, 0x01 };
	struct fx *f = *state;
	struct dec_export_result res;
	struct dec_card_state other = f->cs;
	struct snap s;

	other.ua[0] ^= 0xff;
	tape_card(f);
	tape_answer(&f->t, atr, sizeof(atr), 0);
	tape_select(f);
	tape_state(&f->t, &other);
	tape_export(f, 5); /* never asked for */
	insert(f);
	snap_take(f, &s);
	tape_answers_add(&f->t.begin_rc, PROTO_ERR_IO);
	assert_int_equal(dec_export_run(&f->st, "test", 1, &res), PROTO_ERR_IO);
	assert_false(f->st.has_card);
	assert_memory_equal(f->st.card.st.ua, f->cs.ua, PROTO_UA_LEN);
	assert_string_equal(f->st.waiting, READER); /* open the other now */
	assert_int_equal(tape_count_ins(&f->t, SM_INS_EXPORT), 0);
	assert_unchanged(f, &s);
}

/* No card after the reset: the session ends, M1 stays. */
static void
test_reset_without_a_card(void **state)
{
	struct fx *f = *state;
	struct snap s;

	tape_card(f);
	insert(f);
	snap_take(f, &s);
	tape_answers_add(&f->t.begin_rc, PROTO_ERR_IO);
	tape_answers_add(&f->t.reconnect_rc, PROTO_ERR_IO);
	assert_int_equal(dec_session_refresh(&f->st), PROTO_ERR_IO);
	assert_false(f->st.has_card);
	assert_string_equal(f->st.waiting, "");
	assert_unchanged(f, &s);
}

/* Reset, and held by another program: the session stays for later. */
static void
test_reset_while_held(void **state)
{
	struct fx *f = *state;

	tape_card(f);
	insert(f);
	tape_answers_add(&f->t.begin_rc, PROTO_ERR_IO);
	tape_answers_add(&f->t.reconnect_rc, PROTO_ERR_STATE);
	assert_int_equal(dec_session_refresh(&f->st), PROTO_ERR_STATE);
	assert_true(f->st.has_card);
	assert_true(f->st.held);
	assert_string_equal(dec_session_why(&f->st, PROTO_ERR_STATE),
	    "the card is in use by another program");
	assert_int_equal(f->st.reconnects, 0);
}

/* A card lost in the middle of an operation: reconnect at its end. */
static void
test_lost_inside_an_operation(void **state)
{
	struct fx *f = *state;
	uint8_t block[PROTO_BLOCK_MAX];
	uint16_t sw = 0;
	size_t len = 0;

	tape_card(f);
	tape_select(f);
	/* the EXPORT's answer never comes: past the tape the card is gone */
	insert(f);
	assert_int_equal(dec_session_block(&f->st, SM_INS_EXPORT, NULL, block,
			     &len, &sw),
	    PROTO_ERR_IO);
	/* the reconnect found no card either: the session is over */
	assert_int_equal(f->t.reconnects, 1);
	assert_false(f->st.has_card);
	assert_int_equal(f->st.depth, 0);
	assert_int_equal(f->t.begins, f->t.ends);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_new, fx_free)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_each_operation_in_a_transaction),
		T(test_held_card_is_not_waited_for),
		T(test_held_at_insertion),
		T(test_open_failed_is_retried),
		T(test_reset_reconnects),
		T(test_reset_to_another_card),
		T(test_reset_without_a_card),
		T(test_reset_while_held),
		T(test_lost_inside_an_operation),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
