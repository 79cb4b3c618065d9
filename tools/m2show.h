/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every field of an M2 (proto/m2.h) as the command lines print it:
 * `headend open` for a block's body, `cardctl show` for a card image,
 * `centerctl card` for what a card's newest block said.  Text is one
 * "name value" line per field or entry, times as dates; JSON is members
 * of the caller's object, in the schema of json.h.
 */
#ifndef TOOLS_M2SHOW_H
#define TOOLS_M2SHOW_H

#include <stdio.h>

#include <jansson.h>

#include "../proto/m2.h"

/* Lines, each starting with indent. */
void m2show_text(FILE *f, const struct proto_m2 *m, const char *indent);
/*
 * The M2's own fields into o: credit, locked, the sequences and
 * counters, clock, flags, versions, "ecms" and "rights" (arrays).
 */
void m2show_fields(json_t *o, const struct proto_m2 *m);
/* m2show_fields and the lists of the card ua: "purchases" (each of
 * m2show_purchase's shape) and "outcomes". */
void m2show_json(json_t *o, const struct proto_m2 *m, const uint8_t *ua);
/* One purchase of card ua: ua, seq, event, channel, price, bought_at. */
json_t *m2show_purchase(const uint8_t *ua, const struct proto_purchase *p);
/* "uplink" or "broadcast". */
const char *m2show_path_name(uint8_t path);

#endif
