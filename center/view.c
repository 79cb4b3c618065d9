/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The console's views (view.h): the overview and one card, from the rows
 * of report.h as JSON (view_row.h); the list pages' in view_list.c.
 * Times are Unix seconds, null when there is none; UAs and decoder
 * identities hex.
 */
#include <string.h>

#include "../proto/proto.h"
#include "view.h"
#include "view_row.h"

/* Blocks by status, and by status and reason. */
static int
blocks_json(struct cgs_db *db, json_t *o)
{
	struct cgs_view_list l = { .rows = json_array(), .max = 4096 };
	json_int_t by[3] = { 0, 0, 0 };
	static const char *const names[] = { "accepted", "duplicate",
		"rejected" };
	int rc;

	if (l.rows == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = cgs_view_list_done(
		 cgs_report_block_counts(db, cgs_view_row_count, &l))) != 0) {
		json_decref(l.rows);
		return rc;
	}
	for (size_t i = 0; i < json_array_size(l.rows); i++) {
		json_t *r = json_array_get(l.rows, i);
		const char *st =
		    json_string_value(json_object_get(r, "status"));

		for (int k = 0; k < 3; k++)
			if (st != NULL && strcmp(st, names[k]) == 0)
				by[k] +=
				    json_integer_value(json_object_get(r, "n"));
	}
	return cgs_view_set(o, "blocks",
	    json_pack("{s:I, s:I, s:I, s:o}", "accepted", by[0], "duplicate",
		by[1], "rejected", by[2], "by_reason", l.rows));
}

/* The ingest chart's buckets: the last CGS_VIEW_BUCKETS minutes, each
 * with its blocks by status, oldest first. */
struct series {
	int64_t since;
	json_int_t n[CGS_VIEW_BUCKETS][3];
};

static int
series_cb(void *arg, const struct cgs_count_row *r)
{
	struct series *s = arg;
	int64_t i = (r->at - s->since) / CGS_VIEW_BUCKET_S;
	int k = strcmp(r->status, "accepted") == 0 ? 0 :
	    strcmp(r->status, "duplicate") == 0    ? 1 :
						     2;

	if (i >= 0 && i < CGS_VIEW_BUCKETS)
		s->n[i][k] += (json_int_t)r->n;
	return 0;
}

static int
ingest_json(struct cgs_db *db, int64_t now, json_t *o)
{
	struct series s;
	json_t *b = json_array();
	int rc;

	memset(&s, 0, sizeof(s));
	s.since = now - now % CGS_VIEW_BUCKET_S -
	    (CGS_VIEW_BUCKETS - 1) * CGS_VIEW_BUCKET_S;
	if (b == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = cgs_report_ingest(db, s.since, CGS_VIEW_BUCKET_S, series_cb,
		 &s)) != 0) {
		json_decref(b);
		return rc;
	}
	for (int i = 0; i < CGS_VIEW_BUCKETS; i++)
		if (json_array_append_new(b,
			json_pack("{s:I, s:I, s:I, s:I}", "at",
			    (json_int_t)s.since +
				(json_int_t)i * CGS_VIEW_BUCKET_S,
			    "accepted", s.n[i][0], "duplicate", s.n[i][1],
			    "rejected", s.n[i][2])) != 0) {
			json_decref(b);
			return PROTO_ERR_NOMEM;
		}
	return cgs_view_set(o, "ingest",
	    json_pack("{s:I, s:I, s:o}", "since", (json_int_t)s.since,
		"bucket_s", (json_int_t)CGS_VIEW_BUCKET_S, "buckets", b));
}

/* The sessions the center counted instead of recording (no valid block),
 * since it started: its counters, not the database. */
static json_t *
unrecorded_json(const struct cgs_stats *st)
{
	json_t *by = json_array();
	unsigned long n;

	if (st == NULL || by == NULL)
		return by != NULL ? json_pack("{s:I, s:o}", "sessions",
					(json_int_t)0, "by_reason", by) :
				    NULL;
	for (uint8_t r = 0; r < CGS_STATS_REASONS; r++)
		if ((n = atomic_load(&st->junk_blocks[r])) != 0)
			(void)json_array_append_new(by,
			    json_pack("{s:s, s:I}", "reason",
				proto_up_reason(r), "n", (json_int_t)n));
	return json_pack("{s:I, s:o}", "sessions",
	    (json_int_t)atomic_load(&st->ev[CGS_EV_JUNK]), "by_reason", by);
}

