/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The card runtime with its applets (identity, security module),
 * personalized on an in-memory store (card_fixture.c), under a sequence
 * of command APDUs through card_rt_transmit: what any PC/SC client may
 * send to the card.
 *
 * Input: records, each a 2-byte big-endian length and that many bytes,
 * one command APDU; a record of length 0 power-cycles the card (as vpcd's
 * reset does); an incomplete last record is ignored.
 *
 * After every APDU:
 *   - the response is 2 bytes or more, within the buffer, and ends in a
 *     status word the runtime may send; data comes only with 9000, 61xx,
 *     62xx, 63xx or 9xxx;
 *   - an error (64xx..6Fxx), a refused purchase (92xx), a command
 *     replayed or for another card (9301, 9302) or a power cycle left the
 *     card image byte for byte as it was;
 *   - the card's invariants (fuzz_card_check): no transaction open, the
 *     image loads back, the state decodes, its M2 passes proto's decoder;
 *   - counters never go back (export sequence, change counter, both
 *     command counters, purchases, acknowledgements, control words,
 *     denials, power-ups, the clock); credit moves only with a purchase or
 *     a command that succeeded, the transfer lock only opens, and only by
 *     a command; a command counter moves only when a command is consumed
 *     (9000, or 9303 refused with its reason); a disabled card stays
 *     disabled and sells nothing; a locked card sells nothing;
 *   - a control word goes out only for an ECM that opens under the
 *     operator key, and it is that ECM's;
 *   - a block the card hands out whole verifies under the card's key,
 *     opens under its transmission key and carries the card's M2, with
 *     the export sequence the card now shows and the challenge it was
 *     given (zeros for EXPORT); EXPORT never succeeds while the card was
 *     locked.
 */
#include <stdlib.h>
#include <string.h>

#include "../../proto/apdu.h"
#include "../../proto/proto.h"
#include "card_fixture.h"
#include "common.h"

#define TARGET "card_rt"
#define MAX_APDUS 256

struct run {
	struct card_store *store;
	struct card_rt *rt;
	struct card_sm_view before, after;
	uint8_t *img;
	size_t img_len;
	uint8_t out[FUZZ_CARD_OUT_MAX];
	size_t n;
	uint16_t sw;
};

static struct run run; /* the state of the input being run */

static void
require(int cond, const char *what)
{
	fuzz_require(cond, TARGET, what);
}

static int
sw_valid(uint16_t sw)
{
	uint8_t hi = (uint8_t)(sw >> 8);

	return (hi >= 0x61 && hi <= 0x6f && hi != 0x66) ||
	    (hi >= 0x90 && hi <= 0x9f);
}

static int
sw_may_carry_data(uint16_t sw)
{
	uint8_t hi = (uint8_t)(sw >> 8);

	return sw == PROTO_SW_OK || hi == 0x61 || hi == 0x62 || hi == 0x63 ||
	    (hi >= 0x90 && hi <= 0x9f);
}

/*
 * Status words after which nothing on the card may have changed.  A
 * command refused with 9303 was consumed: its counter and outcome moved.
 */
static int
sw_refusal(uint16_t sw)
{
	uint8_t hi = (uint8_t)(sw >> 8);

	return (hi >= 0x64 && hi <= 0x6f) || hi == 0x92 ||
	    sw == SM_SW_REPLAYED || sw == SM_SW_OTHER_UA;
}

static void
snapshot(struct run *r)
{
	free(r->img);
	r->img = NULL;
	require(card_store_encode(r->store, &r->img, &r->img_len) == 0,
	    "the card image cannot be encoded");
}

/*
 * Whether the APDU changed the card image; the image now becomes the
 * one the next APDU is compared with.
 */
static int
image_changed(struct run *r)
{
	uint8_t *now = NULL;
	size_t len = 0;
	int changed;

	require(card_store_encode(r->store, &now, &len) == 0,
	    "the card image cannot be encoded");
	changed = len != r->img_len || memcmp(now, r->img, len) != 0;
	free(r->img);
	r->img = now;
	r->img_len = len;
	return changed;
}

