/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * /metrics (view.h): the center's counters in the Prometheus text
 * exposition format, version 0.0.4.  Counters since centerd started;
 * gauges (cards by status, anomalies) read from the database.
 */
#include <string.h>

#include "../proto/proto.h"
#include "view.h"

#define PREFIX "ptv_center_"

static void
family(struct cgs_sb *sb, const char *name, const char *type, const char *help)
{
	cgs_sb_printf(sb, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n",
	    name, help, name, type);
}

/* A label value: \ " and newline escaped, as the format asks. */
static void
label(struct cgs_sb *sb, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			cgs_sb_printf(sb, "\\%c", *v);
		else if (*v == '\n')
			cgs_sb_raw(sb, "\\n");
		else
			cgs_sb_printf(sb, "%c", *v);
	}
}

static unsigned long
ev(const struct cgs_stats *s, enum cgs_event e)
{
	return atomic_load(&s->ev[e]);
}

/* One labelled sample: NAME{KEY="VAL"} N */
static void
sample(struct cgs_sb *sb, const char *name, const char *key, const char *val,
    unsigned long long n)
{
	cgs_sb_printf(sb, PREFIX "%s{%s=\"", name, key);
	label(sb, val);
	cgs_sb_printf(sb, "\"} %llu\n", n);
}

static void
sessions(struct cgs_sb *sb, const struct cgs_stats *s)
{
	static const struct {
		const char *outcome;
		enum cgs_event e;
	} out[] = {
		{ "recorded", CGS_EV_RECORDED },
		{ "no_valid_block", CGS_EV_JUNK },
		{ "refused_revoked", CGS_EV_REFUSED_REVOKED },
		{ "dropped_protocol", CGS_EV_DROPPED },
		{ "not_recorded_database", CGS_EV_NOT_RECORDED },
	};

	family(sb, "sessions_total", "counter",
	    "Uplink sessions read, by what became of them.");
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
		sample(sb, "sessions_total", "outcome", out[i].outcome,
		    ev(s, out[i].e));
}

static void
connections(struct cgs_sb *sb, const struct cgs_stats *s)
{
	static const struct {
		const char *name, *label, *val;
		enum cgs_event e;
	} c[] = {
		{ "connections_refused_total", "reason", "full",
		    CGS_EV_REFUSED_FULL },
		{ "connections_refused_total", "reason", "per_address",
		    CGS_EV_REFUSED_ADDR },
		{ "connections_refused_total", "reason", "unanswered",
		    CGS_EV_REFUSED_SILENT },
		{ "connections_cut_total", "stage", "handshake",
		    CGS_EV_CUT_HANDSHAKE },
		{ "connections_cut_total", "stage", "frame", CGS_EV_CUT_FRAME },
		{ "connections_cut_total", "stage", "session",
		    CGS_EV_CUT_SESSION },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (i == 0)
			family(sb, c[i].name, "counter",
			    "Connections refused busy (ERROR 07) or closed "
			    "unanswered.");
		else if (i == 3)
			family(sb, c[i].name, "counter",
			    "Connections cut at a time limit.");
		sample(sb, c[i].name, c[i].label, c[i].val, ev(s, c[i].e));
	}
	family(sb, "tls_handshakes_failed_total", "counter",
	    "TLS handshakes that failed (not for time).");
	cgs_sb_printf(sb, PREFIX "tls_handshakes_failed_total %lu\n",
	    ev(s, CGS_EV_HANDSHAKE_FAILED));
}

static void
blocks(struct cgs_sb *sb, const struct cgs_stats *s)
{
	static const char *const status[CGS_STATS_STATUSES] = { "accepted",
		"duplicate", "rejected" };

	family(sb, "blocks_total", "counter",
	    "Blocks answered, by RESULT status and reason (sessions recorded "
	    "or not).");
	for (int st = 0; st < CGS_STATS_STATUSES; st++)
		for (uint8_t r = 0; r < CGS_STATS_REASONS; r++) {
			unsigned long n = atomic_load(&s->blocks[st][r]);

			/* the zeroes of a status a reason never has: left out */
			if (n == 0 && !(r == PROTO_UP_OK && st != 2))
				continue;
			cgs_sb_printf(sb,
			    PREFIX "blocks_total{status=\"%s\",reason=\"",
			    status[st]);
			label(sb, proto_up_reason(r));
			cgs_sb_printf(sb, "\"} %lu\n", n);
		}
}

static void
histogram(struct cgs_sb *sb, const char *name, const char *help,
    const struct cgs_hist *h)
{
	unsigned long long cum = 0;

	family(sb, name, "histogram", help);
	for (int i = 0; i < CGS_HIST_BUCKETS; i++) {
		cum += atomic_load(&h->bucket[i]);
		if (i < CGS_HIST_BUCKETS - 1)
			cgs_sb_printf(sb, PREFIX "%s_bucket{le=\"%g\"} %llu\n",
			    name, (double)cgs_hist_bounds_us[i] / 1e6, cum);
		else
			cgs_sb_printf(sb,
			    PREFIX "%s_bucket{le=\"+Inf\"} %llu\n", name, cum);
	}
	cgs_sb_printf(sb, PREFIX "%s_sum %.6f\n" PREFIX "%s_count %lu\n", name,
	    (double)atomic_load(&h->sum_us) / 1e6, name,
	    atomic_load(&h->count));
}

static int
card_count(void *arg, const struct cgs_count_row *r)
{
	sample(arg, "cards", "status", r->status, r->n);
	return 0;
}

int
cgs_metrics_text(struct cgs_db *db, const struct cgs_stats *stats,
    struct cgs_sb *sb)
{
	uint64_t flags;
	int rc;

	sessions(sb, stats);
	connections(sb, stats);
	blocks(sb, stats);
	histogram(sb, "ingest_seconds",
	    "A session's ingest: from its last frame read to its commit.",
	    &stats->ingest);
	histogram(sb, "db_commit_seconds",
	    "The database commit of a recorded session.", &stats->commit);
	if (db == NULL)
		return 0;
	family(sb, "cards", "gauge", "Cards registered, by status.");
	if ((rc = cgs_report_card_counts(db, card_count, sb)) != 0 ||
	    (rc = cgs_report_flag_count(db, &flags)) != 0)
		return rc;
	family(sb, "anomalies", "gauge", "Anomalies (flags) recorded.");
	cgs_sb_printf(sb, PREFIX "anomalies %llu\n", (unsigned long long)flags);
	return 0;
}
