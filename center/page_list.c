/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The console's list pages (page.h): cards, invoices, anomalies, each
 * with its filters' form (the values kept) and the links to the pages
 * before and after, the filters carried in their query.
 */
#include <string.h>

#include "page.h"

/* A filter's field in a list's form: its current value kept. */
static void
input(struct cgs_sb *sb, const json_t *filter, const char *label,
    const char *name, const char *key)
{
	const char *v = json_string_value(json_object_get(filter, key));

	cgs_sb_printf(sb, "<label>%s <input name=\"%s\" value=\"", label, name);
	cgs_html_esc(sb, v != NULL ? v : "");
	cgs_sb_raw(sb, "\"></label>");
}

/* The list's filters as a query (for the paging links), after "?". */
static void
query(struct cgs_sb *sb, json_t *filter)
{
	const char *key;
	json_t *val;

	json_object_foreach(filter, key, val)
	{
		cgs_sb_raw(sb, strcmp(key, "text") == 0 ? "q" : key);
		cgs_sb_raw(sb, "=");
		cgs_url_esc(sb, json_string_value(val));
		cgs_sb_raw(sb, "&amp;");
	}
}

/* Rows from-to of total, and the links to the pages before and after. */
static void
pager(struct cgs_sb *sb, const json_t *v, const char *path)
{
	json_int_t off = cgs_page_num(v, "offset", NULL),
		   lim = cgs_page_num(v, "limit", NULL),
		   total = cgs_page_num(v, "total", NULL);
	json_int_t shown =
	    (json_int_t)json_array_size(json_object_get(v, "rows"));
	struct cgs_sb q;

	cgs_sb_printf(sb,
	    "<p id=\"pager\">%" JSON_INTEGER_FORMAT
	    "&ndash;%" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT,
	    shown > 0 ? off + 1 : 0, off + shown, total);
	if (lim <= 0)
		lim = 1;
	cgs_sb_init(&q);
	query(&q, json_object_get(v, "filter"));
	if (off > 0)
		cgs_sb_printf(sb,
		    " <a rel=\"prev\" href=\"%s?%spage=%" JSON_INTEGER_FORMAT
		    "&amp;per=%" JSON_INTEGER_FORMAT "\">previous</a>",
		    path, q.err == 0 && q.b != NULL ? q.b : "",
		    (off - 1) / lim + 1, lim);
	if (off + shown < total)
		cgs_sb_printf(sb,
		    " <a rel=\"next\" href=\"%s?%spage=%" JSON_INTEGER_FORMAT
		    "&amp;per=%" JSON_INTEGER_FORMAT "\">next</a>",
		    path, q.err == 0 && q.b != NULL ? q.b : "", off / lim + 2,
		    lim);
	cgs_sb_raw(sb, "</p>\n");
	cgs_sb_free(&q);
}

/* A list page's filter field: its label, its name in the query, its key
 * in the view's filter. */
struct filter_field {
	const char *label, *name, *key;
};

/* The list page's top: its title, the form of its two filters (every
 * list has the UA and one other), the pager. */
static void
list_top(struct cgs_sb *sb, const json_t *v, const char *title,
    const char *path, const struct filter_field *other)
{
	const json_t *f = json_object_get(v, "filter");

	cgs_page_head(sb, title);
	cgs_sb_printf(sb, "<form class=\"f\" method=\"get\" action=\"%s\">",
	    path);
	input(sb, f, "UA", "ua", "ua");
	input(sb, f, other->label, other->name, other->key);
	cgs_sb_raw(sb, "<button type=\"submit\">Show</button></form>\n");
	pager(sb, v, path);
}

void
cgs_page_cards(const json_t *v, struct cgs_sb *sb)
{
	static const struct filter_field status = { "status", "status",
		"status" };

	list_top(sb, v, "Cards", "/cards", &status);
	cgs_page_cards_table(sb, "cards", json_object_get(v, "rows"));
	cgs_page_foot(sb, "/api/cards");
}

void
cgs_page_invoices(const json_t *v, struct cgs_sb *sb)
{
	static const struct filter_field origin = {
		"origin (present, recovered)", "origin", "origin"
	};

	list_top(sb, v, "Invoices", "/invoices", &origin);
	cgs_page_invoices_table(sb, "invoices", json_object_get(v, "rows"));
	cgs_page_foot(sb, "/api/invoices");
}

void
cgs_page_anomalies(const json_t *v, struct cgs_sb *sb)
{
	static const struct filter_field text = { "containing", "q", "text" };
	static const struct cgs_col cols[] = {
		{ "#", "id", CGS_COL_TEXT },
		{ "at", "at", CGS_COL_TIME },
		{ "UA", "ua", CGS_COL_UA },
		{ "session", "session", CGS_COL_TEXT },
		{ "what", "what", CGS_COL_TEXT },
	};

	list_top(sb, v, "Anomalies", "/anomalies", &text);
	CGS_PAGE_TABLE(sb, "anomalies", json_object_get(v, "rows"), cols);
	cgs_page_foot(sb, "/api/anomalies");
}
