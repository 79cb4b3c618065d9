/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * centerctl: administer the management center.
 *
 *   centerctl [-K dir] init [--name HOST]   operator keys, a local CA and
 *                                           the server certificate (for
 *                                           localhost and HOST)
 *   centerctl [-K dir] register FILE.reg... import cards' registrations
 *   centerctl [-K dir] cards [--json]       issued / active / recovered
 *   centerctl [-K dir] invoices [--json]    the ledger, per card
 *   centerctl [-K dir] flags [--json]       anomalies the center flagged
 *   centerctl [-K dir] reload UA AMOUNT     queue a credit reload
 *   centerctl [-K dir] grant UA CHANNEL EXPIRY   queue a right
 *   centerctl [-K dir] ecm ...              the head-end ECM builder
 *                                           (headend ecm DIR ...)
 * The directory is $CENTER_KEYS or /var/lib/ptv/center; the database is
 * DIR/center.db unless -d says otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../center/db.h"
#include "../center/ingest.h"
#include "../proto/file.h"
#include "../proto/proto.h"
#include "headend.h"
#include "keys.h"
#include "util.h"

#define DEFAULT_DIR "/var/lib/ptv/center"
#define CERT_DAYS 3650

struct opts {
	const char *dir, *db, *name;
	char dbbuf[PATH_MAX];
	int json;
	const char *pos[8];
	int npos;
	char who[UTIL_WHO_MAX]; /* "centerctl COMMAND", for errors */
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: centerctl [-K dir] [-d db] COMMAND\n"
	    "  init [--name HOST]        operator keys, local CA, server "
	    "certificate\n"
	    "                            (valid for localhost and HOST)\n"
	    "  register FILE.reg...      import card registration records\n"
	    "  cards [--json]            cards and their status\n"
	    "  invoices [--json]         purchases invoiced, per card\n"
	    "  flags [--json]            anomalies flagged (sequences, "
	    "conflicts)\n"
	    "  reload UA AMOUNT          queue a credit reload for a card\n"
	    "  grant UA CHANNEL EXPIRY   queue a subscription right\n"
	    "  ecm --channel C ...       build ECMs (see headend)\n"
	    "The directory is $CENTER_KEYS or " DEFAULT_DIR ".\n");
	exit(2);
}

/* --- TLS material --------------------------------------------------------- */

