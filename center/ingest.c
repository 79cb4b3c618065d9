/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/proto.h"
#include "ingest.h"
#include "keycache.h"
#include "ledger.h"

struct cgs_ctx {
	struct cgs_db *db;
	const struct cgs_keys *keys;
	struct cgs_keycache *kc;
};

/* One session on its way through: what the blocks taught so far. */
struct run {
	struct cgs_ctx *c;
	struct cgs_session *s;
	struct cgs_ledger ledger;
	struct cgs_present present;
	size_t valid; /* blocks that passed every check */
};

/* One block on its way through a session. */
struct work {
	const struct cgs_in_block *in;
	int parsed;
	struct proto_block b;
	struct cgs_route route;
	struct cgs_card card;
	struct proto_m2 m; /* decrypted: wiped when the block is done */
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

/*
 * The checks a block passes before its content counts, in order: its
 * layout; its kind for the frame (and the session's challenge); its route (a BLOCK frame must be the present card's); its
 * card's registration; the signature, by the key registered for the
 * header's UA (a block signed by another card's key fails here); its
 * decryption.  *reason is PROTO_UP_OK when all passed (w->m then holds
 * the decrypted M2).  Returns an error only for a database failure.
 */
static int
check_block(struct run *run, struct work *w, uint8_t *reason)
{
	struct cgs_ctx *c = run->c;
	int rc;

	if (proto_block_parse(w->in->block, w->in->len, &w->b) != 0) {
		*reason = PROTO_UP_MALFORMED;
		return 0;
	}
	w->parsed = 1;
	if (!kind_fits(run->s, w->in, &w->b)) {
		*reason = PROTO_UP_WRONG_KIND;
		return 0;
	}
	cgs_separate(&run->s->hello, w->in->origin, w->b.ua, &w->route);
	if ((*reason = w->route.refused) != PROTO_UP_OK)
		return 0;
	if ((rc = cgs_card_get(c->db, w->b.ua, &w->card)) != 0) {
		*reason = PROTO_UP_UNKNOWN_UA;
		return rc == PROTO_ERR_NOTFOUND ? 0 : rc;
	}
	if (cgs_keycache_verify(c->kc, &w->card, w->b.signed_part,
		w->b.signed_len, w->b.sig) != 0) {
		*reason = PROTO_UP_BAD_SIGNATURE;
		return 0;
	}
	if ((rc = open_block(c, w)) != 0)
		*reason = rc == PROTO_ERR_AUTH ? PROTO_UP_UNDECRYPTABLE :
						 PROTO_UP_MALFORMED;
	return 0;
}

/* The card's data, if this block is newer than the one it came from. */
static int
record_data(struct run *run, const struct work *w)
{
	struct cgs_card_data d;
	int rc, found;

	if ((rc = cgs_db_card_data_get(run->c->db, w->b.ua, &d, &found)) == 0 &&
	    (!found || w->b.seq > d.block_seq))
		rc = cgs_db_card_data_put(run->c->db, &run->ledger.at, w->b.ua,
		    w->b.seq, w->route.origin, &w->m);
	proto_m2_clear(&d.m);
	return rc;
}

/*
 * Record what a genuine block says, as far as its route allows: the
 * ledger's anomalies and invoices, the card's record, what the present
 * card's commands depend on, the decoder's leave to release its M1 copy.
 * *status: accepted, or duplicate for a block accepted before.
 */
static int
apply_block(struct run *run, const struct work *w, uint8_t *status)
{
	const struct cgs_route *rt = &w->route;
	struct cgs_db *db = run->c->db;
	struct proto_up_answer *ans = &run->s->ans;
	int64_t now = run->ledger.at.now;
	int rc, seen;

	if ((rc = cgs_db_block_seen(db, w->b.ua, w->b.seq, &seen)) != 0 ||
	    (rc = cgs_ledger_check_sequences(&run->ledger, &w->card, w->b.seq,
		 w->m.acked_seq)) != 0)
		return rc;
	if ((rt->may & CGS_MAY_INVOICE) &&
	    (rc = cgs_ledger_invoice(&run->ledger, &w->card, &w->m,
		 run->s->hello.ua, rt->origin)) != 0)
		return rc;
	if (rt->may & CGS_MAY_ACTIVATE)
		rc = cgs_card_seen_present(db, w->b.ua, now, w->b.seq,
		    (rt->may & CGS_MAY_SET_LOCK) ? &w->m.locked : NULL);
	else if (rt->may & CGS_MAY_RETIRE)
		rc = cgs_card_seen_recovered(db, w->b.ua, now, w->b.seq);
	if (rc != 0 ||
	    (!seen &&
		((rc = cgs_commands_learn(&run->ledger, w->b.ua, &w->m)) != 0 ||
		    (rc = record_data(run, w)) != 0)))
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
	return 0;
}

/* Block i: checked, applied if genuine, its outcome recorded. */
static int
process_block(struct run *run, size_t i)
{
	struct proto_up_result *r = &run->s->ans.res[i];
	struct work w;
	uint8_t reason = PROTO_UP_OK;
	int rc;

	memset(&w, 0, sizeof(w));
	w.in = &run->s->in[i];
	memset(r, 0, sizeof(*r));
	r->index = (uint16_t)i;
	r->status = PROTO_UP_REJECTED;
	if ((rc = check_block(run, &w, &reason)) != 0)
		goto out;
	if (w.parsed) {
		memcpy(r->ua, w.b.ua, PROTO_UA_LEN);
		r->seq = w.b.seq;
	}
	r->reason = reason;
	if (reason == PROTO_UP_OK) {
		if ((rc = apply_block(run, &w, &r->status)) != 0)
			goto out;
		run->valid++;
	}
	rc = cgs_db_block_record(run->c->db, &run->ledger.at,
	    w.parsed ? w.b.ua : NULL, r->seq, w.in->origin, r);
out:
	proto_m2_clear(&w.m); /* the decrypted M2, on every path */
	return rc;
}

int
cgs_ingest(struct cgs_ctx *c, struct cgs_session *s)
{
	size_t order[PROTO_UPLINK_MAX_BLOCKS], n;
	struct cgs_stamp at = { 0 };
	struct run run;
	int rc;

	memset(&s->ans, 0, sizeof(s->ans));
	s->recorded = 0;
	if (s->n > PROTO_UPLINK_MAX_BLOCKS)
		return PROTO_ERR_ARG;
	memset(&run, 0, sizeof(run));
	run.c = c;
	run.s = s;
	s->ans.n_res = s->n;
	at.now = (int64_t)time(NULL);
	memcpy(at.decoder_id, s->hello.decoder_id, PROTO_DECODER_ID_LEN);
	if ((rc = cgs_db_begin(c->db)) != 0)
		return rc;
	if ((rc = cgs_db_session_open(c->db, &s->hello, s->n, at.now,
		 &at.session_id)) != 0)
		goto out;
	cgs_ledger_begin(&run.ledger, c->db, &at);
	n = cgs_separation_order(s->in, s->n, order);
	for (size_t k = 0; k < n; k++)
		if ((rc = process_block(&run, order[k])) != 0)
			goto out;
	if (s->hello.has_card &&
	    (rc = cgs_commands_for_present(c->db, c->keys, &at, s->hello.ua,
		 &run.present, &s->ans)) != 0)
		goto out;
	s->ans.invoiced = run.ledger.invoiced;
	s->ans.flagged = run.ledger.flagged;
	if (run.valid > 0 &&
	    ((rc = cgs_db_session_close(c->db, at.session_id, s->ans.invoiced,
		  s->ans.flagged)) != 0 ||
		(rc = cgs_db_commit(c->db)) != 0))
		goto out;
	s->recorded = run.valid > 0;
out:
	/* an error, or nothing genuine: nothing is kept */
	if (rc != 0 || !s->recorded)
		cgs_db_rollback(c->db);
	if (rc != 0)
		memset(&s->ans, 0, sizeof(s->ans));
	return rc;
}
