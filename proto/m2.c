/* SPDX-License-Identifier: BSD-2-Clause */
/* M2's codec: the body of every block (card/APDU.md, "Block", body). */
#include <string.h>

#include "cmd.h"
#include "crypto.h"
#include "m2.h"
#include "proto.h"

#define M2_SIZE(f) PROTO_MEMBER_SIZE(struct proto_m2, f)
#define PURCHASE_SIZE(f) PROTO_MEMBER_SIZE(struct proto_purchase, f)

_Static_assert(PROTO_PURCHASE_LEN ==
	PURCHASE_SIZE(seq) + PURCHASE_SIZE(event) + PURCHASE_SIZE(channel) +
	    PURCHASE_SIZE(price) + PURCHASE_SIZE(time),
    "a purchase record is its five fields");
_Static_assert(PROTO_PAIR_LEN ==
	    PROTO_MEMBER_SIZE(struct proto_right, channel) +
		PROTO_MEMBER_SIZE(struct proto_right, expiry) &&
	PROTO_PAIR_LEN ==
	    PROTO_MEMBER_SIZE(struct proto_chan_count, channel) +
		PROTO_MEMBER_SIZE(struct proto_chan_count, ecms),
    "rights and channel counts are (channel, value) pairs");
_Static_assert(PROTO_M2_FIXED_LEN ==
	M2_SIZE(credit) + M2_SIZE(purchase_seq) + M2_SIZE(acked_seq) +
	    M2_SIZE(change_ctr) + M2_SIZE(cmd_ctr) + M2_SIZE(locked) +
	    M2_SIZE(versions) + M2_SIZE(cws) + M2_SIZE(denials) +
	    M2_SIZE(powerups),
    "M2's fixed part is the fields m2_fixed_write writes");
_Static_assert(PROTO_OUTCOME_LEN ==
	PROTO_MEMBER_SIZE(struct proto_outcome, path) +
	    PROTO_MEMBER_SIZE(struct proto_outcome, counter) +
	    PROTO_MEMBER_SIZE(struct proto_outcome, type) +
	    PROTO_MEMBER_SIZE(struct proto_outcome, sw),
    "an outcome is its four fields");
_Static_assert(PROTO_M2_TAIL_LEN ==
	M2_SIZE(clock) + M2_SIZE(flags) + M2_SIZE(bcast_ctr),
    "M2's tail is the fields m2_tail_write writes");
_Static_assert(PROTO_OUTCOMES_MAX_LEN ==
	M2_SIZE(n_outcomes) + PROTO_OUTCOME_LEN * (size_t)PROTO_M2_MAX_OUTCOMES,
    "the outcome ring: its count and its entries");
_Static_assert(PROTO_M2_MAX_LEN ==
	PROTO_M2_FIXED_LEN + M2_SIZE(n_counts) +
	    PROTO_PAIR_LEN * (size_t)PROTO_M2_MAX_CHANNELS + M2_SIZE(n_rights) +
	    PROTO_PAIR_LEN * (size_t)PROTO_M2_MAX_RIGHTS +
	    M2_SIZE(n_purchases) +
	    PROTO_PURCHASE_LEN * (size_t)PROTO_M2_MAX_PURCHASES +
	    PROTO_M2_TAIL_LEN + PROTO_OUTCOMES_MAX_LEN,
    "M2's largest encoding: the fixed part, three full lists, the tail "
    "and a full ring");
_Static_assert(PROTO_M2_MAX_CHANNELS <= UINT8_MAX &&
	PROTO_M2_MAX_RIGHTS <= UINT8_MAX &&
	PROTO_M2_MAX_PURCHASES <= UINT8_MAX &&
	PROTO_M2_MAX_OUTCOMES <= UINT8_MAX,
    "list counts travel in one byte");