static int
write_pem(const char *dir, const char *name, EVP_PKEY *key, X509 *cert,
    mode_t mode)
{
	char path[PATH_MAX];
	FILE *f;
	int ok, fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "centerctl init: %s: %s\n", path,
		    strerror(errno));
		return 1;
	}
	ok = key != NULL ?
	    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) :
	    PEM_write_X509(f, cert);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		ok = 0;
	if (fclose(f) != 0 || !ok) {
		fprintf(stderr, "centerctl init: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey,
    long serial, int ca)
{
	X509 *c = X509_new();
	X509_NAME *n;
	char san[512];

	if (c == NULL)
		return NULL;
	if (strcmp(cn, "localhost") == 0)
		snprintf(san, sizeof(san), "DNS:localhost,IP:127.0.0.1,IP:::1");
	else
		snprintf(san, sizeof(san),
		    "DNS:localhost,IP:127.0.0.1,IP:::1,"
		    "DNS:%s",
		    cn);
	n = X509_get_subject_name(c);
	if (X509_set_version(c, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(c), serial) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(c), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(c), 86400L * CERT_DAYS) ==
		NULL ||
	    X509_set_pubkey(c, key) != 1 ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
		(const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(c,
		issuer != NULL ? X509_get_subject_name(issuer) : n) != 1)
		goto fail;
	if (ca ? !add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE") ||
		    !add_ext(c, c, NID_key_usage,
			"critical,keyCertSign,cRLSign") :
		 !add_ext(c, issuer, NID_basic_constraints, "CA:FALSE") ||
		    !add_ext(c, issuer, NID_subject_alt_name, san) ||
		    !add_ext(c, issuer, NID_ext_key_usage, "serverAuth"))
		goto fail;
	if (X509_sign(c, ikey, EVP_sha256()) == 0)
		goto fail;
	return c;
fail:
	X509_free(c);
	return NULL;
}

static int
tls_init(const char *dir, const char *name)
{
	EVP_PKEY *cak = NULL, *sk = NULL;
	X509 *ca = NULL, *srv = NULL;
	int rc = 1;

	if ((cak = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1")) == NULL ||
	    (sk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1")) == NULL ||
	    (ca = make_cert(cak, "ptv operator CA", NULL, cak, 1, 1)) == NULL ||
	    (srv = make_cert(sk, name, ca, cak, 2, 0)) == NULL) {
		fprintf(stderr,
		    "centerctl init: cannot make the certificates\n");
		goto out;
	}
	if (write_pem(dir, "ca.crt", NULL, ca, 0644) != 0 ||
	    write_pem(dir, "server.crt", NULL, srv, 0644) != 0 ||
	    write_pem(dir, "server.key", sk, NULL, 0600) != 0)
		goto out;
	rc = 0;
out:
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(sk);
	return rc;
}

/* --- commands ----------------------------------------------------------- */

static int
open_db(const struct opts *o, struct cgs_db **db)
{
	if (cgs_db_open(o->db, db) != 0) {
		fprintf(stderr, "%s: cannot open the database %s\n", o->who,
		    o->db);
		return 1;
	}
	return 0;
}

static int
cmd_register(const struct opts *o)
{
	struct registration reg;
	struct cgs_db *db = NULL;
	int rc = 0;

	if (o->npos < 2)
		usage();
	if (open_db(o, &db) != 0)
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

/* Column width: wide enough for the heading and the usual values. */
static int
col_width(const char *key, int num)
{
	int w = num ? 10 : 18, k = (int)strlen(key);

	return k > w ? k : w;
}

static void
json_or_text(int json, int first, const char *key, const char *val, int num)
{
	if (!json) {
		/* numbers right-aligned, text left-aligned */
		printf(num ? "%s%*s" : "%s%-*s", first ? "" : " ",
		    col_width(key, num), val);
		return;
	}
	printf("%s\"%s\":", first ? "" : ",", key);
	if (num)
		printf("%s", val[0] ? val : "null");
	else
		util_json_string(stdout, val);
}

/* Print the rows of a query, columns named by keys (1: numeric). */
static int
print_query(const struct opts *o, const char *sql, const char *const *keys,
    const int *num, int ncol)
{
	struct cgs_db *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, rows = 0;

	if (open_db(o, &db) != 0)
		return 1;
	if (sqlite3_prepare_v2(cgs_db_sql(db), sql, -1, &st, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "%s: %s: %s\n", o->who, o->db,
		    sqlite3_errmsg(cgs_db_sql(db)));
		cgs_db_close(&db);
		return 1;
	}
	if (o->json)
		printf("[");
	else {
		for (int i = 0; i < ncol; i++)
			printf(num[i] ? "%s%*s" : "%s%-*s", i ? " " : "",
			    col_width(keys[i], num[i]), keys[i]);
		printf("\n");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (o->json)
			printf("%s{", rows ? "," : "");
		for (int i = 0; i < ncol; i++) {
			const unsigned char *v = sqlite3_column_text(st, i);
			json_or_text(o->json, i == 0, keys[i],
			    v != NULL ? (const char *)v : "", num[i]);
		}
		printf(o->json ? "}" : "\n");
		rows++;
	}
	if (o->json)
		printf("]\n");
	if (rc != SQLITE_DONE)
		fprintf(stderr, "%s: %s: %s\n", o->who, o->db,
		    sqlite3_errmsg(cgs_db_sql(db)));
	sqlite3_finalize(st);
	cgs_db_close(&db);
	return rc == SQLITE_DONE ? 0 : 1;
}

static int
cmd_cards(const struct opts *o)
{
	static const char *const keys[] = { "ua", "status", "locked",
		"last_block_seq", "purchases", "first_seen", "last_seen",
		"recovered_at" };
	static const int num[] = { 0, 0, 1, 1, 1, 1, 1, 1 };

	return print_query(o,
	    "SELECT ua, status, locked, last_block_seq, "
	    "(SELECT COUNT(*) FROM purchases p WHERE p.ua = c.ua), first_seen, "
	    "last_seen, recovered_at FROM cards c ORDER BY ua",
	    keys, num, 8);
}

static int
cmd_invoices(const struct opts *o)
{
	static const char *const keys[] = { "ua", "seq", "event", "channel",
		"price", "bought_at", "recorded_at", "via_ua", "origin",
		"session" };
	static const int num[] = { 0, 1, 1, 1, 1, 1, 1, 0, 0, 1 };

	return print_query(o,
	    "SELECT ua, seq, event, channel, price, "
	    "bought_at, recorded_at, via_ua, origin, session_id FROM purchases "
	    "ORDER BY ua, seq",
	    keys, num, 10);
}

static int
cmd_flags(const struct opts *o)
{
	static const char *const keys[] = { "ua", "session", "at", "what" };
	static const int num[] = { 0, 1, 1, 0 };

	return print_query(o,
	    "SELECT ua, session_id, at, what FROM flags "
	    "ORDER BY id",
	    keys, num, 4);
}

/* reload UA AMOUNT, grant UA CHANNEL EXPIRY: the arguments. */
static int
queue_args(const struct opts *o, uint8_t type, uint8_t ua[PROTO_UA_LEN],
    uint32_t *a1, uint32_t *a2)
{
	int grant = type == PROTO_CMD_GRANT;

	if (o->npos != (grant ? 4 : 3))
		usage();
	*a2 = 0;
	if (util_arg_hex(o->who, "UA", o->pos[1], ua, PROTO_UA_LEN) != 0 ||
	    util_arg_u32(o->who, grant ? "CHANNEL" : "AMOUNT", o->pos[2], 0,
		grant ? 0xffff : UINT32_MAX, a1) != 0 ||
	    (grant &&
		util_arg_u32(o->who, "EXPIRY", o->pos[3], 0, UINT32_MAX, a2) !=
		    0))
		return UTIL_EXIT_USAGE;
	return 0;
}

static int
cmd_queue(const struct opts *o, uint8_t type)
{
	struct op_keys k;
	struct cgs_keys ck;
	struct cgs_card card;
	struct cgs_db *db = NULL;
	uint8_t ua[PROTO_UA_LEN];
	uint32_t a1, a2;
	int rc;

	memset(&k, 0, sizeof(k));
	memset(&ck, 0, sizeof(ck));
	if ((rc = queue_args(o, type, ua, &a1, &a2)) != 0)
		goto out;
	rc = UTIL_EXIT_FAIL;
	if (keys_load(o->dir, &k) != 0)
		goto out;
	if (!k.has_center_priv) {
		fprintf(stderr, "%s: no center.key in %s\n", o->who, o->dir);
		goto out;
	}
	memcpy(ck.center_priv, k.center_priv, PROTO_EC_PRIV_LEN);
	memcpy(ck.center_pub, k.center_pub, PROTO_EC_PUB_LEN);
	if (open_db(o, &db) != 0)
		goto out;
	if (cgs_card_get(db, ua, &card) != 0) {
		fprintf(stderr, "%s: card %s is not registered\n", o->who,
		    o->pos[1]);
		goto out;
	}
	if (cgs_queue_command(db, &ck, ua, type, a1, a2) != 0) {
		fprintf(stderr, "%s: cannot queue the command\n", o->who);
		goto out;
	}
	rc = 0;
out:
	cgs_db_close(&db);
	proto_cleanse(&ck, sizeof(ck));
	keys_wipe(&k);
	return rc;
}

static int
cmd_ecm(int argc, char **argv, int first, const char *dir)
{
	char *av[64];
	int n = 0;

	if (argc - first + 3 > 64)
		usage();
	av[n++] = (char *)(uintptr_t) "centerctl";
	av[n++] = (char *)(uintptr_t) "ecm";
	av[n++] = (char *)(uintptr_t)dir;
	for (int i = first; i < argc; i++)
		av[n++] = argv[i];
	av[n] = NULL;
	return headend_main(n, av);
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *env = getenv("CENTER_KEYS");
	int i;

	memset(&o, 0, sizeof(o));
	o.dir = env != NULL ? env : DEFAULT_DIR;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			usage();
		if (strcmp(argv[i], "-K") == 0 && i + 1 < argc)
			o.dir = argv[++i];
		else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
			o.db = argv[++i];
		else if (strcmp(argv[i], "ecm") == 0)
			return cmd_ecm(argc, argv, i + 1, o.dir);
		else if (strcmp(argv[i], "--json") == 0)
			o.json = 1;
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			o.name = argv[++i];
		else if (argv[i][0] != '-' && o.npos < 8)
			o.pos[o.npos++] = argv[i];
		else
			usage(); /* an unknown option or one word too many */
	}
	if (o.npos == 0)
		usage();
	util_who(o.who, "centerctl", o.pos[0]);
	if (o.db == NULL) {
		snprintf(o.dbbuf, sizeof(o.dbbuf), "%s/center.db", o.dir);
		o.db = o.dbbuf;
	}
	if (strcmp(o.pos[0], "init") == 0 && o.npos == 1) {
		if (o.name != NULL &&
		    (strlen(o.name) > 253 ||
			strspn(o.name,
			    "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
			    strlen(o.name))) {
			fprintf(stderr, "%s: --name wants a host name: %s\n",
			    o.who, o.name);
			return UTIL_EXIT_USAGE;
		}
		return keys_init(o.dir) != 0 ||
		    tls_init(o.dir, o.name != NULL ? o.name : "localhost") != 0;
	}
	if (strcmp(o.pos[0], "register") == 0)
		return cmd_register(&o);
	if (strcmp(o.pos[0], "cards") == 0 && o.npos == 1)
		return cmd_cards(&o);
	if (strcmp(o.pos[0], "invoices") == 0 && o.npos == 1)
		return cmd_invoices(&o);
	if (strcmp(o.pos[0], "flags") == 0 && o.npos == 1)
		return cmd_flags(&o);
	if (strcmp(o.pos[0], "reload") == 0)
		return cmd_queue(&o, PROTO_CMD_RELOAD);
	if (strcmp(o.pos[0], "grant") == 0)
		return cmd_queue(&o, PROTO_CMD_GRANT);
	usage();
	return 2;
}
