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
#include <time.h>

#include <jansson.h>

#include "../center/report.h"
#include "../proto/buf.h"
#include "../proto/cmd.h"
#include "../proto/proto.h"
#include "centerctl.h"
#include "show.h"

/* --- the schema's pieces ------------------------------------------------ */

void
show_set_time(json_t *o, const char *key, int64_t t)
{
	char k[64], iso[32];
	struct tm tm;
	time_t tt = (time_t)t;

	snprintf(k, sizeof(k), "%s_iso", key);
	if (t == 0 || gmtime_r(&tt, &tm) == NULL) {
		json_object_set_new(o, key, json_null());
		json_object_set_new(o, k, json_null());
		return;
	}
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(o, key, json_integer(t));
	json_object_set_new(o, k, json_string(iso));
}

void
show_set_ua(json_t *o, const char *key, const uint8_t *ua)
{
	char h[2 * PROTO_UA_LEN + 1];

	if (ua == NULL) {
		json_object_set_new(o, key, json_null());
		return;
	}
	proto_hex(ua, PROTO_UA_LEN, h);
	json_object_set_new(o, key, json_string(h));
}

void
show_set_sw(json_t *o, const char *key, int has, uint16_t sw)
{
	char h[8];

	snprintf(h, sizeof(h), "%04X", sw);
	json_object_set_new(o, key, has ? json_string(h) : json_null());
}

void
show_set_decoder(json_t *o, const char *key, const uint8_t *id)
{
	char h[2 * PROTO_DECODER_ID_LEN + 1];

	if (id == NULL) {
		json_object_set_new(o, key, json_null());
		return;
	}
	proto_hex(id, PROTO_DECODER_ID_LEN, h);
	json_object_set_new(o, key, json_string(h));
}

const char *
show_path_name(uint8_t path)
{
	return path == PROTO_CMD_PATH_UPLINK ? "uplink" : "broadcast";
}

/* A command's parameters, named by its type. */
static json_t *
command_params(const struct cgs_command_row *r)
{
	json_t *p = json_object();

	if (strcmp(r->type, "ack") == 0)
		json_object_set_new(p, "seq", json_integer(r->arg1));
	else if (strcmp(r->type, "reload") == 0)
		json_object_set_new(p, "amount", json_integer(r->arg1));
	else if (strcmp(r->type, "grant") == 0 ||
	    strcmp(r->type, "revoke") == 0)
		json_object_set_new(p, "channel", json_integer(r->arg1));
	if (strcmp(r->type, "grant") == 0)
		show_set_time(p, "expiry", r->arg2);
	return p;
}

json_t *
show_command(const struct cgs_command_row *r)
{
	json_t *o = json_object();

	show_set_ua(o, "ua", r->ua);
	json_object_set_new(o, "path", json_string(show_path_name(r->path)));
	json_object_set_new(o, "counter", json_integer(r->counter));
	json_object_set_new(o, "type", json_string(r->type));
	json_object_set_new(o, "params", command_params(r));
	json_object_set_new(o, "state", json_string(r->state));
	show_set_sw(o, "sw", r->has_sw, r->sw);
	json_object_set_new(o, "sends", json_integer(r->sends));
	show_set_time(o, "created_at", r->created_at);
	show_set_time(o, "sent_at", r->sent_at);
	show_set_time(o, "outcome_at", r->outcome_at);
	show_set_time(o, "cancelled_at", r->cancelled_at);
	return o;
}

json_t *
show_purchase(const struct cgs_purchase_row *r)
{
	json_t *o = json_object();

	show_set_ua(o, "ua", r->ua);
	json_object_set_new(o, "seq", json_integer(r->p.seq));
	json_object_set_new(o, "event", json_integer(r->p.event));
	json_object_set_new(o, "channel", json_integer(r->p.channel));
	json_object_set_new(o, "price", json_integer(r->p.price));
	show_set_time(o, "bought_at", r->p.time);
	show_set_time(o, "recorded_at", r->recorded_at);
	json_object_set_new(o, "session", json_integer(r->session));
	show_set_ua(o, "via_ua", r->has_via ? r->via : NULL);
	json_object_set_new(o, "origin", json_string(r->origin));
	return o;
}

json_t *
show_flag(const struct cgs_flag_row *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(r->id));
	show_set_ua(o, "ua", r->has_ua ? r->ua : NULL);
	json_object_set_new(o, "session",
	    r->session != 0 ? json_integer(r->session) : json_null());
	show_set_time(o, "at", r->at);
	json_object_set_new(o, "what", json_string(r->what));
	return o;
}

json_t *
show_card(const struct cgs_card_row *r)
{
	json_t *o = json_object();

	show_set_ua(o, "ua", r->ua);
	json_object_set_new(o, "status", json_string(r->status));
	json_object_set_new(o, "locked",
	    r->locked < 0 ? json_null() : json_boolean(r->locked));
	json_object_set_new(o, "last_block_seq",
	    json_integer(r->last_block_seq));
	json_object_set_new(o, "purchases", json_integer(r->purchases));
	show_set_time(o, "registered_at", r->registered_at);
	show_set_time(o, "first_seen", r->first_seen);
	show_set_time(o, "last_seen", r->last_seen);
	show_set_time(o, "recovered_at", r->recovered_at);
	json_object_set_new(o, "revoked", json_boolean(r->revoked_at != 0));
	show_set_time(o, "revoked_at", r->revoked_at);
	show_set_time(o, "seen_at", r->seen_at);
	show_set_decoder(o, "seen_via", r->has_seen ? r->seen_via : NULL);
	json_object_set_new(o, "seen_as",
	    r->seen_as[0] != '\0' ? json_string(r->seen_as) : json_null());
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
	int rc;

	if (ctl_open_db(o, &db) != 0)
		return UTIL_EXIT_FAIL;
	show_begin(&t, o->json, cols);
	rc = rep(db, ua, &t);
	cgs_db_close(&db);
	if (show_end(&t, rc == 0) != 0 || rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", o->who, o->db,
		    proto_strerror(rc != 0 ? rc : PROTO_ERR_IO));
		return UTIL_EXIT_FAIL;
	}
	return 0;
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
	{ "purchases", 9, 1 },
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
