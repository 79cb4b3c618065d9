/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decoderctl: the replies that are lists, as text (dates, not Unix
 * seconds) or JSON arrays and objects of the tools' schema (dctl.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../proto/buf.h"
#include "../proto/ctl.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "dctl.h"
#include "json.h"
#include "util.h"

/* One M1 entry as decoderd lists it: "entry=UA STATE SEQ BYTES AT KIND CHG". */
struct m1_entry {
	const char *ua, *state, *kind;
	uint32_t seq, size, change;
	uint64_t at;
};

/* Split line (modified in place) into an entry; -1 if it is not one. */
static int
m1_entry_parse(char *line, struct m1_entry *e)
{
	char *f[7];

	if (dctl_split(line, f, 7) != 0 || strlen(f[0]) > 16 ||
	    strlen(f[1]) > 8 || strlen(f[5]) > 7 ||
	    proto_parse_u32(f[2], 0, UINT32_MAX, &e->seq) != 0 ||
	    proto_parse_u32(f[3], 0, UINT32_MAX, &e->size) != 0 ||
	    proto_parse_u64(f[4], 0, INT64_MAX, &e->at) != 0 ||
	    proto_parse_u32(f[6], 0, UINT32_MAX, &e->change) != 0)
		return -1;
	e->ua = f[0];
	e->state = f[1];
	e->kind = f[5];
	return 0;
}

static json_t *
m1_object(const struct m1_entry *e)
{
	json_t *o = tj_object();

	tj_set_str(o, "ua", e->ua);
	tj_set_str(o, "state", e->state);
	tj_set_int(o, "seq", e->seq);
	tj_set_int(o, "bytes", e->size);
	tj_set_time(o, "exported_at", (int64_t)e->at);
	tj_set_str(o, "kind", e->kind);
	tj_set_int(o, "change_ctr", e->change);
	return o;
}

int
dctl_print_m1(const char *reply, size_t len, int json)
{
	struct proto_rd r;
	struct m1_entry e;
	char buf[256], d[TJ_DATE_MAX];
	json_t *a = json ? tj_array() : NULL;

	proto_rd_init(&r, reply, len);
	if (!json)
		printf("%-16s %-8s %6s %6s %-20s %-6s %s\n", "UA", "STATE",
		    "SEQ", "BYTES", "EXPORTED", "KIND", "CHANGE");
	while (dctl_next_value(&r, "entry=", buf, sizeof(buf)) == 0) {
		if (m1_entry_parse(buf, &e) != 0)
			continue;
		if (json) {
			tj_append(a, m1_object(&e));
			continue;
		}
		tj_date((int64_t)e.at, d);
		printf("%-16s %-8s %6u %6u %-20s %-6s %u\n", e.ua, e.state,
		    e.seq, e.size, d, e.kind, e.change);
	}
	return json ? tj_print(a) : util_flush();
}

/*
 * One quarantined entry as decoderd lists it:
 * "entry=UA SEQ REASON QUARANTINED_AT STORED_AT BYTES REASON'S NAME".
 */
struct quar_entry {
	const char *ua, *name;
	uint32_t seq, size;
	uint8_t reason;
	uint64_t at, stored;
};

static int
quar_entry_parse(char *line, struct quar_entry *e)
{
	char *f[6];

	if ((e->name = dctl_words(line, f, 6)) == NULL || strlen(f[0]) > 16 ||
	    strlen(f[2]) != 2 ||
	    proto_parse_u32(f[1], 0, UINT32_MAX, &e->seq) != 0 ||
	    proto_unhex(f[2], 2, &e->reason, 1) != 0 ||
	    proto_parse_u64(f[3], 0, INT64_MAX, &e->at) != 0 ||
	    proto_parse_u64(f[4], 0, INT64_MAX, &e->stored) != 0 ||
	    proto_parse_u32(f[5], 0, UINT32_MAX, &e->size) != 0)
		return -1;
	e->ua = f[0];
	return 0;
}

/* A reason as the center's rejected blocks show it: code and text. */
static json_t *
quar_object(const struct quar_entry *e)
{
	json_t *o = tj_object();

	tj_set_str(o, "ua", e->ua);
	tj_set_int(o, "seq", e->seq);
	tj_set_int(o, "code", e->reason);
	tj_set_str(o, "reason", e->name);
	tj_set_time(o, "quarantined_at", (int64_t)e->at);
	tj_set_time(o, "stored_at", (int64_t)e->stored);
	tj_set_int(o, "bytes", e->size);
	return o;
}

