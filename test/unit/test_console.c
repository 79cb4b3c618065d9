/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * The operator console's pieces without a browser: the one escaping
 * function, the text buffer's limits, the admin address and the login's
 * redirect, the login form's bounded fields, the admin token's file, a page rendered from a database whose
 * fields hold markup, the list filters (a text filter's own wildcards),
 * and the Prometheus text of the counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "centerfix.c"
#include "../../center/console.h"
#include "../../center/console_login.c"
#include "../../center/page.h"
#include "../../center/view.h"
#include "../../center/view_row.h"
#include "../../proto/proto.h"

/* What sb holds (the buffer's own, or "" when empty). */
static const char *
text(const struct cgs_sb *sb)
{
	return sb->b != NULL ? sb->b : "";
}

static void
test_html_esc(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "plain 1111111111111111", "plain 1111111111111111" },
		{ "&", "&amp;" },
		{ "<", "&lt;" },
		{ ">", "&gt;" },
		{ "\"", "&quot;" },
		{ "'", "&#39;" },
		{ "<b id=\"x\">1111111111111111</b>",
		    "&lt;b id=&quot;x&quot;&gt;1111111111111111&lt;/b&gt;" },
		{ "a&amp;b", "a&amp;amp;b" },
		{ "<script>alert('x')</script>",
		    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" },
		{ "\xc3\xa9t\xc3\xa9 <", "\xc3\xa9t\xc3\xa9 &lt;" },
	};
	struct cgs_sb sb;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cgs_sb_init(&sb);
		cgs_html_esc(&sb, cases[i].in);
		assert_int_equal(sb.err, 0);
		assert_string_equal(text(&sb), cases[i].out);
		cgs_sb_free(&sb);
	}
}

static void
test_url_esc(void **state)
{
	struct cgs_sb sb;

	(void)state;
	cgs_sb_init(&sb);
	cgs_url_esc(&sb, "a-Z_0.~ &\"<%/?=");
	assert_string_equal(text(&sb), "a-Z_0.~%20%26%22%3C%25%2F%3F%3D");
	cgs_sb_free(&sb);
}

static void
test_sb_limits(void **state)
{
	struct cgs_sb sb;
	char *out = NULL, *big;
	size_t n = 0;

	(void)state;
	cgs_sb_init(&sb);
	assert_int_equal(cgs_sb_take(&sb, &out, &n), 0);
	assert_string_equal(out, "");
	assert_int_equal(n, 0);
	free(out);
	out = NULL;

	/* past the limit: the failure sticks, nothing is handed over */
	assert_non_null(big = malloc(CGS_SB_MAX / 2 + 2));
	memset(big, 'x', CGS_SB_MAX / 2 + 1);
	big[CGS_SB_MAX / 2 + 1] = '\0';
	cgs_sb_init(&sb);
	cgs_sb_raw(&sb, big);
	assert_int_equal(sb.err, 0);
	cgs_sb_raw(&sb, big);
	assert_int_equal(sb.err, PROTO_ERR_TOOBIG);
	cgs_sb_raw(&sb, "more");
	assert_int_equal(cgs_sb_take(&sb, &out, &n), PROTO_ERR_TOOBIG);
	assert_null(out);
	assert_null(sb.b);
	free(big);

	cgs_sb_init(&sb);
	cgs_sb_printf(&sb, "%d-%s", 42, "x");
	cgs_sb_time(&sb, 0);
	cgs_sb_time(&sb, 1800000000);
	assert_int_equal(cgs_sb_take(&sb, &out, &n), 0);
	assert_string_equal(out, "42-x-2027-01-15 08:00:00Z");
	assert_int_equal(n, strlen(out));
	free(out);
}

static void
test_split(void **state)
{
	static const char *const bad[] = { "", "7444", ":7444",
		"host:", "host:0", "host:65536", "host:7x", "::1:7444",
		"[::1]7444", "host:-1" };
	char host[64];
	unsigned port = 0;

	(void)state;
	assert_int_equal(cgs_console_split("127.0.0.1:7444", host, sizeof(host),
			     &port),
	    0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 7444);
	assert_int_equal(cgs_console_split("[::1]:443", host, sizeof(host),
			     &port),
	    0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 443);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(host, "unchanged");
		port = 9;
		assert_int_equal(cgs_console_split(bad[i], host, sizeof(host),
				     &port),
		    PROTO_ERR_FORMAT);
		assert_string_equal(host, "unchanged");
	}
	assert_int_equal(cgs_console_split("averyveryverylonghostname:1", host,
			     8, &port),
	    PROTO_ERR_FORMAT);
}