int
proto_purchase_write(struct proto_wr *w, const struct proto_purchase *p)
{
	struct proto_wr c = *w;
	int rc;

	if ((rc = proto_wr_u32(&c, p->seq)) != 0 ||
	    (rc = proto_wr_u32(&c, p->event)) != 0 ||
	    (rc = proto_wr_u16(&c, p->channel)) != 0 ||
	    (rc = proto_wr_u32(&c, p->price)) != 0 ||
	    (rc = proto_wr_u32(&c, p->time)) != 0)
		return rc;
	*w = c;
	return 0;
}

int
proto_purchase_read(struct proto_rd *r, struct proto_purchase *out)
{
	struct proto_purchase p;
	struct proto_rd c = *r;
	int rc;

	if ((rc = proto_rd_u32(&c, &p.seq)) != 0 ||
	    (rc = proto_rd_u32(&c, &p.event)) != 0 ||
	    (rc = proto_rd_u16(&c, &p.channel)) != 0 ||
	    (rc = proto_rd_u32(&c, &p.price)) != 0 ||
	    (rc = proto_rd_u32(&c, &p.time)) != 0)
		return rc;
	*r = c;
	*out = p;
	return 0;
}

int
proto_pair_write(struct proto_wr *w, uint16_t channel, uint32_t v)
{
	struct proto_wr c = *w;
	int rc;

	if ((rc = proto_wr_u16(&c, channel)) != 0 ||
	    (rc = proto_wr_u32(&c, v)) != 0)
		return rc;
	*w = c;
	return 0;
}

int
proto_pair_read(struct proto_rd *r, uint16_t *channel, uint32_t *v)
{
	struct proto_rd c = *r;
	uint16_t ch;
	uint32_t x;
	int rc;

	if ((rc = proto_rd_u16(&c, &ch)) != 0 ||
	    (rc = proto_rd_u32(&c, &x)) != 0)
		return rc;
	*r = c;
	*channel = ch;
	*v = x;
	return 0;
}

int
proto_outcome_write(struct proto_wr *w, const struct proto_outcome *o)
{
	struct proto_wr c = *w;
	int rc;

	if ((rc = proto_wr_u8(&c, o->path)) != 0 ||
	    (rc = proto_wr_u32(&c, o->counter)) != 0 ||
	    (rc = proto_wr_u8(&c, o->type)) != 0 ||
	    (rc = proto_wr_u16(&c, o->sw)) != 0)
		return rc;
	*w = c;
	return 0;
}

int
proto_outcomes_write(struct proto_wr *w, const struct proto_outcome *o,
    uint8_t n)
{
	struct proto_wr c = *w;
	int rc;

	if (n > PROTO_M2_MAX_OUTCOMES)
		return PROTO_ERR_ARG;
	if ((rc = proto_wr_u8(&c, n)) != 0)
		return rc;
	for (unsigned i = 0; i < n; i++)
		if ((rc = proto_outcome_write(&c, &o[i])) != 0)
			return rc;
	*w = c;
	return 0;
}

int
proto_outcome_read(struct proto_rd *r, struct proto_outcome *out)
{
	struct proto_outcome o;
	struct proto_rd c = *r;
	int rc;

	if ((rc = proto_rd_u8(&c, &o.path)) != 0 ||
	    (rc = proto_rd_u32(&c, &o.counter)) != 0 ||
	    (rc = proto_rd_u8(&c, &o.type)) != 0 ||
	    (rc = proto_rd_u16(&c, &o.sw)) != 0)
		return rc;
	if (o.path > PROTO_CMD_PATH_BROADCAST)
		return PROTO_ERR_FORMAT;
	*r = c;
	*out = o;
	return 0;
}

int
proto_outcomes_read(struct proto_rd *r, struct proto_outcome *out,
    uint8_t *nout)
{
	struct proto_outcome o[PROTO_M2_MAX_OUTCOMES];
	struct proto_rd c = *r;
	uint8_t n;
	int rc;

	if ((rc = proto_rd_u8(&c, &n)) != 0)
		return rc;
	if (n > PROTO_M2_MAX_OUTCOMES)
		return PROTO_ERR_RANGE;
	for (unsigned i = 0; i < n; i++)
		if ((rc = proto_outcome_read(&c, &o[i])) != 0)
			return rc;
	memcpy(out, o, sizeof(o[0]) * n);
	*nout = n;
	*r = c;
	return 0;
}

