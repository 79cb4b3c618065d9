/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <string.h>

#include "../proto/apdu.h"
#include "../proto/ctl.h"
#include "../proto/log.h"
#include "../proto/m2.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "ctl.h"
#include "ecm.h"
#include "emm.h"
#include "export.h"
#include "metrics.h"
#include "session.h"
#include "sync.h"

#define CUT_MAX 1000 /* uplink cut=N: frames at most */

static void
do_status(struct dec_state *st, struct proto_ctl_reply *r)
{
	const struct dec_card_state *s = &st->card.st;

	proto_ctl_reply_add(r, "pcscd=%s\n", st->pcscd_up ? "up" : "down");
	if (st->has_card)
		proto_ctl_reply_add(r,
		    "reader=%s\ncard=present\nua=%s\nlocked=%s\n"
		    "change_ctr=%u\nexport_seq=%u\ncredit=%u\nfree_log=%u\n"
		    "held=%s\ncert=%s\nbcast_ctr=%u\nexport_requested=%s\n",
		    st->card.reader, DEC_UA(s->ua), s->locked ? "yes" : "no",
		    s->change_ctr, s->export_seq, s->credit, s->free_log,
		    dec_session_held(st) ? "yes" : "no",
		    dec_export_cert_name(st->cert_verdict), s->bcast_ctr,
		    (s->flags & PROTO_M2_FLAG_EXPORT) ? "yes" : "no");
	else if (st->waiting[0] != '\0' && st->open_fails > 0)
		/* a card is there; it has not answered its opening yet */
		proto_ctl_reply_add(r, "reader=%s\ncard=unanswered\nheld=no\n",
		    st->waiting);
	else if (st->waiting[0] != '\0')
		/* a card is there; another program holds it */
		proto_ctl_reply_add(r, "reader=%s\ncard=held\nheld=yes\n",
		    st->waiting);
	else if (st->foreign[0] != '\0')
		proto_ctl_reply_add(r, "reader=%s\ncard=foreign\n",
		    st->foreign);
	else
		proto_ctl_reply_add(r, "card=absent\n");
	proto_ctl_reply_add(r,
	    "last_export=%lld\nlast_export_seq=%u\nm1_entries=%zu\n"
	    "m1_pending=%zu\nm1_capacity=%d\nquarantined=%zu\nuplink=%s\n"
	    "last_uplink=%lld\nreconnects=%lu\nfirst_contact=%s\n"
	    "contact_tries=%lu\nlast_error=%s\n",
	    (long long)st->last_export, st->last_export_seq, st->m1.n,
	    dec_m1_pending(&st->m1), DEC_M1_MAX_ENTRIES, st->quar.n,
	    st->sync != NULL ? "running" : "idle", (long long)st->last_uplink,
	    st->reconnects, st->contact_at != 0 ? "pending" : "none",
	    st->contact_tries, st->last_error);
}

static void
do_export(struct dec_state *st, struct proto_ctl_reply *r)
{
	struct dec_export_result res;

	if (dec_export_run(st, "requested", 0, &res) != 0) {
		proto_ctl_reply_fail(r, "%s", res.why);
		return;
	}
	dec_export_schedule(st, time(NULL));
	proto_ctl_reply_add(r, "seq=%u\n", st->last_export_seq);
}

static void
do_m1(struct dec_state *st, struct proto_ctl_reply *r)
{
	for (size_t i = 0; i < st->m1.n; i++) {
		const struct dec_m1_entry *e = &st->m1.e[i];
		struct proto_block b;
		const char *kind = "?";

		if (proto_block_parse(e->block, e->len, &b) == 0)
			kind =
			    b.kind == PROTO_BLOCK_EXPORT ? "export" : "uplink";
		proto_ctl_reply_add(r, "entry=%s %s %u %u %llu %s %u\n",
		    DEC_UA(e->ua),
		    e->state == DEC_M1_PENDING ? "pending" : "acked", e->seq,
		    (unsigned)e->len, (unsigned long long)e->exported_at, kind,
		    e->change_ctr);
	}
}

/* "entry=UA SEQ REASON QUARANTINED_AT STORED_AT BYTES REASON'S NAME" */
static void
do_quarantine(struct dec_state *st, struct proto_ctl_reply *r)
{
	for (size_t i = 0; i < st->quar.n; i++) {
		const struct dec_quar_entry *e = &st->quar.e[i];

		proto_ctl_reply_add(r, "entry=%s %u %02X %llu %llu %u %s\n",
		    DEC_UA(e->ua), e->seq, e->reason,
		    (unsigned long long)e->quarantined_at,
		    (unsigned long long)e->stored_at, (unsigned)e->len,
		    proto_up_reason(e->reason));
	}
	proto_ctl_reply_add(r, "dropped=%lu\n", st->quar.dropped);
}

