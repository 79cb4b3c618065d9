/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/proto.h"
#include "ingest.h"
#include "keycache.h"
#include "ledger.h"
#include "stats.h"

/*
 * One block on its way through a session: what its checks found before
 * the transaction (reason), and its card as the transaction reads it.
 */
struct work {
	const struct cgs_in_block *in;
	int parsed;
	uint8_t reason; /* PROTO_UP_OK: genuine, m holds its M2 */
	struct proto_block b;
	struct cgs_route route;
	struct cgs_card card;
	uint8_t pub[PROTO_EC_PUB_LEN]; /* the key the signature was verified by */
	struct proto_m2 m; /* decrypted: wiped when the session is done */
};

struct cgs_ctx {
	struct cgs_db *db;
	const struct cgs_keys *keys;
	struct cgs_keycache *kc;
	struct work work[PROTO_UPLINK_MAX_BLOCKS]; /* the session's */
};

/* One session on its way through: what the blocks taught so far. */
struct run {
	struct cgs_ctx *c;
	long long written_us; /* cgs_now_us when its writes were done */
	struct cgs_db *db;    /* the transaction's connection */
	struct cgs_session *s;
	struct cgs_ledger ledger;
	struct cgs_present present;
	size_t valid; /* blocks that passed every check */
};

int
cgs_ctx_new(struct cgs_db *db, const struct cgs_keys *k, struct cgs_ctx **out)
{
	struct cgs_ctx *c;
	int rc;

	if (db == NULL || k == NULL || out == NULL)
		return PROTO_ERR_ARG;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = cgs_keycache_new(&c->kc)) != 0) {
		free(c);
		return rc;
	}
	c->db = db;
	c->keys = k;
	*out = c;
	return 0;
}

void
cgs_ctx_free(struct cgs_ctx **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	cgs_keycache_free(&(*cp)->kc);
	free(*cp);
	*cp = NULL;
}

/* Decrypt under the card's transmission key, derived for it now. */
static int
open_block(const struct cgs_ctx *c, struct work *w)
{
	uint8_t kt[PROTO_AES_KEY_LEN];
	int rc;

	if ((rc = proto_kt_derive(c->keys->master, w->b.ua, kt)) == 0)
		rc = proto_block_open(&w->b, kt, &w->m);
	proto_cleanse(kt, sizeof(kt));
	return rc;
}

/*
 * A BLOCK frame carries an uplink block made for this session's
 * challenge; a RECOVERED frame an export block from M1.
 */
static int
kind_fits(const struct cgs_session *s, const struct cgs_in_block *in,
    const struct proto_block *b)
{
	if (in->origin == CGS_ORIGIN_RECOVERED)
		return b->kind == PROTO_BLOCK_EXPORT;
	return b->kind == PROTO_BLOCK_UPLINK &&
	    memcmp(b->challenge, s->challenge, PROTO_CHALLENGE_LEN) == 0;
}

uint8_t
cgs_block_reason(enum cgs_check check, int rc)
{
	switch (rc) {
	case PROTO_ERR_AUTH:
		return check == CGS_CHECK_SIGNATURE ? PROTO_UP_BAD_SIGNATURE :
						      PROTO_UP_UNDECRYPTABLE;
	case PROTO_ERR_SHORT:
	case PROTO_ERR_LENGTH:
	case PROTO_ERR_FORMAT:
	case PROTO_ERR_TRAILING:
	case PROTO_ERR_RANGE:
	case PROTO_ERR_TOOBIG:
	case PROTO_ERR_DEPTH:
		/* the signature's own bytes are checked by the signature; a
		 * key that does not parse is the center's, not the block's */
		return check == CGS_CHECK_OPEN ? PROTO_UP_MALFORMED :
						 PROTO_UP_INTERNAL;
	default:
		return PROTO_UP_INTERNAL; /* memory, crypto library: retry */
	}
}

/*
 * The checks a block passes before its content counts, in order: its
 * layout; its kind for the frame (and the session's challenge); its
 * route (a BLOCK frame must be the present card's); its card's
 * registration; the signature, by the key registered for the header's
 * UA (a block signed by another card's key fails here); its decryption.
 * They read only what never changes once written (the card's key), so
 * they run before the session's transaction, on the context's own
 * connection, in parallel with other sessions; a card whose key the
 * context keeps is not even read (the key is checked against the
 * registration in the transaction, which reads the card anyway: revoked
 * or not).  w->reason is PROTO_UP_OK
 * when all passed (w->m then holds the decrypted M2).  A final reason is
 * given only for what the block itself is; a passing failure of the
 * center is PROTO_UP_INTERNAL, so the decoder sends the block again.
 * Returns an error only for a database failure.
 */
