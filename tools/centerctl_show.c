/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * centerctl's reports.  Each row of the center's report (center/report.h)
 * becomes one JSON object, of one schema for every command: a UA is its
 * hex string, a time is two fields (NAME, Unix seconds, and NAME_iso,
 * ISO 8601 in UTC; both null when there is none), a flag is a boolean
 * (null when unknown), a status word is 4 hex digits.  --json prints the
 * objects (jansson); the text form prints chosen fields of the same
 * objects as columns, times as dates.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "../center/report.h"
#include "../proto/buf.h"
#include "../proto/cmd.h"
#include "../proto/proto.h"
#include "centerctl.h"
#include "json.h"
#include "m2show.h"
#include "show.h"

/* A command's parameters, named by its type. */
static json_t *
command_params(const struct cgs_command_row *r)
{
	json_t *p = tj_object();

	if (strcmp(r->type, "ack") == 0)
		tj_set_int(p, "seq", r->arg1);
	else if (strcmp(r->type, "reload") == 0)
		tj_set_int(p, "amount", r->arg1);
	else if (strcmp(r->type, "grant") == 0 ||
	    strcmp(r->type, "revoke") == 0)
		tj_set_int(p, "channel", r->arg1);
	if (strcmp(r->type, "grant") == 0)
		tj_set_time(p, "expiry", r->arg2);
	return p;
}

json_t *
show_command(const struct cgs_command_row *r)
{
	json_t *o = tj_object();

	tj_set_ua(o, "ua", r->ua);
	tj_set_str(o, "path", m2show_path_name(r->path));
	tj_set_int(o, "counter", r->counter);
	tj_set_str(o, "type", r->type);
	tj_set(o, "params", command_params(r));
	tj_set_str(o, "state", r->state);
	tj_set_sw(o, "sw", r->has_sw, r->sw);
	tj_set_int(o, "sends", r->sends);
	tj_set_time(o, "created_at", r->created_at);
	tj_set_time(o, "sent_at", r->sent_at);
	tj_set_time(o, "outcome_at", r->outcome_at);
	tj_set_time(o, "cancelled_at", r->cancelled_at);
	return o;
}

/* An invoice: a purchase of the card's (m2show_purchase's shape), when
 * and how the center recorded it. */
json_t *
show_purchase(const struct cgs_purchase_row *r)
{
	json_t *o = m2show_purchase(r->ua, &r->p);

	tj_set_time(o, "recorded_at", r->recorded_at);
	tj_set_int(o, "session", r->session);
	tj_set_ua(o, "via_ua", r->has_via ? r->via : NULL);
	tj_set_str(o, "origin", r->origin);
	return o;
}

json_t *
show_flag(const struct cgs_flag_row *r)
{
	json_t *o = tj_object();

	tj_set_int(o, "id", r->id);
	tj_set_ua(o, "ua", r->has_ua ? r->ua : NULL);
	if (r->session != 0)
		tj_set_int(o, "session", r->session);
	else
		tj_set(o, "session", json_null());
	tj_set_time(o, "at", r->at);
	tj_set_str(o, "what", r->what);
	return o;
}

json_t *
show_card(const struct cgs_card_row *r)
{
	json_t *o = tj_object();

	tj_set_ua(o, "ua", r->ua);
	tj_set_str(o, "status", r->status);
	if (r->locked < 0)
		tj_set(o, "locked", json_null());
	else
		tj_set_bool(o, "locked", r->locked);
	tj_set_int(o, "last_block_seq", r->last_block_seq);
	/* a count: "purchases" is the list itself (an M2's, invoices) */
	tj_set_int(o, "invoiced", r->invoiced);
	tj_set_time(o, "registered_at", r->registered_at);
	tj_set_time(o, "first_seen", r->first_seen);
	tj_set_time(o, "last_seen", r->last_seen);
	tj_set_time(o, "recovered_at", r->recovered_at);
	tj_set_bool(o, "revoked", r->revoked_at != 0);
	tj_set_time(o, "revoked_at", r->revoked_at);
	tj_set_time(o, "seen_at", r->seen_at);
	tj_set_hex(o, "seen_via", r->has_seen ? r->seen_via : NULL,
	    PROTO_DECODER_ID_LEN);
	tj_set_str(o, "seen_as", r->seen_as[0] != '\0' ? r->seen_as : NULL);
	return o;
}

