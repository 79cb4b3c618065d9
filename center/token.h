/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The operator console's admin token: CGS_TOKEN_LEN hex digits (32 random
 * bytes, centerd init writes them) in a file only its owner may read.
 * The center keeps its hash, to check a bearer token in constant time,
 * and the cookie a login sets: a hash of the token, so that a cookie
 * proves a login without being the token.
 */
#ifndef CENTER_TOKEN_H
#define CENTER_TOKEN_H

#include <stdint.h>

#include "../proto/crypto.h"

#define CGS_TOKEN_LEN 64 /* hex digits */
#define CGS_TOKEN_FILE_MAX 256

struct cgs_token {
	uint8_t hash[PROTO_SHA256_LEN];
	char cookie[2 * PROTO_SHA256_LEN + 1]; /* hex */
};

/*
 * Read the token from path into t: PROTO_ERR_IO if it cannot be read,
 * PROTO_ERR_STATE if group or others may read it, PROTO_ERR_FORMAT if it
 * is not a token.  Logged; t is written only on success.
 */
int cgs_token_load(const char *path, struct cgs_token *t);
/* Is tok (NUL-terminated; NULL: no) the token?  In constant time. */
int cgs_token_ok(const struct cgs_token *t, const char *tok);
/* Is cookie (NULL: no) the login cookie?  In constant time. */
int cgs_token_cookie_ok(const struct cgs_token *t, const char *cookie);

#endif
