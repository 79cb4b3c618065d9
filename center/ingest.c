/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/buf.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "ingest.h"

struct key_slot {
	uint8_t ua[PROTO_UA_LEN];
	uint8_t pub[PROTO_EC_PUB_LEN];
	struct proto_ec_pub *k;
};

#define STMT_CACHE 32

struct stmt_slot {
	const char *sql; /* the literal's address is the key */
	sqlite3_stmt *st;
};

struct cgs_ctx {
	struct cgs_db *db;
	const struct cgs_keys *keys;
	struct stmt_slot stmts[STMT_CACHE];
	struct key_slot cache[CGS_KEY_CACHE];
	int64_t session_id;
	int64_t now;
};

int
cgs_ctx_new(struct cgs_db *db, const struct cgs_keys *k, struct cgs_ctx **out)
{
	struct cgs_ctx *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PROTO_ERR_NOMEM;
	c->db = db;
	c->keys = k;
	*out = c;
	return 0;
}

void
cgs_ctx_free(struct cgs_ctx **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	for (size_t i = 0; i < CGS_KEY_CACHE; i++)
		proto_ec_pub_free(&(*cp)->cache[i].k);
	for (size_t i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize((*cp)->stmts[i].st);
	free(*cp);
	*cp = NULL;
}

/* The card's parsed key, from the cache or parsed now. */
static int
card_key(struct cgs_ctx *c, const struct cgs_card *card,
    const struct proto_ec_pub **k)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	struct key_slot *s;
	int rc;

	for (size_t i = 0; i < PROTO_UA_LEN; i++)
		h = (h ^ card->ua[i]) * 0x100000001b3ull;
	s = &c->cache[h % CGS_KEY_CACHE];
	if (s->k == NULL || memcmp(s->ua, card->ua, PROTO_UA_LEN) != 0 ||
	    memcmp(s->pub, card->pub, PROTO_EC_PUB_LEN) != 0) {
		proto_ec_pub_free(&s->k);
		if ((rc = proto_ec_pub_new(card->pub, &s->k)) != 0)
			return rc;
		memcpy(s->ua, card->ua, PROTO_UA_LEN);
		memcpy(s->pub, card->pub, PROTO_EC_PUB_LEN);
	}
	*k = s->k;
	return 0;
}

/* Statements are prepared once per context and reset after each use. */
static int
step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : PROTO_ERR_IO;
}

/* Does the query find a row?  The statement is reset for its next use. */
static int
step_exists(sqlite3_stmt *st, int *found)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return PROTO_ERR_IO;
	*found = rc == SQLITE_ROW;
	return 0;
}

/* For statements prepared on the spot: step and finalize. */
static int
step_once(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : PROTO_ERR_IO;
}

static sqlite3_stmt *
prep(struct cgs_ctx *c, const char *sql)
{
	struct stmt_slot *slot = NULL;

	for (size_t i = 0; i < STMT_CACHE; i++) {
		if (c->stmts[i].sql == sql) {
			sqlite3_clear_bindings(c->stmts[i].st);
			return c->stmts[i].st;
		}
		if (slot == NULL && c->stmts[i].sql == NULL)
			slot = &c->stmts[i];
	}
	if (slot == NULL)
		return NULL;
	if (sqlite3_prepare_v3(cgs_db_sql(c->db), sql, -1,
		SQLITE_PREPARE_PERSISTENT, &slot->st, NULL) != SQLITE_OK) {
		proto_log(PROTO_LOG_ERR, "%s: %s", __func__,
		    sqlite3_errmsg(cgs_db_sql(c->db)));
		sqlite3_finalize(slot->st);
		slot->st = NULL;
		return NULL;
	}
	slot->sql = sql;
	return slot->st;
}