/* quarantine: an array of entries (the count dropped is in the text). */
int
dctl_print_quarantine(const char *reply, size_t len, int json)
{
	struct proto_rd r;
	struct quar_entry e;
	char buf[512], d[TJ_DATE_MAX], d2[TJ_DATE_MAX];
	json_t *a = json ? tj_array() : NULL;

	proto_rd_init(&r, reply, len);
	if (!json)
		printf("%-16s %6s %-6s %-20s %-20s %6s %s\n", "UA", "SEQ",
		    "REASON", "QUARANTINED", "STORED", "BYTES", "WHY");
	while (dctl_next_value(&r, "entry=", buf, sizeof(buf)) == 0) {
		if (quar_entry_parse(buf, &e) != 0)
			continue;
		if (json) {
			tj_append(a, quar_object(&e));
			continue;
		}
		tj_date((int64_t)e.at, d);
		tj_date((int64_t)e.stored, d2);
		printf("%-16s %6u %02X     %-20s %-20s %6u %s\n", e.ua, e.seq,
		    e.reason, d, d2, e.size, e.name);
	}
	return json ? tj_print(a) : util_flush();
}

/* metrics: the Prometheus text, each line of it in an "m=" value. */
int
dctl_print_metrics(const char *reply, size_t len, int json)
{
	struct proto_rd r;
	char buf[1024];

	(void)json;
	proto_rd_init(&r, reply, len);
	while (dctl_next_value(&r, "m=", buf, sizeof(buf)) == 0)
		printf("%s\n", buf);
	return util_flush();
}

/* One line "ecm=N OUTCOME [EVENT PRICE | ERROR]" of a tune. */
static json_t *
ecm_object(char *v)
{
	char *sp, *w[4];
	uint32_t n;
	json_t *o;

	if ((sp = strchr(v, ' ')) == NULL)
		return NULL;
	*sp = '\0';
	if (proto_parse_u32(v, 1, UINT32_MAX, &n) != 0)
		return NULL;
	o = tj_object();
	tj_set_int(o, "ecm", n);
	if (strncmp(sp + 1, "error ", 6) == 0) {
		tj_set_str(o, "outcome", "error");
		tj_set_str(o, "error", sp + 7);
	} else if (dctl_split(sp + 1, w, 3) == 0 &&
	    strcmp(w[0], "offer") == 0) {
		tj_set_str(o, "outcome", "offer");
		dctl_set_typed(o, "event", F_INT, w[1], strlen(w[1]));
		dctl_set_typed(o, "price", F_INT, w[2], strlen(w[2]));
	} else {
		tj_set_str(o, "outcome", sp + 1);
	}
	return o;
}

int
dctl_print_tune(const char *reply, size_t len, int json)
{
	struct proto_rd r;
	char buf[512];
	json_t *a = json ? tj_array() : NULL, *e;

	proto_rd_init(&r, reply, len);
	while (dctl_next_value(&r, "ecm=", buf, sizeof(buf)) == 0) {
		if (!json)
			printf("%s\n", buf);
		else if ((e = ecm_object(buf)) != NULL)
			tj_append(a, e);
	}
	return json ? tj_print(a) : util_flush();
}

/* One line "block=UA SEQ RESULT REASON..." of an uplink. */
static json_t *
block_object(char *v)
{
	char *w[3];
	const char *reason;
	json_t *o;

	if ((reason = dctl_words(v, w, 3)) == NULL)
		return NULL;
	o = tj_object();
	tj_set_str(o, "ua", w[0]);
	dctl_set_typed(o, "seq", F_INT, w[1], strlen(w[1]));
	tj_set_str(o, "result", w[2]);
	tj_set_str(o, "reason", reason);
	return o;
}

/*
 * uplink: "blocks", each block's result (ua, seq, result, reason), once;
 * "present_unread" (null, or why the present card's blocks could not be
 * read); the session's counts.
 */
int
dctl_print_uplink(const char *reply, size_t len, int json)
{
	struct proto_rd r;
	char buf[512];
	json_t *o, *a, *b;

	if (!json)
		return dctl_print_pairs(reply, len, 0);
	o = tj_object();
	a = tj_array();
	proto_rd_init(&r, reply, len);
	while (dctl_next_value(&r, "block=", buf, sizeof(buf)) == 0)
		if ((b = block_object(buf)) != NULL)
			tj_append(a, b);
	tj_set(o, "blocks", a);
	proto_rd_init(&r, reply, len);
	if (dctl_next_value(&r, "present=unread: ", buf, sizeof(buf)) == 0)
		tj_set_str(o, "present_unread", buf);
	else
		tj_set(o, "present_unread", json_null());
	dctl_pairs_object(reply, len, o);
	json_object_del(o, "block");
	json_object_del(o, "present");
	return tj_print(o);
}
