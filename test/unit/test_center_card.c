/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * What the center keeps of each card, through whole sessions without the
 * network (issue 10.2): the newest accepted block's credit, counters,
 * clock, flags, versions, ECMs per channel and rights, with the block,
 * session, decoder and frame they came by; an older copy, a duplicate or
 * a rejected block changes none of it.  And the card's story (issue
 * 10.4): active, recovered, retired, active again; a stale copy from
 * another decoder; a HELLO alone and a replayed block change nothing; a
 * clone's conflicting purchases flagged once and never acknowledged; a
 * revoked card's sessions refused.  And issue 9.4: final reasons only for
 * what is in the block.
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
#include "centerfix_card.c"
#include "../../center/commands.h"
#include "../../center/report.h"
#include "../../proto/proto.h"

#define P CGS_ORIGIN_PRESENT
#define R CGS_ORIGIN_RECOVERED

static int
setup(void **state)
{
	struct centerfix_card *f = calloc(1, sizeof(*f));

	if (f == NULL || centerfix_card_setup(f, 0x11) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct centerfix_card *f = *state;

	centerfix_card_teardown(f);
	free(f);
	return 0;
}

/* An M2 with usage: n channels of ECMs, n rights, counters from base. */
static void
usage_m2(struct proto_m2 *m, uint32_t base, unsigned n)
{
	memset(m, 0, sizeof(*m));
	m->credit = 1000 - base;
	m->change_ctr = base;
	m->cws = 10 * base;
	m->denials = base;
	m->powerups = base / 2;
	m->clock = 1800000000 + base;
	m->flags = PROTO_M2_FLAG_EXPORT;
	memcpy(m->versions, "\x01\x02\x03\x04", 4);
	m->n_counts = (uint8_t)n;
	m->n_rights = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		m->counts[i] =
		    (struct proto_chan_count){ .channel = (uint16_t)(7 + i),
			    .ecms = base + i };
		m->rights[i] =
		    (struct proto_right){ .channel = (uint16_t)(100 + i),
			    .expiry = 1900000000 + i };
	}
}

static struct cgs_card_data
data(struct centerfix_card *f)
{
	struct cgs_card_data d;
	int found = 0;

	assert_int_equal(cgs_db_card_data_get(f->d.db, f->ua, &d, &found), 0);
	assert_true(found);
	return d;
}

/* The console's ingest per minute: one status's blocks, all buckets. */
struct ingest_sum {
	const char *status;
	int64_t n;
};

static int
ingest_add(void *arg, const struct cgs_count_row *r)
{
	struct ingest_sum *t = arg;

	if (strcmp(r->status, t->status) == 0)
		t->n += (int64_t)r->n;
	return 0;
}

static int64_t
ingest_total(struct cgs_db *db, const char *status)
{
	struct ingest_sum t = { status, 0 };

	assert_int_equal(cgs_report_ingest(db, 0, 60, ingest_add, &t), 0);
	return t.n;
}

