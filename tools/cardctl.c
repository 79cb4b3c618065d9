/*
 * cardctl: make card images and drive a running vcard.
 *
 *   cardctl new FILE [--serial HEX16]   a blank card with the identity applet
 *   cardctl insert FILE                 insert an image into vcard
 *   cardctl eject                       remove the card
 *   cardctl swap FILE                   remove the card, insert another
 *   cardctl status [--json]             what vcard holds
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../card/applets.h"
#include "../card/runtime.h"
#include "../card/store.h"
#include "../proto/crypto.h"
#include "../proto/ctl.h"
#include "../proto/proto.h"
#include "util.h"

#define DEFAULT_SOCKET "/run/vcard.sock"

struct opts {
	const char *socket;
	const char *serial;
	int json;
	const char *pos[4];
	int npos;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: cardctl [-S socket] COMMAND [ARGS]\n"
	    "  new FILE [--serial HEX]   create a blank card image\n"
	    "  insert FILE               insert FILE into the running vcard\n"
	    "  eject                     remove the inserted card\n"
	    "  swap FILE                 remove the card and insert FILE\n"
	    "  status [--json]           show what vcard holds\n"
	    "The socket is $VCARD_SOCKET or " DEFAULT_SOCKET ".\n");
	exit(2);
}

static void
parse(int argc, char **argv, struct opts *o)
{
	const char *env = getenv("VCARD_SOCKET");

	o->socket = env != NULL ? env : DEFAULT_SOCKET;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			usage();
		else if (strcmp(a, "--json") == 0)
			o->json = 1;
		else if ((strcmp(a, "-S") == 0 || strcmp(a, "--socket") == 0) &&
		    i + 1 < argc)
			o->socket = argv[++i];
		else if (strcmp(a, "--serial") == 0 && i + 1 < argc)
			o->serial = argv[++i];
		else if (a[0] == '-' && a[1] != '\0')
			usage();
		else if (o->npos < 4)
			o->pos[o->npos++] = a;
		else
			usage();
	}
	if (o->npos == 0)
		usage();
}

static int
cmd_new(const struct opts *o)
{
	struct card_store *s = NULL;
	uint8_t serial[CARD_SERIAL_LEN];
	int rc;

	if (o->npos != 2)
		usage();
	if (o->serial != NULL) {
		if (util_hex_decode(o->serial, serial, sizeof(serial)) != 0) {
			fprintf(stderr, "cardctl: --serial wants %d hex digits: "
			    "%s\n", 2 * CARD_SERIAL_LEN, o->serial);
			return 2;
		}
	} else if (proto_random(serial, sizeof(serial)) != 0) {
		fprintf(stderr, "cardctl: no random bytes\n");
		return 1;
	}
	if ((rc = card_store_create(o->pos[1], serial, &s)) != 0) {
		fprintf(stderr, "cardctl: cannot create %s: %s\n", o->pos[1],
		    rc == PROTO_ERR_IO ? strerror(errno) : proto_strerror(rc));
		return 1;
	}
	rc = card_rt_install(s, &card_ident_applet);
	card_store_free(&s);
	if (rc != 0) {
		fprintf(stderr, "cardctl: cannot install the identity applet "
		    "in %s: %s\n", o->pos[1], proto_strerror(rc));
		return 1;
	}
	return 0;
}

/* Send a request; print the daemon's error and return 1 on failure. */
static int
call(const struct opts *o, const char *req, char **reply, size_t *len)
{
	const char *msg;
	size_t mlen;
	int rc;

	rc = proto_ctl_call(o->socket, req, PROTO_CTL_TIMEOUT_MS + 60000,
	    reply, len);
	if (rc == PROTO_ERR_NOTFOUND) {
		fprintf(stderr, "cardctl: vcard is not running (no daemon at "
		    "%s)\n", o->socket);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "cardctl: %s: %s\n", o->socket,
		    proto_strerror(rc));
		return 1;
	}
	rc = proto_ctl_reply_status(*reply, *len, &msg, &mlen);
	if (rc == PROTO_ERR_STATE) {
		fprintf(stderr, "cardctl: %.*s\n", (int)mlen, msg);
	} else if (rc != 0) {
		fprintf(stderr, "cardctl: malformed reply from %s\n",
		    o->socket);
	}
	if (rc != 0) {
		free(*reply);
		*reply = NULL;
		return 1;
	}
	return 0;
}

static int
cmd_simple(const struct opts *o, const char *verb, int with_file)
{
	char req[PROTO_CTL_REQUEST_MAX], abs[PATH_MAX], *reply = NULL;
	size_t len;
	int rc;

	if (o->npos != (with_file ? 2 : 1))
		usage();
	if (with_file) {
		if (realpath(o->pos[1], abs) == NULL) {
			fprintf(stderr, "cardctl: %s: %s\n", o->pos[1],
			    strerror(errno));
			return 1;
		}
		if (strchr(abs, '\n') != NULL ||
		    snprintf(req, sizeof(req), "%s %s", verb, abs) >=
		    (int)sizeof(req)) {
			fprintf(stderr, "cardctl: unusable path: %s\n", abs);
			return 1;
		}
	} else {
		snprintf(req, sizeof(req), "%s", verb);
	}
	rc = call(o, req, &reply, &len);
	free(reply);
	return rc;
}

static int
cmd_status(const struct opts *o)
{
	static const char *const keys[] = { "inserted", "image", "serial",
	    "reader", "host", "port", "apdus", "commits", "connects" };
	char *reply = NULL, val[PATH_MAX];
	size_t len;

	if (o->npos != 1)
		usage();
	if (call(o, "status", &reply, &len) != 0)
		return 1;
	if (o->json)
		printf("{");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (proto_ctl_reply_get(reply, len, keys[i], val,
		    sizeof(val)) != 0)
			val[0] = '\0';
		if (o->json) {
			printf("%s\"%s\":", i ? "," : "", keys[i]);
			if (strcmp(keys[i], "port") == 0 ||
			    strcmp(keys[i], "apdus") == 0 ||
			    strcmp(keys[i], "commits") == 0 ||
			    strcmp(keys[i], "connects") == 0)
				printf("%s", val[0] ? val : "0");
			else if (strcmp(keys[i], "inserted") == 0)
				printf("%s", strcmp(val, "yes") == 0 ?
				    "true" : "false");
			else
				util_json_string(stdout, val);
		} else {
			printf("%-9s %s\n", keys[i], val);
		}
	}
	if (o->json)
		printf("}\n");
	free(reply);
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	const char *cmd;

	parse(argc, argv, &o);
	cmd = o.pos[0];
	if (strcmp(cmd, "new") == 0)
		return cmd_new(&o);
	if (strcmp(cmd, "insert") == 0)
		return cmd_simple(&o, "insert", 1);
	if (strcmp(cmd, "swap") == 0)
		return cmd_simple(&o, "swap", 1);
	if (strcmp(cmd, "eject") == 0)
		return cmd_simple(&o, "eject", 0);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(&o);
	usage();
	return 2;
}
