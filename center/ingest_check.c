/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a session's blocks go through before its transaction (ingest.c):
 * layout, kind, route, registration, signature, decryption.  No writes.
 */
#include <stdlib.h>
#include <string.h>

#include "../proto/proto.h"
#include "ingest_work.h"
#include "stats.h"

int
cgs_ctx_new(struct cgs_db *db, const struct cgs_keys *k, struct cgs_ctx **out)
{
	struct cgs_ctx *c;
	int rc;

	if (db == NULL || k == NULL || out == NULL)
		return PROTO_ERR_ARG;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = cgs_keycache_new(k->master, &c->kc)) != 0) {
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
 *
 * Each step runs over all the session's blocks before the next: the
 * verifies back to back (OpenSSL's tables stay in the cache from one to
 * the next), and each step's CPU time is the session's figure.
 */

/* Layout, kind, route, the key: read and set up unless kept. */
static int
check_keys(struct cgs_ctx *c, const struct cgs_session *s, struct work *w)
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
	memcpy(w->card.ua, w->b.ua, PROTO_UA_LEN);
	if (cgs_keycache_kept(c->kc, w->b.ua, w->pub) == 0)
		return 0;
	if ((rc = cgs_card_key(c->db, w->b.ua, w->card.pub)) != 0) {
		w->reason = PROTO_UP_UNKNOWN_UA;
		return rc == PROTO_ERR_NOTFOUND ? 0 : rc;
	}
	memcpy(w->pub, w->card.pub, PROTO_EC_PUB_LEN);
	if ((rc = cgs_keycache_set(c->kc, &w->card)) != 0)
		w->reason = cgs_block_reason(CGS_CHECK_SIGNATURE, rc);
	return 0;
}

/*
 * The signature, by the key kept (w->pub: the one it was verified by);
 * if it went meanwhile (another card took its slot), set up again from
 * w->pub, the key as it was registered when last read.
 */
static void
check_signature(struct cgs_ctx *c, struct work *w)
{
	struct cgs_card card;
	int rc;

	if ((rc = cgs_keycache_verify_kept(c->kc, w->b.ua, w->b.signed_part,
		 w->b.signed_len, w->b.sig, w->pub)) == PROTO_ERR_NOTFOUND) {
		memset(&card, 0, sizeof(card));
		memcpy(card.ua, w->b.ua, PROTO_UA_LEN);
		memcpy(card.pub, w->pub, PROTO_EC_PUB_LEN);
		rc = cgs_keycache_verify(c->kc, &card, w->b.signed_part,
		    w->b.signed_len, w->b.sig);
	}
	if (rc != 0)
		w->reason = cgs_block_reason(CGS_CHECK_SIGNATURE, rc);
}

/* Every block's checks, before the transaction. */
int
cgs_precheck_all(struct cgs_ctx *c, struct cgs_session *s)
{
	long long t0 = cgs_cpu_us(), t1, t2;
	struct work *w;
	int rc;

	s->keys_cpu_us = s->verify_cpu_us = 0;
	for (size_t i = 0; i < s->n; i++) {
		w = &c->work[i];
		memset(w, 0, sizeof(*w));
		w->in = &s->in[i];
		if ((rc = check_keys(c, s, w)) != 0)
			return rc;
	}
	t1 = cgs_cpu_us();
	for (size_t i = 0; i < s->n; i++)
		if ((w = &c->work[i])->reason == PROTO_UP_OK)
			check_signature(c, w);
	t2 = cgs_cpu_us();
	for (size_t i = 0; i < s->n; i++)
		if ((w = &c->work[i])->reason == PROTO_UP_OK &&
		    (rc = cgs_keycache_open(c->kc, &w->b, &w->m)) != 0)
			w->reason = cgs_block_reason(CGS_CHECK_OPEN, rc);
	s->keys_cpu_us = t1 - t0;
	s->verify_cpu_us = t2 - t1;
	return 0;
}

/* A session whose HELLO names a revoked card is refused whole. */
int
cgs_refused(struct cgs_ctx *c, struct cgs_session *s)
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
