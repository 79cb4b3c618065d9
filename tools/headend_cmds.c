/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * headend: the operator's head-end test tool, holding the operator keys.
 *
 *   headend init DIR
 *   headend ecm DIR --channel C --event E --time T [--end T] [--sub]
 *           [--ppv PRICE] [--cw HEX64] [--count N --period S]
 *   headend cmd DIR --ua HEX --counter N unlock | ack SEQ | reload AMOUNT
 *           | grant CHANNEL EXPIRY | revoke CHANNEL
 *   headend open DIR REGISTRATION [--json] HEXBLOCK|-
 *
 * ECMs and commands are printed in hex, one per line.  "open" verifies a
 * block against the card's registration record, decrypts it with the
 * transmission key re-derived from the master secret, and prints M2.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/proto.h"
#include "../proto/sm.h"
#include "headend.h"
#include "keys.h"
#include "util.h"

#define MAX_ARGS 8
#define HEX_IN_MAX (2 * PROTO_BLOCK_MAX + 2)

struct opts {
	const char *pos[MAX_ARGS];
	int npos;
	const char *channel, *event, *time, *end, *ppv, *cw, *ua, *counter;
	const char *count, *period;
	int sub, json;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: headend init DIR\n"
	    "       headend ecm DIR --channel C --event E --time T [--end T]\n"
	    "               [--sub] [--ppv PRICE] [--cw HEX64] "
	    "[--count N --period S]\n"
	    "       headend cmd DIR --ua HEX --counter N unlock | ack SEQ |\n"
	    "               reload AMOUNT | grant CHANNEL EXPIRY | "
	    "revoke CHANNEL\n"
	    "       headend open DIR REGISTRATION [--json] HEXBLOCK|-\n");
	exit(2);
}

static const char **
opt_slot(struct opts *o, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} names[] = {
		{ "--channel", offsetof(struct opts, channel) },
		{ "--event", offsetof(struct opts, event) },
		{ "--time", offsetof(struct opts, time) },
		{ "--end", offsetof(struct opts, end) },
		{ "--ppv", offsetof(struct opts, ppv) },
		{ "--cw", offsetof(struct opts, cw) },
		{ "--ua", offsetof(struct opts, ua) },
		{ "--counter", offsetof(struct opts, counter) },
		{ "--count", offsetof(struct opts, count) },
		{ "--period", offsetof(struct opts, period) },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0)
			return (
			    const char **)(void *)((char *)o + names[i].off);
	return NULL;
}

static void
parse(int argc, char **argv, struct opts *o)
{
	const char **slot;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0)
			usage();
		else if (strcmp(argv[i], "--sub") == 0)
			o->sub = 1;
		else if (strcmp(argv[i], "--json") == 0)
			o->json = 1;
		else if ((slot = opt_slot(o, argv[i])) != NULL && i + 1 < argc)
			*slot = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			usage();
		else if (o->npos < MAX_ARGS)
			o->pos[o->npos++] = argv[i];
		else
			usage();
	}
	if (o->npos < 2)
		usage();
}

static uint32_t
num(const char *s, const char *what, uint32_t max)
{
	char *end;
	unsigned long long v;

	if (s == NULL) {
		fprintf(stderr, "headend: %s is required\n", what);
		exit(2);
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v > max) {
		fprintf(stderr, "headend: %s wants a number up to %u: %s\n",
		    what, max, s);
		exit(2);
	}
	return (uint32_t)v;
}

static void
print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02X", p[i]);
	printf("\n");
}

