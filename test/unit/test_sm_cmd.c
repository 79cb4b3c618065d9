/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * The security module's center commands, version 2, through the runtime:
 * a refused command is consumed (counter taken, outcome recorded, 9303
 * with the reason) while a malformed, forged, replayed or other card's
 * one changes nothing; the outcome ring; the two paths' counters; expired
 * rights dropped on ECM, command and export; export now and disable; the
 * card certificate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../card/sm_state.h"
#include "smfix.c"

/* The card's M2 as a tool reads it (wiped by the caller's exit). */
static void
view_m2(struct smfix *f, struct proto_m2 *m)
{
	static struct card_sm_view v;

	assert_int_equal(card_sm_view(f->s, &v), 0);
	*m = v.m2;
	proto_m2_clear(&v.m2);
}

/* Expect the newest outcome to be (path, counter, type, sw). */
static void
assert_last_outcome(struct smfix *f, uint8_t path, uint32_t counter,
    uint8_t type, uint16_t sw)
{
	static struct proto_m2 m;
	const struct proto_outcome *o;

	view_m2(f, &m);
	assert_true(m.n_outcomes > 0);
	o = &m.outcomes[m.n_outcomes - 1];
	assert_int_equal(o->path, path);
	assert_int_equal(o->counter, counter);
	assert_int_equal(o->type, type);
	assert_int_equal(o->sw, sw);
}

/*
 * A command the card cannot carry out: 9303 with the reason as data, the
 * counter taken, the outcome recorded, the change counter moved, and
 * nothing else changed; sent again, a replay that changes nothing.
 */
static void
consumed(struct smfix *f, uint8_t type, uint32_t arg1, uint32_t arg2,
    uint16_t reason)
{
	struct smfix_state before, after;
	uint8_t c[PROTO_CMD_MAX_LEN];
	static struct proto_m2 m0, m1;
	size_t n;

	smfix_state(f, &before);
	view_m2(f, &m0);
	n = smfix_cmd(f, type, ++f->counter, arg1, arg2, NULL, c);
	assert_int_equal(smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 2),
	    SM_SW_CMD_REFUSED);
	assert_int_equal(f->n, 4);
	assert_int_equal(f->out[0] << 8 | f->out[1], reason);
	smfix_state(f, &after);
	assert_int_equal(after.cmd_ctr, f->counter);
	assert_int_equal(after.change_ctr, before.change_ctr + 1);
	assert_int_equal(after.credit, before.credit);
	assert_int_equal(after.acked_seq, before.acked_seq);
	assert_int_equal(after.locked, before.locked);
	assert_int_equal(after.flags, before.flags);
	assert_last_outcome(f, PROTO_CMD_PATH_UPLINK, f->counter, type, reason);
	view_m2(f, &m1);
	assert_int_equal(m1.n_rights, m0.n_rights);
	assert_memory_equal(m1.rights, m0.rights, sizeof(m0.rights));
	REFUSED(f, SM_SW_REPLAYED, smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 2));
}

