/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../proto/crypto.h"
#include "../proto/file.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "files.h"

enum dec_m1_verdict
dec_files_verdict(int rc)
{
	switch (rc) {
	case 0:
		return DEC_M1_LOADED;
	case PROTO_ERR_AUTH:     /* the tag, or another decoder's file */
	case PROTO_ERR_FORMAT:   /* the content does not parse */
	case PROTO_ERR_SHORT:    /* truncated */
	case PROTO_ERR_LENGTH:   /* a length field that lies */
	case PROTO_ERR_TRAILING: /* bytes after the end */
	case PROTO_ERR_TOOBIG:   /* larger than any M1 */
	case PROTO_ERR_DEPTH:
		return DEC_M1_BAD;
	default: /* I/O, permissions, memory, the crypto library */
		return DEC_M1_UNREADABLE;
	}
}

/* The failure of a call that set errno, in words. */
static const char *
why_of(int rc, int err)
{
	return (rc == PROTO_ERR_IO || rc == PROTO_ERR_NOTFOUND) && err != 0 ?
	    strerror(err) :
	    proto_strerror(rc);
}

static int
lock(const char *what, const char *path, int *fd, char *why)
{
	long holder = 0;
	int rc;

	if ((rc = proto_file_lock(path, fd, &holder)) == 0)
		return 0;
	if (rc == PROTO_ERR_EXISTS && holder > 0)
		snprintf(why, DEC_WHY_MAX,
		    "%s %.300s is in use by another decoderd (pid %ld)", what,
		    path, holder);
	else if (rc == PROTO_ERR_EXISTS)
		snprintf(why, DEC_WHY_MAX,
		    "%s %.300s is in use by another decoderd", what, path);
	else
		snprintf(why, DEC_WHY_MAX, "cannot lock %s %.300s: %s", what,
		    path, why_of(rc, errno));
	return rc;
}

/* Why what (M1, the quarantine) at path cannot be read, for stderr. */
static void
unreadable(const char *what, const char *path, int rc, int err, char *why)
{
	snprintf(why, DEC_WHY_MAX,
	    "cannot read %s %.300s: %s; it is left as "
	    "it is",
	    what, path, why_of(rc, err));
}

/* Why the key file at path cannot be used, for stderr. */
static void
bad_key(const char *path, int rc, int err, char *why)
{
	snprintf(why, DEC_WHY_MAX, "key file %.300s: %s", path,
	    why_of(rc, err));
}

/* Proven bad: keep it aside for the operator, start with an empty M1. */
static void
move_aside(struct dec_state *st, int rc)
{
	char aside[PATH_MAX + 64];

	memset(&st->m1, 0, sizeof(st->m1));
	snprintf(aside, sizeof(aside), "%s.corrupt-%lld", st->cfg.m1,
	    (long long)time(NULL));
	if (rename(st->cfg.m1, aside) == 0)
		proto_log(PROTO_LOG_ERR,
		    "%s: M1 %s is unreadable (%s): moved aside to %s; "
		    "starting with an empty M1",
		    __func__, st->cfg.m1, proto_strerror(rc), aside);
	else
		proto_log(PROTO_LOG_ERR,
		    "%s: M1 %s is unreadable (%s) and cannot be moved aside: "
		    "%s",
		    __func__, st->cfg.m1, proto_strerror(rc), strerror(errno));
	dec_state_set_error(st, "M1 was unreadable and was moved aside");
}

static int
load_m1(struct dec_state *st, char *why)
{
	int rc, err;

	errno = 0;
	rc = dec_m1_load(st->cfg.m1, &st->key, &st->m1);
	err = errno;
	switch (dec_files_verdict(rc)) {
	case DEC_M1_LOADED:
		proto_log(PROTO_LOG_INFO, "M1 %s: %zu entries", st->cfg.m1,
		    st->m1.n);
		return 0;
	case DEC_M1_BAD:
		move_aside(st, rc);
		return 0;
	default:
		memset(&st->m1, 0, sizeof(st->m1));
		unreadable("M1", st->cfg.m1, rc, err, why);
		return rc;
	}
}

/* The operator's issuer public key: 65 bytes, a point on P-256. */
static int
load_issuer(struct dec_state *st, char *why)
{
	struct proto_ec_pub *k = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc, err;

	errno = 0;
	rc = proto_file_read(st->cfg.issuer, PROTO_EC_PUB_LEN, &buf, &len);
	err = errno;
	if (rc == 0 &&
	    (len != PROTO_EC_PUB_LEN || proto_ec_pub_new(buf, &k) != 0))
		rc = PROTO_ERR_FORMAT;
	if (rc == 0)
		memcpy(st->issuer, buf, PROTO_EC_PUB_LEN);
	else
		snprintf(why, DEC_WHY_MAX,
		    "issuer key %.300s: %s (the operator's issuer.pub: only "
		    "cards it certified may export into M1)",
		    st->cfg.issuer,
		    rc == PROTO_ERR_FORMAT ? "not a P-256 public key" :
					     why_of(rc, err));
	proto_ec_pub_free(&k);
	free(buf);
	return rc;
}

