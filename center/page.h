/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The console's pages, rendered server-side from the views' JSON
 * (view.h): plain HTML and one style sheet, no script.  Every value goes
 * through cgs_html_esc (or, in a link's query, cgs_url_esc and then
 * cgs_html_esc): what the database holds is shown as text, never read
 * as markup.  Pages append to sb (its failure is reported by
 * cgs_sb_take); a field missing from a view shows as "-".
 *
 *   page.c           the frame every page shares, the tables, the message
 *                    page, the style sheet
 *   page_overview.c  the overview and its ingest chart (SVG)
 *   page_card.c      one card
 *   page_list.c      the list pages: filters and paging
 */
#ifndef CENTER_PAGE_H
#define CENTER_PAGE_H

#include <stddef.h>

#include <jansson.h>

#include "html.h"

/* The pages, from their views. */
void cgs_page_overview(const json_t *v, struct cgs_sb *sb);
void cgs_page_card(const json_t *v, struct cgs_sb *sb);
void cgs_page_cards(const json_t *v, struct cgs_sb *sb);
void cgs_page_invoices(const json_t *v, struct cgs_sb *sb);
void cgs_page_anomalies(const json_t *v, struct cgs_sb *sb);
/* A page of a title and one message (errors, the login form's note);
 * login: with the login form, which comes back to next. */
void cgs_page_message(const char *title, const char *msg, int login,
    const char *next, struct cgs_sb *sb);
/* The console's style sheet. */
extern const char cgs_page_css[];

/* --- what the pages are made of (page*.c) -------------------------------- */

/* How a column shows its value. */
enum cgs_col_kind {
	CGS_COL_TEXT,  /* a string or a number as it is */
	CGS_COL_TIME,  /* Unix seconds */
	CGS_COL_UA,    /* a link to the card's page */
	CGS_COL_STATE, /* a status, marked by its class */
	CGS_COL_BOOL,  /* yes, no */
};

/* A column: its heading (markup of ours), the key of its value. */
struct cgs_col {
	const char *title, *key;
	enum cgs_col_kind kind;
};

/* The page's start: the header with the navigation, title as h1. */
void cgs_page_head(struct cgs_sb *sb, const char *title);
/* The page's end, naming the JSON it shows (api: a path of ours, or
 * NULL). */
void cgs_page_foot(struct cgs_sb *sb, const char *api);
/* A table of rows (an array of objects), one column each of cols; "none"
 * when there are no rows.  id: a name of ours. */
void cgs_page_table(struct cgs_sb *sb, const char *id, const json_t *rows,
    const struct cgs_col *cols, size_t n);
/* One object's fields, a row each. */
void cgs_page_fields(struct cgs_sb *sb, const char *id, const json_t *o,
    const struct cgs_col *cols, size_t n);
#define CGS_PAGE_TABLE(sb, id, rows, cols) \
	cgs_page_table(sb, id, rows, cols, sizeof(cols) / sizeof((cols)[0]))
#define CGS_PAGE_FIELDS(sb, id, o, cols) \
	cgs_page_fields(sb, id, o, cols, sizeof(cols) / sizeof((cols)[0]))
/* The tables more than one page shows: cards, invoices. */
void
cgs_page_cards_table(struct cgs_sb *sb, const char *id, const json_t *rows);
void
cgs_page_invoices_table(struct cgs_sb *sb, const char *id, const json_t *rows);
/* The integer at o.key1 (or o.key1.key2); 0 when there is none. */
json_int_t cgs_page_num(const json_t *o, const char *key1, const char *key2);

#endif
