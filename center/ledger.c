/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <string.h>

#include "../proto/buf.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "ledger.h"

void
cgs_ledger_begin(struct cgs_ledger *l, struct cgs_db *db,
    const struct cgs_stamp *at)
{
	memset(l, 0, sizeof(*l));
	l->db = db;
	l->at = *at;
}

int
cgs_ledger_flag(struct cgs_ledger *l, const uint8_t ua[PROTO_UA_LEN],
    const char *what)
{
	char uah[2 * PROTO_UA_LEN + 1];

	proto_hex(ua, PROTO_UA_LEN, uah);
	l->flagged++;
	proto_log(PROTO_LOG_WARNING, "card %s: %s", uah, what);
	return cgs_db_flag(l->db, &l->at, ua, what);
}

/* One counter that only grows on a card, in an older and a newer block. */
struct mono {
	const char *name;
	uint32_t was, now;
};

/* "name was -> now, ..." of the counters that went down, added to what;
 * *k counts them. */
static void
went_down(const struct mono *c, size_t n, char *what, size_t cap, size_t *k)
{
	size_t len = strlen(what);

	for (size_t i = 0; i < n; i++) {
		if (c[i].now >= c[i].was)
			continue;
		len += (size_t)snprintf(what + len, len < cap ? cap - len : 0,
		    "%s%s %u -> %u", (*k)++ ? ", " : "", c[i].name, c[i].was,
		    c[i].now);
	}
}

/* The counters of prev (older) against m (newer block seq): flagged if
 * any went down -- one card's counters only grow. */
static int
check_counters(struct cgs_ledger *l, const uint8_t ua[PROTO_UA_LEN],
    const struct cgs_card_data *prev, uint32_t seq, const struct proto_m2 *m)
{
	const struct proto_m2 *o = &prev->m;
	const struct mono c[] = {
		{ "purchase seq", o->purchase_seq, m->purchase_seq },
		{ "acknowledged seq", o->acked_seq, m->acked_seq },
		{ "change counter", o->change_ctr, m->change_ctr },
		{ "uplink command counter", o->cmd_ctr, m->cmd_ctr },
		{ "broadcast command counter", o->bcast_ctr, m->bcast_ctr },
		{ "control words", o->cws, m->cws },
		{ "denials", o->denials, m->denials },
		{ "power-ups", o->powerups, m->powerups },
		{ "clock", o->clock, m->clock },
	};
	struct mono ch;
	char what[512];
	size_t k = 0;

	snprintf(what, sizeof(what),
	    "counters went backwards in block %u (after block %u): ", seq,
	    prev->block_seq);
	went_down(c, sizeof(c) / sizeof(c[0]), what, sizeof(what), &k);
	for (unsigned i = 0; i < o->n_counts; i++)
		for (unsigned j = 0; j < m->n_counts; j++)
			if (o->counts[i].channel == m->counts[j].channel) {
				ch = (struct mono){ "ECMs", o->counts[i].ecms,
					m->counts[j].ecms };
				went_down(&ch, 1, what, sizeof(what), &k);
			}
	return k > 0 ? cgs_ledger_flag(l, ua, what) : 0;
}

int
cgs_ledger_check_sequences(struct cgs_ledger *l, const struct cgs_card *card,
    const struct cgs_card_data *prev, int origin, uint32_t block_seq,
    const struct proto_m2 *m)
{
	char what[160];
	int rc;

	/* a fresh block's sequence is new: the card issues each once */
	if (origin == CGS_ORIGIN_PRESENT && block_seq <= card->last_block_seq) {
		snprintf(what, sizeof(what),
		    "export sequence went backwards: the card itself sent %u "
		    "after %u",
		    block_seq, card->last_block_seq);
		if ((rc = cgs_ledger_flag(l, card->ua, what)) != 0)
			return rc;
	}
	if (prev != NULL && block_seq > prev->block_seq &&
	    (rc = check_counters(l, card->ua, prev, block_seq, m)) != 0)
		return rc;
	if ((int64_t)m->acked_seq > card->max_invoiced) {
		snprintf(what, sizeof(what),
		    "purchase sequence jumps: the card freed up to %u, the "
		    "ledger holds up to %lld",
		    m->acked_seq, (long long)card->max_invoiced);
		if ((rc = cgs_ledger_flag(l, card->ua, what)) != 0)
			return rc;
	}
	return 0;
}