static int
precheck(struct cgs_ctx *c, const struct cgs_session *s, struct work *w)
{
	int rc;

	if (proto_block_parse(w->in->block, w->in->len, &w->b) != 0) {
		w->reason = PROTO_UP_MALFORMED;
		return 0;
	}
	w->parsed = 1;
	if (!kind_fits(s, w->in, &w->b)) {
		w->reason = PROTO_UP_WRONG_KIND;
		return 0;
	}
	cgs_separate(&s->hello, w->in->origin, w->b.ua, &w->route);
	if ((w->reason = w->route.refused) != PROTO_UP_OK)
		return 0;
	if ((rc = cgs_keycache_verify_kept(c->kc, w->b.ua, w->b.signed_part,
		 w->b.signed_len, w->b.sig, w->pub)) == PROTO_ERR_NOTFOUND) {
		if ((rc = cgs_card_key(c->db, w->b.ua, w->card.pub)) != 0) {
			w->reason = PROTO_UP_UNKNOWN_UA;
			return rc == PROTO_ERR_NOTFOUND ? 0 : rc;
		}
		memcpy(w->card.ua, w->b.ua, PROTO_UA_LEN);
		memcpy(w->pub, w->card.pub, PROTO_EC_PUB_LEN);
		rc = cgs_keycache_verify(c->kc, &w->card, w->b.signed_part,
		    w->b.signed_len, w->b.sig);
	}
	if (rc != 0) {
		w->reason = cgs_block_reason(CGS_CHECK_SIGNATURE, rc);
		return 0;
	}
	if ((rc = open_block(c, w)) != 0)
		w->reason = cgs_block_reason(CGS_CHECK_OPEN, rc);
	return 0;
}

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
	if ((rc = cgs_card_get(run->db, w->b.ua, &w->card)) != 0) {
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

/* The card's data, if this block is newer than the one it came from. */
static int
record_data(struct run *run, const struct work *w,
    const struct cgs_card_data *prev)
{
	if (prev != NULL && w->b.seq <= prev->block_seq)
		return 0;
	return cgs_db_card_data_put(run->db, &run->ledger.at, w->b.ua, w->b.seq,
	    w->route.origin, &w->m, prev != NULL ? &prev->m : NULL);
}

/*
 * What a new, not stale block of the card tells of it: its anomalies,
 * its data, where it was seen.
 */
static int
record_card(struct run *run, const struct work *w)
{
	const struct cgs_route *rt = &w->route;
	const struct cgs_stamp *at = &run->ledger.at;
	struct cgs_db *db = run->db;
	struct cgs_card_data prev;
	int rc, found;

	if ((rc = cgs_db_card_data_get(db, w->b.ua, &prev, &found)) != 0 ||
	    (rc = cgs_ledger_check_sequences(&run->ledger, &w->card,
		 found ? &prev : NULL, rt->origin, w->b.seq, &w->m)) != 0 ||
	    (rc = record_data(run, w, found ? &prev : NULL)) != 0)
		goto out;
	if (rt->may & CGS_MAY_ACTIVATE)
		rc = cgs_card_seen_present(db, at, w->b.ua, w->b.seq,
		    (rt->may & CGS_MAY_SET_LOCK) ? &w->m.locked : NULL);
	else if (rt->may & CGS_MAY_RETIRE)
		rc = cgs_card_seen_recovered(db, at, w->b.ua, w->b.seq);
out:
	proto_m2_clear(&prev.m);
	return rc;
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
	int rc, seen, stale;

	if ((rc = cgs_db_block_seen(run->db, w->b.ua, w->b.seq, &seen)) != 0)
		return rc;
	/* a fresh block answers this session: seen before under its
	 * sequence, it is another card's with the same UA (ledger flags) */
	if (rt->origin == CGS_ORIGIN_PRESENT)
		seen = 0;
	stale = !seen && rt->origin == CGS_ORIGIN_RECOVERED &&
	    w->b.seq < w->card.last_block_seq;
	if ((rt->may & CGS_MAY_INVOICE) &&
	    (rc = cgs_ledger_invoice(&run->ledger, &w->card, &w->m,
		 run->s->hello.ua, rt->origin)) != 0)
		return rc;
	if (!seen &&
	    ((rc = cgs_commands_learn(&run->ledger, w->b.ua, &w->card,
		  &w->m)) != 0 ||
		(!stale && (rc = record_card(run, w)) != 0)))
		return rc;
	if (rt->may & CGS_MAY_COMMAND) {
		run->present.seen = 1;
		run->present.locked = w->m.locked;
		run->present.acked = w->m.acked_seq;
		run->present.purchase_seq = w->m.purchase_seq;
	}
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

/* Every block's checks, before the transaction. */
static int
precheck_all(struct cgs_ctx *c, const struct cgs_session *s)
{
	int rc;

	for (size_t i = 0; i < s->n; i++) {
		struct work *w = &c->work[i];

		memset(w, 0, sizeof(*w));
		w->in = &s->in[i];
		if ((rc = precheck(c, s, w)) != 0)
			return rc;
	}
	return 0;
}

/* The session's rejected blocks, into the ring of the last ones. */
static int
record_rejected(struct cgs_db *db, const struct cgs_session *s,
    const struct cgs_stamp *at)
{
	const struct proto_up_result *r;
	int rc;

	for (size_t i = 0; i < s->ans.n_res; i++) {
		r = &s->ans.res[i];
		if (r->status == PROTO_UP_REJECTED &&
		    (rc = cgs_db_rejected_add(db, at, s->peer,
			 s->has_ua[i] ? r->ua : NULL, r->seq, s->in[i].origin,
			 r->reason)) != 0)
			return rc;
	}
	return 0;
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

/* A session whose HELLO names a revoked card is refused whole. */
static int
refused(struct cgs_ctx *c, struct cgs_session *s)
{
	struct cgs_card card;
	int rc;

	if (!s->hello.has_card)
		return 0;
	if ((rc = cgs_card_get(c->db, s->hello.ua, &card)) != 0)
		return rc == PROTO_ERR_NOTFOUND ? 0 : rc;
	if (card.revoked)
		s->refused = PROTO_UP_REVOKED;
	return 0;
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

/* The session's transaction (cgs_db_txn_locked's body): from the start
 * each time, since a conflict runs it again. */
static int
ingest_txn(struct cgs_db *db, void *arg)
{
	struct cgs_session *s = ((struct run *)arg)->s;
	size_t order[PROTO_UPLINK_MAX_BLOCKS], n;
	struct run run = { .c = ((struct run *)arg)->c, .db = db, .s = s };
	struct cgs_stamp at = { 0 };
	int rc;

	memset(&s->ans, 0, sizeof(s->ans));
	memset(s->has_ua, 0, sizeof(s->has_ua));
	s->recorded = 0;
	s->ans.n_res = s->n;
	at.now = (int64_t)time(NULL);
	memcpy(at.decoder_id, s->hello.decoder_id, PROTO_DECODER_ID_LEN);
	if ((rc = lock_cards(db, run.c, s)) != 0 ||
	    (rc = cgs_db_session_open(db, &s->hello, s->n, at.now,
		 &at.session_id)) != 0)
		return rc;
	cgs_ledger_begin(&run.ledger, db, &at);
	n = cgs_separation_order(s->in, s->n, order);
	for (size_t k = 0; k < n; k++)
		if ((rc = process_block(&run, order[k])) != 0)
			return rc;
	/* proven: the decoder holds this card, not those it kept in M1 */
	if (run.present.seen &&
	    ((rc = cgs_card_decoder_holds(db, &at, s->hello.ua)) != 0 ||
		(rc = cgs_commands_for_present(db, run.c->keys, &at,
		     s->hello.ua, &run.present, &s->ans)) != 0))
		return rc;
	s->ans.invoiced = run.ledger.invoiced;
	s->ans.flagged = run.ledger.flagged;
	/* nothing genuine: nothing is kept */
	if (run.valid == 0)
		return CGS_DB_DISCARD;
	s->recorded = 1;
	if ((rc = record_rejected(db, s, &at)) == 0 &&
	    (rc = cgs_db_session_close(db, at.session_id, s->ans.invoiced,
		 s->ans.flagged, run.present.seen)) == 0)
		rc = cgs_db_block_counts_add(db, at.session_id, s->ans.res,
		    s->ans.n_res);
	((struct run *)arg)->written_us = cgs_now_us();
	return rc;
}

int
cgs_ingest(struct cgs_ctx *c, struct cgs_session *s)
{
	struct run arg = { .c = c, .s = s };
	int rc;

	memset(&s->ans, 0, sizeof(s->ans));
	memset(s->has_ua, 0, sizeof(s->has_ua));
	s->recorded = 0;
	s->refused = PROTO_UP_OK;
	s->commit_us = 0;
	if (s->n > PROTO_UPLINK_MAX_BLOCKS)
		return PROTO_ERR_ARG;
	if ((rc = refused(c, s)) != 0 || s->refused != PROTO_UP_OK)
		return rc;
	if ((rc = precheck_all(c, s)) != 0 ||
	    (rc = cgs_db_txn_locked(c->db, ingest_txn, &arg)) != 0 ||
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
