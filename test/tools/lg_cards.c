/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * loadgen's cards: made offline as a card makes its data (keys, the
 * certificate, blocks sealed by proto/ with the card's keys), registered
 * with the center, changed by the commands the center sends, and the
 * ledger checked against them at the end.
 *
 * Card indices: [0, M) the decoders' present cards, then the cards
 * swapped in, then the retired cards, whose export blocks wait in the
 * decoders' M1 (one in ten in two decoders: an older copy in one, the
 * newer in the next).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../center/db.h"
#include "../../center/ledger.h"
#include "../../center/report.h"
#include "../../proto/apdu.h"
#include "../../proto/keydir.h"
#include "../../proto/proto.h"
#include "loadgen.h"

#define LG_CREDIT 1000000u
#define LG_TWO_COPIES 10    /* one retired card in this many has two */
#define LG_MAX_PURCHASES 64 /* per card: M2 holds them all */
#define LG_CERT_CHECK 1000  /* certificates verified: one in this many */
static const uint8_t lg_versions[PROTO_VERSIONS_LEN] = { 1, 0, 1, 0 };
static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;

/* Purchase seq of card idx: the same every time it is asked for. */
static void
lg_purchase(uint32_t idx, uint32_t seq, struct proto_purchase *p)
{
	*p = (struct proto_purchase){ .seq = seq,
		.event = 5000 + seq,
		.channel = (uint16_t)(1 + idx % 32),
		.price = 100 + (idx * 31 + seq * 7) % 400,
		.time = LG_T0 + 100 * seq };
}

static uint32_t
card_index(const struct lg_world *w, const uint8_t ua[PROTO_UA_LEN], int *ours)
{
	uint32_t i = (uint32_t)ua[4] << 24 | (uint32_t)ua[5] << 16 |
	    (uint32_t)ua[6] << 8 | ua[7];

	*ours = memcmp(ua, w->cards[0].ua, 4) == 0 && i < w->conf->n_cards;
	return i;
}

/* The card's M2 as it stands: its unacknowledged purchases and all. */
static void
card_m2(const struct lg_card *c, uint32_t idx, struct proto_m2 *m)
{
	uint32_t spent = 0;
	struct proto_purchase p;

	memset(m, 0, sizeof(*m));
	for (uint32_t s = 1; s <= c->purchase_seq; s++) {
		lg_purchase(idx, s, &p);
		spent += p.price;
		if (s > c->acked_seq && m->n_purchases < PROTO_M2_MAX_PURCHASES)
			m->purchases[m->n_purchases++] = p;
	}
	m->credit = LG_CREDIT - spent;
	m->purchase_seq = c->purchase_seq;
	m->acked_seq = c->acked_seq;
	m->change_ctr = c->change_ctr;
	m->cmd_ctr = c->cmd_ctr;
	m->locked = c->locked;
	memcpy(m->versions, lg_versions, PROTO_VERSIONS_LEN);
	m->cws = 3 * c->change_ctr;
	m->powerups = c->export_seq;
	m->clock = LG_T0 + 100 * c->purchase_seq + c->change_ctr;
	m->n_outcomes = c->n_out;
	memcpy(m->outcomes, c->out, sizeof(c->out));
}

void *
lg_grow(void *arr, size_t n, size_t *cap, size_t size, size_t first)
{
	void *na;
	size_t nc;

	if (n < *cap)
		return arr;
	nc = *cap ? 2 * *cap : first;
	if (nc > SIZE_MAX / size || (na = realloc(arr, nc * size)) == NULL)
		return NULL;
	*cap = nc;
	return na;
}

static int
arena_add(struct lg_world *w, uint8_t *b)
{
	uint8_t **na;
	int rc = PROTO_ERR_NOMEM;

	pthread_mutex_lock(&arena_lock);
	if ((na = lg_grow(w->arena, w->n_arena, &w->cap_arena,
		 sizeof(*w->arena), 4096)) != NULL) {
		w->arena = na;
		w->arena[w->n_arena++] = b;
		rc = 0;
	}
	pthread_mutex_unlock(&arena_lock);
	return rc;
}

int
lg_card_block(struct lg_world *w, struct lg_card *c, uint8_t kind,
    const uint8_t *challenge, uint8_t *out, size_t cap, size_t *len,
    uint32_t *seq)
{
	uint8_t body[PROTO_M2_MAX_LEN];
	struct proto_wr bw, ow;
	struct proto_m2 m;
	int ours, rc;

	c->export_seq++;
	card_m2(c, card_index(w, c->ua, &ours), &m);
	proto_wr_init(&bw, body, sizeof(body));
	proto_wr_init(&ow, out, cap);
	if ((rc = proto_m2_encode(&m, &bw)) == 0 &&
	    (rc = proto_block_seal(kind, c->ua, c->export_seq, challenge, &c->k,
		 body, proto_wr_len(&bw), &ow)) == 0) {
		*len = proto_wr_len(&ow);
		*seq = c->export_seq;
	}
	proto_m2_clear(&m);
	proto_cleanse(body, sizeof(body));
	return rc;
}

