/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * card_apdu: run command APDUs on a card image in this process (the card
 * runtime and its applets, no pcscd), for tests of the command lines that
 * need what a card answers -- a block for `headend open`, say.  Prints
 * each response (data and SW) in hex, one per line; the image keeps what
 * the card commits.
 *
 * usage: card_apdu IMAGE HEXAPDU...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../card/applets.h"
#include "../../card/runtime.h"
#include "../../card/store.h"
#include "../../proto/apdu.h"
#include "../../proto/buf.h"
#include "../../proto/proto.h"

/* A response of 65536 data bytes and SW. */
#define RESP_MAX (PROTO_APDU_EXT_MAX_NE + 2)

struct session {
	struct card_store *store;
	struct card_rt *rt;
	uint8_t cmd[PROTO_APDU_MAX_CMD_LEN];
	uint8_t resp[RESP_MAX];
	char hex[2 * RESP_MAX + 1];
};

static int
run(struct session *s, const char *hex)
{
	size_t len = strlen(hex) / 2, n;

	if (strlen(hex) % 2 != 0 || len > sizeof(s->cmd) ||
	    proto_unhex(hex, strlen(hex), s->cmd, len) != 0) {
		fprintf(stderr, "card_apdu: run: not an APDU in hex: %s\n",
		    hex);
		return PROTO_ERR_FORMAT;
	}
	n = card_rt_transmit(s->rt, s->cmd, len, s->resp, sizeof(s->resp));
	proto_hex(s->resp, n, s->hex);
	printf("%s\n", s->hex);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct card_applet *const *apps;
	struct session *s;
	size_t napps;
	int rc = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: card_apdu IMAGE HEXAPDU...\n");
		return 2;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return 1;
	apps = card_applets(&napps);
	if (card_store_open(argv[1], &s->store) != 0 ||
	    card_rt_new(s->store, apps, napps, &s->rt) != 0) {
		fprintf(stderr, "card_apdu: main: cannot open %s\n", argv[1]);
		goto out;
	}
	for (int i = 2; i < argc; i++)
		if (run(s, argv[i]) != 0)
			goto out;
	rc = 0;
out:
	card_rt_free(&s->rt);
	card_store_free(&s->store);
	free(s);
	return rc;
}