/* Issue 9.2's scenario: 17 grants, then a reload and an ack. */
static void
test_refused_is_consumed(void **state)
{
	struct smfix *f = *state;
	uint8_t ecm[PROTO_ECM_LEN];
	struct smfix_state st;

	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_UNLOCK, 0, 0), 0x9000);
	assert_int_equal(buy(f, 42, FX_T0, FX_T0 + 3600, PROTO_ECM_PPV, 300),
	    0x9000);
	/* the card holds right 5 from personalization: 15 more fill it */
	for (uint32_t ch = 100; ch < 100 + PROTO_M2_MAX_RIGHTS - 1; ch++) {
		assert_int_equal(smfix_send_cmd(f, PROTO_CMD_GRANT, ch,
				     FX_T0 + 5000),
		    0x9000);
		assert_last_outcome(f, PROTO_CMD_PATH_UPLINK, f->counter,
		    PROTO_CMD_GRANT, 0x9000);
	}
	consumed(f, PROTO_CMD_GRANT, 200, FX_T0 + 5000,
	    PROTO_SW_NOT_ENOUGH_MEMORY);
	/* an existing right can still be extended in a full table */
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_GRANT, 100, FX_T0 + 6000),
	    0x9000);
	/* the reload and the ack queued behind it are applied */
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_RELOAD, 700, 0), 0x9000);
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_ACK, 1, 0), 0x9000);
	smfix_state(f, &st);
	assert_int_equal(st.credit, FX_CREDIT - 300 + 700);
	assert_int_equal(st.acked_seq, 1);
	assert_int_equal(st.free_log, PROTO_M2_MAX_PURCHASES);
	/* every other reason a command cannot be carried out */
	consumed(f, PROTO_CMD_RELOAD, UINT32_MAX, 0, PROTO_SW_WRONG_DATA);
	consumed(f, PROTO_CMD_ACK, 2, 0, PROTO_SW_WRONG_DATA);
	consumed(f, PROTO_CMD_REVOKE, 999, 0, PROTO_SW_REF_NOT_FOUND);
	/* the rights still open their channels */
	smfix_ecm(f, 100, 1, FX_T0 + 10, FX_T0 + 60, PROTO_ECM_SUBSCRIPTION, 0,
	    NULL, ecm);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    0x9000);
}

/*
 * A command of a type this card does not know, signed by a newer center:
 * consumed with 6A81, so it cannot hold up what follows.
 */
static void
test_unknown_type_is_consumed(void **state)
{
	struct smfix *f = *state;
	uint8_t c[PROTO_CMD_MAX_LEN];
	struct smfix_state st;
	size_t n = 2 + PROTO_UA_LEN + 1 + 4 + 1 + 3;

	memset(c, 0, sizeof(c));
	c[0] = PROTO_CMD_VERSION;
	c[1] = 0x40;
	memcpy(c + 2, f->ua, PROTO_UA_LEN);
	c[2 + PROTO_UA_LEN] = PROTO_CMD_PATH_BROADCAST;
	c[2 + PROTO_UA_LEN + 4] = 7; /* counter 7 */
	c[2 + PROTO_UA_LEN + 5] = 3; /* three parameter bytes */
	assert_int_equal(proto_ec_sign(f->center_priv, f->center_pub, c, n,
			     c + n),
	    0);
	n += PROTO_EC_SIG_LEN;
	c[n - 1] ^= 1;
	REFUSED(f, PROTO_SW_SECURITY, smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 2));
	c[n - 1] ^= 1;
	assert_int_equal(smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 2),
	    SM_SW_CMD_REFUSED);
	assert_int_equal(f->out[0] << 8 | f->out[1],
	    PROTO_SW_FUNC_NOT_SUPPORTED);
	smfix_state(f, &st);
	assert_int_equal(st.bcast_ctr, 7);
	assert_int_equal(st.cmd_ctr, 0);
	assert_last_outcome(f, PROTO_CMD_PATH_BROADCAST, 7, 0x40,
	    PROTO_SW_FUNC_NOT_SUPPORTED);
	REFUSED(f, SM_SW_REPLAYED, smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 2));
	/* without Le: the status word alone */
	f->bcounter = 7;
	assert_int_equal(smfix_send_cmd_path(f, PROTO_CMD_PATH_BROADCAST,
			     PROTO_CMD_REVOKE, 999, 0),
	    SM_SW_CMD_REFUSED);
	n = smfix_cmd_path(f, PROTO_CMD_REVOKE, PROTO_CMD_PATH_BROADCAST,
	    ++f->bcounter, 999, 0, NULL, c);
	assert_int_equal(smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 0),
	    SM_SW_CMD_REFUSED);
	assert_int_equal(f->n, 2);
}

