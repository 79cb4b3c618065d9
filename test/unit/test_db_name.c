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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../center/db.h"
#include "../../center/db_name.h"
#include "../../proto/proto.h"

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
		/* PostgreSQL's scheme misspelt (refused): a URL all the same */
		{ "postgresql:/u:secret@h/db", "postgresql:/u:***@h/db" },
		{ "postgres:u:secret@h/db", "postgres:u:***@h/db" },
		{ "POSTGRESQL://u:secret@h/db?Password=x&password=y",
		    "POSTGRESQL://u:***@h/db?Password=x&password=***" },
		{ "PostgreS:///db?password=secret",
		    "PostgreS:///db?password=***" },
		{ " \tpostgresql:/u:secret@h/db", " \tpostgresql:/u:***@h/db" },
		/* other schemes and paths that only look like one */
		{ "/srv/postgresql:/u:secret@h",
		    "/srv/postgresql:/u:secret@h" },
		{ "postgre:/u:secret@h", "postgre:/u:secret@h" },
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
	char many[] = "postgresql://u@h/db?password=a&password=b&password=c&"
		      "password=d&password=e&password=f&password=g&"
		      "password=h&password=LAST";
	char nine[] = "postgresql://u:p1@h/db?password=a&password=b&"
		      "password=c&password=d&password=e&password=f&"
		      "password=g&password=h&password=LAST";

	(void)state;
	cgs_db_mask(url);
	assert_string_equal(url,
	    "postgresql://u:******@h/db?sslmode=require&password=**");
	cgs_db_mask(path);
	assert_string_equal(path, "/srv/c.db");
	/* more passwords than it keeps (libpq takes the last): all after
	 * the scheme */
	cgs_db_mask(many);
	for (size_t i = strlen("postgresql://"); i < strlen(many); i++)
		assert_int_equal(many[i], '*');
	cgs_db_mask(nine);
	assert_null(strstr(nine, "LAST"));
	assert_null(strstr(nine, "p1"));
	{
		char slash[] = "postgresql:/u:pw@h/db";

		cgs_db_mask(slash);
		assert_string_equal(slash, "postgresql:/u:**@h/db");
	}
}

/* A misspelt PostgreSQL URL is refused by name, never made a SQLite
 * file of that name (a directory "postgresql:" would take it). */
