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

#define NCARDS 4096

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t blocks[NCARDS][PROTO_BLOCK_MAX];
static size_t blen[NCARDS];

static int
make_card(struct cgs_db *db, const struct cgs_keys *k, int i)
{
	struct proto_card_keys ck;
	uint8_t ua[PROTO_UA_LEN] = { 0xbe, 0xcc, 0, 0, 0, 0, 0, 0 };
	uint8_t v[4] = { 1, 0, 1, 0 }, body[PROTO_M2_MAX_LEN];
	struct proto_m2 m;
	struct proto_wr w, bw;

	ua[6] = (uint8_t)(i >> 8);
	ua[7] = (uint8_t)i;
	if (proto_ec_keygen(ck.sign_priv, ck.sign_pub) != 0 ||
	    proto_kt_derive(k->master, ua, ck.kt) != 0 ||
	    cgs_card_register(db, ua, ck.sign_pub, v) != 0)
		return -1;
	memset(&m, 0, sizeof(m));
	m.credit = 450;
	m.purchase_seq = 2;
	m.n_purchases = 2;
	for (unsigned j = 0; j < 2; j++)
		m.purchases[j] = (struct proto_purchase){ .seq = j + 1,
		    .event = 42 + j, .channel = 7, .price = 300 - 50 * j,
		    .time = 1800000000 };
	proto_wr_init(&bw, body, sizeof(body));
	proto_wr_init(&w, blocks[i], sizeof(blocks[i]));
	if (proto_m2_encode(&m, &bw) != 0 ||
	    proto_block_seal(PROTO_BLOCK_EXPORT, ua, 1, &ck, body,
	    proto_wr_len(&bw), &w) != 0)
		return -1;
	blen[i] = proto_wr_len(&w);
	return 0;
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
	static struct cgs_session s;
	struct cgs_keys k;
	struct cgs_db *db = NULL;
	struct cgs_ctx *ctx = NULL;
	char path[512];
	double secs = argc > 2 ? atof(argv[2]) : 3, t0, t1, vr, ir;
	unsigned long blocks_done = 0, invoiced = 0;
	int next = 0;

	if (argc < 2)
		return 2;
	snprintf(path, sizeof(path), "%s/ingest.db", argv[1]);
	unlink(path);
	if (proto_random(k.master, sizeof(k.master)) != 0 ||
	    proto_ec_keygen(k.center_priv, k.center_pub) != 0 ||
	    cgs_db_open(path, &db) != 0 || cgs_ctx_new(db, &k, &ctx) != 0)
		return 1;
	cgs_db_exec(db, "BEGIN");
	for (int i = 0; i < NCARDS; i++)
		if (make_card(db, &k, i) != 0)
			return 1;
	cgs_db_exec(db, "COMMIT");
	vr = verify_rate(blen[0] - PROTO_EC_SIG_LEN, secs);
	t0 = now();
	do {
		memset(&s.hello, 0, sizeof(s.hello));
		s.n = PROTO_UPLINK_MAX_BLOCKS;
		for (size_t i = 0; i < s.n; i++, next++) {
			s.in[i] = (struct cgs_in_block){ .origin =
			    CGS_ORIGIN_RECOVERED, .block = blocks[next % NCARDS],
			    .len = blen[next % NCARDS] };
		}
		if (cgs_ingest(ctx, &s) != 0)
			return 1;
		blocks_done += s.n;
		invoiced += s.invoiced;
		t1 = now();
	} while (t1 - t0 < secs && next < NCARDS);
	ir = (double)blocks_done / (t1 - t0);
	printf("center ingest on one core (sessions of %d recovered blocks, "
	    "2 purchases each, durable commits):\n", PROTO_UPLINK_MAX_BLOCKS);
	printf("  %-40s %10.0f /s\n", "OpenSSL ECDSA P-256 verify", vr);
	printf("  %-40s %10.0f /s  (%lu blocks, %lu invoices)\n",
	    "blocks verified, decrypted, recorded", ir, blocks_done, invoiced);
	printf("  ratio %.2f\n", ir / vr);
	cgs_ctx_free(&ctx);
	cgs_db_close(&db);
	unlink(path);
	return 0;
}
