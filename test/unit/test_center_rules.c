/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * The center's rules, each called directly rather than through a whole
 * session: the separation decision for every (frame, UA) case and the
 * processing order; the ledger's exactly-once rule on both of its paths
 * (looked up first, inserted first) and its anomaly flags; the unlock and
 * acknowledgement rules, and the present card's commands built from them.
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

#include "centerfix.c"
#include "../../center/commands.h"
#include "../../center/db.h"
#include "../../center/ledger.h"
#include "../../center/separation.h"
#include "../../proto/cmd.h"
#include "../../proto/proto.h"

#define P CGS_ORIGIN_PRESENT
#define R CGS_ORIGIN_RECOVERED

static const uint8_t ua_a[PROTO_UA_LEN] = { 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1,
	0xa1, 0xa1 };
static const uint8_t ua_b[PROTO_UA_LEN] = { 0xb2, 0xb2, 0xb2, 0xb2, 0xb2, 0xb2,
	0xb2, 0xb2 };
static const uint8_t ua_zero[PROTO_UA_LEN];

/* --- separation ---------------------------------------------------------- */

static void
test_separation_per_origin(void **state)
{
	static const struct {
		const char *what;
		int has_card;
		int frame;
		const uint8_t *ua;
		uint8_t refused;
		int origin;
		unsigned may;
	} t[] = {
		{ "the present card's block", 1, P, ua_a, PROTO_UP_OK, P,
		    CGS_MAY_INVOICE | CGS_MAY_ACTIVATE | CGS_MAY_SET_LOCK |
			CGS_MAY_COMMAND },
		{ "M1's copy of the card now present: proves nothing of it", 1,
		    R, ua_a, PROTO_UP_OK, R,
		    CGS_MAY_INVOICE | CGS_MAY_RETIRE | CGS_MAY_RELEASE_M1 },
		{ "a retired card's block from M1", 1, R, ua_b, PROTO_UP_OK, R,
		    CGS_MAY_INVOICE | CGS_MAY_RETIRE | CGS_MAY_RELEASE_M1 },
		{ "M1's block, no card in the reader", 0, R, ua_b, PROTO_UP_OK,
		    R, CGS_MAY_INVOICE | CGS_MAY_RETIRE | CGS_MAY_RELEASE_M1 },
		{ "another card's block as the present one's", 1, P, ua_b,
		    PROTO_UP_WRONG_CARD, P, 0 },
		{ "a present-card block without a card", 0, P, ua_zero,
		    PROTO_UP_WRONG_CARD, P, 0 },
		{ "M1's block of UA 0, no card (hello's UA is 0)", 0, R,
		    ua_zero, PROTO_UP_OK, R,
		    CGS_MAY_INVOICE | CGS_MAY_RETIRE | CGS_MAY_RELEASE_M1 },
	};
	struct proto_up_hello h;
	struct cgs_route r;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&h, 0, sizeof(h));
		h.has_card = (uint8_t)t[i].has_card;
		if (t[i].has_card)
			memcpy(h.ua, ua_a, PROTO_UA_LEN);
		memset(&r, 0x5a, sizeof(r));
		cgs_separate(&h, t[i].frame, t[i].ua, &r);
		print_message("# %s\n", t[i].what);
		assert_int_equal(r.refused, t[i].refused);
		assert_int_equal(r.origin, t[i].origin);
		assert_int_equal(r.may, t[i].may);
	}
}

/* Whatever may a route carries, the two card states never mix. */
static void
test_separation_exclusive(void **state)
{
	struct proto_up_hello h = { .has_card = 1 };
	struct cgs_route r;
	const uint8_t *uas[] = { ua_a, ua_b, ua_zero };

	(void)state;
	memcpy(h.ua, ua_a, PROTO_UA_LEN);
	for (int frame = P; frame <= R; frame++)
		for (size_t i = 0; i < 3; i++) {
			cgs_separate(&h, frame, uas[i], &r);
			assert_false((r.may & CGS_MAY_ACTIVATE) &&
			    (r.may & CGS_MAY_RETIRE));
			/* only the present card's fresh block (frame BLOCK)
			 * drives commands or presence */
			assert_int_equal((r.may & CGS_MAY_COMMAND) != 0,
			    uas[i] == ua_a && frame == P);
			assert_int_equal((r.may & CGS_MAY_ACTIVATE) != 0,
			    uas[i] == ua_a && frame == P);
			/* a refused block changes nothing */
			if (r.refused != PROTO_UP_OK)
				assert_int_equal(r.may, 0);
		}
}

