/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rows an uplink session reads and writes: the session itself, what
 * became of each block, the ledger's purchases and the operator's
 * flags (the commands are in db_cmd.c).  All of it runs inside the session's transaction
 * (ingest.c), on statements prepared once per connection.
 */
#include <string.h>

#include "../proto/buf.h"
#include "../proto/proto.h"
#include "db.h"
#include "store.h"

static const char *
origin_name(int origin)
{
	return origin == CGS_ORIGIN_PRESENT ? "present" : "recovered";
}

/* A session's row. */
#define SESSION_INSERT                                               \
	"INSERT INTO sessions (decoder_id, present_ua, started_at, " \
	"blocks, invoiced, flagged) VALUES (?, ?, ?, ?, 0, 0)"

int
cgs_db_session_open(struct cgs_db *db, const struct proto_up_hello *h,
    size_t nblocks, int64_t now, int64_t *session_id)
{
	char dec[2 * PROTO_DECODER_ID_LEN + 1];
	int rowid = db->e->inserted_id != NULL, rc;
	struct cgs_stmt *st = cgs_stmt(db,
	    rowid ? SESSION_INSERT : SESSION_INSERT " RETURNING id");
	int64_t n = 0;

	if (st == NULL)
		return PROTO_ERR_IO;
	proto_hex(h->decoder_id, PROTO_DECODER_ID_LEN, dec);
	cgs_bind_text(st, 1, dec);
	if (h->has_card)
		cgs_db_bind_ua(st, 2, h->ua);
	cgs_bind_i64(st, 3, now);
	cgs_bind_i64(st, 4, (int64_t)nblocks);
	/* SQLite's new rowid as the statement left it, not returned: it
	 * materializes a RETURNING row, which cost a session ~65 us (and a
	 * statement asking for it ~2 us) */
	if (rowid) {
		if ((rc = cgs_step_changes(st, &n)) == 0)
			*session_id = db->e->inserted_id(st);
		return rc == 0 && n != 1 ? PROTO_ERR_IO : rc;
	}
	if ((rc = cgs_step(st)) == 1)
		*session_id = cgs_col_i64(st, 0);
	cgs_reset(st);
	return rc == 1 ? 0 : rc < 0 ? rc : PROTO_ERR_IO;
}

int
cgs_db_session_close(struct cgs_db *db, int64_t session_id,
    const struct proto_up_answer *ans, int present_seen)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "UPDATE sessions SET invoiced = ?, flagged = ?, present_seen = ?, "
	    "n_accepted = ?, n_duplicate = ?, n_rejected = ? WHERE id = ?");
	int64_t n[PROTO_UP_REJECTED + 1] = { 0 };

	if (st == NULL)
		return PROTO_ERR_IO;
	for (size_t i = 0; i < ans->n_res; i++)
		if (ans->res[i].status <= PROTO_UP_REJECTED)
			n[ans->res[i].status]++;
	cgs_bind_i64(st, 1, ans->invoiced);
	cgs_bind_i64(st, 2, ans->flagged);
	cgs_bind_i64(st, 3, present_seen != 0);
	for (int i = 0; i <= PROTO_UP_REJECTED; i++)
		cgs_bind_i64(st, 4 + i, n[i]);
	cgs_bind_i64(st, 7, session_id);
	return cgs_step_done(st);
}

static const char *const block_status[] = { "accepted", "duplicate",
	"rejected" };

int
cgs_db_block_record(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t *ua, uint32_t seq, const struct cgs_in_block *in,
    const struct proto_up_result *r)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "INSERT INTO blocks (session_id, ua, seq, origin, status, reason, "
	    "received_at, kept_by, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
	    "?)");
	int rec = in->origin == CGS_ORIGIN_RECOVERED;
	char kept[2 * PROTO_DECODER_ID_LEN + 1];

	if (st == NULL || r->status > PROTO_UP_REJECTED)
		return PROTO_ERR_IO;
	cgs_bind_i64(st, 1, at->session_id);
	if (ua != NULL)
		cgs_db_bind_ua(st, 2, ua);
	else
		cgs_bind_text(st, 2, "?");
	cgs_bind_i64(st, 3, seq);
	cgs_bind_text(st, 4, origin_name(in->origin));
	cgs_bind_text(st, 5, block_status[r->status]);
	cgs_bind_text(st, 6, proto_up_reason(r->reason));
	cgs_bind_i64(st, 7, at->now);
	proto_hex(in->decoder_id, PROTO_DECODER_ID_LEN, kept);
	if (rec)
		cgs_bind_text(st, 8, kept);
	cgs_bind_opt(st, 9, rec, (int64_t)in->stored_at);
	return cgs_step_done(st);
}