/* An export block of c into the arena, for an M1 entry. */
static int
export_to(struct lg_world *w, struct lg_card *c, uint32_t idx, struct lg_m1 *e)
{
	uint8_t buf[PROTO_BLOCK_MAX], *b;
	size_t len;
	int rc;

	if ((rc = lg_card_block(w, c, PROTO_BLOCK_EXPORT, NULL, buf,
		 sizeof(buf), &len, &e->seq)) != 0)
		return rc;
	if ((b = malloc(len)) == NULL)
		return PROTO_ERR_NOMEM;
	memcpy(b, buf, len);
	if ((rc = arena_add(w, b)) != 0) {
		free(b);
		return rc;
	}
	e->card = idx;
	e->purchases = c->purchase_seq;
	e->block = b;
	e->len = len;
	e->stored_at = LG_T0 + 100 * c->purchase_seq;
	return 0;
}

static int
m1_add(struct lg_dec *d, const struct lg_m1 *e)
{
	struct lg_m1 *n;

	if ((n = lg_grow(d->m1, d->n_m1, &d->cap_m1, sizeof(*n), 8)) == NULL)
		return PROTO_ERR_NOMEM;
	d->m1 = n;
	d->m1[d->n_m1++] = *e;
	return 0;
}

void
lg_card_buy(struct lg_card *c, unsigned n)
{
	/* a locked card refuses BUY EVENT; the ledger check follows at
	 * most LG_MAX_PURCHASES per card */
	for (; n > 0 && !c->locked && c->purchase_seq < LG_MAX_PURCHASES; n--) {
		c->purchase_seq++;
		c->change_ctr++;
	}
}

static void
record_outcome(struct lg_card *c, const struct proto_cmd *cmd, uint16_t sw)
{
	if (c->n_out == LG_OUTCOMES) {
		memmove(c->out, c->out + 1,
		    sizeof(c->out[0]) * (LG_OUTCOMES - 1));
		c->n_out--;
	}
	c->out[c->n_out++] = (struct proto_outcome){ .path = cmd->path,
		.counter = cmd->counter,
		.type = cmd->type,
		.sw = sw };
}

/* As card/sm_cmd.c does it: the checks, then the command carried out. */
int
lg_card_command(const struct lg_world *w, struct lg_card *c, const uint8_t *cmd,
    size_t len)
{
	struct proto_cmd pc;
	uint16_t sw = PROTO_SW_OK;
	int rc;

	if ((rc = proto_cmd_verify(cmd, len, w->center_pub, &pc)) != 0)
		return rc;
	if (memcmp(pc.ua, c->ua, PROTO_UA_LEN) != 0 ||
	    pc.path != PROTO_CMD_PATH_UPLINK)
		return PROTO_ERR_ARG;
	if (pc.counter <= c->cmd_ctr)
		return PROTO_ERR_STATE; /* replayed: not consumed */
	if (pc.type == PROTO_CMD_UNLOCK)
		c->locked = 0;
	else if (pc.type == PROTO_CMD_ACK && pc.arg1 > c->purchase_seq)
		sw = PROTO_SW_WRONG_DATA;
	else if (pc.type == PROTO_CMD_ACK && pc.arg1 > c->acked_seq)
		c->acked_seq = pc.arg1;
	else if (pc.type != PROTO_CMD_ACK)
		sw = PROTO_SW_FUNC_NOT_SUPPORTED; /* nothing else is sent */
	c->cmd_ctr = pc.counter;
	record_outcome(c, &pc, sw);
	c->change_ctr++;
	return 0;
}

int
lg_dec_swap(struct lg_world *w, struct lg_dec *d)
{
	struct lg_card *old = &w->cards[d->card];
	struct lg_m1 e;
	int rc;

	lg_card_buy(old, 1); /* a last film, known only to its export */
	if ((rc = export_to(w, old, d->card, &e)) != 0 ||
	    (rc = m1_add(d, &e)) != 0)
		return rc;
	d->card = d->swap_card;
	d->swap_at = -1;
	return 0;
}

