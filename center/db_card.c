/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the newest accepted block of each card said (issue 10.2), in the
 * card's own row (the data_ columns, schema 7: a session reads and writes
 * that row for each block anyway), its ECMs per channel in card_ecms and
 * its rights in card_rights, written together with the card's sighting
 * inside the session's transaction.
 */
#include <string.h>

#include "../proto/buf.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "db.h"
#include "store.h"

static const char *
origin_text(int origin)
{
	return origin == CGS_ORIGIN_PRESENT ? "present" : "recovered";
}

/* The data columns of a card's row, in data_row's order. */
#define DATA_COLUMNS                                                         \
	"data_seq, data_origin, data_session, data_decoder, data_at, "       \
	"data_credit, data_purchase_seq, data_acked_seq, data_change_ctr, "  \
	"data_cmd_ctr, data_bcast_ctr, data_locked, data_flags, "            \
	"data_versions, data_cws, data_denials, data_powerups, data_clock, " \
	"data_pairs"

/* The data columns, from the statement's column k on, into d (its ECMs
 * and rights not read: d->pairs says whether it has any). */
static void
data_row(struct cgs_stmt *st, int k, struct cgs_card_data *d)
{
	const char *t;
	struct proto_m2 *m = &d->m;

	d->block_seq = (uint32_t)cgs_col_i64(st, k);
	t = cgs_col_text(st, k + 1);
	d->origin = t != NULL && strcmp(t, "present") == 0 ?
	    CGS_ORIGIN_PRESENT :
	    CGS_ORIGIN_RECOVERED;
	d->session_id = cgs_col_i64(st, k + 2);
	if ((t = cgs_col_text(st, k + 3)) != NULL)
		(void)proto_unhex(t, strlen(t), d->decoder_id,
		    PROTO_DECODER_ID_LEN);
	d->received_at = cgs_col_i64(st, k + 4);
	m->credit = (uint32_t)cgs_col_i64(st, k + 5);
	m->purchase_seq = (uint32_t)cgs_col_i64(st, k + 6);
	m->acked_seq = (uint32_t)cgs_col_i64(st, k + 7);
	m->change_ctr = (uint32_t)cgs_col_i64(st, k + 8);
	m->cmd_ctr = (uint32_t)cgs_col_i64(st, k + 9);
	m->bcast_ctr = (uint32_t)cgs_col_i64(st, k + 10);
	m->locked = (uint8_t)cgs_col_i64(st, k + 11);
	m->flags = (uint8_t)cgs_col_i64(st, k + 12);
	if ((t = cgs_col_text(st, k + 13)) != NULL)
		(void)proto_unhex(t, strlen(t), m->versions,
		    PROTO_VERSIONS_LEN);
	m->cws = (uint32_t)cgs_col_i64(st, k + 14);
	m->denials = (uint32_t)cgs_col_i64(st, k + 15);
	m->powerups = (uint32_t)cgs_col_i64(st, k + 16);
	m->clock = (uint32_t)cgs_col_i64(st, k + 17);
	d->pairs = cgs_col_i64(st, k + 18) != 0;
}

int
cgs_db_card_pairs_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    struct proto_m2 *m)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "SELECT 0, channel, ecms FROM card_ecms WHERE ua = ?1 UNION ALL "
	    "SELECT 1, channel, expiry FROM card_rights WHERE ua = ?1 "
	    "ORDER BY 1, 2");
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	m->n_counts = m->n_rights = 0;
	cgs_db_bind_ua(st, 1, ua);
	while ((rc = cgs_step(st)) == 1) {
		uint16_t ch = (uint16_t)cgs_col_i64(st, 1);
		uint32_t v = (uint32_t)cgs_col_i64(st, 2);

		if (cgs_col_i64(st, 0) == 0 &&
		    m->n_counts < PROTO_M2_MAX_CHANNELS)
			m->counts[m->n_counts++] =
			    (struct proto_chan_count){ .channel = ch,
				    .ecms = v };
		else if (cgs_col_i64(st, 0) == 1 &&
		    m->n_rights < PROTO_M2_MAX_RIGHTS)
			m->rights[m->n_rights++] =
			    (struct proto_right){ .channel = ch, .expiry = v };
	}
	cgs_reset(st);
	return rc < 0 ? rc : 0;
}