/* The ring's row of rejected block number n (counting every one). */
static int
ring_put(struct cgs_db *db, const struct cgs_stamp *at, const char *peer,
    const struct cgs_rejected_block *r, int64_t n)
{
	char dec[2 * PROTO_DECODER_ID_LEN + 1];
	struct cgs_stmt *st = cgs_stmt(db,
	    "INSERT INTO rejected (slot, n, at, peer, decoder_id, ua, seq, "
	    "origin, reason, session_id) VALUES (CAST(?1 AS BIGINT) % "
	    "CAST(?2 AS BIGINT), ?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON "
	    "CONFLICT (slot) DO UPDATE SET n = excluded.n, at = excluded.at, "
	    "peer = excluded.peer, decoder_id = excluded.decoder_id, ua = "
	    "excluded.ua, seq = excluded.seq, origin = excluded.origin, "
	    "reason = excluded.reason, session_id = excluded.session_id");

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_bind_i64(st, 1, n);
	cgs_bind_i64(st, 2, CGS_REJECTED_KEEP);
	cgs_bind_i64(st, 3, at->now);
	if (peer != NULL)
		cgs_bind_text(st, 4, peer);
	proto_hex(at->decoder_id, PROTO_DECODER_ID_LEN, dec);
	cgs_bind_text(st, 5, dec);
	if (r->ua != NULL)
		cgs_db_bind_ua(st, 6, r->ua);
	cgs_bind_opt(st, 7, r->ua != NULL, r->seq);
	cgs_bind_text(st, 8, origin_name(r->origin));
	cgs_bind_i64(st, 9, r->reason);
	cgs_bind_opt(st, 10, at->session_id != 0, at->session_id);
	return cgs_step_done(st);
}

int
cgs_db_rejected_add(struct cgs_db *db, const struct cgs_stamp *at,
    const char *peer, const struct cgs_rejected_block *r, size_t n)
{
	uint32_t count[256] = { 0 };
	struct cgs_stmt *st;
	int64_t total = 0;
	int rc;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		count[r[i].reason]++;
	/* in one order, so that two sessions never wait for each other's
	 * counts in a cycle */
	for (unsigned k = 0; k < 256; k++) {
		if (count[k] == 0)
			continue;
		if ((st = cgs_stmt(db,
			 "INSERT INTO rejected_counts (reason, n, last_at) "
			 "VALUES (?, ?, ?) ON CONFLICT (reason) DO UPDATE SET "
			 "n = rejected_counts.n + excluded.n, "
			 "last_at = excluded.last_at")) == NULL)
			return PROTO_ERR_IO;
		cgs_bind_i64(st, 1, k);
		cgs_bind_i64(st, 2, count[k]);
		cgs_bind_i64(st, 3, at->now);
		if ((rc = cgs_step_done(st)) != 0)
			return rc;
	}
	/* the numbers of these blocks among all rejected: the last n */
	if ((st = cgs_stmt(db,
		 "SELECT COALESCE(SUM(n), 0) FROM rejected_counts")) == NULL)
		return PROTO_ERR_IO;
	if ((rc = cgs_step(st)) == 1)
		total = cgs_col_i64(st, 0);
	cgs_reset(st);
	if (rc != 1)
		return rc < 0 ? rc : PROTO_ERR_IO;
	for (size_t i = 0; i < n; i++)
		if ((rc = ring_put(db, at, peer, &r[i],
			 total - (int64_t)n + 1 + (int64_t)i)) != 0)
			return rc;
	return 0;
}

int
cgs_db_block_counts_add(struct cgs_db *db, int64_t session_id,
    const struct proto_up_result *res, size_t n)
{
	uint32_t count[PROTO_UP_REJECTED + 1][256] = { { 0 } };
	int rc;

	for (size_t i = 0; i < n; i++)
		if (res[i].status <= PROTO_UP_REJECTED)
			count[res[i].status][res[i].reason]++;
	/* in one order, so that two sessions on one shard never wait for
	 * each other in a cycle */
	for (unsigned s = 0; s <= PROTO_UP_REJECTED; s++)
		for (unsigned r = 0; r < 256; r++) {
			struct cgs_stmt *st;

			if (count[s][r] == 0)
				continue;
			if ((st = cgs_stmt(db,
				 "INSERT INTO block_counts (shard, status, "
				 "reason, n) VALUES (?1, ?2, ?3, ?4) ON "
				 "CONFLICT (shard, status, reason) DO UPDATE "
				 "SET n = block_counts.n + ?4")) == NULL)
				return PROTO_ERR_IO;
			cgs_bind_i64(st, 1, session_id % CGS_COUNT_SHARDS);
			cgs_bind_text(st, 2, block_status[s]);
			cgs_bind_text(st, 3, proto_up_reason((uint8_t)r));
			cgs_bind_i64(st, 4, count[s][r]);
			if ((rc = cgs_step_done(st)) != 0)
				return rc;
		}
	return 0;
}