static int
cards_summary(struct cgs_db *db, json_t *o)
{
	struct cgs_view_list by = { .rows = json_array(), .max = 64 };
	struct cgs_view_list first = { .rows = json_array(),
		.max = CGS_VIEW_OVERVIEW_CARDS };
	struct cgs_page pg = { .limit = CGS_VIEW_OVERVIEW_CARDS };
	json_int_t total = 0;
	uint64_t n;
	int rc;

	if (by.rows == NULL || first.rows == NULL) {
		rc = PROTO_ERR_NOMEM;
		goto out;
	}
	if ((rc = cgs_view_list_done(
		 cgs_report_card_counts(db, cgs_view_row_count, &by))) != 0 ||
	    (rc = cgs_view_list_done(cgs_report_cards_page(db, &pg,
		 cgs_view_row_card, &first, &n))) != 0)
		goto out;
	for (size_t i = 0; i < json_array_size(by.rows); i++) {
		json_t *r = json_array_get(by.rows, i);

		total += json_integer_value(json_object_get(r, "n"));
		json_object_del(r, "reason");
	}
	rc = cgs_view_set(o, "cards",
	    json_pack("{s:I, s:O, s:O, s:I}", "total", total, "by_status",
		by.rows, "first", first.rows, "listed", (json_int_t)n));
out:
	json_decref(by.rows);
	json_decref(first.rows);
	return rc;
}

