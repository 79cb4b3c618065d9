/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../proto/apdu.h"
#include "../proto/buf.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "../proto/tls.h"
#include "session.h"
#include "sync.h"

/* The present card's block, made when the center's challenge is known. */
struct present {
	struct dec_state *st;
	struct dec_sync_result *res;
	uint8_t block[PROTO_BLOCK_MAX];
};

static void
present_unread(struct dec_state *st, struct dec_sync_result *res, int rc)
{
	res->present_rc = rc;
	snprintf(res->present_why, sizeof(res->present_why), "%s",
	    rc == PROTO_ERR_STATE && res->sw != 0 ? proto_sw_str(res->sw) :
						    dec_session_why(st, rc));
	proto_log(PROTO_LOG_WARNING,
	    "%s: UPLINK BLOCKS failed (%s): the session goes without the "
	    "present card's block",
	    __func__, res->present_why);
}

/* M1's entries of other cards go even when the card cannot be read. */
static int
present_block(void *arg, const uint8_t challenge[PROTO_CHALLENGE_LEN],
    const uint8_t **block, size_t *len)
{
	struct present *p = arg;
	struct dec_sync_result *res = p->res;
	int rc;

	if ((rc = dec_session_block(p->st, SM_INS_UPLINK, challenge, p->block,
		 len, &res->sw)) != 0) {
		present_unread(p->st, res, rc);
		*block = NULL;
		return 0;
	}
	*block = p->block;
	return 0;
}

/* What goes out: the present card's block, other cards' pending ones. */
static void
build_in(struct dec_state *st, struct dec_uplink_in *in, struct present *p)
{
	memset(in, 0, sizeof(*in));
	memcpy(in->hello.decoder_id, st->key.id, DEC_ID_LEN);
	if (st->has_card) {
		in->hello.has_card = 1;
		memcpy(in->hello.ua, st->card.st.ua, PROTO_UA_LEN);
		in->present = present_block;
		in->present_arg = p;
	}
	for (size_t i = 0; i < st->m1.n; i++) {
		const struct dec_m1_entry *e = &st->m1.e[i];
		if (e->state != DEC_M1_PENDING ||
		    (in->hello.has_card &&
			memcmp(e->ua, in->hello.ua, PROTO_UA_LEN) == 0))
			continue;
		in->rec[in->n_rec++] = e;
	}
}

/*
 * Apply the center's commands in order.  A command the card consumed but
 * refused (9303: it records why, for the center) does not stop the
 * others; any other failure does.  Returns how many were applied.
 */
static size_t
apply_commands(struct dec_state *st, const struct proto_up_answer *a)
{
	uint16_t sw = 0;
	size_t i, applied = 0;
	int rc;

	if (a->n_cmds == 0)
		return 0;
	if ((rc = dec_session_begin(st)) != 0) {
		proto_log(PROTO_LOG_WARNING,
		    "%s: %zu commands not applied: %s; the center sends them "
		    "again",
		    __func__, a->n_cmds, dec_session_why(st, rc));
		return 0;
	}
	for (i = 0; i < a->n_cmds; i++) {
		rc =
		    dec_card_command(&st->card, a->cmds[i], a->cmd_len[i], &sw);
		if (rc == PROTO_ERR_STATE && sw == SM_SW_CMD_REFUSED) {
			proto_log(PROTO_LOG_NOTICE,
			    "%s: the card consumed command %zu of %zu and "
			    "refused it; its next block tells the center why",
			    __func__, i + 1, a->n_cmds);
			rc = 0;
			continue;
		}
		if (rc != 0) {
			proto_log(PROTO_LOG_WARNING,
			    "%s: the card refused command %zu of %zu: %s",
			    __func__, i + 1, a->n_cmds,
			    rc == PROTO_ERR_STATE ? proto_sw_str(sw) :
						    proto_strerror(rc));
			break;
		}
		applied++;
	}
	(void)dec_session_end(st, rc);
	return applied;
}

size_t
dec_sync_forget_acked(struct dec_state *st, const struct proto_up_answer *ans)
{
	size_t deleted = 0;
	int rc;

	st->m1_next = st->m1;
	for (size_t i = 0; i < ans->n_acks; i++)
		if (dec_m1_ack(&st->m1_next, ans->ack_ua[i], ans->ack_seq[i]) ==
		    0)
			deleted++;
	if (deleted == 0)
		return 0;
	if ((rc = dec_m1_save(st->cfg.m1, &st->key, &st->m1_next)) != 0) {
		proto_log(PROTO_LOG_ERR,
		    "%s: cannot write %s: %s; the entries stay for the next "
		    "session",
		    __func__, st->cfg.m1,
		    rc == PROTO_ERR_IO ? strerror(errno) : proto_strerror(rc));
		return 0;
	}
	st->m1 = st->m1_next;
	return deleted;
}

static void
log_rejected(const struct proto_up_answer *a)
{
	for (size_t i = 0; i < a->n_res; i++)
		if (a->res[i].status == PROTO_UP_REJECTED)
			proto_log(PROTO_LOG_WARNING,
			    "%s: the center rejected block %u of card %s: %s",
			    __func__, a->res[i].seq, DEC_UA(a->res[i].ua),
			    proto_up_reason(a->res[i].reason));
}

int
dec_sync_run(struct dec_state *st, unsigned cut, struct dec_sync_result *res)
{
	struct present p = { .st = st, .res = res };
	struct dec_uplink_in in;
	const struct proto_up_answer *a = &res->out.ans;
	int rc;

	memset(res, 0, sizeof(*res));
	if (st->tls == NULL &&
	    (rc = proto_tls_client_ctx(st->cfg.ca, &st->tls)) != 0) {
		dec_state_failed(st, res->why, "CA file %.200s: %s", st->cfg.ca,
		    proto_strerror(rc));
		res->step = DEC_SYNC_CA;
		return res->rc = rc;
	}
	build_in(st, &in, &p);
	in.cut_after = cut;
	if ((rc = dec_uplink_run(st->tls, st->cfg.center_host,
		 st->cfg.center_port, &in, &res->out)) != 0) {
		if (rc == PROTO_ERR_STATE &&
		    (a->error == PROTO_UP_BUSY || a->error == PROTO_UP_FULL))
			dec_state_failed(st, res->why,
			    "center %.200s:%s busy: try again later",
			    st->cfg.center_host, st->cfg.center_port);
		else
			dec_state_failed(st, res->why,
			    "uplink to %.200s:%s failed: %s",
			    st->cfg.center_host, st->cfg.center_port,
			    rc == PROTO_ERR_STATE ? proto_up_reason(a->error) :
						    proto_strerror(rc));
		res->step = DEC_SYNC_CENTER;
		return res->rc = rc;
	}
	log_rejected(a);
	res->applied = apply_commands(st, a);
	res->deleted = dec_sync_forget_acked(st, a);
	st->last_uplink = time(NULL);
	proto_log(PROTO_LOG_NOTICE,
	    "uplink: %zu blocks sent, %u purchases invoiced, %zu of %zu "
	    "commands applied, %zu M1 entries acknowledged and deleted",
	    a->n_res, a->invoiced, res->applied, a->n_cmds, res->deleted);
	return 0;
}

void
dec_sync_schedule(struct dec_state *st, time_t now)
{
	st->next_uplink = dec_deadline(now, st->cfg.uplink_interval);
}

int
dec_sync_due(const struct dec_state *st, time_t now)
{
	return dec_deadline_passed(st->next_uplink, now);
}

time_t
dec_sync_deadline(const struct dec_state *st)
{
	return st->next_uplink;
}