static void
test_data_newest(void **state)
{
	struct centerfix_card *f = *state;
	struct cgs_card_data d;
	struct proto_m2 m;
	int found = 1;

	/* nothing until a block is accepted */
	assert_int_equal(cgs_db_card_data_get(f->d.db, f->ua, &d, &found), 0);
	assert_false(found);
	usage_m2(&m, 20, 3);
	centerfix_card_session(f, 0xaa, 1, P, 0, &m);
	d = data(f);
	assert_int_equal(d.block_seq, 1);
	assert_int_equal(d.origin, P);
	assert_int_equal(d.session_id, 1);
	assert_memory_equal(d.decoder_id, "\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa",
	    8);
	assert_true(d.received_at > 0);
	assert_int_equal(d.m.credit, 980);
	assert_int_equal(d.m.cws, 200);
	assert_int_equal(d.m.denials, 20);
	assert_int_equal(d.m.powerups, 10);
	assert_int_equal(d.m.clock, 1800000020);
	assert_int_equal(d.m.flags, PROTO_M2_FLAG_EXPORT);
	assert_memory_equal(d.m.versions, "\x01\x02\x03\x04", 4);
	assert_int_equal(d.m.n_counts, 3);
	assert_int_equal(d.m.counts[2].channel, 9);
	assert_int_equal(d.m.counts[2].ecms, 22);
	assert_int_equal(d.m.n_rights, 3);
	assert_int_equal(d.m.rights[1].channel, 101);
	assert_int_equal(d.m.rights[1].expiry, 1900000001);
	/* a newer block from M1 through another decoder: it replaces all,
	 * the lists too (one channel, one right now) */
	usage_m2(&m, 30, 1);
	centerfix_card_session(f, 0xbb, 0, R, 0, &m);
	d = data(f);
	assert_int_equal(d.block_seq, 2);
	assert_int_equal(d.origin, R);
	assert_int_equal(d.session_id, 2);
	assert_int_equal(d.decoder_id[0], 0xbb);
	assert_int_equal(d.m.cws, 300);
	assert_int_equal(d.m.n_counts, 1);
	assert_int_equal(d.m.n_rights, 1);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM card_ecms"),
	    1);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM card_rights"),
	    1);
	/* an older copy (seq 1 again, from M1) changes nothing */
	usage_m2(&m, 5, 2);
	centerfix_card_session(f, 0xcc, 0, R, 1, &m);
	d = data(f);
	assert_int_equal(d.block_seq, 2);
	assert_int_equal(d.m.cws, 300);
	assert_int_equal(d.decoder_id[0], 0xbb);
	/* the same block again (a duplicate) changes nothing either */
	usage_m2(&m, 40, 2);
	centerfix_card_session(f, 0xcc, 0, R, 2, &m);
	assert_int_equal(f->s.ans.res[0].status, PROTO_UP_DUPLICATE);
	assert_int_equal(data(f).m.cws, 300);
	/* a rejected block (bad signature) changes nothing */
	usage_m2(&m, 50, 2);
	f->ck.sign_priv[3] ^= 1;
	(void)proto_ec_keygen(f->ck.sign_priv, f->ck.sign_pub);
	centerfix_card_session(f, 0xcc, 0, R, 0, &m);
	assert_int_equal(f->s.ans.res[0].reason, PROTO_UP_BAD_SIGNATURE);
	assert_int_equal(data(f).block_seq, 2);
	/* the sessions counted their blocks as the blocks table holds them
	 * (accepted, and duplicate: the older copy and the same block again;
	 * the rejected one's session was junk and left no row) */
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM (SELECT DISTINCT status, "
			     "reason FROM blocks) x"),
	    2);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM (SELECT status, reason, "
			     "COUNT(*) AS n FROM blocks GROUP BY status, "
			     "reason) b JOIN (SELECT status, reason, SUM(n) AS "
			     "n FROM block_counts GROUP BY status, reason) c "
			     "ON "
			     "c.status = b.status AND c.reason = b.reason AND "
			     "c.n = b.n"),
	    2);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM (SELECT DISTINCT status, "
			     "reason FROM block_counts) x"),
	    2);
	/* and the console's ingest per minute (the sessions' counts) as
	 * the blocks table has them */
	assert_int_equal(ingest_total(f->d.db, "accepted"),
	    centerfix_count(f->d.db,
		"SELECT COUNT(*) FROM blocks WHERE status = 'accepted'"));
	assert_int_equal(ingest_total(f->d.db, "duplicate"),
	    centerfix_count(f->d.db,
		"SELECT COUNT(*) FROM blocks WHERE status = 'duplicate'"));
	assert_int_equal(ingest_total(f->d.db, "duplicate"), 2);
	assert_int_equal(ingest_total(f->d.db, "rejected"), 0);
}

/*
 * A newer block writes only the ECMs and rights that changed: a channel
 * whose count moved is updated, one gone is deleted, a new one added,
 * the others kept as they were.
 */
static void
test_data_pairs(void **state)
{
	struct centerfix_card *f = *state;
	struct cgs_card_data d;
	struct proto_m2 m;

	usage_m2(&m, 20, 3); /* ECMs 7:20 8:21 9:22, rights 100..102 */
	centerfix_card_session(f, 0xaa, 1, P, 0, &m);
	m.counts[1].ecms = 31;                            /* 8 moved */
	m.counts[2] = (struct proto_chan_count){ 12, 5 }; /* 9 gone, 12 new */
	m.rights[0].expiry = 1950000000;                  /* 100 moved */
	m.n_rights = 2;                                   /* 102 gone */
	centerfix_card_session(f, 0xaa, 1, P, 0, &m);
	assert_int_equal(f->s.ans.res[0].status, PROTO_UP_ACCEPTED);
	d = data(f);
	assert_int_equal(d.block_seq, 2);
	assert_int_equal(d.m.n_counts, 3);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT SUM(channel * 1000 + ecms) FROM "
			     "card_ecms"),
	    7020 + 8031 + 12005);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM card_rights"),
	    2);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT SUM(expiry - 1900000000) FROM "
			     "card_rights"),
	    50000000 + 1);
	/* the same lists again: nothing to write, nothing changes */
	centerfix_card_session(f, 0xaa, 1, P, 0, &m);
	assert_int_equal(data(f).block_seq, 3);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT SUM(channel * 1000 + ecms) FROM "
			     "card_ecms"),
	    7020 + 8031 + 12005);
	/* a channel listed twice keeps its first count */
	m.n_counts = 4;
	m.counts[3] = (struct proto_chan_count){ 7, 99 };
	centerfix_card_session(f, 0xaa, 1, P, 0, &m);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT SUM(channel * 1000 + ecms) FROM "
			     "card_ecms"),
	    7020 + 8031 + 12005);
}

