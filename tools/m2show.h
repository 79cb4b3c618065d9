/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every field of an M2 (proto/m2.h) as the command lines print it:
 * `headend open` for a block's body, `cardctl show` for a card image.
 * Text is one "name value" line per field or entry; JSON is the members
 * of an object (no braces), for the caller to put beside its own.
 */
#ifndef TOOLS_M2SHOW_H
#define TOOLS_M2SHOW_H

#include <stdio.h>

#include "../proto/m2.h"

/* Lines, each starting with indent. */
void m2show_text(FILE *f, const struct proto_m2 *m, const char *indent);
/* "credit":..,"locked":.., ... "outcomes":[..] */
void m2show_json(FILE *f, const struct proto_m2 *m);

#endif
