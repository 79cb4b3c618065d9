/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The console's views (view.h): the rows of report.h as JSON.  Times are
 * Unix seconds, null when there is none; UAs and decoder identities hex.
 */
#include <string.h>

#include "../proto/buf.h"
#include "../proto/proto.h"
#include "view.h"

/* A list being filled by a report's callback, at most max rows. */
struct list {
	json_t *rows;
	size_t max;
	int truncated;
};

static json_t *
jhex(const uint8_t *b, size_t n)
{
	char hex[2 * PROTO_DECODER_ID_LEN + 1];

	if (n > PROTO_DECODER_ID_LEN)
		return NULL;
	proto_hex(b, n, hex);
	return json_string(hex);
}

static json_t *
jua(int has, const uint8_t ua[PROTO_UA_LEN])
{
	return has ? jhex(ua, PROTO_UA_LEN) : json_null();
}

static json_t *
jtime(int64_t t)
{
	return t != 0 ? json_integer(t) : json_null();
}

static json_t *
jint(int64_t v)
{
	return json_integer(v);
}

/* Append row (a new reference, NULL when it could not be made) to l:
 * 0, 1 when the list is full (the report stops), or PROTO_ERR_NOMEM. */
static int
list_add(struct list *l, json_t *row)
{
	if (row == NULL)
		return PROTO_ERR_NOMEM;
	if (json_array_size(l->rows) >= l->max) {
		json_decref(row);
		l->truncated = 1;
		return 1;
	}
	return json_array_append_new(l->rows, row) == 0 ? 0 : PROTO_ERR_NOMEM;
}

/* A report's result: a full list is not an error. */
static int
list_done(int rc)
{
	return rc == 1 ? 0 : rc;
}

/* key: v (a new reference) into o; NULL v is a failure. */
static int
set(json_t *o, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(o, key, v) == 0 ?
	    0 :
	    PROTO_ERR_NOMEM;
}

/* --- rows ---------------------------------------------------------------- */

static json_t *
card_json(const struct cgs_card_row *r)
{
	return json_pack("{s:o, s:s, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o, "
			 "s:o, s:o?, s:o}",
	    "ua", jua(1, r->ua), "status", r->status, "locked",
	    r->locked < 0 ? json_null() : json_boolean(r->locked),
	    "last_block_seq", (json_int_t)r->last_block_seq, "purchases",
	    (json_int_t)r->purchases, "registered_at", jtime(r->registered_at),
	    "first_seen", jtime(r->first_seen), "last_seen",
	    jtime(r->last_seen), "recovered_at", jtime(r->recovered_at),
	    "seen_via",
	    r->has_seen ? jhex(r->seen_via, PROTO_DECODER_ID_LEN) : json_null(),
	    "seen_at", jtime(r->seen_at), "seen_as",
	    r->seen_as[0] != '\0' ? json_string(r->seen_as) : NULL,
	    "revoked_at", jtime(r->revoked_at));
}

static int
card_cb(void *arg, const struct cgs_card_row *r)
{
	return list_add(arg, card_json(r));
}

static json_t *
purchase_json(const struct cgs_purchase_row *r)
{
	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:I, s:o, s:s}",
	    "ua", jua(1, r->ua), "seq", (json_int_t)r->p.seq, "event",
	    (json_int_t)r->p.event, "channel", (json_int_t)r->p.channel,
	    "price", (json_int_t)r->p.price, "bought_at", jtime(r->p.time),
	    "recorded_at", jtime(r->recorded_at), "session",
	    (json_int_t)r->session, "via", jua(r->has_via, r->via), "origin",
	    r->origin);
}

static int
purchase_cb(void *arg, const struct cgs_purchase_row *r)
{
	return list_add(arg, purchase_json(r));
}

static int
flag_cb(void *arg, const struct cgs_flag_row *r)
{
	return list_add(arg,
	    json_pack("{s:I, s:o, s:I, s:o, s:s}", "id", (json_int_t)r->id,
		"ua", jua(r->has_ua, r->ua), "session", (json_int_t)r->session,
		"at", jtime(r->at), "what", r->what));
}

static int
command_cb(void *arg, const struct cgs_command_row *r)
{
	char sw[8];

	snprintf(sw, sizeof(sw), "%04X", r->sw);
	return list_add(arg,
	    json_pack("{s:s, s:I, s:s, s:I, s:I, s:s, s:o, s:I, s:o, s:o, "
		      "s:o, s:o}",
		"path",
		r->path == PROTO_CMD_PATH_BROADCAST ? "broadcast" : "uplink",
		"counter", (json_int_t)r->counter, "type", r->type, "arg1",
		(json_int_t)r->arg1, "arg2", (json_int_t)r->arg2, "state",
		r->state, "sw", r->has_sw ? json_string(sw) : json_null(),
		"sends", (json_int_t)r->sends, "created_at",
		jtime(r->created_at), "sent_at", jtime(r->sent_at),
		"outcome_at", jtime(r->outcome_at), "cancelled_at",
		jtime(r->cancelled_at)));
}