/* Feed the broadcast's EMMs now; the policy follows, as at the tick. */
static void
do_emm(struct dec_state *st, struct proto_ctl_reply *r)
{
	struct dec_emm_result res;

	(void)dec_emm_feed(st, &res);
	switch (res.step) {
	case DEC_EMM_NO_CARD:
	case DEC_EMM_HELD:
	case DEC_EMM_CARD:
		proto_ctl_reply_fail(r, "%s", dec_session_why(st, res.rc));
		break;
	case DEC_EMM_NO_DIR:
		proto_ctl_reply_fail(r, "EMM directory %s: %s", st->cfg.emm_dir,
		    res.rc == PROTO_ERR_NOTFOUND ? strerror(ENOENT) :
						   proto_strerror(res.rc));
		break;
	default:
		proto_ctl_reply_add(r,
		    "files=%zu\nlines=%zu\nbad=%zu\nfed=%zu\napplied=%zu\n"
		    "consumed_refused=%zu\nrefused=%zu\nstale=%zu\n"
		    "bcast_ctr=%u\n",
		    res.files, res.lines, res.bad, res.fed, res.applied,
		    res.consumed_refused, res.refused, res.stale,
		    st->card.st.bcast_ctr);
		break;
	}
	dec_emm_schedule(st, time(NULL));
	if (res.applied + res.consumed_refused > 0)
		dec_export_if_changed(st, "after EMMs");
}

static void
say_outcome(struct proto_ctl_reply *r, size_t i,
    const struct dec_ecm_outcome *o)
{
	unsigned n = (unsigned)i + 1;

	if (o->rc != 0)
		proto_ctl_reply_add(r, "ecm=%u error %s\n", n,
		    proto_strerror(o->rc));
	else if (o->r.outcome == DEC_ECM_CW)
		proto_ctl_reply_add(r, "ecm=%u cw\n", n);
	else if (o->r.outcome == DEC_ECM_DENIED)
		proto_ctl_reply_add(r, "ecm=%u denied\n", n);
	else
		proto_ctl_reply_add(r, "ecm=%u offer %u %u\n", n, o->r.event,
		    o->r.price);
}

static void
do_tune(struct dec_state *st, struct proto_ctl_reply *r, const char *arg)
{
	struct dec_tune_result res;
	unsigned ch;

	if (proto_parse_uint(arg, 0, 0xffff, &ch) != 0) {
		proto_ctl_reply_fail(r, "tune wants a channel number: %s", arg);
		return;
	}
	(void)dec_ecm_tune(st, ch, &res);
	switch (res.step) {
	case DEC_TUNE_NO_CARD:
	case DEC_TUNE_HELD:
		proto_ctl_reply_fail(r, "%s", dec_session_why(st, res.rc));
		break;
	case DEC_TUNE_NO_FILE:
		proto_ctl_reply_fail(r, "%s: %s", res.path,
		    proto_strerror(res.rc));
		break;
	case DEC_TUNE_BAD_LINE:
		proto_ctl_reply_fail(r, "%s: line %u is not an ECM", res.path,
		    res.bad_line);
		break;
	default:
		if (res.rc != 0)
			proto_ctl_reply_fail(r, "%s: %s", res.path,
			    proto_strerror(res.rc));
		for (size_t i = 0; i < res.n; i++)
			say_outcome(r, i, &res.ecm[i]);
		break;
	}
	/* ECMs were fed: the card's counters moved */
	if (res.step == DEC_TUNE_DONE || res.step == DEC_TUNE_BAD_LINE)
		dec_export_after(st, "after ECMs");
	dec_tune_result_free(&res);
}

static const char *
buy_refusal(uint16_t sw)
{
	switch (sw) {
	case SM_SW_NO_CREDIT:
		return "insufficient credit";
	case SM_SW_ALREADY_BOUGHT:
		return "event already bought";
	case SM_SW_LOG_FULL:
		return "purchase log full: an uplink is needed";
	case SM_SW_NOT_PURCHASABLE:
		return "event not purchasable, or over";
	case SM_SW_LOCKED:
		return "the card is transfer-locked until the center has "
		       "seen it";
	default:
		return proto_sw_str(sw);
	}
}

