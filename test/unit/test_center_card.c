/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * What the center keeps of each card, through whole sessions without the
 * network (issue 10.2): the newest accepted block's credit, counters,
 * clock, flags, versions, ECMs per channel and rights, with the block,
 * session, decoder and frame they came by; an older copy, a duplicate or
 * a rejected block changes none of it.
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
#include "../../center/report.h"

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

int
main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_data_newest),
		T(test_data_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
