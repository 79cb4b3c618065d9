/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decoderd: the decoder daemon.  It watches the readers, keeps a session
 * with the security module in one of them, exports the card's data into
 * M1 by policy (the change counter moved, the interval passed, asked to),
 * feeds ECMs, makes impulse purchases, and answers decoderctl on a
 * control socket.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../proto/apdu.h"
#include "../proto/ctl.h"
#include "../proto/file.h"
#include "../proto/buf.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "../proto/stop.h"
#include "../proto/tls.h"
#include "card.h"
#include "config.h"
#include "m1.h"
#include "monitor.h"
#include "uplink.h"

#define MAX_OFFERS 16
#define ECM_FILE_MAX (1 << 20)
#define REPLY_MAX 65536

struct offer {
	uint32_t event;
	uint8_t ecm[PROTO_ECM_LEN];
};

struct daemon {
	struct dec_config cfg;
	struct dec_key key;
	struct dec_m1 m1;
	int ctl_fd, ev_fd;
	struct dec_monitor *mon;
	SCARDCONTEXT ctx;
	int has_ctx, pcscd_up;
	struct dec_card card;
	int has_card;
	char foreign[DEC_READER_MAX]; /* a reader holding a card not ours */
	time_t next_export;
	time_t last_export;
	uint32_t last_export_seq;
	char last_error[512];
	struct offer offers[MAX_OFFERS];
	size_t n_offers;
	SSL_CTX *tls;
	time_t next_uplink;
	time_t last_uplink;
};

static const char *
ua_str(const uint8_t ua[PROTO_UA_LEN])
{
	static char s[2 * PROTO_UA_LEN + 1];

	proto_hex(ua, PROTO_UA_LEN, s);
	return s;
}

/* --- replies ---------------------------------------------------------- */

struct reply {
	char buf[REPLY_MAX];
	size_t len;
	int failed;
};

static void reply_add(struct reply *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reply_add(struct reply *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, sizeof(r->buf) - r->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(r->buf) - r->len)
		r->failed = 1;
	else
		r->len += (size_t)n;
}

static void reply_fail(struct reply *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reply_fail(struct reply *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	memcpy(r->buf, "error: ", 7);
	va_start(ap, fmt);
	n = vsnprintf(r->buf + 7, 1024, fmt, ap);
	va_end(ap);
	r->len = 7 + (n > 0 && n < 1024 ? (size_t)n : 0);
	for (size_t i = 0; i < r->len; i++)
		if (r->buf[i] == '\n')
			r->buf[i] = ' ';
	r->buf[r->len++] = '\n';
	r->failed = 2;
}

/* --- card session ------------------------------------------------------- */

static void
drop_card(struct daemon *d, const char *why)
{
	if (!d->has_card)
		return;
	dec_card_close(&d->card);
	d->has_card = 0;
	d->n_offers = 0;
	proto_log(PROTO_LOG_NOTICE, "card %s %s; M1 kept (%zu entries)",
	    ua_str(d->card.st.ua), why, d->m1.n);
}

static int
ensure_ctx(struct daemon *d)
{
	LONG rv;

	if (d->has_ctx)
		return 0;
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &d->ctx);
	if (rv != SCARD_S_SUCCESS)
		return PROTO_ERR_IO;
	d->has_ctx = 1;
	return 0;
}

static void
drop_ctx(struct daemon *d)
{
	drop_card(d, "lost with pcscd");
	if (d->has_ctx)
		SCardReleaseContext(d->ctx);
	d->has_ctx = 0;
}

/* A card operation failed: a lost card or pcscd ends the session. */
static void
card_failed(struct daemon *d, int rc)
{
	if (rc == PROTO_ERR_IO)
		drop_card(d, "removed during an operation");
}

static void
set_error(struct daemon *d, const char *msg)
{
	snprintf(d->last_error, sizeof(d->last_error), "%s", msg);
}

/*
 * Export the present card into M1; fresh says d->card.st was just read
 * (no GET DATA needed first).  On failure *why says what went wrong and
 * neither M1 nor the file changed.
 */
