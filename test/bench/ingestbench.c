/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingestbench: the center's ingest rate against OpenSSL's own ECDSA P-256
 * verify rate, measured in the same run: on one thread, then on THREADS
 * at once (default: the cores), as centerd runs its sessions.
 *
 * Ingest: sessions of PROTO_UPLINK_MAX_BLOCKS recovered blocks of distinct
 * registered cards (two purchases each), each session verified, decrypted,
 * invoiced and committed durably (WAL, synchronous=FULL) by cgs_ingest.
 * On several threads each has a connection of its own, all in one commit
 * group (group.h), as centerd's pool: the threads check and verify their
 * sessions' blocks in parallel, outside the writer, and the writer runs
 * the sessions' SQL one after the other and commits those that finished
 * together with one fsync.
 * Verify: EVP_DigestVerify of a DER P-256 signature over a message of the
 * blocks' signed size, key parsed once; on as many threads at once.
 *
 * usage: ingestbench DIR [SECONDS [THREADS]]
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../../center/db.h"
#include "../../center/group.h"
#include "../../center/ingest.h"
#include "../../proto/crypto.h"
#include "../../proto/sm.h"
#include "secs.h"

#define NCARDS 4096
#define MAX_THREADS 16

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Per card: its first block (2 purchases), then a later one (3). */
static uint8_t blocks[2][NCARDS][PROTO_BLOCK_MAX];
static size_t blen[2][NCARDS];

static int
seal(const struct proto_card_keys *ck, const uint8_t ua[PROTO_UA_LEN],
    uint32_t seq, unsigned purchases, uint8_t *out, size_t *len)
{
	uint8_t body[PROTO_M2_MAX_LEN];
	struct proto_m2 m;
	struct proto_wr w, bw;

	memset(&m, 0, sizeof(m));
	m.credit = 450;
	m.purchase_seq = purchases;
	m.n_purchases = (uint8_t)purchases;
	for (unsigned j = 0; j < purchases; j++)
		m.purchases[j] = (struct proto_purchase){ .seq = j + 1,
			.event = 42 + j,
			.channel = 7,
			.price = 300 - 50 * j,
			.time = 1800000000 };
	proto_wr_init(&bw, body, sizeof(body));
	proto_wr_init(&w, out, PROTO_BLOCK_MAX);
	if (proto_m2_encode(&m, &bw) != 0 ||
	    proto_block_seal(PROTO_BLOCK_EXPORT, ua, seq, NULL, ck, body,
		proto_wr_len(&bw), &w) != 0)
		return -1;
	*len = proto_wr_len(&w);
	return 0;
}

static uint8_t card_pub[NCARDS][PROTO_EC_PUB_LEN];

static void
card_ua(int i, uint8_t ua[PROTO_UA_LEN])
{
	memset(ua, 0, PROTO_UA_LEN);
	ua[0] = 0xbe;
	ua[1] = 0xcc;
	ua[6] = (uint8_t)(i >> 8);
	ua[7] = (uint8_t)i;
}

/* Card i registered again (a fresh database for the next run). */
static int
register_card(struct cgs_db *db, int i)
{
	uint8_t ua[PROTO_UA_LEN], v[4] = { 1, 0, 1, 0 };

	card_ua(i, ua);
	return cgs_card_register(db, ua, card_pub[i], v);
}

/* Card i made: its keys, its two blocks, its registration. */
static int
make_card(struct cgs_db *db, const struct cgs_keys *k, int i)
{
	struct proto_card_keys ck;
	uint8_t ua[PROTO_UA_LEN];

	card_ua(i, ua);
	if (proto_ec_keygen(ck.sign_priv, card_pub[i]) != 0 ||
	    proto_kt_derive(k->master, ua, ck.kt) != 0)
		return -1;
	memcpy(ck.sign_pub, card_pub[i], PROTO_EC_PUB_LEN);
	if (register_card(db, i) != 0)
		return -1;
	if (seal(&ck, ua, 1, 2, blocks[0][i], &blen[0][i]) != 0 ||
	    seal(&ck, ua, 2, 3, blocks[1][i], &blen[1][i]) != 0)
		return -1;
	return 0;
}