static int
m2_fixed_write(const struct proto_m2 *m, struct proto_wr *w)
{
	int rc;

	if ((rc = proto_wr_u32(w, m->credit)) != 0 ||
	    (rc = proto_wr_u32(w, m->purchase_seq)) != 0 ||
	    (rc = proto_wr_u32(w, m->acked_seq)) != 0 ||
	    (rc = proto_wr_u32(w, m->change_ctr)) != 0 ||
	    (rc = proto_wr_u32(w, m->cmd_ctr)) != 0 ||
	    (rc = proto_wr_u8(w, m->locked)) != 0 ||
	    (rc = proto_wr_bytes(w, m->versions, PROTO_VERSIONS_LEN)) != 0 ||
	    (rc = proto_wr_u32(w, m->cws)) != 0 ||
	    (rc = proto_wr_u32(w, m->denials)) != 0 ||
	    (rc = proto_wr_u32(w, m->powerups)) != 0)
		return rc;
	return 0;
}

static int
m2_lists_write(const struct proto_m2 *m, struct proto_wr *w)
{
	int rc;

	if ((rc = proto_wr_u8(w, m->n_counts)) != 0)
		return rc;
	for (unsigned i = 0; i < m->n_counts; i++)
		if ((rc = proto_pair_write(w, m->counts[i].channel,
			 m->counts[i].ecms)) != 0)
			return rc;
	if ((rc = proto_wr_u8(w, m->n_rights)) != 0)
		return rc;
	for (unsigned i = 0; i < m->n_rights; i++)
		if ((rc = proto_pair_write(w, m->rights[i].channel,
			 m->rights[i].expiry)) != 0)
			return rc;
	if ((rc = proto_wr_u8(w, m->n_purchases)) != 0)
		return rc;
	for (unsigned i = 0; i < m->n_purchases; i++)
		if ((rc = proto_purchase_write(w, &m->purchases[i])) != 0)
			return rc;
	return 0;
}

static int
m2_tail_write(const struct proto_m2 *m, struct proto_wr *w)
{
	int rc;

	if ((rc = proto_wr_u32(w, m->clock)) != 0 ||
	    (rc = proto_wr_u8(w, m->flags)) != 0 ||
	    (rc = proto_wr_u32(w, m->bcast_ctr)) != 0)
		return rc;
	return proto_outcomes_write(w, m->outcomes, m->n_outcomes);
}

int
proto_m2_encode(const struct proto_m2 *m, struct proto_wr *w)
{
	struct proto_wr c = *w;
	int rc;

	if (m->n_counts > PROTO_M2_MAX_CHANNELS ||
	    m->n_rights > PROTO_M2_MAX_RIGHTS ||
	    m->n_purchases > PROTO_M2_MAX_PURCHASES ||
	    m->n_outcomes > PROTO_M2_MAX_OUTCOMES)
		return PROTO_ERR_ARG;
	if ((rc = m2_fixed_write(m, &c)) != 0 ||
	    (rc = m2_lists_write(m, &c)) != 0 ||
	    (rc = m2_tail_write(m, &c)) != 0)
		return rc;
	*w = c;
	return 0;
}

