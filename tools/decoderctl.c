/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decoderctl: inspect and drive a running decoderd.
 *
 *   decoderctl status [--json]   reader, card, lock, last export, M1
 *   decoderctl export            export the card into M1 now
 *   decoderctl m1 [--json]       M1's entries (what the decoder can read)
 *   decoderctl quarantine [--json]   M1 entries the center rejected for
 *                                good, moved out of M1
 *   decoderctl tune CHANNEL      feed the channel's ECMs to the card
 *   decoderctl emm [--json]      feed the broadcast's EMMs for the card now
 *   decoderctl buy EVENT         impulse purchase of an offered event
 *   decoderctl metrics           the daemon's metrics, Prometheus text
 *   decoderctl uplink [--cut-after N]   a session with the center now;
 *                                (--cut-after: fault injection for tests,
 *                                the line cut after N messages)
 *
 * uplink exits 1 when the session failed, and also when it went through
 * but the center rejected a block: each rejected block is named on
 * standard error with the center's reason, so a script (or the operator
 * following the README) cannot take a dead entry for a delivered one.
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
#include "util.h"

#define DEFAULT_SOCKET "/run/decoderd.sock"
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

static void
usage(void)
{
	fprintf(stderr,
	    "usage: decoderctl [-S socket] COMMAND\n"
	    "  status [--json]    the daemon, the card, M1\n"
	    "  export             export the card into M1 now\n"
	    "  m1 [--json]        M1's entries\n"
	    "  quarantine [--json]  entries the center rejected for good\n"
	    "  tune CHANNEL       feed the channel's ECMs to the card\n"
	    "  emm [--json]       feed the broadcast's EMMs to the card now\n"
	    "  buy EVENT          buy an event the card offered\n"
	    "  metrics            the daemon's metrics (Prometheus text)\n"
	    "  uplink [--cut-after N]  a session with the center now\n"
	    "The socket is $DECODERD_SOCKET or " DEFAULT_SOCKET ".\n");
	exit(2);
}

static void
parse(int argc, char **argv, struct opts *o)
{
	const char *env = getenv("DECODERD_SOCKET");

	o->socket = env != NULL ? env : DEFAULT_SOCKET;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			usage();
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
			usage(); /* an unknown option or one word too many */
	}
	if (o->npos == 0)
		usage();
	util_who(o->who, "decoderctl", o->pos[0]);
}

static int
is_number(const char *s, size_t n)
{
	if (n == 0 || n > 18)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Values of these keys stay strings even when they look like numbers. */
static int
string_key(const char *k, size_t n)
{
	return (n == 2 && memcmp(k, "ua", 2) == 0) ||
	    (n == 6 && memcmp(k, "reader", 6) == 0);
}

static void
json_value(const char *key, size_t klen, const char *v, size_t n)
{
	char buf[1024];

	if (!string_key(key, klen) && is_number(v, n)) {
		printf("%.*s", (int)n, v);
	} else if (n == 3 && memcmp(v, "yes", 3) == 0) {
		printf("true");
	} else if (n == 2 && memcmp(v, "no", 2) == 0) {
		printf("false");
	} else {
		snprintf(buf, sizeof(buf), "%.*s", (int)n, v);
		util_json_string(stdout, buf);
	}
}

/* Print KEY=VALUE lines (but "ok") as text or as one JSON object. */
static void
print_pairs(const char *reply, size_t len, int json)
{
	struct proto_rd r;
	const char *line, *eq;
	size_t n;
	int first = 1;

	proto_rd_init(&r, reply, len);
	if (json)
		printf("{");
	while (proto_ctl_next_line(&r, &line, &n) == 0) {
		if ((eq = memchr(line, '=', n)) == NULL)
			continue;
		if (json) {
			printf("%s\"%.*s\":", first ? "" : ",",
			    (int)(eq - line), line);
			json_value(line, (size_t)(eq - line), eq + 1,
			    n - (size_t)(eq - line) - 1);
		} else {
			printf("%-16.*s %.*s\n", (int)(eq - line), line,
			    (int)(n - (size_t)(eq - line) - 1), eq + 1);
		}
		first = 0;
	}
	if (json)
		printf("}\n");
}

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
	char *f[7], *save = NULL;
	int n = 0;

	for (char *t = strtok_r(line, " ", &save); t != NULL;
	     t = strtok_r(NULL, " ", &save)) {
		if (n == 7)
			return -1;
		f[n++] = t;
	}
	if (n != 7 || strlen(f[0]) > 16 || strlen(f[1]) > 8 ||
	    strlen(f[5]) > 7 ||
	    proto_parse_u32(f[2], 0, UINT32_MAX, &e->seq) != 0 ||
	    proto_parse_u32(f[3], 0, UINT32_MAX, &e->size) != 0 ||
	    proto_parse_u64(f[4], 0, UINT64_MAX, &e->at) != 0 ||
	    proto_parse_u32(f[6], 0, UINT32_MAX, &e->change) != 0)
		return -1;
	e->ua = f[0];
	e->state = f[1];
	e->kind = f[5];
	return 0;
}

