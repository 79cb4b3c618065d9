/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cardctl: make card images and drive a running vcard.
 *
 *   cardctl new FILE [--serial HEX16]   a blank card with the identity applet
 *   cardctl insert FILE                 insert an image into vcard
 *   cardctl eject                       remove the card
 *   cardctl swap FILE                   remove the card, insert another
 *   cardctl status [--json]             what vcard holds
 *   cardctl personalize FILE --keys DIR [--ua HEX16] [--credit N]
 *           [--right CHANNEL:EXPIRY]...  a security-module card
 *   cardctl show FILE [--json]          decode an image (never its keys)
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../card/applets.h"
#include "../card/sm.h"
#include "../card/runtime.h"
#include "../card/store.h"
#include "../proto/crypto.h"
#include "../proto/ctl.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "client.h"
#include "json.h"
#include "keys.h"
#include "m2show.h"
#include "usage.h"
#include "util.h"

#define DEFAULT_SOCKET "/run/vcard/vcard.sock"

#define MAX_RIGHT_ARGS PROTO_M2_MAX_RIGHTS

struct opts {
	const char *socket;
	const char *serial;
	const char *keys;
	const char *credit;
	const char *rights[MAX_RIGHT_ARGS];
	int nrights;
	int json;
	const char *pos[4];
	int npos;
	char who[UTIL_WHO_MAX]; /* "cardctl COMMAND", for errors */
};

static const char usage_text[] =
    "usage: cardctl [-S|--socket PATH] COMMAND [ARGS]\n"
    "  new FILE [--serial HEX]   create a blank card image\n"
    "  insert FILE               insert FILE into the running vcard\n"
    "  eject                     remove the inserted card\n"
    "  swap FILE                 remove the card and insert FILE\n"
    "  status [--json]           show what vcard holds\n"
    "  personalize FILE --keys DIR [--ua HEX] [--credit N]\n"
    "              [--right CHANNEL:EXPIRY]...\n"
    "                            a security-module card; writes "
    "FILE.reg\n"
    "  show FILE [--json]        decode a card image\n"
    "The socket is $VCARD_SOCKET or " DEFAULT_SOCKET ".\n"
    "  -h, --help: this text;  -V, --version: the version\n";

/* A usage error: why, naming the command (when there is one) and its
 * synopsis. */
_Noreturn static void
usage(const struct opts *o, const char *why)
{
	usage_error("cardctl", usage_text, o->npos > 0 ? o->pos[0] : NULL, "%s",
	    why);
}

static void
parse(int argc, char **argv, struct opts *o)
{
	const char *env = getenv("VCARD_SOCKET");

	o->socket = env != NULL ? env : DEFAULT_SOCKET;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		util_help_version("cardctl", a, usage_text);
		if (strcmp(a, "--json") == 0)
			o->json = 1;
		else if ((strcmp(a, "-S") == 0 || strcmp(a, "--socket") == 0) &&
		    i + 1 < argc)
			o->socket = argv[++i];
		else if ((strcmp(a, "--serial") == 0 ||
			     strcmp(a, "--ua") == 0) &&
		    i + 1 < argc)
			o->serial = argv[++i];
		else if (strcmp(a, "--keys") == 0 && i + 1 < argc)
			o->keys = argv[++i];
		else if (strcmp(a, "--credit") == 0 && i + 1 < argc)
			o->credit = argv[++i];
		else if (strcmp(a, "--right") == 0 && i + 1 < argc &&
		    o->nrights < MAX_RIGHT_ARGS)
			o->rights[o->nrights++] = argv[++i];
		else if ((a[0] != '-' || a[1] == '\0') && o->npos < 4)
			o->pos[o->npos++] = a;
		else
			usage_arg("cardctl", usage_text,
			    o->npos > 0 ? o->pos[0] : NULL, a);
	}
	if (o->npos == 0)
		usage(o, "no command given");
	util_who(o->who, "cardctl", o->pos[0]);
}

