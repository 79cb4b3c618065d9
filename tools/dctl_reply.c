/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decoderctl: decoderd's KEY=VALUE replies typed for the JSON schema, and
 * printed as text or JSON (dctl.h).
 *
 * --json makes a reply one object of the tools' schema (json.h): each key
 * with its type, a time as NAME and NAME_iso, yes/no as a boolean, the
 * lines a reply repeats (an uplink's blocks, a tune's ECMs) as an array
 * of objects (dctl_lists.c).  A key this table does not know (a newer
 * decoderd) is a string, or a number when it is one.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "../proto/ctl.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "dctl.h"
#include "json.h"
#include "util.h"

struct field {
	const char *key;
	enum ftype t;
};

static const struct field fields[] = {
	/* status: each one always there, null when the reply lacks it */
	{ "pcscd", F_STR },
	{ "reader", F_STR },
	{ "card", F_STR },
	{ "ua", F_STR },
	{ "locked", F_BOOL },
	{ "change_ctr", F_INT },
	{ "export_seq", F_INT },
	{ "credit", F_INT },
	{ "free_log", F_INT },
	{ "held", F_BOOL },
	{ "cert", F_STR },
	{ "bcast_ctr", F_INT },
	{ "export_requested", F_BOOL },
	{ "last_export", F_TIME },
	{ "last_export_seq", F_INT },
	{ "m1_entries", F_INT },
	{ "m1_pending", F_INT },
	{ "m1_capacity", F_INT },
	{ "quarantined", F_INT },
	{ "uplink", F_STR },
	{ "last_uplink", F_TIME },
	{ "reconnects", F_INT },
	{ "first_contact", F_STR },
	{ "contact_tries", F_INT },
	{ "last_error", F_STR },
	/* buy, uplink, emm */
	{ "purchase", F_INT },
	{ "invoiced", F_INT },
	{ "flagged", F_INT },
	{ "commands", F_INT },
	{ "applied", F_INT },
	{ "m1_deleted", F_INT },
	{ "m1_quarantined", F_INT },
	{ "files", F_INT },
	{ "lines", F_INT },
	{ "bad", F_INT },
	{ "fed", F_INT },
	{ "consumed_refused", F_INT },
	{ "refused", F_INT },
	{ "stale", F_INT },
};

#define N_STATUS_FIELDS 25 /* the first ones */

static const struct field *
field_of(const char *k, size_t n)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strlen(fields[i].key) == n &&
		    memcmp(fields[i].key, k, n) == 0)
			return &fields[i];
	return NULL;
}

/* v (n bytes) as key of type t into o; a value not of its type is null. */
void
dctl_set_typed(json_t *o, const char *key, enum ftype t, const char *v,
    size_t n)
{
	char buf[PROTO_NUM_MAX_DIGITS + 2];
	uint64_t x;

	if (t == F_STR) {
		tj_set_strn(o, key, v, n);
		return;
	}
	if (t == F_BOOL && n == 3 && memcmp(v, "yes", 3) == 0)
		tj_set_bool(o, key, 1);
	else if (t == F_BOOL && n == 2 && memcmp(v, "no", 2) == 0)
		tj_set_bool(o, key, 0);
	else if (t != F_BOOL && n < sizeof(buf) &&
	    (memcpy(buf, v, n), buf[n] = '\0',
		proto_parse_u64(buf, 0, INT64_MAX, &x) == 0))
		t == F_TIME ? tj_set_time(o, key, (int64_t)x) :
			      tj_set_int(o, key, (int64_t)x);
	else if (t == F_TIME)
		tj_set_time(o, key, 0);
	else
		tj_set(o, key, json_null());
}

/* A number if it is one, else a string: a key not in the table. */
static void
set_untyped(json_t *o, const char *key, const char *v, size_t n)
{
	size_t i = 0;

	while (i < n && v[i] >= '0' && v[i] <= '9')
		i++;
	dctl_set_typed(o, key, n > 0 && n <= 18 && i == n ? F_INT : F_STR, v,
	    n);
}

