/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * The center's ingest without the network: the separation module, the
 * exactly-once ledger, every rejection reason, the flags (sequence going
 * back, purchases jumping, a purchase differing from the one invoiced),
 * and the command lifecycle (unlock, ack, queued reload re-sent unchanged
 * until the card's counter shows it).
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
#include "../../center/db.h"
#include "../../center/ingest.h"
#include "../../center/ingest_work.h"
#include "../../center/keycache.c"
#include "../../proto/proto.h"
#include "../../proto/sm.h"

#define NCARDS 3

struct card {
	uint8_t ua[PROTO_UA_LEN];
	struct proto_card_keys k;
};

struct fx {
	struct centerfix_db d;
	struct cgs_keys keys;
	struct cgs_ctx *ctx;
	struct card cards[NCARDS]; /* 0, 1 registered; 2 not */
	/* each slot twice: an export block (M1), an uplink block (nonce) */
	uint8_t blk[8][PROTO_BLOCK_MAX], blk_up[8][PROTO_BLOCK_MAX];
	size_t blen[8], blen_up[8];
	uint8_t nonce[PROTO_CHALLENGE_LEN]; /* every session's challenge */
	struct cgs_session s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t v[4] = { 1, 0, 1, 0 };

	if (f == NULL)
		return -1;
	if (proto_random(f->keys.master, PROTO_MASTER_LEN) != 0 ||
	    proto_random(f->nonce, sizeof(f->nonce)) != 0 ||
	    proto_ec_keygen(f->keys.center_priv, f->keys.center_pub) != 0 ||
	    centerfix_db_open(&f->d) != 0 ||
	    cgs_ctx_new(f->d.db, &f->keys, &f->ctx) != 0)
		return -1;
	for (int i = 0; i < NCARDS; i++) {
		struct card *c = &f->cards[i];
		memset(c->ua, 0x11 * (i + 1), PROTO_UA_LEN);
		if (proto_ec_keygen(c->k.sign_priv, c->k.sign_pub) != 0 ||
		    proto_kt_derive(f->keys.master, c->ua, c->k.kt) != 0)
			return -1;
		if (i < 2 &&
		    cgs_card_register(f->d.db, c->ua, c->k.sign_pub, v) != 0)
			return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	cgs_ctx_free(&f->ctx);
	centerfix_db_remove(&f->d);
	free(f);
	return 0;
}

/*
 * Block slot b of card i: export seq, purchases 1..n (acked ones left
 * out), price of purchase 1, locked flag, command counter.  Sealed as an
 * export block (f->blk, what a RECOVERED frame carries) and as an uplink
 * block for the sessions' challenge (f->blk_up, for a BLOCK frame).
 */
static void
block(struct fx *f, int b, int i, uint32_t seq, uint32_t n, uint32_t acked,
    uint32_t price1, uint8_t locked, uint32_t cmd_ctr)
{
	struct card *c = &f->cards[i];
	uint8_t body[PROTO_M2_MAX_LEN];
	struct proto_m2 m;
	struct proto_wr w, bw;

	memset(&m, 0, sizeof(m));
	m.purchase_seq = n;
	m.acked_seq = acked;
	m.locked = locked;
	m.cmd_ctr = cmd_ctr;
	m.n_purchases = (uint8_t)(n - acked);
	for (uint32_t j = acked; j < n; j++)
		m.purchases[j - acked] = (struct proto_purchase){ .seq = j + 1,
			.event = 40 + j,
			.channel = 7,
			.price = j == 0 ? price1 : 100,
			.time = 1000 };
	proto_wr_init(&bw, body, sizeof(body));
	proto_wr_init(&w, f->blk[b], PROTO_BLOCK_MAX);
	assert_int_equal(proto_m2_encode(&m, &bw), 0);
	assert_int_equal(proto_block_seal(PROTO_BLOCK_EXPORT, c->ua, seq, NULL,
			     &c->k, body, proto_wr_len(&bw), &w),
	    0);
	f->blen[b] = proto_wr_len(&w);
	proto_wr_init(&w, f->blk_up[b], PROTO_BLOCK_MAX);
	assert_int_equal(proto_block_seal(PROTO_BLOCK_UPLINK, c->ua, seq,
			     f->nonce, &c->k, body, proto_wr_len(&bw), &w),
	    0);
	f->blen_up[b] = proto_wr_len(&w);
}

/* A session: present card p (-1: none), then (origin, slot) pairs. */
static void
session(struct fx *f, int p, int n, ...)
{
	va_list ap;

	memset(&f->s, 0, sizeof(f->s));
	memcpy(f->s.challenge, f->nonce, sizeof(f->nonce));
	if (p >= 0) {
		f->s.hello.has_card = 1;
		memcpy(f->s.hello.ua, f->cards[p].ua, PROTO_UA_LEN);
	}
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		int origin = va_arg(ap, int), b = va_arg(ap, int);
		int up = origin == CGS_ORIGIN_PRESENT;
		f->s.in[i] = (struct cgs_in_block){ .origin = origin,
			.block = up ? f->blk_up[b] : f->blk[b],
			.len = up ? f->blen_up[b] : f->blen[b] };
	}
	va_end(ap);
	f->s.n = (size_t)n;
	assert_int_equal(cgs_ingest(f->ctx, &f->s), 0);
}

static int64_t
count(struct fx *f, const char *sql)
{
	return centerfix_count(f->d.db, sql);
}

static void
command_types(struct fx *f, uint8_t *types, size_t *n)
{
	for (size_t i = 0; i < f->s.ans.n_cmds; i++) {
		struct proto_cmd c;
		assert_int_equal(proto_cmd_verify(f->s.ans.cmds[i],
				     f->s.ans.cmd_len[i], f->keys.center_pub,
				     &c),
		    0);
		types[i] = c.type;
	}
	*n = f->s.ans.n_cmds;
}

#define P CGS_ORIGIN_PRESENT
#define R CGS_ORIGIN_RECOVERED

static void
test_separation(void **state)
{
	struct fx *f = *state;
	uint8_t types[PROTO_UP_MAX_COMMANDS];
	size_t n;

	block(f, 0, 1, 1, 0, 0, 0, 1, 0);   /* card 1, locked, new */
	block(f, 1, 0, 5, 2, 0, 300, 0, 0); /* card 0 from M1: 2 films */
	session(f, 1, 2, P, 0, R, 1);
	assert_int_equal(f->s.ans.res[0].status, PROTO_UP_ACCEPTED);
	assert_int_equal(f->s.ans.res[1].status, PROTO_UP_ACCEPTED);
	assert_int_equal(f->s.ans.invoiced, 2);
	/* the recovered block is acknowledged, the present one is not */
	assert_int_equal(f->s.ans.n_acks, 1);
	assert_memory_equal(f->s.ans.ack_ua[0], f->cards[0].ua, PROTO_UA_LEN);
	assert_int_equal(f->s.ans.ack_seq[0], 5);
	/* the new card gets its unlock, signed by the center */
	command_types(f, types, &n);
	assert_int_equal(n, 1);
	assert_int_equal(types[0], PROTO_CMD_UNLOCK);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM cards WHERE ua = "
			     "'1111111111111111' AND status = "
			     "'retired-recovered'"),
	    1);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM cards WHERE ua = "
			     "'2222222222222222' AND status = 'active'"),
	    1);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM purchases WHERE "
			     "via_ua = '2222222222222222' AND origin = "
			     "'recovered'"),
	    2);
}