/* The serial (= UA) from --serial/--ua, or a random one. */
static int
pick_serial(const struct opts *o, uint8_t serial[CARD_SERIAL_LEN])
{
	if (o->serial != NULL)
		return util_arg_hex(o->who, "--serial/--ua", o->serial, serial,
			   CARD_SERIAL_LEN) != 0 ?
		    UTIL_EXIT_USAGE :
		    0;
	if (proto_random(serial, CARD_SERIAL_LEN) != 0) {
		fprintf(stderr, "%s: no random bytes for a serial\n", o->who);
		return UTIL_EXIT_FAIL;
	}
	return 0;
}

static int
create_image(const struct opts *o, const char *path,
    const uint8_t serial[CARD_SERIAL_LEN], struct card_store **s)
{
	int rc;

	if ((rc = card_store_create(path, serial, s)) != 0) {
		fprintf(stderr, "%s: cannot create %s: %s\n", o->who, path,
		    rc == PROTO_ERR_IO ? strerror(errno) : proto_strerror(rc));
		return UTIL_EXIT_FAIL;
	}
	return 0;
}

static int
cmd_new(const struct opts *o)
{
	struct card_store *s = NULL;
	uint8_t serial[CARD_SERIAL_LEN];
	int rc;

	if (o->npos != 2)
		usage(o, "wrong number of arguments");
	if ((rc = pick_serial(o, serial)) != 0 ||
	    (rc = create_image(o, o->pos[1], serial, &s)) != 0)
		return rc;
	rc = card_rt_install(s, &card_ident_applet);
	card_store_free(&s);
	if (rc != 0) {
		fprintf(stderr,
		    "%s: cannot install the identity applet in %s: %s\n",
		    o->who, o->pos[1], proto_strerror(rc));
		return UTIL_EXIT_FAIL;
	}
	return 0;
}

/* One request to vcard; the client prints what failed. */
static int
call(const struct opts *o, const char *req, struct client_reply *r)
{
	return client_call(o->who, "vcard", o->socket, req,
		   PROTO_CTL_TIMEOUT_MS + 60000, r) != 0 ?
	    UTIL_EXIT_FAIL :
	    0;
}

static int
cmd_simple(const struct opts *o, const char *verb, int with_file)
{
	char req[PROTO_CTL_REQUEST_MAX], abs[PATH_MAX];
	struct client_reply r;
	int rc;

	if (o->npos != (with_file ? 2 : 1))
		usage(o, "wrong number of arguments");
	if (with_file) {
		if (realpath(o->pos[1], abs) == NULL) {
			fprintf(stderr, "%s: %s: %s\n", o->who, o->pos[1],
			    strerror(errno));
			return UTIL_EXIT_FAIL;
		}
		if (strchr(abs, '\n') != NULL ||
		    snprintf(req, sizeof(req), "%s %s", verb, abs) >=
			(int)sizeof(req)) {
			fprintf(stderr, "%s: unusable path: %s\n", o->who, abs);
			return UTIL_EXIT_FAIL;
		}
	} else {
		snprintf(req, sizeof(req), "%s", verb);
	}
	rc = call(o, req, &r);
	client_reply_free(&r);
	return rc;
}

/* vcard's status reply as an object: every member typed. */
static json_t *
status_object(const struct client_reply *r)
{
	static const char *const strs[] = { "image", "serial", "reader",
		"host" };
	static const char *const nums[] = { "port", "apdus", "commits",
		"connects" };
	json_t *o = tj_object();
	char val[PATH_MAX];
	uint64_t v;

	if (proto_ctl_reply_get(r->text, r->len, "inserted", val,
		sizeof(val)) != 0)
		val[0] = '\0';
	tj_set_bool(o, "inserted", strcmp(val, "yes") == 0);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (proto_ctl_reply_get(r->text, r->len, strs[i], val,
			sizeof(val)) == 0 &&
		    val[0] != '\0')
			tj_set_str(o, strs[i], val);
		else
			tj_set(o, strs[i], json_null());
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (proto_ctl_reply_get(r->text, r->len, nums[i], val,
			sizeof(val)) == 0 &&
		    proto_parse_u64(val, 0, INT64_MAX, &v) == 0)
			tj_set_int(o, nums[i], (int64_t)v);
		else
			tj_set(o, nums[i], json_null());
	return o;
}