static int
session_cb(void *arg, const struct cgs_session_row *r)
{
	return list_add(arg,
	    json_pack("{s:I, s:o, s:o, s:o, s:I, s:I, s:I}", "id",
		(json_int_t)r->id, "started_at", jtime(r->started_at),
		"decoder", jhex(r->decoder_id, PROTO_DECODER_ID_LEN), "present",
		jua(r->has_present, r->present), "blocks",
		(json_int_t)r->blocks, "invoiced", (json_int_t)r->invoiced,
		"flagged", (json_int_t)r->flagged));
}

static int
block_cb(void *arg, const struct cgs_block_row *r)
{
	return list_add(arg,
	    json_pack("{s:I, s:o, s:o, s:o, s:I, s:s, s:s, s:s}", "session",
		(json_int_t)r->session, "received_at", jtime(r->received_at),
		"decoder", jhex(r->decoder_id, PROTO_DECODER_ID_LEN), "ua",
		jua(r->has_ua, r->ua), "seq", (json_int_t)r->seq, "origin",
		r->origin, "status", r->status, "reason", r->reason));
}

/* What the card's newest accepted block said. */
static int
data_cb(void *arg, const struct cgs_card_data *d)
{
	const struct proto_m2 *m = &d->m;
	json_t *ecms = json_array(), *rights = json_array(), *o;
	int rc = 0;

	for (uint8_t i = 0; i < m->n_counts && ecms != NULL; i++)
		if (json_array_append_new(ecms,
			json_pack("{s:I, s:I}", "channel",
			    (json_int_t)m->counts[i].channel, "ecms",
			    (json_int_t)m->counts[i].ecms)) != 0)
			rc = PROTO_ERR_NOMEM;
	for (uint8_t i = 0; i < m->n_rights && rights != NULL; i++)
		if (json_array_append_new(rights,
			json_pack("{s:I, s:o}", "channel",
			    (json_int_t)m->rights[i].channel, "expiry",
			    jtime(m->rights[i].expiry))) != 0)
			rc = PROTO_ERR_NOMEM;
	o = json_pack("{s:I, s:s, s:I, s:o, s:o, s:I, s:I, s:I, s:I, s:I, "
		      "s:I, s:b, s:I, s:o, s:I, s:I, s:I, s:o, s:o, s:o}",
	    "block_seq", (json_int_t)d->block_seq, "origin",
	    d->origin == CGS_ORIGIN_RECOVERED ? "recovered" : "present",
	    "session", (json_int_t)d->session_id, "received_at",
	    jtime(d->received_at), "decoder",
	    jhex(d->decoder_id, PROTO_DECODER_ID_LEN), "credit",
	    (json_int_t)m->credit, "purchase_seq", (json_int_t)m->purchase_seq,
	    "acked_seq", (json_int_t)m->acked_seq, "change_ctr",
	    (json_int_t)m->change_ctr, "cmd_ctr", (json_int_t)m->cmd_ctr,
	    "bcast_ctr", (json_int_t)m->bcast_ctr, "locked", m->locked != 0,
	    "flags", (json_int_t)m->flags, "versions",
	    jhex(m->versions, PROTO_VERSIONS_LEN), "cws", (json_int_t)m->cws,
	    "denials", (json_int_t)m->denials, "powerups",
	    (json_int_t)m->powerups, "clock", jtime(m->clock), "ecms", ecms,
	    "rights", rights);
	if (o == NULL || rc != 0) {
		json_decref(o);
		return PROTO_ERR_NOMEM;
	}
	*(json_t **)arg = o;
	return 0;
}

/* --- the overview -------------------------------------------------------- */

static int
count_cb(void *arg, const struct cgs_count_row *r)
{
	return list_add(arg,
	    json_pack("{s:s, s:s, s:I}", "status", r->status, "reason",
		r->reason, "n", (json_int_t)r->n));
}

