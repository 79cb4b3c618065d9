/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

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

int
dec_session_open(struct dec_state *st, const char *reader)
{
	int rc;

	if (st->has_card)
		return PROTO_ERR_EXISTS;
	if ((rc = ensure_service(st)) != 0)
		return rc;
	rc = dec_card_open(st->io, st->svc, reader, &st->card);
	if (rc == PROTO_ERR_NOTFOUND)
		snprintf(st->foreign, sizeof(st->foreign), "%s", reader);
	if (rc != 0)
		return rc;
	st->has_card = 1;
	st->foreign[0] = '\0';
	return 0;
}

void
dec_session_drop(struct dec_state *st, const char *why)
{
	if (!st->has_card)
		return;
	dec_card_close(&st->card);
	st->has_card = 0;
	st->n_offers = 0;
	proto_log(PROTO_LOG_NOTICE, "card %s %s; M1 kept (%zu entries)",
	    DEC_UA(st->card.st.ua), why, st->m1.n);
}

void
dec_session_release(struct dec_state *st)
{
	dec_session_drop(st, "lost with pcscd");
	if (st->svc != NULL)
		st->io->close(st->svc);
	st->svc = NULL;
}

int
dec_session_begin(struct dec_state *st)
{
	return st->has_card ? 0 : PROTO_ERR_STATE;
}

int
dec_session_end(struct dec_state *st, int rc)
{
	if (rc == PROTO_ERR_IO)
		dec_session_drop(st, "removed during an operation");
	return rc;
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
