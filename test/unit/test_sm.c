/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * The security-module applet through the runtime: every command's success
 * path and failure paths, each failure checked for its status word and
 * for an unchanged card image; exported blocks verified against the
 * card's public key and decrypted with the re-derived transmission key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "smfix.c"

static void
test_get_data(void **state)
{
	struct smfix *f = *state;

	snapshot(f);
	assert_int_equal(smfix_tx(f, 0x00, 0xca, 0x01, SM_DO_UA, NULL, 0, 256),
	    0x9000);
	assert_int_equal(f->n, 10);
	assert_memory_equal(f->out, f->ua, 8);
	assert_int_equal(smfix_tx(f, 0x80, 0xca, 0x01, SM_DO_LOCK, NULL, 0, 1),
	    0x9000);
	assert_int_equal(f->out[0], 1); /* new cards are locked */
	assert_int_equal(get_u32(f, SM_DO_CREDIT), FX_CREDIT);
	assert_int_equal(get_u32(f, SM_DO_EXPORT_SEQ), 0);
	assert_int_equal(get_u32(f, SM_DO_CHANGE_CTR), 0);
	assert_int_equal(smfix_tx(f, 0x80, 0xca, 0x01, SM_DO_FREE_LOG, NULL, 0,
			     1),
	    0x9000);
	assert_int_equal(f->out[0], PROTO_M2_MAX_PURCHASES);
	assert_int_equal(smfix_tx(f, 0x80, 0xca, 0x01, SM_DO_PUBKEY, NULL, 0,
			     256),
	    0x9000);
	assert_memory_equal(f->out, f->card_pub, PROTO_EC_PUB_LEN);
	assert_int_equal(smfix_tx(f, 0x80, 0xca, 0x01, SM_DO_STATE, NULL, 0,
			     256),
	    0x9000);
	assert_int_equal(f->n, SM_STATE_LEN + 2);
	assert_int_equal(smfix_tx(f, 0x80, 0xca, 0x01, SM_DO_VERSIONS, NULL, 0,
			     256),
	    0x9000);
	assert_int_equal(f->out[0], 1);
	/* errors */
	assert_int_equal(smfix_tx(f, 0x80, 0xca, 0x02, 0x01, NULL, 0, 8),
	    0x6a86);
	assert_int_equal(smfix_tx(f, 0x80, 0xca, 0x01, 0x77, NULL, 0, 8),
	    0x6a86);
	assert_int_equal(smfix_tx(f, 0x80, 0xca, 0x01, 0x01, f->ua, 2, 8),
	    0x6700);
	assert_int_equal(smfix_tx(f, 0x90, 0x30, 0, 0, NULL, 0, 8), 0x6e00);
	assert_int_equal(smfix_tx(f, 0x80, 0x99, 0, 0, NULL, 0, 8), 0x6d00);
	assert_int_equal(smfix_tx(f, 0x00, 0x30, 0, 0, NULL, 0, 8), 0x6d00);
	assert_unchanged(f);
}

static void
test_ecm(void **state)
{
	struct smfix *f = *state;
	uint8_t ecm[PROTO_ECM_LEN], cw[PROTO_CW_LEN];

	for (size_t i = 0; i < sizeof(cw); i++)
		cw[i] = (uint8_t)(0xa0 + i);
	/* a subscribed channel: the control words */
	smfix_ecm(f, 5, 1, FX_T0, FX_T0 + 60, PROTO_ECM_SUBSCRIPTION, 0, cw,
	    ecm);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    0x9000);
	assert_int_equal(f->n, PROTO_CW_LEN + 2);
	assert_memory_equal(f->out, cw, PROTO_CW_LEN);
	/* no right on channel 6: denied, counted */
	smfix_ecm(f, 6, 1, FX_T0, FX_T0 + 60, PROTO_ECM_SUBSCRIPTION, 0, cw,
	    ecm);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    SM_SW_NOT_ENTITLED);
	assert_int_equal(f->n, 2);
	/* the right has expired */
	smfix_ecm(f, 5, 1, FX_T0 + 1000, FX_T0 + 2000, PROTO_ECM_SUBSCRIPTION,
	    0, cw, ecm);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    SM_SW_NOT_ENTITLED);
	/* a purchasable event: its offer */
	smfix_ecm(f, 7, 42, FX_T0, FX_T0 + 3600, PROTO_ECM_PPV, 300, cw, ecm);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    SM_SW_PURCHASE_POSSIBLE);
	assert_int_equal(f->n, 12);
	assert_int_equal(be32(f->out), 42);
	assert_int_equal(be32(f->out + 4), 300);
	/* forged, truncated, trailing, empty, bad P1: nothing changes */
	ecm[PROTO_ECM_AAD_LEN + 3] ^= 1;
	REFUSED(f, PROTO_SW_SECURITY,
	    smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256));
	ecm[PROTO_ECM_AAD_LEN + 3] ^= 1;
	ecm[9] ^= 0x80; /* the price, authenticated as AAD */
	REFUSED(f, PROTO_SW_SECURITY,
	    smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256));
	ecm[9] ^= 0x80;
	REFUSED(f, PROTO_SW_WRONG_DATA,
	    smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm) - 1, 256));
	REFUSED(f, PROTO_SW_WRONG_DATA,
	    smfix_tx(f, 0x80, 0x30, 0, 0, ecm, 3, 256));
	REFUSED(f, PROTO_SW_WRONG_LENGTH,
	    smfix_tx(f, 0x80, 0x30, 0, 0, NULL, 0, 256));
	REFUSED(f, PROTO_SW_INCORRECT_P1P2,
	    smfix_tx(f, 0x80, 0x30, 1, 0, ecm, sizeof(ecm), 256));
	ecm[0] = 2; /* another format version */
	REFUSED(f, PROTO_SW_WRONG_DATA,
	    smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256));
}

