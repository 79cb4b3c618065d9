/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "keydir.h"
#include "proto.h"

struct key_file {
	const char *name;
	size_t len;
	unsigned bit;
	mode_t mode;
};

/*
 * Read in this order (center.pub first: the tools require it); written in
 * the reverse order, so that center.pub, which tells a directory holding
 * keys, is there only once the secrets are.
 */
static const struct key_file files[] = {
	{ "center.pub", PROTO_EC_PUB_LEN, PROTO_KEYDIR_CENTER_PUB, 0644 },
	{ "issuer.pub", PROTO_EC_PUB_LEN, PROTO_KEYDIR_ISSUER_PUB, 0644 },
	{ "master.key", PROTO_MASTER_LEN, PROTO_KEYDIR_MASTER, 0600 },
	{ "ecm.key", PROTO_AES_KEY_LEN, PROTO_KEYDIR_ECM, 0600 },
	{ "center.key", PROTO_KEYDIR_PAIR_LEN, PROTO_KEYDIR_CENTER, 0600 },
	{ "issuer.key", PROTO_KEYDIR_PAIR_LEN, PROTO_KEYDIR_ISSUER, 0600 },
};
#define NFILES (sizeof(files) / sizeof(files[0]))

/* The two key pairs as their files hold them: private, then public. */
struct pairs {
	uint8_t center[PROTO_KEYDIR_PAIR_LEN];
	uint8_t issuer[PROTO_KEYDIR_PAIR_LEN];
};

static int
key_path(char path[PATH_MAX], const char *dir, const char *name)
{
	int n = snprintf(path, PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PATH_MAX ? PROTO_ERR_TOOBIG : 0;
}

/* Where file f's bytes go in k (a key pair: both halves, in pairs). */
static uint8_t *
key_place(struct proto_keydir *k, struct pairs *pp, unsigned bit)
{
	switch (bit) {
	case PROTO_KEYDIR_MASTER:
		return k->master;
	case PROTO_KEYDIR_ECM:
		return k->ecm;
	case PROTO_KEYDIR_CENTER_PUB:
		return k->center_pub;
	case PROTO_KEYDIR_ISSUER_PUB:
		return k->issuer_pub;
	case PROTO_KEYDIR_ISSUER:
		return pp->issuer;
	default:
		return pp->center;
	}
}

/* A pair file's halves into priv, and into pub unless its .pub was read. */
static void
pair_split(const uint8_t pair[PROTO_KEYDIR_PAIR_LEN], int have_pub,
    uint8_t priv[PROTO_EC_PRIV_LEN], uint8_t pub[PROTO_EC_PUB_LEN])
{
	memcpy(priv, pair, PROTO_EC_PRIV_LEN);
	if (!have_pub)
		memcpy(pub, pair + PROTO_EC_PRIV_LEN, PROTO_EC_PUB_LEN);
}

/* A new pair: in k, and as its file holds it. */
static int
pair_new(uint8_t priv[PROTO_EC_PRIV_LEN], uint8_t pub[PROTO_EC_PUB_LEN],
    uint8_t pair[PROTO_KEYDIR_PAIR_LEN])
{
	int rc;

	if ((rc = proto_ec_keygen(priv, pub)) != 0)
		return rc;
	memcpy(pair, priv, PROTO_EC_PRIV_LEN);
	memcpy(pair + PROTO_EC_PRIV_LEN, pub, PROTO_EC_PUB_LEN);
	return 0;
}

/*
 * Read a key file of exactly f->len bytes into out, through a stack
 * buffer wiped on every path (one byte more than the key tells a file
 * that is too long).  A failed system call's errno is in the value.
 */
static int
read_key(const char *dir, const struct key_file *f, uint8_t *out)
{
	uint8_t buf[PROTO_KEYDIR_PAIR_LEN + 1];
	char path[PATH_MAX];
	struct stat st;
	size_t got = 0;
	int fd, rc, saved = 0;

	if ((rc = key_path(path, dir, f->name)) != 0)
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? PROTO_ERR_NOTFOUND :
					 proto_err_sys(errno);
	if (fstat(fd, &st) != 0) {
		rc = proto_err_sys(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = proto_err_sys(EINVAL);
		goto out;
	}
	while (got < f->len + 1) {
		ssize_t n = read(fd, buf + got, f->len + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = proto_err_sys(errno);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != f->len) {
		rc = PROTO_ERR_LENGTH;
		goto out;
	}
	memcpy(out, buf, f->len);
	rc = 0;
out:
	saved = errno;
	proto_cleanse(buf, sizeof(buf));
	close(fd);
	errno = saved;
	return rc;
}

int
proto_keydir_load(const char *dir, unsigned need, unsigned want,
    struct proto_keydir *out, const char **file)
{
	struct pairs pp;
	struct proto_keydir k;
	const char *bad = NULL;
	int rc = 0;

	memset(&k, 0, sizeof(k));
	if (dir == NULL || out == NULL || ((need | want) & ~PROTO_KEYDIR_ALL)) {
		rc = PROTO_ERR_ARG;
		goto out;
	}
	for (size_t i = 0; i < NFILES; i++) {
		const struct key_file *f = &files[i];

		if (((need | want) & f->bit) == 0)
			continue;
		rc = read_key(dir, f, key_place(&k, &pp, f->bit));
		if (rc == PROTO_ERR_NOTFOUND && (need & f->bit) == 0) {
			rc = 0;
			continue;
		}
		if (rc != 0) {
			bad = f->name;
			goto out;
		}
		k.have |= f->bit;
	}
	if (k.have & PROTO_KEYDIR_CENTER)
		pair_split(pp.center, (k.have & PROTO_KEYDIR_CENTER_PUB) != 0,
		    k.center_priv, k.center_pub);
	if (k.have & PROTO_KEYDIR_ISSUER)
		pair_split(pp.issuer, (k.have & PROTO_KEYDIR_ISSUER_PUB) != 0,
		    k.issuer_priv, k.issuer_pub);
	*out = k;
out:
	proto_cleanse(&pp, sizeof(pp));
	proto_keydir_wipe(&k);
	if (file != NULL)
		*file = bad;
	return rc;
}

static int
write_key(const char *dir, const struct key_file *f, const uint8_t *p)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = key_path(path, dir, f->name)) != 0)
		return rc;
	return proto_file_replace(path, p, f->len, f->mode);
}