static int
cmd_status(const struct opts *o)
{
	static const char *const keys[] = { "inserted", "image", "serial",
		"reader", "host", "port", "apdus", "commits", "connects" };
	struct client_reply r;
	char val[PATH_MAX];
	json_t *st;
	int rc = 0;

	if (o->npos != 1)
		usage(o, "wrong number of arguments");
	if (call(o, "status", &r) != 0)
		return UTIL_EXIT_FAIL;
	st = status_object(&r);
	client_reply_free(&r);
	if (o->json) {
		rc = tj_print(st);
	} else {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			tj_text(st, keys[i], val, sizeof(val));
			printf("%-9s %s\n", keys[i], val);
		}
		json_decref(st);
		rc = util_flush();
	}
	return util_printed(o->who, rc);
}

/* --right CHANNEL:EXPIRY */
static int
parse_right(const struct opts *o, const char *arg, struct proto_right *r)
{
	char ch[PROTO_NUM_MAX_DIGITS + 1];
	const char *colon = strchr(arg, ':');
	uint32_t c, e;

	if (colon == NULL || (size_t)(colon - arg) >= sizeof(ch)) {
		fprintf(stderr,
		    "%s: --right wants CHANNEL:EXPIRY (Unix time): %s\n",
		    o->who, arg);
		return UTIL_EXIT_USAGE;
	}
	memcpy(ch, arg, (size_t)(colon - arg));
	ch[colon - arg] = '\0';
	if (util_arg_u32(o->who, "--right's channel", ch, 0, 0xffff, &c) != 0 ||
	    util_arg_u32(o->who, "--right's expiry", colon + 1, 0, UINT32_MAX,
		&e) != 0)
		return UTIL_EXIT_USAGE;
	r->channel = (uint16_t)c;
	r->expiry = e;
	return 0;
}

static int
parse_perso(const struct opts *o, struct card_sm_perso *p)
{
	static const uint8_t versions[PROTO_VERSIONS_LEN] = { 1, 0, 1, 0 };
	int rc;

	if (o->credit != NULL &&
	    util_arg_u32(o->who, "--credit", o->credit, 0, UINT32_MAX,
		&p->credit) != 0)
		return UTIL_EXIT_USAGE;
	for (int i = 0; i < o->nrights; i++) {
		if ((rc = parse_right(o, o->rights[i],
			 &p->rights[p->n_rights])) != 0)
			return rc;
		p->n_rights++;
	}
	memcpy(p->versions, versions, sizeof(versions));
	return 0;
}

static int
cmd_personalize(const struct opts *o)
{
	struct card_sm_perso p;
	struct registration reg;
	struct op_keys k;
	struct card_store *s = NULL;
	char regpath[PATH_MAX];
	int rc;

	if (o->npos != 2 || o->keys == NULL)
		usage(o,
		    o->npos != 2 ? "wrong number of arguments" :
				   "wants --keys DIR");
	memset(&p, 0, sizeof(p));
	memset(&k, 0, sizeof(k));
	if ((rc = parse_perso(o, &p)) != 0 || (rc = pick_serial(o, p.ua)) != 0)
		goto out;
	rc = UTIL_EXIT_FAIL;
	if (snprintf(regpath, sizeof(regpath), "%s.reg", o->pos[1]) >=
	    (int)sizeof(regpath)) {
		fprintf(stderr, "%s: path too long: %s\n", o->who, o->pos[1]);
		goto out;
	}
	if (keys_load(o->keys, &k) != 0)
		goto out;
	if (!k.has_master || !k.has_ecm || !k.has_issuer) {
		fprintf(stderr,
		    "%s: %s lacks master.key, ecm.key or issuer.key\n", o->who,
		    o->keys);
		goto out;
	}
	if (proto_ec_keygen(p.keys.sign_priv, p.keys.sign_pub) != 0 ||
	    proto_kt_derive(k.master, p.ua, p.keys.kt) != 0 ||
	    card_sm_certify(&p, k.issuer_priv, k.issuer_pub) != 0) {
		fprintf(stderr, "%s: key generation failed\n", o->who);
		goto out;
	}
	memcpy(p.center_pub, k.center_pub, PROTO_EC_PUB_LEN);
	memcpy(p.ecm_key, k.ecm, PROTO_AES_KEY_LEN);
	if (create_image(o, o->pos[1], p.ua, &s) != 0)
		goto out;
	if ((rc = card_rt_install(s, &card_ident_applet)) != 0 ||
	    (rc = card_sm_personalize(s, &p)) != 0) {
		fprintf(stderr, "%s: cannot personalize %s: %s\n", o->who,
		    o->pos[1], proto_strerror(rc));
		rc = UTIL_EXIT_FAIL;
		goto out;
	}
	memcpy(reg.ua, p.ua, PROTO_UA_LEN);
	memcpy(reg.pub, p.keys.sign_pub, PROTO_EC_PUB_LEN);
	memcpy(reg.versions, p.versions, PROTO_VERSIONS_LEN);
	reg.has_cert = 1;
	memcpy(reg.cert, p.cert, PROTO_CERT_LEN);
	if ((rc = reg_write(regpath, &reg)) != 0) {
		fprintf(stderr, "%s: cannot write %s: %s\n", o->who, regpath,
		    proto_strerror(rc));
		rc = UTIL_EXIT_FAIL;
		goto out;
	}
	rc = 0;
out:
	card_store_free(&s);
	proto_cleanse(&p, sizeof(p));
	keys_wipe(&k);
	return rc;
}

