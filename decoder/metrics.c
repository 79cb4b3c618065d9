/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../proto/file.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "metrics.h"

/* The text being built: it stops growing once it overflows. */
struct out {
	char *buf;
	size_t cap, len;
	int over;
};

static void
add(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->over = 1;
	else
		o->len += (size_t)n;
}

/* A metric's HELP and TYPE lines. */
static void
head(struct out *o, const char *name, const char *type, const char *help)
{
	add(o, "# HELP ptv_decoder_%s %s\n# TYPE ptv_decoder_%s %s\n", name,
	    help, name, type);
}

/* A metric of one value. */
static void
one(struct out *o, const char *name, const char *type, const char *help,
    unsigned long long v)
{
	head(o, name, type, help);
	add(o, "ptv_decoder_%s %llu\n", name, v);
}

/*
 * The counters: each a field of struct dec_counters, or a family of them
 * under one label (its series end at a NULL value).
 */
#define C(f) offsetof(struct dec_counters, f)
struct series {
	const char *value;
	size_t off;
};
struct counter {
	const char *name, *help, *label;
	struct series s[5];
};

static const struct counter counter_defs[] = {
	{ "exports_total", "Exports of the present card into M1.", NULL,
	    { { NULL, C(exports) } } },
	{ "export_failures_total",
	    "Exports that failed (M1 and its file unchanged).", NULL,
	    { { NULL, C(export_failures) } } },
	{ "uplinks_total",
	    "Uplink sessions by outcome: ok, rejected (the center refused a "
	    "block), failed (no answer).",
	    "outcome",
	    { { "ok", C(uplinks_ok) }, { "rejected", C(uplinks_rejected) },
		{ "failed", C(uplinks_failed) } } },
	{ "uplink_blocks_total", "Blocks sent to the center, by its verdict.",
	    "result",
	    { { "accepted", C(blocks_accepted) },
		{ "duplicate", C(blocks_duplicate) },
		{ "rejected", C(blocks_rejected) } } },
	{ "commands_applied_total", "Commands of the center the card took.",
	    NULL, { { NULL, C(commands_applied) } } },
	{ "m1_acked_total",
	    "M1 entries deleted because the center acknowledged them.", NULL,
	    { { NULL, C(m1_acked) } } },
	{ "card_events_total",
	    "Card events: insertions (a card opened), removals (its session "
	    "ended), resets (reconnected).",
	    "event",
	    { { "inserted", C(inserted) }, { "removed", C(removed) },
		{ "reset", C(resets) } } },
	{ "ecms_total",
	    "ECMs fed to the card, by outcome: cw, denied, offer, failed.",
	    "outcome",
	    { { "cw", C(ecm_cw) }, { "denied", C(ecm_denied) },
		{ "offer", C(ecm_offer) }, { "failed", C(ecm_failed) } } },
	{ "purchases_total", "Impulse purchases, by outcome: made, refused.",
	    "outcome",
	    { { "made", C(purchases) }, { "refused", C(purchases_refused) } } },
};

static unsigned long long
field(const struct dec_counters *n, size_t off)
{
	unsigned long v;

	memcpy(&v, (const char *)n + off, sizeof(v));
	return v;
}

static void
counters(struct out *o, const struct dec_counters *n)
{
	for (size_t i = 0; i < sizeof(counter_defs) / sizeof(counter_defs[0]);
	     i++) {
		const struct counter *c = &counter_defs[i];

		head(o, c->name, "counter", c->help);
		if (c->label == NULL) {
			add(o, "ptv_decoder_%s %llu\n", c->name,
			    field(n, c->s[0].off));
			continue;
		}
		for (const struct series *s = c->s; s->value != NULL; s++)
			add(o, "ptv_decoder_%s{%s=\"%s\"} %llu\n", c->name,
			    c->label, s->value, field(n, s->off));
	}
}

static void
gauges(struct out *o, const struct dec_state *st)
{
	size_t pending = dec_m1_pending(&st->m1);

	head(o, "m1_entries", "gauge", "M1's entries, by state.");
	add(o,
	    "ptv_decoder_m1_entries{state=\"pending\"} %zu\n"
	    "ptv_decoder_m1_entries{state=\"acked\"} %zu\n",
	    pending, st->m1.n - pending);
	one(o, "card_present", "gauge", "1 while a card of ours is open.",
	    (unsigned long long)st->has_card);
	one(o, "card_locked", "gauge",
	    "1 while the present card is transfer-locked.",
	    (unsigned long long)(st->has_card && st->card.st.locked));
	one(o, "uplink_running", "gauge", "1 while an uplink session runs.",
	    (unsigned long long)(st->sync != NULL));
	one(o, "last_export_timestamp_seconds", "gauge",
	    "When the last export into M1 was made (0: none yet).",
	    (unsigned long long)(st->last_export > 0 ? st->last_export : 0));
	one(o, "last_uplink_timestamp_seconds", "gauge",
	    "When the last uplink session went through (0: none yet).",
	    (unsigned long long)(st->last_uplink > 0 ? st->last_uplink : 0));
}

size_t
dec_metrics_text(const struct dec_state *st, char *buf, size_t cap)
{
	struct out o = { .buf = buf, .cap = cap };

	if (cap == 0)
		return 0;
	buf[0] = '\0';
	counters(&o, &st->n);
	gauges(&o, st);
	return o.over ? 0 : o.len;
}

int
dec_metrics_file_tick(struct dec_metrics_file *mf, const struct dec_state *st,
    int force)
{
	static char text[DEC_METRICS_MAX];
	long now = dec_now_ms();
	size_t len;
	int rc;

	if (st->cfg.metrics_file[0] == '\0')
		return -1;
	if ((len = dec_metrics_text(st, text, sizeof(text))) == 0)
		return -1;
	if (len == mf->last_len && memcmp(text, mf->last, len) == 0)
		return -1;
	if (!force && now < mf->next_ms)
		return (int)(mf->next_ms - now);
	mf->next_ms = now + DEC_METRICS_FILE_MS;
	if ((rc = proto_file_replace(st->cfg.metrics_file, text, len, 0644)) !=
	    0) {
		if (!mf->failing)
			proto_log(PROTO_LOG_WARNING,
			    "%s: cannot write %s: %s; trying again", __func__,
			    st->cfg.metrics_file, proto_strerror(rc));
		mf->failing = 1;
		return DEC_METRICS_FILE_MS;
	}
	if (mf->failing)
		proto_log(PROTO_LOG_NOTICE, "metrics written to %s again",
		    st->cfg.metrics_file);
	mf->failing = 0;
	memcpy(mf->last, text, len);
	mf->last_len = len;
	return -1;
}
