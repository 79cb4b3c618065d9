/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * OpenSSL's own ECDSA P-256 verify rate, the benchmarks' baseline for the
 * center: on as many threads at once as the run being compared uses, each
 * with a key of its own, over a message of the blocks' signed size.
 *
 * P256_FAST is OpenSSL's fastest path, the one `openssl speed ecdsap256`
 * measures: EVP_PKEY_verify on a digest, its EVP_PKEY_CTX made once per
 * key -- plus the SHA-256 of the message (a kept EVP_MD_CTX, the digest
 * fetched once), which `openssl speed` leaves out and a verifier cannot.
 * P256_DIGEST is EVP_DigestVerifyInit_ex + EVP_DigestVerify for every
 * signature, about 10 % slower here: a baseline that would flatter the
 * ratio, printed beside the fast one only for reference.
 *
 * A thread verifies with one key, as `openssl speed` does; with nkeys
 * (p256_verify_rate_keys) each verify takes the next of that many keys,
 * as a center verifying many cards' blocks does (each key's objects
 * cold in the cache by its turn), printed for reference: the ratio is
 * against OpenSSL's own rate, one key.
 */
#ifndef TEST_BENCH_P256_H
#define TEST_BENCH_P256_H

/* the includer defines _POSIX_C_SOURCE 200809L or more (clock_gettime) */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>

#define P256_MAX_THREADS 64
#define P256_MSG_MAX 4096

enum p256_way { P256_FAST, P256_DIGEST };

struct p256_thread {
	pthread_t t;
	enum p256_way way;
	size_t msglen, nkeys;
	double secs;
	unsigned long n;  /* verifies done */
	double wall, cpu; /* seconds they took */
};

static inline double
p256_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One signature checked the way asked; 1 if good. */
static inline int
p256_verify_one(enum p256_way way, EVP_PKEY *pk, EVP_PKEY_CTX *pc,
    EVP_MD_CTX *md, const EVP_MD *sha, const uint8_t *msg, size_t len,
    const uint8_t *sig, size_t slen)
{
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;

	if (way == P256_DIGEST) {
		EVP_MD_CTX_reset(md);
		return EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL,
			   pk, NULL) == 1 &&
		    EVP_DigestVerify(md, sig, slen, msg, len) == 1;
	}
	return EVP_DigestInit_ex2(md, sha, NULL) == 1 &&
	    EVP_DigestUpdate(md, msg, len) == 1 &&
	    EVP_DigestFinal_ex(md, dg, &dl) == 1 &&
	    EVP_PKEY_verify(pc, sig, slen, dg, dl) == 1;
}

/* Key i of a thread's: made, its signature of msg, its verify context. */
struct p256_key {
	EVP_PKEY *pk;
	EVP_PKEY_CTX *pc;
	uint8_t sig[80];
	size_t slen;
};

static inline void
p256_key_make(struct p256_key *k, EVP_MD_CTX *md, const uint8_t *msg,
    size_t len)
{
	k->slen = sizeof(k->sig);
	if ((k->pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1")) ==
		NULL ||
	    (k->pc = EVP_PKEY_CTX_new(k->pk, NULL)) == NULL ||
	    EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, k->pk,
		NULL) != 1 ||
	    EVP_DigestSign(md, k->sig, &k->slen, msg, len) != 1 ||
	    EVP_PKEY_verify_init(k->pc) != 1)
		abort();
	EVP_MD_CTX_reset(md); /* the signing context gone */
}

static inline void *
p256_thread_run(void *arg)
{
	struct p256_thread *v = arg;
	size_t nk = v->nkeys > 0 ? v->nkeys : 1, i = 0;
	struct p256_key *k = calloc(nk, sizeof(*k));
	EVP_MD *sha = EVP_MD_fetch(NULL, "SHA256", NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t msg[P256_MSG_MAX] = { 1 };
	size_t len = v->msglen;
	double t0, c0, t1;

	if (k == NULL || sha == NULL || md == NULL || len > sizeof(msg))
		abort();
	for (size_t j = 0; j < nk; j++)
		p256_key_make(&k[j], md, msg, len);
	t0 = p256_clock(CLOCK_MONOTONIC);
	c0 = p256_clock(CLOCK_THREAD_CPUTIME_ID);
	do {
		for (int j = 0; j < 100; j++, v->n++, i = (i + 1) % nk)
			if (!p256_verify_one(v->way, k[i].pk, k[i].pc, md, sha,
				msg, len, k[i].sig, k[i].slen))
				abort();
		t1 = p256_clock(CLOCK_MONOTONIC);
	} while (t1 - t0 < v->secs);
	v->cpu = p256_clock(CLOCK_THREAD_CPUTIME_ID) - c0;
	v->wall = t1 - t0;
	for (size_t j = 0; j < nk; j++) {
		EVP_PKEY_CTX_free(k[j].pc);
		EVP_PKEY_free(k[j].pk);
	}
	free(k);
	EVP_MD_CTX_free(md);
	EVP_MD_free(sha);
	return NULL;
}

/*
 * Verifies/s on n threads at once for secs, summed over the threads, each
 * thread's verifies by nkeys keys in turn (0: one); the CPU microseconds
 * one verify took, in *cpu_us (NULL: not wanted).  0 if no thread could
 * be started.
 */
static inline double
p256_verify_rate_keys(int n, enum p256_way way, size_t msglen, size_t nkeys,
    double secs, double *cpu_us)
{
	struct p256_thread v[P256_MAX_THREADS];
	double rate = 0, cpu = 0;
	unsigned long ops = 0;
	int started = 0;

	if (n > P256_MAX_THREADS)
		n = P256_MAX_THREADS;
	for (int i = 0; i < n; i++) {
		v[i] = (struct p256_thread){ .way = way,
			.msglen = msglen,
			.nkeys = nkeys,
			.secs = secs };
		if (pthread_create(&v[i].t, NULL, p256_thread_run, &v[i]) != 0)
			break;
		started++;
	}
	for (int i = 0; i < started; i++) {
		pthread_join(v[i].t, NULL);
		rate += (double)v[i].n / v[i].wall;
		cpu += v[i].cpu;
		ops += v[i].n;
	}
	if (cpu_us != NULL)
		*cpu_us = ops > 0 ? cpu * 1e6 / (double)ops : 0;
	return started == n ? rate : 0;
}

/* The same with one key a thread, as `openssl speed`. */
static inline double
p256_verify_rate(int n, enum p256_way way, size_t msglen, double secs,
    double *cpu_us)
{
	return p256_verify_rate_keys(n, way, msglen, 0, secs, cpu_us);
}

#endif
