/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The console's pages (view.h), rendered from the views' JSON: plain
 * HTML and one style sheet, no script.  Every value goes through
 * cgs_html_esc (or, in a link's query, cgs_url_esc and then
 * cgs_html_esc): what the database holds is shown as text, never read
 * as markup.
 */
#include <inttypes.h>
#include <string.h>

#include "view.h"

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

/* --- values -------------------------------------------------------------- */

/* How a column shows its value. */
enum kind {
	K_TEXT,  /* a string or a number as it is */
	K_TIME,  /* Unix seconds */
	K_UA,    /* a link to the card's page */
	K_STATE, /* a status, marked by its class */
	K_BOOL,  /* yes, no */
};

struct col {
	const char *title, *key;
	enum kind kind;
};

static void
value(struct cgs_sb *sb, const json_t *v, enum kind k)
{
	char num[32];

	if (v == NULL || json_is_null(v)) {
		cgs_sb_raw(sb, "-");
		return;
	}
	if (json_is_integer(v) && k == K_TIME) {
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
	if (k == K_UA) {
		cgs_sb_raw(sb, "<a href=\"/card/");
		cgs_html_esc(sb, json_string_value(v));
		cgs_sb_raw(sb, "\">");
		cgs_html_esc(sb, json_string_value(v));
		cgs_sb_raw(sb, "</a>");
	} else if (k == K_STATE) {
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

/* A table of rows (an array of objects), one column each of cols. */
static void
table(struct cgs_sb *sb, const char *id, const json_t *rows,
    const struct col *cols, size_t n)
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
			    json_is_integer(v) && cols[i].kind == K_TEXT ?
				"<td class=\"n\">" :
				"<td>");
			value(sb, v, cols[i].kind);
			cgs_sb_raw(sb, "</td>");
		}
		cgs_sb_raw(sb, "</tr>\n");
	}
	cgs_sb_raw(sb, "</table>\n");
}

#define TABLE(sb, id, rows, cols) \
	table(sb, id, rows, cols, sizeof(cols) / sizeof((cols)[0]))

/* A definition list of one object's fields. */
static void
fields(struct cgs_sb *sb, const char *id, const json_t *o,
    const struct col *cols, size_t n)
{
	cgs_sb_printf(sb, "<table id=\"%s\">\n", id);
	for (size_t i = 0; i < n; i++) {
		cgs_sb_printf(sb, "<tr><th>%s</th><td>", cols[i].title);
		value(sb, json_object_get(o, cols[i].key), cols[i].kind);
		cgs_sb_raw(sb, "</td></tr>\n");
	}
	cgs_sb_raw(sb, "</table>\n");
}

#define FIELDS(sb, id, o, cols) \
	fields(sb, id, o, cols, sizeof(cols) / sizeof((cols)[0]))

static json_int_t
num(const json_t *o, const char *path1, const char *path2)
{
	const json_t *v = json_object_get(o, path1);

	if (path2 != NULL)
		v = json_object_get(v, path2);
	return json_integer_value(v);
}

/* --- the frame ------------------------------------------------------------ */

static void
head(struct cgs_sb *sb, const char *title)
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

/* The page's end, naming the JSON it shows (api: a path of ours). */
static void
foot(struct cgs_sb *sb, const char *api)
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
	head(sb, title);
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
	foot(sb, NULL);
}

/* --- the overview --------------------------------------------------------- */

static void
tile(struct cgs_sb *sb, const char *id, const char *what, json_int_t v,
    const char *href)
{
	cgs_sb_printf(sb, "<div class=\"tile\" id=\"%s\"><div>", id);
	if (href != NULL)
		cgs_sb_printf(sb, "<a href=\"%s\">%s</a>", href, what);
	else
		cgs_sb_raw(sb, what);
	cgs_sb_printf(sb,
	    "</div><div class=\"v\">%" JSON_INTEGER_FORMAT "</div></div>\n", v);
}

/* The ingest chart: a bar per minute, blocks accepted, duplicate and
 * rejected stacked. */
