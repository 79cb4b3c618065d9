/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * The schema's later migrations, from a database an older build left
 * with data in it, on the engine the fixture chose (PTV_TEST_PG: the
 * PostgreSQL database it names; else a SQLite file).
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
#include "../../center/ledger.h"
#include "../../proto/crypto.h"
#include "../../proto/proto.h"

/* At schema 8: 0x81 with purchases 1, 2 and 5 in the ledger; 0x82 with
 * none; 0x83's purchase invoiced via 0x81 (the ledger's row is 0x83's). */
static const char v8_rows[] =
    "INSERT INTO purchases VALUES ('8100000000000000', 1, 42, 7, 300,"
    " 1800000000, 1700000000, 4, '8100000000000000', 'present');"
    "INSERT INTO purchases VALUES ('8100000000000000', 5, 44, 7, 200,"
    " 1800000002, 1700000000, 4, '8100000000000000', 'present');"
    "INSERT INTO purchases VALUES ('8100000000000000', 2, 43, 7, 250,"
    " 1800000001, 1700000000, 4, '8100000000000000', 'present');"
    "INSERT INTO purchases VALUES ('8300000000000000', 3, 45, 7, 100,"
    " 1800000003, 1700000000, 4, '8100000000000000', 'recovered');";

/*
 * Schema 8 to 9: each card's row keeps the highest purchase seq the
 * ledger holds of it (0 for none); the ledger's rows are unchanged; the
 * next purchase is invoiced past it and raises it, a known one is not
 * invoiced again.
 */
static void
test_migrate_8(void **state)
{
	struct centerfix_db d;
	uint8_t ua[3][PROTO_UA_LEN] = { { 0x81 }, { 0x82 }, { 0x83 } };
	uint8_t pub[PROTO_EC_PUB_LEN], priv[PROTO_EC_PRIV_LEN];
	struct proto_m2 m = { .n_purchases = 2 };
	struct cgs_ledger l;
	struct cgs_stamp at = { .session_id = 9, .now = 1 };
	struct cgs_card c;
	int version = 0;

	(void)state;
	d.db = centerfix_open_at(&d, 8);
	assert_int_equal(proto_ec_keygen(priv, pub), 0);
	for (int i = 0; i < 3; i++)
		centerfix_card_raw(d.db, ua[i], pub);
	assert_int_equal(cgs_db_exec(d.db, v8_rows), 0);
	cgs_db_close(&d.db);
	assert_int_equal(cgs_db_open(d.path, &d.db), 0);
	assert_int_equal(cgs_db_version(d.db, &version), 0);
	assert_int_equal(version, CGS_DB_VERSION);
	assert_int_equal(cgs_card_get(d.db, ua[0], &c), 0);
	assert_int_equal(c.max_invoiced, 5);
	assert_int_equal(cgs_card_get(d.db, ua[2], &c), 0);
	assert_int_equal(c.max_invoiced, 3);
	assert_int_equal(cgs_card_get(d.db, ua[1], &c), 0);
	assert_int_equal(c.max_invoiced, 0);
	assert_int_equal(centerfix_count(d.db,
			     "SELECT COUNT(*) FROM purchases"),
	    4);
	/* 0x81's purchases 5 (known) and 6 (new): one invoiced, the card's
	 * highest raised to it */
	assert_int_equal(cgs_card_get(d.db, ua[0], &c), 0);
	m.purchases[0] = (struct proto_purchase){ .seq = 5,
		.event = 44,
		.channel = 7,
		.price = 200,
		.time = 1800000002 };
	m.purchases[1] = (struct proto_purchase){ .seq = 6,
		.event = 46,
		.channel = 7,
		.price = 150,
		.time = 1800000004 };
	cgs_ledger_begin(&l, d.db, &at);
	assert_int_equal(cgs_ledger_invoice(&l, &c, &m, ua[0],
			     CGS_ORIGIN_PRESENT),
	    0);
	assert_int_equal(l.invoiced, 1);
	assert_int_equal(l.flagged, 0);
	assert_int_equal(l.top, 6);
	assert_int_equal(cgs_card_invoiced(d.db, ua[0], l.top), 0);
	assert_int_equal(cgs_card_get(d.db, ua[0], &c), 0);
	assert_int_equal(c.max_invoiced, 6);
	/* never lowered */
	assert_int_equal(cgs_card_invoiced(d.db, ua[0], 2), 0);
	assert_int_equal(cgs_card_get(d.db, ua[0], &c), 0);
	assert_int_equal(c.max_invoiced, 6);
	centerfix_db_remove(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
