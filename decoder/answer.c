/* SPDX-License-Identifier: BSD-2-Clause */
/* The center's answer, applied on the decoder's side (answer.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/apdu.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "answer.h"
#include "session.h"

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
dec_answer_forget_acked(struct dec_state *st, const struct proto_up_answer *ans)
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

/*
 * The M1 entry a RESULT rejects for good, or NULL: a final reason, for a
 * block M1 holds (same UA and sequence) that went as RECOVERED (not the
 * present card's: its block in the session was UPLINK BLOCKS').
 */
static const struct dec_m1_entry *
finally_rejected(const struct dec_state *st, const struct proto_up_hello *h,
    const struct proto_up_result *r)
{
	const struct dec_m1_entry *e;

	if (r->status != PROTO_UP_REJECTED || !proto_up_reason_final(r->reason))
		return NULL;
	if (h->has_card && memcmp(h->ua, r->ua, PROTO_UA_LEN) == 0)
		return NULL;
	e = dec_m1_find_const(&st->m1, r->ua);
	return e != NULL && e->seq == r->seq ? e : NULL;
}

size_t
dec_answer_quarantine(struct dec_state *st, const struct proto_up_hello *h,
    const struct proto_up_answer *a)
{
	struct dec_quar *q = NULL;
	const struct dec_m1_entry *e;
	char path[PATH_MAX];
	size_t moved = 0;
	int rc = 0;

	st->m1_next = st->m1;
	for (size_t i = 0; i < a->n_res; i++) {
		if ((e = finally_rejected(st, h, &a->res[i])) == NULL)
			continue;
		if (q == NULL && (q = malloc(sizeof(*q))) == NULL) {
			rc = PROTO_ERR_NOMEM;
			goto out;
		}
		if (moved == 0)
			*q = st->quar;
		(void)dec_quar_add(q, e, a->res[i].reason,
		    (uint64_t)time(NULL));
		proto_log(PROTO_LOG_WARNING,
		    "card %s: the center rejected M1's block %u for good (%s): "
		    "it goes into the quarantine",
		    DEC_UA(e->ua), e->seq, proto_up_reason(a->res[i].reason));
		(void)dec_m1_ack(&st->m1_next, a->res[i].ua, a->res[i].seq);
		moved++;
	}
	if (moved == 0)
		goto out;
	/* The quarantine first: a crash before M1 is written leaves the
	 * entry in both, never in neither. */
	if ((rc = dec_quar_path(st->cfg.m1, path, sizeof(path))) != 0 ||
	    (rc = dec_quar_save(path, q)) != 0 ||
	    (rc = dec_m1_save(st->cfg.m1, &st->key, &st->m1_next)) != 0)
		goto out;
	st->quar = *q;
	st->m1 = st->m1_next;
out:
	if (rc != 0)
		proto_log(PROTO_LOG_ERR,
		    "%s: cannot move %zu rejected entries out of M1: %s; they "
		    "stay for the next session",
		    __func__, moved,
		    rc == PROTO_ERR_IO ? strerror(errno) : proto_strerror(rc));
	free(q);
	return rc == 0 ? moved : 0;
}

/* What the center said of each block, and of the session. */
static void
count_answer(struct dec_counters *n, const struct proto_up_answer *a)
{
	size_t rejected = 0;

	for (size_t i = 0; i < a->n_res; i++) {
		if (a->res[i].status == PROTO_UP_ACCEPTED)
			n->blocks_accepted++;
		else if (a->res[i].status == PROTO_UP_DUPLICATE)
			n->blocks_duplicate++;
		else
			rejected++;
	}
	n->blocks_rejected += rejected;
	if (rejected > 0)
		n->uplinks_rejected++;
	else
		n->uplinks_ok++;
}

void
dec_answer_apply(struct dec_state *st, const struct proto_up_hello *hello,
    const struct proto_up_answer *a, struct dec_answer_done *done)
{
	memset(done, 0, sizeof(*done));
	log_rejected(a);
	count_answer(&st->n, a);
	/* the commands are for the card the HELLO claimed */
	if (dec_state_card_is(st, hello->ua))
		done->applied = apply_commands(st, a);
	done->deleted = dec_answer_forget_acked(st, a);
	st->n.commands_applied += done->applied;
	st->n.m1_acked += done->deleted;
	done->quarantined = dec_answer_quarantine(st, hello, a);
	proto_log(PROTO_LOG_NOTICE,
	    "uplink: %zu blocks sent, %u purchases invoiced, %zu of %zu "
	    "commands applied, %zu M1 entries acknowledged and deleted, %zu "
	    "quarantined",
	    a->n_res, a->invoiced, done->applied, a->n_cmds, done->deleted,
	    done->quarantined);
}