int
cgs_card_for_block(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint32_t seq, struct cgs_card *c, struct cgs_card_data *d, int *has_data,
    int *seen)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "SELECT " CGS_CARD_COLUMNS ", CASE WHEN EXISTS (SELECT 1 FROM "
	    "blocks b WHERE b.ua = c.ua AND b.seq = ?2 AND b.status <> "
	    "'rejected') THEN 1 ELSE 0 END, " DATA_COLUMNS " FROM cards c "
	    "WHERE ua = ?1");
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	memset(d, 0, sizeof(*d));
	*has_data = *seen = 0;
	cgs_db_bind_ua(st, 1, ua);
	cgs_bind_i64(st, 2, seq);
	if ((rc = cgs_card_from_row(st, ua, c)) == 0) {
		*seen = cgs_col_i64(st, 10) != 0;
		if ((*has_data = !cgs_col_null(st, 11)) != 0)
			data_row(st, 11, d);
	}
	cgs_reset(st);
	return rc;
}

int
cgs_db_card_data_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    struct cgs_card_data *d, int *found)
{
	struct cgs_card c;
	int rc, seen;

	*found = 0;
	if ((rc = cgs_card_for_block(db, ua, 0, &c, d, found, &seen)) != 0)
		return rc == PROTO_ERR_NOTFOUND ? 0 : rc;
	if (!*found || !d->pairs)
		return 0;
	return cgs_db_card_pairs_get(db, ua, &d->m);
}

_Static_assert(PROTO_M2_MAX_RIGHTS <= PROTO_M2_MAX_CHANNELS,
    "struct pairs holds the rights too");

/* One card's pairs (channel, value) in a table: ECMs or rights. */
struct pairs {
	uint16_t ch[PROTO_M2_MAX_CHANNELS];
	uint32_t v[PROTO_M2_MAX_CHANNELS];
	unsigned n;
};

/* The table's statements: one pair deleted; a pair put (added or
 * changed). */
struct pair_sql {
	const char *del_one, *put;
};

static const struct pair_sql ecms_sql = {
	"DELETE FROM card_ecms WHERE ua = ? AND channel = ?",
	"INSERT INTO card_ecms (ua, channel, ecms) VALUES (?, ?, ?) "
	"ON CONFLICT (ua, channel) DO UPDATE SET ecms = excluded.ecms",
};
static const struct pair_sql rights_sql = {
	"DELETE FROM card_rights WHERE ua = ? AND channel = ?",
	"INSERT INTO card_rights (ua, channel, expiry) VALUES (?, ?, ?) "
	"ON CONFLICT (ua, channel) DO UPDATE SET expiry = excluded.expiry",
};

/* Where channel ch is among the first n pairs of p (n if nowhere). */
static unsigned
pair_find(const struct pairs *p, unsigned n, uint16_t ch)
{
	unsigned i = 0;

	while (i < n && p->ch[i] != ch)
		i++;
	return i;
}

/* Step sql bound to the UA and the channel, and to the value if asked. */
static int
pair_step(struct cgs_db *db, const char *sql, const uint8_t ua[PROTO_UA_LEN],
    uint16_t ch, int bind_v, uint32_t v)
{
	struct cgs_stmt *st = cgs_stmt(db, sql);

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	cgs_bind_i64(st, 2, ch);
	if (bind_v)
		cgs_bind_i64(st, 3, v);
	return cgs_step_done(st);
}

/*
 * Take the card's pairs in a table from was (NULL: the card has no data
 * row, so none: they are written with it, in one transaction) to now: a
 * pair new or changed is put, a channel gone is deleted, the rest is
 * left alone.  A channel listed twice keeps its first value.
 */