/* --- the reports ---------------------------------------------------------- */

static int
each_card(void *arg, const struct cgs_card_row *r)
{
	return show_emit(arg, show_card(r));
}

static int
each_purchase(void *arg, const struct cgs_purchase_row *r)
{
	return show_emit(arg, show_purchase(r));
}

static int
each_flag(void *arg, const struct cgs_flag_row *r)
{
	return show_emit(arg, show_flag(r));
}

static int
each_command(void *arg, const struct cgs_command_row *r)
{
	return show_emit(arg, show_command(r));
}

/* Open the database, run the report into a table of cols, close. */
static int
run(const struct opts *o, const struct show_col *cols,
    int (*rep)(struct cgs_db *, const uint8_t *, void *), const uint8_t *ua)
{
	struct show_table t;
	struct cgs_db *db = NULL;
	int rc, out;

	if (ctl_db(o, CTL_DB_READ, &db) != 0)
		return UTIL_EXIT_FAIL;
	show_begin(&t, o->json, cols);
	rc = rep(db, ua, &t);
	cgs_db_close(&db);
	out = show_end(&t, rc == 0);
	if (rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", o->who, o->dbname,
		    proto_strerror(rc));
		return UTIL_EXIT_FAIL;
	}
	return util_printed(o->who, out);
}

static int
rep_cards(struct cgs_db *db, const uint8_t *ua, void *t)
{
	return cgs_report_cards(db, ua, each_card, t);
}

static int
rep_purchases(struct cgs_db *db, const uint8_t *ua, void *t)
{
	return cgs_report_purchases(db, ua, each_purchase, t);
}

static int
rep_flags(struct cgs_db *db, const uint8_t *ua, void *t)
{
	return cgs_report_flags(db, ua, each_flag, t);
}

static int
rep_commands(struct cgs_db *db, const uint8_t *ua, void *t)
{
	return cgs_report_commands(db, ua, each_command, t);
}

const struct show_col show_card_cols[] = {
	{ "ua", 16, 0 },
	{ "status", 17, 0 },
	{ "locked", 6, 0 },
	{ "last_block_seq", 14, 1 },
	{ "invoiced", 8, 1 },
	{ "seen_as", 9, 0 },
	{ "seen_via", 16, 0 },
	{ "seen_at", 0, 0 },
	{ NULL, 0, 0 },
};

const struct show_col show_purchase_cols[] = {
	{ "ua", 16, 0 },
	{ "seq", 5, 1 },
	{ "event", 8, 1 },
	{ "channel", 7, 1 },
	{ "price", 8, 1 },
	{ "bought_at", 20, 0 },
	{ "recorded_at", 20, 0 },
	{ "via_ua", 16, 0 },
	{ "origin", 9, 0 },
	{ "session", 7, 1 },
	{ NULL, 0, 0 },
};

const struct show_col show_flag_cols[] = {
	{ "ua", 16, 0 },
	{ "session", 7, 1 },
	{ "at", 20, 0 },
	{ "what", 0, 0 },
	{ NULL, 0, 0 },
};

const struct show_col show_command_cols[] = {
	{ "path", 9, 0 },
	{ "counter", 7, 1 },
	{ "type", 7, 0 },
	{ "state", 9, 0 },
	{ "sw", 4, 0 },
	{ "sends", 5, 1 },
	{ "created_at", 20, 0 },
	{ "outcome_at", 20, 0 },
	{ "params", 0, 0 },
	{ NULL, 0, 0 },
};

int
ctl_show_cards(const struct opts *o)
{
	return run(o, show_card_cols, rep_cards, NULL);
}

int
ctl_show_invoices(const struct opts *o)
{
	return run(o, show_purchase_cols, rep_purchases, NULL);
}

int
ctl_show_flags(const struct opts *o)
{
	return run(o, show_flag_cols, rep_flags, NULL);
}

int
ctl_show_commands(const struct opts *o, const uint8_t ua[PROTO_UA_LEN])
{
	return run(o, show_command_cols, rep_commands, ua);
}

/* --- rejected: the ring of the last rejected blocks, the counts --------- */

/* A RESULT reason: its code, its text, whether the decoder may drop the
 * block for it (final). */