static void
test_separation_order(void **state)
{
	struct cgs_in_block in[6];
	static const int frames[6] = { P, R, P, R, R, P };
	static const size_t want[6] = { 1, 3, 4, 0, 2, 5 };
	size_t order[6];

	(void)state;
	memset(in, 0, sizeof(in));
	for (size_t i = 0; i < 6; i++)
		in[i].origin = frames[i];
	memset(order, 0xff, sizeof(order));
	assert_int_equal(cgs_separation_order(in, 6, order), 6);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(order[i], want[i]);
	assert_int_equal(cgs_separation_order(in, 0, order), 0);
}

/* --- rules of commands ----------------------------------------------------- */

static void
test_unlock_rule(void **state)
{
	struct cgs_present p;

	(void)state;
	p = (struct cgs_present){ .seen = 1, .locked = 1 };
	assert_true(cgs_rule_unlock_locked_present_card(&p));
	/* unlocked already */
	p = (struct cgs_present){ .seen = 1, .locked = 0 };
	assert_false(cgs_rule_unlock_locked_present_card(&p));
	/* no block of the present card accepted: a claim is not enough */
	p = (struct cgs_present){ .seen = 0, .locked = 1 };
	assert_false(cgs_rule_unlock_locked_present_card(&p));
	p = (struct cgs_present){ 0 };
	assert_false(cgs_rule_unlock_locked_present_card(&p));
}

static void
test_ack_rule(void **state)
{
	struct cgs_present p = { .seen = 1, .acked = 3, .purchase_seq = 6 };

	(void)state;
	assert_int_equal(cgs_rule_ack_upto(&p, 4, 0), 4);
	/* freed that far already */
	assert_int_equal(cgs_rule_ack_upto(&p, 3, 0), 0);
	assert_int_equal(cgs_rule_ack_upto(&p, 0, 0), 0);
	/* never past the card's own last purchase */
	assert_int_equal(cgs_rule_ack_upto(&p, 9, 0), 6);
	/* never past a purchase in conflict */
	assert_int_equal(cgs_rule_ack_upto(&p, 6, 5), 4);
	assert_int_equal(cgs_rule_ack_upto(&p, 6, 4), 0);
	assert_int_equal(cgs_rule_ack_upto(&p, 6, 7), 6);
	/* no fresh block of the card: nothing */
	p.seen = 0;
	assert_int_equal(cgs_rule_ack_upto(&p, 4, 0), 0);
}

/* --- with a database --------------------------------------------------------- */

struct fx {
	struct centerfix_db d;
	struct cgs_keys keys;
	struct cgs_ledger l;
	struct cgs_stamp at;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t pub[PROTO_EC_PUB_LEN], priv[PROTO_EC_PRIV_LEN];
	uint8_t v[4] = { 1, 0, 1, 0 };

	if (f == NULL)
		return -1;
	if (centerfix_db_open(&f->d) != 0 ||
	    proto_ec_keygen(f->keys.center_priv, f->keys.center_pub) != 0 ||
	    proto_ec_keygen(priv, pub) != 0 ||
	    cgs_card_register(f->d.db, ua_a, pub, v) != 0)
		return -1;
	f->at = (struct cgs_stamp){ .session_id = 7, .now = 1000 };
	cgs_ledger_begin(&f->l, f->d.db, &f->at);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	centerfix_db_remove(&f->d);
	free(f);
	return 0;
}

static int64_t
count(struct fx *f, const char *sql)
{
	return centerfix_count(f->d.db, sql);
}

/* Card a as the center knows it now. */
static struct cgs_card
card_a(struct fx *f)
{
	struct cgs_card c;

	assert_int_equal(cgs_card_get(f->d.db, ua_a, &c), 0);
	return c;
}

/* An M2 with purchases first..last, the first at price1. */
static void
purchases(struct proto_m2 *m, uint32_t first, uint32_t last, uint32_t price1)
{
	memset(m, 0, sizeof(*m));
	m->purchase_seq = last;
	m->acked_seq = first - 1;
	for (uint32_t s = first; s <= last; s++)
		m->purchases[m->n_purchases++] = (struct proto_purchase){
			.seq = s,
			.event = 40 + s,
			.channel = 7,
			.price = s == first ? price1 : 100,
			.time = 5000,
		};
}

/* Invoice m's purchases as a session does: the ledger's rows, and the
 * card's highest invoiced raised in its row (ingest sets it with the
 * card's sighting). */
