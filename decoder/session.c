/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "session.h"

static int
ensure_service(struct dec_state *st)
{
	if (st->svc != NULL)
		return 0;
	return st->io->open(&st->svc);
}

/* Wait for the card in reader (retry in ms), or stop waiting. */
static void
set_waiting(struct dec_state *st, const char *reader, int wait, long ms)
{
	if (wait) {
		snprintf(st->waiting, sizeof(st->waiting), "%s", reader);
		st->next_open = dec_now_ms() + ms;
	} else if (strcmp(st->waiting, reader) == 0) {
		st->waiting[0] = '\0';
		st->next_open = 0;
		st->open_wait = st->open_fails = 0;
	}
}

/*
 * After an opening of the card in reader that ended in rc: wait while
 * another program holds it (every DEC_HELD_RETRY s), or while it does not
 * answer (the wait doubling); a card opened or not ours ends the wait.
 */
static void
after_open(struct dec_state *st, const char *reader, int rc)
{
	if (rc == PROTO_ERR_STATE) {
		st->open_wait = st->open_fails = 0;
		set_waiting(st, reader, 1, 1000L * DEC_HELD_RETRY);
	} else if (rc != 0 && rc != PROTO_ERR_NOTFOUND) {
		st->open_wait = st->open_wait == 0 ? DEC_OPEN_RETRY_MIN_MS :
		    st->open_wait >= DEC_OPEN_RETRY_MAX_MS / 2 ?
						     DEC_OPEN_RETRY_MAX_MS :
						     2 * st->open_wait;
		st->open_fails++;
		set_waiting(st, reader, 1, st->open_wait);
	} else {
		set_waiting(st, reader, 0, 0);
	}
}

/* A new connection's first operation: our applet and its state. */
static int
first_look(struct dec_card *c)
{
	int rc;

	if ((rc = dec_card_begin(c)) != 0)
		return rc;
	if ((rc = dec_card_select(c)) == 0)
		rc = dec_card_refresh(c);
	dec_card_end(c);
	return rc;
}

int
dec_session_open(struct dec_state *st, const char *reader)
{
	struct dec_card c;
	int rc;

	if (st->has_card)
		return PROTO_ERR_EXISTS;
	if ((rc = ensure_service(st)) != 0)
		return rc;
	if ((rc = dec_card_connect(st->io, st->svc, reader, &c)) == 0 &&
	    (rc = first_look(&c)) != 0)
		dec_card_close(&c);
	after_open(st, reader, rc);
	if (rc == PROTO_ERR_NOTFOUND)
		snprintf(st->foreign, sizeof(st->foreign), "%s", reader);
	if (rc != 0)
		return rc;
	st->card = c;
	st->has_card = 1;
	st->depth = 0;
	st->lost = st->verify = st->held = 0;
	st->foreign[0] = '\0';
	st->usage_since = st->usage_retry = 0;
	dec_state_usage(st, time(NULL)); /* a power-up */
	st->n.inserted++;
	st->cert_verdict = DEC_CERT_UNREAD;
	return 0;
}

void
dec_session_drop(struct dec_state *st, const char *why)
{
	if (!st->has_card)
		return;
	if (st->depth > 0)
		dec_card_end(&st->card);
	dec_card_close(&st->card);
	st->has_card = 0;
	st->depth = 0;
	st->n_offers = 0;
	st->n.removed++;
	st->usage_since = st->usage_retry = 0;
	proto_log(PROTO_LOG_NOTICE, "card %s %s; M1 kept (%zu entries)",
	    DEC_UA(st->card.st.ua), why, st->m1.n);
}

void
dec_session_unwait(struct dec_state *st, const char *reader)
{
	set_waiting(st, reader, 0, 0);
}

void
dec_session_release(struct dec_state *st)
{
	dec_session_drop(st, "lost with pcscd");
	st->waiting[0] = '\0';
	st->open_wait = st->open_fails = 0;
	if (st->svc != NULL)
		st->io->close(st->svc);
	st->svc = NULL;
}

/*
 * The connection was reset, or PC/SC reported the card removed: connect
 * again.  The card in the reader then has to show it is the same one
 * (verify) before anything else is sent to it.  No card: the session
 * ends.  Held by another program: try again at the next operation.
 */