static int
flag(struct cgs_ctx *c, struct cgs_session *s, const char *ua, const char *what)
{
	sqlite3_stmt *st = prep(c,
	    "INSERT INTO flags (ua, session_id, what, "
	    "at) VALUES (?, ?, ?, ?)");

	if (st == NULL)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, ua, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, c->session_id);
	sqlite3_bind_text(st, 3, what, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, c->now);
	s->ans.flagged++;
	proto_log(PROTO_LOG_WARNING, "card %s: %s", ua, what);
	return step_done(st);
}

/* cgs_card_get with the context's prepared statement. */
static int
card_lookup(struct cgs_ctx *c, const uint8_t ua[PROTO_UA_LEN],
    struct cgs_card *card)
{
	sqlite3_stmt *st = prep(c, cgs_card_sql);
	char uah[2 * PROTO_UA_LEN + 1];
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	proto_hex(ua, PROTO_UA_LEN, uah);
	sqlite3_bind_text(st, 1, uah, -1, SQLITE_TRANSIENT);
	rc = cgs_card_row(st, ua, card);
	sqlite3_reset(st);
	return rc;
}

static int
record_block(struct cgs_ctx *c, const char *ua, uint32_t seq, int origin,
    const struct proto_up_result *r)
{
	static const char *const status[] = { "accepted", "duplicate",
		"rejected" };
	sqlite3_stmt *st = prep(c,
	    "INSERT INTO blocks (session_id, ua, seq, "
	    "origin, status, reason, received_at) VALUES (?, ?, ?, ?, ?, ?, "
	    "?)");

	if (st == NULL)
		return PROTO_ERR_IO;
	sqlite3_bind_int64(st, 1, c->session_id);
	sqlite3_bind_text(st, 2, ua, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, seq);
	sqlite3_bind_text(st, 4,
	    origin == CGS_ORIGIN_PRESENT ? "present" : "recovered", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 5, status[r->status], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, proto_up_reason(r->reason), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, c->now);
	return step_done(st);
}

static int
seen_block(struct cgs_ctx *c, const char *ua, uint32_t seq, int *seen)
{
	sqlite3_stmt *st = prep(c,
	    "SELECT 1 FROM blocks WHERE ua = ? AND "
	    "seq = ? AND status <> 'rejected'");

	if (st == NULL)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, ua, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, seq);
	return step_exists(st, seen);
}

#define LEDGER_NONE 0
#define LEDGER_SAME 1
#define LEDGER_DIFFERS 2

/* What the ledger holds for this purchase's (UA, seq). */
static int
ledger_has(struct cgs_ctx *c, const char *ua, const struct proto_purchase *p,
    int *what)
{
	sqlite3_stmt *st = prep(c,
	    "SELECT event, price, bought_at FROM "
	    "purchases WHERE ua = ? AND seq = ?");
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, ua, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, p->seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*what = sqlite3_column_int64(st, 0) == p->event &&
			sqlite3_column_int64(st, 1) == p->price &&
			sqlite3_column_int64(st, 2) == p->time ?
		    LEDGER_SAME :
		    LEDGER_DIFFERS;
	else
		*what = LEDGER_NONE;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : PROTO_ERR_IO;
}

static int
ledger_insert(struct cgs_ctx *c, const char *ua, const struct proto_purchase *p,
    const char *via, int origin, int *added)
{
	sqlite3_stmt *st = prep(c,
	    "INSERT INTO purchases (ua, seq, event, "
	    "channel, price, bought_at, recorded_at, session_id, via_ua, "
	    "origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT DO NOTHING");
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, ua, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, p->seq);
	sqlite3_bind_int64(st, 3, p->event);
	sqlite3_bind_int(st, 4, p->channel);
	sqlite3_bind_int64(st, 5, p->price);
	sqlite3_bind_int64(st, 6, p->time);
	sqlite3_bind_int64(st, 7, c->now);
	sqlite3_bind_int64(st, 8, c->session_id);
	sqlite3_bind_text(st, 9, via, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 10,
	    origin == CGS_ORIGIN_PRESENT ? "present" : "recovered", -1,
	    SQLITE_STATIC);
	if ((rc = step_done(st)) != 0)
		return rc;
	*added = sqlite3_changes(cgs_db_sql(c->db)) == 1;
	return 0;
}