/* What never counts as consumed: each refusal changes nothing. */
static void
test_not_consumed(void **state)
{
	struct smfix *f = *state;
	static const uint8_t other[PROTO_UA_LEN] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	uint8_t c[PROTO_CMD_MAX_LEN + 1];
	size_t n;

	/* a 17th-right grant that is also forged, other card's, malformed */
	n = smfix_cmd(f, PROTO_CMD_REVOKE, 3, 999, 0, other, c);
	REFUSED(f, SM_SW_OTHER_UA, smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 2));
	n = smfix_cmd(f, PROTO_CMD_REVOKE, 3, 999, 0, NULL, c);
	c[n - 10] ^= 4;
	REFUSED(f, PROTO_SW_SECURITY, smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 2));
	c[n - 10] ^= 4;
	REFUSED(f, PROTO_SW_WRONG_DATA,
	    smfix_tx(f, 0x80, 0x50, 0, 0, c, n - 1, 2));
	c[n] = 0;
	REFUSED(f, PROTO_SW_WRONG_DATA,
	    smfix_tx(f, 0x80, 0x50, 0, 0, c, n + 1, 2));
	c[0] = 1; /* version 1 */
	REFUSED(f, PROTO_SW_WRONG_DATA, smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 2));
	c[0] = PROTO_CMD_VERSION;
	REFUSED(f, PROTO_SW_INCORRECT_P1P2,
	    smfix_tx(f, 0x80, 0x50, 0, 1, c, n, 2));
	/* consumed once; then a replay, and an older counter, change nothing */
	assert_int_equal(smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 2),
	    SM_SW_CMD_REFUSED);
	REFUSED(f, SM_SW_REPLAYED, smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 2));
	n = smfix_cmd(f, PROTO_CMD_RELOAD, 2, 10, 0, NULL, c);
	REFUSED(f, SM_SW_REPLAYED, smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 2));
}

/* The ring keeps the latest 16, oldest first, in M2 and GET DATA 01 0A. */
static void
test_outcome_ring(void **state)
{
	struct smfix *f = *state;
	static struct proto_m2 m;
	struct proto_outcome ring[PROTO_M2_MAX_OUTCOMES];
	struct proto_rd r;
	uint8_t n = 0;

	assert_int_equal(smfix_tx(f, 0x80, 0xca, 0x01, SM_DO_OUTCOMES, NULL, 0,
			     256),
	    0x9000);
	assert_int_equal(f->n, 1 + 2);
	assert_int_equal(f->out[0], 0);
	for (uint32_t i = 0; i < 20; i++)
		assert_int_equal(smfix_send_cmd(f,
				     i % 2 ? PROTO_CMD_RELOAD :
					     PROTO_CMD_REVOKE,
				     i % 2 ? 1 : 999, 0),
		    i % 2 ? 0x9000 : SM_SW_CMD_REFUSED);
	view_m2(f, &m);
	assert_int_equal(m.n_outcomes, PROTO_M2_MAX_OUTCOMES);
	for (unsigned i = 0; i < m.n_outcomes; i++) {
		uint32_t k = 4 + i; /* the 5th command and later */
		assert_int_equal(m.outcomes[i].counter, k + 1);
		assert_int_equal(m.outcomes[i].type,
		    k % 2 ? PROTO_CMD_RELOAD : PROTO_CMD_REVOKE);
		assert_int_equal(m.outcomes[i].sw,
		    k % 2 ? 0x9000 : PROTO_SW_REF_NOT_FOUND);
	}
	assert_int_equal(smfix_tx(f, 0x80, 0xca, 0x01, SM_DO_OUTCOMES, NULL, 0,
			     256),
	    0x9000);
	assert_int_equal(f->n, PROTO_OUTCOMES_MAX_LEN + 2);
	proto_rd_init(&r, f->out, f->n - 2);
	assert_int_equal(proto_outcomes_read(&r, ring, &n), 0);
	assert_int_equal(proto_rd_left(&r), 0);
	assert_int_equal(n, PROTO_M2_MAX_OUTCOMES);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(ring[i].counter, m.outcomes[i].counter);
		assert_int_equal(ring[i].sw, m.outcomes[i].sw);
	}
	assert_int_equal(get_u32(f, SM_DO_CREDIT), FX_CREDIT + 10);
}

