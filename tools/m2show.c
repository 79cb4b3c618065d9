/* SPDX-License-Identifier: BSD-2-Clause */
/* Every field of an M2, as text lines or JSON members. */
#include "../proto/cmd.h"
#include "json.h"
#include "m2show.h"

const char *
m2show_path_name(uint8_t path)
{
	return path == PROTO_CMD_PATH_BROADCAST ? "broadcast" : "uplink";
}

static const char *
yes_no(int v)
{
	return v ? "yes" : "no";
}

void
m2show_text(FILE *f, const struct proto_m2 *m, const char *in)
{
	char d[TJ_DATE_MAX];

	fprintf(f, "%scredit          %u\n", in, m->credit);
	fprintf(f, "%stransfer lock   %s\n", in,
	    m->locked ? "locked" : "unlocked");
	fprintf(f,
	    "%spurchases       %u made, %u acknowledged, %u in the log\n", in,
	    m->purchase_seq, m->acked_seq, m->n_purchases);
	fprintf(f, "%schange ctr      %u\n", in, m->change_ctr);
	fprintf(f, "%scommand ctrs    uplink %u, broadcast %u\n", in,
	    m->cmd_ctr, m->bcast_ctr);
	tj_date(m->clock, d);
	fprintf(f, "%sclock           %s\n", in, d);
	fprintf(f, "%sflags           export requested %s, disabled %s\n", in,
	    yes_no(m->flags & PROTO_M2_FLAG_EXPORT),
	    yes_no(m->flags & PROTO_M2_FLAG_DISABLED));
	fprintf(f, "%sversions        %u.%u.%u.%u\n", in, m->versions[0],
	    m->versions[1], m->versions[2], m->versions[3]);
	fprintf(f,
	    "%scounters        %u control words, %u denials, %u power-ups\n",
	    in, m->cws, m->denials, m->powerups);
	for (unsigned i = 0; i < m->n_counts; i++)
		fprintf(f, "%secms            channel %u: %u\n", in,
		    m->counts[i].channel, m->counts[i].ecms);
	for (unsigned i = 0; i < m->n_rights; i++) {
		tj_date(m->rights[i].expiry, d);
		fprintf(f, "%sright           channel %u until %s\n", in,
		    m->rights[i].channel, d);
	}
	for (unsigned i = 0; i < m->n_purchases; i++) {
		tj_date(m->purchases[i].time, d);
		fprintf(f,
		    "%spurchase        #%u event %u channel %u price %u at "
		    "%s\n",
		    in, m->purchases[i].seq, m->purchases[i].event,
		    m->purchases[i].channel, m->purchases[i].price, d);
	}
	for (unsigned i = 0; i < m->n_outcomes; i++)
		fprintf(f, "%soutcome         %s #%u %s: %04X\n", in,
		    m2show_path_name(m->outcomes[i].path),
		    m->outcomes[i].counter, proto_cmd_name(m->outcomes[i].type),
		    m->outcomes[i].sw);
}

/* ECMs per channel (rights 0) or the rights (1). */
static json_t *
channel_list(const struct proto_m2 *m, int rights)
{
	json_t *a = tj_array(), *p;
	unsigned n = rights ? m->n_rights : m->n_counts;

	for (unsigned i = 0; i < n; i++) {
		p = tj_object();
		if (rights) {
			tj_set_int(p, "channel", m->rights[i].channel);
			tj_set_time(p, "expiry", m->rights[i].expiry);
		} else {
			tj_set_int(p, "channel", m->counts[i].channel);
			tj_set_int(p, "ecms", m->counts[i].ecms);
		}
		tj_append(a, p);
	}
	return a;
}

json_t *
m2show_purchase(const uint8_t *ua, const struct proto_purchase *p)
{
	json_t *o = tj_object();

	tj_set_ua(o, "ua", ua);
	tj_set_int(o, "seq", p->seq);
	tj_set_int(o, "event", p->event);
	tj_set_int(o, "channel", p->channel);
	tj_set_int(o, "price", p->price);
	tj_set_time(o, "bought_at", p->time);
	return o;
}

static json_t *
outcome_list(const struct proto_m2 *m)
{
	json_t *a = tj_array(), *p;

	for (unsigned i = 0; i < m->n_outcomes; i++) {
		p = tj_object();
		tj_set_str(p, "path", m2show_path_name(m->outcomes[i].path));
		tj_set_int(p, "counter", m->outcomes[i].counter);
		tj_set_str(p, "type", proto_cmd_name(m->outcomes[i].type));
		tj_set_sw(p, "sw", 1, m->outcomes[i].sw);
		tj_append(a, p);
	}
	return a;
}

void
m2show_fields(json_t *o, const struct proto_m2 *m)
{
	char v[24];

	tj_set_int(o, "credit", m->credit);
	tj_set_bool(o, "locked", m->locked);
	tj_set_int(o, "purchase_seq", m->purchase_seq);
	tj_set_int(o, "acked_seq", m->acked_seq);
	tj_set_int(o, "change_ctr", m->change_ctr);
	tj_set_int(o, "cmd_ctr", m->cmd_ctr);
	tj_set_int(o, "bcast_ctr", m->bcast_ctr);
	tj_set_time(o, "clock", m->clock);
	tj_set_bool(o, "export_requested", m->flags & PROTO_M2_FLAG_EXPORT);
	tj_set_bool(o, "disabled", m->flags & PROTO_M2_FLAG_DISABLED);
	snprintf(v, sizeof(v), "%u.%u.%u.%u", m->versions[0], m->versions[1],
	    m->versions[2], m->versions[3]);
	tj_set_str(o, "versions", v);
	tj_set_int(o, "cws", m->cws);
	tj_set_int(o, "denials", m->denials);
	tj_set_int(o, "powerups", m->powerups);
	tj_set(o, "ecms", channel_list(m, 0));
	tj_set(o, "rights", channel_list(m, 1));
}

void
m2show_json(json_t *o, const struct proto_m2 *m, const uint8_t *ua)
{
	json_t *a = tj_array();

	m2show_fields(o, m);
	for (unsigned i = 0; i < m->n_purchases; i++)
		tj_append(a, m2show_purchase(ua, &m->purchases[i]));
	tj_set(o, "purchases", a);
	tj_set(o, "outcomes", outcome_list(m));
}