/* The next "entry=" line's rest, copied into buf (cap bytes); 0: none. */
static int
next_entry(struct proto_rd *r, char *buf, size_t cap)
{
	const char *line;
	size_t n;

	while (proto_ctl_next_line(r, &line, &n) == 0) {
		if (n < 6 || n >= cap || memcmp(line, "entry=", 6) != 0)
			continue;
		memcpy(buf, line + 6, n - 6);
		buf[n - 6] = '\0';
		return 1;
	}
	return 0;
}

static void
print_m1(const char *reply, size_t len, int json)
{
	struct proto_rd r;
	struct m1_entry e;
	char buf[256];
	int k = 0;

	proto_rd_init(&r, reply, len);
	if (json)
		printf("[");
	else
		printf("%-16s %-8s %6s %6s %11s %-6s %s\n", "UA", "STATE",
		    "SEQ", "BYTES", "EXPORTED", "KIND", "CHANGE");
	while (next_entry(&r, buf, sizeof(buf))) {
		if (m1_entry_parse(buf, &e) != 0)
			continue;
		if (json)
			printf("%s{\"ua\":\"%s\",\"state\":\"%s\",\"seq\":%u,"
			       "\"bytes\":%u,\"exported_at\":%" PRIu64
			       ",\"kind\":\"%s\",\"change_ctr\":%u}",
			    k ? "," : "", e.ua, e.state, e.seq, e.size, e.at,
			    e.kind, e.change);
		else
			printf("%-16s %-8s %6u %6u %11" PRIu64 " %-6s %u\n",
			    e.ua, e.state, e.seq, e.size, e.at, e.kind,
			    e.change);
		k++;
	}
	if (json)
		printf("]\n");
}

/*
 * One quarantined entry as decoderd lists it:
 * "entry=UA SEQ REASON QUARANTINED_AT STORED_AT BYTES REASON'S NAME".
 */
struct quar_entry {
	const char *ua, *reason, *name;
	uint32_t seq, size;
	uint64_t at, stored;
};

static int
quar_entry_parse(char *line, struct quar_entry *e)
{
	char *f[6], *save = NULL;

	for (int i = 0; i < 6; i++)
		if ((f[i] = strtok_r(i == 0 ? line : NULL, " ", &save)) == NULL)
			return -1;
	e->name = strtok_r(NULL, "", &save);
	if (e->name == NULL || strlen(f[0]) > 16 || strlen(f[2]) != 2 ||
	    proto_parse_u32(f[1], 0, UINT32_MAX, &e->seq) != 0 ||
	    proto_parse_u64(f[3], 0, UINT64_MAX, &e->at) != 0 ||
	    proto_parse_u64(f[4], 0, UINT64_MAX, &e->stored) != 0 ||
	    proto_parse_u32(f[5], 0, UINT32_MAX, &e->size) != 0)
		return -1;
	e->ua = f[0];
	e->reason = f[2];
	return 0;
}

