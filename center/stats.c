/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../proto/log.h"
#include "io.h"
#include "stats.h"

#define LINE_MAX_LEN 900 /* one summary line (proto_log takes 1,024) */

/* How each counter reads in a summary, in the order it is printed. */
static const char *const ev_text[CGS_EV_N] = {
	[CGS_EV_REFUSED_FULL] = "refused busy (center full)",
	[CGS_EV_REFUSED_ADDR] = "refused busy (per-address cap)",
	[CGS_EV_REFUSED_SILENT] = "refused unanswered",
	[CGS_EV_CUT_HANDSHAKE] = "cut in the TLS handshake",
	[CGS_EV_CUT_FRAME] = "cut in a frame (idle limit)",
	[CGS_EV_CUT_SESSION] = "cut at the session deadline",
	[CGS_EV_HANDSHAKE_FAILED] = "TLS handshakes failed",
	[CGS_EV_DROPPED] = "sessions dropped (protocol)",
	[CGS_EV_NOT_RECORDED] = "sessions not recorded (database)",
	[CGS_EV_JUNK] = "sessions with no valid block",
	[CGS_EV_REFUSED_REVOKED] = "sessions refused (revoked card)",
	[CGS_EV_RECORDED] = "sessions recorded",
	[CGS_EV_REJECTED] = "blocks rejected",
};

const unsigned long cgs_hist_bounds_us[CGS_HIST_BUCKETS - 1] = { 500, 1000,
	2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000 };

struct line {
	char b[LINE_MAX_LEN];
	size_t n;
};

static void line_add(struct line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (l->n >= sizeof(l->b) - 1)
		return;
	va_start(ap, fmt);
	r = vsnprintf(l->b + l->n, sizeof(l->b) - l->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		l->n += (size_t)r < sizeof(l->b) - l->n ?
		    (size_t)r :
		    sizeof(l->b) - l->n - 1;
}

static void
hist_init(struct cgs_hist *h)
{
	for (int i = 0; i < CGS_HIST_BUCKETS; i++)
		atomic_init(&h->bucket[i], 0);
	atomic_init(&h->count, 0);
	atomic_init(&h->sum_us, 0);
}

void
cgs_hist_add(struct cgs_hist *h, unsigned long long us)
{
	int i = 0;

	while (i < CGS_HIST_BUCKETS - 1 && us > cgs_hist_bounds_us[i])
		i++;
	atomic_fetch_add(&h->bucket[i], 1);
	atomic_fetch_add(&h->sum_us, us);
	atomic_fetch_add(&h->count, 1);
}

static long long
clock_us(clockid_t id)
{
	struct timespec ts;

	(void)clock_gettime(id, &ts);
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

long long
cgs_now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

long long
cgs_cpu_us(void)
{
	return clock_us(CLOCK_THREAD_CPUTIME_ID);
}

void
cgs_stats_init(struct cgs_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < CGS_EV_N; i++) {
		atomic_init(&s->ev[i], 0);
		atomic_init(&s->logged_at[i], -CGS_STATS_INTERVAL_S * 1000L);
	}
	for (int i = 0; i < CGS_STATS_REASONS; i++)
		atomic_init(&s->junk_blocks[i], 0);
	for (int st = 0; st < CGS_STATS_STATUSES; st++)
		for (int i = 0; i < CGS_STATS_REASONS; i++)
			atomic_init(&s->blocks[st][i], 0);
	hist_init(&s->ingest);
	hist_init(&s->commit);
	s->report_at = cgs_now_ms();
}

int
cgs_stats_note(struct cgs_stats *s, enum cgs_event e)
{
	long now = cgs_now_ms(), last = atomic_load(&s->logged_at[e]);

	atomic_fetch_add(&s->ev[e], 1);
	if (now - last < CGS_STATS_INTERVAL_S * 1000L)
		return 0;
	/* one thread wins the interval's full line */
	return atomic_compare_exchange_strong(&s->logged_at[e], &last, now);
}

void
cgs_stats_junk(struct cgs_stats *s, const struct proto_up_answer *a)
{
	atomic_fetch_add(&s->ev[CGS_EV_JUNK], 1);
	for (size_t i = 0; i < a->n_res; i++)
		if (a->res[i].reason < CGS_STATS_REASONS)
			atomic_fetch_add(&s->junk_blocks[a->res[i].reason], 1);
}

void
cgs_stats_answered(struct cgs_stats *s, const struct proto_up_answer *a)
{
	for (size_t i = 0; i < a->n_res; i++)
		if (a->res[i].status < CGS_STATS_STATUSES &&
		    a->res[i].reason < CGS_STATS_REASONS)
			atomic_fetch_add(&s->blocks[a->res[i].status]
						   [a->res[i].reason],
			    1);
}

/* The counters' values less base (NULL: none) into d and dj. */
static int
deltas(struct cgs_stats *s, const unsigned long *base,
    const unsigned long *base_junk, unsigned long d[CGS_EV_N],
    unsigned long dj[CGS_STATS_REASONS])
{
	int unusual = 0;

	for (int i = 0; i < CGS_EV_N; i++) {
		d[i] = atomic_load(&s->ev[i]) - (base ? base[i] : 0);
		unusual |= i != CGS_EV_RECORDED && d[i] != 0;
	}
	for (int i = 0; i < CGS_STATS_REASONS; i++)
		dj[i] = atomic_load(&s->junk_blocks[i]) -
		    (base_junk ? base_junk[i] : 0);
	return unusual;
}

static void
say(const char *what, const unsigned long d[CGS_EV_N],
    const unsigned long dj[CGS_STATS_REASONS])
{
	struct line l = { .n = 0 };
	unsigned long blocks = 0;
	const char *sep = "";

	for (int i = 0; i < CGS_EV_N; i++) {
		if (d[i] == 0)
			continue;
		line_add(&l, "%s%lu %s", sep, d[i], ev_text[i]);
		sep = ", ";
		if (i != CGS_EV_JUNK)
			continue;
		for (int r = 0; r < CGS_STATS_REASONS; r++)
			blocks += dj[r];
		line_add(&l, " (%lu blocks:", blocks);
		for (uint8_t r = 0; r < CGS_STATS_REASONS; r++)
			if (dj[r] != 0)
				line_add(&l, " %lu %s", dj[r],
				    proto_up_reason(r));
		line_add(&l, ")");
	}
	proto_log(PROTO_LOG_NOTICE, "%s: %s", what,
	    l.n > 0 ? l.b : "nothing refused, cut or counted");
}

void
cgs_stats_report(struct cgs_stats *s, int final)
{
	unsigned long d[CGS_EV_N], dj[CGS_STATS_REASONS];
	long now = cgs_now_ms();
	char what[48];

	if (final) {
		(void)deltas(s, NULL, NULL, d, dj);
		say("since the start", d, dj);
		return;
	}
	if (now - s->report_at < CGS_STATS_INTERVAL_S * 1000L)
		return;
	if (deltas(s, s->seen, s->seen_junk, d, dj)) {
		snprintf(what, sizeof(what), "in the last %ld s",
		    (now - s->report_at) / 1000);
		say(what, d, dj);
	}
	for (int i = 0; i < CGS_EV_N; i++)
		s->seen[i] += d[i];
	for (int i = 0; i < CGS_STATS_REASONS; i++)
		s->seen_junk[i] += dj[i];
	s->report_at = now;
}
