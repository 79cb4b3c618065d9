/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * centerctl: administer the management center.
 *
 *   centerctl [-K dir] init [--name HOST]   operator keys, a local CA (its
 *                                           key kept) and the server
 *                                           certificate (for localhost
 *                                           and HOST), the console's
 *                                           admin token
 *   centerctl [-K dir] cert [--name HOST]   a new server key and
 *                                           certificate from that CA
 *   centerctl [-K dir] register FILE.reg... import cards' registrations
 *   centerctl [-K dir] cards [--json]       issued / active / recovered
 *   centerctl [-K dir] invoices [--json]    the ledger, per card
 *   centerctl [-K dir] flags [--json]       anomalies the center flagged
 *   centerctl [-K dir] rejected [--json]    the blocks it rejected: the
 *                                           newest, counts by reason
 *   centerctl [-K dir] card UA [--json]     a card: its record, what its
 *                                           newest block said, its history
 *   centerctl [-K dir] commands UA [--json] a card's commands and what
 *                                           became of them
 *   centerctl [-K dir] cancel UA COUNTER [--broadcast]
 *                                           cancel a waiting command
 *   centerctl [-K dir] reload UA AMOUNT     queue a credit reload
 *   centerctl [-K dir] grant UA CHANNEL EXPIRY   queue a right
 *   centerctl [-K dir] export UA            queue "export now"
 *   centerctl [-K dir] emm UA TYPE [ARGS] [-o FILE]
 *                                           an EMM: a command for the
 *                                           broadcast, queued there
 *   centerctl [-K dir] revoke UA [-o FILE]  blacklist a card: its sessions
 *                                           refused, "disable" queued and
 *                                           made an EMM
 *   centerctl [-K dir] ecm ...              the head-end ECM builder
 *                                           (headend ecm DIR ...)
 * The directory is $CENTER_KEYS or /var/lib/ptv/center; the database is
 * DIR/center.db unless -d (--db) or $CENTER_DB says otherwise: a SQLite
 * file or a postgresql:// URL.
 * Only register makes a database; the reports open it read-only, and
 * never make or migrate one.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../center/commands.h"
#include "../center/db.h"
#include "../proto/proto.h"
#include "centerctl.h"
#include "headend.h"
#include "keys.h"
#include "usage.h"
#include "util.h"

#define DEFAULT_DIR "/var/lib/ptv/center"

static const char usage_text[] =
    "usage: centerctl [-K|--keys DIR] [-D|--database|--db DB] COMMAND\n"
    "  init [--name HOST]        operator keys, local CA, server "
    "certificate\n"
    "                            (valid for localhost and HOST),\n"
    "                            the console's token (console.token)\n"
    "  cert [--name HOST]        renew the server key and "
    "certificate\n"
    "                            with the CA init kept\n"
    "  register FILE.reg...      import card registration records\n"
    "  cards [--json]            cards and their status\n"
    "  invoices [--json]         purchases invoiced, per card\n"
    "  flags [--json]            anomalies flagged (sequences, "
    "conflicts)\n"
    "  rejected [--json]         the blocks the center rejected "
    "(the newest\n"
    "                            1000, with why, from where), "
    "counts by reason\n"
    "  card UA [--json]          a card: status, what its newest "
    "block said\n"
    "                            (usage, clock, credit, rights, "
    "versions),\n"
    "                            its sessions, blocks, commands, "
    "invoices\n"
    "  commands UA [--json] [--cancel COUNTER [--broadcast]]\n"
    "                            a card's commands: queued, sent, "
    "applied,\n"
    "                            refused, consumed, cancelled\n"
    "  cancel UA COUNTER [--broadcast]   cancel a waiting command\n"
    "  reload UA AMOUNT          queue a credit reload for a card\n"
    "  grant UA CHANNEL EXPIRY   queue a subscription right\n"
    "  export UA                 queue \"export now\" for a card\n"
    "  emm UA TYPE [ARGS] [-o FILE]   an EMM for the broadcast (hex "
    "line,\n"
    "                            appended to FILE): TYPE unlock, ack "
    "SEQ,\n"
    "                            reload AMOUNT, grant CHANNEL "
    "EXPIRY,\n"
    "                            revoke CHANNEL, export, disable\n"
    "  revoke UA [-o FILE]       blacklist a card: sessions refused, "
    "a\n"
    "                            signed disable queued and written as "
    "EMM\n"
    "  ecm --channel C ...       build ECMs (see headend)\n"
    "The directory is $CENTER_KEYS or " DEFAULT_DIR "; the database\n"
    "DIR/center.db unless -D (--database, --db) or $CENTER_DB names a\n"
    "SQLite file or a postgresql:// URL.\n"
    "  -h, --help: this text;  -V, --version: the version\n";

