/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The console's list views (view.h): cards, invoices, anomalies, a page
 * of rows at a time with the filter and range that chose them and the
 * total they came from.
 */
#include "../proto/proto.h"
#include "view.h"
#include "view_row.h"

/* A list page's JSON: its filter, range, total and rows. */
static int
page_json(const struct cgs_page *pg, struct cgs_view_list *l, uint64_t total,
    json_t **out)
{
	json_t *f = json_object(), *o;

	if (f == NULL ||
	    (pg->ua != NULL &&
		cgs_view_set(f, "ua", cgs_view_ua(1, pg->ua)) != 0) ||
	    (pg->status != NULL &&
		cgs_view_set(f, "status", json_string(pg->status)) != 0) ||
	    (pg->origin != NULL &&
		cgs_view_set(f, "origin", json_string(pg->origin)) != 0) ||
	    (pg->text != NULL &&
		cgs_view_set(f, "text", json_string(pg->text)) != 0)) {
		json_decref(f);
		json_decref(l->rows);
		return PROTO_ERR_NOMEM;
	}
	o = json_pack("{s:o, s:I, s:I, s:I, s:o}", "filter", f, "offset",
	    (json_int_t)pg->offset, "limit", (json_int_t)pg->limit, "total",
	    (json_int_t)total, "rows", l->rows);
	if (o == NULL)
		return PROTO_ERR_NOMEM;
	*out = o;
	return 0;
}

/* Which list a page is of. */
enum list_kind { LIST_CARDS, LIST_INVOICES, LIST_ANOMALIES };

static int
list_view(struct cgs_db *db, const struct cgs_page *pg, enum list_kind k,
    json_t **out)
{
	struct cgs_view_list l = { .rows = json_array(),
		.max = CGS_VIEW_PAGE_MAX };
	uint64_t total = 0;
	int rc;

	if (l.rows == NULL)
		return PROTO_ERR_NOMEM;
	if (pg->limit > CGS_VIEW_PAGE_MAX) {
		json_decref(l.rows);
		return PROTO_ERR_RANGE;
	}
	rc = k == LIST_CARDS ?
	    cgs_report_cards_page(db, pg, cgs_view_row_card, &l, &total) :
	    k == LIST_INVOICES ?
	    cgs_report_purchases_page(db, pg, cgs_view_row_purchase, &l,
		&total) :
	    cgs_report_flags_page(db, pg, cgs_view_row_flag, &l, &total);
	if ((rc = cgs_view_list_done(rc)) != 0) {
		json_decref(l.rows);
		return rc;
	}
	return page_json(pg, &l, total, out);
}

int
cgs_view_cards(struct cgs_db *db, const struct cgs_page *pg, json_t **out)
{
	return list_view(db, pg, LIST_CARDS, out);
}

int
cgs_view_invoices(struct cgs_db *db, const struct cgs_page *pg, json_t **out)
{
	return list_view(db, pg, LIST_INVOICES, out);
}

int
cgs_view_anomalies(struct cgs_db *db, const struct cgs_page *pg, json_t **out)
{
	return list_view(db, pg, LIST_ANOMALIES, out);
}