static int
export_now(struct daemon *d, const char *reason, int fresh, char *why,
    size_t cap)
{
	static struct dec_m1 next;
	uint8_t block[PROTO_BLOCK_MAX];
	size_t len = 0;
	uint16_t sw = 0;
	int rc;

	if (!d->has_card) {
		snprintf(why, cap, "no card");
		return PROTO_ERR_STATE;
	}
	if (!fresh && (rc = dec_card_refresh(&d->card)) != 0) {
		snprintf(why, cap, "the card did not answer: %s",
		    proto_strerror(rc));
		card_failed(d, rc);
		return rc;
	}
	if (d->card.st.locked) {
		snprintf(why, cap, "card %s is transfer-locked",
		    ua_str(d->card.st.ua));
		return PROTO_ERR_STATE;
	}
	rc = dec_card_block(&d->card, SM_INS_EXPORT, block, sizeof(block), &len,
	    &sw);
	if (rc != 0) {
		snprintf(why, cap, "EXPORT failed: %s",
		    rc == PROTO_ERR_STATE ? proto_sw_str(sw) :
					    proto_strerror(rc));
		card_failed(d, rc);
		return rc;
	}
	next = d->m1;
	if ((rc = dec_m1_put(&next, block, len, d->card.st.change_ctr,
		 (uint64_t)time(NULL))) != 0) {
		if (rc == PROTO_ERR_TOOBIG)
			snprintf(why, cap,
			    "M1 is full: %zu entries wait for "
			    "the center",
			    dec_m1_pending(&d->m1));
		else
			snprintf(why, cap, "M1 refused the block: %s",
			    proto_strerror(rc));
		return rc;
	}
	if ((rc = dec_m1_save(d->cfg.m1, &d->key, &next)) != 0) {
		snprintf(why, cap, "cannot write %.180s: %s", d->cfg.m1,
		    rc == PROTO_ERR_IO ? strerror(errno) : proto_strerror(rc));
		return rc;
	}
	d->m1 = next;
	(void)dec_card_refresh(&d->card);
	d->last_export = time(NULL);
	d->last_export_seq = dec_m1_find(&d->m1, d->card.st.ua)->seq;
	proto_log(PROTO_LOG_NOTICE,
	    "exported card %s (seq %u, %zu bytes, %s) "
	    "into M1",
	    ua_str(d->card.st.ua), d->last_export_seq, len, reason);
	return 0;
}

static void
schedule(struct daemon *d)
{
	d->next_export = d->cfg.export_interval > 0 ?
	    time(NULL) + (time_t)d->cfg.export_interval :
	    0;
}

/*
 * Export if the card's change counter moved since M1's copy.  The caller
 * has just read the card's state.
 */
static void
policy(struct daemon *d, const char *reason)
{
	struct dec_m1_entry *e;
	char why[256];

	if (!d->has_card || d->card.st.locked)
		return;
	e = dec_m1_find(&d->m1, d->card.st.ua);
	if (e != NULL && e->change_ctr == d->card.st.change_ctr)
		return;
	if (export_now(d, reason, 1, why, sizeof(why)) != 0) {
		proto_log(PROTO_LOG_ERR, "export of card %s failed: %s",
		    ua_str(d->card.st.ua), why);
		set_error(d, why);
	}
	schedule(d);
}

static void
on_present(struct daemon *d, const char *reader)
{
	int rc;

	if (d->has_card) {
		proto_log(PROTO_LOG_INFO,
		    "card in %s ignored: a session is open "
		    "with %s",
		    reader, d->card.reader);
		return;
	}
	if (d->cfg.reader[0] != '\0' && strstr(reader, d->cfg.reader) == NULL)
		return;
	if (ensure_ctx(d) != 0)
		return;
	rc = dec_card_open(d->ctx, reader, &d->card);
	if (rc == PROTO_ERR_NOTFOUND) {
		proto_log(PROTO_LOG_WARNING,
		    "the card in %s is not a security "
		    "module of ours; left alone",
		    reader);
		snprintf(d->foreign, sizeof(d->foreign), "%s", reader);
		return;
	}
	if (rc != 0) {
		proto_log(PROTO_LOG_WARNING, "cannot open the card in %s: %s",
		    reader, proto_strerror(rc));
		return;
	}
	d->has_card = 1;
	d->foreign[0] = '\0';
	proto_log(PROTO_LOG_NOTICE,
	    "card %s inserted in %s (%s, change "
	    "counter %u)",
	    ua_str(d->card.st.ua), reader,
	    d->card.st.locked ? "transfer-locked" : "unlocked",
	    d->card.st.change_ctr);
	if (d->card.st.locked)
		proto_log(PROTO_LOG_NOTICE,
		    "card %s is transfer-locked: it may "
		    "not export; M1 keeps its %zu entries until the center "
		    "acknowledges them",
		    ua_str(d->card.st.ua), d->m1.n);
	schedule(d);
	policy(d, "inserted");
}

