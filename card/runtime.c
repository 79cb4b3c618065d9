/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "../proto/crypto.h"
#include "../proto/proto.h"
#include "../proto/tlv.h"
#include "runtime.h"

#define FCI_TAG 0x6f
#define FCI_AID_TAG 0x84

struct applet_inst {
	const struct card_applet *cls;
	int region;
};

struct card_rt {
	struct card_store *store;
	struct applet_inst apps[CARD_MAX_APPLETS];
	size_t napps;
	int selected;                      /* index into apps, or -1 */
	uint8_t powered[CARD_MAX_APPLETS]; /* selected since power-up */
	uint8_t transient[CARD_TRANSIENT_MAX];
	uint8_t resp[CARD_RESP_MAX]; /* the response being built or chained */
	size_t resp_len;
	size_t resp_off; /* next byte GET RESPONSE hands out */
	unsigned long apdus;
};

static const uint8_t atr_hist_name[] = "PAYTV-SM";
/* Category 80, card capabilities (4), issuer's data header (1), the name. */
#define ATR_HIST_LEN (1 + 4 + 1 + (sizeof(atr_hist_name) - 1))
/* TS, T0, TD1, TD2, TA3, TB3, the historical bytes, TCK. */
#define ATR_LEN (6 + ATR_HIST_LEN + 1)

_Static_assert(ATR_HIST_LEN <= 15 && sizeof(atr_hist_name) - 1 <= 15,
    "T0 and the issuer's data header count in four bits");
_Static_assert(ATR_LEN <= CARD_ATR_MAX, "the ATR fits CARD_ATR_MAX");

size_t
card_atr(uint8_t *buf, size_t cap)
{
	/*
	 * TS 3B (direct convention); T0: TD1 follows, K historical bytes;
	 * TD1 81: TD2 follows, T=1; TD2 31: TA3 and TB3 for T=1 follow;
	 * TA3 FE: IFSC 254; TB3 45: BWI 4, CWI 5.  Historical bytes in
	 * compact-TLV: 80, card capabilities 73 (selection by full DF name,
	 * extended Lc and Le), card issuer's data 58 naming the card.  TCK.
	 */
	uint8_t atr[ATR_LEN];
	size_t n = 0;
	uint8_t tck = 0;

	atr[n++] = 0x3b;
	atr[n++] = (uint8_t)(0x80 | ATR_HIST_LEN);
	atr[n++] = 0x81;
	atr[n++] = 0x31;
	atr[n++] = 0xfe;
	atr[n++] = 0x45;
	atr[n++] = 0x80;
	atr[n++] = 0x73;
	atr[n++] = 0x80;
	atr[n++] = 0x01;
	atr[n++] = 0x40;
	atr[n++] = (uint8_t)(0x50 | (sizeof(atr_hist_name) - 1));
	memcpy(atr + n, atr_hist_name, sizeof(atr_hist_name) - 1);
	n += sizeof(atr_hist_name) - 1;
	for (size_t i = 1; i < n; i++)
		tck ^= atr[i];
	atr[n++] = tck;
	if (n > cap)
		return 0;
	memcpy(buf, atr, n);
	return n;
}

int
card_rt_install(struct card_store *store, const struct card_applet *a)
{
	struct card_ctx ctx = { 0 };
	uint8_t transient[CARD_TRANSIENT_MAX] = { 0 };
	int id, rc;

	if ((rc = card_store_begin(store)) != 0)
		return rc;
	if ((rc = card_store_add_region(store, a->aid, a->aidlen,
		 a->region_size, &id)) != 0)
		goto fail;
	ctx.store = store;
	ctx.region = id;
	ctx.transient = transient;
	if (a->install != NULL && (rc = a->install(&ctx)) != 0)
		goto fail;
	return card_store_commit(store);
fail:
	card_store_abort(store);
	return rc;
}

int
card_rt_new(struct card_store *store, const struct card_applet *const *applets,
    size_t napplets, struct card_rt **out)
{
	struct card_rt *rt;
	size_t size;

	if (store == NULL || out == NULL || napplets > CARD_MAX_APPLETS)
		return PROTO_ERR_ARG;
	if ((rt = calloc(1, sizeof(*rt))) == NULL)
		return PROTO_ERR_NOMEM;
	rt->store = store;
	rt->selected = -1;
	for (size_t i = 0; i < napplets; i++) {
		struct applet_inst *ai = &rt->apps[rt->napps];
		if (card_store_region(store, applets[i]->aid,
			applets[i]->aidlen, &ai->region, &size) != 0)
			continue; /* not installed on this card */
		if (size != applets[i]->region_size) {
			free(rt);
			return PROTO_ERR_FORMAT;
		}
		ai->cls = applets[i];
		rt->napps++;
	}
	*out = rt;
	return 0;
}