/* The reply's KEY=VALUE lines into o; a key seen before is skipped. */
void
dctl_pairs_object(const char *reply, size_t len, json_t *o)
{
	const struct field *f;
	struct proto_rd r;
	const char *line, *eq;
	char key[64];
	size_t n, k;

	proto_rd_init(&r, reply, len);
	while (proto_ctl_next_line(&r, &line, &n) == 0) {
		if ((eq = memchr(line, '=', n)) == NULL ||
		    (k = (size_t)(eq - line)) == 0 || k >= sizeof(key))
			continue;
		memcpy(key, line, k);
		key[k] = '\0';
		if (json_object_get(o, key) != NULL)
			continue;
		if ((f = field_of(key, k)) != NULL)
			dctl_set_typed(o, key, f->t, eq + 1, n - k - 1);
		else
			set_untyped(o, key, eq + 1, n - k - 1);
	}
}

/* Print KEY=VALUE lines (but "ok") as text, times as dates, or as one
 * JSON object.  PROTO_ERR_IO if the output failed. */
int
dctl_print_pairs(const char *reply, size_t len, int json)
{
	struct proto_rd r;
	const struct field *f;
	const char *line, *eq;
	char d[TJ_DATE_MAX], buf[PROTO_NUM_MAX_DIGITS + 2];
	uint64_t t;
	size_t n, k;
	json_t *o;

	if (json) {
		o = tj_object();
		dctl_pairs_object(reply, len, o);
		return tj_print(o);
	}
	proto_rd_init(&r, reply, len);
	while (proto_ctl_next_line(&r, &line, &n) == 0) {
		if ((eq = memchr(line, '=', n)) == NULL)
			continue;
		k = (size_t)(eq - line);
		f = field_of(line, k);
		if (f != NULL && f->t == F_TIME && n - k - 1 < sizeof(buf)) {
			memcpy(buf, eq + 1, n - k - 1);
			buf[n - k - 1] = '\0';
			tj_date(proto_parse_u64(buf, 0, INT64_MAX, &t) == 0 ?
				(int64_t)t :
				0,
			    d);
			printf("%-16.*s %s\n", (int)k, line, d);
		} else {
			printf("%-16.*s %.*s\n", (int)k, line, (int)(n - k - 1),
			    eq + 1);
		}
	}
	return util_flush();
}

/* status: every status field, null where the reply has none. */
int
dctl_print_status(const char *reply, size_t len, int json)
{
	json_t *o;

	if (!json)
		return dctl_print_pairs(reply, len, 0);
	o = tj_object();
	dctl_pairs_object(reply, len, o);
	for (size_t i = 0; i < N_STATUS_FIELDS; i++)
		if (json_object_get(o, fields[i].key) == NULL)
			dctl_set_typed(o, fields[i].key, fields[i].t, "", 0);
	return tj_print(o);
}

/* Split line (modified in place) into dctl_words; -1 unless there are n. */
int
dctl_split(char *line, char **w, int n)
{
	char *save = NULL;
	int k = 0;

	for (char *t = strtok_r(line, " ", &save); t != NULL;
	     t = strtok_r(NULL, " ", &save)) {
		if (k == n)
			return -1;
		w[k++] = t;
	}
	return k == n ? 0 : -1;
}

/*
 * The first n dctl_words of line (dctl_split in place), and the rest of it after
 * them (dctl_words and all): NULL unless there are n dctl_words and a rest.
 */
const char *
dctl_words(char *line, char **w, int n)
{
	char *p = line, *sp;

	for (int i = 0; i < n; i++) {
		if ((sp = strchr(p, ' ')) == NULL || sp == p)
			return NULL;
		*sp = '\0';
		w[i] = p;
		p = sp + 1;
	}
	return p;
}

/* The values of the reply's lines "prefix..." (NUL-terminated, in buf),
 * one at a time: 0 while there is one. */
int
dctl_next_value(struct proto_rd *r, const char *prefix, char *buf, size_t cap)
{
	size_t n, k = strlen(prefix);
	const char *line;

	while (proto_ctl_next_line(r, &line, &n) == 0) {
		if (n < k || n - k >= cap || memcmp(line, prefix, k) != 0)
			continue;
		memcpy(buf, line + k, n - k);
		buf[n - k] = '\0';
		return 0;
	}
	return -1;
}