static void
on_event(struct daemon *d, const struct dec_event *ev)
{
	switch (ev->type) {
	case DEC_EV_PRESENT:
		on_present(d, ev->reader);
		break;
	case DEC_EV_ABSENT:
		if (d->has_card && strcmp(ev->reader, d->card.reader) == 0)
			drop_card(d, "removed");
		if (strcmp(ev->reader, d->foreign) == 0)
			d->foreign[0] = '\0';
		break;
	case DEC_EV_SERVICE_DOWN:
		if (d->pcscd_up)
			proto_log(PROTO_LOG_WARNING,
			    "pcscd went away; waiting "
			    "for it");
		d->pcscd_up = 0;
		drop_ctx(d);
		break;
	case DEC_EV_SERVICE_UP:
		proto_log(PROTO_LOG_INFO, "pcscd is up");
		d->pcscd_up = 1;
		break;
	default:
		break;
	}
}

/* --- control requests ---------------------------------------------------- */

static int
parse_u32(const char *s, uint32_t max, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || x > max)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static void
do_status(struct daemon *d, struct reply *r)
{
	const struct dec_card_state *s = &d->card.st;

	reply_add(r, "pcscd=%s\n", d->pcscd_up ? "up" : "down");
	if (d->has_card) {
		reply_add(r,
		    "reader=%s\ncard=present\nua=%s\nlocked=%s\n"
		    "change_ctr=%u\nexport_seq=%u\ncredit=%u\nfree_log=%u\n",
		    d->card.reader, ua_str(s->ua), s->locked ? "yes" : "no",
		    s->change_ctr, s->export_seq, s->credit, s->free_log);
	} else if (d->foreign[0] != '\0') {
		reply_add(r, "reader=%s\ncard=foreign\n", d->foreign);
	} else {
		reply_add(r, "card=absent\n");
	}
	reply_add(r,
	    "last_export=%lld\nlast_export_seq=%u\nm1_entries=%zu\n"
	    "m1_pending=%zu\nlast_uplink=%lld\nlast_error=%s\n",
	    (long long)d->last_export, d->last_export_seq, d->m1.n,
	    dec_m1_pending(&d->m1), (long long)d->last_uplink, d->last_error);
}

static void
do_export(struct daemon *d, struct reply *r)
{
	char why[256];

	if (export_now(d, "requested", 0, why, sizeof(why)) != 0) {
		set_error(d, why);
		reply_fail(r, "%s", why);
		return;
	}
	schedule(d);
	reply_add(r, "seq=%u\n", d->last_export_seq);
}

static void
do_m1(struct daemon *d, struct reply *r)
{
	for (size_t i = 0; i < d->m1.n; i++) {
		const struct dec_m1_entry *e = &d->m1.e[i];
		struct proto_block b;
		const char *kind = "?";

		if (proto_block_parse(e->block, e->len, &b) == 0)
			kind =
			    b.kind == PROTO_BLOCK_EXPORT ? "export" : "uplink";
		reply_add(r, "entry=%s %s %u %u %llu %s %u\n", ua_str(e->ua),
		    e->state == DEC_M1_PENDING ? "pending" : "acked", e->seq,
		    (unsigned)e->len, (unsigned long long)e->exported_at, kind,
		    e->change_ctr);
	}
}