static void
do_buy(struct dec_state *st, struct proto_ctl_reply *r, const char *arg)
{
	struct dec_buy_result res;
	uint32_t event;

	if (proto_parse_u32(arg, 0, UINT32_MAX, &event) != 0) {
		proto_ctl_reply_fail(r, "buy wants an event number: %s", arg);
		return;
	}
	(void)dec_ecm_buy(st, event, &res);
	switch (res.step) {
	case DEC_BUY_DONE:
		proto_ctl_reply_add(r, "purchase=%u\ncredit=%u\n", res.seq,
		    res.credit);
		dec_export_after(st, "purchase");
		break;
	case DEC_BUY_NO_CARD:
		proto_ctl_reply_fail(r, "no card");
		break;
	case DEC_BUY_NO_OFFER:
		proto_ctl_reply_fail(r,
		    "no offer for event %u seen; tune to its channel first",
		    event);
		break;
	default:
		proto_ctl_reply_fail(r, "purchase refused: %s",
		    res.rc == PROTO_ERR_STATE && res.sw != 0 ?
			buy_refusal(res.sw) :
			dec_session_why(st, res.rc));
		break;
	}
}

static const char *
result_name(uint8_t status)
{
	return status == PROTO_UP_ACCEPTED ? "accepted" :
	    status == PROTO_UP_DUPLICATE   ? "duplicate" :
					     "rejected";
}

void
dec_ctl_say_uplink(struct proto_ctl_reply *r, const struct dec_sync_result *res)
{
	const struct proto_up_answer *a = &res->out.ans;

	if (res->rc != 0) {
		proto_ctl_reply_fail(r, "%s", res->why);
		return;
	}
	if (res->present_rc != 0)
		proto_ctl_reply_add(r, "present=unread: %s\n",
		    res->present_why);
	for (size_t i = 0; i < a->n_res; i++)
		proto_ctl_reply_add(r, "block=%s %u %s %s\n",
		    DEC_UA(a->res[i].ua), a->res[i].seq,
		    result_name(a->res[i].status),
		    proto_up_reason(a->res[i].reason));
	proto_ctl_reply_add(r,
	    "invoiced=%u\nflagged=%u\ncommands=%zu\napplied=%zu\n"
	    "m1_deleted=%zu\nm1_quarantined=%zu\n",
	    a->invoiced, a->flagged, a->n_cmds, res->applied, res->deleted,
	    res->quarantined);
}

/* The Prometheus text, a line of it in each m= value. */
static void
do_metrics(struct dec_state *st, struct proto_ctl_reply *r)
{
	static char text[DEC_METRICS_MAX];
	const char *p, *lf;
	size_t len;

	if ((len = dec_metrics_text(st, text, sizeof(text))) == 0) {
		proto_ctl_reply_fail(r, "metrics: more than %d bytes",
		    DEC_METRICS_MAX);
		return;
	}
	for (p = text; (lf = memchr(p, '\n', len - (size_t)(p - text))) != NULL;
	     p = lf + 1)
		proto_ctl_reply_add(r, "m=%.*s\n", (int)(lf - p), p);
}

/* The reply waits for the session's end (dec_ctl_uplink_done). */
static int
do_uplink(struct dec_state *st, struct proto_ctl_reply *r, const char *arg)
{
	struct dec_sync_result res;
	unsigned cut = 0;

	if (*arg != '\0' &&
	    (strncmp(arg, "cut=", 4) != 0 ||
		proto_parse_uint(arg + 4, 0, CUT_MAX, &cut) != 0)) {
		proto_ctl_reply_fail(r,
		    "uplink takes no argument but cut=N: %s", arg);
		return 0;
	}
	if (st->sync != NULL && cut == 0)
		return DEC_CTL_PENDING; /* the session under way answers */
	if (dec_sync_start(st, cut, &res) != 0) {
		proto_log(PROTO_LOG_WARNING,
		    "%s: %s; everything stays for the next try", __func__,
		    res.why);
		proto_ctl_reply_fail(r, "%s", res.why);
		return 0;
	}
	return DEC_CTL_PENDING;
}

int
dec_ctl_answer(struct proto_ctl_reply *r, struct dec_state *st,
    const char *verb, const char *arg)
{
	if (strcmp(verb, "status") == 0 && *arg == '\0')
		do_status(st, r);
	else if (strcmp(verb, "export") == 0 && *arg == '\0')
		do_export(st, r);
	else if (strcmp(verb, "m1") == 0 && *arg == '\0')
		do_m1(st, r);
	else if (strcmp(verb, "quarantine") == 0 && *arg == '\0')
		do_quarantine(st, r);
	else if (strcmp(verb, "emm") == 0 && *arg == '\0')
		do_emm(st, r);
	else if (strcmp(verb, "tune") == 0)
		do_tune(st, r, arg);
	else if (strcmp(verb, "buy") == 0)
		do_buy(st, r, arg);
	else if (strcmp(verb, "uplink") == 0)
		return do_uplink(st, r, arg);
	else if (strcmp(verb, "metrics") == 0 && *arg == '\0')
		do_metrics(st, r);
	else
		proto_ctl_reply_fail(r, "unknown request: %s", verb);
	return 0;
}
