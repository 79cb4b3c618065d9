/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * headend: the operator's head-end test tool, holding the operator keys.
 *
 *   headend init DIR
 *   headend ecm DIR --channel C --event E --time T [--end T] [--sub]
 *           [--ppv PRICE] [--cw HEX64] [--count N --period S]
 *   headend cmd DIR --ua HEX --counter N [--path uplink|broadcast]
 *           unlock | ack SEQ | reload AMOUNT | grant CHANNEL EXPIRY
 *           | revoke CHANNEL | export | disable
 *   headend open DIR REGISTRATION [--json] HEXBLOCK|-
 *
 * ECMs and commands are printed in hex, one per line; a command on the
 * broadcast path is an EMM.  "open" verifies a block against the card's
 * registration record, decrypts it with the transmission key re-derived
 * from the master secret, and prints every field of its M2.
 *
 * Every command checks its arguments before the keys are loaded, and the
 * keys, control words, transmission keys and decrypted M2 are wiped at
 * one cleanup label on every path.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/proto.h"
#include "../proto/sm.h"
#include "headend.h"
#include "json.h"
#include "keys.h"
#include "m2show.h"
#include "usage.h"
#include "util.h"

#define MAX_ARGS 8
#define HEX_IN_MAX (2 * PROTO_BLOCK_MAX + 2)

struct opts {
	const char *pos[MAX_ARGS];
	int npos;
	const char *channel, *event, *time, *end, *ppv, *cw, *ua, *counter;
	const char *count, *period, *path;
	int sub, json;
	const char *prog;       /* "headend", "centerctl" */
	char who[UTIL_WHO_MAX]; /* "headend ecm", "centerctl ecm" */
};

/* What "ecm" builds: count ECMs, period seconds apart. */
struct ecm_job {
	struct proto_ecm e;
	uint32_t count, period;
};

/* The block "open" reads, owned by the command. */
struct open_input {
	char line[HEX_IN_MAX + 2];
	uint8_t block[PROTO_BLOCK_MAX];
	size_t len;
};

static const char usage_text[] =
    "usage: headend init DIR\n"
    "       headend ecm DIR --channel C --event E --time T [--end T]\n"
    "               [--sub] [--ppv PRICE] [--cw HEX64] "
    "[--count N --period S]\n"
    "       headend cmd DIR --ua HEX --counter N "
    "[--path uplink|broadcast]\n"
    "               unlock | ack SEQ | reload AMOUNT |\n"
    "               grant CHANNEL EXPIRY | revoke CHANNEL | export |\n"
    "               disable\n"
    "       headend open DIR REGISTRATION [--json] HEXBLOCK|-\n"
    "       headend -h|--help | -V|--version\n";

/* A usage error: why, naming the command (when there is one) and its
 * synopsis. */
_Noreturn static void
usage(const struct opts *o, const char *why)
{
	usage_error(o->prog, usage_text, o->npos > 0 ? o->pos[0] : NULL, "%s",
	    why);
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
		{ "--path", offsetof(struct opts, path) },
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
	const char *prog = strrchr(argv[0], '/');
	const char **slot;

	o->prog = prog != NULL ? prog + 1 : argv[0];
	for (int i = 1; i < argc; i++) {
		util_help_version("headend", argv[i], usage_text);
		if (strcmp(argv[i], "--sub") == 0)
			o->sub = 1;
		else if (strcmp(argv[i], "--json") == 0)
			o->json = 1;
		else if ((slot = opt_slot(o, argv[i])) != NULL && i + 1 < argc)
			*slot = argv[++i];
		else if ((argv[i][0] != '-' || argv[i][1] != '-') &&
		    o->npos < MAX_ARGS)
			o->pos[o->npos++] = argv[i];
		else
			usage_arg(o->prog, usage_text,
			    o->npos > 0 ? o->pos[0] : NULL, argv[i]);
	}
	if (o->npos == 0)
		usage(o, "no command given");
	if (o->npos < 2)
		usage_cmd(o->prog, usage_text, o->pos[0]);
	util_who(o->who, o->prog, o->pos[0]);
}

