/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The card the card-side fuzz targets run (fuzz_card_rt, fuzz_vpcd): the
 * identity and security-module applets, personalized with the fuzz keys
 * of common.c on an in-memory store, the same card for every input.  The
 * seed generator (mkcorpus_card.c) builds its ECMs and commands from the
 * same constants, so the seeds pass the card's tag and signature checks.
 */
#ifndef FUZZ_CARD_FIXTURE_H
#define FUZZ_CARD_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "../../card/runtime.h"
#include "../../card/sm.h"
#include "../../card/store.h"
#include "../../proto/sm.h"

#define FUZZ_CARD_CREDIT 1000
#define FUZZ_CARD_CHANNEL 5          /* subscribed at personalization */
#define FUZZ_CARD_EXPIRY 2000000000u /* of that right */
/* The largest response the targets accept: what a vpcd frame carries. */
#define FUZZ_CARD_OUT_MAX 65535

/* The card's UA (the one mkcorpus's commands name) and serial. */
extern const uint8_t fuzz_card_ua[PROTO_UA_LEN];

/*
 * A fresh copy of the personalized card and a runtime over it (powered
 * on, nothing selected); free both with fuzz_card_free.  Aborts through
 * fuzz_fail() if the card cannot be made: the fixture, not the input, is
 * broken then.
 */
void fuzz_card_new(struct card_store **store, struct card_rt **rt);
void fuzz_card_free(struct card_store **store, struct card_rt **rt);

/*
 * The invariants every card must keep after any APDU: no transaction
 * open, the image loads back, the security module's state decodes (into
 * *v, for the caller's own checks) and the M2 it would export passes
 * proto's strict decoder.
 */
void fuzz_card_check(const char *target, const struct card_store *store,
    struct card_sm_view *v);

#endif