static void
test_exactly_once(void **state)
{
	struct fx *f = *state;

	block(f, 0, 0, 3, 2, 0, 300, 0, 0);
	session(f, -1, 1, R, 0);
	assert_int_equal(f->s.ans.invoiced, 2);
	/* again, from another session (or decoder): a duplicate */
	session(f, -1, 1, R, 0);
	assert_int_equal(f->s.ans.res[0].status, PROTO_UP_DUPLICATE);
	assert_int_equal(f->s.ans.invoiced, 0);
	assert_int_equal(f->s.ans.n_acks, 1);
	/* the same purchases from the card itself, newer block, plus one */
	block(f, 1, 0, 4, 3, 0, 300, 0, 0);
	session(f, 0, 1, P, 1);
	assert_int_equal(f->s.ans.invoiced, 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM purchases"), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM flags"), 0);
}

static void
test_rejections(void **state)
{
	struct fx *f = *state;
	struct proto_card_keys wrong;

	block(f, 0, 2, 1, 1, 0, 300, 0, 0); /* unregistered card */
	block(f, 1, 0, 1, 1, 0, 300, 0, 0);
	f->blk[1][40] ^= 1;                 /* bad signature */
	block(f, 2, 1, 1, 1, 0, 300, 0, 0); /* card 1's, as present 0 */
	memcpy(f->blk[3], "\x02\x01", 2);   /* malformed */
	f->blen[3] = 2;
	block(f, 4, 0, 1, 1, 0, 300, 0, 0); /* card 0's block, UA of 1 */
	memcpy(f->blk[4] + 2, f->cards[1].ua, PROTO_UA_LEN);
	/* signed by the card, encrypted under another key */
	wrong = f->cards[0].k;
	f->cards[0].k.kt[0] ^= 1;
	block(f, 5, 0, 1, 1, 0, 300, 0, 0);
	f->cards[0].k = wrong;
	session(f, 0, 6, R, 0, R, 1, P, 2, R, 3, R, 4, R, 5);
	assert_int_equal(f->s.ans.res[0].reason, PROTO_UP_UNKNOWN_UA);
	assert_int_equal(f->s.ans.res[1].reason, PROTO_UP_BAD_SIGNATURE);
	assert_int_equal(f->s.ans.res[2].reason, PROTO_UP_WRONG_CARD);
	assert_int_equal(f->s.ans.res[3].reason, PROTO_UP_MALFORMED);
	assert_int_equal(f->s.ans.res[4].reason, PROTO_UP_BAD_SIGNATURE);
	assert_int_equal(f->s.ans.res[5].reason, PROTO_UP_UNDECRYPTABLE);
	for (int i = 0; i < 6; i++)
		assert_int_equal(f->s.ans.res[i].status, PROTO_UP_REJECTED);
	assert_int_equal(f->s.ans.invoiced, 0);
	assert_int_equal(f->s.ans.n_acks, 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM purchases"), 0);
	/* no valid block: answered, but nothing kept */
	assert_int_equal(f->s.recorded, 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM blocks"), 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM sessions"), 0);
	/* but the operator sees each rejected block, with its reason */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM rejected"), 6);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM rejected WHERE "
			     "session_id IS NULL AND decoder_id = "
			     "'0000000000000000'"),
	    6);
	assert_int_equal(count(f,
			     "SELECT n FROM rejected_counts WHERE reason = 2"),
	    2); /* bad signature, twice */
	assert_int_equal(count(f,
			     "SELECT n FROM rejected_counts WHERE reason = 3"),
	    1); /* cannot decrypt */
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM rejected WHERE ua IS NULL "
			     "AND seq IS NULL AND reason = 4"),
	    1); /* malformed: no header to name a card */
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM rejected WHERE ua IS NOT "
			     "NULL AND seq = 1"),
	    5);
	/* beside a genuine block, the rejected ones are kept with it */
	block(f, 6, 0, 2, 1, 0, 300, 0, 0);
	session(f, 0, 7, R, 0, R, 1, P, 2, R, 3, R, 4, R, 5, P, 6);
	assert_int_equal(f->s.recorded, 1);
	assert_int_equal(f->s.ans.res[6].status, PROTO_UP_ACCEPTED);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM blocks WHERE status "
			     "= 'rejected'"),
	    6);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM sessions"), 1);
	/* and in the ring too, with their session this time */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM rejected"), 12);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM rejected WHERE "
			     "session_id IS NOT NULL"),
	    6);
	assert_int_equal(count(f, "SELECT SUM(n) FROM rejected_counts"), 12);
}