/* An optional number: dflt when absent. */
static int
opt_u32(const struct opts *o, const char *what, const char *s, uint32_t max,
    uint32_t dflt, uint32_t *v)
{
	if (s == NULL) {
		*v = dflt;
		return 0;
	}
	return util_arg_u32(o->who, what, s, 0, max, v);
}

static int
ecm_args(const struct opts *o, struct ecm_job *j)
{
	uint32_t ch = 0;

	if (o->npos != 2)
		usage(o, "wrong number of arguments");
	memset(j, 0, sizeof(*j));
	if (util_arg_u32(o->who, "--channel", o->channel, 0, 0xffff, &ch) ||
	    util_arg_u32(o->who, "--event", o->event, 0, UINT32_MAX,
		&j->e.event) ||
	    util_arg_u32(o->who, "--time", o->time, 0, UINT32_MAX,
		&j->e.time) ||
	    opt_u32(o, "--end", o->end, UINT32_MAX, UINT32_MAX,
		&j->e.event_end) ||
	    opt_u32(o, "--ppv", o->ppv, UINT32_MAX, 0, &j->e.price) ||
	    opt_u32(o, "--count", o->count, 1000000, 1, &j->count) ||
	    opt_u32(o, "--period", o->period, 86400, 10, &j->period))
		return UTIL_EXIT_USAGE;
	j->e.channel = (uint16_t)ch;
	j->e.flags = (uint8_t)((o->sub ? PROTO_ECM_SUBSCRIPTION : 0) |
	    (o->ppv ? PROTO_ECM_PPV : 0));
	return 0;
}

/* One line of hex: 0, or PROTO_ERR_IO once standard output failed. */
static int
print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02X", p[i]);
	printf("\n");
	return util_out_check();
}

static int
cmd_ecm(const struct opts *o, struct ecm_job *j, const struct op_keys *k)
{
	uint8_t cw[PROTO_CW_LEN], ecm[PROTO_ECM_LEN];
	int rc = UTIL_EXIT_FAIL;

	if (!k->has_ecm) {
		fprintf(stderr, "%s: no ecm.key in %s\n", o->who, o->pos[1]);
		goto out;
	}
	for (uint32_t i = 0; i < j->count; i++) {
		if (o->cw != NULL) {
			if (util_arg_hex(o->who, "--cw", o->cw, cw,
				sizeof(cw)) != 0) {
				rc = UTIL_EXIT_USAGE;
				goto out;
			}
		} else if (proto_random(cw, sizeof(cw)) != 0) {
			fprintf(stderr, "%s: no random control words\n",
			    o->who);
			goto out;
		}
		if (proto_ecm_build(&j->e, cw, k->ecm, ecm) != 0) {
			fprintf(stderr, "%s: cannot build the ECM\n", o->who);
			goto out;
		}
		if (print_hex(ecm, sizeof(ecm)) != 0) {
			rc = util_out_failed(o->who); /* no use going on */
			goto out;
		}
		j->e.time += j->period;
	}
	rc = 0;
out:
	proto_cleanse(cw, sizeof(cw));
	return rc;
}

/* The command's type and how many positional arguments it takes. */
static int
cmd_type(const char *verb, uint8_t *type, int *want)
{
	static const struct {
		const char *verb;
		uint8_t type;
		int want;
	} verbs[] = {
		{ "unlock", PROTO_CMD_UNLOCK, 3 },
		{ "ack", PROTO_CMD_ACK, 4 },
		{ "reload", PROTO_CMD_RELOAD, 4 },
		{ "grant", PROTO_CMD_GRANT, 5 },
		{ "revoke", PROTO_CMD_REVOKE, 4 },
		{ "export", PROTO_CMD_EXPORT, 3 },
		{ "disable", PROTO_CMD_DISABLE, 3 },
	};

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verb, verbs[i].verb) == 0) {
			*type = verbs[i].type;
			*want = verbs[i].want;
			return 0;
		}
	return PROTO_ERR_NOTFOUND;
}

/* --path: uplink (the default) or broadcast. */
static int
cmd_path(const struct opts *o, uint8_t *path)
{
	if (o->path == NULL || strcmp(o->path, "uplink") == 0)
		*path = PROTO_CMD_PATH_UPLINK;
	else if (strcmp(o->path, "broadcast") == 0)
		*path = PROTO_CMD_PATH_BROADCAST;
	else {
		fprintf(stderr, "%s: --path wants uplink or broadcast: %s\n",
		    o->who, o->path);
		return UTIL_EXIT_USAGE;
	}
	return 0;
}