/* The report hands the same data to its callback, once. */
static int
got_data(void *arg, const struct cgs_card_data *d)
{
	int *n = arg;

	(*n)++;
	assert_int_equal(d->m.cws, 200);
	assert_int_equal(d->m.n_counts, 3);
	return 0;
}

static void
test_data_report(void **state)
{
	struct centerfix_card *f = *state;
	struct proto_m2 m;
	int n = 0;

	assert_int_equal(cgs_report_card_data(f->d.db, f->ua, got_data, &n), 0);
	assert_int_equal(n, 0);
	usage_m2(&m, 20, 3);
	centerfix_card_session(f, 0xaa, 1, P, 0, &m);
	assert_int_equal(cgs_report_card_data(f->d.db, f->ua, got_data, &n), 0);
	assert_int_equal(n, 1);
}

/* --- the card's story (issue 10.4) ----------------------------------- */

/* A second card, B, on f's center. */
struct other {
	uint8_t ua[PROTO_UA_LEN];
	struct proto_card_keys ck;
	uint8_t blk[PROTO_BLOCK_MAX];
	size_t blen;
	uint32_t seq;
};

static void
other_card(struct centerfix_card *f, struct other *b)
{
	uint8_t v[4] = { 1, 0, 1, 0 };

	memset(b, 0, sizeof(*b));
	memset(b->ua, 0x22, PROTO_UA_LEN);
	assert_int_equal(proto_ec_keygen(b->ck.sign_priv, b->ck.sign_pub), 0);
	assert_int_equal(proto_kt_derive(f->keys.master, b->ua, b->ck.kt), 0);
	assert_int_equal(cgs_card_register(f->d.db, b->ua, b->ck.sign_pub, v),
	    0);
}

/*
 * Decoder dec proves B present (a fresh block) and hands in its M1 copy
 * of f's card (export block seq a_seq of m): one session.
 */
static void
swap_session(struct centerfix_card *f, struct other *b, uint8_t dec,
    uint32_t a_seq, const struct proto_m2 *m)
{
	uint8_t body[PROTO_M2_MAX_LEN], ablk[PROTO_BLOCK_MAX];
	struct proto_m2 bm;
	struct proto_wr w, bw;
	size_t alen;

	memset(&f->s, 0, sizeof(f->s));
	assert_int_equal(proto_random(f->s.challenge, PROTO_CHALLENGE_LEN), 0);
	memset(f->s.hello.decoder_id, dec, PROTO_DECODER_ID_LEN);
	f->s.hello.has_card = 1;
	memcpy(f->s.hello.ua, b->ua, PROTO_UA_LEN);
	proto_wr_init(&bw, body, sizeof(body));
	proto_wr_init(&w, ablk, sizeof(ablk));
	assert_int_equal(proto_m2_encode(m, &bw), 0);
	assert_int_equal(proto_block_seal(PROTO_BLOCK_EXPORT, f->ua, a_seq,
			     NULL, &f->ck, body, proto_wr_len(&bw), &w),
	    0);
	alen = proto_wr_len(&w);
	memset(&bm, 0, sizeof(bm));
	proto_wr_init(&bw, body, sizeof(body));
	proto_wr_init(&w, b->blk, sizeof(b->blk));
	assert_int_equal(proto_m2_encode(&bm, &bw), 0);
	assert_int_equal(proto_block_seal(PROTO_BLOCK_UPLINK, b->ua, ++b->seq,
			     f->s.challenge, &b->ck, body, proto_wr_len(&bw),
			     &w),
	    0);
	b->blen = proto_wr_len(&w);
	f->s.in[0] = (struct cgs_in_block){ .origin = P,
		.block = b->blk,
		.len = b->blen };
	f->s.in[1] = (struct cgs_in_block){ .origin = R,
		.block = ablk,
		.len = alen,
		.stored_at = 1234 };
	memset(f->s.in[1].decoder_id, dec, PROTO_DECODER_ID_LEN);
	f->s.n = 2;
	assert_int_equal(cgs_ingest(f->ctx, &f->s), 0);
}