/* An EMM that overtakes a queued uplink command does not make it a replay. */
static void
test_two_paths(void **state)
{
	struct smfix *f = *state;
	uint8_t c[PROTO_CMD_MAX_LEN];
	struct smfix_state st;
	size_t n;

	f->bcounter = 40;
	assert_int_equal(smfix_send_cmd_path(f, PROTO_CMD_PATH_BROADCAST,
			     PROTO_CMD_RELOAD, 5, 0),
	    0x9000);
	/* the uplink command queued earlier, with a lower counter */
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_RELOAD, 7, 0), 0x9000);
	smfix_state(f, &st);
	assert_int_equal(st.bcast_ctr, 41);
	assert_int_equal(st.cmd_ctr, 1);
	assert_int_equal(st.credit, FX_CREDIT + 12);
	assert_last_outcome(f, PROTO_CMD_PATH_UPLINK, 1, PROTO_CMD_RELOAD,
	    0x9000);
	/* each path's own counter decides: above one, not the other */
	n = smfix_cmd_path(f, PROTO_CMD_RELOAD, PROTO_CMD_PATH_BROADCAST, 30, 1,
	    0, NULL, c);
	REFUSED(f, SM_SW_REPLAYED, smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 2));
	n = smfix_cmd_path(f, PROTO_CMD_RELOAD, PROTO_CMD_PATH_UPLINK, 1, 1, 0,
	    NULL, c);
	REFUSED(f, SM_SW_REPLAYED, smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 2));
	n = smfix_cmd_path(f, PROTO_CMD_RELOAD, PROTO_CMD_PATH_UPLINK, 30, 1, 0,
	    NULL, c);
	assert_int_equal(smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 2), 0x9000);
	smfix_state(f, &st);
	assert_int_equal(st.cmd_ctr, 30);
	assert_int_equal(st.bcast_ctr, 41);
}

/* Move the card's clock forward by editing its state, as time passing. */
static void
set_clock(struct smfix *f, uint32_t t)
{
	static struct card_sm_state s;
	int id;

	assert_int_equal(card_store_region(f->s, card_sm_applet.aid,
			     card_sm_applet.aidlen, &id, NULL),
	    0);
	assert_int_equal(card_sm_load(f->s, id, &s), 0);
	s.card_time = t;
	assert_int_equal(card_sm_store(f->s, id, &s), 0);
	card_sm_state_clear(&s);
}

static unsigned
rights(struct smfix *f)
{
	static struct proto_m2 m;

	view_m2(f, &m);
	return m.n_rights;
}