/* One thread's share of a pass: the next session not taken, until the
 * pass's cards or its time run out. */
struct worker {
	pthread_t t;
	struct cgs_db *db;
	struct cgs_ctx *ctx;
	struct cgs_session *s;
	int pass, rc;
	double secs;
	unsigned long nblocks, ninv;
	double end; /* when its last session was done */
};

static atomic_int next_session;
static double pass_start;

static void *
ingest_work(void *arg)
{
	struct worker *w = arg;
	struct cgs_session *s = w->s;
	int i;

	w->nblocks = w->ninv = 0;
	w->end = pass_start;
	while ((i = atomic_fetch_add(&next_session, 1)) <
		NCARDS / PROTO_UPLINK_MAX_BLOCKS &&
	    now() - pass_start < w->secs) {
		memset(&s->hello, 0, sizeof(s->hello));
		s->n = PROTO_UPLINK_MAX_BLOCKS;
		for (size_t j = 0; j < s->n; j++) {
			size_t c = (size_t)i * PROTO_UPLINK_MAX_BLOCKS + j;

			s->in[j] =
			    (struct cgs_in_block){ .origin =
						       CGS_ORIGIN_RECOVERED,
				    .block = blocks[w->pass][c],
				    .len = blen[w->pass][c] };
		}
		if ((w->rc = cgs_ingest(w->ctx, s)) != 0)
			break;
		w->nblocks += s->n;
		w->ninv += s->ans.invoiced;
		w->end = now();
	}
	return NULL;
}

/* Ingest pass p (0: first contact of every card, 1: their next blocks)
 * on n workers at once: blocks/s. */
static double
ingest_pass(struct worker *w, int n, int p, double secs, unsigned long *nblocks,
    unsigned long *ninv)
{
	double end = 0;

	*nblocks = *ninv = 0;
	atomic_store(&next_session, 0);
	pass_start = now();
	for (int i = 0; i < n; i++) {
		w[i].pass = p;
		w[i].secs = secs;
		w[i].rc = 0;
		if (pthread_create(&w[i].t, NULL, ingest_work, &w[i]) != 0)
			return -1;
	}
	for (int i = 0; i < n; i++)
		pthread_join(w[i].t, NULL);
	for (int i = 0; i < n; i++) {
		if (w[i].rc != 0)
			return -1;
		*nblocks += w[i].nblocks;
		*ninv += w[i].ninv;
		end = w[i].end > end ? w[i].end : end;
	}
	return end > pass_start ? (double)*nblocks / (end - pass_start) : 0;
}

struct verifier {
	pthread_t t;
	size_t msglen;
	double secs, rate;
};

static void *
verify_work(void *arg)
{
	struct verifier *v = arg;
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t msg[PROTO_BLOCK_MAX] = { 1 }, sig[80];
	size_t slen = sizeof(sig);
	unsigned long n = 0;
	double t0, t1;

	if (pk == NULL || md == NULL)
		abort();
	EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, pk, NULL);
	EVP_DigestSign(md, sig, &slen, msg, v->msglen);
	t0 = now();
	do {
		for (int i = 0; i < 100; i++, n++) {
			EVP_MD_CTX_reset(md);
			if (EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL,
				NULL, pk, NULL) != 1 ||
			    EVP_DigestVerify(md, sig, slen, msg, v->msglen) !=
				1)
				abort();
		}
		t1 = now();
	} while (t1 - t0 < v->secs);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	v->rate = (double)n / (t1 - t0);
	return NULL;
}

/* OpenSSL's verifies/s on n threads at once, summed. */
static double
verify_rate(int n, size_t msglen, double secs)
{
	struct verifier v[MAX_THREADS];
	double sum = 0;

	for (int i = 0; i < n; i++) {
		v[i] = (struct verifier){ .msglen = msglen, .secs = secs };
		if (pthread_create(&v[i].t, NULL, verify_work, &v[i]) != 0)
			abort();
	}
	for (int i = 0; i < n; i++) {
		pthread_join(v[i].t, NULL);
		sum += v[i].rate;
	}
	return sum;
}