static int
cmd_ecm(const struct opts *o, const struct op_keys *k)
{
	struct proto_ecm e;
	uint8_t cw[PROTO_CW_LEN], ecm[PROTO_ECM_LEN];
	uint32_t count = o->count ? num(o->count, "--count", 1000000) : 1;
	uint32_t period = o->period ? num(o->period, "--period", 86400) : 10;

	memset(&e, 0, sizeof(e));
	e.channel = (uint16_t)num(o->channel, "--channel", 0xffff);
	e.event = num(o->event, "--event", UINT32_MAX);
	e.time = num(o->time, "--time", UINT32_MAX);
	e.event_end = o->end ? num(o->end, "--end", UINT32_MAX) : UINT32_MAX;
	e.flags = (uint8_t)((o->sub ? PROTO_ECM_SUBSCRIPTION : 0) |
	    (o->ppv ? PROTO_ECM_PPV : 0));
	e.price = o->ppv ? num(o->ppv, "--ppv", UINT32_MAX) : 0;
	if (!k->has_ecm) {
		fprintf(stderr, "headend: no ecm.key in %s\n", o->pos[1]);
		return 1;
	}
	for (uint32_t i = 0; i < count; i++) {
		if (o->cw != NULL) {
			if (util_hex_decode(o->cw, cw, sizeof(cw)) != 0) {
				fprintf(stderr,
				    "headend: --cw wants 64 hex "
				    "digits\n");
				return 2;
			}
		} else if (proto_random(cw, sizeof(cw)) != 0) {
			return 1;
		}
		if (proto_ecm_build(&e, cw, k->ecm, ecm) != 0) {
			fprintf(stderr, "headend: cannot build the ECM\n");
			return 1;
		}
		print_hex(ecm, sizeof(ecm));
		e.time += period;
	}
	proto_cleanse(cw, sizeof(cw));
	return 0;
}

static int
cmd_cmd(const struct opts *o, const struct op_keys *k)
{
	struct proto_cmd c;
	uint8_t buf[PROTO_CMD_MAX_LEN];
	struct proto_wr w;
	const char *verb;
	int want;

	if (o->npos < 3)
		usage();
	verb = o->pos[2];
	memset(&c, 0, sizeof(c));
	if (o->ua == NULL || util_hex_decode(o->ua, c.ua, PROTO_UA_LEN) != 0) {
		fprintf(stderr, "headend: --ua wants 16 hex digits\n");
		return 2;
	}
	c.counter = num(o->counter, "--counter", UINT32_MAX);
	if (strcmp(verb, "unlock") == 0) {
		c.type = PROTO_CMD_UNLOCK;
		want = 3;
	} else if (strcmp(verb, "ack") == 0 || strcmp(verb, "reload") == 0) {
		c.type = verb[0] == 'a' ? PROTO_CMD_ACK : PROTO_CMD_RELOAD;
		want = 4;
	} else if (strcmp(verb, "grant") == 0) {
		c.type = PROTO_CMD_GRANT;
		want = 5;
	} else if (strcmp(verb, "revoke") == 0) {
		c.type = PROTO_CMD_REVOKE;
		want = 4;
	} else {
		usage();
	}
	if (o->npos != want)
		usage();
	if (want >= 4)
		c.arg1 = num(o->pos[3], verb,
		    c.type == PROTO_CMD_GRANT || c.type == PROTO_CMD_REVOKE ?
			0xffff :
			UINT32_MAX);
	if (want == 5)
		c.arg2 = num(o->pos[4], "expiry", UINT32_MAX);
	if (!k->has_center_priv) {
		fprintf(stderr, "headend: no center.key in %s\n", o->pos[1]);
		return 1;
	}
	proto_wr_init(&w, buf, sizeof(buf));
	if (proto_cmd_sign(&c, k->center_priv, k->center_pub, &w) != 0) {
		fprintf(stderr, "headend: cannot sign the command\n");
		return 1;
	}
	print_hex(buf, proto_wr_len(&w));
	return 0;
}

static int
read_hex_arg(const char *arg, uint8_t *out, size_t cap, size_t *n)
{
	static char line[HEX_IN_MAX + 2];
	size_t len;

	if (strcmp(arg, "-") == 0) {
		if (fgets(line, sizeof(line), stdin) == NULL)
			return -1;
		line[strcspn(line, "\r\n")] = '\0';
		arg = line;
	}
	len = strlen(arg);
	if (len % 2 != 0 || len / 2 > cap ||
	    util_hex_decode(arg, out, len / 2) != 0)
		return -1;
	*n = len / 2;
	return 0;
}

