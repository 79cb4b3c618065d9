/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "../proto/log.h"
#include "../proto/proto.h"
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

static void
on_present(struct dec_state *st, const char *reader)
{
	int rc;

	if (st->has_card) {
		proto_log(PROTO_LOG_INFO,
		    "card in %s ignored: a session is open with %s", reader,
		    st->card.reader);
		return;
	}
	if (st->cfg.reader[0] != '\0' && strstr(reader, st->cfg.reader) == NULL)
		return;
	rc = dec_session_open(st, reader);
	if (rc == PROTO_ERR_NOTFOUND) {
		proto_log(PROTO_LOG_WARNING,
		    "%s: the card in %s is not a security module of ours; "
		    "left alone",
		    __func__, reader);
		return;
	}
	if (rc != 0) {
		proto_log(PROTO_LOG_WARNING,
		    "%s: cannot open the card in %s: %s", __func__, reader,
		    proto_strerror(rc));
		return;
	}
	log_inserted(st, reader);
	dec_export_schedule(st, time(NULL));
	dec_export_if_changed(st, "inserted");
}

static void
on_absent(struct dec_state *st, const char *reader)
{
	if (st->has_card && strcmp(reader, st->card.reader) == 0)
		dec_session_drop(st, "removed");
	if (strcmp(reader, st->foreign) == 0)
		st->foreign[0] = '\0';
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
