/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The decoder daemon's state, at the bottom of the daemon's modules: the
 * configuration, the decoder key, M1, the session with the card, the
 * offers seen in ECMs, the schedule and the last error.  One instance,
 * owned by main (or by a test); every module gets it by pointer and none
 * keeps a copy.  Which module writes what:
 *
 *   session.c   svc, card, has_card, foreign, offers (cleared on drop),
 *               the transaction (depth, lost, verify), held, reconnects,
 *               waiting, next_open, open_wait and open_fails
 *   export.c    m1, m1_next, next_export, export_retry, last_export,
 *               last_export_seq, usage_retry; usage_since cleared;
 *               cert, m1_full_at, uplink_asked
 *   ecm.c       offers
 *   emm.c       emm_refused, next_emm, emm_soon
 *   sync.c      tls, sync, uplink_since, next_uplink, last_uplink,
 *               uplink_asked (cleared)
 *   answer.c    m1, m1_next, quar (the center's acks and rejections)
 *   contact.c   the first contact (contact_*)
 *   files.c     key, m1 (loaded), quar (loaded), issuer, m1_lock, key_lock
 *   decoderd.c  cfg, pcscd_up (through events.c)
 *   each        its own counters in n (session.c the card's events,
 *               export.c exports, sync.c and answer.c uplinks, ecm.c
 *               ECMs, purchases)
 *   any         last_error, through dec_state_failed; usage_since,
 *               through dec_state_usage (session.c clears it on drop)
 */
#ifndef DECODER_STATE_H
#define DECODER_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

#include "../proto/sm.h"
#include "card.h"
#include "config.h"
#include "m1.h"
#include "quarantine.h"

#define DEC_MAX_OFFERS 16          /* offers remembered for BUY */
#define DEC_ECM_FILE_MAX (1 << 20) /* a channel's ECM file */
#define DEC_WHY_MAX 512            /* a failure's sentence */
#define DEC_HELD_RETRY 1           /* s before trying a held card again */
/* A card that did not answer its opening (just inserted, the reader's
 * driver still busy with it): tried again after 0.2 s, doubling up to
 * 3.2 s, for as long as it is in the reader, and at each of its events. */
#define DEC_OPEN_RETRY_MIN_MS 200
#define DEC_OPEN_RETRY_MAX_MS 3200
#define DEC_M1_FULL_GAP 30      /* s between uplinks a full M1 asks for */
#define DEC_EMM_REFUSED_MAX 256 /* EMMs remembered as refused */
#define DEC_EMM_DIGEST_LEN 16   /* of SHA-256, to know one again */

/* A UA in hex, in storage the caller owns. */
struct dec_ua_hex {
	char s[2 * PROTO_UA_LEN + 1];
};

const char *dec_ua_hex(const uint8_t ua[PROTO_UA_LEN], struct dec_ua_hex *h);
/* The same, in a buffer living to the end of the enclosing block. */
#define DEC_UA(ua) dec_ua_hex((ua), &(struct dec_ua_hex){ { 0 } })

/* An event a PPV ECM offered, with the ECM to buy it with. */
struct dec_sync; /* sync.c's */

struct dec_offer {
	uint32_t event;
	uint8_t ecm[PROTO_ECM_LEN];
};

/* What happened since the daemon started (metrics.h shows them). */
struct dec_counters {
	unsigned long exports, export_failures;
	unsigned long uplinks_ok, uplinks_rejected, uplinks_failed;
	unsigned long blocks_accepted, blocks_duplicate, blocks_rejected;
	unsigned long commands_applied, m1_acked;
	unsigned long inserted, removed, resets;
	unsigned long ecm_cw, ecm_denied, ecm_offer, ecm_failed;
	unsigned long purchases, purchases_refused;
};

/* EMMs a card refused without consuming them: never fed again. */
struct dec_emm_memory {
	size_t n; /* oldest first */
	uint8_t d[DEC_EMM_REFUSED_MAX][DEC_EMM_DIGEST_LEN];
};

/* What the present card's certificate proved, at its last reading. */
enum dec_cert_verdict {
	DEC_CERT_UNREAD = 0, /* not read in this session yet */
	DEC_CERT_OK,         /* issued by our operator for this card's UA */
	DEC_CERT_NONE,       /* the card has none (6A88) */
	DEC_CERT_BAD,        /* it does not verify, or names another card */
	DEC_CERT_UNANSWERED, /* the card did not answer GET DATA */
};

struct dec_state {
	struct dec_config cfg;
	struct dec_key key;               /* secret: wiped by dec_state_clear */
	uint8_t issuer[PROTO_EC_PUB_LEN]; /* the operator's issuer key */
	int m1_lock, key_lock; /* held while the daemon runs (files.c) */
	struct dec_m1 m1;      /* what the M1 file holds */
	/* Scratch: the next M1 is built here, and replaces m1 only once
	 * the file holds it. */
	struct dec_m1 m1_next;
	struct dec_quar quar; /* what the file beside M1 holds */

	const struct dec_card_io *io; /* borrowed; outlives the state */
	void *svc;                    /* io's service, NULL until needed */
	int pcscd_up;
	struct dec_card card; /* valid while has_card */
	int has_card;
	char foreign[DEC_READER_MAX]; /* a reader holding a card not ours */
	/* The card operation under way (dec_session_begin .. _end). */
	unsigned depth; /* nested begins; the transaction is held at > 0 */
	int lost;       /* the connection was lost inside it */
	int verify;     /* reconnected: the card must show it is the same */
	int held;       /* the last begin found the card held by another */
	unsigned long reconnects;
	/* A card in this reader to open at next_open (dec_now_ms): another
	 * program held it, it replaced the one we had, or its opening
	 * failed (open_fails times in a row; open_wait ms, the last wait,
	 * doubles each time; both 0 for a held card). */
	char waiting[DEC_READER_MAX];
	long next_open;
	unsigned open_wait, open_fails;

	struct dec_offer offers[DEC_MAX_OFFERS];
	size_t n_offers;

	time_t next_export;  /* 0: no periodic export */
	time_t export_retry; /* the policy again (the card was held); 0 */
	time_t last_export;
	uint32_t last_export_seq;
	/* The card's usage data changed since its last export (ECMs fed, a
	 * power-up): since when (0: not), and a failed usage export's next
	 * try. */
	time_t usage_since, usage_retry;
	/* The present card's certificate (reset when a session opens). */
	enum dec_cert_verdict cert_verdict;
	uint8_t cert_pub[PROTO_EC_PUB_LEN]; /* its key, when DEC_CERT_OK */
	struct dec_emm_memory emm_refused;  /* emm.c (loaded by files.c) */
	time_t next_emm;                    /* emm.c: the next feed, 0 none */
	int emm_soon;                       /* emm.c: feed at the next tick */
	time_t m1_full_at;     /* the last time a full M1 asked for an uplink */
	int uplink_asked;      /* an uplink is wanted now (M1 is full) */
	SSL_CTX *tls;          /* made at the first uplink */
	struct dec_sync *sync; /* the session under way, or NULL */
	time_t uplink_since;   /* its start */
	time_t next_uplink;    /* 0: no scheduled uplink */
	time_t last_uplink;
	/* The first contact of a transfer-locked card (contact.c): the next
	 * try (0: none), the wait after it fails, since when. */
	time_t contact_at, contact_since;
	unsigned contact_wait;
	unsigned long contact_tries;
	uint8_t contact_ua[PROTO_UA_LEN];
	char last_error[DEC_WHY_MAX];
	struct dec_counters n;
};

/* Milliseconds of CLOCK_MONOTONIC, the clock of sub-second deadlines. */
long dec_now_ms(void);
/* A deadline seconds after now; 0 (none) when seconds is 0. */
time_t dec_deadline(time_t now, unsigned seconds);
/* Whether deadline t (0: none) has come at now. */
int dec_deadline_passed(time_t t, time_t now);

/* Zero st, with the default configuration and the transport io. */
void dec_state_init(struct dec_state *st, const struct dec_card_io *io);
void dec_state_set_error(struct dec_state *st, const char *msg);
/* Whether a card is open in the reader and it is the one with ua. */
int
dec_state_card_is(const struct dec_state *st, const uint8_t ua[PROTO_UA_LEN]);
/* The present card's usage data changed at now (the first change counts). */
void dec_state_usage(struct dec_state *st, time_t now);
/*
 * An operation failed: the sentence into why (DEC_WHY_MAX bytes, for the
 * caller's log line or reply) and into last_error.
 */
void dec_state_failed(struct dec_state *st, char *why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Release what st holds and wipe the key.  The session and the service
 * must be gone first (dec_session_release).
 */
void dec_state_clear(struct dec_state *st);

#endif
