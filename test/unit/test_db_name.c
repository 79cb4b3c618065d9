/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * A database as the center's programs name it (center/db_name.h): a
 * postgresql:// URL's passwords never shown, wherever libpq reads one (the
 * user part, a "password" parameter, percent-encoded or not), in the URL
 * and in a message quoting it; names cut short never show part of one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../center/db_name.h"

static void
test_name(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "/var/lib/ptv/center/center.db",
		    "/var/lib/ptv/center/center.db" },
		{ "postgresql://ptv@db.example/ptv",
		    "postgresql://ptv@db.example/ptv" },
		{ "postgresql://u:secret@h/db", "postgresql://u:***@h/db" },
		{ "postgres://u:secret@h:5432/db?sslmode=require",
		    "postgres://u:***@h:5432/db?sslmode=require" },
		{ "postgresql://u:pa:ss@h", "postgresql://u:***@h" },
		{ "postgresql://u:p%40ss@h/db", "postgresql://u:***@h/db" },
		{ "postgresql://u@h/db?password=secret&sslmode=require",
		    "postgresql://u@h/db?password=***&sslmode=require" },
		{ "postgresql://h?sslmode=require&password=secret",
		    "postgresql://h?sslmode=require&password=***" },
		{ "postgresql:///db?host=/run/pg&pass%77ord=secret",
		    "postgresql:///db?host=/run/pg&pass%77ord=***" },
		{ "postgresql://u:secret@h/db?password=secret2",
		    "postgresql://u:***@h/db?password=***" },
		{ "postgresql://u:@h/db?password=",
		    "postgresql://u:@h/db?password=" },
		{ "postgresql://u:secret@[::1/db",
		    "postgresql://u:***@[::1/db" },
		/* a '?' before the '@' is the user part's, as libpq reads it */
		{ "postgresql://u:se?cret@h", "postgresql://u:***@h" },
		{ "postgresql://h/db?passwordx=1&xpassword=2",
		    "postgresql://h/db?passwordx=1&xpassword=2" },
		{ "postgresql://h/db?password=a&password=b&password=c&password="
		  "d&password=e&password=f&password=g&password=h&password=i",
		    "postgresql://***" },
	};
	char out[CGS_DB_NAME_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		cgs_db_name(cases[i].in, out, sizeof(out));
		assert_string_equal(out, cases[i].out);
	}
}

/* Cut at every size: "..." at the end, never a piece of the password. */
static void
test_name_cut(void **state)
{
	static const char url[] = "postgresql://u:secret@h/db?password=secret";
	char out[sizeof(url) + 8];

	(void)state;
	for (size_t n = 8; n <= sizeof(out); n++) {
		memset(out, 'x', sizeof(out));
		cgs_db_name(url, out, n);
		assert_true(strlen(out) < n);
		assert_null(strstr(out, "se"));
		if (n < sizeof("postgresql://u:***@h/db?password=***"))
			assert_string_equal(out + strlen(out) - 3, "...");
	}
	cgs_db_name(url, out, 7); /* too small for a name: "" */
	assert_string_equal(out, "");
}

static void
test_scrub(void **state)
{
	static const char url[] = "postgresql://u:secret@[::1/db";
	char out[CGS_DB_NAME_MAX + 256];

	(void)state;
	cgs_db_scrub(url,
	    "end of string reached when looking for matching \"]\" in IPv6 "
	    "host address in URI: \"postgresql://u:secret@[::1/db\"",
	    out, sizeof(out));
	assert_string_equal(out,
	    "end of string reached when looking for matching \"]\" in IPv6 "
	    "host address in URI: \"postgresql://u:***@[::1/db\"");
	cgs_db_scrub(url, "invalid percent-encoded token: \"secret\"", out,
	    sizeof(out));
	assert_string_equal(out, "invalid percent-encoded token: \"***\"");
	cgs_db_scrub("/srv/c.db", "unable to open /srv/c.db", out, sizeof(out));
	assert_string_equal(out, "unable to open /srv/c.db");
	cgs_db_scrub("postgresql://h/db?password=a&password=b&password=c&"
		     "password=d&password=e&password=f&password=g&password=h&"
		     "password=i",
	    "password a", out, sizeof(out));
	assert_null(strstr(out, "password a"));
}

/* In place, each password's bytes as '*', the rest as it was. */
static void
test_mask(void **state)
{
	char url[] = "postgresql://u:secret@h/db?sslmode=require&password=pw";
	char path[] = "/srv/c.db";

	(void)state;
	cgs_db_mask(url);
	assert_string_equal(url,
	    "postgresql://u:******@h/db?sslmode=require&password=**");
	cgs_db_mask(path);
	assert_string_equal(path, "/srv/c.db");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_name_cut),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