void
ctl_usage(const struct opts *o)
{
	if (o->npos == 0)
		usage_error("centerctl", usage_text, NULL, "no command given");
	usage_cmd("centerctl", usage_text, o->pos[0]);
}

int
ctl_db(const struct opts *o, enum ctl_db_mode mode, struct cgs_db **db)
{
	int rc;

	if (mode == CTL_DB_CREATE)
		rc = cgs_db_open(o->db, db);
	else
		rc = cgs_db_open_existing(o->db, mode == CTL_DB_READ, db);
	if (rc == 0)
		return 0;
	if (rc == PROTO_ERR_NOTFOUND)
		fprintf(stderr,
		    "%s: no database %s (centerctl register makes it; -D "
		    "names another)\n",
		    o->who, o->dbname);
	else if (rc == PROTO_ERR_STATE)
		fprintf(stderr,
		    "%s: the database %s is of another schema version than "
		    "this centerctl's%s\n",
		    o->who, o->dbname,
		    mode == CTL_DB_READ ?
			" (an older one: centerd, or a command that changes "
			"it, brings it up to date; a newer one: use the "
			"centerctl of the centerd that wrote it)" :
			" (a newer one: use the centerctl of the centerd "
			"that wrote it)");
	else
		fprintf(stderr, "%s: cannot open the database %s: %s\n", o->who,
		    o->dbname, proto_strerror(rc));
	return UTIL_EXIT_FAIL;
}

int
ctl_open_db(const struct opts *o, struct cgs_db **db)
{
	return ctl_db(o, CTL_DB_WRITE, db);
}

static int
cmd_register(const struct opts *o)
{
	struct registration reg;
	struct cgs_db *db = NULL;
	int rc = 0;

	if (o->npos < 2)
		ctl_usage(o);
	if (ctl_db(o, CTL_DB_CREATE, &db) != 0)
		return 1;
	for (int i = 1; i < o->npos; i++) {
		int r;
		if (reg_read(o->pos[i], &reg) != 0) {
			rc = 1;
			continue;
		}
		r = cgs_card_register(db, reg.ua, reg.pub, reg.versions);
		if (r != 0) {
			fprintf(stderr, "%s: %s: %s\n", o->who, o->pos[i],
			    r == PROTO_ERR_EXISTS ? "this UA is registered "
						    "with another key" :
						    proto_strerror(r));
			rc = 1;
		}
	}
	cgs_db_close(&db);
	return rc;
}

int
ctl_load_center_key(const struct opts *o, struct cgs_keys *ck)
{
	struct op_keys k;
	int rc = UTIL_EXIT_FAIL;

	memset(&k, 0, sizeof(k));
	if (keys_load(o->dir, &k) != 0)
		goto out;
	if (!k.has_center_priv) {
		fprintf(stderr, "%s: no center.key in %s\n", o->who, o->dir);
		goto out;
	}
	memcpy(ck->center_priv, k.center_priv, PROTO_EC_PRIV_LEN);
	memcpy(ck->center_pub, k.center_pub, PROTO_EC_PUB_LEN);
	rc = 0;
out:
	keys_wipe(&k);
	return rc;
}

