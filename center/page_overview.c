/* SPDX-License-Identifier: BSD-2-Clause */
/* The console's overview page (page.h), with its ingest chart as SVG. */
#include <stdio.h>

#include "page.h"
#include "view.h"

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
			t += cgs_page_num(json_array_get(b, i), keys[k], NULL);
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
			json_int_t v = cgs_page_num(e, keys[k], NULL);
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
			cgs_sb_time(sb, cgs_page_num(e, "at", NULL));
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

void
cgs_page_overview(const json_t *v, struct cgs_sb *sb)
{
	const json_t *cards = json_object_get(v, "cards");
	const json_t *by = json_object_get(cards, "by_status");
	static const struct cgs_col status_cols[] = {
		{ "status", "status", CGS_COL_STATE },
		{ "cards", "n", CGS_COL_TEXT },
	};
	static const struct cgs_col reason_cols[] = {
		{ "outcome", "status", CGS_COL_STATE },
		{ "reason", "reason", CGS_COL_TEXT },
		{ "blocks", "n", CGS_COL_TEXT },
	};
	static const struct cgs_col junk_cols[] = {
		{ "reason", "reason", CGS_COL_TEXT },
		{ "blocks", "n", CGS_COL_TEXT },
	};

	cgs_page_head(sb, "Overview");
	cgs_sb_raw(sb, "<div class=\"tiles\">\n");
	tile(sb, "t-cards", "cards", cgs_page_num(cards, "total", NULL),
	    "/cards");
	tile(sb, "t-hour", "sessions, last hour",
	    cgs_page_num(v, "sessions", "last_hour"), NULL);
	tile(sb, "t-day", "sessions, last day",
	    cgs_page_num(v, "sessions", "last_day"), NULL);
	tile(sb, "t-accepted", "blocks accepted",
	    cgs_page_num(v, "blocks", "accepted"), NULL);
	tile(sb, "t-duplicate", "blocks duplicate",
	    cgs_page_num(v, "blocks", "duplicate"), NULL);
	tile(sb, "t-rejected", "blocks rejected",
	    cgs_page_num(v, "blocks", "rejected"), NULL);
	tile(sb, "t-anomalies", "open anomalies",
	    cgs_page_num(v, "anomalies", NULL), "/anomalies");
	cgs_sb_raw(sb, "</div>\n<h2>Ingest, the last hour</h2>\n");
	chart(sb, json_object_get(v, "ingest"));
	cgs_sb_raw(sb, "<h2>Cards by status</h2>\n");
	CGS_PAGE_TABLE(sb, "by-status", by, status_cols);
	cgs_sb_raw(sb, "<h2>Cards</h2>\n");
	cgs_page_cards_table(sb, "cards", json_object_get(cards, "first"));
	if (cgs_page_num(cards, "listed", NULL) > CGS_VIEW_OVERVIEW_CARDS)
		cgs_sb_raw(sb, "<p><a href=\"/cards\">all cards</a></p>\n");
	cgs_sb_raw(sb, "<h2>Blocks recorded, by outcome and reason</h2>\n");
	CGS_PAGE_TABLE(sb, "by-reason",
	    json_object_get(json_object_get(v, "blocks"), "by_reason"),
	    reason_cols);
	cgs_sb_printf(sb,
	    "<h2>Sessions counted, not recorded (no valid block)</h2>\n"
	    "<p>Since the center started: %" JSON_INTEGER_FORMAT
	    " sessions.</p>\n",
	    cgs_page_num(v, "unrecorded", "sessions"));
	CGS_PAGE_TABLE(sb, "unrecorded",
	    json_object_get(json_object_get(v, "unrecorded"), "by_reason"),
	    junk_cols);
	cgs_page_foot(sb, "/api/overview");
}