void
lg_dec_acked(struct lg_dec *d, const uint8_t ua[PROTO_UA_LEN], uint32_t seq,
    const struct lg_world *w)
{
	for (size_t i = 0; i < d->n_m1; i++)
		if (d->m1[i].seq == seq &&
		    memcmp(w->cards[d->m1[i].card].ua, ua, PROTO_UA_LEN) == 0) {
			d->acked = d->m1[i]; /* its block outlives the entry */
			d->has_acked = 1;
			d->m1[i] = d->m1[--d->n_m1];
			return;
		}
}

/* --- making the cards ---------------------------------------------------- */

struct maker {
	struct lg_world *w;
	uint32_t from, to;
	int rc;
};

/* A card's keys and certificate; a retired card its purchases too. */
static int
make_card(struct lg_world *w, uint32_t i)
{
	struct lg_card *c = &w->cards[i];
	struct proto_cert cert;
	uint8_t cbuf[PROTO_CERT_LEN];
	struct proto_wr cw;
	int rc;

	if ((rc = proto_ec_keygen(c->k.sign_priv, c->k.sign_pub)) != 0 ||
	    (rc = proto_kt_derive(w->master, c->ua, c->k.kt)) != 0)
		return rc;
	c->locked = 1; /* every card is issued locked */
	if (w->has_issuer) {
		/* the certificate a decoder checks at insertion, as
		 * personalization signs it; one in LG_CERT_CHECK checked */
		memcpy(cert.ua, c->ua, PROTO_UA_LEN);
		memcpy(cert.pub, c->k.sign_pub, PROTO_EC_PUB_LEN);
		memcpy(cert.versions, lg_versions, PROTO_VERSIONS_LEN);
		proto_wr_init(&cw, cbuf, sizeof(cbuf));
		if ((rc = proto_cert_sign(&cert, w->issuer_priv, w->issuer_pub,
			 &cw)) != 0 ||
		    (i % LG_CERT_CHECK == 0 &&
			(rc = proto_cert_verify(cbuf, sizeof(cbuf),
			     w->issuer_pub, &cert)) != 0))
			return rc;
	}
	return 0;
}

static void *
maker_run(void *arg)
{
	struct maker *mk = arg;

	for (uint32_t i = mk->from; i < mk->to && mk->rc == 0; i++)
		mk->rc = make_card(mk->w, i);
	return NULL;
}

static int
load_keys(struct lg_world *w)
{
	struct proto_keydir kd;
	const char *file = NULL;
	int rc;

	if ((rc = proto_keydir_load(w->conf->keys_dir,
		 PROTO_KEYDIR_MASTER | PROTO_KEYDIR_CENTER_PUB,
		 PROTO_KEYDIR_ISSUER, &kd, &file)) != 0) {
		fprintf(stderr, "%s: %s/%s: %s\n", __func__, w->conf->keys_dir,
		    file != NULL ? file : "", proto_strerror(rc));
		return rc;
	}
	memcpy(w->master, kd.master, PROTO_MASTER_LEN);
	memcpy(w->center_pub, kd.center_pub, PROTO_EC_PUB_LEN);
	if ((w->has_issuer = (kd.have & PROTO_KEYDIR_ISSUER) != 0)) {
		memcpy(w->issuer_priv, kd.issuer_priv, PROTO_EC_PRIV_LEN);
		memcpy(w->issuer_pub, kd.issuer_pub, PROTO_EC_PUB_LEN);
	}
	proto_keydir_wipe(&kd);
	return 0;
}

/* Every card's keys, in parallel on the run's threads. */
static int
make_cards(struct lg_world *w)
{
	const struct lg_conf *cf = w->conf;
	int nt = cf->threads, rc = 0;
	pthread_t t[64];
	int joined[64];
	struct maker mk[64];
	uint32_t per;

	if (nt > 64)
		nt = 64;
	if (nt < 1)
		nt = 1;
	per = (cf->n_cards + (uint32_t)nt - 1) / (uint32_t)nt;
	for (int i = 0; i < nt; i++) {
		mk[i] = (struct maker){ .w = w,
			.from = per * (uint32_t)i,
			.to = per * (uint32_t)(i + 1) };
		if (mk[i].to > cf->n_cards)
			mk[i].to = cf->n_cards;
		if ((joined[i] = pthread_create(&t[i], NULL, maker_run,
				     &mk[i]) == 0) == 0)
			maker_run(&mk[i]); /* no thread: on this one, then */
	}
	for (int i = 0; i < nt; i++) {
		if (joined[i])
			pthread_join(t[i], NULL);
		if (mk[i].rc != 0)
			rc = mk[i].rc;
	}
	return rc;
}

