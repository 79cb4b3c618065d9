/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The applets this card build knows.  Each is a struct card_applet (see
 * runtime.h) with its own AID; card_applets() lists them for the runtime.
 */
#ifndef CARD_APPLETS_H
#define CARD_APPLETS_H

#include <stddef.h>

#include "runtime.h"

/* The identity applet: serial, versions, a persistent counter. */
extern const struct card_applet card_ident_applet;

#define CARD_VERSION_MAJOR 1
#define CARD_VERSION_MINOR 0

/* All applet classes, for card_rt_new(); *n receives the count. */
const struct card_applet *const *card_applets(size_t *n);

#endif