static void
test_next(void **state)
{
	static const char *const good[] = { "/", "/card/1111111111111111",
		"/invoices?ua=11&page=2", "/anomalies?q=a%20b" };
	static const char *const bad[] = { "", "//evil.example/",
		"https://evil.example/", "javascript:alert(1)", "/a\"b",
		"/<script>", "/a b", "card", "/\\\\evil" };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(cgs_console_next_ok(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(cgs_console_next_ok(bad[i]));
}

/* One piece of a field of the login form, as libmicrohttpd hands it. */
static enum MHD_Result
field(struct cgs_login_form *f, const char *key, const char *data, uint64_t off,
    size_t size)
{
	return post_field(f, MHD_POSTDATA_KIND, key, NULL, NULL, NULL, data,
	    off, size);
}

/* The form's fields: kept in pieces up to their size, one byte more is
 * refused and leaves the field as it was; other fields are ignored. */
static void
test_login_form(void **state)
{
	char big[CGS_LOGIN_NEXT_MAX + 1];
	struct cgs_login_form *f;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_non_null(f = cgs_login_form_new());
	assert_int_equal(field(f, "other", big, 0, strlen(big)), MHD_YES);
	assert_false(f->bad);
	assert_string_equal(f->token, "");
	assert_string_equal(f->next, "");
	/* a whole token, in two pieces */
	assert_int_equal(field(f, "token", big, 0, 30), MHD_YES);
	assert_int_equal(field(f, "token", big, 30, CGS_TOKEN_LEN - 30),
	    MHD_YES);
	assert_int_equal(strlen(f->token), CGS_TOKEN_LEN);
	assert_false(f->bad);
	assert_int_equal(field(f, "token", "b", CGS_TOKEN_LEN, 1), MHD_NO);
	assert_true(f->bad);
	assert_int_equal(strlen(f->token), CGS_TOKEN_LEN);
	assert_null(strchr(f->token, 'b'));
	cgs_login_form_free(&f);
	assert_null(f);
	cgs_login_form_free(&f); /* NULL is fine */

	/* next: one byte short of its size fits; an offset past it does not */
	assert_non_null(f = cgs_login_form_new());
	assert_int_equal(field(f, "next", big, 0, CGS_LOGIN_NEXT_MAX - 1),
	    MHD_YES);
	assert_int_equal(strlen(f->next), CGS_LOGIN_NEXT_MAX - 1);
	cgs_login_form_free(&f);
	assert_non_null(f = cgs_login_form_new());
	assert_int_equal(field(f, "next", big, 0, CGS_LOGIN_NEXT_MAX), MHD_NO);
	assert_true(f->bad);
	assert_string_equal(f->next, "");
	f->bad = 0;
	assert_int_equal(field(f, "next", "x", UINT64_MAX, 1), MHD_NO);
	assert_true(f->bad);
	assert_string_equal(f->next, "");
	cgs_login_form_free(&f);
}

/* Write s into dir/name with mode; the path into path. */
static void
put(const char *dir, const char *name, const char *s, mode_t mode, char *path,
    size_t cap)
{
	FILE *f;

	snprintf(path, cap, "%s/%s", dir, name);
	unlink(path);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(s, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_token(void **state)
{
	static const char tok[] =
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	char dir[] = "/tmp/ptv-tok.XXXXXX", path[128];
	struct cgs_token t, before;

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&t, 0x5a, sizeof(t));
	before = t;
	put(dir, "t", tok, 0644, path, sizeof(path));
	assert_int_equal(cgs_token_load(path, &t), PROTO_ERR_STATE);
	put(dir, "t", "0011", 0600, path, sizeof(path));
	assert_int_equal(cgs_token_load(path, &t), PROTO_ERR_FORMAT);
	put(dir, "t",
	    "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    0600, path, sizeof(path));
	assert_int_equal(cgs_token_load(path, &t), PROTO_ERR_FORMAT);
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(cgs_token_load(path, &t), PROTO_ERR_IO);
	assert_memory_equal(&t, &before, sizeof(t)); /* untouched */

	put(dir, "t",
	    "00112233445566778899aabbccddeeff00112233445566778899"
	    "aabbccddeeff\n",
	    0600, path, sizeof(path));
	assert_int_equal(cgs_token_load(path, &t), 0);
	assert_int_equal(strlen(t.cookie), 64);
	assert_true(cgs_token_ok(&t, tok));
	assert_false(cgs_token_ok(&t, NULL));
	assert_false(cgs_token_ok(&t, ""));
	assert_false(cgs_token_ok(&t, t.cookie)); /* the cookie is no token */
	assert_false(cgs_token_ok(&t,
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeef"
	    "0"));
	assert_true(cgs_token_cookie_ok(&t, t.cookie));
	assert_false(cgs_token_cookie_ok(&t, tok)); /* nor the token a cookie */
	assert_false(cgs_token_cookie_ok(&t, NULL));
	assert_false(cgs_token_cookie_ok(&t, ""));
	unlink(path);
	rmdir(dir);
}

/* A database whose stored fields hold markup, and a card. */
static void
markup_db(struct centerfix_db *d)
{
	assert_int_equal(centerfix_db_open(d), 0);
	assert_int_equal(cgs_db_exec(d->db,
			     "INSERT INTO cards (ua, public_key, versions, "
			     "status, registered_at) VALUES "
			     "('1111111111111111', x'00', '01010101', "
			     "'active', 1800000000);"
			     "INSERT INTO flags (ua, session_id, what, at) "
			     "VALUES ('1111111111111111', 1, "
			     "'<script>x</script>50% off', 1800000000),"
			     "(NULL, 2, '500 off', 1800000001),"
			     "(NULL, 3, 'a_b', 1800000002);"),
	    0);
	assert_int_equal(centerfix_count(d->db, "SELECT COUNT(*) FROM flags"),
	    3);
}

/* A list view of pg: its total, and (sb not NULL) its page into sb. */
typedef int list_view(struct cgs_db *, const struct cgs_page *, json_t **);

static json_int_t
listed(list_view *view, struct cgs_db *db, const struct cgs_page *pg,
    void (*page)(const json_t *, struct cgs_sb *), struct cgs_sb *sb)
{
	json_t *v = NULL;
	json_int_t total;

	assert_int_equal(view(db, pg, &v), 0);
	total = json_integer_value(json_object_get(v, "total"));
	if (sb != NULL) {
		cgs_sb_init(sb);
		page(v, sb);
		assert_int_equal(sb->err, 0);
	}
	json_decref(v);
	return total;
}

static void
test_page_escapes(void **state)
{
	struct centerfix_db d;
	struct cgs_page pg = { .limit = 50 };
	struct cgs_sb sb;

	(void)state;
	markup_db(&d);
	assert_int_equal(listed(cgs_view_anomalies, d.db, &pg,
			     cgs_page_anomalies, &sb),
	    3);
	assert_non_null(strstr(text(&sb),
	    "&lt;script&gt;x&lt;/script&gt;50% "
	    "off"));
	assert_null(strstr(text(&sb), "<script"));
	cgs_sb_free(&sb);

	/* a filter's value in the form is escaped too */
	pg.text = "\"><script>";
	assert_int_equal(listed(cgs_view_anomalies, d.db, &pg,
			     cgs_page_anomalies, &sb),
	    0);
	assert_non_null(
	    strstr(text(&sb), "value=\"&quot;&gt;&lt;script&gt;\""));
	assert_null(strstr(text(&sb), "<script"));
	cgs_sb_free(&sb);
	centerfix_db_remove(&d);
}

/* The lists' filters: each the total it finds in markup_db's rows. */
static void
test_filters(void **state)
{
	static const uint8_t ua11[PROTO_UA_LEN] = { 0x11, 0x11, 0x11, 0x11,
		0x11, 0x11, 0x11, 0x11 };
	static const struct {
		const char *text, *status;
		const uint8_t *ua;
		list_view *view;
		json_int_t total;
	} cases[] = {
		/* % and _ are the text's own, not wildcards */
		{ "50%", NULL, NULL, cgs_view_anomalies, 1 },
		{ "_", NULL, NULL, cgs_view_anomalies, 1 },
		{ NULL, NULL, NULL, cgs_view_anomalies, 3 },
		{ NULL, NULL, ua11, cgs_view_anomalies, 1 }, /* by card */
		{ NULL, "active", NULL, cgs_view_cards, 1 },
		{ NULL, "revoked", NULL, cgs_view_cards, 0 },
		{ NULL, NULL, NULL, cgs_view_invoices, 0 },
	};
	struct centerfix_db d;
	struct cgs_page pg;
	uint8_t ua[PROTO_UA_LEN];
	json_t *v = NULL;
	char longer[CGS_PAGE_TEXT_MAX + 2];

	(void)state;
	markup_db(&d);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pg = (struct cgs_page){ .limit = 50,
			.text = cases[i].text,
			.status = cases[i].status,
			.ua = cases[i].ua };
		if (listed(cases[i].view, d.db, &pg, NULL, NULL) !=
		    cases[i].total)
			fail_msg("case %zu: not %lld rows", i,
			    (long long)cases[i].total);
	}
	/* paging: newest first, the total whatever the page */
	pg = (struct cgs_page){ .limit = 1, .offset = 1 };
	assert_int_equal(cgs_view_anomalies(d.db, &pg, &v), 0);
	assert_int_equal(json_integer_value(json_object_get(v, "total")), 3);
	assert_int_equal(json_array_size(json_object_get(v, "rows")), 1);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(json_object_get(v,
								   "rows"),
						    0),
				    "what")),
	    "500 off");
	json_decref(v);
	/* refused: a text too long, a page too large; nothing handed */
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	pg = (struct cgs_page){ .limit = 50, .text = longer };
	v = NULL;
	assert_int_equal(cgs_view_anomalies(d.db, &pg, &v), PROTO_ERR_TOOBIG);
	assert_null(v);
	pg = (struct cgs_page){ .limit = CGS_VIEW_PAGE_MAX + 1 };
	assert_int_equal(cgs_view_invoices(d.db, &pg, &v), PROTO_ERR_RANGE);
	assert_null(v);
	/* an unknown card */
	memset(ua, 0x99, sizeof(ua));
	assert_int_equal(cgs_view_card(d.db, ua, &v), PROTO_ERR_NOTFOUND);
	assert_null(v);
	centerfix_db_remove(&d);
}