/* A retired card's purchases and its export blocks, into M1s. */
static int
retire(struct lg_world *w, uint32_t i, uint32_t first)
{
	struct lg_card *c = &w->cards[i];
	uint32_t m = w->conf->n_decoders, r = i - first, np = 1 + i % 4;
	struct lg_m1 e;
	int rc;

	if (m == 0)
		return PROTO_ERR_ARG;
	c->locked = 0;
	if (r % LG_TWO_COPIES == 0 && m > 1) {
		/* an older copy in the next decoder's M1 */
		lg_card_buy(c, 1);
		np--;
		if ((rc = export_to(w, c, i, &e)) != 0 ||
		    (rc = m1_add(&w->decs[(r + 1) % m], &e)) != 0)
			return rc;
	}
	lg_card_buy(c, np);
	if ((rc = export_to(w, c, i, &e)) != 0 ||
	    (rc = m1_add(&w->decs[r % m], &e)) != 0)
		return rc;
	return 0;
}

static void
id_of(uint8_t out[8], const uint8_t tag[4], uint32_t i)
{
	memcpy(out, tag, 4);
	out[4] = (uint8_t)(i >> 24);
	out[5] = (uint8_t)(i >> 16);
	out[6] = (uint8_t)(i >> 8);
	out[7] = (uint8_t)i;
}

/* The decoders: present cards, who swaps to which card, M1's blocks. */
static int
plan(struct lg_world *w)
{
	const struct lg_conf *cf = w->conf;
	uint32_t m = cf->n_decoders, next = m;
	uint32_t swaps = m * (uint32_t)cf->swap_pct / 100;
	uint8_t tag[4] = { 'L', 'G', (uint8_t)(cf->seed >> 8),
		(uint8_t)cf->seed };
	int rc;

	tag[0] = 'D';
	for (uint32_t d = 0; d < m; d++) {
		struct lg_dec *dec = &w->decs[d];
		dec->idx = d;
		id_of(dec->id, tag, d);
		dec->card = d;
		dec->swap_at = -1;
		/* every swap_pct-th decoder, spread over the run */
		if (next < m + swaps && next < cf->n_cards &&
		    (uint64_t)d * (uint64_t)swaps / m !=
			(uint64_t)(d + 1) * (uint64_t)swaps / m) {
			dec->swap_card = next++;
			dec->swap_at = 1 + (int)(d % (uint32_t)cf->sessions);
			if (dec->swap_at >= cf->sessions)
				dec->swap_at = cf->sessions - 1;
		}
	}
	for (uint32_t i = next; i < cf->n_cards; i++)
		if ((rc = retire(w, i, next)) != 0)
			return rc;
	return 0;
}

