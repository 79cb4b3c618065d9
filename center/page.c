/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the console's pages are made of (page.h): the frame, the tables,
 * how each kind of value is shown, the message page, the style sheet.
 */
#include <stdio.h>
#include <string.h>

#include "page.h"

const char cgs_page_css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1f23;"
    "background:#f6f8fa}\n"
    "header{background:#24292f;color:#fff;padding:.5em 1em}\n"
    "header a{color:#fff;margin-right:1.2em;text-decoration:none}\n"
    "header b{margin-right:2em}\n"
    "main{padding:1em 1.5em}\n"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}\n"
    "table{border-collapse:collapse;background:#fff;margin:.4em 0}\n"
    "th,td{border:1px solid #d0d7de;padding:.2em .6em;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#eaeef2}td.n{text-align:right}\n"
    ".tiles{display:flex;flex-wrap:wrap;gap:1em}\n"
    ".tile{background:#fff;border:1px solid #d0d7de;padding:.6em 1em;"
    "min-width:12em}\n"
    ".tile .v{font-size:1.6em;font-weight:600}\n"
    ".st{padding:0 .4em;border-radius:3px;background:#eaeef2}\n"
    ".st-active{background:#dafbe1}.st-retired-recovered{background:#fff8c5}"
    ".st-revoked,.st-rejected{background:#ffebe9}\n"
    "form.f{margin:.5em 0}form.f input,form.f select{margin-right:.6em}\n"
    "svg{background:#fff;border:1px solid #d0d7de}\n"
    ".acc{fill:#2da44e}.dup{fill:#8c959f}.rej{fill:#cf222e}\n"
    "footer{padding:1em 1.5em;color:#57606a}\n";

/* How a value is shown in a column of kind k. */
static void
value(struct cgs_sb *sb, const json_t *v, enum cgs_col_kind k)
{
	char num[32];

	if (v == NULL || json_is_null(v)) {
		cgs_sb_raw(sb, "-");
		return;
	}
	if (json_is_integer(v) && k == CGS_COL_TIME) {
		cgs_sb_time(sb, (int64_t)json_integer_value(v));
		return;
	}
	if (json_is_boolean(v)) {
		cgs_sb_raw(sb, json_is_true(v) ? "yes" : "no");
		return;
	}
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		cgs_sb_raw(sb, num);
		return;
	}
	if (!json_is_string(v)) {
		cgs_sb_raw(sb, "?");
		return;
	}
	if (k == CGS_COL_UA) {
		cgs_sb_raw(sb, "<a href=\"/card/");
		cgs_html_esc(sb, json_string_value(v));
		cgs_sb_raw(sb, "\">");
		cgs_html_esc(sb, json_string_value(v));
		cgs_sb_raw(sb, "</a>");
	} else if (k == CGS_COL_STATE) {
		/* a class is a name of ours: anything else gets none */
		cgs_sb_raw(sb, "<span class=\"st");
		if (strspn(json_string_value(v),
			"abcdefghijklmnopqrstuvwxyz-") ==
		    strlen(json_string_value(v))) {
			cgs_sb_raw(sb, " st-");
			cgs_sb_raw(sb, json_string_value(v));
		}
		cgs_sb_raw(sb, "\">");
		cgs_html_esc(sb, json_string_value(v));
		cgs_sb_raw(sb, "</span>");
	} else {
		cgs_html_esc(sb, json_string_value(v));
	}
}

void
cgs_page_table(struct cgs_sb *sb, const char *id, const json_t *rows,
    const struct cgs_col *cols, size_t n)
{
	if (json_array_size(rows) == 0) {
		cgs_sb_raw(sb, "<p class=\"none\">none</p>\n");
		return;
	}
	cgs_sb_printf(sb, "<table id=\"%s\"><tr>", id);
	for (size_t i = 0; i < n; i++)
		cgs_sb_printf(sb, "<th>%s</th>", cols[i].title);
	cgs_sb_raw(sb, "</tr>\n");
	for (size_t r = 0; r < json_array_size(rows); r++) {
		const json_t *row = json_array_get(rows, r);

		cgs_sb_raw(sb, "<tr>");
		for (size_t i = 0; i < n; i++) {
			const json_t *v = json_object_get(row, cols[i].key);

			cgs_sb_raw(sb,
			    json_is_integer(v) && cols[i].kind == CGS_COL_TEXT ?
				"<td class=\"n\">" :
				"<td>");
			value(sb, v, cols[i].kind);
			cgs_sb_raw(sb, "</td>");
		}
		cgs_sb_raw(sb, "</tr>\n");
	}
	cgs_sb_raw(sb, "</table>\n");
}