void
card_rt_free(struct card_rt **rtp)
{
	struct card_rt *rt;

	if (rtp == NULL || (rt = *rtp) == NULL)
		return;
	proto_cleanse(rt, sizeof(*rt));
	free(rt);
	*rtp = NULL;
}

unsigned long
card_rt_apdus(const struct card_rt *rt)
{
	return rt->apdus;
}

static void
clear_response(struct card_rt *rt)
{
	proto_cleanse(rt->resp, rt->resp_len);
	rt->resp_len = 0;
	rt->resp_off = 0;
}

static void
deselect(struct card_rt *rt)
{
	rt->selected = -1;
	proto_cleanse(rt->transient, sizeof(rt->transient));
}

void
card_rt_reset(struct card_rt *rt)
{
	if (card_store_in_tx(rt->store))
		card_store_abort(rt->store);
	deselect(rt);
	clear_response(rt);
	memset(rt->powered, 0, sizeof(rt->powered));
}

static size_t
put_sw(uint8_t *out, size_t at, uint16_t sw)
{
	out[at] = (uint8_t)(sw >> 8);
	out[at + 1] = (uint8_t)sw;
	return at + 2;
}

/* Hand out up to ne bytes of the pending response, 61xx if more remain. */
static size_t
deliver(struct card_rt *rt, size_t ne, uint8_t *out, size_t cap)
{
	size_t left = rt->resp_len - rt->resp_off, n = ne, more;

	if (n > CARD_FRAME_MAX_DATA)
		n = CARD_FRAME_MAX_DATA;
	if (n > cap - 2)
		n = cap - 2;
	if (n > left)
		n = left;
	memcpy(out, rt->resp + rt->resp_off, n);
	rt->resp_off += n;
	more = left - n;
	if (more == 0) {
		clear_response(rt);
		return put_sw(out, n, PROTO_SW_OK);
	}
	return put_sw(out, n,
	    (uint16_t)(PROTO_SW_BYTES_REMAINING | (more >= 256 ? 0 : more)));
}

static int
sw_carries_data(uint16_t sw)
{
	uint8_t hi = (uint8_t)(sw >> 8);

	return hi == 0x62 || hi == 0x63 || (hi >= 0x90 && hi <= 0x9f);
}

/* A status word other than 9000: data only where it may carry some, as
 * far as Le allows, never chained. */
static size_t
deliver_with(struct card_rt *rt, size_t len, size_t ne, uint16_t sw,
    uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (sw_carries_data(sw)) {
		n = len < ne ? len : ne;
		if (n > cap - 2)
			n = cap - 2;
		memcpy(out, rt->resp, n);
	}
	proto_cleanse(rt->resp, len);
	return put_sw(out, n, sw);
}

static size_t
get_response(struct card_rt *rt, const struct proto_apdu *a, uint8_t *out,
    size_t cap)
{
	if (rt->resp_len == rt->resp_off)
		return put_sw(out, 0, PROTO_SW_CONDITIONS);
	if (a->p1 != 0 || a->p2 != 0)
		return put_sw(out, 0, PROTO_SW_INCORRECT_P1P2);
	if (a->lc != 0 || a->ne == 0)
		return put_sw(out, 0, PROTO_SW_WRONG_LENGTH);
	return deliver(rt, a->ne, out, cap);
}

static int
logical_channel(uint8_t cla)
{
	if ((cla & 0xe0) == 0x40 || (cla & 0xe0) == 0x60 ||
	    (cla & 0xe0) == 0xc0 || (cla & 0xe0) == 0xe0)
		return (cla & 0x0f) + 4;
	return cla & 0x03;
}

static int
find_applet(const struct card_rt *rt, const uint8_t *aid, size_t len)
{
	for (size_t i = 0; i < rt->napps; i++) {
		const struct card_applet *c = rt->apps[i].cls;
		if (c->aidlen == len && memcmp(c->aid, aid, len) == 0)
			return (int)i;
	}
	if (len < CARD_AID_MIN)
		return -1;
	for (size_t i = 0; i < rt->napps; i++) {
		const struct card_applet *c = rt->apps[i].cls;
		if (c->aidlen > len && memcmp(c->aid, aid, len) == 0)
			return (int)i;
	}
	return -1;
}