/* The quarantine's path (PATH_MAX bytes), beside M1. */
static int
quar_path(const struct dec_state *st, char *path, char *why)
{
	int rc;

	if ((rc = dec_quar_path(st->cfg.m1, path, PATH_MAX)) != 0)
		snprintf(why, DEC_WHY_MAX, "M1 path %.300s is too long",
		    st->cfg.m1);
	return rc;
}

/*
 * The quarantine beside M1: what is in it is only for the operator to
 * read, so one that does not parse is moved aside, never a reason not
 * to start; one that cannot be read is left alone, and we do not start
 * (the next quarantined entry would overwrite it).
 */
static int
load_quarantine(struct dec_state *st, char *why)
{
	char path[PATH_MAX], aside[PATH_MAX + 64];
	int rc, err;

	if ((rc = quar_path(st, path, why)) != 0)
		return rc;
	errno = 0;
	rc = dec_quar_load(path, &st->quar);
	err = errno;
	switch (dec_files_verdict(rc)) {
	case DEC_M1_LOADED:
		return 0;
	case DEC_M1_BAD:
		memset(&st->quar, 0, sizeof(st->quar));
		snprintf(aside, sizeof(aside), "%s.corrupt-%lld", path,
		    (long long)time(NULL));
		proto_log(PROTO_LOG_ERR,
		    "%s: quarantine %s does not parse (%s): %s %s", __func__,
		    path, proto_strerror(rc),
		    rename(path, aside) == 0 ? "moved aside to" :
					       "and cannot be moved aside to",
		    aside);
		return 0;
	default:
		unreadable("the quarantine", path, rc, err, why);
		return rc;
	}
}

/* Can what at path be read, if it is there (max bytes at most)?  A file
 * load_m1 or load_quarantine would find unreadable, found before any
 * file is made. */
static int
check_readable(const char *what, const char *path, size_t max, char *why)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc, err;

	errno = 0;
	rc = proto_file_read(path, max, &buf, &len);
	err = errno;
	if (buf != NULL)
		proto_cleanse(buf, len);
	free(buf);
	if (rc == PROTO_ERR_NOTFOUND ||
	    dec_files_verdict(rc) != DEC_M1_UNREADABLE)
		return 0;
	unreadable(what, path, rc, err, why);
	return rc;
}

/*
 * What can make dec_files_open fail once it has made its first file (a
 * lock file, the new key): the key file, M1 and the quarantine, each
 * read if it is there.
 */
static int
check_files(const struct dec_state *st, char *why)
{
	char quar[PATH_MAX];
	struct dec_key k;
	int rc, err;

	errno = 0;
	rc = dec_key_load(st->cfg.key, &k);
	err = errno;
	proto_cleanse(&k, sizeof(k));
	if (rc != 0 && rc != PROTO_ERR_NOTFOUND) {
		bad_key(st->cfg.key, rc, err, why);
		return rc;
	}
	if ((rc = quar_path(st, quar, why)) != 0 ||
	    (rc = check_readable("M1", st->cfg.m1, DEC_M1_FILE_MAX, why)) !=
		0 ||
	    (rc = check_readable("the quarantine", quar, DEC_QUAR_FILE_MAX,
		 why)) != 0)
		return rc;
	return 0;
}

int
dec_files_open(struct dec_state *st, char *why)
{
	int rc;

	/* The issuer and the files first: a decoderd that cannot start
	 * makes no file. */
	if ((rc = load_issuer(st, why)) != 0 ||
	    (rc = check_files(st, why)) != 0 ||
	    (rc = lock("M1", st->cfg.m1, &st->m1_lock, why)) != 0 ||
	    (rc = lock("key file", st->cfg.key, &st->key_lock, why)) != 0)
		goto fail;
	if ((rc = dec_key_load_or_create(st->cfg.key, &st->key)) != 0) {
		bad_key(st->cfg.key, rc, errno, why);
		goto fail;
	}
	if ((rc = load_m1(st, why)) != 0 ||
	    (rc = load_quarantine(st, why)) != 0)
		goto fail;
	return 0;
fail:
	dec_files_close(st);
	return rc;
}

void
dec_files_close(struct dec_state *st)
{
	proto_file_unlock(&st->m1_lock);
	proto_file_unlock(&st->key_lock);
}
