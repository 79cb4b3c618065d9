/* SPDX-License-Identifier: BSD-2-Clause */
/* The rows of report.h as JSON (view_row.h). */
#include <stdio.h>
#include <string.h>

#include "../proto/buf.h"
#include "../proto/proto.h"
#include "view_row.h"

json_t *
cgs_view_hex(const uint8_t *b, size_t n)
{
	char hex[2 * PROTO_DECODER_ID_LEN + 1];

	if (n > PROTO_DECODER_ID_LEN)
		return NULL;
	proto_hex(b, n, hex);
	return json_string(hex);
}

json_t *
cgs_view_ua(int has, const uint8_t ua[PROTO_UA_LEN])
{
	return has ? cgs_view_hex(ua, PROTO_UA_LEN) : json_null();
}

json_t *
cgs_view_time(int64_t t)
{
	return t != 0 ? json_integer(t) : json_null();
}

int
cgs_view_list_add(struct cgs_view_list *l, json_t *row)
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

int
cgs_view_list_done(int rc)
{
	return rc == 1 ? 0 : rc;
}

int
cgs_view_set(json_t *o, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(o, key, v) == 0 ?
	    0 :
	    PROTO_ERR_NOMEM;
}

static json_t *
card_json(const struct cgs_card_row *r)
{
	return json_pack("{s:o, s:s, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o, "
			 "s:o, s:o?, s:o}",
	    "ua", cgs_view_ua(1, r->ua), "status", r->status, "locked",
	    r->locked < 0 ? json_null() : json_boolean(r->locked),
	    "last_block_seq", (json_int_t)r->last_block_seq, "invoiced",
	    (json_int_t)r->invoiced, "registered_at",
	    cgs_view_time(r->registered_at), "first_seen",
	    cgs_view_time(r->first_seen), "last_seen",
	    cgs_view_time(r->last_seen), "recovered_at",
	    cgs_view_time(r->recovered_at), "seen_via",
	    r->has_seen ? cgs_view_hex(r->seen_via, PROTO_DECODER_ID_LEN) :
			  json_null(),
	    "seen_at", cgs_view_time(r->seen_at), "seen_as",
	    r->seen_as[0] != '\0' ? json_string(r->seen_as) : NULL,
	    "revoked_at", cgs_view_time(r->revoked_at));
}

int
cgs_view_row_card(void *arg, const struct cgs_card_row *r)
{
	return cgs_view_list_add(arg, card_json(r));
}

static json_t *
purchase_json(const struct cgs_purchase_row *r)
{
	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:I, s:o, s:s}",
	    "ua", cgs_view_ua(1, r->ua), "seq", (json_int_t)r->p.seq, "event",
	    (json_int_t)r->p.event, "channel", (json_int_t)r->p.channel,
	    "price", (json_int_t)r->p.price, "bought_at",
	    cgs_view_time(r->p.time), "recorded_at",
	    cgs_view_time(r->recorded_at), "session", (json_int_t)r->session,
	    "via", cgs_view_ua(r->has_via, r->via), "origin", r->origin);
}

int
cgs_view_row_purchase(void *arg, const struct cgs_purchase_row *r)
{
	return cgs_view_list_add(arg, purchase_json(r));
}

int
cgs_view_row_flag(void *arg, const struct cgs_flag_row *r)
{
	return cgs_view_list_add(arg,
	    json_pack("{s:I, s:o, s:I, s:o, s:s}", "id", (json_int_t)r->id,
		"ua", cgs_view_ua(r->has_ua, r->ua), "session",
		(json_int_t)r->session, "at", cgs_view_time(r->at), "what",
		r->what));
}