static int
pairs_put(struct cgs_db *db, const struct pair_sql *sql,
    const uint8_t ua[PROTO_UA_LEN], const struct pairs *now,
    const struct pairs *was)
{
	int rc;

	for (unsigned i = 0; was != NULL && i < was->n; i++)
		if (pair_find(now, now->n, was->ch[i]) == now->n &&
		    (rc = pair_step(db, sql->del_one, ua, was->ch[i], 0, 0)) !=
			0)
			return rc;
	for (unsigned i = 0; i < now->n; i++) {
		unsigned j =
		    was != NULL ? pair_find(was, was->n, now->ch[i]) : 0;

		if (pair_find(now, i, now->ch[i]) < i ||
		    (was != NULL && j < was->n && was->v[j] == now->v[i]))
			continue;
		if ((rc = pair_step(db, sql->put, ua, now->ch[i], 1,
			 now->v[i])) != 0)
			return rc;
	}
	return 0;
}

/* m's ECMs per channel, and its rights, as pairs. */
static void
m2_pairs(const struct proto_m2 *m, struct pairs *ecms, struct pairs *rights)
{
	ecms->n = m->n_counts;
	for (unsigned i = 0; i < m->n_counts; i++) {
		ecms->ch[i] = m->counts[i].channel;
		ecms->v[i] = m->counts[i].ecms;
	}
	rights->n = m->n_rights;
	for (unsigned i = 0; i < m->n_rights; i++) {
		rights->ch[i] = m->rights[i].channel;
		rights->v[i] = m->rights[i].expiry;
	}
}

/* The larger of last_block_seq and ?2, as both engines write it. */
#define SEQ_MAX "CASE WHEN last_block_seq > ?2 THEN last_block_seq ELSE ?2 END"
/*
 * The two sightings: ?1 now, ?2 block seq, ?3 decoder, ?4 lock state
 * (NULL: unchanged; unused by the second), ?5 the UA.  Where the card is
 * (its status and decoder) is set only when it moved: those columns are
 * the partial index cards_seen_via's, which SQLite updates whenever a
 * statement sets them.
 */
#define MOVED_PRESENT "status = '" CGS_ACTIVE "', seen_via = ?3, "
#define MOVED_RECOVERED "status = '" CGS_SEEN_RECOVERED "', seen_via = ?3, "
/* The highest purchase seq invoiced, ?22 (with the block's invoices). */
#define INVOICED                                                           \
	", max_invoiced = CASE WHEN max_invoiced > ?22 THEN max_invoiced " \
	"ELSE ?22 END"
#define SEEN_PRESENT                                              \
	"first_seen = COALESCE(first_seen, ?1), last_seen = ?1, " \
	"seen_at = ?1, seen_as = 'present', "                     \
	"last_block_seq = " SEQ_MAX ", locked = COALESCE(?4, locked)" INVOICED
#define SEEN_RECOVERED                                              \
	"recovered_at = COALESCE(recovered_at, ?1), seen_at = ?1, " \
	"seen_as = 'recovered', last_block_seq = " SEQ_MAX INVOICED
/* The block's data, with them: its seq ?2, decoder ?3, time ?1, origin ?6,
 * session ?7, its M2 ?8 to ?20, whether it has ECMs or rights ?21. */
#define DATA_SET                                                      \
	", data_seq = ?2, data_origin = ?6, data_session = ?7, "      \
	"data_decoder = ?3, data_at = ?1, data_credit = ?8, "         \
	"data_purchase_seq = ?9, data_acked_seq = ?10, "              \
	"data_change_ctr = ?11, data_cmd_ctr = ?12, "                 \
	"data_bcast_ctr = ?13, data_locked = ?14, data_flags = ?15, " \
	"data_versions = ?16, data_cws = ?17, data_denials = ?18, "   \
	"data_powerups = ?19, data_clock = ?20, data_pairs = ?21"
#define SEEN(moved, seen, data) \
	"UPDATE cards SET " moved seen data " WHERE ua = ?5"

/* [present][with data][moved] */
static const char *const seen_sql[2][2][2] = {
	{ { SEEN("", SEEN_RECOVERED, ""),
	      SEEN(MOVED_RECOVERED, SEEN_RECOVERED, "") },
	    { SEEN("", SEEN_RECOVERED, DATA_SET),
		SEEN(MOVED_RECOVERED, SEEN_RECOVERED, DATA_SET) } },
	{ { SEEN("", SEEN_PRESENT, ""), SEEN(MOVED_PRESENT, SEEN_PRESENT, "") },
	    { SEEN("", SEEN_PRESENT, DATA_SET),
		SEEN(MOVED_PRESENT, SEEN_PRESENT, DATA_SET) } },
};

