/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * loadgen: many simulated decoders against one or more centerd instances.
 *
 * The cards (lg_cards.c) are made offline with keys, certificates and
 * blocks as a card makes them (proto/'s seal, the card's keys, the
 * transmission key derived from the operator's master secret) and
 * registered through the center's database functions, as centerctl
 * register does.  The decoders (lg_drive.c) run real uplink sessions
 * over TLS on an event loop per thread: HELLO, CHALLENGE, the present
 * card's BLOCK answering it, the M1 blocks of retired cards as RECOVERED,
 * END, then the center's RESULTs, COMMANDs (which the simulated card
 * verifies and applies) and ACKs (which free M1).  Afterwards the ledger
 * is read back and compared with the purchases the cards made.
 */
#ifndef TEST_TOOLS_LOADGEN_H
#define TEST_TOOLS_LOADGEN_H

#include <stddef.h>
#include <stdint.h>

#include "../../proto/sm.h"
#include "../../proto/uplink.h"

#define LG_MAX_CENTERS 8
#define LG_OUTCOMES PROTO_M2_MAX_OUTCOMES
#define LG_T0 1800000000u /* the cards' clock at the start */

/* A simulated card: its keys and the part of M2 the run changes. */
struct lg_card {
	uint8_t ua[PROTO_UA_LEN];
	struct proto_card_keys k;
	uint32_t export_seq, purchase_seq, acked_seq, change_ctr, cmd_ctr;
	uint8_t locked;
	uint8_t n_out; /* the outcome ring, oldest first */
	struct proto_outcome out[LG_OUTCOMES];
};

/* A block a decoder keeps in M1 for a card no longer in its reader. */
struct lg_m1 {
	uint32_t card, seq;
	uint32_t purchases; /* the card's purchase seq when it was made */
	uint64_t stored_at;
	const uint8_t *block; /* in the run's arena: lives until the end */
	size_t len;
};

struct lg_dec {
	uint32_t idx;
	uint8_t id[PROTO_DECODER_ID_LEN];
	uint32_t card;      /* the present card */
	uint32_t swap_card; /* the card swapped in after session swap_at */
	int swap_at;        /* -1: no swap */
	struct lg_m1 *m1;
	size_t n_m1, cap_m1;
	struct lg_m1 acked; /* the last M1 block the center took, */
	int has_acked;      /* if any: its block lives in the arena */
	int done_sessions, attempts;
	int64_t next_at_ms; /* when it calls in next */
	int finished, gave_up;
};

/* The run's settings (loadgen.c parses them). */
struct lg_conf {
	const char *keys_dir, *db, *ca;
	const char *before_check; /* a command run before the ledger check */
	int ack_fd; /* -L: each answer's acknowledgements written here, or -1 */
	const char *host[LG_MAX_CENTERS], *port[LG_MAX_CENTERS];
	int n_centers;
	uint32_t n_cards, n_decoders;
	int sessions;      /* successful sessions per decoder, at least */
	int threads;       /* event loops (and card-making threads) */
	uint32_t inflight; /* connections open at once, in all */
	int cut_pct;       /* sessions cut after END: the answer lost */
	int dup_pct;       /* sessions that resend a block */
	int swap_pct;      /* decoders whose card is swapped mid-run */
	int max_attempts;  /* per decoder, before it gives up */
	int run_secs;      /* the longest the run may take */
	int timeout_ms;    /* one session, connect to DONE */
	int verify_secs;   /* OpenSSL's verify rate, measured this long */
	int own_addrs;     /* each decoder from a loopback address of its own */
	unsigned seed;
};

/* Everything the run made: the cards, the decoders, the arena of blocks. */
struct lg_world {
	const struct lg_conf *conf;
	uint8_t master[PROTO_MASTER_LEN];
	uint8_t center_pub[PROTO_EC_PUB_LEN];
	uint8_t issuer_priv[PROTO_EC_PRIV_LEN], issuer_pub[PROTO_EC_PUB_LEN];
	int has_issuer;
	struct lg_card *cards;
	struct lg_dec *decs;
	uint8_t **arena; /* every block made, freed at the end */
	size_t n_arena, cap_arena;
};

/* What the event loops counted; summed over the threads. */
struct lg_stats {
	unsigned long sessions, attempts, cut, busy, refused, errors, timeouts;
	unsigned long blocks, present, recovered, dup_sent;
	unsigned long accepted, duplicate, stale, rejected, rejected_final;
	unsigned long acks, cmds_applied, invoiced, flagged;
	double *lat_ms; /* the latencies of successful sessions */
	size_t n_lat, cap_lat;
};

/* --- lg_cards.c ----------------------------------------------------------- */

/*
 * Room for one more in arr, an array of n elements of size bytes with
 * room for *cap (doubled when full, first at first): the array, moved
 * perhaps, or NULL (out of memory; arr and *cap unchanged).
 */
void *lg_grow(void *arr, size_t n, size_t *cap, size_t size, size_t first);

/* Keys from the key directory, the cards and their M1 plan; errors on
 * stderr. */
int lg_world_make(struct lg_world *w, const struct lg_conf *conf);
void lg_world_free(struct lg_world *w);
/* Register every card with the center's database (one transaction). */
int lg_register(const struct lg_world *w);
/*
 * Seal a block of card c now (kind 02 with a session's challenge, or an
 * export block for M1 with challenge NULL): the card's next export
 * sequence, its M2 as it stands.
 */
int lg_card_block(struct lg_world *w, struct lg_card *c, uint8_t kind,
    const uint8_t *challenge, uint8_t *out, size_t cap, size_t *len,
    uint32_t *seq);
/* The card buys n films (it must be unlocked; nothing happens if not). */
void lg_card_buy(struct lg_card *c, unsigned n);
/* The card takes one command of a session's answer: verified by the
 * center's key, applied, its outcome in the ring.  0, or why not. */
int lg_card_command(const struct lg_world *w, struct lg_card *c,
    const uint8_t *cmd, size_t len);
/* The decoder swaps its card: the old one exports into M1 first. */
int lg_dec_swap(struct lg_world *w, struct lg_dec *d);
/* Drop the M1 entry the center acknowledged, if the decoder has it. */
void lg_dec_acked(struct lg_dec *d, const uint8_t ua[PROTO_UA_LEN],
    uint32_t seq, const struct lg_world *w);
/*
 * The ledger against the cards: every purchase each card made invoiced,
 * once, as it was made; no invoice of anything else.  Prints what it
 * found; 0 when it all matches.
 */
int lg_ledger_check(const struct lg_world *w);

/* --- lg_drive.c ----------------------------------------------------------- */

/* Run every decoder to its end; stats summed into *st. */
int lg_drive(struct lg_world *w, struct lg_stats *st, double *secs);

#endif
