/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test fixture, #included after centerfix.c: one registered card and the
 * center that receives its blocks, in whole sessions (cgs_ingest) from
 * decoders the test names.
 */
#include <string.h>

#include "../../center/ingest.h"
#include "../../proto/crypto.h"

/* One registered card and the center that receives its blocks. */
struct centerfix_card {
	struct centerfix_db d;
	struct cgs_keys keys;
	struct cgs_ctx *ctx;
	uint8_t ua[PROTO_UA_LEN];
	struct proto_card_keys ck;
	uint8_t blk[PROTO_BLOCK_MAX];
	size_t blen;
	uint32_t seq; /* the card's export sequence, last used */
	struct cgs_session s;
};

static int
centerfix_card_setup(struct centerfix_card *f, uint8_t ua_byte)
{
	uint8_t v[4] = { 1, 0, 1, 0 };

	memset(f->ua, ua_byte, PROTO_UA_LEN);
	if (proto_random(f->keys.master, PROTO_MASTER_LEN) != 0 ||
	    proto_ec_keygen(f->keys.center_priv, f->keys.center_pub) != 0 ||
	    proto_ec_keygen(f->ck.sign_priv, f->ck.sign_pub) != 0 ||
	    proto_kt_derive(f->keys.master, f->ua, f->ck.kt) != 0 ||
	    centerfix_db_open(&f->d) != 0 ||
	    cgs_ctx_new(f->d.db, &f->keys, &f->ctx) != 0 ||
	    cgs_card_register(f->d.db, f->ua, f->ck.sign_pub, v) != 0)
		return -1;
	return 0;
}

static void
centerfix_card_teardown(struct centerfix_card *f)
{
	cgs_ctx_free(&f->ctx);
	centerfix_db_remove(&f->d);
}

/*
 * A session from decoder dec (its id: 8 times that byte).  present: the
 * HELLO names the card.  m NULL: no block; else a block of m sealed with
 * export seq (0: the next one), sent in frame origin: a BLOCK (uplink
 * block, this session's challenge) or a RECOVERED frame (export block).
 */
static void
centerfix_card_session(struct centerfix_card *f, uint8_t dec, int present,
    int origin, uint32_t seq, const struct proto_m2 *m)
{
	uint8_t body[PROTO_M2_MAX_LEN];
	struct proto_wr w, bw;
	int up = origin == CGS_ORIGIN_PRESENT;

	memset(&f->s, 0, sizeof(f->s));
	assert_int_equal(proto_random(f->s.challenge, PROTO_CHALLENGE_LEN), 0);
	memset(f->s.hello.decoder_id, dec, PROTO_DECODER_ID_LEN);
	f->s.hello.has_card = (uint8_t)present;
	if (present)
		memcpy(f->s.hello.ua, f->ua, PROTO_UA_LEN);
	if (m != NULL) {
		if (seq == 0)
			seq = ++f->seq;
		proto_wr_init(&bw, body, sizeof(body));
		proto_wr_init(&w, f->blk, sizeof(f->blk));
		assert_int_equal(proto_m2_encode(m, &bw), 0);
		assert_int_equal(proto_block_seal(up ? PROTO_BLOCK_UPLINK :
						       PROTO_BLOCK_EXPORT,
				     f->ua, seq, up ? f->s.challenge : NULL,
				     &f->ck, body, proto_wr_len(&bw), &w),
		    0);
		f->blen = proto_wr_len(&w);
		f->s.in[0] = (struct cgs_in_block){ .origin = origin,
			.block = f->blk,
			.len = f->blen };
		f->s.n = 1;
	}
	assert_int_equal(cgs_ingest(f->ctx, &f->s), 0);
}