static void
check_counters(struct smfix *f, uint32_t cws, uint32_t denials)
{
	struct card_sm_view v;

	assert_int_equal(card_sm_view(f->s, &v), 0);
	assert_int_equal(v.m2.cws, cws);
	assert_int_equal(v.m2.denials, denials);
}

static void
test_ecm_counters_and_powerup(void **state)
{
	struct smfix *f = *state;
	uint8_t ecm[PROTO_ECM_LEN];
	struct card_sm_view v;

	smfix_ecm(f, 5, 1, FX_T0, FX_T0 + 60, PROTO_ECM_SUBSCRIPTION, 0, NULL,
	    ecm);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    0x9000);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    0x9000);
	smfix_ecm(f, 9, 1, FX_T0, FX_T0 + 60, 0, 0, NULL, ecm);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 0),
	    SM_SW_NOT_ENTITLED);
	check_counters(f, 2, 1);
	assert_int_equal(card_sm_view(f->s, &v), 0);
	assert_int_equal(v.m2.powerups, 1);
	assert_int_equal(v.m2.n_counts, 2);
	assert_int_equal(v.m2.counts[0].channel, 5);
	assert_int_equal(v.m2.counts[0].ecms, 2);
	assert_int_equal(v.card_time, FX_T0);
	/* usage counters do not move the change counter */
	assert_int_equal(v.m2.change_ctr, 0);
	/* a reset and a new session: one more power-up, counted once */
	card_rt_reset(f->rt);
	assert_int_equal(smfix_select(f), 0x9000);
	smfix_ecm(f, 5, 1, FX_T0, FX_T0 + 60, PROTO_ECM_SUBSCRIPTION, 0, NULL,
	    ecm);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    0x9000);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    0x9000);
	assert_int_equal(card_sm_view(f->s, &v), 0);
	assert_int_equal(v.m2.powerups, 2);
}