int
cgs_purchase_same(const struct proto_purchase *a,
    const struct proto_purchase *b)
{
	return a->seq == b->seq && a->event == b->event &&
	    a->price == b->price && a->time == b->time;
}

/* A purchase the ledger holds already (had): the same one, or a
 * contradiction, recorded and flagged the first time it is seen. */
static int
compare_had(struct cgs_ledger *l, const struct cgs_card *card,
    const struct proto_purchase *p, const struct proto_purchase *had)
{
	char what[200];
	int rc, added;

	if (cgs_purchase_same(had, p))
		return 0;
	if ((rc = cgs_db_conflict_add(l->db, &l->at, card->ua, p, &added)) !=
		0 ||
	    !added)
		return rc;
	snprintf(what, sizeof(what),
	    "purchase %u differs from the one invoiced: event %u price %u at "
	    "%u, invoiced event %u price %u at %u",
	    p->seq, p->event, p->price, p->time, had->event, had->price,
	    had->time);
	return cgs_ledger_flag(l, card->ua, what);
}

/* A purchase the ledger did not hold when read: invoiced, once.  An
 * insert that finds the row there already (ON CONFLICT DO NOTHING: the
 * unique key beneath the card's lock) reads it, to compare. */
static int
invoice_new(struct cgs_ledger *l, const struct cgs_card *card,
    const struct proto_purchase *p, const uint8_t via[PROTO_UA_LEN], int origin)
{
	struct proto_purchase had;
	size_t n;
	int rc, added;

	if ((rc = cgs_db_purchase_add(l->db, &l->at, card->ua, p, via, origin,
		 &added)) != 0)
		return rc;
	if (added) {
		l->invoiced++;
		l->top = p->seq > l->top ? p->seq : l->top;
		return 0;
	}
	if ((rc = cgs_db_purchases_get(l->db, card->ua, p->seq, p->seq, &had, 1,
		 &n)) != 0 ||
	    n == 0)
		return rc;
	return compare_had(l, card, p, &had);
}

/*
 * Each purchase once.  Those at or below the highest sequence invoiced
 * are most likely known: read in one statement (the range of their
 * sequences), each then compared; the rest are inserted (above the
 * highest, read under the card's lock, none can be there).
 */
int
cgs_ledger_invoice(struct cgs_ledger *l, const struct cgs_card *card,
    const struct proto_m2 *m, const uint8_t via[PROTO_UA_LEN], int origin)
{
	struct proto_purchase had[PROTO_M2_MAX_PURCHASES];
	unsigned np = m->n_purchases < PROTO_M2_MAX_PURCHASES ?
	    m->n_purchases :
	    PROTO_M2_MAX_PURCHASES;
	uint32_t lo = UINT32_MAX, hi = 0;
	size_t n = 0, k;
	int rc;

	l->top = 0;
	for (unsigned j = 0; j < np; j++) {
		uint32_t seq = m->purchases[j].seq;

		if ((int64_t)seq > card->max_invoiced)
			continue;
		lo = seq < lo ? seq : lo;
		hi = seq > hi ? seq : hi;
	}
	if (lo <= hi &&
	    (rc = cgs_db_purchases_get(l->db, card->ua, lo, hi, had,
		 PROTO_M2_MAX_PURCHASES, &n)) != 0)
		return rc;
	for (unsigned j = 0; j < np; j++) {
		const struct proto_purchase *p = &m->purchases[j];

		for (k = 0; k < n && had[k].seq != p->seq; k++)
			;
		if ((rc = k < n ? compare_had(l, card, p, &had[k]) :
				  invoice_new(l, card, p, via, origin)) != 0)
			return rc;
	}
	return 0;
}