int
cgs_view_row_command(void *arg, const struct cgs_command_row *r)
{
	char sw[8];

	snprintf(sw, sizeof(sw), "%04X", r->sw);
	return cgs_view_list_add(arg,
	    json_pack("{s:s, s:I, s:s, s:I, s:I, s:s, s:o, s:I, s:o, s:o, "
		      "s:o, s:o}",
		"path",
		r->path == PROTO_CMD_PATH_BROADCAST ? "broadcast" : "uplink",
		"counter", (json_int_t)r->counter, "type", r->type, "arg1",
		(json_int_t)r->arg1, "arg2", (json_int_t)r->arg2, "state",
		r->state, "sw", r->has_sw ? json_string(sw) : json_null(),
		"sends", (json_int_t)r->sends, "created_at",
		cgs_view_time(r->created_at), "sent_at",
		cgs_view_time(r->sent_at), "outcome_at",
		cgs_view_time(r->outcome_at), "cancelled_at",
		cgs_view_time(r->cancelled_at)));
}

int
cgs_view_row_session(void *arg, const struct cgs_session_row *r)
{
	return cgs_view_list_add(arg,
	    json_pack("{s:I, s:o, s:o, s:o, s:I, s:I, s:I}", "id",
		(json_int_t)r->id, "started_at", cgs_view_time(r->started_at),
		"decoder", cgs_view_hex(r->decoder_id, PROTO_DECODER_ID_LEN),
		"present", cgs_view_ua(r->has_present, r->present), "blocks",
		(json_int_t)r->blocks, "invoiced", (json_int_t)r->invoiced,
		"flagged", (json_int_t)r->flagged));
}

int
cgs_view_row_block(void *arg, const struct cgs_block_row *r)
{
	return cgs_view_list_add(arg,
	    json_pack("{s:I, s:o, s:o, s:o, s:I, s:s, s:s, s:s}", "session",
		(json_int_t)r->session, "received_at",
		cgs_view_time(r->received_at), "decoder",
		cgs_view_hex(r->decoder_id, PROTO_DECODER_ID_LEN), "ua",
		cgs_view_ua(r->has_ua, r->ua), "seq", (json_int_t)r->seq,
		"origin", r->origin, "status", r->status, "reason", r->reason));
}

int
cgs_view_row_data(void *arg, const struct cgs_card_data *d)
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
			    cgs_view_time(m->rights[i].expiry))) != 0)
			rc = PROTO_ERR_NOMEM;
	o = json_pack("{s:I, s:s, s:I, s:o, s:o, s:I, s:I, s:I, s:I, s:I, "
		      "s:I, s:b, s:I, s:o, s:I, s:I, s:I, s:o, s:o, s:o}",
	    "block_seq", (json_int_t)d->block_seq, "origin",
	    d->origin == CGS_ORIGIN_RECOVERED ? "recovered" : "present",
	    "session", (json_int_t)d->session_id, "received_at",
	    cgs_view_time(d->received_at), "decoder",
	    cgs_view_hex(d->decoder_id, PROTO_DECODER_ID_LEN), "credit",
	    (json_int_t)m->credit, "purchase_seq", (json_int_t)m->purchase_seq,
	    "acked_seq", (json_int_t)m->acked_seq, "change_ctr",
	    (json_int_t)m->change_ctr, "cmd_ctr", (json_int_t)m->cmd_ctr,
	    "bcast_ctr", (json_int_t)m->bcast_ctr, "locked", m->locked != 0,
	    "flags", (json_int_t)m->flags, "versions",
	    cgs_view_hex(m->versions, PROTO_VERSIONS_LEN), "cws",
	    (json_int_t)m->cws, "denials", (json_int_t)m->denials, "powerups",
	    (json_int_t)m->powerups, "clock", cgs_view_time(m->clock), "ecms",
	    ecms, "rights", rights);
	if (o == NULL || rc != 0) {
		json_decref(o);
		return PROTO_ERR_NOMEM;
	}
	*(json_t **)arg = o;
	return 0;
}

int
cgs_view_row_count(void *arg, const struct cgs_count_row *r)
{
	return cgs_view_list_add(arg,
	    json_pack("{s:s, s:s, s:I}", "status", r->status, "reason",
		r->reason, "n", (json_int_t)r->n));
}
