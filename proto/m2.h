/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * M2: the data a card generates locally and exports in its blocks -- credit,
 * the unacknowledged purchases, subscription rights, usage counters and the
 * versions of its functions, the card's clock and flags, its two command
 * counters and the outcomes of the latest commands it consumed.  The byte
 * layout is specified in card/APDU.md; every integer is big-endian.  A
 * decoded M2 is a secret of the card and of the center: wipe it with
 * proto_m2_clear() when done.
 */
#ifndef PROTO_M2_H
#define PROTO_M2_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ua.h"

#define PROTO_M2_MAX_PURCHASES 64
#define PROTO_M2_MAX_RIGHTS 16
#define PROTO_M2_MAX_CHANNELS 16
#define PROTO_M2_MAX_OUTCOMES 16 /* the card's outcome ring */

/* M2's flags byte. */
#define PROTO_M2_FLAG_EXPORT 0x01   /* the center asked for an export */
#define PROTO_M2_FLAG_DISABLED 0x02 /* disabled for good (command 07) */
#define PROTO_M2_FLAGS_ALL (PROTO_M2_FLAG_EXPORT | PROTO_M2_FLAG_DISABLED)

struct proto_purchase {
	uint32_t seq; /* per-card purchase sequence, from 1 */
	uint32_t event;
	uint16_t channel;
	uint32_t price;
	uint32_t time; /* the ECM's time at purchase, Unix seconds */
};

struct proto_right {
	uint16_t channel;
	uint32_t expiry; /* Unix seconds; the right covers time < expiry */
};

struct proto_chan_count {
	uint16_t channel;
	uint32_t ecms;
};

/*
 * What became of a command the card consumed: the path and counter it
 * came with, its type, and the status word (9000 applied, otherwise the
 * reason it was refused).
 */
struct proto_outcome {
	uint8_t path; /* PROTO_CMD_PATH_* (cmd.h) */
	uint32_t counter;
	uint8_t type;
	uint16_t sw;
};

struct proto_m2 {
	uint32_t credit;
	uint32_t purchase_seq; /* last purchase made */
	uint32_t acked_seq;    /* purchases up to here acknowledged */
	uint32_t change_ctr;
	uint32_t cmd_ctr; /* the last counter accepted on the uplink path */
	uint8_t locked;
	uint8_t versions[PROTO_VERSIONS_LEN];
	uint32_t cws, denials, powerups;
	uint8_t n_counts;
	struct proto_chan_count counts[PROTO_M2_MAX_CHANNELS];
	uint8_t n_rights;
	struct proto_right rights[PROTO_M2_MAX_RIGHTS];
	uint8_t n_purchases; /* the unacknowledged ones, oldest first */
	struct proto_purchase purchases[PROTO_M2_MAX_PURCHASES];
	uint32_t clock;     /* the latest authenticated ECM or command time */
	uint8_t flags;      /* PROTO_M2_FLAG_* */
	uint32_t bcast_ctr; /* the last counter accepted on the broadcast path */
	uint8_t n_outcomes; /* the latest consumed commands, oldest first */
	struct proto_outcome outcomes[PROTO_M2_MAX_OUTCOMES];
};

/* Wire sizes (m2.c ties each to the fields it sums). */
#define PROTO_PURCHASE_LEN 18 /* seq, event, channel, price, time */
#define PROTO_PAIR_LEN 6      /* channel, value */
#define PROTO_OUTCOME_LEN 8   /* path, counter, type, SW */
/* credit .. cmd_ctr, locked, versions, cws, denials, powerups */
#define PROTO_M2_FIXED_LEN (4 * 5 + 1 + PROTO_VERSIONS_LEN + 4 * 3)
/* After the purchases: clock, flags, broadcast counter. */
#define PROTO_M2_TAIL_LEN (4 + 1 + 4)
/* The outcome ring: a count byte and its entries (also GET DATA 01 0A). */
#define PROTO_OUTCOMES_MAX_LEN (1 + PROTO_OUTCOME_LEN * PROTO_M2_MAX_OUTCOMES)
/*
 * The fixed part, three lists (each a count byte and its entries), the
 * tail, the outcomes.
 */
#define PROTO_M2_MAX_LEN                                                       \
	(PROTO_M2_FIXED_LEN + 1 + PROTO_PAIR_LEN * PROTO_M2_MAX_CHANNELS + 1 + \
	    PROTO_PAIR_LEN * PROTO_M2_MAX_RIGHTS + 1 +                         \
	    PROTO_PURCHASE_LEN * PROTO_M2_MAX_PURCHASES + PROTO_M2_TAIL_LEN +  \
	    PROTO_OUTCOMES_MAX_LEN)

int proto_m2_encode(const struct proto_m2 *m, struct proto_wr *w);
/*
 * Strict: counts within limits, purchases consecutive, known flags and
 * paths only, nothing trailing.
 */
int proto_m2_decode(const uint8_t *buf, size_t len, struct proto_m2 *m);
/* Wipe a decoded M2 (OPENSSL_cleanse); m may be NULL. */
void proto_m2_clear(struct proto_m2 *m);

/* The pieces M2 is made of, for the card's own state codec too. */
int proto_purchase_write(struct proto_wr *w, const struct proto_purchase *p);
int proto_purchase_read(struct proto_rd *r, struct proto_purchase *p);
/* A (channel, value) pair: a right's expiry or a channel's ECM count. */
int proto_pair_write(struct proto_wr *w, uint16_t channel, uint32_t v);
int proto_pair_read(struct proto_rd *r, uint16_t *channel, uint32_t *v);
/* One outcome; the reader refuses an unknown path (PROTO_ERR_FORMAT). */
int proto_outcome_write(struct proto_wr *w, const struct proto_outcome *o);
int proto_outcome_read(struct proto_rd *r, struct proto_outcome *o);
/*
 * The outcome ring: n (<= PROTO_M2_MAX_OUTCOMES), then n outcomes, oldest
 * first.  The reader writes *n and o[0 .. n) only on success.
 */
int proto_outcomes_write(struct proto_wr *w, const struct proto_outcome *o,
    uint8_t n);
int
proto_outcomes_read(struct proto_rd *r, struct proto_outcome *o, uint8_t *n);

#endif