int
ctl_queue(const struct opts *o, const uint8_t ua[PROTO_UA_LEN], uint8_t path,
    uint8_t type, uint32_t a1, uint32_t a2, struct cgs_made *made)
{
	struct cgs_keys ck;
	struct cgs_db *db = NULL;
	int rc = UTIL_EXIT_FAIL, r;

	memset(&ck, 0, sizeof(ck));
	if (ctl_load_center_key(o, &ck) != 0 || ctl_open_db(o, &db) != 0)
		goto out;
	if ((r = cgs_queue_command(db, &ck, ua, path, type, a1, a2, made)) !=
	    0) {
		if (r == PROTO_ERR_NOTFOUND)
			fprintf(stderr, "%s: card %s is not registered\n",
			    o->who, o->pos[1]);
		else
			fprintf(stderr, "%s: cannot queue the command: %s\n",
			    o->who, proto_strerror(r));
		goto out;
	}
	rc = 0;
out:
	cgs_db_close(&db);
	proto_cleanse(&ck, sizeof(ck));
	return rc;
}

int
ctl_ua_arg(const struct opts *o, int n, uint8_t ua[PROTO_UA_LEN])
{
	if (o->npos != n)
		ctl_usage(o);
	return util_arg_hex(o->who, "UA", o->pos[1], ua, PROTO_UA_LEN) != 0 ?
	    UTIL_EXIT_USAGE :
	    0;
}

/* reload UA AMOUNT, grant UA CHANNEL EXPIRY, export UA. */
static int
cmd_queue(const struct opts *o, uint8_t type)
{
	int grant = type == PROTO_CMD_GRANT;
	uint8_t ua[PROTO_UA_LEN];
	uint32_t a1 = 0, a2 = 0;

	if (ctl_ua_arg(o,
		type == PROTO_CMD_EXPORT ? 2 :
		    grant                ? 4 :
					   3,
		ua) != 0)
		return UTIL_EXIT_USAGE;
	if (type != PROTO_CMD_EXPORT &&
	    (util_arg_u32(o->who, grant ? "CHANNEL" : "AMOUNT", o->pos[2], 0,
		 grant ? 0xffff : UINT32_MAX, &a1) != 0 ||
		(grant &&
		    util_arg_u32(o->who, "EXPIRY", o->pos[3], 0, UINT32_MAX,
			&a2) != 0)))
		return UTIL_EXIT_USAGE;
	return ctl_queue(o, ua, PROTO_CMD_PATH_UPLINK, type, a1, a2, NULL);
}

/* Cancel the command COUNTER (cancel UA COUNTER, commands UA --cancel). */
static int
cancel(const struct opts *o, const uint8_t ua[PROTO_UA_LEN], const char *ctr)
{
	uint8_t path =
	    o->broadcast ? PROTO_CMD_PATH_BROADCAST : PROTO_CMD_PATH_UPLINK;
	struct cgs_db *db = NULL;
	uint32_t counter;
	int r;

	if (util_arg_u32(o->who, "COUNTER", ctr, 1, UINT32_MAX, &counter) != 0)
		return UTIL_EXIT_USAGE;
	if (ctl_open_db(o, &db) != 0)
		return UTIL_EXIT_FAIL;
	r = cgs_cancel_command(db, ua, path, counter);
	cgs_db_close(&db);
	if (r == 0)
		return 0;
	if (r == PROTO_ERR_NOTFOUND)
		fprintf(stderr,
		    "%s: card %s has no command %u on the %s path\n", o->who,
		    o->pos[1], counter,
		    path == PROTO_CMD_PATH_UPLINK ? "uplink" : "broadcast");
	else if (r == PROTO_ERR_STATE)
		fprintf(stderr,
		    "%s: command %u of card %s is past cancelling (centerctl "
		    "commands shows what became of it)\n",
		    o->who, counter, o->pos[1]);
	else
		fprintf(stderr, "%s: %s\n", o->who, proto_strerror(r));
	return UTIL_EXIT_FAIL;
}

static int
cmd_cancel(const struct opts *o)
{
	uint8_t ua[PROTO_UA_LEN];

	if (ctl_ua_arg(o, 3, ua) != 0)
		return UTIL_EXIT_USAGE;
	return cancel(o, ua, o->pos[2]);
}