/*
 * Record one purchase once; *added says whether it is new.  A purchase
 * at or below the highest sequence invoiced is most likely known: look it
 * up first (one statement) rather than try an insert and then look.
 */
static int
invoice(struct cgs_ctx *c, struct cgs_session *s, const char *ua,
    const struct proto_purchase *p, int64_t max_invoiced, const char *via,
    int origin, int *added)
{
	char what[160];
	int rc, have = LEDGER_NONE;

	*added = 0;
	if ((int64_t)p->seq <= max_invoiced &&
	    (rc = ledger_has(c, ua, p, &have)) != 0)
		return rc;
	if (have == LEDGER_NONE) {
		if ((rc = ledger_insert(c, ua, p, via, origin, added)) != 0)
			return rc;
		if (*added || (rc = ledger_has(c, ua, p, &have)) != 0)
			return rc;
	}
	if (have == LEDGER_DIFFERS) {
		snprintf(what, sizeof(what),
		    "purchase %u differs from the one "
		    "invoiced",
		    p->seq);
		return flag(c, s, ua, what);
	}
	return 0;
}

static int
update_card(struct cgs_ctx *c, const char *ua, const struct proto_block *b,
    const struct proto_m2 *m, int origin)
{
	sqlite3_stmt *st;

	if (origin == CGS_ORIGIN_PRESENT)
		st = prep(c,
		    "UPDATE cards SET status = CASE WHEN status = "
		    "'" CGS_RECOVERED "' THEN status ELSE '" CGS_ACTIVE
		    "' END, "
		    "first_seen = COALESCE(first_seen, ?1), last_seen = ?1, "
		    "last_block_seq = MAX(last_block_seq, ?2), "
		    "cmd_ctr_seen = MAX(cmd_ctr_seen, ?3), locked = ?4 "
		    "WHERE ua = ?5");
	else
		st = prep(c,
		    "UPDATE cards SET status = '" CGS_RECOVERED "', "
		    "recovered_at = COALESCE(recovered_at, ?1), "
		    "last_block_seq = MAX(last_block_seq, ?2), "
		    "cmd_ctr_seen = MAX(cmd_ctr_seen, ?3) WHERE ua = ?5");
	if (st == NULL)
		return PROTO_ERR_IO;
	sqlite3_bind_int64(st, 1, c->now);
	sqlite3_bind_int64(st, 2, b->seq);
	sqlite3_bind_int64(st, 3, m->cmd_ctr);
	if (origin == CGS_ORIGIN_PRESENT)
		sqlite3_bind_int(st, 4, m->locked);
	sqlite3_bind_text(st, 5, ua, -1, SQLITE_TRANSIENT);
	return step_done(st);
}