static int
m2_fixed_read(struct proto_rd *r, struct proto_m2 *m)
{
	int rc;

	if ((rc = proto_rd_u32(r, &m->credit)) != 0 ||
	    (rc = proto_rd_u32(r, &m->purchase_seq)) != 0 ||
	    (rc = proto_rd_u32(r, &m->acked_seq)) != 0 ||
	    (rc = proto_rd_u32(r, &m->change_ctr)) != 0 ||
	    (rc = proto_rd_u32(r, &m->cmd_ctr)) != 0 ||
	    (rc = proto_rd_u8(r, &m->locked)) != 0 ||
	    (rc = proto_rd_bytes(r, m->versions, PROTO_VERSIONS_LEN)) != 0 ||
	    (rc = proto_rd_u32(r, &m->cws)) != 0 ||
	    (rc = proto_rd_u32(r, &m->denials)) != 0 ||
	    (rc = proto_rd_u32(r, &m->powerups)) != 0)
		return rc;
	return 0;
}

/* A list's count byte, within the list's limit. */
static int
m2_count_read(struct proto_rd *r, unsigned max, uint8_t *n)
{
	uint8_t v;
	int rc;

	if ((rc = proto_rd_u8(r, &v)) != 0)
		return rc;
	if (v > max)
		return PROTO_ERR_RANGE;
	*n = v;
	return 0;
}

static int
m2_lists_read(struct proto_rd *r, struct proto_m2 *m)
{
	int rc;

	if ((rc = m2_count_read(r, PROTO_M2_MAX_CHANNELS, &m->n_counts)) != 0)
		return rc;
	for (unsigned i = 0; i < m->n_counts; i++)
		if ((rc = proto_pair_read(r, &m->counts[i].channel,
			 &m->counts[i].ecms)) != 0)
			return rc;
	if ((rc = m2_count_read(r, PROTO_M2_MAX_RIGHTS, &m->n_rights)) != 0)
		return rc;
	for (unsigned i = 0; i < m->n_rights; i++)
		if ((rc = proto_pair_read(r, &m->rights[i].channel,
			 &m->rights[i].expiry)) != 0)
			return rc;
	if ((rc = m2_count_read(r, PROTO_M2_MAX_PURCHASES, &m->n_purchases)) !=
	    0)
		return rc;
	for (unsigned i = 0; i < m->n_purchases; i++)
		if ((rc = proto_purchase_read(r, &m->purchases[i])) != 0)
			return rc;
	return 0;
}

static int
m2_tail_read(struct proto_rd *r, struct proto_m2 *m)
{
	int rc;

	if ((rc = proto_rd_u32(r, &m->clock)) != 0 ||
	    (rc = proto_rd_u8(r, &m->flags)) != 0 ||
	    (rc = proto_rd_u32(r, &m->bcast_ctr)) != 0)
		return rc;
	return proto_outcomes_read(r, m->outcomes, &m->n_outcomes);
}

/* The log holds exactly the purchases acked_seq+1 .. purchase_seq. */
static int
m2_check(const struct proto_m2 *m)
{
	if (m->acked_seq > m->purchase_seq ||
	    m->purchase_seq - m->acked_seq != m->n_purchases || m->locked > 1 ||
	    (m->flags & ~PROTO_M2_FLAGS_ALL) != 0)
		return PROTO_ERR_FORMAT;
	for (unsigned i = 0; i < m->n_purchases; i++)
		if (m->purchases[i].seq != m->acked_seq + 1 + i)
			return PROTO_ERR_FORMAT;
	return 0;
}

int
proto_m2_decode(const uint8_t *buf, size_t len, struct proto_m2 *out)
{
	struct proto_m2 m;
	struct proto_rd r;
	int rc;

	memset(&m, 0, sizeof(m));
	proto_rd_init(&r, buf, len);
	if ((rc = m2_fixed_read(&r, &m)) != 0 ||
	    (rc = m2_lists_read(&r, &m)) != 0 ||
	    (rc = m2_tail_read(&r, &m)) != 0 || (rc = proto_rd_end(&r)) != 0 ||
	    (rc = m2_check(&m)) != 0)
		goto out;
	*out = m;
out:
	proto_m2_clear(&m);
	return rc;
}

void
proto_m2_clear(struct proto_m2 *m)
{
	if (m != NULL)
		proto_cleanse(m, sizeof(*m));
}
