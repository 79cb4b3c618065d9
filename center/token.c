/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "../proto/buf.h"
#include "../proto/file.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "token.h"

/* The token's hash and cookie, from its hex digits. */
static int
derive(const char hex[CGS_TOKEN_LEN], struct cgs_token *t)
{
	char salted[8 + CGS_TOKEN_LEN];
	uint8_t h[PROTO_SHA256_LEN];
	int rc;

	/* the cookie: a hash of the token, not the token */
	memcpy(salted, "cookie:", 7);
	memcpy(salted + 7, hex, CGS_TOKEN_LEN);
	if ((rc = proto_sha256(hex, CGS_TOKEN_LEN, t->hash)) == 0 &&
	    (rc = proto_sha256(salted, 7 + CGS_TOKEN_LEN, h)) == 0)
		proto_hex(h, sizeof(h), t->cookie);
	proto_cleanse(salted, sizeof(salted));
	proto_cleanse(h, sizeof(h));
	return rc;
}

int
cgs_token_load(const char *path, struct cgs_token *t)
{
	uint8_t *b = NULL, raw[CGS_TOKEN_LEN / 2];
	struct cgs_token nt;
	struct stat st;
	size_t n = 0;
	int rc;

	if (stat(path, &st) != 0) {
		proto_log(PROTO_LOG_ERR, "%s: %s: %s (centerctl init makes it)",
		    __func__, path, strerror(errno));
		return PROTO_ERR_IO;
	}
	if ((st.st_mode & 077) != 0) {
		proto_log(PROTO_LOG_ERR,
		    "%s: %s is readable by others (mode %03o): chmod 600 it",
		    __func__, path, (unsigned)(st.st_mode & 0777));
		return PROTO_ERR_STATE;
	}
	if ((rc = proto_file_read(path, CGS_TOKEN_FILE_MAX, &b, &n)) != 0)
		goto out;
	while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == '\r'))
		n--;
	if (n != CGS_TOKEN_LEN ||
	    proto_unhex((const char *)b, n, raw, sizeof(raw)) != 0) {
		rc = PROTO_ERR_FORMAT;
		goto out;
	}
	if ((rc = derive((const char *)b, &nt)) != 0)
		goto out;
	*t = nt;
out:
	if (rc != 0)
		proto_log(PROTO_LOG_ERR, "%s: %s: %s", __func__, path,
		    rc == PROTO_ERR_FORMAT ? "not a token (64 hex digits)" :
			rc == PROTO_ERR_IO ? strerror(errno) :
					     proto_strerror(rc));
	if (b != NULL)
		proto_cleanse(b, n);
	free(b);
	proto_cleanse(raw, sizeof(raw));
	proto_cleanse(&nt, sizeof(nt));
	return rc;
}

int
cgs_token_ok(const struct cgs_token *t, const char *tok)
{
	uint8_t h[PROTO_SHA256_LEN];
	int ok;

	if (tok == NULL || proto_sha256(tok, strlen(tok), h) != 0)
		return 0;
	ok = CRYPTO_memcmp(h, t->hash, sizeof(h)) == 0;
	proto_cleanse(h, sizeof(h));
	return ok;
}

int
cgs_token_cookie_ok(const struct cgs_token *t, const char *cookie)
{
	size_t n = sizeof(t->cookie) - 1;

	return cookie != NULL && t->cookie[0] != '\0' && strlen(cookie) == n &&
	    CRYPTO_memcmp(cookie, t->cookie, n) == 0;
}
