/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * centerctl card UA [--json]: one card as the center knows it -- its
 * record, what its newest accepted block said (credit, counters, clock,
 * flags, versions, ECMs per channel, rights; when, through which decoder,
 * in which frame), and its history: sessions, blocks, commands, invoices,
 * flags.  The JSON is one object of those parts, each row of the same
 * schema as the other reports (show.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "../center/report.h"
#include "../proto/buf.h"
#include "../proto/proto.h"
#include "centerctl.h"
#include "json.h"
#include "m2show.h"
#include "show.h"

/* The card's data, with the names headend open and cardctl show use. */
static json_t *
data_object(const struct cgs_card_data *d)
{
	json_t *o = tj_object();

	tj_set_int(o, "block_seq", d->block_seq);
	tj_set_str(o, "origin",
	    d->origin == CGS_ORIGIN_PRESENT ? "present" : "recovered");
	tj_set_int(o, "session", d->session_id);
	tj_set_hex(o, "decoder", d->decoder_id, PROTO_DECODER_ID_LEN);
	tj_set_time(o, "received_at", d->received_at);
	m2show_fields(o, &d->m);
	return o;
}

static json_t *
session_object(const struct cgs_session_row *r)
{
	json_t *o = tj_object();

	tj_set_int(o, "session", r->id);
	tj_set_hex(o, "decoder", r->decoder_id, PROTO_DECODER_ID_LEN);
	tj_set_ua(o, "present_ua", r->has_present ? r->present : NULL);
	tj_set_time(o, "started_at", r->started_at);
	tj_set_int(o, "blocks", r->blocks);
	tj_set_int(o, "invoiced", r->invoiced);
	tj_set_int(o, "flagged", r->flagged);
	return o;
}

static json_t *
block_object(const struct cgs_block_row *r)
{
	json_t *o = tj_object();

	tj_set_int(o, "session", r->session);
	tj_set_hex(o, "decoder", r->decoder_id, PROTO_DECODER_ID_LEN);
	tj_set_ua(o, "ua", r->has_ua ? r->ua : NULL);
	tj_set_int(o, "seq", r->seq);
	tj_set_str(o, "frame", r->origin);
	/* "result", as decoderctl uplink names a block's outcome */
	tj_set_str(o, "result", r->status);
	tj_set_str(o, "reason", r->reason);
	tj_set_time(o, "received_at", r->received_at);
	return o;
}

static const struct show_col session_cols[] = {
	{ "session", 7, 1 },
	{ "decoder", 16, 0 },
	{ "present_ua", 16, 0 },
	{ "started_at", 20, 0 },
	{ "blocks", 6, 1 },
	{ "invoiced", 8, 1 },
	{ "flagged", 7, 1 },
	{ NULL, 0, 0 },
};

static const struct show_col block_cols[] = {
	{ "session", 7, 1 },
	{ "decoder", 16, 0 },
	{ "seq", 5, 1 },
	{ "frame", 9, 0 },
	{ "result", 9, 0 },
	{ "received_at", 20, 0 },
	{ "reason", 0, 0 },
	{ NULL, 0, 0 },
};

static const char *const data_keys[] = { "block_seq", "origin", "session",
	"decoder", "received_at", "credit", "locked", "purchase_seq",
	"acked_seq", "change_ctr", "cmd_ctr", "bcast_ctr", "clock",
	"export_requested", "disabled", "versions", "cws", "denials",
	"powerups", NULL };

/* What the report callbacks fill: the whole card, as one object. */
struct card_out {
	json_t *card, *data;
	struct show_table t; /* the part being read */
};

static int
each_card(void *arg, const struct cgs_card_row *r)
{
	struct card_out *c = arg;

	json_decref(c->card);
	c->card = show_card(r);
	return 0;
}

static int
each_data(void *arg, const struct cgs_card_data *d)
{
	struct card_out *c = arg;

	c->data = data_object(d);
	return 0;
}

static int
each_session(void *arg, const struct cgs_session_row *r)
{
	return show_emit(&((struct card_out *)arg)->t, session_object(r));
}

static int
each_block(void *arg, const struct cgs_block_row *r)
{
	return show_emit(&((struct card_out *)arg)->t, block_object(r));
}

static int
each_command(void *arg, const struct cgs_command_row *r)
{
	return show_emit(&((struct card_out *)arg)->t, show_command(r));
}

static int
each_purchase(void *arg, const struct cgs_purchase_row *r)
{
	return show_emit(&((struct card_out *)arg)->t, show_purchase(r));
}

static int
each_flag(void *arg, const struct cgs_flag_row *r)
{
	return show_emit(&((struct card_out *)arg)->t, show_flag(r));
}

/* The text form's head: the card and its data. */
static void
print_head(json_t *card, json_t *data)
{
	static const char *const card_keys[] = { "status", "locked",
		"last_block_seq", "invoiced", "registered_at", "first_seen",
		"last_seen", "recovered_at", "seen_as", "seen_via", "seen_at",
		"revoked_at", NULL };
	char v[512];
	json_t *a, *e;
	size_t i;

	printf("card %s\n", json_string_value(json_object_get(card, "ua")));
	show_fields(card, card_keys, 2);
	if (data == NULL) {
		printf("data: no block accepted yet\n");
		return;
	}
	printf("data (the newest accepted block)\n");
	show_fields(data, data_keys, 2);
	for (int r = 0; r < 2; r++) {
		size_t n = 0;
		v[0] = '\0';
		a = json_object_get(data, r ? "rights" : "ecms");
		json_array_foreach(a, i, e)
		{
			char one[64], x[TJ_DATE_MAX];

			tj_text(e, r ? "expiry" : "ecms", x, sizeof(x));
			snprintf(one, sizeof(one),
			    r ? "%lld until %s" : "%lld: %s",
			    (long long)json_integer_value(
				json_object_get(e, "channel")),
			    x);
			n += (size_t)snprintf(v + n,
			    n < sizeof(v) ? sizeof(v) - n : 0, "%s%s",
			    i ? ", " : "", one);
		}
		printf("  %-16s %s\n", r ? "rights" : "ecms",
		    v[0] != '\0' ? v : "-");
	}
}

/* One part of the history: a table, or an array in the object. */
static int
part(struct cgs_db *db, struct card_out *c, json_t *obj, const char *name,
    const struct show_col *cols, int json, const uint8_t ua[PROTO_UA_LEN])
{
	int rc;

	if (!json)
		printf("\n%s\n", name);
	show_begin(&c->t, json, cols);
	if (strcmp(name, "sessions") == 0)
		rc = cgs_report_sessions(db, ua, each_session, c);
	else if (strcmp(name, "blocks") == 0)
		rc = cgs_report_blocks(db, ua, each_block, c);
	else if (strcmp(name, "commands") == 0)
		rc = cgs_report_commands(db, ua, each_command, c);
	else if (strcmp(name, "invoices") == 0)
		rc = cgs_report_purchases(db, ua, each_purchase, c);
	else
		rc = cgs_report_flags(db, ua, each_flag, c);
	if (rc == 0 && c->t.failed)
		rc = PROTO_ERR_NOMEM;
	if (json && rc == 0)
		tj_set(obj, name, json_incref(c->t.rows));
	(void)show_end(&c->t, 0);
	return rc;
}

static int
card_report(struct cgs_db *db, const struct opts *o,
    const uint8_t ua[PROTO_UA_LEN], json_t **out)
{
	static const char *const names[] = { "sessions", "blocks", "commands",
		"invoices", "flags" };
	const struct show_col *cols[] = { session_cols, block_cols,
		show_command_cols, show_purchase_cols, show_flag_cols };
	struct card_out c;
	json_t *obj = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = cgs_report_cards(db, ua, each_card, &c)) != 0 ||
	    (rc = cgs_report_card_data(db, ua, each_data, &c)) != 0)
		goto out;
	if (c.card == NULL) {
		rc = PROTO_ERR_NOTFOUND;
		goto out;
	}
	if (o->json) {
		obj = tj_object();
		tj_set(obj, "card", json_incref(c.card));
		tj_set(obj, "data",
		    c.data != NULL ? json_incref(c.data) : json_null());
	} else {
		print_head(c.card, c.data);
	}
	for (size_t i = 0; i < 5 && rc == 0; i++)
		rc = part(db, &c, obj, names[i], cols[i], o->json, ua);
	if (rc == 0)
		*out = obj;
	else
		json_decref(obj);
out:
	json_decref(c.card);
	json_decref(c.data);
	return rc;
}

int
ctl_show_card(const struct opts *o, const uint8_t ua[PROTO_UA_LEN])
{
	struct cgs_db *db = NULL;
	json_t *obj = NULL;
	int rc;

	if (ctl_db(o, CTL_DB_READ, &db) != 0)
		return UTIL_EXIT_FAIL;
	rc = card_report(db, o, ua, &obj);
	cgs_db_close(&db);
	if (rc == PROTO_ERR_NOTFOUND) {
		fprintf(stderr, "%s: card %s is not registered\n", o->who,
		    o->pos[1]);
		return UTIL_EXIT_FAIL;
	}
	if (rc != 0) {
		json_decref(obj);
		fprintf(stderr, "%s: %s: %s\n", o->who, o->dbname,
		    proto_strerror(rc));
		return UTIL_EXIT_FAIL;
	}
	if (obj != NULL)
		return util_printed(o->who, tj_print(obj));
	return util_printed(o->who, util_flush());
}
