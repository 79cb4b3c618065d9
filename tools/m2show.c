/* SPDX-License-Identifier: BSD-2-Clause */
/* Every field of an M2, as text lines or JSON members. */
#include "../proto/cmd.h"
#include "m2show.h"

static const char *
path_name(uint8_t path)
{
	return path == PROTO_CMD_PATH_BROADCAST ? "broadcast" : "uplink";
}

static const char *
yes_no(int v)
{
	return v ? "yes" : "no";
}

static const char *
json_bool(int v)
{
	return v ? "true" : "false";
}

void
m2show_text(FILE *f, const struct proto_m2 *m, const char *in)
{
	fprintf(f, "%scredit          %u\n", in, m->credit);
	fprintf(f, "%stransfer lock   %s\n", in,
	    m->locked ? "locked" : "unlocked");
	fprintf(f,
	    "%spurchases       %u made, %u acknowledged, %u in the log\n", in,
	    m->purchase_seq, m->acked_seq, m->n_purchases);
	fprintf(f, "%schange ctr      %u\n", in, m->change_ctr);
	fprintf(f, "%scommand ctrs    uplink %u, broadcast %u\n", in,
	    m->cmd_ctr, m->bcast_ctr);
	fprintf(f, "%sclock           %u\n", in, m->clock);
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
	for (unsigned i = 0; i < m->n_rights; i++)
		fprintf(f, "%sright           channel %u until %u\n", in,
		    m->rights[i].channel, m->rights[i].expiry);
	for (unsigned i = 0; i < m->n_purchases; i++)
		fprintf(f,
		    "%spurchase        #%u event %u channel %u price %u at "
		    "%u\n",
		    in, m->purchases[i].seq, m->purchases[i].event,
		    m->purchases[i].channel, m->purchases[i].price,
		    m->purchases[i].time);
	for (unsigned i = 0; i < m->n_outcomes; i++)
		fprintf(f, "%soutcome         %s #%u %s: %04X\n", in,
		    path_name(m->outcomes[i].path), m->outcomes[i].counter,
		    proto_cmd_name(m->outcomes[i].type), m->outcomes[i].sw);
}

static void
json_lists(FILE *f, const struct proto_m2 *m)
{
	fprintf(f, ",\"ecms\":[");
	for (unsigned i = 0; i < m->n_counts; i++)
		fprintf(f, "%s{\"channel\":%u,\"ecms\":%u}", i ? "," : "",
		    m->counts[i].channel, m->counts[i].ecms);
	fprintf(f, "],\"rights\":[");
	for (unsigned i = 0; i < m->n_rights; i++)
		fprintf(f, "%s{\"channel\":%u,\"expiry\":%u}", i ? "," : "",
		    m->rights[i].channel, m->rights[i].expiry);
	fprintf(f, "],\"purchases\":[");
	for (unsigned i = 0; i < m->n_purchases; i++)
		fprintf(f,
		    "%s{\"seq\":%u,\"event\":%u,\"channel\":%u,\"price\":%u,"
		    "\"time\":%u}",
		    i ? "," : "", m->purchases[i].seq, m->purchases[i].event,
		    m->purchases[i].channel, m->purchases[i].price,
		    m->purchases[i].time);
	fprintf(f, "],\"outcomes\":[");
	for (unsigned i = 0; i < m->n_outcomes; i++)
		fprintf(f,
		    "%s{\"path\":\"%s\",\"counter\":%u,\"type\":\"%s\","
		    "\"sw\":\"%04X\"}",
		    i ? "," : "", path_name(m->outcomes[i].path),
		    m->outcomes[i].counter, proto_cmd_name(m->outcomes[i].type),
		    m->outcomes[i].sw);
	fprintf(f, "]");
}

void
m2show_json(FILE *f, const struct proto_m2 *m)
{
	fprintf(f,
	    "\"credit\":%u,\"locked\":%s,\"purchase_seq\":%u,"
	    "\"acked_seq\":%u,\"change_ctr\":%u,\"cmd_ctr\":%u,"
	    "\"bcast_ctr\":%u,\"clock\":%u,\"export_requested\":%s,"
	    "\"disabled\":%s,\"versions\":\"%u.%u.%u.%u\",\"cws\":%u,"
	    "\"denials\":%u,\"powerups\":%u",
	    m->credit, json_bool(m->locked), m->purchase_seq, m->acked_seq,
	    m->change_ctr, m->cmd_ctr, m->bcast_ctr, m->clock,
	    json_bool(m->flags & PROTO_M2_FLAG_EXPORT),
	    json_bool(m->flags & PROTO_M2_FLAG_DISABLED), m->versions[0],
	    m->versions[1], m->versions[2], m->versions[3], m->cws, m->denials,
	    m->powerups);
	json_lists(f, m);
}