static void
set_reason(json_t *o, uint8_t reason)
{
	tj_set_int(o, "code", reason);
	tj_set_str(o, "reason", proto_up_reason(reason));
	tj_set_bool(o, "final", proto_up_reason_final(reason));
}

json_t *
show_rejected(const struct cgs_rejected_row *r)
{
	json_t *o = tj_object();

	tj_set_int(o, "n", r->n);
	tj_set_time(o, "received_at", r->at);
	tj_set_str(o, "peer", r->peer[0] != '\0' ? r->peer : NULL);
	tj_set_hex(o, "decoder", r->decoder_id, PROTO_DECODER_ID_LEN);
	tj_set_ua(o, "ua", r->has_ua ? r->ua : NULL);
	if (r->has_ua)
		tj_set_int(o, "seq", r->seq);
	else
		tj_set(o, "seq", json_null());
	tj_set_str(o, "frame", r->origin);
	set_reason(o, r->reason);
	if (r->session != 0)
		tj_set_int(o, "session", r->session);
	else
		tj_set(o, "session", json_null());
	return o;
}

/* The counts by reason, and their sum. */
struct counts {
	json_t *a;
	int64_t total;
};

static int
each_count(void *arg, const struct cgs_rejected_count_row *r)
{
	struct counts *c = arg;
	json_t *o = tj_object();

	set_reason(o, r->reason);
	tj_set_int(o, "count", r->n);
	tj_set_time(o, "last_at", r->last_at);
	tj_append(c->a, o);
	c->total += r->n;
	return 0;
}

static int
each_rejected(void *arg, const struct cgs_rejected_row *r)
{
	return show_emit(arg, show_rejected(r));
}

static const struct show_col rejected_cols[] = {
	{ "n", 6, 1 },
	{ "received_at", 20, 0 },
	{ "peer", 15, 0 },
	{ "decoder", 16, 0 },
	{ "ua", 16, 0 },
	{ "seq", 5, 1 },
	{ "frame", 9, 0 },
	{ "reason", 0, 0 },
	{ NULL, 0, 0 },
};

/* The text form's head: the total, then each reason's count. */
static void
print_counts(const struct counts *c)
{
	char d[TJ_DATE_MAX];
	json_t *e;
	size_t i;

	printf("%lld blocks rejected since the database was made; the newest "
	       "%d at most are kept:\n",
	    (long long)c->total, CGS_REJECTED_KEEP);
	json_array_foreach(c->a, i, e)
	{
		tj_text(e, "last_at", d, sizeof(d));
		printf("%8lld %s%s, the last at %s\n",
		    (long long)json_integer_value(json_object_get(e, "count")),
		    json_string_value(json_object_get(e, "reason")),
		    json_is_true(json_object_get(e, "final")) ? " (final)" : "",
		    d);
	}
	printf("\n");
}

int
ctl_show_rejected(const struct opts *o)
{
	struct counts c = { .a = tj_array(), .total = 0 };
	struct show_table t;
	struct cgs_db *db = NULL;
	json_t *obj = NULL;
	int rc, out = 0;

	if (ctl_db(o, CTL_DB_READ, &db) != 0) {
		json_decref(c.a);
		return UTIL_EXIT_FAIL;
	}
	if ((rc = cgs_report_rejected_counts(db, each_count, &c)) != 0)
		goto out;
	if (!o->json)
		print_counts(&c);
	show_begin(&t, o->json, rejected_cols);
	if (o->json) {
		obj = tj_object();
		tj_set_int(obj, "total", c.total);
		tj_set_int(obj, "keep", CGS_REJECTED_KEEP);
		tj_set(obj, "reasons", json_incref(c.a));
	}
	rc = cgs_report_rejected(db, each_rejected, &t);
	if (o->json && rc == 0) {
		tj_set_int(obj, "kept", (int64_t)json_array_size(t.rows));
		tj_set(obj, "blocks", json_incref(t.rows));
	}
	out = show_end(&t, 0);
	if (o->json && rc == 0 && out == 0)
		out = tj_print(obj);
	else
		json_decref(obj);
out:
	cgs_db_close(&db);
	json_decref(c.a);
	if (rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", o->who, o->dbname,
		    proto_strerror(rc));
		return UTIL_EXIT_FAIL;
	}
	return util_printed(o->who, out);
}
