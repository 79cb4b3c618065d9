/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test fixture for the security-module applet, #included by the tests
 * that need it: operator keys, a personalized card in a temporary
 * directory, a runtime over it, and helpers to build ECMs and commands.
 * Needs <cmocka.h> included first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../card/applets.h"
#include "../../card/runtime.h"
#include "../../card/sm.h"
#include "../../card/store.h"
#include "../../proto/apdu.h"
#include "../../proto/proto.h"
#include "../../proto/sm.h"
#include "image_check.c"

#define FX_T0 1800000000u
#define FX_CREDIT 1000u

struct smfix {
	char dir[64], path[128];
	uint8_t ua[PROTO_UA_LEN];
	uint8_t master[PROTO_MASTER_LEN], ecm_key[PROTO_AES_KEY_LEN];
	uint8_t center_priv[PROTO_EC_PRIV_LEN], center_pub[PROTO_EC_PUB_LEN];
	uint8_t issuer_priv[PROTO_EC_PRIV_LEN], issuer_pub[PROTO_EC_PUB_LEN];
	uint8_t card_pub[PROTO_EC_PUB_LEN];
	struct card_store *s;
	struct card_rt *rt;
	uint8_t cmd[PROTO_APDU_MAX_CMD_LEN]; /* the APDU being sent */
	uint8_t out[70000];
	size_t n;
	struct image_snap snap;
	uint32_t counter;  /* the last used on the uplink path */
	uint32_t bcounter; /* ... and on the broadcast path */
	int no_cert;       /* personalize without a certificate */
};

static int
smfix_personalize(struct smfix *f, uint32_t credit)
{
	struct card_sm_perso p;
	int rc;

	memset(&p, 0, sizeof(p));
	memcpy(p.ua, f->ua, PROTO_UA_LEN);
	p.credit = credit;
	p.versions[0] = 1;
	p.n_rights = 1;
	p.rights[0].channel = 5;
	p.rights[0].expiry = FX_T0 + 1000;
	if ((rc = proto_ec_keygen(p.keys.sign_priv, p.keys.sign_pub)) != 0 ||
	    (rc = proto_kt_derive(f->master, f->ua, p.keys.kt)) != 0)
		return rc;
	memcpy(f->card_pub, p.keys.sign_pub, PROTO_EC_PUB_LEN);
	memcpy(p.center_pub, f->center_pub, PROTO_EC_PUB_LEN);
	memcpy(p.ecm_key, f->ecm_key, PROTO_AES_KEY_LEN);
	if (!f->no_cert &&
	    (rc = card_sm_certify(&p, f->issuer_priv, f->issuer_pub)) != 0)
		return rc;
	if ((rc = card_store_create(f->path, f->ua, &f->s)) != 0 ||
	    (rc = card_rt_install(f->s, &card_ident_applet)) != 0 ||
	    (rc = card_sm_personalize(f->s, &p)) != 0)
		return rc;
	return 0;
}

static int
smfix_runtime(struct smfix *f)
{
	const struct card_applet *const *apps;
	size_t n;

	card_rt_free(&f->rt);
	apps = card_applets(&n);
	return card_rt_new(f->s, apps, n, &f->rt);
}

/*
 * A personalized card and a runtime over it.  A fixture that cannot be
 * built is a broken test environment, not a finding: it aborts (so the
 * callers, and the analyzer, never see NULL).
 */
