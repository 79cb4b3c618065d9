/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The export policy: when the present card's data goes into M1, and what
 * M1 keeps.
 *
 * When: the card's change counter moved since M1's copy, the export
 * interval passed, someone asked, or (cfg.usage_export_gap > 0) the
 * card's usage data changed, at most one such export per gap: usage
 * changes at every ECM, so they are coalesced, while a change of M2
 * proper exports at once.  Never from a transfer-locked card:
 * an export checks the lock as the card states it right then.  Never from
 * a card our operator did not certify: every export reads the card
 * certificate and verifies it under the issuer key (st->issuer), and the
 * block must verify under the key it certifies.  What M1 keeps: one
 * entry per card; a new block replaces only its own card's entry, made
 * by the same key, with a higher export sequence, and another card's
 * entry the center has not acknowledged is never dropped for it
 * (dec_m1_put_verified).  A full M1 asks for an uplink (st->uplink_asked,
 * at most every DEC_M1_FULL_GAP s).  M1 and its file change together or
 * not at all.
 */
#ifndef DECODER_EXPORT_H
#define DECODER_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "state.h"

enum dec_export_trigger {
	DEC_EXPORT_CHANGED = 1, /* the card's change counter moved */
	DEC_EXPORT_INTERVAL,    /* the periodic export is due */
	DEC_EXPORT_ASKED,       /* a request (decoderctl export) */
	DEC_EXPORT_USAGE,       /* usage data changed, the gap passed */
};

/*
 * Whether trigger t calls for an export now, judged on st->card.st as last
 * read.  CHANGED: a card is present, unlocked, and its export-requested
 * flag is set (the center's "export now", by EMM or in a session), or M1
 * holds no entry of it or one made at another change counter.  INTERVAL: a card is present
 * and now is at or past st->next_export (0: never).  ASKED: a card is
 * present.  USAGE: a card is present, unlocked, its usage changed
 * (st->usage_since), and now is at or past dec_export_usage_at.
 */
int dec_export_due(const struct dec_state *st, enum dec_export_trigger t,
    time_t now);

/* Where an export stopped. */
enum dec_export_step {
	DEC_EXPORT_DONE = 0,
	DEC_EXPORT_NO_CARD,
	DEC_EXPORT_NO_ANSWER,   /* GET DATA before it failed */
	DEC_EXPORT_HELD,        /* another program holds the card */
	DEC_EXPORT_LOCKED,      /* the card is transfer-locked */
	DEC_EXPORT_UNCERTIFIED, /* no valid certificate of our operator */
	DEC_EXPORT_REFUSED,     /* EXPORT failed (sw: the card's answer) */
	DEC_EXPORT_M1_FULL,     /* other cards' pending entries fill M1 */
	DEC_EXPORT_M1_REFUSED,
	DEC_EXPORT_M1_WRITE, /* the file could not be replaced */
};

struct dec_export_result {
	int rc;
	enum dec_export_step step;
	uint16_t sw; /* the card's refusal, for DEC_EXPORT_REFUSED */
	uint8_t ua[PROTO_UA_LEN];
	uint32_t seq; /* the block M1 now holds, when done */
	size_t len;
	char why[DEC_WHY_MAX]; /* a failure in one sentence */
};

/*
 * Export the present card into M1 (and its file).  fresh says
 * st->card.st was just read; otherwise GET DATA comes first.  On failure
 * *res says where and why, st->last_error holds the why, and neither M1
 * nor its file changed.  reason is for the log.
 */
int dec_export_run(struct dec_state *st, const char *reason, int fresh,
    struct dec_export_result *res);

/*
 * When a usage export is due (0: none pending, or the policy is off): the
 * change, but not before cfg.usage_export_gap s after the card's last
 * export into M1, nor before a failed usage export's retry.
 */
time_t dec_export_usage_at(const struct dec_state *st);
/*
 * Read the present card's certificate (GET DATA 01 09) and judge it
 * against the issuer key: st->cert_verdict and, when DEC_CERT_OK,
 * st->cert_pub (the key its blocks must be signed with).  Done at card
 * contact (for status and the log) and again by every export.  Returns
 * the card operation's failure, 0 when the card answered (whatever the
 * verdict).
 */
int dec_export_certify(struct dec_state *st);
/* The verdict's name for status: ok, none, bad, unanswered, unread. */
const char *dec_export_cert_name(enum dec_cert_verdict v);

/* Restart the interval from now (no periodic export if it is 0). */
void dec_export_schedule(struct dec_state *st, time_t now);
/* When the loop must wake for the next periodic export; 0: never. */
time_t dec_export_deadline(const struct dec_state *st);
/*
 * The policy after something may have changed the card (insertion, ECMs,
 * a purchase, an uplink): export if the change counter moved, or if the
 * usage changed and its gap passed; log a failure, restart the interval.  _if_changed trusts st->card.st;
 * _after reads the card's state first.  When another program holds the
 * card, the policy is applied again DEC_HELD_RETRY s later (the tick).
 */
void dec_export_if_changed(struct dec_state *st, const char *reason);
void dec_export_after(struct dec_state *st, const char *reason);
/* The periodic export and the coalesced usage export, when due. */
void dec_export_tick(struct dec_state *st, time_t now);

#endif