static void
remember_offer(struct daemon *d, uint32_t event, const uint8_t *ecm)
{
	size_t i;

	for (i = 0; i < d->n_offers; i++)
		if (d->offers[i].event == event)
			break;
	if (i == d->n_offers) {
		if (d->n_offers == MAX_OFFERS) {
			memmove(&d->offers[0], &d->offers[1],
			    (MAX_OFFERS - 1) * sizeof(d->offers[0]));
			i = MAX_OFFERS - 1;
		} else {
			d->n_offers++;
		}
	}
	d->offers[i].event = event;
	memcpy(d->offers[i].ecm, ecm, PROTO_ECM_LEN);
}

/* One ECM line: exactly 2 * PROTO_ECM_LEN hex digits. */
static int
parse_ecm_line(const char *line, size_t n, uint8_t ecm[PROTO_ECM_LEN])
{
	if (n > 0 && line[n - 1] == '\r')
		n--;
	return proto_unhex(line, n, ecm, PROTO_ECM_LEN) == 0 ? 0 : -1;
}

static void
feed_ecm(struct daemon *d, struct reply *r, unsigned i, const uint8_t *ecm)
{
	struct dec_ecm_result res;
	int rc;

	if ((rc = dec_card_ecm(&d->card, ecm, PROTO_ECM_LEN, &res)) != 0) {
		reply_add(r, "ecm=%u error %s\n", i, proto_strerror(rc));
		card_failed(d, rc);
		return;
	}
	switch (res.outcome) {
	case DEC_ECM_CW:
		reply_add(r, "ecm=%u cw\n", i);
		break;
	case DEC_ECM_DENIED:
		reply_add(r, "ecm=%u denied\n", i);
		break;
	default:
		reply_add(r, "ecm=%u offer %u %u\n", i, res.event, res.price);
		remember_offer(d, res.event, ecm);
		break;
	}
}

static void
do_tune(struct daemon *d, struct reply *r, const char *arg)
{
	char path[PATH_MAX + 32];
	struct proto_rd rd;
	uint8_t *file = NULL, ecm[PROTO_ECM_LEN];
	const char *line;
	size_t len = 0, n;
	uint32_t ch;
	unsigned i = 0;
	int rc;

	if (parse_u32(arg, 0xffff, &ch) != 0) {
		reply_fail(r, "tune wants a channel number: %s", arg);
		return;
	}
	if (!d->has_card) {
		reply_fail(r, "no card");
		return;
	}
	snprintf(path, sizeof(path), "%s/%u.ecm", d->cfg.ecm_dir, ch);
	if ((rc = proto_file_read(path, ECM_FILE_MAX, &file, &len)) != 0) {
		reply_fail(r, "%s: %s", path, proto_strerror(rc));
		return;
	}
	proto_rd_init(&rd, file, len);
	while (proto_rd_left(&rd) > 0 && d->has_card) {
		if (proto_ctl_next_line(&rd, &line, &n) != 0)
			proto_rd_rest(&rd, (const uint8_t **)&line, &n);
		if (n == 0)
			continue;
		if (parse_ecm_line(line, n, ecm) != 0) {
			reply_fail(r, "%s: line %u is not an ECM", path, i + 1);
			break;
		}
		feed_ecm(d, r, ++i, ecm);
	}
	free(file);
	if (d->has_card && dec_card_refresh(&d->card) == 0)
		policy(d, "after ECMs");
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
	default:
		return proto_sw_str(sw);
	}
}

