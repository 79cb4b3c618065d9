/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <time.h>

#include "../proto/proto.h"
#include "ingest.h"
#include "ingest_work.h"
#include "keycache.h"
#include "ledger.h"
#include "stats.h"

/* One session on its way through: what the blocks taught so far. */
struct run {
	struct cgs_ctx *c;
	long long written_us; /* cgs_now_us when its writes were done */
	struct cgs_db *db;    /* the transaction's connection */
	struct cgs_session *s;
	struct cgs_ledger ledger;
	struct cgs_present present;
	size_t valid; /* blocks that passed every check */
	/* the block being processed: what its card's newest accepted block
	 * said (has_data 0: none yet), whether it was accepted before */
	struct cgs_card_data prev;
	int has_data, seen;
};

/* The card of a genuine block as the transaction reads it: a revoked
 * card's block is refused; one whose registered key is not the one its
 * signature was verified by (kept from before) is verified again. */
static int
check_card(struct run *run, struct work *w, uint8_t *reason)
{
	int rc;

	*reason = w->reason;
	if (*reason != PROTO_UP_OK)
		return 0;
	if ((rc = cgs_card_for_block(run->db, w->b.ua, w->b.seq, &w->card,
		 &run->prev, &run->has_data, &run->seen)) != 0) {
		if (rc != PROTO_ERR_NOTFOUND)
			return rc;
		*reason = PROTO_UP_UNKNOWN_UA;
		return 0;
	}
	if (memcmp(w->card.pub, w->pub, PROTO_EC_PUB_LEN) != 0 &&
	    (rc = cgs_keycache_verify(run->c->kc, &w->card, w->b.signed_part,
		 w->b.signed_len, w->b.sig)) != 0)
		*reason = cgs_block_reason(CGS_CHECK_SIGNATURE, rc);
	else if (w->card.revoked)
		*reason = PROTO_UP_REVOKED;
	return 0;
}

/*
 * What a new, not stale block of the card tells of it: its anomalies,
 * where it was seen, and its data if it is newer than the block the
 * card's data came from (one statement).
 */
static int
record_card(struct run *run, const struct work *w, int64_t invoiced)
{
	const struct cgs_route *rt = &w->route;
	struct cgs_card_data *prev = run->has_data ? &run->prev : NULL;
	int rc, newer = prev == NULL || w->b.seq > prev->block_seq;

	if ((prev != NULL && prev->pairs &&
		(rc = cgs_db_card_pairs_get(run->db, w->b.ua, &prev->m)) !=
		    0) ||
	    (rc = cgs_ledger_check_sequences(&run->ledger, &w->card, prev,
		 rt->origin, w->b.seq, &w->m)) != 0)
		return rc;
	return cgs_card_seen(run->db, &run->ledger.at, &w->card, w->b.seq,
	    rt->origin, (rt->may & CGS_MAY_SET_LOCK) ? &w->m.locked : NULL,
	    newer ? &w->m : NULL, prev != NULL ? &prev->m : NULL, invoiced);
}

/*
 * Record what a genuine block says, as far as its route allows: the
 * ledger's invoices, the outcomes of the card's commands, and -- for a
 * block new to the center and not stale -- its anomalies, its data, the
 * card's sighting; what the present card's commands depend on; the
 * decoder's leave to release its M1 copy.  A recovered block older than
 * the newest the center holds of the card (the card moved on since) is
 * stale: invoiced (the ledger compares), acknowledged, no anomaly, and
 * it changes nothing of the card.  *status: accepted, or duplicate for a
 * block accepted before; *reason PROTO_UP_STALE for a stale one.
 */