/* The card's status and where it was last seen, as one string. */
static void
story(struct centerfix_card *f, const char *want)
{
	struct cgs_stmt *st;
	char got[96];

	assert_non_null(st = cgs_stmt_new(f->d.db,
			    "SELECT status || ' ' || COALESCE(seen_as, '-') "
			    "|| "
			    "' ' || COALESCE(substr(seen_via, 1, 2), '-') || "
			    "' ' || COALESCE(CAST(locked AS TEXT), '-') FROM "
			    "cards WHERE ua "
			    "= '1111111111111111'"));
	assert_int_equal(cgs_step(st), 1);
	snprintf(got, sizeof(got), "%s", cgs_col_text(st, 0));
	cgs_stmt_free(&st);
	assert_string_equal(got, want);
}

static void
test_story(void **state)
{
	struct centerfix_card *f = *state;
	struct other b;
	struct proto_m2 m;

	other_card(f, &b);
	story(f, "issued - - -");
	memset(&m, 0, sizeof(m));
	centerfix_card_session(f, 0xaa, 1, P, 0, &m); /* A in decoder aa */
	story(f, "active present aa 0");
	/* A's copy recovered from decoder bb, which holds no card it
	 * proved: recovered, not retired */
	centerfix_card_session(f, 0xbb, 0, R, 0, &m);
	story(f, "recovered recovered bb 0");
	/* bb proves B present later: A is retired */
	swap_session(f, &b, 0xbb, ++f->seq, &m);
	story(f, "retired-recovered recovered bb 0");
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM sessions WHERE present_seen "
			     "= 1 AND present_ua = '2222222222222222'"),
	    1);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM blocks WHERE kept_by = "
			     "'bbbbbbbbbbbbbbbb' AND stored_at = 1234"),
	    1);
	/* A back in a reader as the present card: active again (its
	 * export sequence moved on meanwhile: 5 to 8 went elsewhere) */
	f->seq += 4;
	centerfix_card_session(f, 0xcc, 1, P, 0, &m);
	story(f, "active present cc 0");
	/* a stale copy of A from bb's M1 (A moved on since): recorded as
	 * stale, acknowledged, not flagged; A stays active where it is, B
	 * does not retire it */
	swap_session(f, &b, 0xbb, 6, &m);
	assert_int_equal(f->s.ans.res[1].status, PROTO_UP_ACCEPTED);
	assert_int_equal(f->s.ans.res[1].reason, PROTO_UP_STALE);
	assert_int_equal(f->s.ans.n_acks, 1);
	assert_int_equal(f->s.ans.flagged, 0);
	story(f, "active present cc 0");
	/* the M1 copy of the present card itself proves nothing of it */
	m.locked = 1;
	centerfix_card_session(f, 0xdd, 1, R, 0, &m);
	assert_int_equal(f->s.ans.res[0].status, PROTO_UP_ACCEPTED);
	assert_int_equal(f->s.ans.n_cmds, 0); /* no unlock */
	story(f, "recovered recovered dd 0");
	assert_int_equal(centerfix_count(f->d.db, "SELECT COUNT(*) FROM flags"),
	    0);
}

/* The card's row as the reports hand it (what centerctl and the console
 * show). */
static int
got_card(void *arg, const struct cgs_card_row *r)
{
	*(struct cgs_card_row *)arg = *r;
	return 0;
}

/*
 * A retired card's lock, as every report shows it: what its newest block
 * says.  The record's own column follows the present card's sessions
 * only (separation: a recovered block may not set the lock), so a card
 * last seen present while still transfer-locked, unlocked since and
 * retired with an unlocked copy from M1, kept "locked" there while its
 * data said unlocked: centerctl card and the console were seen to
 * disagree on it.
 */
static void
test_retired_lock(void **state)
{
	struct centerfix_card *f = *state;
	struct cgs_card_row row;
	struct other b;
	struct proto_m2 m;

	other_card(f, &b);
	memset(&m, 0, sizeof(m));
	m.locked = 1;
	centerfix_card_session(f, 0xaa, 1, P, 0, &m); /* the first contact */
	memset(&row, 0, sizeof(row));
	assert_int_equal(cgs_report_cards(f->d.db, f->ua, got_card, &row), 0);
	assert_int_equal(row.locked, 1);
	/* unlocked by that session's command, A exports into bb's M1;
	 * bb proves B present: A is retired with that copy */
	m.locked = 0;
	swap_session(f, &b, 0xbb, ++f->seq, &m);
	story(f, "retired-recovered recovered bb 1");
	assert_int_equal(data(f).m.locked, 0);
	row.locked = -1;
	assert_int_equal(cgs_report_cards(f->d.db, f->ua, got_card, &row), 0);
	assert_string_equal(row.status, "retired-recovered");
	assert_int_equal(row.locked, 0);
	/* B, present in that session: its own block's */
	row.locked = -1;
	assert_int_equal(cgs_report_cards(f->d.db, b.ua, got_card, &row), 0);
	assert_int_equal(row.locked, 0);
}

