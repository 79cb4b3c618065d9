/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside ingest (ingest.c, ingest_check.c only): a session's blocks on
 * their way through, and the checks that run before its transaction.
 */
#ifndef CENTER_INGEST_WORK_H
#define CENTER_INGEST_WORK_H

#include "ingest.h"
#include "keycache.h"

/*
 * One block on its way through a session: what its checks found before
 * the transaction (reason), and its card as the transaction reads it.
 */
struct work {
	const struct cgs_in_block *in;
	int parsed;
	uint8_t reason; /* PROTO_UP_OK: genuine, m holds its M2 */
	struct proto_block b;
	struct cgs_route route;
	struct cgs_card card;
	uint8_t pub[PROTO_EC_PUB_LEN]; /* the key the signature was verified by */
	struct proto_m2 m; /* decrypted: wiped when the session is done */
};

struct cgs_ctx {
	struct cgs_db *db;
	const struct cgs_keys *keys;
	struct cgs_keycache *kc;
	struct work work[PROTO_UPLINK_MAX_BLOCKS]; /* the session's */
};

/*
 * Every block's checks, before the transaction, into c->work[0..s->n):
 * an error only for a database failure.
 */
int cgs_precheck_all(struct cgs_ctx *c, struct cgs_session *s);
/* A session whose HELLO names a revoked card: s->refused set. */
int cgs_refused(struct cgs_ctx *c, struct cgs_session *s);

#endif
