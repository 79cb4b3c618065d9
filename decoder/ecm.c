/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/buf.h"
#include "../proto/ctl.h"
#include "../proto/file.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "ecm.h"
#include "session.h"

static void
remember_offer(struct dec_state *st, uint32_t event, const uint8_t *ecm)
{
	size_t i;

	for (i = 0; i < st->n_offers; i++)
		if (st->offers[i].event == event)
			break;
	if (i == st->n_offers) {
		if (st->n_offers == DEC_MAX_OFFERS) {
			/* forget the oldest */
			memmove(&st->offers[0], &st->offers[1],
			    (DEC_MAX_OFFERS - 1) * sizeof(st->offers[0]));
			i = DEC_MAX_OFFERS - 1;
		} else {
			st->n_offers++;
		}
	}
	st->offers[i].event = event;
	memcpy(st->offers[i].ecm, ecm, PROTO_ECM_LEN);
}

static const struct dec_offer *
find_offer(const struct dec_state *st, uint32_t event)
{
	for (size_t i = 0; i < st->n_offers; i++)
		if (st->offers[i].event == event)
			return &st->offers[i];
	return NULL;
}

/* One ECM line: exactly 2 * PROTO_ECM_LEN hex digits. */
static int
parse_ecm_line(const char *line, size_t n, uint8_t ecm[PROTO_ECM_LEN])
{
	if (n > 0 && line[n - 1] == '\r')
		n--;
	return proto_unhex(line, n, ecm, PROTO_ECM_LEN) == 0 ? 0 :
							       PROTO_ERR_FORMAT;
}

static int
add_outcome(struct dec_tune_result *res, const struct dec_ecm_outcome *o)
{
	struct dec_ecm_outcome *p;
	size_t cap;

	if (res->n == res->cap) {
		cap = res->cap == 0 ? 16 : 2 * res->cap;
		if ((p = realloc(res->ecm, cap * sizeof(*p))) == NULL)
			return PROTO_ERR_NOMEM;
		res->ecm = p;
		res->cap = cap;
	}
	res->ecm[res->n++] = *o;
	return 0;
}

static void
count_ecm(struct dec_counters *n, const struct dec_ecm_outcome *o)
{
	if (o->rc != 0)
		n->ecm_failed++;
	else if (o->r.outcome == DEC_ECM_CW)
		n->ecm_cw++;
	else if (o->r.outcome == DEC_ECM_DENIED)
		n->ecm_denied++;
	else
		n->ecm_offer++;
}

static int
feed_ecm(struct dec_state *st, struct dec_tune_result *res,
    const uint8_t ecm[PROTO_ECM_LEN])
{
	struct dec_ecm_outcome o = { 0 };

	o.rc = dec_card_ecm(&st->card, ecm, PROTO_ECM_LEN, &o.r);
	if (o.rc == 0) /* authenticated: the usage counters moved */
		dec_state_usage(st, time(NULL));
	count_ecm(&st->n, &o);
	if (o.rc == 0 && o.r.outcome == DEC_ECM_OFFER)
		remember_offer(st, o.r.event, ecm);
	return add_outcome(res, &o);
}

static int
feed_file(struct dec_state *st, struct dec_tune_result *res,
    const uint8_t *file, size_t len)
{
	uint8_t ecm[PROTO_ECM_LEN];
	struct proto_rd rd;
	const char *line;
	size_t n;
	int rc;

	proto_rd_init(&rd, file, len);
	while (proto_rd_left(&rd) > 0) {
		if (proto_ctl_next_line(&rd, &line, &n) != 0)
			proto_rd_rest(&rd, (const uint8_t **)&line, &n);
		if (n == 0)
			continue;
		if (parse_ecm_line(line, n, ecm) != 0) {
			res->step = DEC_TUNE_BAD_LINE;
			res->bad_line = (unsigned)res->n + 1;
			return PROTO_ERR_FORMAT;
		}
		if ((rc = feed_ecm(st, res, ecm)) != 0)
			return rc;
		if (res->ecm[res->n - 1].rc == PROTO_ERR_IO)
			return PROTO_ERR_IO; /* the card left */
	}
	return 0;
}

int
dec_ecm_tune(struct dec_state *st, unsigned channel,
    struct dec_tune_result *res)
{
	uint8_t *file = NULL;
	size_t len = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!st->has_card) {
		res->step = DEC_TUNE_NO_CARD;
		return res->rc = PROTO_ERR_STATE;
	}
	snprintf(res->path, sizeof(res->path), "%s/%u.ecm", st->cfg.ecm_dir,
	    channel);
	if ((rc = proto_file_read(res->path, DEC_ECM_FILE_MAX, &file, &len)) !=
	    0) {
		res->step = DEC_TUNE_NO_FILE;
		return res->rc = rc;
	}
	/* The whole file is one card operation. */
	if ((rc = dec_session_begin(st)) != 0) {
		res->step = st->held ? DEC_TUNE_HELD : DEC_TUNE_NO_CARD;
		free(file);
		return res->rc = rc;
	}
	rc = dec_session_end(st, feed_file(st, res, file, len));
	free(file);
	/* The card left meanwhile: the outcomes say so. */
	return res->rc = rc == PROTO_ERR_IO ? 0 : rc;
}

void
dec_tune_result_free(struct dec_tune_result *res)
{
	free(res->ecm);
	res->ecm = NULL;
	res->n = res->cap = 0;
}

int
dec_ecm_buy(struct dec_state *st, uint32_t event, struct dec_buy_result *res)
{
	const struct dec_offer *o;
	int rc;

	memset(res, 0, sizeof(*res));
	res->event = event;
	if (!st->has_card) {
		res->step = DEC_BUY_NO_CARD;
		return res->rc = PROTO_ERR_STATE;
	}
	if ((o = find_offer(st, event)) == NULL) {
		res->step = DEC_BUY_NO_OFFER;
		return res->rc = PROTO_ERR_NOTFOUND;
	}
	if ((rc = dec_session_begin(st)) == 0)
		rc = dec_session_end(st,
		    dec_card_buy(&st->card, o->ecm, PROTO_ECM_LEN, &res->seq,
			&res->credit, &res->sw));
	if (rc != 0) {
		st->n.purchases_refused++;
		res->step = DEC_BUY_FAILED;
		return res->rc = rc;
	}
	st->n.purchases++;
	proto_log(PROTO_LOG_NOTICE,
	    "card %s bought event %u (purchase %u, credit left %u)",
	    DEC_UA(st->card.st.ua), event, res->seq, res->credit);
	return 0;
}