/* The data's parameters of seen_sql (?6 to ?21). */
static void
bind_data(struct cgs_stmt *st, const struct cgs_stamp *at, int origin,
    const struct proto_m2 *m)
{
	char ver[2 * PROTO_VERSIONS_LEN + 1];
	const uint32_t n[] = { m->credit, m->purchase_seq, m->acked_seq,
		m->change_ctr, m->cmd_ctr, m->bcast_ctr };
	const uint32_t use[] = { m->cws, m->denials, m->powerups, m->clock };

	proto_hex(m->versions, PROTO_VERSIONS_LEN, ver);
	cgs_bind_text(st, 6, origin_text(origin));
	cgs_bind_i64(st, 7, at->session_id);
	for (int i = 0; i < 6; i++)
		cgs_bind_i64(st, 8 + i, n[i]);
	cgs_bind_i64(st, 14, m->locked);
	cgs_bind_i64(st, 15, m->flags);
	cgs_bind_text(st, 16, ver);
	for (int i = 0; i < 4; i++)
		cgs_bind_i64(st, 17 + i, use[i]);
	cgs_bind_i64(st, 21, m->n_counts > 0 || m->n_rights > 0);
}

/* The card's ECMs and rights from prev's (NULL: none) to m's. */
static int
pairs_replace(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    const struct proto_m2 *m, const struct proto_m2 *prev)
{
	struct pairs ecms, rights, was_ecms, was_rights;
	int rc;

	m2_pairs(m, &ecms, &rights);
	if (prev != NULL)
		m2_pairs(prev, &was_ecms, &was_rights);
	if ((rc = pairs_put(db, &ecms_sql, ua, &ecms,
		 prev != NULL ? &was_ecms : NULL)) != 0)
		return rc;
	return pairs_put(db, &rights_sql, ua, &rights,
	    prev != NULL ? &was_rights : NULL);
}

int
cgs_card_seen(struct cgs_db *db, const struct cgs_stamp *at,
    const struct cgs_card *card, uint32_t seq, int origin,
    const uint8_t *locked, const struct proto_m2 *m,
    const struct proto_m2 *prev, int64_t invoiced)
{
	int present = origin == CGS_ORIGIN_PRESENT;
	char dec[2 * PROTO_DECODER_ID_LEN + 1];
	struct cgs_stmt *st;
	int rc, moved;

	if (m != NULL &&
	    (m->n_counts > PROTO_M2_MAX_CHANNELS ||
		m->n_rights > PROTO_M2_MAX_RIGHTS ||
		(prev != NULL &&
		    (prev->n_counts > PROTO_M2_MAX_CHANNELS ||
			prev->n_rights > PROTO_M2_MAX_RIGHTS))))
		return PROTO_ERR_ARG;
	proto_hex(at->decoder_id, PROTO_DECODER_ID_LEN, dec);
	moved = strcmp(card->status,
		    present ? CGS_ACTIVE : CGS_SEEN_RECOVERED) != 0 ||
	    strcmp(card->seen_via, dec) != 0;
	if ((st = cgs_stmt(db, seen_sql[present][m != NULL][moved])) == NULL)
		return PROTO_ERR_IO;
	cgs_bind_i64(st, 1, at->now);
	cgs_bind_i64(st, 2, seq);
	cgs_bind_text(st, 3, dec);
	if (present && locked != NULL)
		cgs_bind_i64(st, 4, *locked);
	cgs_db_bind_ua(st, 5, card->ua);
	cgs_bind_i64(st, 22, invoiced);
	if (m != NULL)
		bind_data(st, at, origin, m);
	if ((rc = cgs_step_done(st)) != 0 || m == NULL)
		return rc;
	return pairs_replace(db, card->ua, m, prev);
}

int
cgs_card_invoiced(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    int64_t seq)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "UPDATE cards SET max_invoiced = ?1 WHERE ua = ?2 AND "
	    "max_invoiced < ?1");

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_bind_i64(st, 1, seq);
	cgs_db_bind_ua(st, 2, ua);
	return cgs_step_done(st);
}