/* Rights whose expiry <= the clock are dropped on ECM, command, export. */
static void
test_expired_rights_dropped(void **state)
{
	struct smfix *f = *state;
	uint8_t ecm[PROTO_ECM_LEN], nonce[PROTO_CHALLENGE_LEN] = { 1 };
	struct proto_block b;
	struct proto_m2 m;
	uint8_t kt[PROTO_AES_KEY_LEN];

	/* right 5 until FX_T0 + 1000: an ECM at that time drops it */
	assert_int_equal(rights(f), 1);
	smfix_ecm(f, 5, 1, FX_T0 + 999, FX_T0 + 2000, PROTO_ECM_SUBSCRIPTION, 0,
	    NULL, ecm);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    0x9000);
	assert_int_equal(rights(f), 1);
	smfix_ecm(f, 9, 1, FX_T0 + 1000, FX_T0 + 2000, 0, 0, NULL, ecm);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    SM_SW_NOT_ENTITLED);
	assert_int_equal(rights(f), 0);
	/* a command: a grant already over is applied and gone */
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_GRANT, 6, FX_T0 + 1000),
	    0x9000);
	assert_int_equal(rights(f), 0);
	/* time passes: the next command drops the right it passed */
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_GRANT, 6, FX_T0 + 3000),
	    0x9000);
	set_clock(f, FX_T0 + 3000);
	assert_int_equal(rights(f), 1);
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_RELOAD, 1, 0), 0x9000);
	assert_int_equal(rights(f), 0);
	/* and an export (UPLINK BLOCKS too): not in the block, nor kept */
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_GRANT, 7, FX_T0 + 4000),
	    0x9000);
	set_clock(f, FX_T0 + 4000);
	assert_int_equal(smfix_tx(f, 0x80, 0x42, 0, 0, nonce, sizeof(nonce),
			     65536),
	    0x9000);
	assert_int_equal(proto_block_parse(f->out, f->n - 2, &b), 0);
	assert_int_equal(proto_kt_derive(f->master, f->ua, kt), 0);
	assert_int_equal(proto_block_open(&b, kt, &m), 0);
	assert_int_equal(m.n_rights, 0);
	assert_int_equal(m.clock, FX_T0 + 4000);
	assert_int_equal(rights(f), 0);
	proto_m2_clear(&m);
	/* 16 rights over by the clock make room for new ones */
	for (uint32_t ch = 100; ch < 100 + PROTO_M2_MAX_RIGHTS; ch++)
		assert_int_equal(smfix_send_cmd(f, PROTO_CMD_GRANT, ch,
				     FX_T0 + 5000),
		    0x9000);
	set_clock(f, FX_T0 + 5000);
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_GRANT, 300, FX_T0 + 9000),
	    0x9000);
	assert_int_equal(rights(f), 1);
}

static uint8_t
flags_of(struct smfix *f)
{
	struct smfix_state st;

	smfix_state(f, &st);
	return st.flags;
}

/* The center asks for an export; the next EXPORT answers it. */
static void
test_export_now(void **state)
{
	struct smfix *f = *state;
	uint8_t nonce[PROTO_CHALLENGE_LEN] = { 2 }, kt[PROTO_AES_KEY_LEN];
	static uint8_t blk[PROTO_BLOCK_MAX];
	static struct proto_m2 m;
	struct proto_block b;
	size_t n;

	assert_int_equal(smfix_send_cmd_path(f, PROTO_CMD_PATH_BROADCAST,
			     PROTO_CMD_EXPORT, 0, 0),
	    0x9000);
	assert_int_equal(flags_of(f), PROTO_M2_FLAG_EXPORT);
	view_m2(f, &m);
	assert_int_equal(m.flags, PROTO_M2_FLAG_EXPORT);
	assert_last_outcome(f, PROTO_CMD_PATH_BROADCAST, 1, PROTO_CMD_EXPORT,
	    0x9000);
	/* locked: EXPORT refused and the request stands */
	REFUSED(f, PROTO_SW_CONDITIONS,
	    smfix_tx(f, 0x80, 0x40, 0, 0, NULL, 0, 65536));
	/* UPLINK BLOCKS is no export into M1: the request stands */
	assert_int_equal(smfix_tx(f, 0x80, 0x42, 0, 0, nonce, sizeof(nonce),
			     65536),
	    0x9000);
	assert_int_equal(flags_of(f), PROTO_M2_FLAG_EXPORT);
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_UNLOCK, 0, 0), 0x9000);
	assert_int_equal(smfix_tx(f, 0x80, 0x40, 0, 0, NULL, 0, 65536), 0x9000);
	n = f->n - 2;
	memcpy(blk, f->out, n);
	assert_int_equal(flags_of(f), 0);
	/* the block itself shows the request answered */
	assert_int_equal(proto_block_parse(blk, n, &b), 0);
	assert_int_equal(proto_kt_derive(f->master, f->ua, kt), 0);
	assert_int_equal(proto_block_open(&b, kt, &m), 0);
	assert_int_equal(m.flags, 0);
	assert_int_equal(m.bcast_ctr, 1);
	proto_m2_clear(&m);
}