static void
test_misspelt(void **state)
{
	static const char *const bad[] = { "postgresql:/u:pw@h/db",
		"POSTGRESQL://u:pw@h/db", "postgres:db", "Postgres://h/db",
		" postgresql://u:pw@h/db" };
	char dir[] = "/tmp/ptv-dbname.XXXXXX", path[128];
	struct cgs_db *db = NULL;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(mkdir("postgresql:", 0700), 0);
	assert_int_equal(mkdir("POSTGRESQL:", 0700), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(cgs_db_url_misspelt(bad[i]));
		assert_int_equal(cgs_db_open(bad[i], &db), PROTO_ERR_ARG);
		assert_int_equal(cgs_db_open_existing(bad[i], 0, &db),
		    PROTO_ERR_ARG);
		assert_null(db);
	}
	assert_int_equal(stat("postgresql:/u:pw@h", &st), -1);
	assert_int_equal(stat("POSTGRESQL:/u:pw@h", &st), -1);
	assert_false(cgs_db_url_misspelt("postgresql://u@h/db"));
	assert_false(cgs_db_url_misspelt("postgres:///db"));
	assert_false(cgs_db_url_misspelt("center.db"));
	/* only letters in any case: 0x1a | 0x20 is ':' */
	assert_false(cgs_db_url_misspelt("postgres\x1a"
					 "db"));
	/* the scheme, not a "://" further on, is where the body starts */
	assert_int_equal(cgs_db_url_body(
			     "postgresql:/u:pw@h/db?application_name=a://b"),
	    12);
	cgs_db_name("postgresql:/u:pw@h/db?application_name=a://b", path,
	    sizeof(path));
	assert_string_equal(path,
	    "postgresql:/u:***@h/db?application_name=a://b");
	assert_int_equal(cgs_db_url_body("postgresql://u:pw@h/db"), 13);
	assert_int_equal(cgs_db_url_body("postgres:///db"), 11);
	assert_int_equal(cgs_db_url_body("file:///x.db"), 7);
	snprintf(path, sizeof(path), "%s/postgresql:", dir);
	assert_int_equal(rmdir(path), 0);
	snprintf(path, sizeof(path), "%s/POSTGRESQL:", dir);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* The words of a command line, writable as argv's are. */
struct argv {
	char words[16][96];
	char *v[17];
	int n;
};

static void
argv_of(struct argv *a, const char *const *words)
{
	for (a->n = 0; words[a->n] != NULL; a->n++) {
		snprintf(a->words[a->n], sizeof(a->words[0]), "%s",
		    words[a->n]);
		a->v[a->n] = a->words[a->n];
	}
	a->v[a->n] = NULL;
}

#define U "postgresql://u:pw@h/db"
#define M "postgresql://u:**@h/db"

/* Every word of argv holding a URL's password masked, however spelt and
 * whichever option it follows (getopt's clusters, a value after "--"),
 * its copy kept; nothing else changed. */
static void
test_mask_argv(void **state)
{
	static const struct {
		const char *in[8], *out[8];
		int value;  /* the word holding the value; 0: none masked */
		size_t off; /* where in it */
	} cases[] = {
		{ { "p", "-D", U, "cards" }, { "p", "-D", M, "cards" }, 2, 0 },
		{ { "p", "-D" U }, { "p", "-D" M }, 1, 2 },
		{ { "p", "-d", U }, { "p", "-d", M }, 2, 0 },
		{ { "p", "--db", U }, { "p", "--db", M }, 2, 0 },
		{ { "p", "--db=" U }, { "p", "--db=" M }, 1, 5 },
		{ { "p", "--database=" U }, { "p", "--database=" M }, 1, 11 },
		{ { "p", "--datab", U }, { "p", "--datab", M }, 2, 0 },
		{ { "p", "--help", "-K", "k", "-D", U },
		    { "p", "--help", "-K", "k", "-D", M }, 5, 0 },
		/* getopt's clusters: -f and -q take no value, -D the rest */
		{ { "p", "-fD", U }, { "p", "-fD", M }, 2, 0 },
		{ { "p", "-qD" U }, { "p", "-qD" M }, 1, 3 },
		{ { "p", "-fqsD" U, "-b" }, { "p", "-fqsD" M, "-b" }, 1, 5 },
		/* -K's value "--": getopt goes on to -D */
		{ { "p", "-K", "--", "-D", U }, { "p", "-K", "--", "-D", M }, 4,
		    0 },
		/* whatever it follows, a password is not shown */
		{ { "p", "--", "-D", U }, { "p", "--", "-D", M }, 3, 0 },
		{ { "p", "-K", U }, { "p", "-K", M }, 2, 0 },
		{ { "p", U }, { "p", M }, 1, 0 },
		{ { "p", "--dbx=" U }, { "p", "--dbx=" M }, 1, 6 },
		{ { "p", "-D", U, "-D", U }, { "p", "-D", M, "-D", M }, 4, 0 },
		/* a misspelt scheme after an option in the same word */
		{ { "p", "-Dpostgresql:/u:pw@h/db" },
		    { "p", "-Dpostgresql:/u:**@h/db" }, 0, 0 },
		{ { "p", "--db=POSTGRES:/u:pw@h/db" },
		    { "p", "--db=POSTGRES:/u:**@h/db" }, 0, 0 },
		/* and a "://" further on (a parameter's value) */
		{ { "p", "-D", "postgresql:/u:pw@h/db?application_name=a://b" },
		    { "p", "-D",
			"postgresql:/u:**@h/db?application_name=a://b" },
		    0, 0 },
		{ { "p", "--db=x://u:pw@h?n=postgres:" },
		    { "p", "--db=x://u:**@h?n=postgres:" }, 0, 0 },
		/* no password: as it was */
		{ { "p", "-D" }, { "p", "-D" }, 0, 0 },
		{ { "p", "-D", "postgresql://u@h/db" },
		    { "p", "-D", "postgresql://u@h/db" }, 0, 0 },
		{ { "p", "-D", "/srv/c.db" }, { "p", "-D", "/srv/c.db" }, 2,
		    0 },
		{ { "p", "-D", "host=h password=pw" },
		    { "p", "-D", "host=h password=pw" }, 0, 0 },
	};
	/* each case's words live on, as a process's argv does (the copies
	 * kept are found by where the words are) */
	static struct argv args[sizeof(cases) / sizeof(cases[0])];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct argv *a = &args[i];

		argv_of(a, cases[i].in);
		assert_int_equal(cgs_db_mask_argv(a->n, a->v), 0);
		for (int k = 0; k < a->n; k++) {
			assert_non_null(cases[i].out[k]);
			assert_string_equal(a->v[k], cases[i].out[k]);
		}
		if (cases[i].value > 0)
			assert_string_equal(cgs_db_unmasked(
						a->v[cases[i].value] +
						cases[i].off),
			    strcmp(cases[i].in[cases[i].value] + cases[i].off,
				"/srv/c.db") == 0 ?
				"/srv/c.db" :
				U);
		/* a pointer it did not mask is its own value */
		assert_ptr_equal(cgs_db_unmasked(a->v[0]), a->v[0]);
	}
	assert_int_equal(cgs_db_mask_argv(0, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_name_cut),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_misspelt),
		cmocka_unit_test(test_mask_argv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