/* Flag what the sequences say: blocks going back, purchases jumping. */
static int
check_sequences(struct cgs_ctx *c, struct cgs_session *s, const char *ua,
    const struct cgs_card *card, const struct proto_block *b,
    const struct proto_m2 *m)
{
	char what[160];
	int rc;

	if (b->seq < card->last_block_seq) {
		snprintf(what, sizeof(what),
		    "block sequence went backwards: "
		    "%u after %u",
		    b->seq, card->last_block_seq);
		if ((rc = flag(c, s, ua, what)) != 0)
			return rc;
	}
	if ((int64_t)m->acked_seq > card->max_invoiced) {
		snprintf(what, sizeof(what),
		    "purchase sequence jumps: the card "
		    "freed up to %u, the ledger holds up to %lld",
		    m->acked_seq, (long long)card->max_invoiced);
		if ((rc = flag(c, s, ua, what)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Check and open one block; r says what became of it.  Returns an error
 * only for a database failure.
 */
static int
process_block(struct cgs_ctx *c, struct cgs_session *s, size_t i,
    uint32_t *present_acked, int *present_locked)
{
	const struct cgs_in_block *in = &s->in[i];
	struct proto_up_result *r = &s->ans.res[i];
	const struct proto_ec_pub *k;
	struct cgs_card card;
	struct proto_block b;
	struct proto_m2 m;
	uint8_t kt[PROTO_AES_KEY_LEN];
	char ua[2 * PROTO_UA_LEN + 1], via[2 * PROTO_UA_LEN + 1];
	int rc, seen, added, origin = in->origin;

	memset(r, 0, sizeof(*r));
	r->index = (uint16_t)i;
	r->status = PROTO_UP_REJECTED;
	if (proto_block_parse(in->block, in->len, &b) != 0) {
		r->reason = PROTO_UP_MALFORMED;
		return record_block(c, "?", 0, origin, r);
	}
	memcpy(r->ua, b.ua, PROTO_UA_LEN);
	r->seq = b.seq;
	proto_hex(b.ua, PROTO_UA_LEN, ua);
	proto_hex(s->hello.ua, PROTO_UA_LEN, via);
	/* The separation module: the present card's, or a recovered one. */
	if (s->hello.has_card && memcmp(b.ua, s->hello.ua, PROTO_UA_LEN) == 0)
		origin = CGS_ORIGIN_PRESENT;
	else if (origin == CGS_ORIGIN_PRESENT) {
		r->reason = PROTO_UP_WRONG_CARD;
		return record_block(c, ua, b.seq, in->origin, r);
	}
	if ((rc = card_lookup(c, b.ua, &card)) != 0) {
		if (rc != PROTO_ERR_NOTFOUND)
			return rc;
		r->reason = PROTO_UP_UNKNOWN_UA;
		return record_block(c, ua, b.seq, in->origin, r);
	}
	/* Verified with the key registered for the header's UA: a block
	 * signed by another card's key fails here. */
	if (card_key(c, &card, &k) != 0 ||
	    proto_ec_pub_verify(k, b.signed_part, b.signed_len, b.sig) != 0) {
		r->reason = PROTO_UP_BAD_SIGNATURE;
		return record_block(c, ua, b.seq, in->origin, r);
	}
	rc = proto_kt_derive(c->keys->master, b.ua, kt);
	if (rc == 0)
		rc = proto_block_open(&b, kt, &m);
	proto_cleanse(kt, sizeof(kt));
	if (rc != 0) {
		r->reason = rc == PROTO_ERR_AUTH ? PROTO_UP_UNDECRYPTABLE :
						   PROTO_UP_MALFORMED;
		return record_block(c, ua, b.seq, in->origin, r);
	}
	if ((rc = seen_block(c, ua, b.seq, &seen)) != 0 ||
	    (rc = check_sequences(c, s, ua, &card, &b, &m)) != 0)
		return rc;
	for (unsigned j = 0; j < m.n_purchases; j++) {
		if ((rc = invoice(c, s, ua, &m.purchases[j], card.max_invoiced,
			 via, origin, &added)) != 0)
			return rc;
		s->ans.invoiced += (uint32_t)added;
	}
	if ((rc = update_card(c, ua, &b, &m, origin)) != 0)
		return rc;
	if (origin == CGS_ORIGIN_PRESENT) {
		*present_acked = m.acked_seq;
		*present_locked = m.locked;
	}
	r->status = seen ? PROTO_UP_DUPLICATE : PROTO_UP_ACCEPTED;
	r->reason = PROTO_UP_OK;
	if (in->origin == CGS_ORIGIN_RECOVERED) {
		memcpy(s->ans.ack_ua[s->ans.n_acks], b.ua, PROTO_UA_LEN);
		s->ans.ack_seq[s->ans.n_acks++] = b.seq;
	}
	return record_block(c, ua, b.seq, in->origin, r);
}

static const char *
cmd_type_name(uint8_t t)
{
	return proto_cmd_name(t);
}

/* Sign and store a command for ua with the card's next counter. */
static int
new_command(struct cgs_db *db, const struct cgs_keys *k, const char *uah,
    const uint8_t ua[PROTO_UA_LEN], uint8_t type, uint32_t arg1, uint32_t arg2)
{
	struct proto_cmd cmd = { .type = type, .arg1 = arg1, .arg2 = arg2 };
	uint8_t buf[PROTO_CMD_MAX_LEN];
	struct cgs_card card;
	struct proto_wr w;
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = cgs_card_get(db, ua, &card)) != 0)
		return rc;
	memcpy(cmd.ua, ua, PROTO_UA_LEN);
	cmd.counter = card.cmd_counter + 1;
	proto_wr_init(&w, buf, sizeof(buf));
	if ((rc = proto_cmd_sign(&cmd, k->center_priv, k->center_pub, &w)) != 0)
		return rc;
	if (sqlite3_prepare_v2(cgs_db_sql(db),
		"UPDATE cards SET cmd_counter "
		"= ? WHERE ua = ?",
		-1, &st, NULL) != SQLITE_OK)
		return PROTO_ERR_IO;
	sqlite3_bind_int64(st, 1, cmd.counter);
	sqlite3_bind_text(st, 2, uah, -1, SQLITE_TRANSIENT);
	if ((rc = step_once(st)) != 0)
		return rc;
	if (sqlite3_prepare_v2(cgs_db_sql(db),
		"INSERT INTO commands (ua, "
		"counter, type, arg1, arg2, signed, created_at) VALUES "
		"(?, ?, ?, ?, ?, ?, ?)",
		-1, &st, NULL) != SQLITE_OK)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, uah, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, cmd.counter);
	sqlite3_bind_text(st, 3, cmd_type_name(type), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, arg1);
	sqlite3_bind_int64(st, 5, arg2);
	sqlite3_bind_blob(st, 6, buf, (int)proto_wr_len(&w), SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
	return step_once(st);
}

int
cgs_queue_command(struct cgs_db *db, const struct cgs_keys *k,
    const uint8_t ua[PROTO_UA_LEN], uint8_t type, uint32_t arg1, uint32_t arg2)
{
	char uah[2 * PROTO_UA_LEN + 1];
	int rc;

	proto_hex(ua, PROTO_UA_LEN, uah);
	if ((rc = cgs_db_begin(db)) != 0)
		return rc;
	if ((rc = new_command(db, k, uah, ua, type, arg1, arg2)) != 0) {
		cgs_db_rollback(db);
		return rc;
	}
	return cgs_db_commit(db);
}

/* Is an undone command of this type (with arg1 >= min) waiting? */
static int
pending_command(struct cgs_ctx *c, const char *ua, const char *type,
    int64_t min, int *found)
{
	sqlite3_stmt *st = prep(c,
	    "SELECT 1 FROM commands WHERE ua = ? AND "
	    "type = ? AND done = 0 AND arg1 >= ?");

	if (st == NULL)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, ua, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, min);
	return step_exists(st, found);
}

/*
 * The present card's commands: unlock (once the session's recovered
 * blocks are processed), acknowledgement of what is invoiced, and what the
 * operator queued; each stays until the card's command counter shows it.
 */
static int
present_commands(struct cgs_ctx *c, struct cgs_session *s, uint32_t acked,
    int locked)
{
	struct cgs_card card;
	sqlite3_stmt *st;
	char ua[2 * PROTO_UA_LEN + 1];
	int rc, found;

	proto_hex(s->hello.ua, PROTO_UA_LEN, ua);
	if ((rc = cgs_card_get(c->db, s->hello.ua, &card)) != 0)
		return rc == PROTO_ERR_NOTFOUND ? 0 : rc;
	if ((st = prep(c,
		 "UPDATE commands SET done = 1 WHERE ua = ? AND "
		 "counter <= ?")) == NULL)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, ua, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, card.cmd_ctr_seen);
	if ((rc = step_done(st)) != 0)
		return rc;
	if (locked == 1) {
		if ((rc = pending_command(c, ua, "unlock", 0, &found)) != 0 ||
		    (!found &&
			(rc = new_command(c->db, c->keys, ua, s->hello.ua,
			     PROTO_CMD_UNLOCK, 0, 0)) != 0))
			return rc;
	}
	if (locked >= 0 && card.max_invoiced > (int64_t)acked) {
		if ((rc = pending_command(c, ua, "ack", card.max_invoiced,
			 &found)) != 0 ||
		    (!found &&
			(rc = new_command(c->db, c->keys, ua, s->hello.ua,
			     PROTO_CMD_ACK, (uint32_t)card.max_invoiced, 0)) !=
			    0))
			return rc;
	}
	if ((st = prep(c,
		 "SELECT signed FROM commands WHERE ua = ? AND "
		 "done = 0 ORDER BY counter")) == NULL)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, ua, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    s->ans.n_cmds < PROTO_UP_MAX_COMMANDS) {
		int n = sqlite3_column_bytes(st, 0);
		if (n <= 0 || n > PROTO_CMD_MAX_LEN)
			continue;
		memcpy(s->ans.cmds[s->ans.n_cmds], sqlite3_column_blob(st, 0),
		    (size_t)n);
		s->ans.cmd_len[s->ans.n_cmds++] = (size_t)n;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : PROTO_ERR_IO;
}

