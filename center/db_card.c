/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the newest accepted block of each card said (issue 10.2): one
 * row per card in card_data, its ECMs per channel in card_ecms and its
 * rights in card_rights, replaced together inside the session's
 * transaction.
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

/* The card_data row's columns into d (the statement's columns 0..17). */
static void
data_row(struct cgs_stmt *st, struct cgs_card_data *d)
{
	const char *t;
	struct proto_m2 *m = &d->m;

	d->block_seq = (uint32_t)cgs_col_i64(st, 0);
	t = cgs_col_text(st, 1);
	d->origin = t != NULL && strcmp(t, "present") == 0 ?
	    CGS_ORIGIN_PRESENT :
	    CGS_ORIGIN_RECOVERED;
	d->session_id = cgs_col_i64(st, 2);
	if ((t = cgs_col_text(st, 3)) != NULL)
		(void)proto_unhex(t, strlen(t), d->decoder_id,
		    PROTO_DECODER_ID_LEN);
	d->received_at = cgs_col_i64(st, 4);
	m->credit = (uint32_t)cgs_col_i64(st, 5);
	m->purchase_seq = (uint32_t)cgs_col_i64(st, 6);
	m->acked_seq = (uint32_t)cgs_col_i64(st, 7);
	m->change_ctr = (uint32_t)cgs_col_i64(st, 8);
	m->cmd_ctr = (uint32_t)cgs_col_i64(st, 9);
	m->bcast_ctr = (uint32_t)cgs_col_i64(st, 10);
	m->locked = (uint8_t)cgs_col_i64(st, 11);
	m->flags = (uint8_t)cgs_col_i64(st, 12);
	if ((t = cgs_col_text(st, 13)) != NULL)
		(void)proto_unhex(t, strlen(t), m->versions,
		    PROTO_VERSIONS_LEN);
	m->cws = (uint32_t)cgs_col_i64(st, 14);
	m->denials = (uint32_t)cgs_col_i64(st, 15);
	m->powerups = (uint32_t)cgs_col_i64(st, 16);
	m->clock = (uint32_t)cgs_col_i64(st, 17);
}

/* The card's ECMs per channel and rights, in one statement, into m. */
static int
pairs_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN], struct proto_m2 *m)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "SELECT 0, channel, ecms FROM card_ecms WHERE ua = ?1 UNION ALL "
	    "SELECT 1, channel, expiry FROM card_rights WHERE ua = ?1 "
	    "ORDER BY 1, 2");
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
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
cgs_db_card_data_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    struct cgs_card_data *d, int *found)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "SELECT block_seq, origin, session_id, decoder_id, received_at, "
	    "credit, purchase_seq, acked_seq, change_ctr, cmd_ctr, bcast_ctr, "
	    "locked, flags, versions, cws, denials, powerups, clock "
	    "FROM card_data WHERE ua = ?");
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	memset(d, 0, sizeof(*d));
	cgs_db_bind_ua(st, 1, ua);
	if ((rc = cgs_step(st)) == 1)
		data_row(st, d);
	cgs_reset(st);
	if (rc < 0)
		return rc;
	if ((*found = rc == 1) == 0)
		return 0;
	return pairs_get(db, ua, &d->m);
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

/* The card_data row itself. */
static int
data_put(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], uint32_t seq, int origin,
    const struct proto_m2 *m)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "INSERT INTO card_data (ua, block_seq, origin, session_id, "
	    "decoder_id, received_at, credit, purchase_seq, acked_seq, "
	    "change_ctr, cmd_ctr, bcast_ctr, locked, flags, versions, cws, "
	    "denials, powerups, clock) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) "
	    "ON CONFLICT (ua) DO UPDATE SET block_seq = ?2, origin = ?3, "
	    "session_id = ?4, decoder_id = ?5, received_at = ?6, credit = ?7, "
	    "purchase_seq = ?8, acked_seq = ?9, change_ctr = ?10, "
	    "cmd_ctr = ?11, bcast_ctr = ?12, locked = ?13, flags = ?14, "
	    "versions = ?15, cws = ?16, denials = ?17, powerups = ?18, "
	    "clock = ?19");
	char dec[2 * PROTO_DECODER_ID_LEN + 1], ver[2 * PROTO_VERSIONS_LEN + 1];
	const uint32_t n[] = { m->credit, m->purchase_seq, m->acked_seq,
		m->change_ctr, m->cmd_ctr, m->bcast_ctr };
	const uint32_t use[] = { m->cws, m->denials, m->powerups, m->clock };

	if (st == NULL)
		return PROTO_ERR_IO;
	proto_hex(at->decoder_id, PROTO_DECODER_ID_LEN, dec);
	proto_hex(m->versions, PROTO_VERSIONS_LEN, ver);
	cgs_db_bind_ua(st, 1, ua);
	cgs_bind_i64(st, 2, seq);
	cgs_bind_text(st, 3, origin_text(origin));
	cgs_bind_i64(st, 4, at->session_id);
	cgs_bind_text(st, 5, dec);
	cgs_bind_i64(st, 6, at->now);
	for (int i = 0; i < 6; i++)
		cgs_bind_i64(st, 7 + i, n[i]);
	cgs_bind_i64(st, 13, m->locked);
	cgs_bind_i64(st, 14, m->flags);
	cgs_bind_text(st, 15, ver);
	for (int i = 0; i < 4; i++)
		cgs_bind_i64(st, 16 + i, use[i]);
	return cgs_step_done(st);
}

int
cgs_db_card_data_put(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], uint32_t seq, int origin,
    const struct proto_m2 *m, const struct proto_m2 *prev)
{
	struct pairs ecms, rights, was_ecms, was_rights;
	int rc;

	if (m->n_counts > PROTO_M2_MAX_CHANNELS ||
	    m->n_rights > PROTO_M2_MAX_RIGHTS ||
	    (prev != NULL &&
		(prev->n_counts > PROTO_M2_MAX_CHANNELS ||
		    prev->n_rights > PROTO_M2_MAX_RIGHTS)))
		return PROTO_ERR_ARG;
	if ((rc = data_put(db, at, ua, seq, origin, m)) != 0)
		return rc;
	m2_pairs(m, &ecms, &rights);
	if (prev != NULL)
		m2_pairs(prev, &was_ecms, &was_rights);
	if ((rc = pairs_put(db, &ecms_sql, ua, &ecms,
		 prev != NULL ? &was_ecms : NULL)) != 0)
		return rc;
	return pairs_put(db, &rights_sql, ua, &rights,
	    prev != NULL ? &was_rights : NULL);
}