static int
apply_block(struct run *run, const struct work *w, uint8_t *status,
    uint8_t *reason)
{
	const struct cgs_route *rt = &w->route;
	struct proto_up_answer *ans = &run->s->ans;
	/* a fresh block answers this session: seen before under its
	 * sequence, it is another card's with the same UA (ledger flags) */
	int rc, seen = rt->origin != CGS_ORIGIN_PRESENT && run->seen, stale;
	int64_t invoiced = w->card.max_invoiced;

	stale = !seen && rt->origin == CGS_ORIGIN_RECOVERED &&
	    w->b.seq < w->card.last_block_seq;
	run->ledger.top = 0;
	if ((rt->may & CGS_MAY_INVOICE) &&
	    (rc = cgs_ledger_invoice(&run->ledger, &w->card, &w->m,
		 run->s->hello.ua, rt->origin)) != 0)
		return rc;
	if (run->ledger.top > invoiced)
		invoiced = run->ledger.top;
	/* the card's highest invoiced is kept in its row: set with its
	 * sighting, or alone for a block that records none */
	if (!seen &&
	    ((rc = cgs_commands_learn(&run->ledger, w->b.ua, &w->card,
		  &w->m)) != 0 ||
		(!stale && (rc = record_card(run, w, invoiced)) != 0)))
		return rc;
	if ((seen || stale) && invoiced > w->card.max_invoiced &&
	    (rc = cgs_card_invoiced(run->db, w->b.ua, invoiced)) != 0)
		return rc;
	if (rt->may & CGS_MAY_COMMAND) {
		run->present.seen = 1;
		run->present.locked = w->m.locked;
		run->present.acked = w->m.acked_seq;
		run->present.purchase_seq = w->m.purchase_seq;
	}
	/* the present card's highest invoiced, as its row now says (any of
	 * its blocks, fresh or from M1, may have raised it) */
	if (memcmp(w->b.ua, run->s->hello.ua, PROTO_UA_LEN) == 0 &&
	    invoiced > run->present.invoiced)
		run->present.invoiced = invoiced;
	if ((rt->may & CGS_MAY_RELEASE_M1) &&
	    ans->n_acks < PROTO_UPLINK_MAX_BLOCKS) {
		memcpy(ans->ack_ua[ans->n_acks], w->b.ua, PROTO_UA_LEN);
		ans->ack_seq[ans->n_acks++] = w->b.seq;
	}
	*status = seen ? PROTO_UP_DUPLICATE : PROTO_UP_ACCEPTED;
	*reason = stale ? PROTO_UP_STALE : PROTO_UP_OK;
	return 0;
}

/* Block i: its card checked, applied if genuine, its outcome
 * recorded. */
static int
process_block(struct run *run, size_t i)
{
	struct proto_up_result *r = &run->s->ans.res[i];
	struct work *w = &run->c->work[i];
	uint8_t reason;
	int rc;

	memset(r, 0, sizeof(*r));
	r->index = (uint16_t)i;
	r->status = PROTO_UP_REJECTED;
	if ((rc = check_card(run, w, &reason)) != 0)
		return rc;
	if (w->parsed) {
		memcpy(r->ua, w->b.ua, PROTO_UA_LEN);
		r->seq = w->b.seq;
		run->s->has_ua[i] = 1;
	}
	r->reason = reason;
	if (reason == PROTO_UP_OK) {
		if ((rc = apply_block(run, w, &r->status, &r->reason)) != 0)
			return rc;
		run->valid++;
	}
	return cgs_db_block_record(run->db, &run->ledger.at,
	    w->parsed ? w->b.ua : NULL, r->seq, w->in, r);
}

/* The session's rejected blocks, into the ring of the last ones. */
static int
record_rejected(struct cgs_db *db, const struct cgs_session *s,
    const struct cgs_stamp *at)
{
	struct cgs_rejected_block rej[PROTO_UPLINK_MAX_BLOCKS];
	const struct proto_up_result *r;
	size_t n = 0;

	for (size_t i = 0; i < s->ans.n_res && n < PROTO_UPLINK_MAX_BLOCKS;
	     i++) {
		r = &s->ans.res[i];
		if (r->status == PROTO_UP_REJECTED)
			rej[n++] = (struct cgs_rejected_block){
				.ua = s->has_ua[i] ? r->ua : NULL,
				.seq = r->seq,
				.origin = s->in[i].origin,
				.reason = r->reason,
			};
	}
	return cgs_db_rejected_add(db, at, s->peer, rej, n);
}

/*
 * A junk session's rows are gone with its transaction; its rejected
 * blocks are recorded in one of their own (cgs_db_txn_locked's body),
 * stamped
 * with no session.
 */
static int
junk_txn(struct cgs_db *db, void *arg)
{
	const struct cgs_session *s = arg;
	struct cgs_stamp at = { .now = (int64_t)time(NULL) };

	memcpy(at.decoder_id, s->hello.decoder_id, PROTO_DECODER_ID_LEN);
	return record_rejected(db, s, &at);
}

static int
record_junk(struct cgs_ctx *c, struct cgs_session *s)
{
	size_t i = 0;

	while (i < s->ans.n_res && s->ans.res[i].status != PROTO_UP_REJECTED)
		i++;
	if (i == s->ans.n_res)
		return 0; /* nothing to record: no transaction */
	/* no card's rows: READ COMMITTED, so a flood of junk sessions waits
	 * its turn at the reasons' counts instead of failing to serialize */
	return cgs_db_txn_locked(c->db, junk_txn, s);
}

/*
 * Lock the rows of every card the session may change: the HELLO's and
 * those of the blocks that passed their checks.  Whatever the session
 * then decides on a card (invoiced or not, duplicate or not, which
 * counter a command takes) it decides holding that card, having read
 * what the sessions before it committed.
 */
