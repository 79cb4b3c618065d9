/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingestbench: the center's ingest rate against OpenSSL's own ECDSA P-256
 * verify rate, measured in the same run on one core.
 *
 * Ingest: sessions of PROTO_UPLINK_MAX_BLOCKS recovered blocks of distinct
 * registered cards (two purchases each), each session verified, decrypted,
 * invoiced and committed durably (WAL, synchronous=FULL) by cgs_ingest.
 * Verify: EVP_DigestVerify of a DER P-256 signature over a message of the
 * blocks' signed size, key parsed once.
 *
 * usage: ingestbench DIR [SECONDS]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../../center/db.h"
#include "../../center/ingest.h"
#include "../../proto/crypto.h"
#include "../../proto/sm.h"
#include "secs.h"

#define NCARDS 4096

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

static int
make_card(struct cgs_db *db, const struct cgs_keys *k, int i)
{
	struct proto_card_keys ck;
	uint8_t ua[PROTO_UA_LEN] = { 0xbe, 0xcc, 0, 0, 0, 0, 0, 0 };
	uint8_t v[4] = { 1, 0, 1, 0 };

	ua[6] = (uint8_t)(i >> 8);
	ua[7] = (uint8_t)i;
	if (proto_ec_keygen(ck.sign_priv, ck.sign_pub) != 0 ||
	    proto_kt_derive(k->master, ua, ck.kt) != 0 ||
	    cgs_card_register(db, ua, ck.sign_pub, v) != 0)
		return -1;
	if (seal(&ck, ua, 1, 2, blocks[0][i], &blen[0][i]) != 0 ||
	    seal(&ck, ua, 2, 3, blocks[1][i], &blen[1][i]) != 0)
		return -1;
	return 0;
}

/* Ingest pass p (0: first contact of every card, 1: their next blocks). */
static double
ingest_pass(struct cgs_ctx *ctx, struct cgs_session *s, int p, double secs,
    unsigned long *nblocks, unsigned long *ninv)
{
	double t0 = now(), t1;
	int next = 0;

	*nblocks = *ninv = 0;
	do {
		memset(&s->hello, 0, sizeof(s->hello));
		s->n = PROTO_UPLINK_MAX_BLOCKS;
		for (size_t i = 0; i < s->n; i++, next++)
			s->in[i] =
			    (struct cgs_in_block){ .origin =
						       CGS_ORIGIN_RECOVERED,
				    .block = blocks[p][next],
				    .len = blen[p][next] };
		if (cgs_ingest(ctx, s) != 0)
			return -1;
		*nblocks += s->n;
		*ninv += s->ans.invoiced;
		t1 = now();
	} while (t1 - t0 < secs && next + PROTO_UPLINK_MAX_BLOCKS <= NCARDS);
	return (double)*nblocks / (t1 - t0);
}

static double
verify_rate(size_t msglen, double secs)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t msg[PROTO_BLOCK_MAX] = { 1 }, sig[80];
	size_t slen = sizeof(sig);
	unsigned long n = 0;
	double t0, t1;

	EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, pk, NULL);
	EVP_DigestSign(md, sig, &slen, msg, msglen);
	t0 = now();
	do {
		for (int i = 0; i < 100; i++, n++) {
			EVP_MD_CTX_reset(md);
			if (EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL,
				NULL, pk, NULL) != 1 ||
			    EVP_DigestVerify(md, sig, slen, msg, msglen) != 1)
				abort();
		}
		t1 = now();
	} while (t1 - t0 < secs);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return (double)n / (t1 - t0);
}

int
main(int argc, char **argv)
{
	struct cgs_keys k;
	struct cgs_db *db = NULL;
	struct cgs_ctx *ctx = NULL;
	struct cgs_session *s = NULL;
	char path[512];
	double secs = 3, vr, cold, warm;
	unsigned long nb[2], ni[2];
	int rc = 1;

	if (argc < 2 || (argc > 2 && bench_secs(argv[2], &secs) != 0))
		return 2;
	snprintf(path, sizeof(path), "%s/ingest.db", argv[1]);
	unlink(path);
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    proto_random(k.master, sizeof(k.master)) != 0 ||
	    proto_ec_keygen(k.center_priv, k.center_pub) != 0 ||
	    cgs_db_open(path, &db) != 0 || cgs_ctx_new(db, &k, &ctx) != 0)
		goto out;
	cgs_db_exec(db, "BEGIN");
	for (int i = 0; i < NCARDS; i++)
		if (make_card(db, &k, i) != 0)
			goto out;
	cgs_db_exec(db, "COMMIT");
	vr = verify_rate(blen[0][0] - PROTO_EC_SIG_LEN, secs);
	if ((cold = ingest_pass(ctx, s, 0, secs, &nb[0], &ni[0])) < 0 ||
	    (warm = ingest_pass(ctx, s, 1, secs, &nb[1], &ni[1])) < 0)
		goto out;
	printf("center ingest on one core (sessions of %d recovered blocks, "
	       "durable commits):\n",
	    PROTO_UPLINK_MAX_BLOCKS);
	printf("  %-44s %8.0f /s\n", "OpenSSL ECDSA P-256 verify", vr);
	printf("  %-44s %8.0f /s  ratio %.2f  (%lu blocks, %lu invoiced)\n",
	    "first contact: key parsed, 2 purchases each", cold, cold / vr,
	    nb[0], ni[0]);
	printf("  %-44s %8.0f /s  ratio %.2f  (%lu blocks, %lu invoiced)\n",
	    "next block: key cached, 1 new of 3 purchases", warm, warm / vr,
	    nb[1], ni[1]);
	rc = 0;
out:
	cgs_ctx_free(&ctx);
	cgs_db_close(&db);
	free(s);
	proto_cleanse(&k, sizeof(k));
	unlink(path);
	return rc;
}