/*
 * A key cache of one slot: each block's key set up before the verifies
 * is taken by the next block's card, so the verify sets it up again
 * from the key read (check_signature); every check refuses as before,
 * and two cards' genuine blocks in one session both pass.
 */
static void
test_small_cache(void **state)
{
	struct fx *f = *state;

	cgs_keycache_free(&f->ctx->kc);
	assert_int_equal(cache_get(f->keys.master, 1, &f->ctx->kc), 0);
	test_rejections(state);
	block(f, 7, 0, 3, 2, 0, 300, 0, 0);
	block(f, 6, 1, 1, 1, 0, 300, 0, 0);
	session(f, -1, 2, R, 7, R, 6);
	assert_int_equal(f->s.ans.res[0].status, PROTO_UP_ACCEPTED);
	assert_int_equal(f->s.ans.res[1].status, PROTO_UP_ACCEPTED);
	assert_int_equal(f->s.ans.invoiced, 2);
}

/* A junk session of n malformed blocks. */
static void
junk_session(struct fx *f, size_t n)
{
	memset(&f->s, 0, sizeof(f->s));
	for (size_t i = 0; i < n; i++)
		f->s.in[i] = (struct cgs_in_block){ .origin = R,
			.block = f->blk[0],
			.len = f->blen[0] };
	f->s.n = n;
	assert_int_equal(cgs_ingest(f->ctx, &f->s), 0);
	assert_int_equal(f->s.recorded, 0);
}

/*
 * Junk cannot grow the center: however many rejected blocks arrive, the
 * ring keeps the newest CGS_REJECTED_KEEP and the counts one row per
 * reason; the database stops growing.
 */
