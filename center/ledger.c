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

int
cgs_ledger_check_sequences(struct cgs_ledger *l, const struct cgs_card *card,
    uint32_t block_seq, uint32_t acked_seq)
{
	char what[160];
	int rc;

	if (block_seq < card->last_block_seq) {
		snprintf(what, sizeof(what),
		    "block sequence went backwards: %u after %u", block_seq,
		    card->last_block_seq);
		if ((rc = cgs_ledger_flag(l, card->ua, what)) != 0)
			return rc;
	}
	if ((int64_t)acked_seq > card->max_invoiced) {
		snprintf(what, sizeof(what),
		    "purchase sequence jumps: the card freed up to %u, the "
		    "ledger holds up to %lld",
		    acked_seq, (long long)card->max_invoiced);
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

/*
 * One purchase, once.  A purchase at or below the highest sequence
 * invoiced is most likely known: look it up first (one statement) rather
 * than try an insert and then look.  An insert that finds the row there
 * already (ON CONFLICT DO NOTHING) is looked up too, to compare.
 */
static int
invoice_one(struct cgs_ledger *l, const struct cgs_card *card,
    const struct proto_purchase *p, const uint8_t via[PROTO_UA_LEN], int origin)
{
	struct proto_purchase had;
	char what[160];
	int rc, found = 0, added = 0;

	if ((int64_t)p->seq <= card->max_invoiced &&
	    (rc = cgs_db_purchase_get(l->db, card->ua, p->seq, &had, &found)) !=
		0)
		return rc;
	if (!found) {
		if ((rc = cgs_db_purchase_add(l->db, &l->at, card->ua, p, via,
			 origin, &added)) != 0)
			return rc;
		if (added) {
			l->invoiced++;
			return 0;
		}
		if ((rc = cgs_db_purchase_get(l->db, card->ua, p->seq, &had,
			 &found)) != 0)
			return rc;
	}
	if (found && !cgs_purchase_same(&had, p)) {
		snprintf(what, sizeof(what),
		    "purchase %u differs from the one invoiced", p->seq);
		return cgs_ledger_flag(l, card->ua, what);
	}
	return 0;
}

int
cgs_ledger_invoice(struct cgs_ledger *l, const struct cgs_card *card,
    const struct proto_m2 *m, const uint8_t via[PROTO_UA_LEN], int origin)
{
	int rc;

	for (unsigned j = 0; j < m->n_purchases && j < PROTO_M2_MAX_PURCHASES;
	     j++)
		if ((rc = invoice_one(l, card, &m->purchases[j], via,
			 origin)) != 0)
			return rc;
	return 0;
}