static int
is_sm(const struct proto_apdu *a, uint8_t ins)
{
	return a->cla == SM_CLA && a->ins == ins;
}

/* Done: the answer whole, or to be fetched with GET RESPONSE. */
static int
sw_done(uint16_t sw)
{
	return sw == PROTO_SW_OK || (sw & 0xff00) == PROTO_SW_BYTES_REMAINING;
}

static void
check_counters(const struct run *r)
{
	const struct proto_m2 *b = &r->before.m2, *n = &r->after.m2;

	require(r->after.export_seq >= r->before.export_seq &&
		n->change_ctr >= b->change_ctr && n->cmd_ctr >= b->cmd_ctr &&
		n->bcast_ctr >= b->bcast_ctr &&
		n->purchase_seq >= b->purchase_seq &&
		n->acked_seq >= b->acked_seq && n->cws >= b->cws &&
		n->denials >= b->denials && n->powerups >= b->powerups &&
		n->clock >= b->clock,
	    "a counter went back");
	require(!(b->flags & PROTO_M2_FLAG_DISABLED) ||
		(n->flags & PROTO_M2_FLAG_DISABLED),
	    "a disabled card came back");
}

/* What may move the card's credit, purchases, lock and command counters. */
static void
check_moves(const struct run *r, const struct proto_apdu *a)
{
	const struct proto_m2 *b = &r->before.m2, *n = &r->after.m2;
	int ok = sw_done(r->sw);

	if (n->cmd_ctr != b->cmd_ctr || n->bcast_ctr != b->bcast_ctr)
		require(is_sm(a, SM_INS_COMMAND) &&
			(ok || r->sw == SM_SW_CMD_REFUSED),
		    "a command counter moved without a command consumed");
	if (is_sm(a, SM_INS_BUY_EVENT) && ok)
		require(!b->locked && !(b->flags & PROTO_M2_FLAG_DISABLED),
		    "a purchase on a locked or disabled card");
	if (n->credit != b->credit)
		require(ok &&
			((is_sm(a, SM_INS_BUY_EVENT) && n->credit < b->credit) ||
			    is_sm(a, SM_INS_COMMAND)),
		    "credit moved without a purchase or a command");
	if (n->purchase_seq != b->purchase_seq)
		require(ok && is_sm(a, SM_INS_BUY_EVENT) &&
			n->purchase_seq == b->purchase_seq + 1,
		    "a purchase appeared without BUY EVENT");
	if (n->locked != b->locked)
		require(ok && is_sm(a, SM_INS_COMMAND) && !n->locked,
		    "the transfer lock moved other than by an unlock");
}

static void
check_cw(const struct run *r, const struct proto_apdu *a)
{
	struct proto_ecm e;
	uint8_t cw[PROTO_CW_LEN];

	if (!is_sm(a, SM_INS_PROCESS_ECM) || r->sw != PROTO_SW_OK)
		return;
	require(!(r->before.m2.flags & PROTO_M2_FLAG_DISABLED),
	    "a control word from a disabled card");
	require(proto_ecm_open(a->data, a->lc, fuzz_ecm_key, &e, cw) == 0,
	    "a control word for an ECM that does not open");
	/* 9000: the whole answer (a shorter Le gets 61xx) */
	require(r->n - 2 == PROTO_CW_LEN &&
		memcmp(r->out, cw, PROTO_CW_LEN) == 0,
	    "a control word other than the ECM's");
	proto_cleanse(cw, sizeof(cw));
}

