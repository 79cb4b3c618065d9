/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The identity applet: proves the runtime.  GET DATA returns the card
 * serial, the versions and a persistent counter; INCREMENT adds one to the
 * counter in a transaction and returns the new value.
 *
 *   00 CA 01 01 Le   serial (8 bytes)
 *   00 CA 01 02 Le   versions: runtime major, minor, applet major, minor
 *   00 CA 01 03 Le   counter (4 bytes, big-endian)
 *   80 10 00 00 [Le] counter += 1, returns the new counter
 *   00 84 00 00 Le   GET CHALLENGE: Le random bytes (at most 4096)
 */
#include <string.h>

#include "../proto/apdu.h"
#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "applets.h"

#define INS_INCREMENT 0x10
#define CHALLENGE_MAX 4096
#define OFF_COUNTER 0
#define REGION_SIZE 4

static const uint8_t ident_aid[] = { 0xf0, 'P', 'T', 'V', 'I', 'D', 0x01 };

static uint16_t
get_data(struct card_ctx *ctx)
{
	const struct proto_apdu *a = ctx->apdu;
	uint8_t v[4];

	if (a->lc != 0)
		return PROTO_SW_WRONG_LENGTH;
	if (a->p1 != 0x01)
		return PROTO_SW_INCORRECT_P1P2;
	switch (a->p2) {
	case 0x01:
		return proto_wr_bytes(ctx->resp, card_store_serial(ctx->store),
			   CARD_SERIAL_LEN) == 0 ?
		    PROTO_SW_OK :
		    PROTO_SW_UNKNOWN;
	case 0x02:
		v[0] = CARD_VERSION_MAJOR;
		v[1] = CARD_VERSION_MINOR;
		v[2] = 1;
		v[3] = 0;
		break;
	case 0x03:
		if (card_store_read(ctx->store, ctx->region, OFF_COUNTER, v,
			sizeof(v)) != 0)
			return PROTO_SW_UNKNOWN;
		break;
	default:
		return PROTO_SW_INCORRECT_P1P2;
	}
	return proto_wr_bytes(ctx->resp, v, sizeof(v)) == 0 ? PROTO_SW_OK :
							      PROTO_SW_UNKNOWN;
}

static uint16_t
increment(struct card_ctx *ctx)
{
	const struct proto_apdu *a = ctx->apdu;
	struct proto_rd r;
	uint8_t v[4];
	uint32_t n;

	if (a->p1 != 0 || a->p2 != 0)
		return PROTO_SW_INCORRECT_P1P2;
	if (a->lc != 0)
		return PROTO_SW_WRONG_LENGTH;
	if (card_store_read(ctx->store, ctx->region, OFF_COUNTER, v,
		sizeof(v)) != 0)
		return PROTO_SW_UNKNOWN;
	proto_rd_init(&r, v, sizeof(v));
	if (proto_rd_u32(&r, &n) != 0)
		return PROTO_SW_UNKNOWN;
	if (n == UINT32_MAX)
		return PROTO_SW_CONDITIONS;
	proto_put_be(v, n + 1, sizeof(v));
	if (card_store_begin(ctx->store) != 0)
		return PROTO_SW_UNKNOWN;
	if (card_store_write(ctx->store, ctx->region, OFF_COUNTER, v,
		sizeof(v)) != 0 ||
	    card_store_commit(ctx->store) != 0) {
		card_store_abort(ctx->store);
		return PROTO_SW_UNKNOWN;
	}
	return proto_wr_bytes(ctx->resp, v, sizeof(v)) == 0 ? PROTO_SW_OK :
							      PROTO_SW_UNKNOWN;
}

static uint16_t
get_challenge(struct card_ctx *ctx)
{
	const struct proto_apdu *a = ctx->apdu;
	uint8_t *p;

	if (a->p1 != 0 || a->p2 != 0)
		return PROTO_SW_INCORRECT_P1P2;
	if (a->lc != 0 || a->ne == 0 || a->ne > CHALLENGE_MAX)
		return PROTO_SW_WRONG_LENGTH;
	if (proto_wr_reserve(ctx->resp, a->ne, &p) != 0 ||
	    proto_random(p, a->ne) != 0)
		return PROTO_SW_UNKNOWN;
	return PROTO_SW_OK;
}

static uint16_t
ident_process(struct card_ctx *ctx)
{
	const struct proto_apdu *a = ctx->apdu;

	if (a->cla == PROTO_CLA_ISO && a->ins == PROTO_INS_GET_DATA)
		return get_data(ctx);
	if (a->cla == PROTO_CLA_PROPRIETARY && a->ins == INS_INCREMENT)
		return increment(ctx);
	if (a->cla == PROTO_CLA_ISO && a->ins == PROTO_INS_GET_CHALLENGE)
		return get_challenge(ctx);
	if (a->cla != PROTO_CLA_ISO && a->cla != PROTO_CLA_PROPRIETARY)
		return PROTO_SW_CLA_NOT_SUPPORTED;
	return PROTO_SW_INS_NOT_SUPPORTED;
}

const struct card_applet card_ident_applet = {
	.name = "identity",
	.aid = ident_aid,
	.aidlen = sizeof(ident_aid),
	.region_size = REGION_SIZE,
	.install = NULL,
	.select = NULL,
	.process = ident_process,
};
