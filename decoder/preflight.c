/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <winscard.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "preflight.h"

/* The directory part of path ("." for a bare name) into dir. */
static void
dir_of(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		snprintf(dir, cap, ".");
		return;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	snprintf(dir, cap, "%.*s", (int)n, path);
}

/* The directory file goes in exists and is one: 0, or why not. */
static int
check_dir_of(const char *what, const char *file,
    char why[DEC_PREFLIGHT_WHY_MAX])
{
	char dir[PATH_MAX];
	struct stat st;

	dir_of(file, dir, sizeof(dir));
	if (stat(dir, &st) != 0) {
		snprintf(why, DEC_PREFLIGHT_WHY_MAX,
		    "%s %s: its directory %s: %s (make it; under systemd "
		    "StateDirectory= does)",
		    what, file, dir, strerror(errno));
		return proto_err_sys(errno);
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, DEC_PREFLIGHT_WHY_MAX,
		    "%s %s: %s is not a directory", what, file, dir);
		return proto_err_sys(ENOTDIR);
	}
	return 0;
}

/* The CA file opens for reading: 0, or the errno. */
static int
readable(const char *path)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	close(fd);
	return 0;
}

static int
check_ca(const struct dec_config *c, char why[DEC_PREFLIGHT_WHY_MAX])
{
	int e;

	if ((e = readable(c->ca)) == 0)
		return 0;
	if (c->uplink_interval > 0) {
		snprintf(why, DEC_PREFLIGHT_WHY_MAX,
		    "CA file %s: %s: no uplink could verify the center, and "
		    "uplink_interval asks for them (copy ca.crt of the "
		    "center's key directory there, or set -A)",
		    c->ca, strerror(e));
		return proto_err_sys(e);
	}
	proto_log(PROTO_LOG_WARNING,
	    "%s: CA file %s: %s: every uplink will fail until it is there",
	    __func__, c->ca, strerror(e));
	return 0;
}

/* A directory decoderd reads from: a warning naming what goes without. */
static void
check_read_dir(const char *fn, const char *what, const char *dir,
    const char *without)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		proto_log(PROTO_LOG_WARNING, "%s: %s %s: %s: %s", fn, what, dir,
		    strerror(errno), without);
	else if (!S_ISDIR(st.st_mode))
		proto_log(PROTO_LOG_WARNING, "%s: %s %s is not a directory", fn,
		    what, dir);
}

static void
check_ecm_dir(const struct dec_config *c)
{
	check_read_dir(__func__, "ECM directory", c->ecm_dir,
	    "decoderctl tune will fail until it is there");
}

static void
check_emm_dir(const struct dec_config *c)
{
	check_read_dir(__func__, "EMM directory", c->emm_dir,
	    "no broadcast EMM reaches the card until it is there");
}

static void
check_pcscd(void)
{
	SCARDCONTEXT ctx;
	LONG rv;

	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv == SCARD_S_SUCCESS) {
		SCardReleaseContext(ctx);
		return;
	}
	proto_log(PROTO_LOG_WARNING,
	    "%s: pcscd does not answer (%s): is it running? decoderd waits "
	    "for it and sees the card once it is there",
	    __func__, pcsc_stringify_error(rv));
}

int
dec_preflight(const struct dec_config *c, int pcsc,
    char why[DEC_PREFLIGHT_WHY_MAX])
{
	int rc;

	why[0] = '\0';
	if ((rc = check_dir_of("M1", c->m1, why)) != 0 ||
	    (rc = check_dir_of("key file", c->key, why)) != 0 ||
	    (rc = check_ca(c, why)) != 0)
		return rc;
	check_ecm_dir(c);
	check_emm_dir(c);
	if (pcsc)
		check_pcscd();
	return 0;
}