static void
test_rejected_ring(void **state)
{
	struct fx *f = *state;
	const int64_t keep = CGS_REJECTED_KEEP, per = PROTO_UPLINK_MAX_BLOCKS;
	int64_t sessions = keep / per + 4, total = sessions * per, pages;
	int sqlite;

	memcpy(f->blk[0], "\x02\x01", 2); /* malformed */
	f->blen[0] = 2;
	for (int64_t i = 0; i < sessions; i++)
		junk_session(f, (size_t)per);
	assert_true(total > keep);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM rejected"), keep);
	assert_int_equal(count(f, "SELECT MAX(n) FROM rejected"), total);
	assert_int_equal(count(f, "SELECT MIN(n) FROM rejected"),
	    total - keep + 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM rejected_counts"), 1);
	assert_int_equal(count(f, "SELECT n FROM rejected_counts"), total);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM sessions"), 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM blocks"), 0);
	/* as many again: not one page more (SQLite's count of pages) */
	sqlite = strcmp(cgs_db_engine(f->d.db), "sqlite") == 0;
	pages = sqlite ? count(f, "PRAGMA page_count") : 0;
	for (int64_t i = 0; i < sessions; i++)
		junk_session(f, (size_t)per);
	if (sqlite)
		assert_int_equal(count(f, "PRAGMA page_count"), pages);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM rejected"), keep);
	assert_int_equal(count(f, "SELECT n FROM rejected_counts"), 2 * total);
	/* a session with nothing rejected records nothing in the ring */
	junk_session(f, 0);
	assert_int_equal(count(f, "SELECT n FROM rejected_counts"), 2 * total);
}

static void
test_flags(void **state)
{
	struct fx *f = *state;

	block(f, 0, 0, 7, 2, 0, 300, 0, 0);
	session(f, -1, 1, R, 0);
	/* an older copy afterwards (another decoder's M1): stale, recorded
	 * and acknowledged, not flagged, nothing invoiced */
	block(f, 1, 0, 6, 1, 0, 300, 0, 0);
	session(f, -1, 1, R, 1);
	assert_int_equal(f->s.ans.res[0].status, PROTO_UP_ACCEPTED);
	assert_int_equal(f->s.ans.res[0].reason, PROTO_UP_STALE);
	assert_int_equal(f->s.ans.n_acks, 1);
	assert_int_equal(f->s.ans.invoiced, 0);
	assert_int_equal(f->s.ans.flagged, 0);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM blocks WHERE seq = 6 AND "
			     "reason = 'stale copy' AND status = 'accepted'"),
	    1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM flags"), 0);
	/* a stale copy with a purchase the ledger lacks: invoiced, and the
	 * card's highest invoiced raised with no sighting recorded (the
	 * teardown checks it against the ledger) */
	block(f, 1, 0, 5, 3, 2, 300, 0, 0);
	session(f, -1, 1, R, 1);
	assert_int_equal(f->s.ans.res[0].reason, PROTO_UP_STALE);
	assert_int_equal(f->s.ans.invoiced, 1);
	assert_int_equal(count(f,
			     "SELECT max_invoiced FROM cards WHERE "
			     "last_block_seq = 7"),
	    3);
	/* the same purchase number with another price: flagged, kept */
	block(f, 2, 0, 8, 2, 0, 999, 0, 0);
	session(f, -1, 1, R, 2);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM flags WHERE what "
			     "LIKE '%differs%'"),
	    1);
	assert_int_equal(count(f, "SELECT price FROM purchases WHERE seq = 1"),
	    300);
	/* a card that freed purchases the ledger never saw */
	block(f, 3, 1, 1, 9, 5, 300, 0, 0);
	session(f, -1, 1, R, 3);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM flags WHERE what "
			     "LIKE '%jumps%'"),
	    1);
	assert_int_equal(f->s.ans.invoiced, 4);
}