/* A HELLO alone, or a replayed uplink block, changes nothing. */
static void
test_freshness(void **state)
{
	struct centerfix_card *f = *state;
	struct cgs_session replay;
	struct proto_m2 m;

	memset(&m, 0, sizeof(m));
	centerfix_card_session(f, 0xaa, 1, P, 0, &m); /* unlocked */
	assert_int_equal(cgs_queue_command(f->d.db, &f->keys, f->ua,
			     PROTO_CMD_PATH_UPLINK, PROTO_CMD_RELOAD, 5, 0,
			     NULL),
	    0);
	/* a locked block of the card, in this session: then replayed */
	m.locked = 1;
	centerfix_card_session(f, 0xaa, 1, P, 0, &m);
	assert_int_equal(f->s.ans.n_cmds, 2); /* the reload, the unlock */
	replay = f->s;
	m.locked = 0;
	centerfix_card_session(f, 0xaa, 1, P, 0, &m); /* unlocked again */
	story(f, "active present aa 0");
	/* HELLO alone, from another decoder */
	centerfix_card_session(f, 0xbb, 1, P, 0, NULL);
	assert_int_equal(f->s.recorded, 0);
	assert_int_equal(f->s.ans.n_cmds, 0);
	story(f, "active present aa 0");
	/* the recorded locked block, replayed in a new session (another
	 * challenge): wrong kind, nothing changes */
	assert_int_equal(proto_random(replay.challenge, PROTO_CHALLENGE_LEN),
	    0);
	memset(replay.hello.decoder_id, 0xbb, PROTO_DECODER_ID_LEN);
	assert_int_equal(cgs_ingest(f->ctx, &replay), 0);
	assert_int_equal(replay.ans.res[0].reason, PROTO_UP_WRONG_KIND);
	assert_int_equal(replay.ans.n_cmds, 0);
	assert_int_equal(replay.recorded, 0);
	story(f, "active present aa 0");
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM commands WHERE type = "
			     "'unlock'"),
	    1);
}

/* A cloned card: two cards, one UA, purchases that conflict. */
static void
test_clone(void **state)
{
	struct centerfix_card *f = *state;
	struct proto_m2 m, clone;
	uint8_t types[PROTO_UP_MAX_COMMANDS] = { 0 };

	memset(&m, 0, sizeof(m));
	m.purchase_seq = 2;
	m.n_purchases = 2;
	for (uint32_t i = 0; i < 2; i++)
		m.purchases[i] = (struct proto_purchase){ .seq = i + 1,
			.event = 42 + i,
			.channel = 7,
			.price = 300,
			.time = 1000 };
	centerfix_card_session(f, 0xaa, 1, P, 0, &m);
	assert_int_equal(f->s.ans.invoiced, 2);
	/* the clone bought other films under the same numbers */
	clone = m;
	clone.purchases[1].event = 99;
	centerfix_card_session(f, 0xbb, 1, P, 0, &clone);
	assert_int_equal(f->s.ans.flagged, 1);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM flags WHERE what LIKE "
			     "'purchase 2 differs from the one invoiced: "
			     "event 99%'"),
	    1);
	/* acknowledged up to 1 only: purchase 2's evidence stays on the
	 * card; the ack queued before (up to 2) is not sent to it either */
	for (size_t i = 0; i < f->s.ans.n_cmds; i++) {
		struct proto_cmd c;
		assert_int_equal(proto_cmd_verify(f->s.ans.cmds[i],
				     f->s.ans.cmd_len[i], f->keys.center_pub,
				     &c),
		    0);
		types[i] = c.type;
		assert_true(c.type != PROTO_CMD_ACK || c.arg1 <= 2);
	}
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM commands WHERE type = 'ack' "
			     "AND arg1 = 2"),
	    1);
	/* the same conflict again: not flagged twice, nothing invoiced */
	centerfix_card_session(f, 0xbb, 1, P, 0, &clone);
	assert_int_equal(f->s.ans.flagged, 0);
	assert_int_equal(f->s.ans.invoiced, 0);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM conflicts"),
	    1);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT event FROM purchases WHERE seq = 2"),
	    43);
	(void)types;
}

/* The acknowledgement stops before the first purchase in conflict. */
static void
test_clone_ack(void **state)
{
	struct centerfix_card *f = *state;
	struct proto_m2 m;

	memset(&m, 0, sizeof(m));
	m.purchase_seq = 1;
	m.n_purchases = 1;
	m.purchases[0] = (struct proto_purchase){ .seq = 1,
		.event = 42,
		.channel = 7,
		.price = 300,
		.time = 1000 };
	/* the invoice comes from M1, so no ack is made yet */
	centerfix_card_session(f, 0xaa, 0, R, 0, &m);
	m.purchases[0].event = 43; /* the clone, present */
	centerfix_card_session(f, 0xbb, 1, P, 0, &m);
	assert_int_equal(f->s.ans.flagged, 1);
	assert_int_equal(f->s.ans.n_cmds, 0);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM commands WHERE type = "
			     "'ack'"),
	    0);
}

