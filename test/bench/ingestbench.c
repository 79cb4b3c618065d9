/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingestbench: the center's ingest rate on SQLite against OpenSSL's own
 * ECDSA P-256 verify rate, measured in the same run on as many threads
 * (p256.h: OpenSSL's fastest path, EVP_PKEY_verify of a SHA-256 digest).
 *
 * One instance as centerd runs it: THREADS sessions at once (default 1,
 * the cores, twice and four times the cores, so that one session's wait
 * for its sync overlaps the others' work, as on a center that many
 * decoders call at once), each thread with a connection of its
 * own, all in one commit group (group.h), as centerd's pool: the threads
 * check and verify their sessions' blocks in parallel, outside the
 * writer; the writer runs the sessions' SQL one after the other and
 * commits those that finished together, and the group syncs the WAL
 * beside it (one fdatasync covering every commit before it): a session
 * returns once durable.
 *
 * Each session holds PROTO_UPLINK_MAX_BLOCKS recovered blocks of distinct
 * registered cards.  First contact: each card's first block (its key read
 * and parsed, two purchases); next block: each card's next one, on the
 * thread that took its first (its key kept, one new purchase of three).
 * Every block must be accepted and every purchase invoiced once.
 *
 * What a block costs: CPU time (the process's, over the pass) and wall
 * time a block, the cores the ingest kept busy (CPU over wall), and
 * where a block's CPU time goes, as the sessions timed it themselves:
 * the verify (verify_cpu_us: the session's verifies, back to back), the
 * layouts, routes and keys (keys_cpu_us: a key read and set up on a
 * first contact), the other checks (the decryption: check_cpu_us less
 * those), the transactions' SQL (sql_cpu_us), the commit and the rest
 * (the process's CPU less all those); and how long a session waited for
 * its commit (commit_us: its batch's commit and the sync that covered
 * it).  The verify was timed before in a loop of its own after the
 * passes, and read 10-14 us a block above OpenSSL's: the same
 * instructions (callgrind: 840,900 a verify in the session, 839,000 in
 * OpenSSL's loop), timed at another moment on a shared machine where
 * one verify takes 60 us at one moment and 85 at the next (TSC: 10th
 * and 90th percentiles).  OpenSSL's rate over as many keys as cards
 * (each key's objects cold by its turn) is printed beside its own for
 * reference.
 *
 * usage: ingestbench DIR [SECONDS [THREADS[,THREADS...]]]
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../center/db.h"
#include "../../center/group.h"
#include "../../center/ingest.h"
#include "../../center/keycache.h"
#include "../../proto/crypto.h"
#include "../../proto/num.h"
#include "../../proto/sm.h"
#include "p256.h"
#include "secs.h"

#define NCARDS 4096
#define NCARDS_STR "4096"
#define NSESS (NCARDS / PROTO_UPLINK_MAX_BLOCKS)
#define MAX_THREADS 16
#define MAX_RUNS 8

static double
now(void)
{
	return p256_clock(CLOCK_MONOTONIC);
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

/* What a pass's sessions took, summed over its threads (us). */
struct split {
	double check_cpu, keys_cpu, verify_cpu, sql_cpu, commit;
};

/* One thread's share of a pass. */
struct worker {
	pthread_t t;
	struct cgs_db *db;
	struct cgs_ctx *ctx;
	struct cgs_session *s;
	int pass, rc;
	double secs;
	unsigned long nblocks, ninv, wrong;
	struct split sp;
	int mine[NSESS]; /* the sessions it took in the first pass */
	int nmine, k;
	double end; /* when its last session was done */
};

static atomic_int next_session;
static double pass_start;

/*
 * The worker's next session, -1 when the pass is over: in the first pass
 * any not taken yet, in the second those it took in the first, in order,
 * so that each card's next block is verified by the context keeping its
 * key.  Past the pass's time a worker still does one session (however
 * slow the machine, a pass measures something).
 */
static int
next_of(struct worker *w)
{
	int i;

	if (w->nblocks > 0 && now() - pass_start >= w->secs)
		return -1;
	if (w->pass == 1)
		return w->k < w->nmine ? w->mine[w->k++] : -1;
	if ((i = atomic_fetch_add(&next_session, 1)) >= NSESS)
		return -1;
	w->mine[w->nmine++] = i;
	return i;
}

/* Session i of the worker's pass ingested, its outcome counted. */
static int
ingest_one(struct worker *w, int i)
{
	struct cgs_session *s = w->s;

	memset(&s->hello, 0, sizeof(s->hello));
	s->n = PROTO_UPLINK_MAX_BLOCKS;
	for (size_t j = 0; j < s->n; j++) {
		size_t c = (size_t)i * PROTO_UPLINK_MAX_BLOCKS + j;

		s->in[j] =
		    (struct cgs_in_block){ .origin = CGS_ORIGIN_RECOVERED,
			    .block = blocks[w->pass][c],
			    .len = blen[w->pass][c] };
	}
	if ((w->rc = cgs_ingest(w->ctx, s)) != 0)
		return -1;
	for (size_t j = 0; j < s->n; j++)
		if (j >= s->ans.n_res ||
		    s->ans.res[j].status != PROTO_UP_ACCEPTED ||
		    s->ans.res[j].reason != PROTO_UP_OK)
			w->wrong++;
	w->wrong += s->ans.flagged;
	w->nblocks += s->n;
	w->ninv += s->ans.invoiced;
	w->sp.check_cpu += (double)s->check_cpu_us;
	w->sp.keys_cpu += (double)s->keys_cpu_us;
	w->sp.verify_cpu += (double)s->verify_cpu_us;
	w->sp.sql_cpu += (double)s->sql_cpu_us;
	w->sp.commit += (double)s->commit_us;
	return 0;
}

static void *
ingest_work(void *arg)
{
	struct worker *w = arg;
	int i;

	w->nblocks = w->ninv = w->wrong = 0;
	w->sp = (struct split){ 0 };
	w->k = 0;
	if (w->pass == 0)
		w->nmine = 0;
	w->end = pass_start;
	while ((i = next_of(w)) >= 0 && ingest_one(w, i) == 0)
		w->end = now();
	return NULL;
}

/* A pass's outcome, summed over its workers. */
struct pass {
	unsigned long nblocks, ninv, wrong;
	double rate, cpu_us, wall_us; /* blocks/s; per block */
	struct split sp;              /* per block */
};

/* Pass p (0: first contact of every card, 1: their next blocks) on n
 * workers at once. */
static int
ingest_pass(struct worker *w, int n, int p, double secs, struct pass *out)
{
	double end = 0, cpu0, span;

	memset(out, 0, sizeof(*out));
	atomic_store(&next_session, 0);
	cpu0 = p256_clock(CLOCK_PROCESS_CPUTIME_ID);
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
	out->cpu_us = (p256_clock(CLOCK_PROCESS_CPUTIME_ID) - cpu0) * 1e6;
	for (int i = 0; i < n; i++) {
		if (w[i].rc != 0) {
			fprintf(stderr, "ingestbench: cgs_ingest: %d\n",
			    w[i].rc);
			return -1;
		}
		out->nblocks += w[i].nblocks;
		out->ninv += w[i].ninv;
		out->wrong += w[i].wrong;
		out->sp.check_cpu += w[i].sp.check_cpu;
		out->sp.keys_cpu += w[i].sp.keys_cpu;
		out->sp.verify_cpu += w[i].sp.verify_cpu;
		out->sp.sql_cpu += w[i].sp.sql_cpu;
		out->sp.commit += w[i].sp.commit;
		end = w[i].end > end ? w[i].end : end;
	}
	if (out->nblocks == 0 || (span = end - pass_start) <= 0)
		return -1;
	out->rate = (double)out->nblocks / span;
	out->wall_us = span * 1e6 / (double)out->nblocks;
	out->cpu_us /= (double)out->nblocks;
	out->sp.check_cpu /= (double)out->nblocks;
	out->sp.keys_cpu /= (double)out->nblocks;
	out->sp.verify_cpu /= (double)out->nblocks;
	out->sp.sql_cpu /= (double)out->nblocks;
	out->sp.commit /= (double)out->nblocks;
	return 0;
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

/* One run's figures, for the summary. */
struct result {
	int n;
	double verify, verify_cpu, digest;
	double many, many_cpu; /* OpenSSL over NCARDS keys in turn */
	struct pass pass[2];
	uint64_t batches, txns, syncs;
};

static const char *const case_name[2] = {
	"first contact: key set up, 2 purchases each",
	"next block: key cached, 1 new of 3 purchases",
};

/* Where a block's CPU time went (us), for case p of a run. */
struct parts {
	double verify, keys, other, sql, rest;
};

static struct parts
parts_of(const struct result *r, int p)
{
	const struct pass *ps = &r->pass[p];
	struct parts x = { .verify = ps->sp.verify_cpu,
		.keys = ps->sp.keys_cpu,
		.sql = ps->sp.sql_cpu };

	x.other = ps->sp.check_cpu - x.verify - x.keys;
	x.rest = ps->cpu_us - ps->sp.check_cpu - ps->sp.sql_cpu;
	return x;
}

/* A case's lines: its rate and ratio, where a block's CPU and wall time
 * go. */
static void
print_case(const struct result *r, int p)
{
	const struct pass *ps = &r->pass[p];
	struct parts x = parts_of(r, p);

	printf("  %-44s %7.0f /s  ratio %.2f  (%lu blocks, %lu invoiced)\n",
	    case_name[p], ps->rate, ps->rate / r->verify, ps->nblocks,
	    ps->ninv);
	printf("    CPU a block %.0f us (verify %.0f, layout, route and key%s "
	       "%.0f, decryption %.0f, SQL %.0f, commit and the rest %.0f): "
	       "CPU ratio %.2f\n",
	    ps->cpu_us, x.verify, p == 0 ? " set-up" : "", x.keys, x.other,
	    x.sql, x.rest, r->verify_cpu / ps->cpu_us);
	printf("    wall a block %.0f us: %.2f cores busy; a session's commit "
	       "%.2f ms (%.0f us a block)\n",
	    ps->wall_us, ps->cpu_us / ps->wall_us,
	    ps->sp.commit * PROTO_UPLINK_MAX_BLOCKS / 1000, ps->sp.commit);
}

/* Both passes on n workers (a fresh database), beside OpenSSL on n
 * threads. */
static int
run(const char *path, const struct cgs_keys *k, int n, double secs,
    size_t msglen, struct result *r)
{
	struct worker w[MAX_THREADS] = { 0 };
	struct cgs_group *g = NULL;
	double before, after, cpu;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->n = n;
	if (make_db(path, k, 0) != 0 || cgs_group_new(path, &g) != 0)
		goto out;
	for (int i = 0; i < n; i++) {
		if ((w[i].s = calloc(1, sizeof(*w[i].s))) == NULL ||
		    cgs_db_open(path, &w[i].db) != 0 ||
		    cgs_ctx_new(w[i].db, k, &w[i].ctx) != 0)
			goto out;
		cgs_group_join(g, w[i].db);
	}
	/* OpenSSL before and after the ingest, the machine's drift seen */
	before = p256_verify_rate(n, P256_FAST, msglen, secs / 2, &cpu);
	if (ingest_pass(w, n, 0, secs, &r->pass[0]) != 0 ||
	    ingest_pass(w, n, 1, secs, &r->pass[1]) != 0)
		goto out;
	after =
	    p256_verify_rate(n, P256_FAST, msglen, secs / 2, &r->verify_cpu);
	r->verify = (before + after) / 2;
	r->verify_cpu = (r->verify_cpu + cpu) / 2;
	r->digest = p256_verify_rate(n, P256_DIGEST, msglen, secs / 4, NULL);
	r->many = p256_verify_rate_keys(n, P256_FAST, msglen, NCARDS, secs / 4,
	    &r->many_cpu);
	cgs_group_counts(g, &r->batches, &r->txns);
	cgs_group_syncs(g, &r->syncs);
	if (n == 1)
		printf("1 session at a time (one thread and connection, in a "
		       "commit group):\n");
	else
		printf("%d sessions at once (%d threads, a connection each, "
		       "one commit group):\n",
		    n, n);
	printf("  %-44s %7.0f /s  %.0f us CPU each, %.2f cores busy (before "
	       "%.0f, after %.0f /s)\n",
	    "OpenSSL P-256 verify, EVP_PKEY_verify", r->verify, r->verify_cpu,
	    r->verify * r->verify_cpu / 1e6, before, after);
	printf("  %-44s %7.0f /s\n", "  the same by EVP_DigestVerify each time",
	    r->digest);
	printf("  %-44s %7.0f /s  %.0f us CPU each\n",
	    "  the same over " NCARDS_STR " keys in turn", r->many,
	    r->many_cpu);
	for (int p = 0; p < 2; p++)
		print_case(r, p);
	printf("  %llu sessions committed in %llu commits, %llu fsyncs\n",
	    (unsigned long long)r->txns, (unsigned long long)r->batches,
	    (unsigned long long)r->syncs);
	fflush(stdout);
	rc = 0;
	for (int p = 0; p < 2; p++) {
		const struct pass *ps = &r->pass[p];

		if (ps->wrong != 0 ||
		    ps->ninv != (p == 0 ? 2 : 1) * ps->nblocks) {
			fprintf(stderr,
			    "ingestbench: %s: %lu blocks not accepted as "
			    "new or flagged, %lu invoiced of %lu\n",
			    case_name[p], ps->wrong, ps->ninv,
			    (p == 0 ? 2 : 1) * ps->nblocks);
			rc = -1;
		}
	}
out:
	for (int i = 0; i < n; i++) {
		cgs_ctx_free(&w[i].ctx);
		cgs_db_close(&w[i].db);
		free(w[i].s);
	}
	cgs_group_free(&g);
	return rc;
}

/* The runs side by side, one line a case, for A/B comparisons. */
static void
print_summary(const struct result *r, int nr)
{
	printf("summary (CPU us a block; ratio against EVP_PKEY_verify; "
	       "cpu-s: the verify\ntimed in the sessions over a block's CPU, "
	       "the CPU ratio unmoved by the machine's\ndrift between "
	       "OpenSSL's loop and the ingest):\n");
	printf("  %-7s %-5s %8s %8s %5s %5s %5s %4s %4s %6s %5s %5s %4s %4s "
	       "%5s\n",
	    "threads", "case", "blocks/s", "verify/s", "ratio", "cpu-r",
	    "cores", "CPU", "wall", "verify", "keys", "other", "SQL", "rest",
	    "cpu-s");
	for (int i = 0; i < nr; i++)
		for (int p = 0; p < 2; p++) {
			const struct pass *ps = &r[i].pass[p];
			struct parts x = parts_of(&r[i], p);

			printf("  %-7d %-5s %8.0f %8.0f %5.2f %5.2f %5.2f "
			       "%4.0f %4.0f %6.0f %5.0f %5.0f %4.0f %4.0f "
			       "%5.2f\n",
			    r[i].n, p == 0 ? "first" : "next", ps->rate,
			    r[i].verify, ps->rate / r[i].verify,
			    r[i].verify_cpu / ps->cpu_us,
			    ps->cpu_us / ps->wall_us, ps->cpu_us, ps->wall_us,
			    x.verify, x.keys, x.other, x.sql, x.rest,
			    x.verify / ps->cpu_us);
		}
}

/*
 * THREADS: a comma-separated list of at most MAX_RUNS counts, each
 * 1..MAX_THREADS, read by proto's number parser; into n and *nr only when
 * all of it is good, else said on stderr (-1).
 */
static int
parse_threads(const char *s, int *n, int *nr)
{
	char item[PROTO_NUM_MAX_DIGITS + 1];
	int got[MAX_RUNS], k = 0;
	size_t len;
	unsigned v;

	for (;; s += len + 1) {
		len = strcspn(s, ",");
		if (k == MAX_RUNS) {
			fprintf(stderr,
			    "ingestbench: THREADS: more than %d counts\n",
			    MAX_RUNS);
			return -1;
		}
		snprintf(item, sizeof(item), "%.*s", (int)len, s);
		if (len >= sizeof(item) ||
		    proto_parse_uint(item, 1, MAX_THREADS, &v) != 0) {
			fprintf(stderr,
			    "ingestbench: THREADS: \"%.*s\" is not a count "
			    "from 1 to %d\n",
			    (int)(len < 32 ? len : 32), s, MAX_THREADS);
			return -1;
		}
		got[k++] = (int)v;
		if (s[len] == '\0')
			break;
	}
	memcpy(n, got, (size_t)k * sizeof(*n));
	*nr = k;
	return 0;
}

int
main(int argc, char **argv)
{
	struct result r[MAX_RUNS];
	struct proto_block b;
	struct cgs_keys k;
	char path[512];
	double secs = 3;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int rc = 1, n[MAX_RUNS], nr = 0;

	if (cores < 1)
		cores = 1;
	if (cores > MAX_THREADS / 4)
		cores = MAX_THREADS / 4;
	n[nr++] = 1;
	if (cores > 1)
		n[nr++] = (int)cores;
	n[nr++] = 2 * (int)cores;
	n[nr++] = 4 * (int)cores;
	if (argc < 2 || argc > 4 ||
	    (argc > 2 && bench_secs(argv[2], &secs) != 0)) {
		fprintf(stderr,
		    "usage: ingestbench DIR [SECONDS [THREADS[,...]]]\n");
		return 2;
	}
	if (argc > 3 && parse_threads(argv[3], n, &nr) != 0)
		return 2;
	snprintf(path, sizeof(path), "%s/ingest.db", argv[1]);
	if (proto_random(k.master, sizeof(k.master)) != 0 ||
	    proto_ec_keygen(k.center_priv, k.center_pub) != 0)
		goto out;
	if (make_db(path, &k, 1) != 0 ||
	    proto_block_parse(blocks[0][0], blen[0][0], &b) != 0)
		goto out;
	printf("center ingest, SQLite, one instance as centerd runs it, on "
	       "%ld cores:\n"
	       "sessions of %d recovered blocks of distinct registered cards, "
	       "durable commits\n"
	       "(WAL, synced by the group); OpenSSL on as many threads, over "
	       "the blocks' signed size\n"
	       "(%zu bytes).  ratio: blocks/s over verifies/s.  CPU ratio: a "
	       "verify's CPU time over\n"
	       "a block's: the ratio if both kept the same cores busy "
	       "(ratio = CPU ratio x the\n"
	       "ingest's cores busy / OpenSSL's).\n",
	    sysconf(_SC_NPROCESSORS_ONLN), PROTO_UPLINK_MAX_BLOCKS,
	    b.signed_len);
	for (int i = 0; i < nr; i++)
		if (run(path, &k, n[i], secs, b.signed_len, &r[i]) != 0)
			goto out;
	print_summary(r, nr);
	rc = 0;
out:
	proto_cleanse(&k, sizeof(k));
	unlink(path);
	return rc;
}