static void
print_m2(const struct proto_block *b, const struct proto_m2 *m, int json)
{
	char ua[2 * PROTO_UA_LEN + 1];

	util_hex_encode(b->ua, PROTO_UA_LEN, ua);
	if (json) {
		printf("{\"kind\":\"%s\",\"ua\":\"%s\",\"seq\":%u,\"credit\":%"
		       "u,"
		       "\"locked\":%s,\"purchase_seq\":%u,\"acked_seq\":%u,"
		       "\"change_ctr\":%u,\"cws\":%u,\"denials\":%u,"
		       "\"purchases\":[",
		    b->kind == PROTO_BLOCK_EXPORT ? "export" : "uplink", ua,
		    b->seq, m->credit, m->locked ? "true" : "false",
		    m->purchase_seq, m->acked_seq, m->change_ctr, m->cws,
		    m->denials);
		for (unsigned i = 0; i < m->n_purchases; i++)
			printf("%s{\"seq\":%u,\"event\":%u,\"price\":%u}",
			    i ? "," : "", m->purchases[i].seq,
			    m->purchases[i].event, m->purchases[i].price);
		printf("]}\n");
		return;
	}
	printf("block %s ua %s seq %u: credit %u, %s, purchases %u..%u, "
	       "%u control words, %u denials\n",
	    b->kind == PROTO_BLOCK_EXPORT ? "export" : "uplink", ua, b->seq,
	    m->credit, m->locked ? "locked" : "unlocked", m->acked_seq + 1,
	    m->purchase_seq, m->cws, m->denials);
	for (unsigned i = 0; i < m->n_purchases; i++)
		printf("  purchase #%u event %u channel %u price %u at %u\n",
		    m->purchases[i].seq, m->purchases[i].event,
		    m->purchases[i].channel, m->purchases[i].price,
		    m->purchases[i].time);
}

static int
cmd_open(const struct opts *o, const struct op_keys *k)
{
	static uint8_t buf[PROTO_BLOCK_MAX];
	struct registration reg;
	struct proto_block b;
	struct proto_m2 m;
	uint8_t kt[PROTO_AES_KEY_LEN];
	size_t n;
	int rc;

	if (o->npos != 4)
		usage();
	if (reg_read(o->pos[2], &reg) != 0)
		return 1;
	if (read_hex_arg(o->pos[3], buf, sizeof(buf), &n) != 0) {
		fprintf(stderr, "headend: the block is not hex, or too long\n");
		return 1;
	}
	if ((rc = proto_block_parse(buf, n, &b)) != 0) {
		fprintf(stderr, "headend: malformed block: %s\n",
		    proto_strerror(rc));
		return 1;
	}
	if (memcmp(b.ua, reg.ua, PROTO_UA_LEN) != 0) {
		fprintf(stderr, "headend: block of another card\n");
		return 1;
	}
	if ((rc = proto_block_verify(&b, reg.pub)) != 0) {
		fprintf(stderr, "headend: signature: %s\n", proto_strerror(rc));
		return 1;
	}
	if (!k->has_master || proto_kt_derive(k->master, reg.ua, kt) != 0) {
		fprintf(stderr, "headend: no master.key in %s\n", o->pos[1]);
		return 1;
	}
	rc = proto_block_open(&b, kt, &m);
	proto_cleanse(kt, sizeof(kt));
	if (rc != 0) {
		fprintf(stderr, "headend: cannot open the block: %s\n",
		    proto_strerror(rc));
		return 1;
	}
	print_m2(&b, &m, o->json);
	return 0;
}

int
headend_main(int argc, char **argv)
{
	struct opts o;
	struct op_keys k;
	int rc;

	memset(&o, 0, sizeof(o));
	parse(argc, argv, &o);
	if (strcmp(o.pos[0], "init") == 0)
		return o.npos == 2 && keys_init(o.pos[1]) == 0 ? 0 : 1;
	if (keys_load(o.pos[1], &k) != 0)
		return 1;
	if (strcmp(o.pos[0], "ecm") == 0)
		rc = o.npos == 2 ? cmd_ecm(&o, &k) : 2;
	else if (strcmp(o.pos[0], "cmd") == 0)
		rc = cmd_cmd(&o, &k);
	else if (strcmp(o.pos[0], "open") == 0)
		rc = cmd_open(&o, &k);
	else
		rc = 2;
	keys_wipe(&k);
	if (rc == 2)
		usage();
	return rc;
}