static int
reconnect(struct dec_state *st)
{
	int rc;

	if ((rc = dec_card_reconnect(&st->card)) == 0) {
		st->verify = 1;
		st->reconnects++;
		st->n.resets++;
		dec_state_usage(st, time(NULL)); /* reset: a power-up */
		proto_log(PROTO_LOG_NOTICE,
		    "card %s in %s: PC/SC reported a reset or a removal; "
		    "reconnected",
		    DEC_UA(st->card.st.ua), st->card.reader);
		return 0;
	}
	if (rc != PROTO_ERR_STATE)
		dec_session_drop(st, "removed");
	return rc;
}

/* After a reconnect: the card must be the one the session was with. */
static int
same_card(struct dec_state *st)
{
	struct dec_card_state was = st->card.st;
	char reader[DEC_READER_MAX];
	int rc;

	if ((rc = dec_card_refresh(&st->card)) != 0 && rc != PROTO_ERR_FORMAT &&
	    rc != PROTO_ERR_STATE)
		return rc;
	if (rc == 0 && memcmp(was.ua, st->card.st.ua, PROTO_UA_LEN) == 0) {
		st->verify = 0;
		return 0;
	}
	proto_log(PROTO_LOG_NOTICE, "the card in %s is no longer %s",
	    st->card.reader, DEC_UA(was.ua));
	st->card.st = was;
	snprintf(reader, sizeof(reader), "%s", st->card.reader);
	dec_session_drop(st, "replaced");
	set_waiting(st, reader, 1, 0); /* open the other one now */
	return PROTO_ERR_IO;
}

int
dec_session_begin(struct dec_state *st)
{
	int rc;

	if (!st->has_card)
		return PROTO_ERR_STATE;
	if (st->depth > 0) {
		st->depth++;
		return 0;
	}
	if ((rc = dec_card_begin(&st->card)) == PROTO_ERR_IO &&
	    (rc = reconnect(st)) == 0)
		rc = dec_card_begin(&st->card);
	st->held = rc == PROTO_ERR_STATE;
	if (rc != 0)
		return rc;
	st->depth = 1;
	st->lost = 0;
	/* Another program may have selected another applet since. */
	rc = dec_card_select(&st->card);
	if (st->verify && rc != PROTO_ERR_IO)
		rc = same_card(st);
	if (rc != 0)
		return dec_session_end(st, rc);
	return 0;
}

int
dec_session_end(struct dec_state *st, int rc)
{
	if (rc == PROTO_ERR_IO)
		st->lost = 1;
	if (!st->has_card || st->depth == 0 || --st->depth > 0)
		return rc;
	dec_card_end(&st->card);
	if (st->lost)
		(void)reconnect(st);
	return rc;
}

int
dec_session_held(const struct dec_state *st)
{
	if (!st->has_card)
		return st->waiting[0] != '\0' && st->open_fails == 0;
	return dec_card_probe(&st->card) == PROTO_ERR_STATE;
}

const char *
dec_session_why(const struct dec_state *st, int rc)
{
	if (rc == PROTO_ERR_STATE && !st->has_card)
		return "no card";
	if (rc == PROTO_ERR_STATE && st->held)
		return "the card is in use by another program";
	return proto_strerror(rc);
}

int
dec_session_refresh(struct dec_state *st)
{
	int rc;

	if ((rc = dec_session_begin(st)) != 0)
		return rc;
	return dec_session_end(st, dec_card_refresh(&st->card));
}

int
dec_session_cert(struct dec_state *st, uint8_t cert[PROTO_CERT_LEN])
{
	int rc;

	if ((rc = dec_session_begin(st)) != 0)
		return rc;
	return dec_session_end(st, dec_card_cert(&st->card, cert));
}

int
dec_session_block(struct dec_state *st, uint8_t ins, const uint8_t *challenge,
    uint8_t *block, size_t *len, uint16_t *sw)
{
	int rc;

	if ((rc = dec_session_begin(st)) != 0)
		return rc;
	return dec_session_end(st,
	    dec_card_block(&st->card, ins, challenge, block, PROTO_BLOCK_MAX,
		len, sw));
}