static void
test_buy(void **state)
{
	struct smfix *f = *state;
	uint8_t ecm[PROTO_ECM_LEN], cw[PROTO_CW_LEN] = { 7, 7, 7 };
	struct card_sm_view v;

	/*
	 * transfer-locked: no purchase (9205, nothing changes, every refusal
	 * of a well-formed ECM included), while a subscription right still
	 * opens its channel
	 */
	REFUSED(f, SM_SW_LOCKED,
	    buy(f, 42, FX_T0, FX_T0 + 3600, PROTO_ECM_PPV, 300));
	REFUSED(f, SM_SW_LOCKED,
	    buy(f, 43, FX_T0, FX_T0 + 3600, PROTO_ECM_PPV, FX_CREDIT * 2));
	REFUSED(f, SM_SW_LOCKED, buy(f, 44, FX_T0, FX_T0 + 3600, 0, 0));
	smfix_ecm(f, 5, 1, FX_T0, FX_T0 + 60, PROTO_ECM_SUBSCRIPTION, 0, cw,
	    ecm);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    0x9000);
	assert_memory_equal(f->out, cw, 3);
	/* a forged ECM is still a forgery, locked or not */
	smfix_ecm(f, 7, 46, FX_T0, FX_T0 + 3600, PROTO_ECM_PPV, 1, NULL, ecm);
	ecm[sizeof(ecm) - 1] ^= 1;
	REFUSED(f, PROTO_SW_SECURITY,
	    smfix_tx(f, 0x80, 0x32, 0, 0, ecm, sizeof(ecm), 256));
	assert_int_equal(card_sm_view(f->s, &v), 0);
	assert_int_equal(v.m2.n_purchases, 0);
	assert_int_equal(v.m2.credit, FX_CREDIT);

	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_UNLOCK, 0, 0), 0x9000);
	assert_int_equal(get_u32(f, SM_DO_CHANGE_CTR), 1);
	assert_int_equal(buy(f, 42, FX_T0, FX_T0 + 3600, PROTO_ECM_PPV, 300),
	    0x9000);
	assert_int_equal(f->n, 10);
	assert_int_equal(be32(f->out), 1); /* purchase #1 */
	assert_int_equal(be32(f->out + 4), FX_CREDIT - 300);
	assert_int_equal(get_u32(f, SM_DO_CHANGE_CTR), 2);
	assert_int_equal(card_sm_view(f->s, &v), 0);
	assert_int_equal(v.m2.n_purchases, 1);
	assert_int_equal(v.m2.purchases[0].event, 42);
	assert_int_equal(v.m2.purchases[0].price, 300);
	assert_int_equal(v.m2.purchases[0].time, FX_T0);
	/* the bought event's ECMs now give control words */
	smfix_ecm(f, 7, 42, FX_T0 + 10, FX_T0 + 3600, PROTO_ECM_PPV, 300, cw,
	    ecm);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    0x9000);
	assert_memory_equal(f->out, cw, 3);
	/* each refusal changes nothing */
	REFUSED(f, SM_SW_ALREADY_BOUGHT,
	    buy(f, 42, FX_T0, FX_T0 + 3600, PROTO_ECM_PPV, 300));
	REFUSED(f, SM_SW_NO_CREDIT,
	    buy(f, 43, FX_T0, FX_T0 + 3600, PROTO_ECM_PPV, FX_CREDIT));
	REFUSED(f, SM_SW_NOT_PURCHASABLE,
	    buy(f, 44, FX_T0, FX_T0 + 3600, PROTO_ECM_SUBSCRIPTION, 1));
	REFUSED(f, SM_SW_NOT_PURCHASABLE,
	    buy(f, 45, FX_T0 + 3600, FX_T0 + 3600, PROTO_ECM_PPV, 1));
	smfix_ecm(f, 7, 46, FX_T0, FX_T0 + 3600, PROTO_ECM_PPV, 1, NULL, ecm);
	ecm[sizeof(ecm) - 1] ^= 1;
	REFUSED(f, PROTO_SW_SECURITY,
	    smfix_tx(f, 0x80, 0x32, 0, 0, ecm, sizeof(ecm), 256));
	REFUSED(f, PROTO_SW_WRONG_DATA,
	    smfix_tx(f, 0x80, 0x32, 0, 0, ecm, 10, 256));
	REFUSED(f, PROTO_SW_WRONG_LENGTH,
	    smfix_tx(f, 0x80, 0x32, 0, 0, NULL, 0, 256));
	assert_int_equal(get_u32(f, SM_DO_CREDIT), FX_CREDIT - 300);
}

static void
test_log_full(void **state)
{
	struct smfix *f = *state;
	uint32_t i;

	card_rt_free(&f->rt);
	card_store_free(&f->s);
	unlink(f->path);
	assert_int_equal(smfix_personalize(f, 100000), 0);
	assert_int_equal(smfix_runtime(f), 0);
	assert_int_equal(smfix_select(f), 0x9000);
	f->counter = 0;
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_UNLOCK, 0, 0), 0x9000);
	/* events end at different times so the bought table can age */
	for (i = 0; i < 32; i++)
		assert_int_equal(buy(f, 100 + i, FX_T0, FX_T0 + 10 + i,
				     PROTO_ECM_PPV, 1),
		    0x9000);
	/* the table of bought events is full until one is over */
	REFUSED(f, PROTO_SW_NOT_ENOUGH_MEMORY,
	    buy(f, 200, FX_T0, FX_T0 + 100, PROTO_ECM_PPV, 1));
	for (; i < PROTO_M2_MAX_PURCHASES; i++)
		assert_int_equal(buy(f, 100 + i, FX_T0 + 100, FX_T0 + 200,
				     PROTO_ECM_PPV, 1),
		    0x9000);
	REFUSED(f, SM_SW_LOG_FULL,
	    buy(f, 300, FX_T0 + 100, FX_T0 + 200, PROTO_ECM_PPV, 1));
	/* the center acknowledges 10 purchases: room for 10 */
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_ACK, 10, 0), 0x9000);
	assert_int_equal(smfix_tx(f, 0x80, 0xca, 0x01, SM_DO_FREE_LOG, NULL, 0,
			     1),
	    0x9000);
	assert_int_equal(f->out[0], 10);
	assert_int_equal(buy(f, 300, FX_T0 + 250, FX_T0 + 300, PROTO_ECM_PPV,
			     1),
	    0x9000);
	assert_int_equal(be32(f->out), 65);
}