static struct smfix *
smfix_new(uint32_t credit)
{
	static const uint8_t ua[PROTO_UA_LEN] = { 0x11, 0x22, 0x33, 0x44, 0x55,
		0x66, 0x77, 0x88 };
	struct smfix *f = calloc(1, sizeof(*f));

	if (f == NULL)
		abort();
	snprintf(f->dir, sizeof(f->dir), "/tmp/ptv-sm.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		abort();
	snprintf(f->path, sizeof(f->path), "%s/sm.img", f->dir);
	memcpy(f->ua, ua, sizeof(ua));
	if (proto_random(f->master, sizeof(f->master)) != 0 ||
	    proto_random(f->ecm_key, sizeof(f->ecm_key)) != 0 ||
	    proto_ec_keygen(f->center_priv, f->center_pub) != 0 ||
	    proto_ec_keygen(f->issuer_priv, f->issuer_pub) != 0 ||
	    smfix_personalize(f, credit) != 0 || smfix_runtime(f) != 0)
		abort();
	return f;
}

static void
smfix_free(struct smfix **fp)
{
	struct smfix *f = *fp;
	char tmp[160];

	if (f == NULL)
		return;
	card_rt_free(&f->rt);
	card_store_free(&f->s);
	free(f->snap.img);
	unlink(f->path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	unlink(tmp);
	rmdir(f->dir);
	free(f);
	*fp = NULL;
}

/* Send one APDU; returns the status word, data in f->out[0 .. f->n-2). */
static uint16_t
smfix_tx(struct smfix *f, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
    const uint8_t *data, size_t lc, size_t ne)
{
	struct proto_apdu a = { .cla = cla,
		.ins = ins,
		.p1 = p1,
		.p2 = p2,
		.data = data,
		.lc = lc,
		.ne = ne };
	struct proto_wr w;

	proto_wr_init(&w, f->cmd, sizeof(f->cmd));
	if (proto_apdu_encode(&a, &w) != 0)
		return 0;
	f->n = card_rt_transmit(f->rt, f->cmd, proto_wr_len(&w), f->out,
	    sizeof(f->out));
	return (uint16_t)(f->out[f->n - 2] << 8 | f->out[f->n - 1]);
}

static uint16_t
smfix_select(struct smfix *f)
{
	static const uint8_t aid[SM_AID_LEN] = SM_AID_INIT;

	return smfix_tx(f, 0x00, PROTO_INS_SELECT, PROTO_SELECT_BY_AID,
	    PROTO_SELECT_FIRST, aid, sizeof(aid), 0);
}

static void
smfix_ecm(struct smfix *f, uint16_t channel, uint32_t event, uint32_t time,
    uint32_t end, uint8_t flags, uint32_t price, const uint8_t *cw,
    uint8_t out[PROTO_ECM_LEN])
{
	struct proto_ecm e = { .channel = channel,
		.event = event,
		.time = time,
		.event_end = end,
		.flags = flags,
		.price = price };
	uint8_t zero[PROTO_CW_LEN] = { 0 };

	(void)f;
	if (proto_ecm_build(&e, cw != NULL ? cw : zero, f->ecm_key, out) != 0)
		abort();
}

/*
 * Sign a center command for this card (or another UA) on a path; returns
 * its length.
 */
static size_t
smfix_cmd_path(struct smfix *f, uint8_t type, uint8_t path, uint32_t counter,
    uint32_t arg1, uint32_t arg2, const uint8_t *ua, uint8_t *out)
{
	struct proto_cmd c = { .type = type,
		.path = path,
		.counter = counter,
		.arg1 = arg1,
		.arg2 = arg2 };
	const uint8_t *to = ua != NULL ? ua : f->ua;
	struct proto_wr w;

	memcpy(c.ua, to, PROTO_UA_LEN);
	proto_wr_init(&w, out, PROTO_CMD_MAX_LEN);
	if (proto_cmd_sign(&c, f->center_priv, f->center_pub, &w) != 0)
		abort();
	return proto_wr_len(&w);
}

/* The same on the uplink path. */
static size_t
smfix_cmd(struct smfix *f, uint8_t type, uint32_t counter, uint32_t arg1,
    uint32_t arg2, const uint8_t *ua, uint8_t *out)
{
	return smfix_cmd_path(f, type, PROTO_CMD_PATH_UPLINK, counter, arg1,
	    arg2, ua, out);
}

/* Send a command for this card with the path's next counter; Le 2. */
static uint16_t
smfix_send_cmd_path(struct smfix *f, uint8_t path, uint8_t type, uint32_t arg1,
    uint32_t arg2)
{
	uint32_t *ctr =
	    path == PROTO_CMD_PATH_BROADCAST ? &f->bcounter : &f->counter;
	uint8_t c[PROTO_CMD_MAX_LEN];
	size_t n = smfix_cmd_path(f, type, path, ++*ctr, arg1, arg2, NULL, c);

	return smfix_tx(f, SM_CLA, SM_INS_COMMAND, 0, 0, c, n, 2);
}

static uint16_t
smfix_send_cmd(struct smfix *f, uint8_t type, uint32_t arg1, uint32_t arg2)
{
	return smfix_send_cmd_path(f, PROTO_CMD_PATH_UPLINK, type, arg1, arg2);
}

/* --- what the applet's tests check with ------------------------------- */

static void __attribute__((unused)) snapshot(struct smfix *f)
{
	image_snapshot(f->s, &f->snap);
}

static void __attribute__((unused)) assert_unchanged(struct smfix *f)
{
	image_assert_unchanged(f->s, &f->snap);
}

/* Expect sw and an unchanged image. */
#define REFUSED(f, sw, call)                    \
	do {                                    \
		snapshot(f);                    \
		assert_int_equal((call), (sw)); \
		assert_unchanged(f);            \
	} while (0)

static uint32_t __attribute__((unused)) be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* A 4-byte GET DATA object. */
static uint32_t __attribute__((unused)) get_u32(struct smfix *f, uint8_t p2)
{
	assert_int_equal(smfix_tx(f, 0x80, 0xca, 0x01, p2, NULL, 0, 4), 0x9000);
	assert_int_equal(f->n, 6);
	return be32(f->out);
}

/* The state object (GET DATA 01 00), decoded. */
struct smfix_state {
	uint8_t locked, free_log, flags;
	uint32_t change_ctr, export_seq, credit, purchase_seq, acked_seq;
	uint32_t cmd_ctr, bcast_ctr;
};

static void __attribute__((unused))
smfix_state(struct smfix *f, struct smfix_state *st)
{
	struct proto_rd r;
	uint8_t ua[PROTO_UA_LEN];

	assert_int_equal(smfix_tx(f, 0x80, 0xca, 0x01, SM_DO_STATE, NULL, 0,
			     256),
	    0x9000);
	assert_int_equal(f->n, SM_STATE_LEN + 2);
	proto_rd_init(&r, f->out, SM_STATE_LEN);
	assert_int_equal(proto_rd_bytes(&r, ua, sizeof(ua)), 0);
	assert_memory_equal(ua, f->ua, sizeof(ua));
	assert_int_equal(proto_rd_u8(&r, &st->locked), 0);
	assert_int_equal(proto_rd_u32(&r, &st->change_ctr), 0);
	assert_int_equal(proto_rd_u32(&r, &st->export_seq), 0);
	assert_int_equal(proto_rd_u32(&r, &st->credit), 0);
	assert_int_equal(proto_rd_u8(&r, &st->free_log), 0);
	assert_int_equal(proto_rd_u32(&r, &st->purchase_seq), 0);
	assert_int_equal(proto_rd_u32(&r, &st->acked_seq), 0);
	assert_int_equal(proto_rd_u32(&r, &st->cmd_ctr), 0);
	assert_int_equal(proto_rd_u8(&r, &st->flags), 0);
	assert_int_equal(proto_rd_u32(&r, &st->bcast_ctr), 0);
	assert_int_equal(proto_rd_end(&r), 0);
}

/* BUY EVENT on channel 7. */
static uint16_t __attribute__((unused)) buy(struct smfix *f, uint32_t event,
    uint32_t time, uint32_t end, uint8_t flags, uint32_t price)
{
	uint8_t ecm[PROTO_ECM_LEN];

	smfix_ecm(f, 7, event, time, end, flags, price, NULL, ecm);
	return smfix_tx(f, 0x80, 0x32, 0, 0, ecm, sizeof(ecm), 256);
}

/* cmocka setup and teardown: a card personalized and selected. */
static int __attribute__((unused)) smfix_setup(void **state)
{
	struct smfix *f = smfix_new(FX_CREDIT);

	if (f == NULL || smfix_select(f) != 0x9000)
		return -1;
	*state = f;
	return 0;
}

static int __attribute__((unused)) smfix_teardown(void **state)
{
	struct smfix *f = *state;

	smfix_free(&f);
	return 0;
}