static void
chart(struct cgs_sb *sb, const json_t *ingest)
{
	const json_t *b = json_object_get(ingest, "buckets");
	static const char *const keys[] = { "accepted", "duplicate",
		"rejected" };
	static const char *const cls[] = { "acc", "dup", "rej" };
	const int w = 10, h = 100, top = 10, left = 40;
	json_int_t max = 1;
	size_t n = json_array_size(b);

	for (size_t i = 0; i < n; i++) {
		json_int_t t = 0;

		for (int k = 0; k < 3; k++)
			t += num(json_array_get(b, i), keys[k], NULL);
		if (t > max)
			max = t;
	}
	cgs_sb_printf(sb,
	    "<svg id=\"ingest\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%zu\" height=\"%d\" role=\"img\" aria-label=\"blocks "
	    "received per minute, the last hour\">\n"
	    "<text x=\"2\" y=\"%d\" font-size=\"10\">%" JSON_INTEGER_FORMAT
	    "</text><text x=\"2\" y=\"%d\" font-size=\"10\">0</text>"
	    "<text x=\"%d\" y=\"%d\" font-size=\"10\">-60 min</text>"
	    "<text x=\"%zu\" y=\"%d\" font-size=\"10\">now</text>\n",
	    (size_t)left + n * (size_t)w + 10, h + top + 20, top + 8, max,
	    top + h, left, top + h + 14, (size_t)left + n * (size_t)w - 16,
	    top + h + 14);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(b, i);
		int y = top + h;

		for (int k = 0; k < 3; k++) {
			json_int_t v = num(e, keys[k], NULL);
			int bh = (int)(v * h / max);

			if (v == 0)
				continue;
			if (bh < 1)
				bh = 1;
			y -= bh;
			cgs_sb_printf(sb,
			    "<rect class=\"%s\" x=\"%zu\" y=\"%d\" "
			    "width=\"%d\" "
			    "height=\"%d\"><title>",
			    cls[k], (size_t)left + i * (size_t)w, y, w - 1, bh);
			cgs_sb_time(sb, num(e, "at", NULL));
			cgs_sb_printf(sb,
			    ": %" JSON_INTEGER_FORMAT " %s</title>"
			    "</rect>\n",
			    v, keys[k]);
		}
	}
	cgs_sb_raw(sb,
	    "</svg>\n<p>Blocks received per minute: "
	    "<span class=\"st st-active\">accepted</span> "
	    "<span class=\"st\">duplicate</span> "
	    "<span class=\"st st-rejected\">rejected</span></p>\n");
}

static const struct col card_cols[] = {
	{ "UA", "ua", K_UA },
	{ "status", "status", K_STATE },
	{ "locked", "locked", K_BOOL },
	{ "invoices", "purchases", K_TEXT },
	{ "last seen", "seen_at", K_TIME },
	{ "as", "seen_as", K_TEXT },
	{ "by decoder", "seen_via", K_TEXT },
	{ "retired and recovered", "recovered_at", K_TIME },
};

static const struct col inv_cols[] = {
	{ "UA", "ua", K_UA },
	{ "seq", "seq", K_TEXT },
	{ "event", "event", K_TEXT },
	{ "channel", "channel", K_TEXT },
	{ "price", "price", K_TEXT },
	{ "bought", "bought_at", K_TIME },
	{ "recorded", "recorded_at", K_TIME },
	{ "session", "session", K_TEXT },
	{ "through the session of", "via", K_UA },
	{ "as", "origin", K_TEXT },
};

void
cgs_page_overview(const json_t *v, struct cgs_sb *sb)
{
	const json_t *cards = json_object_get(v, "cards");
	const json_t *by = json_object_get(cards, "by_status");
	static const struct col status_cols[] = {
		{ "status", "status", K_STATE },
		{ "cards", "n", K_TEXT },
	};
	static const struct col reason_cols[] = {
		{ "outcome", "status", K_STATE },
		{ "reason", "reason", K_TEXT },
		{ "blocks", "n", K_TEXT },
	};
	static const struct col junk_cols[] = {
		{ "reason", "reason", K_TEXT },
		{ "blocks", "n", K_TEXT },
	};

	head(sb, "Overview");
	cgs_sb_raw(sb, "<div class=\"tiles\">\n");
	tile(sb, "t-cards", "cards", num(cards, "total", NULL), "/cards");
	tile(sb, "t-hour", "sessions, last hour",
	    num(v, "sessions", "last_hour"), NULL);
	tile(sb, "t-day", "sessions, last day", num(v, "sessions", "last_day"),
	    NULL);
	tile(sb, "t-accepted", "blocks accepted", num(v, "blocks", "accepted"),
	    NULL);
	tile(sb, "t-duplicate", "blocks duplicate",
	    num(v, "blocks", "duplicate"), NULL);
	tile(sb, "t-rejected", "blocks rejected", num(v, "blocks", "rejected"),
	    NULL);
	tile(sb, "t-anomalies", "open anomalies", num(v, "anomalies", NULL),
	    "/anomalies");
	cgs_sb_raw(sb, "</div>\n<h2>Ingest, the last hour</h2>\n");
	chart(sb, json_object_get(v, "ingest"));
	cgs_sb_raw(sb, "<h2>Cards by status</h2>\n");
	TABLE(sb, "by-status", by, status_cols);
	cgs_sb_raw(sb, "<h2>Cards</h2>\n");
	TABLE(sb, "cards", json_object_get(cards, "first"), card_cols);
	if (num(cards, "listed", NULL) > CGS_VIEW_OVERVIEW_CARDS)
		cgs_sb_raw(sb, "<p><a href=\"/cards\">all cards</a></p>\n");
	cgs_sb_raw(sb, "<h2>Blocks recorded, by outcome and reason</h2>\n");
	TABLE(sb, "by-reason",
	    json_object_get(json_object_get(v, "blocks"), "by_reason"),
	    reason_cols);
	cgs_sb_printf(sb,
	    "<h2>Sessions counted, not recorded (no valid block)</h2>\n"
	    "<p>Since the center started: %" JSON_INTEGER_FORMAT
	    " sessions.</p>\n",
	    num(v, "unrecorded", "sessions"));
	TABLE(sb, "unrecorded",
	    json_object_get(json_object_get(v, "unrecorded"), "by_reason"),
	    junk_cols);
	foot(sb, "/api/overview");
}

