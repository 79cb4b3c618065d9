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

/* The pairs (channel, value) of one card's table: ecms or rights. */
static int
pairs_get(struct cgs_stmt *st, const uint8_t ua[PROTO_UA_LEN], uint16_t *ch,
    uint32_t *v, size_t max, uint8_t *n)
{
	size_t got = 0;
	int rc = 0;

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	while (got < max && (rc = cgs_step(st)) == 1) {
		ch[got] = (uint16_t)cgs_col_i64(st, 0);
		v[got++] = (uint32_t)cgs_col_i64(st, 1);
	}
	cgs_reset(st);
	if (rc < 0)
		return rc;
	*n = (uint8_t)got;
	return 0;
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

int
cgs_db_card_data_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    struct cgs_card_data *d, int *found)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "SELECT block_seq, origin, session_id, decoder_id, received_at, "
	    "credit, purchase_seq, acked_seq, change_ctr, cmd_ctr, bcast_ctr, "
	    "locked, flags, versions, cws, denials, powerups, clock "
	    "FROM card_data WHERE ua = ?");
	uint16_t ch[PROTO_M2_MAX_CHANNELS];
	uint32_t v[PROTO_M2_MAX_CHANNELS];
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
	if ((rc = pairs_get(cgs_stmt(db,
				"SELECT channel, ecms FROM card_ecms WHERE ua "
				"= ? "
				"ORDER BY channel"),
		 ua, ch, v, PROTO_M2_MAX_CHANNELS, &d->m.n_counts)) != 0)
		return rc;
	for (unsigned i = 0; i < d->m.n_counts; i++)
		d->m.counts[i] =
		    (struct proto_chan_count){ .channel = ch[i], .ecms = v[i] };
	if ((rc = pairs_get(cgs_stmt(db,
				"SELECT channel, expiry FROM card_rights WHERE "
				"ua = ? "
				"ORDER BY channel"),
		 ua, ch, v, PROTO_M2_MAX_RIGHTS, &d->m.n_rights)) != 0)
		return rc;
	for (unsigned i = 0; i < d->m.n_rights; i++)
		d->m.rights[i] =
		    (struct proto_right){ .channel = ch[i], .expiry = v[i] };
	return 0;
}

/* Replace one card's pairs: delete with del, insert each with ins. */
static int
pairs_put(struct cgs_stmt *del, struct cgs_stmt *ins,
    const uint8_t ua[PROTO_UA_LEN], const uint16_t *ch, const uint32_t *v,
    unsigned n)
{
	int rc;

	if (del == NULL || ins == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(del, 1, ua);
	if ((rc = cgs_step_done(del)) != 0)
		return rc;
	for (unsigned i = 0; i < n; i++) {
		cgs_db_bind_ua(ins, 1, ua);
		cgs_bind_i64(ins, 2, ch[i]);
		cgs_bind_i64(ins, 3, v[i]);
		if ((rc = cgs_step_done(ins)) != 0)
			return rc;
	}
	return 0;
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
    const struct proto_m2 *m)
{
	uint16_t ch[PROTO_M2_MAX_CHANNELS];
	uint32_t v[PROTO_M2_MAX_CHANNELS];
	unsigned n;
	int rc;

	if (m->n_counts > PROTO_M2_MAX_CHANNELS ||
	    m->n_rights > PROTO_M2_MAX_RIGHTS)
		return PROTO_ERR_ARG;
	if ((rc = data_put(db, at, ua, seq, origin, m)) != 0)
		return rc;
	for (n = 0; n < m->n_counts; n++) {
		ch[n] = m->counts[n].channel;
		v[n] = m->counts[n].ecms;
	}
	if ((rc = pairs_put(cgs_stmt(db, "DELETE FROM card_ecms WHERE ua = ?"),
		 cgs_stmt(db,
		     "INSERT INTO card_ecms (ua, channel, ecms) VALUES (?, ?, "
		     "?) ON CONFLICT DO NOTHING"),
		 ua, ch, v, n)) != 0)
		return rc;
	for (n = 0; n < m->n_rights; n++) {
		ch[n] = m->rights[n].channel;
		v[n] = m->rights[n].expiry;
	}
	return pairs_put(cgs_stmt(db, "DELETE FROM card_rights WHERE ua = ?"),
	    cgs_stmt(db,
		"INSERT INTO card_rights (ua, channel, expiry) VALUES (?, ?, "
		"?) ON CONFLICT DO NOTHING"),
	    ua, ch, v, n);
}