static void
show_text(const struct card_store *s, const struct card_sm_view *v, int sm)
{
	char hex[2 * PROTO_EC_PUB_LEN + 1];

	util_hex_encode(card_store_serial(s), CARD_SERIAL_LEN, hex);
	printf("serial          %s\n", hex);
	if (!sm) {
		printf("applets         identity\n");
		return;
	}
	util_hex_encode(v->ua, PROTO_UA_LEN, hex);
	printf("applets         identity, security-module\nua              "
	       "%s\n",
	    hex);
	printf("export seq      %u\n", v->export_seq);
	m2show_text(stdout, &v->m2, "");
	util_hex_encode(v->sign_pub, PROTO_EC_PUB_LEN, hex);
	printf("public key      %s\ncertificate     %s\n", hex,
	    v->has_cert ? "yes" : "no");
}

static int
show_json(const struct card_store *s, const struct card_sm_view *v, int sm)
{
	json_t *o = tj_object();

	tj_set_hex(o, "serial", card_store_serial(s), CARD_SERIAL_LEN);
	tj_set_bool(o, "security_module", sm);
	if (sm) {
		tj_set_ua(o, "ua", v->ua);
		tj_set_int(o, "export_seq", v->export_seq);
		m2show_json(o, &v->m2, v->ua);
		tj_set_hex(o, "public_key", v->sign_pub, PROTO_EC_PUB_LEN);
		tj_set_hex(o, "certificate", v->has_cert ? v->cert : NULL,
		    PROTO_CERT_LEN);
	}
	return tj_print(o);
}

static int
cmd_show(const struct opts *o)
{
	struct card_store *s = NULL;
	struct card_sm_view v;
	int rc, sm;

	if (o->npos != 2)
		usage(o, "wrong number of arguments");
	if ((rc = card_store_open(o->pos[1], &s)) != 0) {
		fprintf(stderr, "%s: %s: %s\n", o->who, o->pos[1],
		    proto_strerror(rc));
		return UTIL_EXIT_FAIL;
	}
	memset(&v, 0, sizeof(v));
	rc = card_sm_view(s, &v);
	if (rc != 0 && rc != PROTO_ERR_NOTFOUND) {
		fprintf(stderr, "%s: %s: damaged security-module data: %s\n",
		    o->who, o->pos[1], proto_strerror(rc));
		rc = UTIL_EXIT_FAIL;
		goto out;
	}
	sm = rc == 0;
	if (o->json)
		rc = show_json(s, &v, sm);
	else
		rc = (show_text(s, &v, sm), util_flush());
	rc = util_printed(o->who, rc);
out:
	proto_m2_clear(&v.m2);
	card_store_free(&s);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	const char *cmd;

	util_out_init("cardctl");
	parse(argc, argv, &o);
	cmd = o.pos[0];
	if (o.json && strcmp(cmd, "status") != 0 && strcmp(cmd, "show") != 0)
		return util_no_json(o.who);
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
	if (strcmp(cmd, "personalize") == 0)
		return cmd_personalize(&o);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(&o);
	usage_cmd("cardctl", usage_text, cmd);
}