/* Disabled for good: no control words, no purchases; exports go on. */
static void
test_disable(void **state)
{
	struct smfix *f = *state;
	uint8_t ecm[PROTO_ECM_LEN], nonce[PROTO_CHALLENGE_LEN] = { 3 };
	struct smfix_state st;

	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_UNLOCK, 0, 0), 0x9000);
	assert_int_equal(buy(f, 42, FX_T0, FX_T0 + 3600, PROTO_ECM_PPV, 300),
	    0x9000);
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_DISABLE, 0, 0), 0x9000);
	assert_int_equal(flags_of(f), PROTO_M2_FLAG_DISABLED);
	smfix_ecm(f, 5, 1, FX_T0, FX_T0 + 60, PROTO_ECM_SUBSCRIPTION, 0, NULL,
	    ecm);
	REFUSED(f, SM_SW_DISABLED,
	    smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256));
	smfix_ecm(f, 7, 42, FX_T0 + 5, FX_T0 + 3600, PROTO_ECM_PPV, 300, NULL,
	    ecm);
	REFUSED(f, SM_SW_DISABLED,
	    smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256));
	REFUSED(f, SM_SW_DISABLED,
	    buy(f, 43, FX_T0, FX_T0 + 3600, PROTO_ECM_PPV, 1));
	/* a forged ECM is still told apart */
	ecm[20] ^= 1;
	REFUSED(f, PROTO_SW_SECURITY,
	    smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256));
	/* what it holds can still be recovered and acknowledged */
	assert_int_equal(smfix_tx(f, 0x80, 0x40, 0, 0, NULL, 0, 65536), 0x9000);
	assert_int_equal(smfix_tx(f, 0x80, 0x42, 0, 0, nonce, sizeof(nonce),
			     65536),
	    0x9000);
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_ACK, 1, 0), 0x9000);
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_EXPORT, 0, 0), 0x9000);
	smfix_state(f, &st);
	assert_int_equal(st.acked_seq, 1);
	assert_int_equal(st.flags,
	    PROTO_M2_FLAG_DISABLED | PROTO_M2_FLAG_EXPORT);
	assert_int_equal(st.export_seq, 2);
}

/* GET DATA 01 09: the certificate the issuer signed at personalization. */
static void
test_certificate(void **state)
{
	struct smfix *f = *state;
	struct proto_cert c;

	snapshot(f);
	assert_int_equal(smfix_tx(f, 0x80, 0xca, 0x01, SM_DO_CERT, NULL, 0,
			     256),
	    0x9000);
	assert_int_equal(f->n, PROTO_CERT_LEN + 2);
	assert_int_equal(proto_cert_verify(f->out, PROTO_CERT_LEN,
			     f->issuer_pub, &c),
	    0);
	assert_memory_equal(c.ua, f->ua, PROTO_UA_LEN);
	assert_memory_equal(c.pub, f->card_pub, PROTO_EC_PUB_LEN);
	assert_int_equal(c.versions[0], 1);
	assert_int_equal(proto_cert_verify(f->out, PROTO_CERT_LEN,
			     f->center_pub, &c),
	    PROTO_ERR_AUTH);
	assert_unchanged(f);
	/* a card personalized without one */
	card_rt_free(&f->rt);
	card_store_free(&f->s);
	unlink(f->path);
	f->no_cert = 1;
	assert_int_equal(smfix_personalize(f, FX_CREDIT), 0);
	assert_int_equal(smfix_runtime(f), 0);
	assert_int_equal(smfix_select(f), 0x9000);
	REFUSED(f, PROTO_SW_REF_NOT_FOUND,
	    smfix_tx(f, 0x80, 0xca, 0x01, SM_DO_CERT, NULL, 0, 256));
}

int
main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, smfix_setup, smfix_teardown)
	const struct CMUnitTest tests[] = {
		T(test_refused_is_consumed),
		T(test_unknown_type_is_consumed),
		T(test_not_consumed),
		T(test_outcome_ring),
		T(test_two_paths),
		T(test_expired_rights_dropped),
		T(test_export_now),
		T(test_disable),
		T(test_certificate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