int
proto_keydir_create(const char *dir, const char **file)
{
	struct pairs pp;
	struct proto_keydir k;
	char path[PATH_MAX];
	const char *bad = NULL;
	struct stat st;
	int rc, saved = 0;

	memset(&k, 0, sizeof(k));
	memset(&pp, 0, sizeof(pp));
	if (dir == NULL) {
		rc = PROTO_ERR_ARG;
		goto out;
	}
	if ((rc = key_path(path, dir, "center.pub")) != 0 ||
	    stat(path, &st) == 0) {
		bad = "center.pub";
		rc = rc != 0 ? rc : PROTO_ERR_EXISTS;
		goto out;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		saved = errno;
		rc = proto_err_sys(saved);
		goto out;
	}
	if ((rc = proto_random(k.master, sizeof(k.master))) != 0 ||
	    (rc = proto_random(k.ecm, sizeof(k.ecm))) != 0 ||
	    (rc = pair_new(k.center_priv, k.center_pub, pp.center)) != 0 ||
	    (rc = pair_new(k.issuer_priv, k.issuer_pub, pp.issuer)) != 0)
		goto out;
	for (size_t i = NFILES; i-- > 0;) {
		const struct key_file *f = &files[i];

		if ((rc = write_key(dir, f, key_place(&k, &pp, f->bit))) != 0) {
			saved = errno;
			bad = f->name;
			goto out;
		}
	}
out:
	proto_cleanse(&pp, sizeof(pp));
	proto_keydir_wipe(&k);
	if (file != NULL)
		*file = bad;
	errno = saved;
	return rc;
}

void
proto_keydir_wipe(struct proto_keydir *k)
{
	if (k != NULL)
		proto_cleanse(k, sizeof(*k));
}