static int
open_session(struct cgs_ctx *c, struct cgs_session *s)
{
	char dec[2 * PROTO_DECODER_ID_LEN + 1], ua[2 * PROTO_UA_LEN + 1];
	sqlite3_stmt *st = prep(c,
	    "INSERT INTO sessions (decoder_id, "
	    "present_ua, started_at, blocks, invoiced, flagged) VALUES "
	    "(?, ?, ?, ?, 0, 0)");
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	proto_hex(s->hello.decoder_id, PROTO_DECODER_ID_LEN, dec);
	proto_hex(s->hello.ua, PROTO_UA_LEN, ua);
	sqlite3_bind_text(st, 1, dec, -1, SQLITE_TRANSIENT);
	if (s->hello.has_card)
		sqlite3_bind_text(st, 2, ua, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, c->now);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)s->n);
	if ((rc = step_done(st)) != 0)
		return rc;
	c->session_id = sqlite3_last_insert_rowid(cgs_db_sql(c->db));
	return 0;
}

static int
close_session(struct cgs_ctx *c, struct cgs_session *s)
{
	sqlite3_stmt *st = prep(c,
	    "UPDATE sessions SET invoiced = ?, "
	    "flagged = ? WHERE id = ?");

	if (st == NULL)
		return PROTO_ERR_IO;
	sqlite3_bind_int64(st, 1, s->ans.invoiced);
	sqlite3_bind_int64(st, 2, s->ans.flagged);
	sqlite3_bind_int64(st, 3, c->session_id);
	return step_done(st);
}

int
cgs_ingest(struct cgs_ctx *c, struct cgs_session *s)
{
	uint32_t acked = 0;
	int locked = -1, rc;

	memset(&s->ans, 0, sizeof(s->ans));
	s->ans.n_res = s->n;
	c->now = (int64_t)time(NULL);
	if ((rc = cgs_db_begin(c->db)) != 0)
		return rc;
	if ((rc = open_session(c, s)) != 0)
		goto fail;
	/* Recovered blocks first, then the present card's. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s->n; i++)
			if ((s->in[i].origin == CGS_ORIGIN_RECOVERED) ==
				(pass == 0) &&
			    (rc = process_block(c, s, i, &acked, &locked)) != 0)
				goto fail;
	if (s->hello.has_card &&
	    (rc = present_commands(c, s, acked, locked)) != 0)
		goto fail;
	if ((rc = close_session(c, s)) != 0 || (rc = cgs_db_commit(c->db)) != 0)
		goto fail;
	return 0;
fail:
	cgs_db_rollback(c->db);
	memset(&s->ans, 0, sizeof(s->ans));
	return rc;
}