static void
test_commands(void **state)
{
	struct fx *f = *state;
	uint8_t types[PROTO_UP_MAX_COMMANDS], first[PROTO_CMD_MAX_LEN];
	size_t n, flen;
	struct proto_cmd c;

	assert_int_equal(cgs_queue_command(f->d.db, &f->keys, f->cards[0].ua,
			     PROTO_CMD_PATH_UPLINK, PROTO_CMD_RELOAD, 500, 0,
			     NULL),
	    0);
	/* card 0 present, unlocked, two purchases not yet acknowledged */
	block(f, 0, 0, 1, 2, 0, 300, 0, 0);
	session(f, 0, 1, P, 0);
	command_types(f, types, &n);
	assert_int_equal(n, 2);
	assert_int_equal(types[0], PROTO_CMD_RELOAD);
	assert_int_equal(types[1], PROTO_CMD_ACK);
	assert_int_equal(proto_cmd_verify(f->s.ans.cmds[1], f->s.ans.cmd_len[1],
			     f->keys.center_pub, &c),
	    0);
	assert_int_equal(c.arg1, 2);
	assert_int_equal(c.counter, 2);
	flen = f->s.ans.cmd_len[0];
	memcpy(first, f->s.ans.cmds[0], flen);
	/* the card did not apply them: the same commands, unchanged */
	block(f, 1, 0, 2, 2, 0, 300, 0, 0);
	session(f, 0, 1, P, 1);
	assert_int_equal(f->s.ans.n_cmds, 2);
	assert_int_equal(f->s.ans.cmd_len[0], flen);
	assert_memory_equal(f->s.ans.cmds[0], first, flen);
	/* the card shows counter 2 and purchases acknowledged: nothing */
	block(f, 2, 0, 3, 2, 2, 300, 0, 2);
	session(f, 0, 1, P, 2);
	assert_int_equal(f->s.ans.n_cmds, 0);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM commands WHERE state IN "
			     "('queued', 'sent')"),
	    0);
}

/*
 * A BLOCK frame takes only an uplink block with this session's challenge,
 * a RECOVERED frame only an export block: anything else is refused as
 * the wrong kind and changes nothing.
 */
static void
test_kinds(void **state)
{
	struct fx *f = *state;

	block(f, 0, 0, 1, 1, 0, 300, 1, 0); /* card 0, locked, one film */
	session(f, 0, 0);
	f->s.n = 3;
	f->s.in[0] = (struct cgs_in_block){ .origin = P,
		.block = f->blk[0],
		.len = f->blen[0] }; /* an export block as the present one */
	f->s.in[1] = (struct cgs_in_block){ .origin = R,
		.block = f->blk_up[0],
		.len = f->blen_up[0] }; /* an uplink block from "M1" */
	f->s.in[2] = (struct cgs_in_block){ .origin = P,
		.block = f->blk_up[0],
		.len = f->blen_up[0] };
	f->s.challenge[3] ^= 1; /* a replay: another session's challenge */
	assert_int_equal(cgs_ingest(f->ctx, &f->s), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f->s.ans.res[i].status, PROTO_UP_REJECTED);
		assert_int_equal(f->s.ans.res[i].reason, PROTO_UP_WRONG_KIND);
	}
	assert_int_equal(f->s.ans.invoiced, 0);
	assert_int_equal(f->s.ans.n_acks, 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM purchases"), 0);
	assert_int_equal(count(f,
			     "SELECT COUNT(*) FROM cards WHERE ua = "
			     "'1111111111111111' AND status = 'active'"),
	    0);
	/* the same block with this session's challenge is accepted */
	session(f, 0, 1, P, 0);
	assert_int_equal(f->s.ans.res[0].status, PROTO_UP_ACCEPTED);
	assert_int_equal(f->s.ans.invoiced, 1);
}

/* More blocks than a session holds: refused, nothing recorded. */
static void
test_too_many_blocks(void **state)
{
	struct fx *f = *state;

	block(f, 0, 0, 1, 1, 0, 300, 0, 0);
	memset(&f->s, 0, sizeof(f->s));
	for (size_t i = 0; i < PROTO_UPLINK_MAX_BLOCKS; i++)
		f->s.in[i] = (struct cgs_in_block){ .origin = R,
			.block = f->blk[0],
			.len = f->blen[0] };
	f->s.n = PROTO_UPLINK_MAX_BLOCKS + 1;
	assert_int_equal(cgs_ingest(f->ctx, &f->s), PROTO_ERR_ARG);
	assert_int_equal(f->s.ans.n_res, 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM sessions"), 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM blocks"), 0);
	/* the most a session holds goes through: one invoice, 32 results */
	f->s.n = PROTO_UPLINK_MAX_BLOCKS;
	assert_int_equal(cgs_ingest(f->ctx, &f->s), 0);
	assert_int_equal(f->s.ans.n_res, PROTO_UPLINK_MAX_BLOCKS);
	assert_int_equal(f->s.ans.invoiced, 1);
	assert_int_equal(f->s.ans.res[PROTO_UPLINK_MAX_BLOCKS - 1].status,
	    PROTO_UP_DUPLICATE);
}

int
main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_separation),
		T(test_exactly_once),
		T(test_rejections),
		T(test_flags),
		T(test_commands),
		T(test_kinds),
		T(test_too_many_blocks),
		T(test_rejected_ring),
		T(test_small_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