static void
test_revoked(void **state)
{
	struct centerfix_card *f = *state;
	struct cgs_made emm;
	struct proto_cmd c;
	struct proto_m2 m;
	uint8_t nobody[PROTO_UA_LEN] = { 0x99 };

	memset(&m, 0, sizeof(m));
	centerfix_card_session(f, 0xaa, 1, P, 0, &m);
	assert_int_equal(cgs_revoke_card(f->d.db, &f->keys, f->ua, &emm), 0);
	assert_int_equal(proto_cmd_verify(emm.wire, emm.len, f->keys.center_pub,
			     &c),
	    0);
	assert_int_equal(c.type, PROTO_CMD_DISABLE);
	assert_int_equal(c.path, PROTO_CMD_PATH_BROADCAST);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM commands WHERE type = "
			     "'disable' AND state = 'queued'"),
	    2);
	/* again, or a card never registered: refused, nothing made */
	assert_int_equal(cgs_revoke_card(f->d.db, &f->keys, f->ua, &emm),
	    PROTO_ERR_EXISTS);
	assert_int_equal(cgs_revoke_card(f->d.db, &f->keys, nobody, &emm),
	    PROTO_ERR_NOTFOUND);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM commands"),
	    2);
	/* its sessions are refused whole: nothing recorded */
	centerfix_card_session(f, 0xaa, 1, P, 0, &m);
	assert_int_equal(f->s.refused, PROTO_UP_REVOKED);
	assert_int_equal(f->s.recorded, 0);
	assert_int_equal(f->s.ans.n_res, 0);
	assert_int_equal(f->s.ans.n_cmds, 0);
	assert_int_equal(centerfix_count(f->d.db,
			     "SELECT COUNT(*) FROM sessions"),
	    1);
	/* its block recovered elsewhere: rejected as revoked (final) */
	centerfix_card_session(f, 0xbb, 0, R, 0, &m);
	assert_int_equal(f->s.refused, PROTO_UP_OK);
	assert_int_equal(f->s.ans.res[0].status, PROTO_UP_REJECTED);
	assert_int_equal(f->s.ans.res[0].reason, PROTO_UP_REVOKED);
	assert_true(proto_up_reason_final(PROTO_UP_REVOKED));
	assert_int_equal(f->s.ans.n_acks, 0);
}

