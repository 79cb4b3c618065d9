/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../proto/apdu.h"
#include "../proto/buf.h"
#include "../proto/cmd.h"
#include "../proto/crypto.h"
#include "../proto/ctl.h"
#include "../proto/file.h"
#include "../proto/log.h"
#include "../proto/m2.h"
#include "../proto/proto.h"
#include "emm.h"
#include "session.h"

#define EMM_MEMORY_MAGIC "PTVEMR01"
#define EMM_MEMORY_SUFFIX ".emm-refused"
#define EMM_SUFFIX ".emm"

/* An EMM for the present card, waiting to be fed. */
struct emm_cand {
	uint32_t counter;
	size_t len;
	uint8_t emm[PROTO_CMD_MAX_LEN];
};

struct emm_batch {
	size_t n;
	struct emm_cand c[DEC_EMM_BATCH_MAX];
};

/* --- the memory of refusals --------------------------------------------- */

static void
digest(const uint8_t *emm, size_t len, uint8_t d[DEC_EMM_DIGEST_LEN])
{
	uint8_t h[PROTO_SHA256_LEN];

	if (proto_sha256(emm, len, h) != 0)
		memset(h, 0, sizeof(h)); /* no EMM is then remembered */
	memcpy(d, h, DEC_EMM_DIGEST_LEN);
}

int
dec_emm_memory_has(const struct dec_emm_memory *m, const uint8_t *emm,
    size_t len)
{
	uint8_t d[DEC_EMM_DIGEST_LEN];

	digest(emm, len, d);
	for (size_t i = 0; i < m->n; i++)
		if (memcmp(m->d[i], d, sizeof(d)) == 0)
			return 1;
	return 0;
}

void
dec_emm_memory_add(struct dec_emm_memory *m, const uint8_t *emm, size_t len)
{
	if (dec_emm_memory_has(m, emm, len))
		return;
	if (m->n == DEC_EMM_REFUSED_MAX) { /* the oldest is forgotten */
		memmove(m->d[0], m->d[1], (m->n - 1) * sizeof(m->d[0]));
		m->n--;
	}
	digest(emm, len, m->d[m->n++]);
}

int
dec_emm_memory_path(const char *m1, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s" EMM_MEMORY_SUFFIX, m1);

	return n < 0 || (size_t)n >= cap ? PROTO_ERR_TOOBIG : 0;
}

int
dec_emm_memory_load(const char *path, struct dec_emm_memory *out)
{
	struct dec_emm_memory m = { 0 };
	uint8_t *buf = NULL, magic[8];
	struct proto_rd r;
	size_t len = 0;
	uint32_t n;
	int rc;

	rc = proto_file_read(path, DEC_EMM_MEMORY_FILE_MAX, &buf, &len);
	if (rc == PROTO_ERR_NOTFOUND) {
		out->n = 0;
		return 0;
	}
	if (rc != 0)
		return rc;
	proto_rd_init(&r, buf, len);
	if ((rc = proto_rd_bytes(&r, magic, sizeof(magic))) != 0 ||
	    (rc = proto_rd_u32(&r, &n)) != 0)
		goto out;
	rc = PROTO_ERR_FORMAT;
	if (memcmp(magic, EMM_MEMORY_MAGIC, sizeof(magic)) != 0 ||
	    n > DEC_EMM_REFUSED_MAX)
		goto out;
	for (m.n = 0; m.n < n; m.n++)
		if ((rc = proto_rd_bytes(&r, m.d[m.n], DEC_EMM_DIGEST_LEN)) !=
		    0)
			goto out;
	if ((rc = proto_rd_end(&r)) == 0)
		*out = m;
out:
	free(buf);
	return rc;
}

int
dec_emm_memory_save(const char *path, const struct dec_emm_memory *m)
{
	uint8_t buf[DEC_EMM_MEMORY_FILE_MAX];
	struct proto_wr w;
	int rc;

	proto_wr_init(&w, buf, sizeof(buf));
	if ((rc = proto_wr_bytes(&w, EMM_MEMORY_MAGIC, 8)) != 0 ||
	    (rc = proto_wr_u32(&w, (uint32_t)m->n)) != 0 ||
	    (rc = proto_wr_bytes(&w, m->d, m->n * DEC_EMM_DIGEST_LEN)) != 0)
		return rc;
	return proto_file_replace(path, buf, proto_wr_len(&w),
	    S_IRUSR | S_IWUSR);
}