/* A list page's pager over a view of off, lim, total and n rows. */
static void
pager_of(json_int_t off, json_int_t lim, json_int_t total, size_t n,
    const char *want)
{
	json_t *rows = json_array(), *v;
	struct cgs_sb sb;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(json_array_append_new(rows, json_object()), 0);
	assert_non_null(v = json_pack("{s:{s:s}, s:I, s:I, s:I, s:o}", "filter",
			    "status", "a&b", "offset", off, "limit", lim,
			    "total", total, "rows", rows));
	cgs_sb_init(&sb);
	cgs_page_cards(v, &sb);
	assert_int_equal(sb.err, 0);
	if (strstr(text(&sb), want) == NULL)
		fail_msg("no \"%s\" in the page", want);
	cgs_sb_free(&sb);
	json_decref(v);
}

/* The rows shown and the links before and after, the filter carried. */
static void
test_pager(void **state)
{
	(void)state;
	pager_of(0, 2, 5, 2,
	    "<p id=\"pager\">1&ndash;2 of 5 <a rel=\"next\" "
	    "href=\"/cards?status=a%26b&amp;page=2&amp;per=2\">next</a></p>");
	pager_of(2, 2, 5, 2,
	    "<p id=\"pager\">3&ndash;4 of 5 <a rel=\"prev\" "
	    "href=\"/cards?status=a%26b&amp;page=1&amp;per=2\">previous</a> "
	    "<a rel=\"next\" "
	    "href=\"/cards?status=a%26b&amp;page=3&amp;per=2\">next</a></p>");
	pager_of(4, 2, 5, 1,
	    "<p id=\"pager\">5&ndash;5 of 5 <a rel=\"prev\" "
	    "href=\"/cards?status=a%26b&amp;page=2&amp;per=2\">previous</a>"
	    "</p>");
	pager_of(0, 50, 0, 0, "<p id=\"pager\">0&ndash;0 of 0</p>");
	/* a view without a limit: no division by it */
	pager_of(3, 0, 3, 0,
	    "<p id=\"pager\">0&ndash;3 of 3 <a rel=\"prev\" "
	    "href=\"/cards?status=a%26b&amp;page=3&amp;per=1\">previous</a>"
	    "</p>");
}