/* --- one card ------------------------------------------------------------- */

void
cgs_page_card(const json_t *v, struct cgs_sb *sb)
{
	const json_t *card = json_object_get(v, "card"),
		     *data = json_object_get(v, "data");
	static const struct col rec_cols[] = {
		{ "UA", "ua", K_TEXT },
		{ "status", "status", K_STATE },
		{ "transfer-locked", "locked", K_BOOL },
		{ "registered", "registered_at", K_TIME },
		{ "first seen", "first_seen", K_TIME },
		{ "last seen", "seen_at", K_TIME },
		{ "last seen as", "seen_as", K_TEXT },
		{ "last seen by decoder", "seen_via", K_TEXT },
		{ "retired and recovered", "recovered_at", K_TIME },
		{ "revoked", "revoked_at", K_TIME },
		{ "newest block", "last_block_seq", K_TEXT },
		{ "invoices", "purchases", K_TEXT },
	};
	static const struct col data_cols[] = {
		{ "from block", "block_seq", K_TEXT },
		{ "as", "origin", K_TEXT },
		{ "received", "received_at", K_TIME },
		{ "credit", "credit", K_TEXT },
		{ "last purchase", "purchase_seq", K_TEXT },
		{ "acknowledged up to", "acked_seq", K_TEXT },
		{ "control words", "cws", K_TEXT },
		{ "access denials", "denials", K_TEXT },
		{ "power-ups", "powerups", K_TEXT },
		{ "change counter", "change_ctr", K_TEXT },
		{ "command counter", "cmd_ctr", K_TEXT },
		{ "broadcast counter", "bcast_ctr", K_TEXT },
		{ "card clock", "clock", K_TIME },
		{ "versions", "versions", K_TEXT },
	};
	static const struct col ecm_cols[] = {
		{ "channel", "channel", K_TEXT },
		{ "ECMs", "ecms", K_TEXT },
	};
	static const struct col right_cols[] = {
		{ "channel", "channel", K_TEXT },
		{ "until", "expiry", K_TIME },
	};
	static const struct col recd_cols[] = {
		{ "block", "seq", K_TEXT },
		{ "session", "session", K_TEXT },
		{ "through the session of", "via", K_UA },
		{ "decoder", "decoder", K_TEXT },
		{ "received", "received_at", K_TIME },
		{ "outcome", "status", K_STATE },
		{ "reason", "reason", K_TEXT },
		{ "invoiced", "invoiced", K_TEXT },
	};
	static const struct col sess_cols[] = {
		{ "session", "id", K_TEXT },
		{ "started", "started_at", K_TIME },
		{ "decoder", "decoder", K_TEXT },
		{ "present card", "present", K_UA },
		{ "blocks", "blocks", K_TEXT },
		{ "invoiced", "invoiced", K_TEXT },
		{ "flagged", "flagged", K_TEXT },
	};
	static const struct col block_cols[] = {
		{ "session", "session", K_TEXT },
		{ "received", "received_at", K_TIME },
		{ "seq", "seq", K_TEXT },
		{ "as", "origin", K_TEXT },
		{ "outcome", "status", K_STATE },
		{ "reason", "reason", K_TEXT },
	};
	static const struct col cmd_cols[] = {
		{ "path", "path", K_TEXT },
		{ "counter", "counter", K_TEXT },
		{ "type", "type", K_TEXT },
		{ "arg", "arg1", K_TEXT },
		{ "state", "state", K_STATE },
		{ "SW", "sw", K_TEXT },
		{ "sends", "sends", K_TEXT },
		{ "made", "created_at", K_TIME },
		{ "outcome", "outcome_at", K_TIME },
	};
	static const struct col flag_cols[] = {
		{ "at", "at", K_TIME },
		{ "session", "session", K_TEXT },
		{ "what", "what", K_TEXT },
	};
	char title[64];
	const char *ua = json_string_value(json_object_get(card, "ua"));

	snprintf(title, sizeof(title), "Card %s", ua != NULL ? ua : "?");
	head(sb, title);
	FIELDS(sb, "record", card, rec_cols);
	cgs_sb_raw(sb, "<h2>What was recovered, through whose session</h2>\n");
	TABLE(sb, "recovered", json_object_get(v, "recovered"), recd_cols);
	cgs_sb_raw(sb, "<h2>Invoices</h2>\n");
	TABLE(sb, "invoices", json_object_get(v, "invoices"), inv_cols);
	cgs_sb_raw(sb, "<h2>Usage, as its newest block said</h2>\n");
	if (json_is_object(data)) {
		FIELDS(sb, "usage", data, data_cols);
		TABLE(sb, "ecms", json_object_get(data, "ecms"), ecm_cols);
		TABLE(sb, "rights", json_object_get(data, "rights"),
		    right_cols);
	} else {
		cgs_sb_raw(sb, "<p>No block of this card accepted yet.</p>\n");
	}
	cgs_sb_raw(sb, "<h2>Commands</h2>\n");
	TABLE(sb, "commands", json_object_get(v, "commands"), cmd_cols);
	cgs_sb_raw(sb, "<h2>Sessions</h2>\n");
	TABLE(sb, "sessions", json_object_get(v, "sessions"), sess_cols);
	cgs_sb_raw(sb, "<h2>Blocks</h2>\n");
	TABLE(sb, "blocks", json_object_get(v, "blocks"), block_cols);
	cgs_sb_raw(sb, "<h2>Anomalies</h2>\n");
	TABLE(sb, "anomalies", json_object_get(v, "anomalies"), flag_cols);
	if (json_is_true(json_object_get(v, "truncated")))
		cgs_sb_printf(sb,
		    "<p>Lists cut at %d rows: the JSON API and centerctl "
		    "have them all.</p>\n",
		    CGS_VIEW_LIST_MAX);
	snprintf(title, sizeof(title), "/api/card/%s", ua != NULL ? ua : "");
	foot(sb, title);
}