static void
do_buy(struct daemon *d, struct reply *r, const char *arg)
{
	uint32_t event, seq = 0, credit = 0;
	uint16_t sw = 0;
	size_t i;
	int rc;

	if (parse_u32(arg, UINT32_MAX, &event) != 0) {
		reply_fail(r, "buy wants an event number: %s", arg);
		return;
	}
	if (!d->has_card) {
		reply_fail(r, "no card");
		return;
	}
	for (i = 0; i < d->n_offers; i++)
		if (d->offers[i].event == event)
			break;
	if (i == d->n_offers) {
		reply_fail(r,
		    "no offer for event %u seen; tune to its channel "
		    "first",
		    event);
		return;
	}
	rc = dec_card_buy(&d->card, d->offers[i].ecm, PROTO_ECM_LEN, &seq,
	    &credit, &sw);
	if (rc != 0) {
		reply_fail(r, "purchase refused: %s",
		    rc == PROTO_ERR_STATE ? buy_refusal(sw) :
					    proto_strerror(rc));
		card_failed(d, rc);
		return;
	}
	proto_log(PROTO_LOG_NOTICE,
	    "card %s bought event %u (purchase %u, "
	    "credit left %u)",
	    ua_str(d->card.st.ua), event, seq, credit);
	reply_add(r, "purchase=%u\ncredit=%u\n", seq, credit);
	if (dec_card_refresh(&d->card) == 0)
		policy(d, "purchase");
}

static const char *
result_name(uint8_t status)
{
	return status == PROTO_UP_ACCEPTED ? "accepted" :
	    status == PROTO_UP_DUPLICATE   ? "duplicate" :
					     "rejected";
}

/* Apply the center's commands in order; stop at the first refusal. */
static size_t
apply_commands(struct daemon *d, const struct dec_uplink_out *o)
{
	uint16_t sw = 0;
	size_t i;
	int rc;

	for (i = 0; i < o->ans.n_cmds && d->has_card; i++) {
		if ((rc = dec_card_command(&d->card, o->ans.cmds[i],
			 o->ans.cmd_len[i], &sw)) != 0) {
			proto_log(PROTO_LOG_WARNING,
			    "the card refused command "
			    "%zu of %zu: %s",
			    i + 1, o->ans.n_cmds,
			    rc == PROTO_ERR_STATE ? proto_sw_str(sw) :
						    proto_strerror(rc));
			card_failed(d, rc);
			break;
		}
	}
	return i;
}

/* Delete the M1 entries the center acknowledged, durably. */
static size_t
delete_acked(struct daemon *d, const struct dec_uplink_out *o)
{
	static struct dec_m1 next;
	struct dec_m1_entry *e;
	size_t deleted = 0;
	int rc;

	next = d->m1;
	for (size_t i = 0; i < o->ans.n_acks; i++) {
		e = dec_m1_find(&next, o->ans.ack_ua[i]);
		/* only the very block the center holds */
		if (e != NULL && e->seq == o->ans.ack_seq[i] &&
		    dec_m1_remove(&next, o->ans.ack_ua[i]) == 0)
			deleted++;
	}
	if (deleted == 0)
		return 0;
	if ((rc = dec_m1_save(d->cfg.m1, &d->key, &next)) != 0) {
		proto_log(PROTO_LOG_ERR,
		    "cannot write %s: %s; the entries stay "
		    "for the next session",
		    d->cfg.m1, proto_strerror(rc));
		return 0;
	}
	d->m1 = next;
	return deleted;
}

static int
uplink_in(struct daemon *d, struct dec_uplink_in *in, uint8_t *block,
    size_t *blen, char *why, size_t cap)
{
	uint16_t sw = 0;
	int rc;

	memset(in, 0, sizeof(*in));
	memcpy(in->hello.decoder_id, d->key.id, DEC_ID_LEN);
	if (d->has_card) {
		in->hello.has_card = 1;
		memcpy(in->hello.ua, d->card.st.ua, PROTO_UA_LEN);
		if ((rc = dec_card_block(&d->card, SM_INS_UPLINK, block,
			 PROTO_BLOCK_MAX, blen, &sw)) != 0) {
			snprintf(why, cap, "UPLINK BLOCKS failed: %s",
			    rc == PROTO_ERR_STATE ? proto_sw_str(sw) :
						    proto_strerror(rc));
			card_failed(d, rc);
			return rc;
		}
		in->present = block;
		in->present_len = *blen;
	}
	for (size_t i = 0; i < d->m1.n; i++) {
		const struct dec_m1_entry *e = &d->m1.e[i];
		if (e->state != DEC_M1_PENDING ||
		    (in->hello.has_card &&
			memcmp(e->ua, in->hello.ua, PROTO_UA_LEN) == 0))
			continue;
		in->rec[in->n_rec++] = e;
	}
	return 0;
}

