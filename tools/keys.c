/* SPDX-License-Identifier: BSD-2-Clause */
#define _GNU_SOURCE /* program_invocation_short_name */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/ctl.h"
#include "../proto/file.h"
#include "../proto/keydir.h"
#include "../proto/proto.h"
#include "keys.h"
#include "util.h"

#define REG_MAX 1024

/*
 * Who is speaking: the command line that called (cardctl, centerctl,
 * headend).  Its callers add their subcommand on the lines they print
 * themselves; these functions are not told it.
 */
static const char *
who(void)
{
	return program_invocation_short_name;
}

/* What a key-directory failure says: the file and why. */
static const char *
keydir_why(int rc)
{
	if (rc == PROTO_ERR_LENGTH)
		return "wrong size for this key";
	return rc == PROTO_ERR_IO ? strerror(errno) : proto_strerror(rc);
}

int
keys_init(const char *dir)
{
	const char *file = NULL;
	int rc;

	if ((rc = proto_keydir_create(dir, &file)) == 0)
		return 0;
	if (rc == PROTO_ERR_EXISTS)
		fprintf(stderr, "%s: %s/%s exists: refusing to replace keys\n",
		    who(), dir, file);
	else if (file == NULL)
		fprintf(stderr, "%s: cannot create %s: %s\n", who(), dir,
		    keydir_why(rc));
	else
		fprintf(stderr, "%s: cannot write %s/%s: %s\n", who(), dir,
		    file, keydir_why(rc));
	return rc;
}

int
keys_load(const char *dir, struct op_keys *k)
{
	struct proto_keydir kd;
	const char *file = NULL;
	int rc;

	if ((rc = proto_keydir_load(dir, PROTO_KEYDIR_CENTER_PUB,
		 PROTO_KEYDIR_MASTER | PROTO_KEYDIR_ECM | PROTO_KEYDIR_CENTER |
		     PROTO_KEYDIR_ISSUER,
		 &kd, &file)) != 0) {
		fprintf(stderr, "%s: %s/%s: %s\n", who(), dir,
		    file != NULL ? file : "", keydir_why(rc));
		return rc;
	}
	memset(k, 0, sizeof(*k));
	memcpy(k->master, kd.master, sizeof(k->master));
	memcpy(k->ecm, kd.ecm, sizeof(k->ecm));
	memcpy(k->center_priv, kd.center_priv, sizeof(k->center_priv));
	memcpy(k->center_pub, kd.center_pub, sizeof(k->center_pub));
	memcpy(k->issuer_priv, kd.issuer_priv, sizeof(k->issuer_priv));
	memcpy(k->issuer_pub, kd.issuer_pub, sizeof(k->issuer_pub));
	k->has_issuer = (kd.have & PROTO_KEYDIR_ISSUER) != 0;
	k->has_master = (kd.have & PROTO_KEYDIR_MASTER) != 0;
	k->has_ecm = (kd.have & PROTO_KEYDIR_ECM) != 0;
	k->has_center_priv = (kd.have & PROTO_KEYDIR_CENTER) != 0;
	proto_keydir_wipe(&kd);
	return 0;
}

void
keys_wipe(struct op_keys *k)
{
	proto_cleanse(k, sizeof(*k));
}

int
reg_write(const char *path, const struct registration *r)
{
	char ua[2 * PROTO_UA_LEN + 1], pub[2 * PROTO_EC_PUB_LEN + 1],
	    ver[2 * PROTO_VERSIONS_LEN + 1], cert[2 * PROTO_CERT_LEN + 1],
	    buf[REG_MAX];
	int n;

	util_hex_encode(r->ua, PROTO_UA_LEN, ua);
	util_hex_encode(r->pub, PROTO_EC_PUB_LEN, pub);
	util_hex_encode(r->versions, PROTO_VERSIONS_LEN, ver);
	if (r->has_cert)
		util_hex_encode(r->cert, PROTO_CERT_LEN, cert);
	n = snprintf(buf, sizeof(buf),
	    "ptv-registration 1\nua %s\n"
	    "public-key %s\nversions %s\n%s%s%s",
	    ua, pub, ver, r->has_cert ? "certificate " : "",
	    r->has_cert ? cert : "", r->has_cert ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(buf))
		return PROTO_ERR_TOOBIG;
	return proto_file_replace(path, buf, (size_t)n, 0644);
}

static int
reg_field(const char *line, size_t len, const char *key, uint8_t *out, size_t n)
{
	char hex[2 * PROTO_CERT_LEN + 1];
	size_t k = strlen(key);

	if (len <= k + 1 || memcmp(line, key, k) != 0 || line[k] != ' ' ||
	    len - k - 1 != 2 * n || 2 * n >= sizeof(hex))
		return PROTO_ERR_FORMAT;
	memcpy(hex, line + k + 1, 2 * n);
	hex[2 * n] = '\0';
	return util_hex_decode(hex, out, n);
}

/* The optional certificate line: a certificate naming r's fields. */
static int
reg_cert(struct proto_rd *rd, struct registration *r)
{
	struct proto_cert c;
	const char *line;
	size_t n;
	int rc;

	r->has_cert = 0;
	if (proto_rd_left(rd) == 0)
		return 0;
	if ((rc = proto_ctl_next_line(rd, &line, &n)) != 0 ||
	    (rc = reg_field(line, n, "certificate", r->cert, PROTO_CERT_LEN)) !=
		0 ||
	    (rc = proto_cert_parse(r->cert, PROTO_CERT_LEN, &c)) != 0)
		return rc;
	if (memcmp(c.ua, r->ua, PROTO_UA_LEN) != 0 ||
	    memcmp(c.pub, r->pub, PROTO_EC_PUB_LEN) != 0 ||
	    memcmp(c.versions, r->versions, PROTO_VERSIONS_LEN) != 0)
		return PROTO_ERR_FORMAT;
	r->has_cert = 1;
	return 0;
}

int
reg_parse(const uint8_t *buf, size_t len, struct registration *out)
{
	struct registration r;
	struct proto_rd rd;
	const char *line;
	size_t n;
	int rc;

	proto_rd_init(&rd, buf, len);
	if ((rc = proto_ctl_next_line(&rd, &line, &n)) != 0)
		return rc;
	if (n != 18 || memcmp(line, "ptv-registration 1", 18) != 0)
		return PROTO_ERR_FORMAT;
	if ((rc = proto_ctl_next_line(&rd, &line, &n)) != 0 ||
	    (rc = reg_field(line, n, "ua", r.ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_ctl_next_line(&rd, &line, &n)) != 0 ||
	    (rc = reg_field(line, n, "public-key", r.pub, PROTO_EC_PUB_LEN)) !=
		0 ||
	    (rc = proto_ctl_next_line(&rd, &line, &n)) != 0 ||
	    (rc = reg_field(line, n, "versions", r.versions,
		 PROTO_VERSIONS_LEN)) != 0 ||
	    (rc = reg_cert(&rd, &r)) != 0 || (rc = proto_rd_end(&rd)) != 0)
		return rc;
	*out = r;
	return 0;
}

int
reg_read(const char *path, struct registration *r)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = proto_file_read(path, REG_MAX, &buf, &len)) == 0)
		rc = reg_parse(buf, len, r);
	if (rc != 0)
		fprintf(stderr, "%s: %s: not a registration record: %s\n",
		    who(), path, proto_strerror(rc));
	free(buf);
	return rc;
}