/* --- lists ----------------------------------------------------------------- */

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
	json_int_t off = num(v, "offset", NULL), lim = num(v, "limit", NULL),
		   total = num(v, "total", NULL);
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

void
cgs_page_cards(const json_t *v, struct cgs_sb *sb)
{
	const json_t *f = json_object_get(v, "filter");

	head(sb, "Cards");
	cgs_sb_raw(sb, "<form class=\"f\" method=\"get\" action=\"/cards\">");
	input(sb, f, "UA", "ua", "ua");
	input(sb, f, "status", "status", "status");
	cgs_sb_raw(sb, "<button type=\"submit\">Show</button></form>\n");
	pager(sb, v, "/cards");
	TABLE(sb, "cards", json_object_get(v, "rows"), card_cols);
	foot(sb, "/api/cards");
}

void
cgs_page_invoices(const json_t *v, struct cgs_sb *sb)
{
	const json_t *f = json_object_get(v, "filter");

	head(sb, "Invoices");
	cgs_sb_raw(sb,
	    "<form class=\"f\" method=\"get\" action=\"/invoices\">");
	input(sb, f, "UA", "ua", "ua");
	input(sb, f, "origin (present, recovered)", "origin", "origin");
	cgs_sb_raw(sb, "<button type=\"submit\">Show</button></form>\n");
	pager(sb, v, "/invoices");
	TABLE(sb, "invoices", json_object_get(v, "rows"), inv_cols);
	foot(sb, "/api/invoices");
}

void
cgs_page_anomalies(const json_t *v, struct cgs_sb *sb)
{
	const json_t *f = json_object_get(v, "filter");
	static const struct col cols[] = {
		{ "#", "id", K_TEXT },
		{ "at", "at", K_TIME },
		{ "UA", "ua", K_UA },
		{ "session", "session", K_TEXT },
		{ "what", "what", K_TEXT },
	};

	head(sb, "Anomalies");
	cgs_sb_raw(sb,
	    "<form class=\"f\" method=\"get\" action=\"/anomalies\">");
	input(sb, f, "UA", "ua", "ua");
	input(sb, f, "containing", "q", "text");
	cgs_sb_raw(sb, "<button type=\"submit\">Show</button></form>\n");
	pager(sb, v, "/anomalies");
	TABLE(sb, "anomalies", json_object_get(v, "rows"), cols);
	foot(sb, "/api/anomalies");
}
