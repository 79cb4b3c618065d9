/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "contact.h"
#include "emm.h"
#include "events.h"
#include "export.h"
#include "session.h"

static void
log_inserted(const struct dec_state *st, const char *reader)
{
	const struct dec_card_state *s = &st->card.st;

	proto_log(PROTO_LOG_NOTICE,
	    "card %s inserted in %s (%s, change counter %u)", DEC_UA(s->ua),
	    reader, s->locked ? "transfer-locked" : "unlocked", s->change_ctr);
	if (s->locked)
		proto_log(PROTO_LOG_NOTICE,
		    "card %s is transfer-locked: it may not export; M1 keeps "
		    "its %zu entries until the center acknowledges them",
		    DEC_UA(s->ua), st->m1.n);
}

/* Open the card in reader and apply the policy of an insertion. */
static void
open_card(struct dec_state *st, const char *reader)
{
	int was_waiting = strcmp(st->waiting, reader) == 0, rc;
	unsigned fails = was_waiting ? st->open_fails : 0;

	rc = dec_session_open(st, reader);
	if (rc == PROTO_ERR_STATE) {
		if (!was_waiting)
			proto_log(PROTO_LOG_NOTICE,
			    "the card in %s is in use by another program; "
			    "read once it is released",
			    reader);
		dec_state_set_error(st,
		    "the card is in use by another program");
		return;
	}
	if (rc == PROTO_ERR_NOTFOUND) {
		proto_log(PROTO_LOG_WARNING,
		    "%s: the card in %s is not a security module of ours; "
		    "left alone",
		    __func__, reader);
		return;
	}
	if (rc != 0) {
		/* said once; tried again until it answers or leaves */
		proto_log(fails == 0 ? PROTO_LOG_WARNING : PROTO_LOG_DEBUG,
		    "%s: cannot open the card in %s: %s; trying again (in "
		    "%u ms, then up to every %d ms) until it answers or is "
		    "removed",
		    __func__, reader, proto_strerror(rc), st->open_wait,
		    DEC_OPEN_RETRY_MAX_MS);
		dec_state_set_error(st,
		    "the card in the reader does not answer");
		return;
	}
	if (fails > 0)
		proto_log(PROTO_LOG_NOTICE,
		    "the card in %s answered after %u failed openings", reader,
		    fails);
	log_inserted(st, reader);
	(void)dec_export_certify(st);
	dec_emm_soon(st); /* the broadcast's EMMs for it, at the next tick */
	dec_export_schedule(st, time(NULL));
	dec_export_if_changed(st, "inserted");
	dec_contact_arrived(st, time(NULL));
}

static void
on_present(struct dec_state *st, const char *reader)
{
	if (st->has_card) {
		proto_log(PROTO_LOG_INFO,
		    "card in %s ignored: a session is open with %s", reader,
		    st->card.reader);
		return;
	}
	if (st->cfg.reader[0] != '\0' && strstr(reader, st->cfg.reader) == NULL)
		return;
	open_card(st, reader);
}

static void
on_absent(struct dec_state *st, const char *reader)
{
	if (st->has_card && strcmp(reader, st->card.reader) == 0)
		dec_session_drop(st, "removed");
	if (strcmp(reader, st->foreign) == 0)
		st->foreign[0] = '\0';
	dec_session_unwait(st, reader);
}

void
dec_events_tick(struct dec_state *st, long now_ms)
{
	char reader[DEC_READER_MAX];

	if (st->waiting[0] == '\0' || now_ms < st->next_open)
		return;
	if (st->has_card) {
		dec_session_unwait(st, st->waiting);
		return;
	}
	snprintf(reader, sizeof(reader), "%s", st->waiting);
	open_card(st, reader);
}

int
dec_events_wait_ms(const struct dec_state *st)
{
	long left;

	if (st->waiting[0] == '\0')
		return -1;
	left = st->next_open - dec_now_ms();
	return left <= 0 ? 0 : left > 86400000L ? 86400000 : (int)left;
}

void
dec_events_handle(struct dec_state *st, const struct dec_event *ev)
{
	switch (ev->type) {
	case DEC_EV_PRESENT:
		on_present(st, ev->reader);
		break;
	case DEC_EV_ABSENT:
		on_absent(st, ev->reader);
		break;
	case DEC_EV_SERVICE_DOWN:
		if (st->pcscd_up)
			proto_log(PROTO_LOG_WARNING,
			    "%s: pcscd went away; waiting for it", __func__);
		st->pcscd_up = 0;
		dec_session_release(st);
		break;
	case DEC_EV_SERVICE_UP:
		proto_log(PROTO_LOG_INFO, "pcscd is up");
		st->pcscd_up = 1;
		break;
	default:
		break;
	}
}