/* Blocks by status, and by status and reason. */
static int
blocks_json(struct cgs_db *db, json_t *o)
{
	struct list l = { .rows = json_array(), .max = 4096 };
	json_int_t by[3] = { 0, 0, 0 };
	static const char *const names[] = { "accepted", "duplicate",
		"rejected" };
	int rc;

	if (l.rows == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = list_done(cgs_report_block_counts(db, count_cb, &l))) != 0) {
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
	return set(o, "blocks",
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
	return set(o, "ingest",
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
	struct list by = { .rows = json_array(), .max = 64 };
	struct list first = { .rows = json_array(),
		.max = CGS_VIEW_OVERVIEW_CARDS };
	struct cgs_page pg = { .limit = CGS_VIEW_OVERVIEW_CARDS };
	json_int_t total = 0;
	uint64_t n;
	int rc;

	if (by.rows == NULL || first.rows == NULL) {
		rc = PROTO_ERR_NOMEM;
		goto out;
	}
	if ((rc = list_done(cgs_report_card_counts(db, count_cb, &by))) != 0 ||
	    (rc = list_done(
		 cgs_report_cards_page(db, &pg, card_cb, &first, &n))) != 0)
		goto out;
	for (size_t i = 0; i < json_array_size(by.rows); i++) {
		json_t *r = json_array_get(by.rows, i);

		total += json_integer_value(json_object_get(r, "n"));
		json_object_del(r, "reason");
	}
	rc = set(o, "cards",
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
	    (rc = set(o, "now", jint(now))) != 0 ||
	    (rc = cards_summary(db, o)) != 0 ||
	    (rc = set(o, "sessions",
		 json_pack("{s:I, s:I, s:I}", "last_hour", (json_int_t)hour,
		     "last_day", (json_int_t)day, "total", (json_int_t)all))) !=
		0 ||
	    (rc = blocks_json(db, o)) != 0 ||
	    (rc = set(o, "anomalies", jint((int64_t)flags))) != 0 ||
	    (rc = set(o, "unrecorded", unrecorded_json(stats))) != 0 ||
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
	return set(o, "recovered", rec);
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
	struct list l = { .rows = json_array(), .max = CGS_VIEW_LIST_MAX };
	int rc;

	if (l.rows == NULL)
		return PROTO_ERR_NOMEM;
	switch (which) {
	case 0:
		rc = cgs_report_sessions(cl->db, cl->ua, session_cb, &l);
		break;
	case 1:
		rc = cgs_report_blocks(cl->db, cl->ua, block_cb, &l);
		break;
	case 2:
		rc = cgs_report_commands(cl->db, cl->ua, command_cb, &l);
		break;
	case 3:
		rc = cgs_report_purchases(cl->db, cl->ua, purchase_cb, &l);
		break;
	default:
		rc = cgs_report_flags(cl->db, cl->ua, flag_cb, &l);
		break;
	}
	if ((rc = list_done(rc)) != 0) {
		json_decref(l.rows);
		return rc;
	}
	cl->truncated |= l.truncated;
	return set(cl->o, key, l.rows);
}

int
cgs_view_card(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN], json_t **out)
{
	static const char *const keys[] = { "sessions", "blocks", "commands",
		"invoices", "anomalies" };
	struct list card = { .rows = json_array(), .max = 1 };
	struct card_lists cl = { .db = db, .ua = ua, .o = json_object() };
	json_t *data = NULL;
	int rc;

	if (card.rows == NULL || cl.o == NULL) {
		rc = PROTO_ERR_NOMEM;
		goto out;
	}
	if ((rc = list_done(cgs_report_cards(db, ua, card_cb, &card))) != 0)
		goto out;
	if (json_array_size(card.rows) == 0) {
		rc = PROTO_ERR_NOTFOUND;
		goto out;
	}
	if ((rc = set(cl.o, "card",
		 json_incref(json_array_get(card.rows, 0)))) != 0 ||
	    (rc = cgs_report_card_data(db, ua, data_cb, &data)) != 0 ||
	    (rc = set(cl.o, "data", data != NULL ? data : json_null())) != 0)
		goto out;
	data = NULL;
	for (int i = 0; i < 5; i++)
		if ((rc = card_list(&cl, keys[i], i)) != 0)
			goto out;
	if ((rc = recovered_json(cl.o)) != 0 ||
	    (rc = set(cl.o, "truncated", json_boolean(cl.truncated))) != 0)
		goto out;
	*out = cl.o;
	cl.o = NULL;
out:
	json_decref(card.rows);
	json_decref(cl.o);
	json_decref(data);
	return rc;
}

/* --- lists with filters and paging ---------------------------------------- */

/* A list page's JSON: its filter, range, total and rows. */
static int
page_json(const struct cgs_page *pg, struct list *l, uint64_t total,
    json_t **out)
{
	json_t *f = json_object(), *o;

	if (f == NULL ||
	    (pg->ua != NULL && set(f, "ua", jua(1, pg->ua)) != 0) ||
	    (pg->status != NULL &&
		set(f, "status", json_string(pg->status)) != 0) ||
	    (pg->origin != NULL &&
		set(f, "origin", json_string(pg->origin)) != 0) ||
	    (pg->text != NULL && set(f, "text", json_string(pg->text)) != 0)) {
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
	struct list l = { .rows = json_array(), .max = CGS_VIEW_PAGE_MAX };
	uint64_t total = 0;
	int rc;

	if (l.rows == NULL)
		return PROTO_ERR_NOMEM;
	if (pg->limit > CGS_VIEW_PAGE_MAX) {
		json_decref(l.rows);
		return PROTO_ERR_RANGE;
	}
	rc = k == LIST_CARDS ?
	    cgs_report_cards_page(db, pg, card_cb, &l, &total) :
	    k == LIST_INVOICES ?
	    cgs_report_purchases_page(db, pg, purchase_cb, &l, &total) :
	    cgs_report_flags_page(db, pg, flag_cb, &l, &total);
	if ((rc = list_done(rc)) != 0) {
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