static int
cmd_card(const struct opts *o)
{
	uint8_t ua[PROTO_UA_LEN];

	if (ctl_ua_arg(o, 2, ua) != 0)
		return UTIL_EXIT_USAGE;
	return ctl_show_card(o, ua);
}

static int
cmd_commands(const struct opts *o)
{
	uint8_t ua[PROTO_UA_LEN];

	if (ctl_ua_arg(o, 2, ua) != 0)
		return UTIL_EXIT_USAGE;
	if (o->cancel != NULL)
		return cancel(o, ua, o->cancel);
	return ctl_show_commands(o, ua);
}

static int
cmd_ecm(int argc, char **argv, int first, const char *dir)
{
	char *av[64];
	int n = 0;

	if (argc - first + 3 > 64)
		usage_error("centerctl", usage_text, "ecm",
		    "too many arguments");
	av[n++] = (char *)(uintptr_t) "centerctl";
	av[n++] = (char *)(uintptr_t) "ecm";
	av[n++] = (char *)(uintptr_t)dir;
	for (int i = first; i < argc; i++)
		av[n++] = argv[i];
	av[n] = NULL;
	return headend_main(n, av);
}

/* A copy of -D's value as given (static: it lives as long as the
 * process): the command line's own is masked (cgs_db_mask_argv), since
 * every local user reads a command line. */
static const char *
keep_db(const char *arg)
{
	static char *copy;

	free(copy);
	if ((copy = strdup(cgs_db_unmasked(arg))) == NULL) {
		fprintf(stderr, "centerctl: out of memory\n");
		exit(UTIL_EXIT_FAIL);
	}
	return copy;
}

/*
 * The options and positional arguments; a usage error on anything else.  The
 * command ecm takes the rest as headend's: returns the index after it
 * (0: another command).
 */
static int
parse(int argc, char **argv, struct opts *o)
{
	/* static: the words live as long as the process (no leak at exit) */
	static const char **words;

	if ((words = calloc((size_t)argc, sizeof(*words))) == NULL) {
		fprintf(stderr, "centerctl: out of memory\n");
		exit(UTIL_EXIT_FAIL);
	}
	o->pos = words;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], **field = NULL;

		util_help_version("centerctl", a, usage_text);
		if (strcmp(a, "-K") == 0 || strcmp(a, "--keys") == 0)
			field = &o->dir;
		else if (strcmp(a, "-D") == 0 || strcmp(a, "--database") == 0 ||
		    strcmp(a, "--db") == 0 || strcmp(a, "-d") == 0)
			/* -D and --database as centerd has them; -d, the old
			 * spelling, still taken */
			field = &o->db;
		else if (strcmp(a, "--name") == 0)
			field = &o->name;
		else if (strcmp(a, "-o") == 0)
			field = &o->out;
		else if (strcmp(a, "--cancel") == 0)
			field = &o->cancel;
		if (field != NULL && i + 1 < argc) {
			*field = argv[++i];
			if (field == &o->db)
				o->db = keep_db(argv[i]);
			continue;
		}
		if (field == NULL && strcmp(a, "--json") == 0)
			o->json = 1;
		else if (field == NULL && strcmp(a, "--broadcast") == 0)
			o->broadcast = 1;
		else if (field != NULL || a[0] == '-')
			usage_arg("centerctl", usage_text,
			    o->npos > 0 ? o->pos[0] : NULL, a);
		else if (o->npos == 0 && strcmp(a, "ecm") == 0)
			return i + 1;
		else
			o->pos[o->npos++] = a;
	}
	return 0;
}