static int
uplink_now(struct daemon *d, unsigned cut, struct reply *r, char *why,
    size_t cap)
{
	static struct dec_uplink_in in;
	static struct dec_uplink_out o;
	uint8_t block[PROTO_BLOCK_MAX];
	size_t blen = 0, applied, deleted;
	int rc;

	if (d->tls == NULL &&
	    (rc = proto_tls_client_ctx(d->cfg.ca, &d->tls)) != 0) {
		snprintf(why, cap, "CA file %.200s: %s", d->cfg.ca,
		    proto_strerror(rc));
		return rc;
	}
	if ((rc = uplink_in(d, &in, block, &blen, why, cap)) != 0)
		return rc;
	in.cut_after = cut;
	rc = dec_uplink_run(d->tls, d->cfg.center_host, d->cfg.center_port, &in,
	    &o);
	if (rc != 0) {
		snprintf(why, cap, "uplink to %.200s:%s failed: %s",
		    d->cfg.center_host, d->cfg.center_port,
		    rc == PROTO_ERR_STATE ? proto_up_reason(o.ans.error) :
					    proto_strerror(rc));
		return rc;
	}
	for (size_t i = 0; i < o.ans.n_res; i++) {
		char ua[2 * PROTO_UA_LEN + 1];
		proto_hex(o.ans.res[i].ua, PROTO_UA_LEN, ua);
		if (r != NULL)
			reply_add(r, "block=%s %u %s %s\n", ua,
			    o.ans.res[i].seq, result_name(o.ans.res[i].status),
			    proto_up_reason(o.ans.res[i].reason));
		if (o.ans.res[i].status == PROTO_UP_REJECTED)
			proto_log(PROTO_LOG_WARNING,
			    "the center rejected block "
			    "%u of card %s: %s",
			    o.ans.res[i].seq, ua,
			    proto_up_reason(o.ans.res[i].reason));
	}
	applied = apply_commands(d, &o);
	deleted = delete_acked(d, &o);
	d->last_uplink = time(NULL);
	proto_log(PROTO_LOG_NOTICE,
	    "uplink: %zu blocks sent, %u purchases "
	    "invoiced, %zu of %zu commands applied, %zu M1 entries "
	    "acknowledged and deleted",
	    o.ans.n_res, o.ans.invoiced, applied, o.ans.n_cmds, deleted);
	if (r != NULL)
		reply_add(r,
		    "invoiced=%u\nflagged=%u\ncommands=%zu\n"
		    "applied=%zu\nm1_deleted=%zu\n",
		    o.ans.invoiced, o.ans.flagged, o.ans.n_cmds, applied,
		    deleted);
	if (d->has_card && dec_card_refresh(&d->card) == 0)
		policy(d, "after uplink");
	return 0;
}

static void
do_uplink(struct daemon *d, struct reply *r, const char *arg)
{
	char why[512];
	uint32_t cut = 0;

	if (*arg != '\0' &&
	    (strncmp(arg, "cut=", 4) != 0 ||
		parse_u32(arg + 4, 1000, &cut) != 0)) {
		reply_fail(r, "uplink takes no argument but cut=N: %s", arg);
		return;
	}
	if (uplink_now(d, cut, r, why, sizeof(why)) != 0) {
		proto_log(PROTO_LOG_WARNING,
		    "%s; everything stays for the next "
		    "try",
		    why);
		set_error(d, why);
		reply_fail(r, "%s", why);
	}
}