/* A bounded list drops what comes past its size and says so; a row of
 * the cards' report as JSON. */
static void
test_view_rows(void **state)
{
	struct cgs_view_list l = { .rows = json_array(), .max = 1 };
	struct cgs_card_row r;
	uint8_t id[PROTO_DECODER_ID_LEN + 1];
	json_t *o;

	(void)state;
	assert_non_null(l.rows);
	assert_int_equal(cgs_view_list_add(&l, json_object()), 0);
	assert_int_equal(cgs_view_list_add(&l, json_object()), 1);
	assert_true(l.truncated);
	assert_int_equal(json_array_size(l.rows), 1);
	assert_int_equal(cgs_view_list_add(&l, NULL), PROTO_ERR_NOMEM);
	assert_int_equal(cgs_view_list_done(1), 0);
	assert_int_equal(cgs_view_list_done(PROTO_ERR_IO), PROTO_ERR_IO);
	json_decref(l.rows);
	memset(id, 0xab, sizeof(id));
	assert_null(cgs_view_hex(id, sizeof(id)));

	memset(&r, 0, sizeof(r));
	memset(r.ua, 0x11, sizeof(r.ua));
	strcpy(r.status, "issued");
	r.locked = -1;
	r.invoiced = 3;
	r.registered_at = 1800000000;
	l = (struct cgs_view_list){ .rows = json_array(), .max = 4 };
	assert_int_equal(cgs_view_row_card(&l, &r), 0);
	o = json_array_get(l.rows, 0);
	assert_string_equal(json_string_value(json_object_get(o, "ua")),
	    "1111111111111111");
	assert_true(json_is_null(json_object_get(o, "locked")));
	/* the count as the tools name it; "purchases" is always a list */
	assert_int_equal(json_integer_value(json_object_get(o, "invoiced")), 3);
	assert_null(json_object_get(o, "purchases"));
	assert_true(json_is_null(json_object_get(o, "seen_via")));
	assert_true(json_is_null(json_object_get(o, "last_seen")));
	assert_true(json_is_null(json_object_get(o, "seen_as")));
	assert_int_equal(json_integer_value(
			     json_object_get(o, "registered_at")),
	    1800000000);
	json_decref(l.rows);
}