int
cgs_view_overview(struct cgs_db *db, const struct cgs_stats *stats, int64_t now,
    json_t **out)
{
	uint64_t hour, day, all, flags;
	json_t *o = json_object();
	int rc;

	if (o == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = cgs_report_session_count(db, now - 3600, &hour)) != 0 ||
	    (rc = cgs_report_session_count(db, now - 86400, &day)) != 0 ||
	    (rc = cgs_report_session_count(db, 0, &all)) != 0 ||
	    (rc = cgs_report_flag_count(db, &flags)) != 0 ||
	    (rc = cgs_view_set(o, "now", json_integer(now))) != 0 ||
	    (rc = cards_summary(db, o)) != 0 ||
	    (rc = cgs_view_set(o, "sessions",
		 json_pack("{s:I, s:I, s:I}", "last_hour", (json_int_t)hour,
		     "last_day", (json_int_t)day, "total", (json_int_t)all))) !=
		0 ||
	    (rc = blocks_json(db, o)) != 0 ||
	    (rc = cgs_view_set(o, "anomalies", json_integer((int64_t)flags))) !=
		0 ||
	    (rc = cgs_view_set(o, "unrecorded", unrecorded_json(stats))) != 0 ||
	    (rc = ingest_json(db, now, o)) != 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

/* --- one card ------------------------------------------------------------ */

/* The present card of session id among sessions (a list of them). */
static json_t *
session_present(const json_t *sessions, json_int_t id)
{
	for (size_t i = 0; i < json_array_size(sessions); i++) {
		json_t *s = json_array_get(sessions, i);

		if (json_integer_value(json_object_get(s, "id")) == id)
			return json_object_get(s, "present");
	}
	return NULL;
}

/* The card's blocks that came recovered from a decoder's M1, each with the
 * card whose session carried it and what it invoiced of this card. */
static int
recovered_json(json_t *o)
{
	json_t *blocks = json_object_get(o, "blocks"),
	       *sessions = json_object_get(o, "sessions"),
	       *inv = json_object_get(o, "invoices"), *rec = json_array();

	if (rec == NULL)
		return PROTO_ERR_NOMEM;
	for (size_t i = 0; i < json_array_size(blocks); i++) {
		json_t *b = json_array_get(blocks, i), *via, *r;
		json_int_t sid =
		    json_integer_value(json_object_get(b, "session"));
		json_int_t n = 0;

		if (strcmp(json_string_value(json_object_get(b, "origin")),
			"recovered") != 0)
			continue;
		for (size_t k = 0; k < json_array_size(inv); k++)
			n += json_integer_value(
				 json_object_get(json_array_get(inv, k),
				     "session")) == sid;
		via = session_present(sessions, sid);
		r = json_pack("{s:I, s:O, s:O, s:O, s:O, s:O, s:O, s:I}",
		    "session", sid, "via", via != NULL ? via : json_null(),
		    "decoder", json_object_get(b, "decoder"), "seq",
		    json_object_get(b, "seq"), "received_at",
		    json_object_get(b, "received_at"), "status",
		    json_object_get(b, "status"), "reason",
		    json_object_get(b, "reason"), "invoiced", n);
		if (r == NULL || json_array_append_new(rec, r) != 0) {
			json_decref(rec);
			return PROTO_ERR_NOMEM;
		}
	}
	return cgs_view_set(o, "recovered", rec);
}

/* A list of the card's, under key, filled by run. */
struct card_lists {
	struct cgs_db *db;
	const uint8_t *ua;
	json_t *o;
	int truncated;
};

static int
card_list(struct card_lists *cl, const char *key, int which)
{
	struct cgs_view_list l = { .rows = json_array(),
		.max = CGS_VIEW_LIST_MAX };
	int rc;

	if (l.rows == NULL)
		return PROTO_ERR_NOMEM;
	switch (which) {
	case 0:
		rc = cgs_report_sessions(cl->db, cl->ua, cgs_view_row_session,
		    &l);
		break;
	case 1:
		rc = cgs_report_blocks(cl->db, cl->ua, cgs_view_row_block, &l);
		break;
	case 2:
		rc = cgs_report_commands(cl->db, cl->ua, cgs_view_row_command,
		    &l);
		break;
	case 3:
		rc = cgs_report_purchases(cl->db, cl->ua, cgs_view_row_purchase,
		    &l);
		break;
	default:
		rc = cgs_report_flags(cl->db, cl->ua, cgs_view_row_flag, &l);
		break;
	}
	if ((rc = cgs_view_list_done(rc)) != 0) {
		json_decref(l.rows);
		return rc;
	}
	cl->truncated |= l.truncated;
	return cgs_view_set(cl->o, key, l.rows);
}

int
cgs_view_card(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN], json_t **out)
{
	static const char *const keys[] = { "sessions", "blocks", "commands",
		"invoices", "anomalies" };
	struct cgs_view_list card = { .rows = json_array(), .max = 1 };
	struct card_lists cl = { .db = db, .ua = ua, .o = json_object() };
	json_t *data = NULL;
	int rc;

	if (card.rows == NULL || cl.o == NULL) {
		rc = PROTO_ERR_NOMEM;
		goto out;
	}
	if ((rc = cgs_view_list_done(
		 cgs_report_cards(db, ua, cgs_view_row_card, &card))) != 0)
		goto out;
	if (json_array_size(card.rows) == 0) {
		rc = PROTO_ERR_NOTFOUND;
		goto out;
	}
	if ((rc = cgs_view_set(cl.o, "card",
		 json_incref(json_array_get(card.rows, 0)))) != 0 ||
	    (rc = cgs_report_card_data(db, ua, cgs_view_row_data, &data)) !=
		0 ||
	    (rc = cgs_view_set(cl.o, "data",
		 data != NULL ? data : json_null())) != 0)
		goto out;
	data = NULL;
	for (int i = 0; i < 5; i++)
		if ((rc = card_list(&cl, keys[i], i)) != 0)
			goto out;
	if ((rc = recovered_json(cl.o)) != 0 ||
	    (rc = cgs_view_set(cl.o, "truncated",
		 json_boolean(cl.truncated))) != 0)
		goto out;
	*out = cl.o;
	cl.o = NULL;
out:
	json_decref(card.rows);
	json_decref(cl.o);
	json_decref(data);
	return rc;
}