static void
check_block(const struct run *r, const struct proto_apdu *a)
{
	static const uint8_t zeros[PROTO_CHALLENGE_LEN];
	const struct card_sm_view *n = &r->after;
	struct proto_block b;
	struct proto_m2 m;
	uint8_t kind;

	if (is_sm(a, SM_INS_EXPORT))
		kind = PROTO_BLOCK_EXPORT;
	else if (is_sm(a, SM_INS_UPLINK))
		kind = PROTO_BLOCK_UPLINK;
	else
		return;
	if (r->sw != PROTO_SW_OK)
		return; /* refused, or chained with 61xx */
	require(kind != PROTO_BLOCK_EXPORT || !r->before.m2.locked,
	    "EXPORT succeeded while transfer-locked");
	require(proto_block_parse(r->out, r->n - 2, &b) == 0,
	    "the card's block does not parse");
	require(b.kind == kind && b.seq == n->export_seq &&
		memcmp(b.ua, fuzz_card_ua, PROTO_UA_LEN) == 0,
	    "the block's header is not the card's");
	require(kind == PROTO_BLOCK_EXPORT ?
		memcmp(b.challenge, zeros, PROTO_CHALLENGE_LEN) == 0 :
		a->lc == PROTO_CHALLENGE_LEN &&
		    memcmp(b.challenge, a->data, PROTO_CHALLENGE_LEN) == 0,
	    "the block does not carry the challenge it was asked for");
	require(proto_block_verify(&b, fuzz_sign_pub) == 0,
	    "the card's block does not verify");
	require(proto_block_open(&b, fuzz_kt, &m) == 0,
	    "the card's block does not open");
	require(m.credit == n->m2.credit &&
		m.purchase_seq == n->m2.purchase_seq &&
		m.acked_seq == n->m2.acked_seq &&
		m.change_ctr == n->m2.change_ctr &&
		m.cmd_ctr == n->m2.cmd_ctr && m.locked == n->m2.locked &&
		m.n_purchases == n->m2.n_purchases &&
		m.n_rights == n->m2.n_rights && m.n_counts == n->m2.n_counts &&
		m.flags == n->m2.flags && m.bcast_ctr == n->m2.bcast_ctr &&
		m.n_outcomes == n->m2.n_outcomes,
	    "the block's M2 is not the card's");
	proto_m2_clear(&m);
}

static void
one_apdu(struct run *r, const uint8_t *cmd, size_t len)
{
	struct proto_apdu a;
	int parsed = proto_apdu_parse(cmd, len, &a) == 0, changed;

	r->n = card_rt_transmit(r->rt, cmd, len, r->out, sizeof(r->out));
	require(r->n >= 2 && r->n <= sizeof(r->out),
	    "a response without a status word");
	r->sw = (uint16_t)(r->out[r->n - 2] << 8 | r->out[r->n - 1]);
	require(sw_valid(r->sw), "a status word the runtime may not send");
	require(r->n == 2 || sw_may_carry_data(r->sw),
	    "data with an error status word");
	require(parsed || r->sw == PROTO_SW_WRONG_LENGTH,
	    "a malformed APDU not refused with 6700");
	changed = image_changed(r);
	require(!changed || !sw_refusal(r->sw),
	    "a refused APDU changed the card");
	/* An image unchanged was checked already, after the APDU before. */
	if (changed)
		fuzz_card_check(TARGET, r->store, &r->after);
	else
		r->after = r->before;
	if (!parsed)
		return;
	check_counters(r);
	check_moves(r, &a);
	check_cw(r, &a);
	check_block(r, &a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run *r = &run;
	size_t off = 0, len;

	fuzz_card_new(&r->store, &r->rt);
	fuzz_card_check(TARGET, r->store, &r->before);
	snapshot(r);
	for (unsigned i = 0; i < MAX_APDUS && size - off >= 2; i++) {
		len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			break;
		if (len == 0) {
			card_rt_reset(r->rt);
			require(!image_changed(r), "a reset changed the card");
		} else {
			one_apdu(r, data + off, len);
			r->before = r->after;
		}
		off += len;
	}
	free(r->img);
	r->img = NULL;
	fuzz_card_free(&r->store, &r->rt);
	return 0;
}
