/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decoderctl: inspect and drive a running decoderd.
 *
 *   decoderctl status [--json]   reader, card, lock, last export, M1
 *   decoderctl export            export the card into M1 now
 *   decoderctl m1 [--json]       M1's entries (what the decoder can read)
 *   decoderctl quarantine [--json]   M1 entries the center rejected for
 *                                good, moved out of M1
 *   decoderctl tune CHANNEL [--json]   feed the channel's ECMs to the card
 *   decoderctl emm [--json]      feed the broadcast's EMMs for the card now
 *   decoderctl buy EVENT [--json]      impulse purchase of an offered event
 *   decoderctl metrics           the daemon's metrics, Prometheus text
 *   decoderctl uplink [--json]   a session with the center now
 *
 * uplink exits 1 when the session failed, and also when it went through
 * but the center rejected a block: each rejected block is named on
 * standard error with the center's reason, so a script (or the operator
 * following the README) cannot take a dead entry for a delivered one.
 * uplink --cut-after N is fault injection for the tests (the line cut
 * after N messages): accepted, never shown in the usage or the manual.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/buf.h"
#include "../proto/ctl.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "client.h"
#include "json.h"
#include "usage.h"
#include "util.h"

#define DEFAULT_SOCKET "/run/decoderd/decoderd.sock"
#define CALL_TIMEOUT_MS 120000
#define CUT_MAX 1000 /* as decoderd takes it */

struct opts {
	const char *socket;
	const char *cut;
	int json;
	const char *pos[3];
	int npos;
	char who[UTIL_WHO_MAX]; /* "decoderctl COMMAND", for errors */
};

static const char usage_text[] =
    "usage: decoderctl [-S|--socket PATH] COMMAND\n"
    "  status [--json]    the daemon, the card, M1\n"
    "  export             export the card into M1 now\n"
    "  m1 [--json]        M1's entries\n"
    "  quarantine [--json]  entries the center rejected for good\n"
    "  tune CHANNEL [--json]   feed the channel's ECMs to the card\n"
    "  emm [--json]       feed the broadcast's EMMs to the card now\n"
    "  buy EVENT [--json]      buy an event the card offered\n"
    "  metrics            the daemon's metrics (Prometheus text)\n"
    "  uplink [--json]    a session with the center now\n"
    "The socket is $DECODERD_SOCKET or " DEFAULT_SOCKET ".\n"
    "  -h, --help: this text;  -V, --version: the version\n";

/* A usage error: why, naming the command (when there is one) and its
 * synopsis. */
_Noreturn static void
usage(const struct opts *o, const char *why)
{
	usage_error("decoderctl", usage_text, o->npos > 0 ? o->pos[0] : NULL,
	    "%s", why);
}

static void
parse(int argc, char **argv, struct opts *o)
{
	const char *env = getenv("DECODERD_SOCKET");

	o->socket = env != NULL ? env : DEFAULT_SOCKET;
	for (int i = 1; i < argc; i++) {
		util_help_version("decoderctl", argv[i], usage_text);
		if (strcmp(argv[i], "--json") == 0)
			o->json = 1;
		else if (strcmp(argv[i], "--cut-after") == 0 && i + 1 < argc)
			o->cut = argv[++i];
		else if ((strcmp(argv[i], "-S") == 0 ||
			     strcmp(argv[i], "--socket") == 0) &&
		    i + 1 < argc)
			o->socket = argv[++i];
		else if (argv[i][0] != '-' && o->npos < 3)
			o->pos[o->npos++] = argv[i];
		else
			usage_arg("decoderctl", usage_text,
			    o->npos > 0 ? o->pos[0] : NULL, argv[i]);
	}
	if (o->npos == 0)
		usage(o, "no command given");
	util_who(o->who, "decoderctl", o->pos[0]);
}

/*
 * decoderd's replies are KEY=VALUE lines; --json makes them one object
 * of the tools' schema (json.h): each key of a reply with its type, a
 * time as NAME and NAME_iso, yes/no as a boolean, the lines a reply
 * repeats (an uplink's blocks, a tune's ECMs) as an array of objects.
 * A key this table does not know (a newer decoderd) is a string, or a
 * number when it is one.
 */
enum ftype { F_STR, F_INT, F_BOOL, F_TIME };

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
static void
set_typed(json_t *o, const char *key, enum ftype t, const char *v, size_t n)
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
	set_typed(o, key, n > 0 && n <= 18 && i == n ? F_INT : F_STR, v, n);
}

/* The reply's KEY=VALUE lines into o; a key seen before is skipped. */
static void
pairs_object(const char *reply, size_t len, json_t *o)
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
			set_typed(o, key, f->t, eq + 1, n - k - 1);
		else
			set_untyped(o, key, eq + 1, n - k - 1);
	}
}

/* Print KEY=VALUE lines (but "ok") as text, times as dates, or as one
 * JSON object.  Non-zero if the output failed. */
static int
print_pairs(const char *reply, size_t len, int json)
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
		pairs_object(reply, len, o);
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
	return fflush(stdout) != 0;
}