int
cgs_db_purchases_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint32_t lo, uint32_t hi, struct proto_purchase *p, size_t cap, size_t *n)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "SELECT seq, event, channel, price, bought_at FROM purchases "
	    "WHERE ua = ? AND seq BETWEEN ? AND ? ORDER BY seq");
	int rc = 0;

	*n = 0;
	if (st == NULL || lo > hi)
		return st == NULL ? PROTO_ERR_IO : 0;
	/* a seq is the card's once: no more rows than seqs (and no step
	 * past the last one needed) */
	if (cap > (size_t)(hi - lo) + 1)
		cap = (size_t)(hi - lo) + 1;
	cgs_db_bind_ua(st, 1, ua);
	cgs_bind_i64(st, 2, lo);
	cgs_bind_i64(st, 3, hi);
	while (*n < cap && (rc = cgs_step(st)) == 1)
		p[(*n)++] = (struct proto_purchase){
			.seq = (uint32_t)cgs_col_i64(st, 0),
			.event = (uint32_t)cgs_col_i64(st, 1),
			.channel = (uint16_t)cgs_col_i64(st, 2),
			.price = (uint32_t)cgs_col_i64(st, 3),
			.time = (uint32_t)cgs_col_i64(st, 4),
		};
	cgs_reset(st);
	return rc < 0 ? rc : 0;
}

/* A purchase as the ledger and the conflicts keep it: columns 1 to 8 (UA,
 * seq, event, channel, price, bought at, recorded at, session). */
static void
bind_purchase(struct cgs_stmt *st, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], const struct proto_purchase *p)
{
	cgs_db_bind_ua(st, 1, ua);
	cgs_bind_i64(st, 2, p->seq);
	cgs_bind_i64(st, 3, p->event);
	cgs_bind_i64(st, 4, p->channel);
	cgs_bind_i64(st, 5, p->price);
	cgs_bind_i64(st, 6, p->time);
	cgs_bind_i64(st, 7, at->now);
	cgs_bind_i64(st, 8, at->session_id);
}

/* Step an INSERT ... ON CONFLICT DO NOTHING: *added, was its row new
 * (the statement's count, not a RETURNING row: SQLite materializes
 * those). */
static int
step_added(struct cgs_stmt *st, int *added)
{
	int64_t n = 0;
	int rc = cgs_step_changes(st, &n);

	*added = rc == 0 && n > 0;
	return rc;
}

int
cgs_db_purchase_add(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], const struct proto_purchase *p,
    const uint8_t via[PROTO_UA_LEN], int origin, int *added)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "INSERT INTO purchases (ua, seq, event, channel, price, "
	    "bought_at, recorded_at, session_id, via_ua, origin) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");

	if (st == NULL)
		return PROTO_ERR_IO;
	bind_purchase(st, at, ua, p);
	cgs_db_bind_ua(st, 9, via);
	cgs_bind_text(st, 10, origin_name(origin));
	return step_added(st, added);
}

int
cgs_db_conflict_add(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], const struct proto_purchase *p, int *added)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "INSERT INTO conflicts (ua, seq, event, channel, price, bought_at, "
	    "recorded_at, session_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT DO NOTHING");

	if (st == NULL)
		return PROTO_ERR_IO;
	bind_purchase(st, at, ua, p);
	return step_added(st, added);
}

int
cgs_db_conflict_min(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint32_t *seq)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "SELECT COALESCE(MIN(seq), 0) FROM conflicts WHERE ua = ?");
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	if ((rc = cgs_step(st)) == 1)
		*seq = (uint32_t)cgs_col_i64(st, 0);
	cgs_reset(st);
	return rc == 1 ? 0 : rc < 0 ? rc : PROTO_ERR_IO;
}

int
cgs_db_flag(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], const char *what)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "INSERT INTO flags (ua, session_id, what, at) VALUES (?, ?, ?, ?)");

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	cgs_bind_i64(st, 2, at->session_id);
	cgs_bind_text(st, 3, what);
	cgs_bind_i64(st, 4, at->now);
	return cgs_step_done(st);
}
