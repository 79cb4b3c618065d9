/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decoderctl's reading of decoderd's replies, KEY=VALUE lines (some of
 * them repeated): dctl_reply.c types each key for the tools' JSON schema
 * and prints a reply as text with dates or as one JSON object;
 * dctl_lists.c prints the replies that are lists (M1, the quarantine, a
 * tune's ECMs, an uplink's blocks, the metrics).  Every printer takes the
 * reply (len bytes) and json (0: text) and returns 0, PROTO_ERR_NOMEM (the
 * JSON could not be built) or PROTO_ERR_IO (standard output failed), as
 * util_printed reads them.
 */
#ifndef TOOLS_DCTL_H
#define TOOLS_DCTL_H

#include <stddef.h>

#include <jansson.h>

#include "../proto/buf.h"

/* What a reply's value is in the JSON schema. */
enum ftype { F_STR, F_INT, F_BOOL, F_TIME };

/* v (n bytes) as key of type t into o; a value not of its type is null. */
void dctl_set_typed(json_t *o, const char *key, enum ftype t, const char *v,
    size_t n);
/* The reply's KEY=VALUE lines into o; a key seen before is skipped. */
void dctl_pairs_object(const char *reply, size_t len, json_t *o);

int dctl_print_pairs(const char *reply, size_t len, int json);
int dctl_print_status(const char *reply, size_t len, int json);
int dctl_print_m1(const char *reply, size_t len, int json);
int dctl_print_quarantine(const char *reply, size_t len, int json);
int dctl_print_metrics(const char *reply, size_t len, int json);
int dctl_print_tune(const char *reply, size_t len, int json);
int dctl_print_uplink(const char *reply, size_t len, int json);

/* Split line (modified in place) into words; -1 unless there are n. */
int dctl_split(char *line, char **w, int n);
/* The first n words of line (split in place), and the rest after them:
 * NULL unless there are n words and a rest. */
const char *dctl_words(char *line, char **w, int n);
/* The values of the reply's lines "prefix..." (NUL-terminated, in buf),
 * one at a time: 0 while there is one. */
int
dctl_next_value(struct proto_rd *r, const char *prefix, char *buf, size_t cap);

#endif