void
cgs_page_fields(struct cgs_sb *sb, const char *id, const json_t *o,
    const struct cgs_col *cols, size_t n)
{
	cgs_sb_printf(sb, "<table id=\"%s\">\n", id);
	for (size_t i = 0; i < n; i++) {
		cgs_sb_printf(sb, "<tr><th>%s</th><td>", cols[i].title);
		value(sb, json_object_get(o, cols[i].key), cols[i].kind);
		cgs_sb_raw(sb, "</td></tr>\n");
	}
	cgs_sb_raw(sb, "</table>\n");
}

json_int_t
cgs_page_num(const json_t *o, const char *path1, const char *path2)
{
	const json_t *v = json_object_get(o, path1);

	if (path2 != NULL)
		v = json_object_get(v, path2);
	return json_integer_value(v);
}

void
cgs_page_head(struct cgs_sb *sb, const char *title)
{
	cgs_sb_raw(sb,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>ptv center: ");
	cgs_html_esc(sb, title);
	cgs_sb_raw(sb,
	    "</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\n"
	    "<body><header><b>ptv management center</b>"
	    "<a href=\"/\">Overview</a><a href=\"/cards\">Cards</a>"
	    "<a href=\"/invoices\">Invoices</a>"
	    "<a href=\"/anomalies\">Anomalies</a>"
	    "<a href=\"/metrics\">Metrics</a><a href=\"/logout\">Log out</a>"
	    "</header>\n<main>\n<h1>");
	cgs_html_esc(sb, title);
	cgs_sb_raw(sb, "</h1>\n");
}

void
cgs_page_foot(struct cgs_sb *sb, const char *api)
{
	cgs_sb_raw(sb, "</main>\n<footer>");
	if (api != NULL) {
		cgs_sb_raw(sb, "This page as JSON: <a href=\"");
		cgs_html_esc(sb, api);
		cgs_sb_raw(sb, "\">");
		cgs_html_esc(sb, api);
		cgs_sb_raw(sb, "</a>");
	}
	cgs_sb_raw(sb, "</footer></body></html>\n");
}

void
cgs_page_message(const char *title, const char *msg, int login,
    const char *next, struct cgs_sb *sb)
{
	cgs_page_head(sb, title);
	cgs_sb_raw(sb, "<p id=\"msg\">");
	cgs_html_esc(sb, msg);
	cgs_sb_raw(sb, "</p>\n");
	if (login) {
		cgs_sb_raw(sb,
		    "<form class=\"f\" method=\"post\" action=\"/login\">"
		    "<label>Admin token <input type=\"password\" "
		    "name=\"token\" autocomplete=\"current-password\">"
		    "</label><input type=\"hidden\" name=\"next\" value=\"");
		cgs_html_esc(sb, next != NULL ? next : "/");
		cgs_sb_raw(sb,
		    "\"><button type=\"submit\">Log in</button>"
		    "</form>\n");
	}
	cgs_page_foot(sb, NULL);
}

/* The rows more than one page lists. */
static const struct cgs_col card_cols[] = {
	{ "UA", "ua", CGS_COL_UA },
	{ "status", "status", CGS_COL_STATE },
	{ "locked", "locked", CGS_COL_BOOL },
	{ "invoices", "invoiced", CGS_COL_TEXT },
	{ "last seen", "seen_at", CGS_COL_TIME },
	{ "as", "seen_as", CGS_COL_TEXT },
	{ "by decoder", "seen_via", CGS_COL_TEXT },
	{ "retired and recovered", "recovered_at", CGS_COL_TIME },
};

static const struct cgs_col inv_cols[] = {
	{ "UA", "ua", CGS_COL_UA },
	{ "seq", "seq", CGS_COL_TEXT },
	{ "event", "event", CGS_COL_TEXT },
	{ "channel", "channel", CGS_COL_TEXT },
	{ "price", "price", CGS_COL_TEXT },
	{ "bought", "bought_at", CGS_COL_TIME },
	{ "recorded", "recorded_at", CGS_COL_TIME },
	{ "session", "session", CGS_COL_TEXT },
	{ "through the session of", "via", CGS_COL_UA },
	{ "as", "origin", CGS_COL_TEXT },
};

void
cgs_page_cards_table(struct cgs_sb *sb, const char *id, const json_t *rows)
{
	CGS_PAGE_TABLE(sb, id, rows, card_cols);
}

void
cgs_page_invoices_table(struct cgs_sb *sb, const char *id, const json_t *rows)
{
	CGS_PAGE_TABLE(sb, id, rows, inv_cols);
}