/* A database with every card registered, at path (made again). */
static int
make_db(const char *path, const struct cgs_keys *k, int with_cards)
{
	struct cgs_db *db = NULL;
	char side[560];
	int rc = -1;

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	if (cgs_db_open(path, &db) != 0)
		return -1;
	cgs_db_exec(db, "BEGIN");
	for (int i = 0; i < NCARDS; i++)
		if ((with_cards ? make_card(db, k, i) : register_card(db, i)) !=
		    0)
			goto out;
	rc = cgs_db_exec(db, "COMMIT");
out:
	cgs_db_close(&db);
	return rc;
}

/* Both passes on n workers (a fresh database), printed beside OpenSSL
 * on n threads. */
static int
run(const char *path, const struct cgs_keys *k, int n, double secs, int first)
{
	struct worker w[MAX_THREADS] = { 0 };
	struct cgs_group *g = NULL;
	double vr, cold, warm;
	unsigned long nb[2], ni[2];
	int rc = -1;

	if (make_db(path, k, first) != 0 ||
	    (n > 1 && cgs_group_new(path, &g) != 0))
		goto out;
	for (int i = 0; i < n; i++) {
		if ((w[i].s = calloc(1, sizeof(*w[i].s))) == NULL ||
		    cgs_db_open(path, &w[i].db) != 0 ||
		    cgs_ctx_new(w[i].db, k, &w[i].ctx) != 0)
			goto out;
		if (g != NULL)
			cgs_group_join(g, w[i].db);
	}
	vr = verify_rate(n, blen[0][0] - PROTO_EC_SIG_LEN, secs);
	if ((cold = ingest_pass(w, n, 0, secs, &nb[0], &ni[0])) < 0 ||
	    (warm = ingest_pass(w, n, 1, secs, &nb[1], &ni[1])) < 0)
		goto out;
	printf("center ingest on %d thread%s (sessions of %d recovered "
	       "blocks, durable commits%s):\n",
	    n, n > 1 ? "s" : "", PROTO_UPLINK_MAX_BLOCKS,
	    n > 1 ? ", one commit group" : "");
	printf("  %-44s %8.0f /s\n", "OpenSSL ECDSA P-256 verify", vr);
	printf("  %-44s %8.0f /s  ratio %.2f  (%lu blocks, %lu invoiced)\n",
	    "first contact: key parsed, 2 purchases each", cold, cold / vr,
	    nb[0], ni[0]);
	printf("  %-44s %8.0f /s  ratio %.2f  (%lu blocks, %lu invoiced)\n",
	    "next block: key cached, 1 new of 3 purchases", warm, warm / vr,
	    nb[1], ni[1]);
	if (g != NULL) {
		uint64_t batches, txns;

		cgs_group_counts(g, &batches, &txns);
		printf("  %llu sessions committed in %llu commits\n",
		    (unsigned long long)txns, (unsigned long long)batches);
	}
	fflush(stdout);
	rc = 0;
out:
	for (int i = 0; i < n; i++) {
		cgs_ctx_free(&w[i].ctx);
		cgs_db_close(&w[i].db);
		free(w[i].s);
	}
	cgs_group_free(&g);
	return rc;
}

int
main(int argc, char **argv)
{
	struct cgs_keys k;
	char path[512];
	double secs = 3, th;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int rc = 1, n = cores > 1 && cores <= MAX_THREADS ? (int)cores : 2;

	if (argc < 2 || (argc > 2 && bench_secs(argv[2], &secs) != 0))
		return 2;
	if (argc > 3) {
		if (bench_secs(argv[3], &th) != 0 || th > MAX_THREADS)
			return 2;
		n = (int)th;
	}
	snprintf(path, sizeof(path), "%s/ingest.db", argv[1]);
	if (proto_random(k.master, sizeof(k.master)) != 0 ||
	    proto_ec_keygen(k.center_priv, k.center_pub) != 0)
		goto out;
	if (run(path, &k, 1, secs, 1) != 0 ||
	    (n > 1 && run(path, &k, n, secs, 0) != 0))
		goto out;
	rc = 0;
out:
	proto_cleanse(&k, sizeof(k));
	unlink(path);
	return rc;
}