static void
test_export(void **state)
{
	struct smfix *f = *state;
	struct proto_block b;
	struct proto_m2 m;
	uint8_t kt[PROTO_AES_KEY_LEN], blk[PROTO_BLOCK_MAX];
	uint8_t nonce[SM_UPLINK_LC + 1];
	size_t n;

	assert_int_equal(proto_random(nonce, sizeof(nonce)), 0);
	/* locked: EXPORT refused, UPLINK BLOCKS allowed */
	REFUSED(f, PROTO_SW_CONDITIONS,
	    smfix_tx(f, 0x80, 0x40, 0, 0, NULL, 0, 65536));
	/* UPLINK BLOCKS takes exactly the session's 16-byte challenge */
	REFUSED(f, PROTO_SW_WRONG_LENGTH,
	    smfix_tx(f, 0x80, 0x42, 0, 0, NULL, 0, 65536));
	REFUSED(f, PROTO_SW_WRONG_LENGTH,
	    smfix_tx(f, 0x80, 0x42, 0, 0, nonce, SM_UPLINK_LC - 1, 65536));
	REFUSED(f, PROTO_SW_WRONG_LENGTH,
	    smfix_tx(f, 0x80, 0x42, 0, 0, nonce, SM_UPLINK_LC + 1, 65536));
	REFUSED(f, PROTO_SW_INCORRECT_P1P2,
	    smfix_tx(f, 0x80, 0x42, 0, 1, nonce, SM_UPLINK_LC, 65536));
	assert_int_equal(smfix_tx(f, 0x80, 0x42, 0, 0, nonce, SM_UPLINK_LC,
			     65536),
	    0x9000);
	assert_int_equal(proto_block_parse(f->out, f->n - 2, &b), 0);
	assert_int_equal(b.kind, PROTO_BLOCK_UPLINK);
	assert_int_equal(b.seq, 1);
	assert_memory_equal(b.challenge, nonce, PROTO_CHALLENGE_LEN);
	assert_int_equal(proto_block_verify(&b, f->card_pub), 0);
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_UNLOCK, 0, 0), 0x9000);
	assert_int_equal(buy(f, 42, FX_T0, FX_T0 + 3600, PROTO_ECM_PPV, 300),
	    0x9000);
	/* unlocked: a block in one extended response */
	assert_int_equal(smfix_tx(f, 0x80, 0x40, 0, 0, NULL, 0, 65536), 0x9000);
	n = f->n - 2;
	memcpy(blk, f->out, n);
	assert_int_equal(proto_block_parse(blk, n, &b), 0);
	assert_int_equal(b.kind, PROTO_BLOCK_EXPORT);
	assert_int_equal(b.seq, 2);
	assert_memory_equal(b.ua, f->ua, PROTO_UA_LEN);
	for (size_t i = 0; i < PROTO_CHALLENGE_LEN; i++)
		assert_int_equal(b.challenge[i], 0);
	assert_int_equal(proto_block_verify(&b, f->card_pub), 0);
	assert_int_equal(proto_kt_derive(f->master, f->ua, kt), 0);
	assert_int_equal(proto_block_open(&b, kt, &m), 0);
	assert_int_equal(m.credit, FX_CREDIT - 300);
	assert_int_equal(m.locked, 0);
	assert_int_equal(m.n_purchases, 1);
	assert_int_equal(m.purchases[0].event, 42);
	assert_int_equal(get_u32(f, SM_DO_EXPORT_SEQ), 2);
	/* one flipped bit anywhere: the block no longer verifies or opens */
	for (size_t i = 0; i < n * 8; i++) {
		int ok;
		blk[i / 8] ^= (uint8_t)(1 << (i % 8));
		ok = proto_block_parse(blk, n, &b) == 0 &&
		    proto_block_verify(&b, f->card_pub) == 0 &&
		    proto_block_open(&b, kt, &m) == 0;
		if (ok)
			fail_msg("bit %zu flipped went unnoticed", i);
		blk[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	/* a short Le: the block by GET RESPONSE chaining */
	assert_int_equal(smfix_tx(f, 0x80, 0x40, 0, 0, NULL, 0, 64) & 0xff00,
	    0x6100);
	assert_int_equal(f->n, 66);
	assert_int_equal(smfix_tx(f, 0x00, 0xc0, 0, 0, NULL, 0, 256), 0x9000);
	assert_int_equal(f->n - 2 + 64, n);
	REFUSED(f, PROTO_SW_INCORRECT_P1P2,
	    smfix_tx(f, 0x80, 0x40, 1, 0, NULL, 0, 256));
	REFUSED(f, PROTO_SW_WRONG_LENGTH,
	    smfix_tx(f, 0x80, 0x40, 0, 0, kt, 4, 256));
}

static void
test_commands(void **state)
{
	struct smfix *f = *state;
	static const uint8_t other[PROTO_UA_LEN] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	uint8_t c[PROTO_CMD_MAX_LEN], bad_priv[PROTO_EC_PRIV_LEN],
	    bad_pub[PROTO_EC_PUB_LEN], ecm[PROTO_ECM_LEN];
	struct proto_cmd pc = { .type = PROTO_CMD_UNLOCK, .counter = 50 };
	struct proto_wr w;
	size_t n;

	/* forged: signed by another key */
	assert_int_equal(proto_ec_keygen(bad_priv, bad_pub), 0);
	memcpy(pc.ua, f->ua, PROTO_UA_LEN);
	proto_wr_init(&w, c, sizeof(c));
	assert_int_equal(proto_cmd_sign(&pc, bad_priv, bad_pub, &w), 0);
	REFUSED(f, PROTO_SW_SECURITY,
	    smfix_tx(f, 0x80, 0x50, 0, 0, c, proto_wr_len(&w), 0));
	/* for another card */
	n = smfix_cmd(f, PROTO_CMD_UNLOCK, 1, 0, 0, other, c);
	REFUSED(f, SM_SW_OTHER_UA, smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 0));
	/* truncated, padded, bit-flipped */
	n = smfix_cmd(f, PROTO_CMD_UNLOCK, 1, 0, 0, NULL, c);
	REFUSED(f, PROTO_SW_WRONG_DATA,
	    smfix_tx(f, 0x80, 0x50, 0, 0, c, n - 1, 0));
	REFUSED(f, PROTO_SW_WRONG_DATA, smfix_tx(f, 0x80, 0x50, 0, 0, c, 5, 0));
	c[n] = 0;
	REFUSED(f, PROTO_SW_WRONG_DATA,
	    smfix_tx(f, 0x80, 0x50, 0, 0, c, n + 1, 0));
	c[12] ^= 1; /* the counter, under the signature */
	REFUSED(f, PROTO_SW_SECURITY, smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 0));
	c[12] ^= 1;
	REFUSED(f, PROTO_SW_WRONG_LENGTH,
	    smfix_tx(f, 0x80, 0x50, 0, 0, NULL, 0, 0));
	/* genuine: applied once; replayed: refused */
	assert_int_equal(smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 0), 0x9000);
	REFUSED(f, SM_SW_REPLAYED, smfix_tx(f, 0x80, 0x50, 0, 0, c, n, 0));
	f->counter = 1;
	/* reload */
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_RELOAD, 500, 0), 0x9000);
	assert_int_equal(get_u32(f, SM_DO_CREDIT), FX_CREDIT + 500);
	/* grant channel 8, see its control words, revoke it */
	smfix_ecm(f, 8, 1, FX_T0, FX_T0 + 60, PROTO_ECM_SUBSCRIPTION, 0, NULL,
	    ecm);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    SM_SW_NOT_ENTITLED);
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_GRANT, 8, FX_T0 + 10),
	    0x9000);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    0x9000);
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_REVOKE, 8, 0), 0x9000);
	assert_int_equal(smfix_tx(f, 0x80, 0x30, 0, 0, ecm, sizeof(ecm), 256),
	    SM_SW_NOT_ENTITLED);
	assert_int_equal(smfix_tx(f, 0x80, 0x40, 0, 0, NULL, 0, 65536), 0x9000);
}

int
main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, smfix_setup, smfix_teardown)
	const struct CMUnitTest tests[] = {
		T(test_get_data),
		T(test_ecm),
		T(test_ecm_counters_and_powerup),
		T(test_buy),
		T(test_log_full),
		T(test_export),
		T(test_commands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