static int
cmd_args(const struct opts *o, struct proto_cmd *c)
{
	int want, chan;

	if (o->npos < 3)
		usage(o, "wants a command type");
	memset(c, 0, sizeof(*c));
	if (cmd_type(o->pos[2], &c->type, &want) != 0)
		usage(o, "unknown command type");
	if (o->npos != want)
		usage(o, "wrong number of arguments for its type");
	if (cmd_path(o, &c->path) != 0)
		return UTIL_EXIT_USAGE;
	chan = c->type == PROTO_CMD_GRANT || c->type == PROTO_CMD_REVOKE;
	if (util_arg_hex(o->who, "--ua", o->ua, c->ua, PROTO_UA_LEN) != 0 ||
	    util_arg_u32(o->who, "--counter", o->counter, 0, UINT32_MAX,
		&c->counter) != 0 ||
	    (want >= 4 &&
		util_arg_u32(o->who, o->pos[2], o->pos[3], 0,
		    chan ? 0xffff : UINT32_MAX, &c->arg1) != 0) ||
	    (want == 5 &&
		util_arg_u32(o->who, "EXPIRY", o->pos[4], 0, UINT32_MAX,
		    &c->arg2) != 0))
		return UTIL_EXIT_USAGE;
	return 0;
}

static int
cmd_cmd(const struct opts *o, const struct proto_cmd *c,
    const struct op_keys *k)
{
	uint8_t buf[PROTO_CMD_MAX_LEN];
	struct proto_wr w;
	int rc;

	if (!k->has_center_priv) {
		fprintf(stderr, "%s: no center.key in %s\n", o->who, o->pos[1]);
		return UTIL_EXIT_FAIL;
	}
	proto_wr_init(&w, buf, sizeof(buf));
	if ((rc = proto_cmd_sign(c, k->center_priv, k->center_pub, &w)) != 0) {
		fprintf(stderr, "%s: cannot sign the command: %s\n", o->who,
		    proto_strerror(rc));
		return UTIL_EXIT_FAIL;
	}
	(void)print_hex(buf, proto_wr_len(&w));
	return util_printed(o->who, util_flush());
}

/* The block: a hex argument, or one line of stdin for "-". */
static int
read_block(const char *arg, struct open_input *in)
{
	size_t len;

	if (strcmp(arg, "-") == 0) {
		if (fgets(in->line, sizeof(in->line), stdin) == NULL)
			return PROTO_ERR_IO;
		in->line[strcspn(in->line, "\r\n")] = '\0';
		arg = in->line;
	}
	len = strlen(arg);
	if (len % 2 != 0 || len / 2 > sizeof(in->block))
		return PROTO_ERR_LENGTH;
	if (util_hex_decode(arg, in->block, len / 2) != 0)
		return PROTO_ERR_FORMAT;
	in->len = len / 2;
	return 0;
}

static int
print_m2(const struct proto_block *b, const struct proto_m2 *m, int json)
{
	const char *kind = b->kind == PROTO_BLOCK_EXPORT ? "export" : "uplink";
	char ua[2 * PROTO_UA_LEN + 1], ch[2 * PROTO_CHALLENGE_LEN + 1];
	json_t *o;

	if (json) {
		o = tj_object();
		tj_set_str(o, "kind", kind);
		tj_set_ua(o, "ua", b->ua);
		tj_set_int(o, "seq", b->seq);
		tj_set_hex(o, "challenge", b->challenge, PROTO_CHALLENGE_LEN);
		m2show_json(o, m, b->ua);
		return tj_print(o);
	}
	util_hex_encode(b->ua, PROTO_UA_LEN, ua);
	util_hex_encode(b->challenge, PROTO_CHALLENGE_LEN, ch);
	printf("block %s ua %s seq %u: credit %u, %s, purchases %u..%u, "
	       "%u control words, %u denials\n",
	    kind, ua, b->seq, m->credit, m->locked ? "locked" : "unlocked",
	    m->acked_seq + 1, m->purchase_seq, m->cws, m->denials);
	printf("  challenge       %s\n", ch);
	m2show_text(stdout, m, "  ");
	return util_flush();
}