/* Issue 9.4: a final reason only for what the block itself is. */
static void
test_reasons(void **state)
{
	static const struct {
		enum cgs_check check;
		int rc;
		uint8_t reason;
	} t[] = {
		{ CGS_CHECK_SIGNATURE, PROTO_ERR_AUTH, PROTO_UP_BAD_SIGNATURE },
		{ CGS_CHECK_SIGNATURE, PROTO_ERR_NOMEM, PROTO_UP_INTERNAL },
		{ CGS_CHECK_SIGNATURE, PROTO_ERR_CRYPTO, PROTO_UP_INTERNAL },
		{ CGS_CHECK_SIGNATURE, PROTO_ERR_FORMAT, PROTO_UP_INTERNAL },
		{ CGS_CHECK_OPEN, PROTO_ERR_AUTH, PROTO_UP_UNDECRYPTABLE },
		{ CGS_CHECK_OPEN, PROTO_ERR_FORMAT, PROTO_UP_MALFORMED },
		{ CGS_CHECK_OPEN, PROTO_ERR_SHORT, PROTO_UP_MALFORMED },
		{ CGS_CHECK_OPEN, PROTO_ERR_TRAILING, PROTO_UP_MALFORMED },
		{ CGS_CHECK_OPEN, PROTO_ERR_TOOBIG, PROTO_UP_MALFORMED },
		{ CGS_CHECK_OPEN, PROTO_ERR_RANGE, PROTO_UP_MALFORMED },
		{ CGS_CHECK_OPEN, PROTO_ERR_NOMEM, PROTO_UP_INTERNAL },
		{ CGS_CHECK_OPEN, PROTO_ERR_CRYPTO, PROTO_UP_INTERNAL },
		{ CGS_CHECK_OPEN, PROTO_ERR_IO, PROTO_UP_INTERNAL },
	};
	/* every reason the center puts in a RESULT, and whether it is final */
	static const struct {
		uint8_t reason;
		int final;
	} r[] = {
		{ PROTO_UP_OK, 0 },
		{ PROTO_UP_UNKNOWN_UA, 1 },
		{ PROTO_UP_BAD_SIGNATURE, 1 },
		{ PROTO_UP_UNDECRYPTABLE, 1 },
		{ PROTO_UP_MALFORMED, 1 },
		{ PROTO_UP_WRONG_CARD, 0 },
		{ PROTO_UP_INTERNAL, 0 },
		{ PROTO_UP_WRONG_KIND, 1 },
		{ PROTO_UP_STALE, 0 },
		{ PROTO_UP_REVOKED, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(cgs_block_reason(t[i].check, t[i].rc),
		    t[i].reason);
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		assert_int_equal(proto_up_reason_final(r[i].reason),
		    r[i].final);
}

/* A key that is no point of the curve is never registered. */
static void
test_register_bad_key(void **state)
{
	struct centerfix_card *f = *state;
	uint8_t pub[PROTO_EC_PUB_LEN], ua[PROTO_UA_LEN] = { 0x77 };
	uint8_t v[4] = { 1, 0, 1, 0 };

	memset(pub, 0x04, sizeof(pub));
	assert_int_equal(cgs_card_register(f->d.db, ua, pub, v),
	    PROTO_ERR_FORMAT);
	assert_int_equal(centerfix_count(f->d.db, "SELECT COUNT(*) FROM cards"),
	    1);
}

/* Three cards at schema 6: 0x71 with data, two ECMs and a right, and two
 * purchases; 0x72 with data and neither; 0x73 never seen. */
static const char v6_rows[] =
    "INSERT INTO card_data VALUES ('7100000000000000', 9, 'recovered', 4,"
    " 'bbbbbbbbbbbbbbbb', 1700000000, 450, 2, 1, 3, 5, 6, 0, 1, '01020304',"
    " 70, 8, 9, 1800000123);"
    "INSERT INTO card_data VALUES ('7200000000000000', 3, 'present', 5,"
    " 'aaaaaaaaaaaaaaaa', 1700000100, 90, 0, 0, 1, 0, 0, 1, 0, '01000100',"
    " 1, 0, 2, 1800000000);"
    "INSERT INTO card_ecms VALUES ('7100000000000000', 7, 20);"
    "INSERT INTO card_ecms VALUES ('7100000000000000', 8, 21);"
    "INSERT INTO card_rights VALUES ('7100000000000000', 100, 1900000000);"
    "INSERT INTO purchases VALUES ('7100000000000000', 1, 42, 7, 300,"
    " 1800000000, 1700000000, 4, '7100000000000000', 'recovered');"
    "INSERT INTO purchases VALUES ('7100000000000000', 2, 43, 7, 250,"
    " 1800000001, 1700000000, 4, '7100000000000000', 'recovered');"
    "INSERT INTO block_counts VALUES (4, 'accepted', 'ok', 3);"
    "INSERT INTO sessions (id, decoder_id, started_at, blocks, invoiced,"
    " flagged) VALUES (4, 'bbbbbbbbbbbbbbbb', 1700000000, 3, 2, 0);"
    "INSERT INTO blocks (session_id, ua, seq, origin, status, reason,"
    " received_at) VALUES (4, '7100000000000000', 9, 'recovered',"
    " 'accepted', 'ok', 1700000000);"
    "INSERT INTO blocks (session_id, ua, seq, origin, status, reason,"
    " received_at) VALUES (4, '7100000000000000', 9, 'recovered',"
    " 'duplicate', 'ok', 1700000000);"
    "INSERT INTO blocks (session_id, ua, seq, origin, status, reason,"
    " received_at) VALUES (4, '7100000000000000', 9, 'recovered',"
    " 'duplicate', 'ok', 1700000000);";

/*
 * Schema 6 to 7 and 8 keeps every fact: the cards' data (now in their own
 * rows), their ECMs and rights, the ledger, the block counts, the blocks
 * of a session by status (now counted in its row too); a card never seen
 * still has none, and the next block is invoiced past the ledger as it
 * was.
 */
static void
test_migrate_6(void **state)
{
	struct centerfix_db d;
	struct cgs_card_data got;
	struct proto_purchase p[4];
	uint8_t ua[3][PROTO_UA_LEN] = { { 0x71 }, { 0x72 }, { 0x73 } };
	uint8_t pub[PROTO_EC_PUB_LEN], priv[PROTO_EC_PRIV_LEN];
	struct cgs_stamp at = { .session_id = 6, .now = 1 };
	struct cgs_card c;
	size_t n = 0;
	int found = 0, version = 0, added = 1;

	(void)state;
	d.db = centerfix_open_at(&d, 6);
	assert_int_equal(proto_ec_keygen(priv, pub), 0);
	for (int i = 0; i < 3; i++)
		centerfix_card_raw(d.db, ua[i], pub);
	assert_int_equal(cgs_db_exec(d.db, v6_rows), 0);
	cgs_db_close(&d.db);
	assert_int_equal(cgs_db_open(d.path, &d.db), 0);
	assert_int_equal(cgs_db_version(d.db, &version), 0);
	assert_int_equal(version, CGS_DB_VERSION);
	assert_int_equal(cgs_db_card_data_get(d.db, ua[0], &got, &found), 0);
	assert_true(found);
	assert_int_equal(got.block_seq, 9);
	assert_int_equal(got.origin, R);
	assert_int_equal(got.session_id, 4);
	assert_int_equal(got.decoder_id[7], 0xbb);
	assert_int_equal(got.received_at, 1700000000);
	assert_int_equal(got.m.credit, 450);
	assert_int_equal(got.m.purchase_seq, 2);
	assert_int_equal(got.m.acked_seq, 1);
	assert_int_equal(got.m.change_ctr, 3);
	assert_int_equal(got.m.cmd_ctr, 5);
	assert_int_equal(got.m.bcast_ctr, 6);
	assert_int_equal(got.m.locked, 0);
	assert_int_equal(got.m.flags, 1);
	assert_memory_equal(got.m.versions, "\x01\x02\x03\x04", 4);
	assert_int_equal(got.m.cws, 70);
	assert_int_equal(got.m.denials, 8);
	assert_int_equal(got.m.powerups, 9);
	assert_int_equal(got.m.clock, 1800000123);
	assert_int_equal(got.m.n_counts, 2);
	assert_int_equal(got.m.counts[1].channel, 8);
	assert_int_equal(got.m.counts[1].ecms, 21);
	assert_int_equal(got.m.n_rights, 1);
	assert_int_equal(got.m.rights[0].expiry, 1900000000);
	assert_int_equal(cgs_db_card_data_get(d.db, ua[1], &got, &found), 0);
	assert_true(found);
	assert_int_equal(got.block_seq, 3);
	assert_int_equal(got.origin, P);
	assert_int_equal(got.m.locked, 1);
	assert_int_equal(got.m.n_counts + got.m.n_rights, 0);
	assert_false(got.pairs);
	assert_int_equal(cgs_db_card_data_get(d.db, ua[2], &got, &found), 0);
	assert_false(found);
	/* the ledger as it was: the card's highest invoiced, its rows */
	assert_int_equal(cgs_card_get(d.db, ua[0], &c), 0);
	assert_int_equal(c.max_invoiced, 2);
	assert_int_equal(cgs_db_purchases_get(d.db, ua[0], 0, 9, p, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(p[1].seq, 2);
	assert_int_equal(p[1].event, 43);
	assert_int_equal(p[1].price, 250);
	assert_int_equal(p[1].time, 1800000001);
	assert_int_equal(centerfix_count(d.db,
			     "SELECT SUM(n) FROM block_counts WHERE shard = 4 "
			     "AND status = 'accepted'"),
	    3);
	assert_int_equal(centerfix_count(d.db,
			     "SELECT COUNT(*) FROM card_ecms"),
	    2);
	/* the console's ingest per minute: the session's blocks, by status */
	assert_int_equal(ingest_total(d.db, "accepted"), 1);
	assert_int_equal(ingest_total(d.db, "duplicate"), 2);
	assert_int_equal(ingest_total(d.db, "rejected"), 0);
	/* the data's old table is gone */
	assert_null(cgs_stmt_new(d.db, "SELECT 1 FROM card_data"));
	/* SQLite's ledger is one B-tree now */
	if (strcmp(cgs_db_engine(d.db), "sqlite") == 0)
		assert_int_equal(centerfix_count(d.db,
				     "SELECT COUNT(*) FROM sqlite_master "
				     "WHERE name = 'purchases' AND "
				     "sql LIKE '%WITHOUT ROWID%'"),
		    1);
	/* the unique key still holds: the same purchase is not added */
	assert_int_equal(cgs_db_purchase_add(d.db, &at, ua[0], &p[1], ua[0], R,
			     &added),
	    0);
	assert_false(added);
	p[1].seq = 3;
	assert_int_equal(cgs_db_purchase_add(d.db, &at, ua[0], &p[1], ua[0], R,
			     &added),
	    0);
	assert_true(added);
	assert_int_equal(cgs_card_invoiced(d.db, ua[0], 3), 0);
	centerfix_db_remove(&d);
}

int
main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_data_newest),
		T(test_data_pairs),
		T(test_data_report),
		T(test_story),
		T(test_retired_lock),
		T(test_freshness),
		T(test_clone),
		T(test_clone_ack),
		T(test_revoked),
		cmocka_unit_test(test_reasons),
		T(test_register_bad_key),
		cmocka_unit_test(test_migrate_6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