static void
test_metrics(void **state)
{
	struct cgs_stats *s = calloc(1, sizeof(*s));
	struct proto_up_answer *a = calloc(1, sizeof(*a));
	struct cgs_sb sb;

	(void)state;
	assert_non_null(s);
	assert_non_null(a);
	cgs_stats_init(s);
	a->n_res = 3;
	a->res[0].status = PROTO_UP_ACCEPTED;
	a->res[1].status = PROTO_UP_REJECTED;
	a->res[1].reason = PROTO_UP_BAD_SIGNATURE;
	a->res[2].status = PROTO_UP_REJECTED;
	a->res[2].reason = PROTO_UP_BAD_SIGNATURE;
	cgs_stats_answered(s, a);
	(void)cgs_stats_note(s, CGS_EV_RECORDED);
	(void)cgs_stats_note(s, CGS_EV_REFUSED_ADDR);
	cgs_hist_add(&s->ingest, 400);     /* <= 0.0005 */
	cgs_hist_add(&s->ingest, 3000);    /* <= 0.005 */
	cgs_hist_add(&s->ingest, 9000000); /* +Inf */
	cgs_sb_init(&sb);
	assert_int_equal(cgs_metrics_text(NULL, s, &sb), 0);
	assert_int_equal(sb.err, 0);
	assert_non_null(strstr(text(&sb),
	    "\nptv_center_sessions_total{outcome=\"recorded\"} 1\n"));
	assert_non_null(strstr(text(&sb),
	    "\nptv_center_connections_refused_total{reason=\"per_address\"} "
	    "1\n"));
	assert_non_null(strstr(text(&sb),
	    "\nptv_center_blocks_total{status=\"accepted\",reason=\"ok\"} "
	    "1\n"));
	assert_non_null(strstr(text(&sb),
	    "\nptv_center_blocks_total{status=\"rejected\",reason=\"bad "
	    "signature\"} 2\n"));
	assert_non_null(strstr(text(&sb),
	    "\nptv_center_ingest_seconds_bucket{le=\"0.0005\"} 1\n"));
	assert_non_null(strstr(text(&sb),
	    "\nptv_center_ingest_seconds_bucket{le=\"0.005\"} 2\n"));
	assert_non_null(strstr(text(&sb),
	    "\nptv_center_ingest_seconds_bucket{le=\"1\"} 2\n"));
	assert_non_null(strstr(text(&sb),
	    "\nptv_center_ingest_seconds_bucket{le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(text(&sb),
	    "\nptv_center_ingest_seconds_sum 9.003400\n"
	    "ptv_center_ingest_seconds_count 3\n"));
	assert_non_null(
	    strstr(text(&sb), "\nptv_center_db_commit_seconds_count 0\n"));
	cgs_sb_free(&sb);
	free(a);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_esc),
		cmocka_unit_test(test_url_esc),
		cmocka_unit_test(test_sb_limits),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_login_form),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_page_escapes),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_pager),
		cmocka_unit_test(test_view_rows),
		cmocka_unit_test(test_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