/* status: every status field, null where the reply has none. */
static int
print_status(const char *reply, size_t len, int json)
{
	json_t *o;

	if (!json)
		return print_pairs(reply, len, 0);
	o = tj_object();
	pairs_object(reply, len, o);
	for (size_t i = 0; i < N_STATUS_FIELDS; i++)
		if (json_object_get(o, fields[i].key) == NULL)
			set_typed(o, fields[i].key, fields[i].t, "", 0);
	return tj_print(o);
}

/* One M1 entry as decoderd lists it: "entry=UA STATE SEQ BYTES AT KIND CHG". */
struct m1_entry {
	const char *ua, *state, *kind;
	uint32_t seq, size, change;
	uint64_t at;
};

/* Split line (modified in place) into words; -1 unless there are n. */
static int
split(char *line, char **w, int n)
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
 * The first n words of line (split in place), and the rest of it after
 * them (words and all): NULL unless there are n words and a rest.
 */
static const char *
words(char *line, char **w, int n)
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

/* Split line (modified in place) into an entry; -1 if it is not one. */
static int
m1_entry_parse(char *line, struct m1_entry *e)
{
	char *f[7];

	if (split(line, f, 7) != 0 || strlen(f[0]) > 16 || strlen(f[1]) > 8 ||
	    strlen(f[5]) > 7 ||
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

/* The values of the reply's lines "prefix..." (NUL-terminated, in buf),
 * one at a time: 0 while there is one. */
static int
next_value(struct proto_rd *r, const char *prefix, char *buf, size_t cap)
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

static int
print_m1(const char *reply, size_t len, int json)
{
	struct proto_rd r;
	struct m1_entry e;
	char buf[256], d[TJ_DATE_MAX];
	json_t *a = json ? tj_array() : NULL;

	proto_rd_init(&r, reply, len);
	if (!json)
		printf("%-16s %-8s %6s %6s %-20s %-6s %s\n", "UA", "STATE",
		    "SEQ", "BYTES", "EXPORTED", "KIND", "CHANGE");
	while (next_value(&r, "entry=", buf, sizeof(buf)) == 0) {
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
	return json ? tj_print(a) : fflush(stdout) != 0;
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

	if ((e->name = words(line, f, 6)) == NULL || strlen(f[0]) > 16 ||
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
static int
print_quarantine(const char *reply, size_t len, int json)
{
	struct proto_rd r;
	struct quar_entry e;
	char buf[512], d[TJ_DATE_MAX], d2[TJ_DATE_MAX];
	json_t *a = json ? tj_array() : NULL;

	proto_rd_init(&r, reply, len);
	if (!json)
		printf("%-16s %6s %-6s %-20s %-20s %6s %s\n", "UA", "SEQ",
		    "REASON", "QUARANTINED", "STORED", "BYTES", "WHY");
	while (next_value(&r, "entry=", buf, sizeof(buf)) == 0) {
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
	return json ? tj_print(a) : fflush(stdout) != 0;
}

/* metrics: the Prometheus text, each line of it in an "m=" value. */
static int
print_metrics(const char *reply, size_t len, int json)
{
	struct proto_rd r;
	char buf[1024];

	(void)json;
	proto_rd_init(&r, reply, len);
	while (next_value(&r, "m=", buf, sizeof(buf)) == 0)
		printf("%s\n", buf);
	return fflush(stdout) != 0;
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
	} else if (split(sp + 1, w, 3) == 0 && strcmp(w[0], "offer") == 0) {
		tj_set_str(o, "outcome", "offer");
		set_typed(o, "event", F_INT, w[1], strlen(w[1]));
		set_typed(o, "price", F_INT, w[2], strlen(w[2]));
	} else {
		tj_set_str(o, "outcome", sp + 1);
	}
	return o;
}

static int
print_tune(const char *reply, size_t len, int json)
{
	struct proto_rd r;
	char buf[512];
	json_t *a = json ? tj_array() : NULL, *e;

	proto_rd_init(&r, reply, len);
	while (next_value(&r, "ecm=", buf, sizeof(buf)) == 0) {
		if (!json)
			printf("%s\n", buf);
		else if ((e = ecm_object(buf)) != NULL)
			tj_append(a, e);
	}
	return json ? tj_print(a) : fflush(stdout) != 0;
}

/* One line "block=UA SEQ RESULT REASON..." of an uplink. */
static json_t *
block_object(char *v)
{
	char *w[3];
	const char *reason;
	json_t *o;

	if ((reason = words(v, w, 3)) == NULL)
		return NULL;
	o = tj_object();
	tj_set_str(o, "ua", w[0]);
	set_typed(o, "seq", F_INT, w[1], strlen(w[1]));
	tj_set_str(o, "result", w[2]);
	tj_set_str(o, "reason", reason);
	return o;
}

/*
 * uplink: "blocks", each block's result (ua, seq, result, reason), once;
 * "present_unread" (null, or why the present card's blocks could not be
 * read); the session's counts.
 */
static int
print_uplink(const char *reply, size_t len, int json)
{
	struct proto_rd r;
	char buf[512];
	json_t *o, *a, *b;

	if (!json)
		return print_pairs(reply, len, 0);
	o = tj_object();
	a = tj_array();
	proto_rd_init(&r, reply, len);
	while (next_value(&r, "block=", buf, sizeof(buf)) == 0)
		if ((b = block_object(buf)) != NULL)
			tj_append(a, b);
	tj_set(o, "blocks", a);
	proto_rd_init(&r, reply, len);
	if (next_value(&r, "present=unread: ", buf, sizeof(buf)) == 0)
		tj_set_str(o, "present_unread", buf);
	else
		tj_set(o, "present_unread", json_null());
	pairs_object(reply, len, o);
	json_object_del(o, "block");
	json_object_del(o, "present");
	return tj_print(o);
}

/*
 * An uplink's blocks the center rejected ("block=UA SEQ rejected
 * REASON..." lines), each named on stderr: how many.
 */
static int
say_rejected(const char *who, const char *reply, size_t len)
{
	struct proto_rd r;
	char buf[512], *w[3];
	const char *reason;
	int rejected = 0;

	proto_rd_init(&r, reply, len);
	while (next_value(&r, "block=", buf, sizeof(buf)) == 0) {
		if ((reason = words(buf, w, 3)) == NULL ||
		    strcmp(w[2], "rejected") != 0)
			continue;
		fprintf(stderr,
		    "%s: the center rejected block %s of card %s: %s\n", who,
		    w[1], w[0], reason);
		rejected++;
	}
	return rejected;
}

/*
 * The request for the command line's command; numbers are checked here
 * so a typo is named before anything is sent.
 */
static int
request(const struct opts *o, char *req, size_t cap)
{
	const char *cmd = o->pos[0];
	uint32_t v;

	if ((strcmp(cmd, "status") == 0 || strcmp(cmd, "export") == 0 ||
		strcmp(cmd, "m1") == 0 || strcmp(cmd, "metrics") == 0 ||
		strcmp(cmd, "quarantine") == 0 || strcmp(cmd, "emm") == 0) &&
	    o->npos == 1) {
		snprintf(req, cap, "%s", cmd);
		return 0;
	}
	if (strcmp(cmd, "tune") == 0 && o->npos == 2) {
		if (util_arg_u32(o->who, "CHANNEL", o->pos[1], 0, 0xffff, &v) !=
		    0)
			return UTIL_EXIT_USAGE;
		snprintf(req, cap, "tune %u", v);
		return 0;
	}
	if (strcmp(cmd, "buy") == 0 && o->npos == 2) {
		if (util_arg_u32(o->who, "EVENT", o->pos[1], 0, UINT32_MAX,
			&v) != 0)
			return UTIL_EXIT_USAGE;
		snprintf(req, cap, "buy %u", v);
		return 0;
	}
	if (strcmp(cmd, "uplink") == 0 && o->npos == 1) {
		if (o->cut == NULL) {
			snprintf(req, cap, "uplink");
			return 0;
		}
		if (util_arg_u32(o->who, "--cut-after", o->cut, 0, CUT_MAX,
			&v) != 0)
			return UTIL_EXIT_USAGE;
		snprintf(req, cap, "uplink cut=%u", v);
		return 0;
	}
	usage_cmd("decoderctl", usage_text, cmd);
}

/* The commands with an output, how it is printed, whether as JSON too. */
static const struct printer {
	const char *cmd;
	int (*print)(const char *reply, size_t len, int json);
	int json;
} printers[] = {
	{ "status", print_status, 1 },
	{ "m1", print_m1, 1 },
	{ "quarantine", print_quarantine, 1 },
	{ "tune", print_tune, 1 },
	{ "emm", print_pairs, 1 },
	{ "buy", print_pairs, 1 },
	{ "metrics", print_metrics, 0 },
	{ "uplink", print_uplink, 1 },
	{ NULL, NULL, 0 },
};

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct client_reply r;
	const struct printer *p;
	char req[64];
	int rc;

	parse(argc, argv, &o);
	for (p = printers; p->cmd != NULL; p++)
		if (strcmp(p->cmd, o.pos[0]) == 0)
			break;
	if (o.json && !p->json)
		return util_no_json(o.who);
	if ((rc = request(&o, req, sizeof(req))) != 0)
		return rc;
	if (client_call(o.who, "decoderd", o.socket, req, CALL_TIMEOUT_MS,
		&r) != 0)
		return UTIL_EXIT_FAIL;
	rc = p->print != NULL ? p->print(r.text, r.len, o.json) : 0;
	if (rc == 0 && strcmp(o.pos[0], "uplink") == 0 &&
	    say_rejected(o.who, r.text, r.len) > 0)
		rc = UTIL_EXIT_FAIL;
	else if (rc != 0)
		fprintf(stderr, "%s: cannot print the reply\n", o.who);
	client_reply_free(&r);
	return rc != 0 ? UTIL_EXIT_FAIL : 0;
}