static int
invoice(struct fx *f, const struct cgs_card *card, const struct proto_m2 *m,
    const uint8_t via[PROTO_UA_LEN], int origin)
{
	int rc = cgs_ledger_invoice(&f->l, card, m, via, origin);

	if (rc == 0 && f->l.top > 0)
		rc = cgs_card_invoiced(f->d.db, card->ua, f->l.top);
	return rc;
}

static void
test_ledger_exactly_once(void **state)
{
	struct fx *f = *state;
	struct cgs_card stale, now;
	struct proto_m2 m;

	purchases(&m, 1, 2, 300);
	stale = card_a(f); /* the ledger holds nothing yet */
	assert_int_equal(stale.max_invoiced, 0);
	assert_int_equal(invoice(f, &stale, &m, ua_b, R), 0);
	assert_int_equal(f->l.invoiced, 2);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM purchases"), 2);
	/* again, with the card as it is now: looked up, not invoiced */
	now = card_a(f);
	assert_int_equal(now.max_invoiced, 2);
	assert_int_equal(invoice(f, &now, &m, ua_a, P), 0);
	/* again, with the stale card: insert first, the conflict seen */
	assert_int_equal(invoice(f, &stale, &m, ua_a, P), 0);
	assert_int_equal(f->l.invoiced, 2);
	assert_int_equal(f->l.flagged, 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM purchases"), 2);
	/* the first invoice is the one kept: via b, recovered */
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM purchases WHERE via_ua = "
			     "'b2b2b2b2b2b2b2b2' AND origin = 'recovered' AND "
			     "session_id = 7 AND recorded_at = 1000"),
	    2);
	/* overlapping: 2 known, 3 new */
	purchases(&m, 2, 3, 100);
	stale = card_a(f);
	assert_int_equal(invoice(f, &stale, &m, ua_a, P), 0);
	assert_int_equal(f->l.invoiced, 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM purchases"), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM flags"), 0);
}

/* More purchases in a block than one insert takes, some known already
 * (a card's view read before they were invoiced), and one seq twice in
 * the block: each invoiced once, the second of the seq a conflict. */
static void
test_ledger_many(void **state)
{
	struct fx *f = *state;
	struct cgs_card before = card_a(f);
	struct proto_m2 m;

	purchases(&m, 1, 6, 300);
	assert_int_equal(invoice(f, &before, &m, ua_a, P), 0);
	assert_int_equal(f->l.invoiced, 6);
	assert_int_equal(f->l.top, 6);
	assert_int_equal(card_a(f).max_invoiced, 6);
	/* 5 and 6 known, 7 to 10 new; the view says none is known */
	purchases(&m, 5, 10, 100);
	assert_int_equal(invoice(f, &before, &m, ua_a, P), 0);
	assert_int_equal(f->l.invoiced, 10);
	assert_int_equal(f->l.flagged, 0);
	assert_int_equal(card_a(f).max_invoiced, 10);
	/* 11 twice, the second another event */
	purchases(&m, 11, 12, 100);
	m.purchases[1] = m.purchases[0];
	m.purchases[1].event = 99;
	assert_int_equal(invoice(f, &before, &m, ua_a, P), 0);
	assert_int_equal(f->l.invoiced, 11);
	assert_int_equal(f->l.flagged, 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM purchases"), 11);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM conflicts WHERE seq = 11 "
			     "AND "
			     "event = 99"),
	    1);
	assert_int_equal(count(f, "SELECT event FROM purchases WHERE seq = 11"),
	    51);
	assert_int_equal(card_a(f).max_invoiced, 11);
}

static void
test_ledger_differs(void **state)
{
	struct fx *f = *state;
	struct cgs_card before = card_a(f), now;
	struct proto_m2 m;

	purchases(&m, 1, 1, 300);
	assert_int_equal(invoice(f, &before, &m, ua_a, P), 0);
	/* seq 1 again at another price: looked up first (seq <= max) */
	now = card_a(f);
	purchases(&m, 1, 1, 999);
	assert_int_equal(invoice(f, &now, &m, ua_a, P), 0);
	assert_int_equal(f->l.flagged, 1);
	/* and through the insert-first path (the card's view was stale) */
	m.purchases[0].event = 77;
	m.purchases[0].price = 300;
	assert_int_equal(invoice(f, &before, &m, ua_a, P), 0);
	assert_int_equal(f->l.flagged, 2);
	assert_int_equal(f->l.invoiced, 1);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM flags WHERE what LIKE "
			     "'purchase 1 differs from the one invoiced: %' "
			     "AND "
			     "ua = 'a1a1a1a1a1a1a1a1' AND session_id = 7"),
	    2);
	/* each contradiction recorded once, flagged the first time only */
	assert_int_equal(invoice(f, &before, &m, ua_a, P), 0);
	assert_int_equal(f->l.flagged, 2);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM conflicts"), 2);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM conflicts WHERE seq = 1 AND "
			     "event = 77 AND price = 300"),
	    1);
	/* the first invoice is unchanged */
	assert_int_equal(count(f, "SELECT price FROM purchases WHERE seq = 1"),
	    300);
	assert_int_equal(count(f, "SELECT event FROM purchases WHERE seq = 1"),
	    41);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM purchases"), 1);
}

