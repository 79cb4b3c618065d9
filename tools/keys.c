/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../proto/ctl.h"
#include "../proto/file.h"
#include "../proto/proto.h"
#include "keys.h"
#include "util.h"

#define REG_MAX 1024

static int
key_path(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= cap ? PROTO_ERR_TOOBIG : 0;
}

static int
write_key(const char *dir, const char *name, const void *p, size_t n,
    mode_t mode)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = key_path(path, sizeof(path), dir, name)) != 0 ||
	    (rc = proto_file_replace(path, p, n, mode)) != 0)
		fprintf(stderr, "cannot write %s/%s: %s\n", dir, name,
		    rc == PROTO_ERR_IO ? strerror(errno) : proto_strerror(rc));
	return rc;
}

/* Read a key file of exactly n bytes; PROTO_ERR_NOTFOUND if absent. */
static int
read_key(const char *dir, const char *name, void *out, size_t n, int quiet)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = key_path(path, sizeof(path), dir, name)) != 0)
		return rc;
	if ((rc = proto_file_read(path, n, &buf, &len)) == 0 && len != n)
		rc = PROTO_ERR_LENGTH;
	if (rc == 0)
		memcpy(out, buf, n);
	else if (!quiet || rc != PROTO_ERR_NOTFOUND)
		fprintf(stderr, "%s: %s\n", path,
		    rc == PROTO_ERR_LENGTH || rc == PROTO_ERR_TOOBIG ?
			"wrong size for this key" :
			proto_strerror(rc));
	if (buf != NULL) {
		proto_cleanse(buf, len);
		free(buf);
	}
	return rc;
}

int
keys_init(const char *dir)
{
	struct op_keys k;
	uint8_t both[PROTO_EC_PRIV_LEN + PROTO_EC_PUB_LEN];
	char path[PATH_MAX];
	struct stat st;
	int rc;

	if ((rc = key_path(path, sizeof(path), dir, "center.pub")) != 0)
		return rc;
	if (stat(path, &st) == 0) {
		fprintf(stderr, "%s exists: refusing to replace keys\n", path);
		return PROTO_ERR_EXISTS;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "cannot create %s: %s\n", dir, strerror(errno));
		return PROTO_ERR_IO;
	}
	memset(&k, 0, sizeof(k));
	if ((rc = proto_random(k.master, sizeof(k.master))) != 0 ||
	    (rc = proto_random(k.ecm, sizeof(k.ecm))) != 0 ||
	    (rc = proto_ec_keygen(k.center_priv, k.center_pub)) != 0)
		goto out;
	memcpy(both, k.center_priv, PROTO_EC_PRIV_LEN);
	memcpy(both + PROTO_EC_PRIV_LEN, k.center_pub, PROTO_EC_PUB_LEN);
	if ((rc = write_key(dir, "master.key", k.master, sizeof(k.master),
		 0600)) != 0 ||
	    (rc = write_key(dir, "ecm.key", k.ecm, sizeof(k.ecm), 0600)) != 0 ||
	    (rc = write_key(dir, "center.key", both, sizeof(both), 0600)) !=
		0 ||
	    (rc = write_key(dir, "center.pub", k.center_pub,
		 sizeof(k.center_pub), 0644)) != 0)
		goto out;
out:
	proto_cleanse(both, sizeof(both));
	keys_wipe(&k);
	return rc;
}

int
keys_load(const char *dir, struct op_keys *k)
{
	uint8_t both[PROTO_EC_PRIV_LEN + PROTO_EC_PUB_LEN];
	int rc;

	memset(k, 0, sizeof(*k));
	if ((rc = read_key(dir, "center.pub", k->center_pub, PROTO_EC_PUB_LEN,
		 0)) != 0)
		return rc;
	if ((rc = read_key(dir, "master.key", k->master, PROTO_MASTER_LEN,
		 1)) == 0)
		k->has_master = 1;
	else if (rc != PROTO_ERR_NOTFOUND)
		return rc;
	if ((rc = read_key(dir, "ecm.key", k->ecm, PROTO_AES_KEY_LEN, 1)) == 0)
		k->has_ecm = 1;
	else if (rc != PROTO_ERR_NOTFOUND)
		return rc;
	if ((rc = read_key(dir, "center.key", both, sizeof(both), 1)) == 0) {
		memcpy(k->center_priv, both, PROTO_EC_PRIV_LEN);
		k->has_center_priv = 1;
		proto_cleanse(both, sizeof(both));
	} else if (rc != PROTO_ERR_NOTFOUND) {
		return rc;
	}
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
	    ver[2 * PROTO_VERSIONS_LEN + 1], buf[REG_MAX];
	int n;

	util_hex_encode(r->ua, PROTO_UA_LEN, ua);
	util_hex_encode(r->pub, PROTO_EC_PUB_LEN, pub);
	util_hex_encode(r->versions, PROTO_VERSIONS_LEN, ver);
	n = snprintf(buf, sizeof(buf),
	    "ptv-registration 1\nua %s\n"
	    "public-key %s\nversions %s\n",
	    ua, pub, ver);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return PROTO_ERR_TOOBIG;
	return proto_file_replace(path, buf, (size_t)n, 0644);
}

static int
reg_field(const char *line, size_t len, const char *key, uint8_t *out, size_t n)
{
	char hex[2 * PROTO_EC_PUB_LEN + 1];
	size_t k = strlen(key);

	if (len <= k + 1 || memcmp(line, key, k) != 0 || line[k] != ' ' ||
	    len - k - 1 != 2 * n || 2 * n >= sizeof(hex))
		return PROTO_ERR_FORMAT;
	memcpy(hex, line + k + 1, 2 * n);
	hex[2 * n] = '\0';
	return util_hex_decode(hex, out, n);
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
	    (rc = proto_rd_end(&rd)) != 0)
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
		fprintf(stderr, "%s: not a registration record: %s\n", path,
		    proto_strerror(rc));
	free(buf);
	return rc;
}
