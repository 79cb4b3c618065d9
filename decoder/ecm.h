/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ECM feeding and impulse purchases.  Tuning to a channel feeds the
 * card its ECM file (ecm_dir/CHANNEL.ecm, one ECM a line in hex) and says
 * what the card made of each: a control word, a denial, or an offer of an
 * event, which is remembered so that it can be bought.  The control
 * words never leave card.c.  The caller applies the export policy after
 * (dec_export_after): these modules only return what happened.
 */
#ifndef DECODER_ECM_H
#define DECODER_ECM_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

/* What the card made of one ECM: rc 0 and r, or the error. */
struct dec_ecm_outcome {
	int rc;
	struct dec_ecm_result r;
};

enum dec_tune_step {
	DEC_TUNE_DONE = 0, /* every ECM fed, or the card left meanwhile */
	DEC_TUNE_NO_CARD,
	DEC_TUNE_HELD,    /* another program holds the card */
	DEC_TUNE_NO_FILE, /* the ECM file could not be read (rc says why) */
	DEC_TUNE_BAD_LINE,
};

/*
 * A tune's result.  ecm holds n outcomes in file order; it is owned by the
 * result and freed by dec_tune_result_free.
 */
struct dec_tune_result {
	enum dec_tune_step step;
	int rc;
	char path[PATH_MAX + 32]; /* the ECM file */
	unsigned bad_line;        /* DEC_TUNE_BAD_LINE: which ECM, from 1 */
	size_t n, cap;
	struct dec_ecm_outcome *ecm;
};

/*
 * Feed the card the ECMs of channel.  0 when the file was read and every
 * line fed (each outcome says how that ECM went); otherwise res->step and
 * res->rc say what stopped it.  With BAD_LINE, the ECMs before it were
 * fed.  res must be freed either way.
 */
int dec_ecm_tune(struct dec_state *st, unsigned channel,
    struct dec_tune_result *res);
void dec_tune_result_free(struct dec_tune_result *res);

enum dec_buy_step {
	DEC_BUY_DONE = 0,
	DEC_BUY_NO_CARD,
	DEC_BUY_NO_OFFER, /* no ECM offered that event in this session */
	DEC_BUY_FAILED,   /* rc PROTO_ERR_STATE: the card refused with sw */
};

struct dec_buy_result {
	enum dec_buy_step step;
	int rc;
	uint16_t sw;
	uint32_t event;
	uint32_t seq, credit; /* the purchase, when done */
};

/* Buy event with the ECM that offered it. */
int
dec_ecm_buy(struct dec_state *st, uint32_t event, struct dec_buy_result *res);

#endif
