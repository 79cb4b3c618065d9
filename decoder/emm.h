/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Broadcast EMMs: center commands on the broadcast path (card/APDU.md,
 * "EMM"), which reach a card whose decoder never calls the center.  The
 * broadcast puts them in emm_dir as *.emm files, one EMM in hex a line
 * (`centerctl emm ... -o FILE` appends them).  decoderd feeds the
 * present card, with PROCESS COMMAND as an uplink's commands, every EMM
 * of the directory that is addressed to it (its UA, the broadcast path)
 * and whose counter is above the card's broadcast counter (GET DATA
 * state), lowest counter first: at the card's insertion, every
 * emm_interval seconds, and when asked (decoderctl emm).
 *
 * Each EMM is fed once per card.  What the card consumed (applied, or
 * refused with 9303) moved its broadcast counter past it, so the card's
 * own counter is the memory of those, across restarts, in four bytes.
 * An EMM the card refused without consuming it (a bad signature, a
 * malformed one) would be refused again for ever: its digest is kept in
 * a bounded memory (DEC_EMM_REFUSED_MAX, the oldest forgotten first),
 * saved in the file beside M1, "M1.emm-refused", and it is not fed again.
 * The caller applies the export policy after (dec_export_after): an
 * "export now" EMM sets the card's export-requested flag, and the policy
 * exports at once when it sees it.
 */
#ifndef DECODER_EMM_H
#define DECODER_EMM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "state.h"

#define DEC_EMM_FILES_MAX 64          /* *.emm files read */
#define DEC_EMM_FILE_MAX (256 * 1024) /* bytes of one file */
#define DEC_EMM_BATCH_MAX 64          /* EMMs fed to a card in one go */
#define DEC_EMM_MEMORY_FILE_MAX (16 + DEC_EMM_REFUSED_MAX * DEC_EMM_DIGEST_LEN)

enum dec_emm_step {
	DEC_EMM_DONE = 0,
	DEC_EMM_NO_CARD,
	DEC_EMM_HELD,   /* another program holds the card */
	DEC_EMM_NO_DIR, /* the directory could not be read (rc says why) */
	DEC_EMM_CARD,   /* the card stopped answering (rc) */
};

struct dec_emm_result {
	enum dec_emm_step step;
	int rc;
	size_t files, lines, bad; /* read; lines that are no EMM */
	size_t fed;               /* sent to the card */
	size_t applied;           /* 9000 */
	size_t consumed_refused;  /* 9303: consumed, not carried out */
	size_t refused;           /* not consumed: remembered, never again */
	size_t stale;             /* 9301: the card had it already */
	int export_requested;     /* the card's flag, after */
};

/*
 * Feed the present card the EMMs of cfg.emm_dir meant for it.  0 when
 * the directory was read and every candidate fed (res counts them);
 * otherwise res->step says what stopped it.  The card's state is read
 * afresh after (st->card.st).
 */
int dec_emm_feed(struct dec_state *st, struct dec_emm_result *res);
/*
 * At the daemon's start: the remembered refusals (only an economy: a
 * file that cannot be read is started without, and logged), the first
 * periodic feed scheduled.
 */
void dec_emm_start(struct dec_state *st, time_t now);
/* Feed at the next tick (a card arrived). */
void dec_emm_soon(struct dec_state *st);
/* The next periodic feed: now + emm_interval (never if it is 0). */
void dec_emm_schedule(struct dec_state *st, time_t now);
/* Whether a feed is due now; when the loop must wake (0: never). */
int dec_emm_due(const struct dec_state *st, time_t now);
time_t dec_emm_deadline(const struct dec_state *st);

/* The remembered refusals' file beside M1 (path into out, cap bytes). */
int dec_emm_memory_path(const char *m1, char *out, size_t cap);
/* Load it; absent is empty.  Save it (atomically, durably). */
int dec_emm_memory_load(const char *path, struct dec_emm_memory *m);
int dec_emm_memory_save(const char *path, const struct dec_emm_memory *m);
/* Whether EMM bytes are remembered refused; remember them. */
int dec_emm_memory_has(const struct dec_emm_memory *m, const uint8_t *emm,
    size_t len);
void
dec_emm_memory_add(struct dec_emm_memory *m, const uint8_t *emm, size_t len);

#endif
