/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One uplink session's processing: the separation module (blocks sorted
 * by UA into the present card's and recovered ones), per-block checks
 * (registration, signature, decryption), the exactly-once ledger, card
 * status, and the signed commands for the present card.  Everything is
 * recorded in one transaction; the caller answers only after it
 * committed.
 */
#ifndef CENTER_INGEST_H
#define CENTER_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/crypto.h"
#include "../proto/sm.h"
#include "../proto/uplink.h"
#include "db.h"

#define CGS_ORIGIN_PRESENT 0
#define CGS_ORIGIN_RECOVERED 1
#define CGS_KEY_CACHE 4096

struct cgs_keys {
	uint8_t master[PROTO_MASTER_LEN];
	uint8_t center_priv[PROTO_EC_PRIV_LEN];
	uint8_t center_pub[PROTO_EC_PUB_LEN];
};

struct cgs_in_block {
	int origin;
	const uint8_t *block; /* borrowed */
	size_t len;
	uint8_t decoder_id[PROTO_DECODER_ID_LEN]; /* recovered: who kept it */
	uint64_t stored_at;
};

struct cgs_session {
	struct proto_up_hello hello;
	size_t n;
	struct cgs_in_block in[PROTO_UPLINK_MAX_BLOCKS];
	/* what the center answers */
	struct proto_up_answer ans;
};

/* Per-worker state: public keys parsed once, by UA. */
struct cgs_ctx;
int
cgs_ctx_new(struct cgs_db *db, const struct cgs_keys *k, struct cgs_ctx **out);
void cgs_ctx_free(struct cgs_ctx **c);

/* Process a session; on error nothing was recorded. */
int cgs_ingest(struct cgs_ctx *c, struct cgs_session *s);

/* Queue an operator command (reload, grant) for a card; signed now. */
int cgs_queue_command(struct cgs_db *db, const struct cgs_keys *k,
    const uint8_t ua[PROTO_UA_LEN], uint8_t type, uint32_t arg1, uint32_t arg2);

#endif