int
lg_world_make(struct lg_world *w, const struct lg_conf *cf)
{
	uint8_t tag[4] = { 'L', 'G', (uint8_t)(cf->seed >> 8),
		(uint8_t)cf->seed };
	int rc;

	memset(w, 0, sizeof(*w));
	w->conf = cf;
	if ((rc = load_keys(w)) != 0)
		return rc;
	if ((w->cards = calloc(cf->n_cards, sizeof(*w->cards))) == NULL ||
	    (w->decs = calloc(cf->n_decoders, sizeof(*w->decs))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", __func__);
		return PROTO_ERR_NOMEM;
	}
	for (uint32_t i = 0; i < cf->n_cards; i++)
		id_of(w->cards[i].ua, tag, i);
	if ((rc = make_cards(w)) != 0 || (rc = plan(w)) != 0)
		fprintf(stderr, "%s: %s\n", __func__, proto_strerror(rc));
	return rc;
}

void
lg_world_free(struct lg_world *w)
{
	if (w->decs != NULL)
		for (uint32_t d = 0; d < w->conf->n_decoders; d++)
			free(w->decs[d].m1);
	for (size_t i = 0; i < w->n_arena; i++)
		free(w->arena[i]);
	free(w->arena);
	free(w->decs);
	if (w->cards != NULL)
		proto_cleanse(w->cards, w->conf->n_cards * sizeof(*w->cards));
	free(w->cards);
	proto_cleanse(w->master, sizeof(w->master));
	proto_cleanse(w->issuer_priv, sizeof(w->issuer_priv));
	w->decs = NULL;
	w->cards = NULL;
	w->arena = NULL;
}

int
lg_register(const struct lg_world *w)
{
	struct cgs_db *db = NULL;
	int rc;

	if ((rc = cgs_db_open(w->conf->db, &db)) != 0) {
		fprintf(stderr, "%s: cannot open the database %s\n", __func__,
		    w->conf->db);
		return rc;
	}
	if ((rc = cgs_db_begin(db)) != 0)
		goto out;
	for (uint32_t i = 0; i < w->conf->n_cards && rc == 0; i++)
		rc = cgs_card_register(db, w->cards[i].ua,
		    w->cards[i].k.sign_pub, lg_versions);
	if (rc == 0)
		rc = cgs_db_commit(db);
	else
		cgs_db_rollback(db);
out:
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", __func__, proto_strerror(rc));
	cgs_db_close(&db);
	return rc;
}

/* --- the ledger check -------------------------------------------------- */

struct check {
	const struct lg_world *w;
	uint8_t *seen; /* per card: a bit per purchase seq, up to 64 */
	unsigned long rows, ours, wrong, twice, flags;
};

static int
check_row(void *arg, const struct cgs_purchase_row *r)
{
	struct check *k = arg;
	const struct lg_card *c;
	struct proto_purchase want;
	uint32_t i;
	int ours;
	char uah[2 * PROTO_UA_LEN + 1];

	k->rows++;
	i = card_index(k->w, r->ua, &ours);
	if (!ours)
		return 0;
	k->ours++;
	c = &k->w->cards[i];
	lg_purchase(i, r->p.seq, &want);
	if (r->p.seq == 0 || r->p.seq > c->purchase_seq ||
	    r->p.seq > LG_MAX_PURCHASES || !cgs_purchase_same(&want, &r->p) ||
	    want.channel != r->p.channel) {
		proto_hex(r->ua, PROTO_UA_LEN, uah);
		if (k->wrong++ < 5)
			fprintf(stderr,
			    "ledger: card %s purchase %u: not one it made\n",
			    uah, r->p.seq);
		return 0;
	}
	if (k->seen[(size_t)i * (LG_MAX_PURCHASES / 8) + (r->p.seq - 1) / 8] &
	    (1u << ((r->p.seq - 1) % 8)))
		k->twice++;
	k->seen[(size_t)i * (LG_MAX_PURCHASES / 8) + (r->p.seq - 1) / 8] |=
	    (uint8_t)(1u << ((r->p.seq - 1) % 8));
	return 0;
}

static int
count_flag(void *arg, const struct cgs_flag_row *r)
{
	struct check *k = arg;
	int ours;

	(void)card_index(k->w, r->ua, &ours);
	if (r->has_ua && ours && k->flags++ < 5)
		fprintf(stderr, "ledger: anomaly flagged: %s\n", r->what);
	return 0;
}

/* The purchases the cards made and the ledger lacks. */
static unsigned long
missing(const struct check *k, unsigned long *made)
{
	unsigned long n = 0;
	char uah[2 * PROTO_UA_LEN + 1];

	*made = 0;
	for (uint32_t i = 0; i < k->w->conf->n_cards; i++) {
		const struct lg_card *c = &k->w->cards[i];
		for (uint32_t s = 1; s <= c->purchase_seq; s++) {
			(*made)++;
			if (k->seen[(size_t)i * (LG_MAX_PURCHASES / 8) +
				(s - 1) / 8] &
			    (1u << ((s - 1) % 8)))
				continue;
			proto_hex(c->ua, PROTO_UA_LEN, uah);
			if (n++ < 5)
				fprintf(stderr,
				    "ledger: card %s purchase %u never "
				    "invoiced\n",
				    uah, s);
		}
	}
	return n;
}

int
lg_ledger_check(const struct lg_world *w)
{
	struct check k = { .w = w };
	struct cgs_db *db = NULL;
	unsigned long made, lost;
	int rc;

	if ((k.seen = calloc(w->conf->n_cards, LG_MAX_PURCHASES / 8)) == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = cgs_db_open(w->conf->db, &db)) != 0 ||
	    (rc = cgs_report_purchases(db, NULL, check_row, &k)) != 0 ||
	    (rc = cgs_report_flags(db, NULL, count_flag, &k)) != 0) {
		fprintf(stderr, "%s: cannot read the ledger: %s\n", __func__,
		    proto_strerror(rc));
		goto out;
	}
	lost = missing(&k, &made);
	printf("ledger: %lu purchases made, %lu invoiced (%lu wrong, %lu "
	       "twice, %lu missing), %lu anomalies: %s\n",
	    made, k.ours, k.wrong, k.twice, lost, k.flags,
	    k.ours == made && k.wrong == 0 && k.twice == 0 && lost == 0 &&
		    k.flags == 0 ?
		"passed" :
		"FAILED");
	if (k.ours != made || k.wrong || k.twice || lost || k.flags)
		rc = PROTO_ERR_STATE;
out:
	cgs_db_close(&db);
	free(k.seen);
	return rc;
}