static void
test_purchase_same(void **state)
{
	struct proto_purchase a = { .seq = 1,
		.event = 2,
		.channel = 3,
		.price = 4,
		.time = 5 },
			      b;

	(void)state;
	b = a;
	assert_true(cgs_purchase_same(&a, &b));
	b.event++;
	assert_false(cgs_purchase_same(&a, &b));
	b = a;
	b.price++;
	assert_false(cgs_purchase_same(&a, &b));
	b = a;
	b.time++;
	assert_false(cgs_purchase_same(&a, &b));
	b = a;
	b.seq++;
	assert_false(cgs_purchase_same(&a, &b));
}

static void
test_ledger_sequences(void **state)
{
	struct fx *f = *state;
	struct cgs_card c = card_a(f);
	struct cgs_card_data prev;
	struct proto_m2 m;

	memset(&prev, 0, sizeof(prev));
	prev.block_seq = 5;
	prev.m = (struct proto_m2){ .purchase_seq = 3,
		.acked_seq = 1,
		.cws = 10,
		.clock = 500,
		.n_counts = 2,
		.counts = { { 7, 4 }, { 8, 9 } } };
	c.last_block_seq = 5;
	c.max_invoiced = 3;
	m = prev.m;
	/* in order, counters grown or equal: nothing */
	m.cws = 11;
	assert_int_equal(cgs_ledger_check_sequences(&f->l, &c, &prev, P, 6, &m),
	    0);
	assert_int_equal(cgs_ledger_check_sequences(&f->l, &c, NULL, R, 6, &m),
	    0);
	assert_int_equal(f->l.flagged, 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM flags"), 0);
	/* the card itself went back: its own fresh block older */
	assert_int_equal(cgs_ledger_check_sequences(&f->l, &c, &prev, P, 4,
			     &prev.m),
	    0);
	assert_int_equal(f->l.flagged, 1);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM flags WHERE what = 'export "
			     "sequence went backwards: the card itself sent 4 "
			     "after 5'"),
	    1);
	/* an older copy from M1 is no contradiction (ingest calls it stale):
	 * and older than prev, its counters are not compared */
	m.cws = 1;
	assert_int_equal(cgs_ledger_check_sequences(&f->l, &c, &prev, R, 4, &m),
	    0);
	assert_int_equal(f->l.flagged, 1);
	/* a newer block whose counters went down */
	m = prev.m;
	m.purchase_seq = 2;
	m.counts[1].ecms = 8;
	assert_int_equal(cgs_ledger_check_sequences(&f->l, &c, &prev, R, 7, &m),
	    0);
	assert_int_equal(f->l.flagged, 2);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM flags WHERE what = "
			     "'counters went backwards in block 7 (after block "
			     "5): purchase seq 3 -> 2, ECMs 9 -> 8'"),
	    1);
	/* the card freed purchases the ledger never saw */
	m = prev.m;
	m.acked_seq = 4;
	m.purchase_seq = 4;
	assert_int_equal(cgs_ledger_check_sequences(&f->l, &c, &prev, P, 8, &m),
	    0);
	assert_int_equal(f->l.flagged, 3);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM flags WHERE what = "
			     "'purchase sequence jumps: the card freed up to "
			     "4, the ledger holds up to 3'"),
	    1);
	/* flags only: the ledger itself is untouched */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM flags"), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM purchases"), 0);
	assert_int_equal(f->l.invoiced, 0);
}

/* The types of the commands in ans, verified against the center's key. */
static size_t
types(struct fx *f, const struct proto_up_answer *a, uint8_t *t, uint32_t *ctr)
{
	struct proto_cmd c;

	for (size_t i = 0; i < a->n_cmds; i++) {
		assert_int_equal(proto_cmd_verify(a->cmds[i], a->cmd_len[i],
				     f->keys.center_pub, &c),
		    0);
		assert_memory_equal(c.ua, ua_a, PROTO_UA_LEN);
		t[i] = c.type;
		ctr[i] = c.counter;
	}
	return a->n_cmds;
}