static void
handle(struct daemon *d, int fd)
{
	static struct reply r;
	char req[PROTO_CTL_REQUEST_MAX], *arg;
	int rc;

	r.len = 0;
	r.failed = 0;
	if ((rc = proto_ctl_read_request(fd, PROTO_CTL_TIMEOUT_MS, req,
		 sizeof(req), &arg)) != 0) {
		reply_fail(&r, "bad request: %s", proto_strerror(rc));
	} else if (strcmp(req, "status") == 0 && *arg == '\0') {
		do_status(d, &r);
	} else if (strcmp(req, "export") == 0 && *arg == '\0') {
		do_export(d, &r);
	} else if (strcmp(req, "m1") == 0 && *arg == '\0') {
		do_m1(d, &r);
	} else if (strcmp(req, "tune") == 0) {
		do_tune(d, &r, arg);
	} else if (strcmp(req, "buy") == 0) {
		do_buy(d, &r, arg);
	} else if (strcmp(req, "uplink") == 0) {
		do_uplink(d, &r, arg);
	} else {
		reply_fail(&r, "unknown request: %s", req);
	}
	if (r.failed == 1)
		reply_fail(&r, "reply too long");
	if (r.failed == 0)
		reply_add(&r, "ok\n");
	(void)proto_ctl_send(fd, r.buf, r.len);
}

/* --- start-up ------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: decoderd [-f] [-c config] [-r reader] [-m m1] [-k "
	    "keyfile]\n"
	    "                [-S socket] [-e ecm-dir] [-i seconds] "
	    "[-l level]\n"
	    "                [-C center-host:port] [-A ca-file] "
	    "[-u uplink-seconds]\n"
	    "  -f          stay in the foreground, log to stderr\n"
	    "  -c config   configuration file (key = value lines)\n"
	    "  -i seconds  periodic export interval (0: never)\n");
	exit(2);
}

static void
parse_args(int argc, char **argv, struct dec_config *c, int *fg)
{
	static const struct option longs[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const keys[] = { ['r'] = "reader",
		['m'] = "m1",
		['k'] = "key",
		['S'] = "socket",
		['e'] = "ecm_dir",
		['i'] = "export_interval",
		['l'] = "log_level",
		['C'] = "center",
		['A'] = "ca",
		['u'] = "uplink_interval" };
	int opt, line, rc;

	dec_config_defaults(c);
	/* The file first, flags over it. */
	while ((opt = getopt_long(argc, argv, "fhc:r:m:k:S:e:i:l:C:A:u:", longs,
		    NULL)) != -1) {
		if (opt != 'c')
			continue;
		if ((rc = dec_config_load(optarg, c, &line)) != 0) {
			if (line > 0)
				fprintf(stderr, "decoderd: %s line %d: %s\n",
				    optarg, line, proto_strerror(rc));
			else
				fprintf(stderr, "decoderd: %s: %s\n", optarg,
				    proto_strerror(rc));
			exit(2);
		}
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "fhc:r:m:k:S:e:i:l:C:A:u:", longs,
		    NULL)) != -1) {
		if (opt == 'f') {
			*fg = 1;
		} else if (opt == 'c') {
			continue;
		} else if (opt > 0 &&
		    opt < (int)(sizeof(keys) / sizeof(keys[0])) &&
		    keys[opt] != NULL) {
			if (dec_config_set(c, keys[opt], optarg) != 0) {
				fprintf(stderr,
				    "decoderd: bad value for -%c: "
				    "%s\n",
				    opt, optarg);
				exit(2);
			}
		} else {
			usage();
		}
	}
	if (optind != argc)
		usage();
}

static void
load_m1(struct daemon *d)
{
	char aside[PATH_MAX + 64];
	int rc;

	rc = dec_m1_load(d->cfg.m1, &d->key, &d->m1);
	if (rc == 0) {
		proto_log(PROTO_LOG_INFO, "M1 %s: %zu entries", d->cfg.m1,
		    d->m1.n);
		return;
	}
	memset(&d->m1, 0, sizeof(d->m1));
	snprintf(aside, sizeof(aside), "%s.corrupt-%lld", d->cfg.m1,
	    (long long)time(NULL));
	if (rename(d->cfg.m1, aside) == 0)
		proto_log(PROTO_LOG_ERR,
		    "M1 %s is unreadable (%s): moved aside "
		    "to %s; starting with an empty M1",
		    d->cfg.m1, proto_strerror(rc), aside);
	else
		proto_log(PROTO_LOG_ERR,
		    "M1 %s is unreadable (%s) and cannot "
		    "be moved aside: %s",
		    d->cfg.m1, proto_strerror(rc), strerror(errno));
	set_error(d, "M1 was unreadable and was moved aside");
}

