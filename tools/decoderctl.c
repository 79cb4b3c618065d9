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
#include "dctl.h"
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
	while (dctl_next_value(&r, "block=", buf, sizeof(buf)) == 0) {
		if ((reason = dctl_words(buf, w, 3)) == NULL ||
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
	{ "status", dctl_print_status, 1 },
	{ "m1", dctl_print_m1, 1 },
	{ "quarantine", dctl_print_quarantine, 1 },
	{ "tune", dctl_print_tune, 1 },
	{ "emm", dctl_print_pairs, 1 },
	{ "buy", dctl_print_pairs, 1 },
	{ "metrics", dctl_print_metrics, 0 },
	{ "uplink", dctl_print_uplink, 1 },
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

	util_out_init("decoderctl");
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
	rc = util_printed(o.who,
	    p->print != NULL ? p->print(r.text, r.len, o.json) : 0);
	/* said even when the output was cut: stderr still reaches someone */
	if (strcmp(o.pos[0], "uplink") == 0 &&
	    say_rejected(o.who, r.text, r.len) > 0)
		rc = UTIL_EXIT_FAIL;
	client_reply_free(&r);
	return rc;
}