static void
ctx_for(struct card_rt *rt, int idx, const struct proto_apdu *a,
    struct proto_wr *resp, struct card_ctx *ctx)
{
	ctx->store = rt->store;
	ctx->region = rt->apps[idx].region;
	ctx->transient = rt->transient;
	ctx->apdu = a;
	ctx->resp = resp;
	ctx->first_select = 0;
}

static uint16_t
select_applet(struct card_rt *rt, const struct proto_apdu *a,
    struct proto_wr *resp)
{
	const struct card_applet *c;
	struct card_ctx ctx;
	struct proto_wr fci;
	uint8_t inner[2 + CARD_AID_MAX];
	uint16_t sw;
	int idx;

	if (a->p1 != PROTO_SELECT_BY_AID)
		return PROTO_SW_FILE_NOT_FOUND;
	if ((a->p2 & 0xf3) != 0)
		return PROTO_SW_INCORRECT_P1P2;
	if (a->lc == 0 || (idx = find_applet(rt, a->data, a->lc)) < 0)
		return PROTO_SW_FILE_NOT_FOUND;
	deselect(rt);
	c = rt->apps[idx].cls;
	ctx_for(rt, idx, a, resp, &ctx);
	ctx.first_select = !rt->powered[idx];
	rt->powered[idx] = 1;
	sw = c->select != NULL ? c->select(&ctx) : PROTO_SW_OK;
	if (sw != PROTO_SW_OK)
		return sw;
	rt->selected = idx;
	/* FCI only when the host asked for data and for the FCI. */
	if (a->ne == 0 || (a->p2 & 0x0c) != 0)
		return PROTO_SW_OK;
	proto_wr_init(&fci, inner, sizeof(inner));
	if (proto_tlv_write(&fci, FCI_AID_TAG, c->aid, c->aidlen) != 0 ||
	    proto_tlv_write(resp, FCI_TAG, inner, proto_wr_len(&fci)) != 0)
		return PROTO_SW_UNKNOWN;
	return PROTO_SW_OK;
}

static int
sw_valid(uint16_t sw)
{
	uint8_t hi = (uint8_t)(sw >> 8);

	return (hi >= 0x62 && hi <= 0x6f && hi != 0x66) ||
	    (hi >= 0x90 && hi <= 0x9f);
}

static uint16_t
dispatch(struct card_rt *rt, const struct proto_apdu *a, struct proto_wr *resp)
{
	const struct card_applet *c;
	struct card_ctx ctx;
	uint16_t sw;

	if (logical_channel(a->cla) != 0)
		return PROTO_SW_CHANNEL_NOT_SUPPORTED;
	if ((a->cla & 0x80) == 0 && a->ins == PROTO_INS_SELECT)
		return select_applet(rt, a, resp);
	if (rt->selected < 0)
		return (a->cla & 0x80) == 0 ? PROTO_SW_INS_NOT_SUPPORTED :
					      PROTO_SW_CLA_NOT_SUPPORTED;
	c = rt->apps[rt->selected].cls;
	ctx_for(rt, rt->selected, a, resp, &ctx);
	sw = c->process(&ctx);
	if (card_store_in_tx(rt->store)) {
		/* Java Card aborts a transaction left open by process(). */
		card_store_abort(rt->store);
		sw = PROTO_SW_UNKNOWN;
	}
	return sw_valid(sw) ? sw : PROTO_SW_UNKNOWN;
}

size_t
card_rt_transmit(struct card_rt *rt, const uint8_t *cmd, size_t len,
    uint8_t *out, size_t cap)
{
	struct proto_apdu a;
	struct proto_wr resp;
	uint16_t sw;

	rt->apdus++;
	if (cap < 2)
		return 0;
	if (proto_apdu_parse(cmd, len, &a) != 0) {
		clear_response(rt);
		return put_sw(out, 0, PROTO_SW_WRONG_LENGTH);
	}
	if (a.cla == 0xff) {
		clear_response(rt);
		return put_sw(out, 0, PROTO_SW_CLA_NOT_SUPPORTED);
	}
	if (a.ins == PROTO_INS_GET_RESPONSE)
		return get_response(rt, &a, out, cap);
	clear_response(rt);
	proto_wr_init(&resp, rt->resp, sizeof(rt->resp));
	sw = dispatch(rt, &a, &resp);
	if (sw != PROTO_SW_OK)
		return deliver_with(rt, proto_wr_len(&resp), a.ne, sw, out,
		    cap);
	rt->resp_len = proto_wr_len(&resp);
	rt->resp_off = 0;
	return deliver(rt, a.ne, out, cap);
}