/* Milliseconds until t, or the sooner of that and timeout (-1: none). */
static int
ms_until(time_t t, int timeout)
{
	time_t left = t - time(NULL);
	int ms = left <= 0 ? 0 : (int)(left > 86400 ? 86400000 : left * 1000);

	return timeout < 0 || ms < timeout ? ms : timeout;
}

static int
serve(struct daemon *d)
{
	struct pollfd pfd[2];
	struct dec_event ev;
	char why[512];
	int timeout, fd;

	while (!proto_stop_requested()) {
		pfd[0] = (struct pollfd){ .fd = d->ctl_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = d->ev_fd, .events = POLLIN };
		timeout = -1;
		if (d->has_card && d->next_export > 0)
			timeout = ms_until(d->next_export, timeout);
		if (d->next_uplink > 0)
			timeout = ms_until(d->next_uplink, timeout);
		if (poll(pfd, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			proto_log(PROTO_LOG_ERR, "%s: poll: %s", __func__,
			    strerror(errno));
			return 1;
		}
		if ((pfd[1].revents & POLLIN) &&
		    dec_monitor_read(d->ev_fd, &ev) == 0)
			on_event(d, &ev);
		if ((pfd[0].revents & POLLIN) &&
		    (fd = accept(d->ctl_fd, NULL, NULL)) >= 0) {
			handle(d, fd);
			close(fd);
		}
		if (d->has_card && d->next_export > 0 &&
		    time(NULL) >= d->next_export) {
			if (export_now(d, "interval", 0, why, sizeof(why)) !=
			    0) {
				proto_log(PROTO_LOG_WARNING,
				    "periodic export: "
				    "%s",
				    why);
				set_error(d, why);
			}
			schedule(d);
		}
		if (d->next_uplink > 0 && time(NULL) >= d->next_uplink) {
			if (uplink_now(d, 0, NULL, why, sizeof(why)) != 0) {
				proto_log(PROTO_LOG_WARNING,
				    "scheduled uplink: "
				    "%s",
				    why);
				set_error(d, why);
			}
			d->next_uplink =
			    time(NULL) + (time_t)d->cfg.uplink_interval;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct daemon d;
	int fg = 0, rc;

	parse_args(argc, argv, &d.cfg, &fg);
	proto_log_init("decoderd", !fg, d.cfg.log_level);
	d.ctl_fd = d.ev_fd = -1;
	proto_signals_init();
	if ((rc = dec_key_load_or_create(d.cfg.key, &d.key)) != 0) {
		fprintf(stderr, "decoderd: key file %s: %s\n", d.cfg.key,
		    rc == PROTO_ERR_IO ? strerror(errno) : proto_strerror(rc));
		return 1;
	}
	load_m1(&d);
	if ((rc = proto_ctl_listen(d.cfg.socket, &d.ctl_fd)) != 0) {
		fprintf(stderr, "decoderd: control socket %s: %s\n",
		    d.cfg.socket,
		    rc == PROTO_ERR_EXISTS ? "another decoderd is running" :
					     proto_strerror(rc));
		return 1;
	}
	if (dec_monitor_start(&d.mon, &d.ev_fd) != 0) {
		fprintf(stderr, "decoderd: cannot start the reader monitor\n");
		unlink(d.cfg.socket);
		return 1;
	}
	if (d.cfg.uplink_interval > 0)
		d.next_uplink = time(NULL) + (time_t)d.cfg.uplink_interval;
	proto_log(PROTO_LOG_NOTICE,
	    "decoder %s: M1 %s (%zu entries), "
	    "control %s",
	    ua_str(d.key.id), d.cfg.m1, d.m1.n, d.cfg.socket);
	rc = serve(&d);
	dec_monitor_stop(&d.mon);
	close(d.ev_fd);
	drop_card(&d, "released at shutdown");
	drop_ctx(&d);
	close(d.ctl_fd);
	unlink(d.cfg.socket);
	SSL_CTX_free(d.tls);
	proto_cleanse(&d.key, sizeof(d.key));
	proto_log(PROTO_LOG_NOTICE, "stopped");
	return rc;
}
