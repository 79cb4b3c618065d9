/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one JSON schema of the command lines (tools/README.md), through
 * jansson: every --json output is built as jansson values with these
 * pieces and printed by tj_print, so a field means the same, with the
 * same type, in every tool.
 *
 *   a time      two members: NAME (Unix seconds, integer) and NAME_iso
 *               (ISO 8601 in UTC, "2026-12-01T21:00:00Z"); both null
 *               when there is none (0)
 *   a UA        16 lowercase hex digits (null when unknown)
 *   a flag      a boolean ("locked", "held", ...)
 *   a status    4 uppercase hex digits ("9000")
 *   text        a string, always valid UTF-8 (bytes that are not are
 *               replaced by U+FFFD)
 *
 * Building never stops at a failed allocation: a setter that cannot
 * allocate marks the output failed, and tj_print then refuses to print a
 * partial object.  The text form of the same objects comes from tj_text:
 * a time as its date, a boolean as yes/no, null as "-".
 */
#ifndef TOOLS_JSON_H
#define TOOLS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define TJ_DATE_MAX 32 /* "2026-12-01T21:00:00Z" and its NUL, with room */

/* t as its date in UTC, ISO 8601; "-" for 0 (none). */
void tj_date(int64_t t, char out[TJ_DATE_MAX]);

/* Set o's member key to v (owned: freed on failure, which marks the
 * output failed). */
void tj_set(json_t *o, const char *key, json_t *v);
void tj_set_int(json_t *o, const char *key, int64_t v);
void tj_set_bool(json_t *o, const char *key, int v);
/* s as valid UTF-8 (NULL: null). */
void tj_set_str(json_t *o, const char *key, const char *s);
/* The first n bytes of s, as tj_set_str. */
void tj_set_strn(json_t *o, const char *key, const char *s, size_t n);
/* key and key_iso for the Unix time t (0: both null). */
void tj_set_time(json_t *o, const char *key, int64_t t);
/* n bytes as lowercase hex, n at most TJ_HEX_MAX (NULL: null). */
#define TJ_HEX_MAX 256
void tj_set_hex(json_t *o, const char *key, const uint8_t *p, size_t n);
/* A UA (NULL: null). */
void tj_set_ua(json_t *o, const char *key, const uint8_t *ua);
/* A status word as 4 hex digits (has 0: null). */
void tj_set_sw(json_t *o, const char *key, int has, uint16_t sw);

/* A new object or array; NULL marks the output failed. */
json_t *tj_object(void);
json_t *tj_array(void);
/* Append v (owned) to the array a. */
void tj_append(json_t *a, json_t *v);

/* Print v on stdout, compact, one line, and free it.  PROTO_ERR_NOMEM if
 * v is NULL or anything built failed (nothing printed), PROTO_ERR_IO if
 * stdout could not be written (util_printed says which). */
int tj_print(json_t *v);

/* The text of o's member key as the human output shows it: the date of a
 * time, yes/no for a boolean, "-" for null or none, an object as
 * key=value pairs. */
void tj_text(json_t *o, const char *key, char *buf, size_t cap);

#endif