/* --name, if given, is a host name; said (UTIL_EXIT_USAGE) if not. */
static int
name_arg(const struct opts *o)
{
	if (o->name == NULL ||
	    (strlen(o->name) <= 253 &&
		strspn(o->name,
		    "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
		    strlen(o->name)))
		return 0;
	fprintf(stderr, "%s: --name wants a host name: %s\n", o->who, o->name);
	return UTIL_EXIT_USAGE;
}

static int
cmd_init(const struct opts *o)
{
	if (name_arg(o) != 0)
		return UTIL_EXIT_USAGE;
	return keys_init(o->dir) != 0 ||
	    ctl_tls_init(o->dir, o->name != NULL ? o->name : "localhost") !=
	    0 ||
	    ctl_token_init(o->dir) != 0;
}

/* cert [--name HOST]: a new server key and certificate from the kept CA. */
static int
cmd_cert(const struct opts *o)
{
	if (name_arg(o) != 0)
		return UTIL_EXIT_USAGE;
	return ctl_tls_cert(o->dir, o->name != NULL ? o->name : "localhost") !=
		0 ?
	    UTIL_EXIT_FAIL :
	    0;
}

/* The reports print JSON; the commands that change something print
 * nothing, or an EMM's hex. */
static int
has_json(const struct opts *o)
{
	static const char *const reports[] = { "cards", "invoices", "flags",
		"card", "commands", "rejected" };

	if (o->cancel != NULL)
		return 0;
	for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++)
		if (strcmp(o->pos[0], reports[i]) == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *env;
	int ecm;

	/* before anything that may fail or wait (keep_db's copy is later) */
	if (cgs_db_mask_argv(argc, argv) != 0) {
		fprintf(stderr, "centerctl: out of memory\n");
		return UTIL_EXIT_FAIL;
	}
	env = getenv("CENTER_KEYS");
	util_out_init("centerctl");
	memset(&o, 0, sizeof(o));
	o.dir = env != NULL ? env : DEFAULT_DIR;
	if ((ecm = parse(argc, argv, &o)) != 0)
		return cmd_ecm(argc, argv, ecm, o.dir);
	if (o.npos == 0)
		ctl_usage(&o);
	util_who(o.who, "centerctl", o.pos[0]);
	if (o.db == NULL)
		o.db = getenv("CENTER_DB");
	if (o.db == NULL) {
		snprintf(o.dbbuf, sizeof(o.dbbuf), "%s/center.db", o.dir);
		o.db = o.dbbuf;
	}
	cgs_db_name(o.db, o.dbname, sizeof(o.dbname));
	if (o.json && !has_json(&o))
		return util_no_json(o.who);
	if (strcmp(o.pos[0], "init") == 0 && o.npos == 1)
		return cmd_init(&o);
	if (strcmp(o.pos[0], "cert") == 0 && o.npos == 1)
		return cmd_cert(&o);
	if (strcmp(o.pos[0], "register") == 0)
		return cmd_register(&o);
	if (strcmp(o.pos[0], "cards") == 0 && o.npos == 1)
		return ctl_show_cards(&o);
	if (strcmp(o.pos[0], "invoices") == 0 && o.npos == 1)
		return ctl_show_invoices(&o);
	if (strcmp(o.pos[0], "flags") == 0 && o.npos == 1)
		return ctl_show_flags(&o);
	if (strcmp(o.pos[0], "rejected") == 0 && o.npos == 1)
		return ctl_show_rejected(&o);
	if (strcmp(o.pos[0], "card") == 0)
		return cmd_card(&o);
	if (strcmp(o.pos[0], "commands") == 0)
		return cmd_commands(&o);
	if (strcmp(o.pos[0], "cancel") == 0)
		return cmd_cancel(&o);
	if (strcmp(o.pos[0], "reload") == 0)
		return cmd_queue(&o, PROTO_CMD_RELOAD);
	if (strcmp(o.pos[0], "grant") == 0)
		return cmd_queue(&o, PROTO_CMD_GRANT);
	if (strcmp(o.pos[0], "export") == 0)
		return cmd_queue(&o, PROTO_CMD_EXPORT);
	if (strcmp(o.pos[0], "emm") == 0)
		return ctl_cmd_emm(&o);
	if (strcmp(o.pos[0], "revoke") == 0)
		return ctl_cmd_revoke(&o);
	ctl_usage(&o);
}