static int
lock_cards(struct cgs_db *db, const struct cgs_ctx *c,
    const struct cgs_session *s)
{
	uint8_t ua[CGS_LOCK_MAX][PROTO_UA_LEN];
	size_t n = 0;

	if (s->hello.has_card)
		memcpy(ua[n++], s->hello.ua, PROTO_UA_LEN);
	for (size_t i = 0; i < s->n && n < CGS_LOCK_MAX; i++)
		if (c->work[i].reason == PROTO_UP_OK)
			memcpy(ua[n++], c->work[i].b.ua, PROTO_UA_LEN);
	return cgs_cards_lock(db, ua[0], n);
}

/* The session's transaction on run: from the start each time, since a
 * conflict runs it again. */
static int
run_session(struct run *run)
{
	struct cgs_session *s = run->s;
	struct cgs_db *db = run->db;
	size_t order[PROTO_UPLINK_MAX_BLOCKS], n;
	struct cgs_stamp at = { 0 };
	int rc;

	memset(&s->ans, 0, sizeof(s->ans));
	memset(s->has_ua, 0, sizeof(s->has_ua));
	s->recorded = 0;
	s->ans.n_res = s->n;
	at.now = (int64_t)time(NULL);
	memcpy(at.decoder_id, s->hello.decoder_id, PROTO_DECODER_ID_LEN);
	if ((rc = lock_cards(db, run->c, s)) != 0 ||
	    (rc = cgs_db_session_open(db, &s->hello, s->n, at.now,
		 &at.session_id)) != 0)
		return rc;
	cgs_ledger_begin(&run->ledger, db, &at);
	n = cgs_separation_order(s->in, s->n, order);
	for (size_t k = 0; k < n; k++)
		if ((rc = process_block(run, order[k])) != 0)
			return rc;
	/* proven: the decoder holds this card, not those it kept in M1 */
	if (run->present.seen &&
	    ((rc = cgs_card_decoder_holds(db, &at, s->hello.ua)) != 0 ||
		(rc = cgs_commands_for_present(db, run->c->keys, &at,
		     s->hello.ua, &run->present, &s->ans)) != 0))
		return rc;
	s->ans.invoiced = run->ledger.invoiced;
	s->ans.flagged = run->ledger.flagged;
	/* nothing genuine: nothing is kept */
	if (run->valid == 0)
		return CGS_DB_DISCARD;
	s->recorded = 1;
	if ((rc = record_rejected(db, s, &at)) == 0 &&
	    (rc = cgs_db_session_close(db, at.session_id, &s->ans,
		 run->present.seen)) == 0)
		rc = cgs_db_block_counts_add(db, at.session_id, s->ans.res,
		    s->ans.n_res);
	return rc;
}

/* cgs_db_txn_locked's body. */
static int
ingest_txn(struct cgs_db *db, void *arg)
{
	struct run *top = arg;
	struct run run = { .c = top->c, .db = db, .s = top->s };
	long long cpu = cgs_cpu_us();
	int rc = run_session(&run);

	top->written_us = cgs_now_us();
	top->s->sql_cpu_us = cgs_cpu_us() - cpu;
	proto_m2_clear(&run.prev.m);
	return rc;
}

int
cgs_ingest(struct cgs_ctx *c, struct cgs_session *s)
{
	struct run arg = { .c = c, .s = s };
	long long cpu = cgs_cpu_us();
	int rc;

	memset(&s->ans, 0, sizeof(s->ans));
	memset(s->has_ua, 0, sizeof(s->has_ua));
	s->recorded = 0;
	s->refused = PROTO_UP_OK;
	s->commit_us = s->check_cpu_us = s->sql_cpu_us = 0;
	s->keys_cpu_us = s->verify_cpu_us = 0;
	if (s->n > PROTO_UPLINK_MAX_BLOCKS)
		return PROTO_ERR_ARG;
	/* while the checks run, a batch of the commit group may wait for
	 * this session rather than fsync without it */
	cgs_db_coming(c->db, 1);
	if ((rc = cgs_refused(c, s)) != 0 || s->refused != PROTO_UP_OK) {
		cgs_db_coming(c->db, -1);
		return rc;
	}
	rc = cgs_precheck_all(c, s);
	cgs_db_coming(c->db, -1);
	s->check_cpu_us = cgs_cpu_us() - cpu;
	if (rc != 0 || (rc = cgs_db_txn_locked(c->db, ingest_txn, &arg)) != 0 ||
	    (!s->recorded && (rc = record_junk(c, s)) != 0)) {
		s->recorded = 0;
		memset(&s->ans, 0, sizeof(s->ans));
	} else if (s->recorded) {
		/* from its last write to durable: its commit, or its batch's */
		s->commit_us = cgs_now_us() - arg.written_us;
	}
	for (size_t i = 0; i < s->n; i++)
		proto_m2_clear(&c->work[i].m); /* on every path */
	return rc;
}