/* Parse the block and check it is the registered card's, signed by it. */
static int
open_check(const struct opts *o, const struct open_input *in,
    const struct registration *reg, struct proto_block *b)
{
	int rc;

	if ((rc = proto_block_parse(in->block, in->len, b)) != 0) {
		fprintf(stderr, "%s: malformed block: %s\n", o->who,
		    proto_strerror(rc));
		return rc;
	}
	if (memcmp(b->ua, reg->ua, PROTO_UA_LEN) != 0) {
		fprintf(stderr, "%s: block of another card than %s's\n", o->who,
		    o->pos[2]);
		return PROTO_ERR_AUTH;
	}
	if ((rc = proto_block_verify(b, reg->pub)) != 0)
		fprintf(stderr, "%s: signature: %s\n", o->who,
		    proto_strerror(rc));
	return rc;
}

static int
cmd_open(const struct opts *o, const struct open_input *in,
    const struct op_keys *k)
{
	struct registration reg;
	struct proto_block b;
	struct proto_m2 m;
	uint8_t kt[PROTO_AES_KEY_LEN];
	int rc = UTIL_EXIT_FAIL;

	memset(&m, 0, sizeof(m));
	memset(kt, 0, sizeof(kt));
	if (reg_read(o->pos[2], &reg) != 0 || open_check(o, in, &reg, &b) != 0)
		goto out;
	if (!k->has_master) {
		fprintf(stderr, "%s: no master.key in %s\n", o->who, o->pos[1]);
		goto out;
	}
	if (proto_kt_derive(k->master, reg.ua, kt) != 0) {
		fprintf(stderr, "%s: cannot derive the transmission key\n",
		    o->who);
		goto out;
	}
	if ((rc = proto_block_open(&b, kt, &m)) != 0) {
		fprintf(stderr, "%s: cannot open the block: %s\n", o->who,
		    proto_strerror(rc));
		rc = UTIL_EXIT_FAIL;
		goto out;
	}
	rc = util_printed(o->who, print_m2(&b, &m, o->json));
out:
	proto_cleanse(kt, sizeof(kt));
	proto_m2_clear(&m);
	return rc;
}

/* What a command needs before the keys are loaded, checked from o. */
struct job {
	struct ecm_job ecm;
	struct proto_cmd cmd;
	struct open_input open;
};

static int
prepare(const struct opts *o, struct job *j)
{
	const char *cmd = o->pos[0];
	int rc;

	if (strcmp(cmd, "ecm") == 0)
		return ecm_args(o, &j->ecm);
	if (strcmp(cmd, "cmd") == 0)
		return cmd_args(o, &j->cmd);
	if (strcmp(cmd, "open") != 0 || o->npos != 4)
		usage_cmd(o->prog, usage_text, cmd);
	if ((rc = read_block(o->pos[3], &j->open)) != 0) {
		fprintf(stderr, "%s: the block is not hex, or too long: %s\n",
		    o->who, proto_strerror(rc));
		return UTIL_EXIT_FAIL;
	}
	return 0;
}

int
headend_main(int argc, char **argv)
{
	struct opts o;
	struct op_keys k;
	struct job j;
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&k, 0, sizeof(k));
	parse(argc, argv, &o);
	if (o.json && strcmp(o.pos[0], "open") != 0)
		return util_no_json(o.who);
	if (strcmp(o.pos[0], "init") == 0) {
		if (o.npos != 2)
			usage(&o, "wrong number of arguments");
		return keys_init(o.pos[1]) == 0 ? 0 : UTIL_EXIT_FAIL;
	}
	if ((rc = prepare(&o, &j)) != 0)
		goto out;
	if (keys_load(o.pos[1], &k) != 0) {
		rc = UTIL_EXIT_FAIL;
		goto out;
	}
	if (strcmp(o.pos[0], "ecm") == 0)
		rc = cmd_ecm(&o, &j.ecm, &k);
	else if (strcmp(o.pos[0], "cmd") == 0)
		rc = cmd_cmd(&o, &j.cmd, &k);
	else
		rc = cmd_open(&o, &j.open, &k);
out:
	keys_wipe(&k);
	return rc;
}