/* --- what the broadcast holds for the card ------------------------------ */

/* One line: an EMM for the present card not fed yet goes into b. */
static void
take_line(struct dec_state *st, struct dec_emm_result *res, struct emm_batch *b,
    const char *line, size_t n)
{
	uint8_t emm[PROTO_CMD_MAX_LEN];
	const uint8_t *sp, *sig;
	struct proto_cmd c;
	size_t len, sl, worst = 0;

	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (n == 0)
		return;
	res->lines++;
	len = n / 2;
	if (n % 2 != 0 || len > sizeof(emm) ||
	    proto_unhex(line, n, emm, len) != 0 ||
	    proto_cmd_parse(emm, len, &c, &sp, &sl, &sig) != 0) {
		res->bad++;
		return;
	}
	if (memcmp(c.ua, st->card.st.ua, PROTO_UA_LEN) != 0 ||
	    c.path != PROTO_CMD_PATH_BROADCAST ||
	    c.counter <= st->card.st.bcast_ctr ||
	    dec_emm_memory_has(&st->emm_refused, emm, len))
		return;
	if (b->n == DEC_EMM_BATCH_MAX) {
		/* keep the lowest counters; the rest at the next feed */
		for (size_t i = 1; i < b->n; i++)
			if (b->c[i].counter > b->c[worst].counter)
				worst = i;
		if (b->c[worst].counter <= c.counter)
			return;
	} else {
		worst = b->n++;
	}
	b->c[worst].counter = c.counter;
	b->c[worst].len = len;
	memcpy(b->c[worst].emm, emm, len);
}

static int
take_file(struct dec_state *st, struct dec_emm_result *res, struct emm_batch *b,
    const char *path)
{
	uint8_t *file = NULL;
	struct proto_rd rd;
	const char *line;
	size_t len = 0, n;
	int rc;

	if ((rc = proto_file_read(path, DEC_EMM_FILE_MAX, &file, &len)) != 0) {
		proto_log(PROTO_LOG_WARNING, "%s: %s: %s; skipped", __func__,
		    path, proto_strerror(rc));
		return rc;
	}
	res->files++;
	proto_rd_init(&rd, file, len);
	while (proto_rd_left(&rd) > 0) {
		if (proto_ctl_next_line(&rd, &line, &n) != 0)
			proto_rd_rest(&rd, (const uint8_t **)&line, &n);
		take_line(st, res, b, line, n);
	}
	free(file);
	return 0;
}

static int
is_emm_file(const char *name)
{
	size_t n = strlen(name), k = strlen(EMM_SUFFIX);

	return name[0] != '.' && n > k && strcmp(name + n - k, EMM_SUFFIX) == 0;
}

static int
collect(struct dec_state *st, struct dec_emm_result *res, struct emm_batch *b)
{
	char path[PATH_MAX];
	struct dirent *e;
	size_t files = 0;
	DIR *d;

	if ((d = opendir(st->cfg.emm_dir)) == NULL)
		return errno == ENOENT ? PROTO_ERR_NOTFOUND :
					 proto_err_sys(errno);
	while ((e = readdir(d)) != NULL && files < DEC_EMM_FILES_MAX) {
		if (!is_emm_file(e->d_name))
			continue;
		files++;
		if (snprintf(path, sizeof(path), "%s/%s", st->cfg.emm_dir,
			e->d_name) >= (int)sizeof(path))
			continue;
		(void)take_file(st, res, b, path);
	}
	closedir(d);
	return 0;
}

static int
by_counter(const void *a, const void *b)
{
	const struct emm_cand *x = a, *y = b;

	return x->counter < y->counter ? -1 : x->counter > y->counter;
}

/* --- feeding ------------------------------------------------------------ */

/*
 * Feed b in order, inside the card operation.  A command the card
 * consumed moved its broadcast counter: later ones at or below it are
 * skipped.  One refused without being consumed is remembered.
 */