static void
test_commands_for_present(void **state)
{
	struct fx *f = *state;
	/* its block's view: the ledger holds its purchases up to 2 (those
	 * invoiced below) */
	struct cgs_present locked = { .seen = 1,
		.locked = 1,
		.purchase_seq = 2,
		.invoiced = 2 };
	struct cgs_present claim = { .seen = 0,
		.locked = 1,
		.purchase_seq = 2 };
	struct proto_up_answer a, b;
	uint8_t t[PROTO_UP_MAX_COMMANDS];
	uint32_t ctr[PROTO_UP_MAX_COMMANDS];
	struct proto_m2 m;

	/* a claim of the card, no block of it: nothing is made */
	memset(&a, 0, sizeof(a));
	assert_int_equal(cgs_commands_for_present(f->d.db, &f->keys, &f->at,
			     ua_a, &claim, &a),
	    0);
	assert_int_equal(a.n_cmds, 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM commands"), 0);
	/* an operator reload, then the card is seen locked with purchases
	 * invoiced: reload first (counter order), then unlock, then ack */
	assert_int_equal(cgs_queue_command(f->d.db, &f->keys, ua_a,
			     PROTO_CMD_PATH_UPLINK, PROTO_CMD_RELOAD, 500, 0,
			     NULL),
	    0);
	purchases(&m, 1, 2, 300);
	assert_int_equal(invoice(f,
			     &(struct cgs_card){ .ua = { 0xa1, 0xa1, 0xa1, 0xa1,
						     0xa1, 0xa1, 0xa1, 0xa1 } },
			     &m, ua_a, P),
	    0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(cgs_commands_for_present(f->d.db, &f->keys, &f->at,
			     ua_a, &locked, &a),
	    0);
	assert_int_equal(types(f, &a, t, ctr), 3);
	assert_int_equal(t[0], PROTO_CMD_RELOAD);
	assert_int_equal(t[1], PROTO_CMD_UNLOCK);
	assert_int_equal(t[2], PROTO_CMD_ACK);
	assert_int_equal(ctr[0], 1);
	assert_int_equal(ctr[1], 2);
	assert_int_equal(ctr[2], 3);
	/* the next session, nothing applied yet: the same three, unchanged,
	 * and no second unlock or ack made */
	memset(&b, 0, sizeof(b));
	assert_int_equal(cgs_commands_for_present(f->d.db, &f->keys, &f->at,
			     ua_a, &locked, &b),
	    0);
	assert_int_equal(b.n_cmds, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(b.cmd_len[i], a.cmd_len[i]);
		assert_memory_equal(b.cmds[i], a.cmds[i], a.cmd_len[i]);
	}
	assert_int_equal(count(f, "SELECT COUNT(*) FROM commands"), 3);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM commands WHERE state = "
			     "'sent' AND sends = 2 AND sent_at = 1000"),
	    3);
	/* the card shows counter 2: reload and unlock are consumed (no
	 * outcome in its ring) */
	memset(&m, 0, sizeof(m));
	m.cmd_ctr = 2;
	assert_int_equal(cgs_commands_learn(&f->l, ua_a, NULL, &m), 0);
	memset(&b, 0, sizeof(b));
	assert_int_equal(cgs_commands_for_present(f->d.db, &f->keys, &f->at,
			     ua_a,
			     &(struct cgs_present){ .seen = 1,
				 .acked = 0,
				 .purchase_seq = 2 },
			     &b),
	    0);
	assert_int_equal(types(f, &b, t, ctr), 1);
	assert_int_equal(t[0], PROTO_CMD_ACK);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM commands WHERE state = "
			     "'consumed'"),
	    2);
	/* a card never registered: no command, no error, nothing stored */
	memset(&b, 0, sizeof(b));
	assert_int_equal(cgs_commands_for_present(f->d.db, &f->keys, &f->at,
			     ua_b, &locked, &b),
	    0);
	assert_int_equal(b.n_cmds, 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM commands"), 3);
}

int
main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_separation_per_origin),
		cmocka_unit_test(test_separation_exclusive),
		cmocka_unit_test(test_separation_order),
		cmocka_unit_test(test_unlock_rule),
		cmocka_unit_test(test_ack_rule),
		cmocka_unit_test(test_purchase_same),
		T(test_ledger_exactly_once),
		T(test_ledger_many),
		T(test_ledger_differs),
		T(test_ledger_sequences),
		T(test_commands_for_present),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
