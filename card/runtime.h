/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The card runtime: a Java Card-style applet model over the store.
 *
 * Applets are registered by AID.  SELECT by AID (00 A4 04 00) picks one,
 * exact match first, then the first installed applet whose AID starts with
 * the one given; the selected applet receives every other APDU until
 * another SELECT succeeds or the card is reset.  The runtime answers
 * GET RESPONSE itself (INS C0 under any CLA) and splits long responses
 * with 61xx.  A transaction an applet leaves open is aborted.
 */
#ifndef CARD_RUNTIME_H
#define CARD_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/apdu.h"
#include "../proto/buf.h"
#include "store.h"

/* Largest response an applet may build (chained out with 61xx). */
#define CARD_RESP_MAX 32768
/* Transient memory per applet, cleared on reset and deselect. */
#define CARD_TRANSIENT_MAX 1024
/* A vpcd frame is at most 65535 bytes: data plus the two SW bytes. */
#define CARD_FRAME_MAX_DATA 65533
#define CARD_ATR_MAX 33

struct card_rt;

/* What an applet sees while it runs; borrowed for the call only. */
struct card_ctx {
	struct card_store *store;
	int region;         /* the applet's persistent region */
	uint8_t *transient; /* CARD_TRANSIENT_MAX bytes */
	const struct proto_apdu *apdu;
	struct proto_wr *resp; /* response data goes here */
	int first_select;      /* in select(): first since power-up */
};

struct card_applet {
	const char *name;
	const uint8_t *aid;
	size_t aidlen;
	size_t region_size;
	/* Initialise a freshly added region (inside a transaction). */
	int (*install)(struct card_ctx *ctx);
	/* Called on SELECT; returns a status word (9000 to accept). */
	uint16_t (*select)(struct card_ctx *ctx);
	/*
	 * Process one APDU; returns a status word, response in ctx->resp.
	 * Data goes out with 9000, and with a warning (62xx, 63xx) or an
	 * application status word (9xxx) as far as Le allows.
	 */
	uint16_t (*process)(struct card_ctx *ctx);
};

/*
 * Bind a runtime to a store and a table of applet classes (borrowed; both
 * must outlive the runtime).  Applets not installed in the store are not
 * selectable.
 */
int
card_rt_new(struct card_store *store, const struct card_applet *const *applets,
    size_t napplets, struct card_rt **out);
void card_rt_free(struct card_rt **rt);

/* Power on, reset or power off: deselect, clear transient state. */
void card_rt_reset(struct card_rt *rt);

/*
 * Process one command APDU; writes the response APDU (data and SW) into
 * out, of capacity cap >= 2.  Always produces a response.
 */
size_t card_rt_transmit(struct card_rt *rt, const uint8_t *cmd, size_t len,
    uint8_t *out, size_t cap);

/* Install an applet class into a store (creates its region). */
int card_rt_install(struct card_store *store, const struct card_applet *a);

/* The card's ATR: T=1, extended lengths, historical bytes naming it. */
size_t card_atr(uint8_t *buf, size_t cap);

/* Counters for status reports. */
unsigned long card_rt_apdus(const struct card_rt *rt);

#endif