static int
feed(struct dec_state *st, struct dec_emm_result *res,
    const struct emm_batch *b, int *remembered)
{
	uint32_t last = st->card.st.bcast_ctr;
	uint16_t sw = 0;
	int rc;

	for (size_t i = 0; i < b->n; i++) {
		const struct emm_cand *c = &b->c[i];

		if (c->counter <= last)
			continue; /* a second EMM with a counter consumed */
		res->fed++;
		rc = dec_card_command(&st->card, c->emm, c->len, &sw);
		if (rc == 0 ||
		    (rc == PROTO_ERR_STATE && sw == SM_SW_CMD_REFUSED)) {
			*(rc == 0 ? &res->applied : &res->consumed_refused) +=
			    1;
			last = c->counter;
		} else if (rc == PROTO_ERR_STATE && sw == SM_SW_REPLAYED) {
			res->stale++;
		} else if (rc == PROTO_ERR_STATE) {
			res->refused++;
			dec_emm_memory_add(&st->emm_refused, c->emm, c->len);
			*remembered = 1;
			proto_log(PROTO_LOG_WARNING,
			    "%s: card %s refused EMM %u: %s; it is not fed "
			    "again",
			    __func__, DEC_UA(st->card.st.ua), c->counter,
			    proto_sw_str(sw));
		} else {
			return rc; /* the card stopped answering */
		}
	}
	return dec_card_refresh(&st->card);
}

static void
remember_refusals(struct dec_state *st)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = dec_emm_memory_path(st->cfg.m1, path, sizeof(path))) != 0 ||
	    (rc = dec_emm_memory_save(path, &st->emm_refused)) != 0)
		proto_log(PROTO_LOG_WARNING,
		    "%s: cannot save the refused EMMs beside %s: %s; they are "
		    "remembered until decoderd stops",
		    __func__, st->cfg.m1, proto_strerror(rc));
}

int
dec_emm_feed(struct dec_state *st, struct dec_emm_result *res)
{
	struct emm_batch *b;
	int rc, remembered = 0;

	memset(res, 0, sizeof(*res));
	st->emm_soon = 0;
	if (!st->has_card) {
		res->step = DEC_EMM_NO_CARD;
		return res->rc = PROTO_ERR_STATE;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return res->rc = PROTO_ERR_NOMEM;
	/* The files first, judged on the card's state as last read: when
	 * nothing is for it, the card is not even asked. */
	if ((rc = collect(st, res, b)) != 0) {
		res->step = DEC_EMM_NO_DIR;
		goto out;
	}
	if (b->n == 0)
		goto out;
	qsort(b->c, b->n, sizeof(b->c[0]), by_counter);
	/* Its broadcast counter as it is now (feed skips what it has). */
	if ((rc = dec_session_begin(st)) != 0) {
		res->step = st->held ? DEC_EMM_HELD : DEC_EMM_NO_CARD;
		goto out;
	}
	if ((rc = dec_card_refresh(&st->card)) == 0)
		rc = feed(st, res, b, &remembered);
	if ((rc = dec_session_end(st, rc)) != 0)
		res->step = DEC_EMM_CARD;
	if (remembered)
		remember_refusals(st);
	if (res->fed > 0)
		proto_log(PROTO_LOG_NOTICE,
		    "card %s: %zu EMMs fed: %zu applied, %zu consumed but "
		    "refused, %zu refused, %zu it had",
		    DEC_UA(st->card.st.ua), res->fed, res->applied,
		    res->consumed_refused, res->refused, res->stale);
out:
	res->export_requested = (st->card.st.flags & PROTO_M2_FLAG_EXPORT) != 0;
	free(b);
	return res->rc = rc;
}

void
dec_emm_start(struct dec_state *st, time_t now)
{
	char path[PATH_MAX];
	int rc;

	dec_emm_schedule(st, now);
	if ((rc = dec_emm_memory_path(st->cfg.m1, path, sizeof(path))) == 0 &&
	    (rc = dec_emm_memory_load(path, &st->emm_refused)) == 0)
		return;
	memset(&st->emm_refused, 0, sizeof(st->emm_refused));
	proto_log(PROTO_LOG_WARNING,
	    "%s: the refused EMMs beside %s: %s; starting without them",
	    __func__, st->cfg.m1, proto_strerror(rc));
}

void
dec_emm_soon(struct dec_state *st)
{
	st->emm_soon = 1;
}

void
dec_emm_schedule(struct dec_state *st, time_t now)
{
	st->next_emm = dec_deadline(now, st->cfg.emm_interval);
}

int
dec_emm_due(const struct dec_state *st, time_t now)
{
	return st->has_card &&
	    (st->emm_soon || dec_deadline_passed(st->next_emm, now));
}

time_t
dec_emm_deadline(const struct dec_state *st)
{
	if (!st->has_card)
		return 0;
	return st->emm_soon ? time(NULL) : st->next_emm;
}
