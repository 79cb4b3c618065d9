/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One uplink session: each block is checked (layout, separation,
 * registration, signature by the card's registered key, decryption under
 * its transmission key), handed to the separation module (separation.h)
 * for its route, to the ledger (ledger.h) and to the card's record; then
 * the present card's commands (commands.h) are decided.  All of it is
 * recorded in one transaction, committed once; the caller answers only
 * after it committed.
 */
#ifndef CENTER_INGEST_H
#define CENTER_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/crypto.h"
#include "../proto/block.h"
#include "../proto/uplink.h"
#include "commands.h"
#include "db.h"
#include "separation.h"

struct cgs_session {
	struct proto_up_hello hello;
	uint8_t challenge[PROTO_CHALLENGE_LEN]; /* the nonce CHALLENGE sent */
	size_t n; /* at most PROTO_UPLINK_MAX_BLOCKS */
	struct cgs_in_block in[PROTO_UPLINK_MAX_BLOCKS];
	/* the decoder's address, for the record of rejected blocks
	 * (borrowed; NULL: unknown) */
	const char *peer;
	/* what the center answers */
	struct proto_up_answer ans;
	/* set by cgs_ingest: 1 where block i's header was read (ans.res[i]
	 * has its UA and sequence) */
	uint8_t has_ua[PROTO_UPLINK_MAX_BLOCKS];
	/* set by cgs_ingest: 1 if the session was recorded, 0 if it had no
	 * valid block and nothing of it was kept */
	int recorded;
	/* set by cgs_ingest: PROTO_UP_OK, or why the whole session is
	 * refused (PROTO_UP_REVOKED: its HELLO names a revoked card) --
	 * answered with an ERROR, nothing recorded */
	uint8_t refused;
	/* set by cgs_ingest: how long its commit took (us; with group
	 * commit, from its last write to its batch committed), 0 if none */
	long long commit_us;
	/* set by cgs_ingest, to split a session's cost: the CPU time (us)
	 * of its checks before the transaction (the HELLO's card, every
	 * block's precheck) and of its transaction's body (its SQL, without
	 * the commit) */
	long long check_cpu_us, sql_cpu_us;
	/* of the checks, set by cgs_ingest: the blocks' layouts, routes and
	 * keys (a card's key read and set up unless kept), and their
	 * signatures' verifies, back to back (the decryptions the rest) */
	long long keys_cpu_us, verify_cpu_us;
};

/*
 * What a failed check of a block makes its RESULT reason: the signature
 * (PROTO_ERR_AUTH: bad signature) or the decryption (PROTO_ERR_AUTH:
 * cannot decrypt; a layout error: malformed).  Anything else is the
 * center's passing failure (memory, the crypto library, a key the center
 * holds that does not parse): PROTO_UP_INTERNAL, not final, so the
 * decoder keeps the block and sends it again.  Only causes in the block
 * itself get a final reason (proto_up_reason_final).
 */
enum cgs_check { CGS_CHECK_SIGNATURE, CGS_CHECK_OPEN };
uint8_t cgs_block_reason(enum cgs_check check, int rc);

/*
 * Per-worker state kept between sessions: the database connection (with
 * its prepared statements) and the parsed card keys.  db and k are
 * borrowed and must outlive the context.
 */
struct cgs_ctx;
int
cgs_ctx_new(struct cgs_db *db, const struct cgs_keys *k, struct cgs_ctx **out);
void cgs_ctx_free(struct cgs_ctx **c);

/*
 * Process a session and fill s->ans -- or refuse it whole (s->refused:
 * nothing read, nothing recorded).  On error nothing was recorded (the
 * transaction is rolled back) and s->ans is cleared.  A rejected block is
 * not an error: its result says why.  A session with no valid block (none
 * accepted or duplicate) is answered the same, but nothing of it is kept
 * -- no session row, no block rows -- and s->recorded is 0: the caller
 * counts it instead, so junk sessions cannot fill the database.  Every
 * rejected block, a junk session's too, goes to the ring of the last
 * CGS_REJECTED_KEEP (cgs_db_rejected_add), bounded whatever arrives.
 */
int cgs_ingest(struct cgs_ctx *c, struct cgs_session *s);

#endif