static void
print_quarantine(const char *reply, size_t len, int json)
{
	struct proto_rd r;
	struct quar_entry e;
	char buf[512];
	int k = 0;

	proto_rd_init(&r, reply, len);
	if (json)
		printf("[");
	else
		printf("%-16s %6s %-6s %11s %11s %6s %s\n", "UA", "SEQ",
		    "REASON", "QUARANTINED", "STORED", "BYTES", "WHY");
	while (next_entry(&r, buf, sizeof(buf))) {
		if (quar_entry_parse(buf, &e) != 0)
			continue;
		if (json) {
			printf("%s{\"ua\":\"%s\",\"seq\":%u,\"reason\":\"%s\","
			       "\"why\":",
			    k ? "," : "", e.ua, e.seq, e.reason);
			util_json_string(stdout, e.name);
			printf(",\"quarantined_at\":%" PRIu64
			       ",\"stored_at\":%" PRIu64 ",\"bytes\":%u}",
			    e.at, e.stored, e.size);
		} else {
			printf("%-16s %6u %-6s %11" PRIu64 " %11" PRIu64
			       " %6u %s\n",
			    e.ua, e.seq, e.reason, e.at, e.stored, e.size,
			    e.name);
		}
		k++;
	}
	if (json)
		printf("]\n");
}

static void
print_lines(const char *reply, size_t len, const char *prefix)
{
	struct proto_rd r;
	const char *line;
	size_t n, k = strlen(prefix);

	proto_rd_init(&r, reply, len);
	while (proto_ctl_next_line(&r, &line, &n) == 0)
		if (n > k && memcmp(line, prefix, k) == 0)
			printf("%.*s\n", (int)(n - k), line + k);
}

/*
 * An uplink's blocks the center rejected ("block=UA SEQ rejected
 * REASON..." lines), each named on stderr: how many.
 */
/* The next space-separated word of *p, NUL-terminated in place. */
static char *
word(char **p)
{
	char *w = *p, *sp;

	if ((sp = strchr(w, ' ')) == NULL) {
		*p = w + strlen(w);
	} else {
		*sp = '\0';
		*p = sp + 1;
	}
	return w;
}

static int
say_rejected(const char *who, const char *reply, size_t len)
{
	static const char tag[] = "block=";
	const size_t t = sizeof(tag) - 1;
	char buf[512], *p, *ua, *seq;
	struct proto_rd r;
	const char *line;
	size_t n;
	int rejected = 0;

	proto_rd_init(&r, reply, len);
	while (proto_ctl_next_line(&r, &line, &n) == 0) {
		if (n <= t || n - t >= sizeof(buf) || memcmp(line, tag, t) != 0)
			continue;
		memcpy(buf, line + t, n - t);
		buf[n - t] = '\0';
		/* UA SEQ RESULT REASON... */
		p = buf;
		ua = word(&p);
		seq = word(&p);
		if (strcmp(word(&p), "rejected") != 0)
			continue;
		fprintf(stderr,
		    "%s: the center rejected block %s of card %s: %s\n", who,
		    seq, ua, p);
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
	usage();
	return UTIL_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct client_reply r;
	char req[64];
	const char *cmd;
	int rc;

	parse(argc, argv, &o);
	cmd = o.pos[0];
	if ((rc = request(&o, req, sizeof(req))) != 0)
		return rc;
	if (client_call(o.who, "decoderd", o.socket, req, CALL_TIMEOUT_MS,
		&r) != 0)
		return UTIL_EXIT_FAIL;
	if (strcmp(cmd, "m1") == 0)
		print_m1(r.text, r.len, o.json);
	else if (strcmp(cmd, "quarantine") == 0)
		print_quarantine(r.text, r.len, o.json);
	else if (strcmp(cmd, "tune") == 0)
		print_lines(r.text, r.len, "ecm=");
	else if (strcmp(cmd, "metrics") == 0)
		print_lines(r.text, r.len, "m=");
	else if (strcmp(cmd, "export") != 0)
		print_pairs(r.text, r.len, o.json);
	if (strcmp(cmd, "uplink") == 0 && say_rejected(o.who, r.text, r.len))
		rc = UTIL_EXIT_FAIL;
	client_reply_free(&r);
	return rc;
}
