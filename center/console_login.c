/* SPDX-License-Identifier: BSD-2-Clause */
/* Who may read the console, and the login (console_login.h). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/crypto.h"
#include "console_login.h"
#include "console_reply.h"

struct cgs_login_form {
	struct MHD_PostProcessor *pp;
	char token[CGS_TOKEN_LEN + 1];
	char next[CGS_LOGIN_NEXT_MAX];
	size_t body;
	int bad; /* a field too long, or the body */
};

struct cgs_login_form *
cgs_login_form_new(void)
{
	return calloc(1, sizeof(struct cgs_login_form));
}

void
cgs_login_form_free(struct cgs_login_form **fp)
{
	struct cgs_login_form *f = *fp;

	if (f == NULL)
		return;
	if (f->pp != NULL)
		(void)MHD_destroy_post_processor(f->pp);
	proto_cleanse(f->token, sizeof(f->token));
	free(f);
	*fp = NULL;
}

int
cgs_console_next_ok(const char *next)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR"
				 "STUVWXYZ0123456789/-_.?=&%";

	return next[0] == '/' && next[1] != '/' &&
	    strlen(next) < CGS_LOGIN_NEXT_MAX &&
	    strspn(next, ok) == strlen(next);
}

int
cgs_login_authorized(const struct cgs_token *t, struct MHD_Connection *conn)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND,
	    CGS_CONSOLE_COOKIE);

	if (auth != NULL && strncmp(auth, "Bearer ", 7) == 0)
		return cgs_token_ok(t, auth + 7);
	return cgs_token_cookie_ok(t, cookie);
}

enum MHD_Result
cgs_login(const struct cgs_token *t, struct MHD_Connection *conn,
    const char *tok, const char *next)
{
	char cookie[200];

	if (!cgs_token_ok(t, tok))
		return cgs_reply_error(conn, "/login", MHD_HTTP_UNAUTHORIZED,
		    "Log in",
		    tok == NULL ? "The console needs the admin token." :
				  "Wrong token.");
	if (next == NULL || !cgs_console_next_ok(next))
		next = "/";
	snprintf(cookie, sizeof(cookie),
	    CGS_CONSOLE_COOKIE "=%s; Path=/; Max-Age=%d; Secure; HttpOnly; "
			       "SameSite=Strict",
	    t->cookie, CGS_CONSOLE_COOKIE_S);
	return cgs_reply_copy(conn, MHD_HTTP_SEE_OTHER, "text/plain",
	    "logged in\n", cookie, next);
}

enum MHD_Result
cgs_logout(struct MHD_Connection *conn)
{
	return cgs_reply_copy(conn, MHD_HTTP_SEE_OTHER, "text/plain",
	    "logged out\n",
	    CGS_CONSOLE_COOKIE "=; Path=/; Max-Age=0; Secure; HttpOnly; "
			       "SameSite=Strict",
	    "/login");
}

/* One piece of a field of the form (libmicrohttpd's post processor):
 * token and next are kept, bounded; others are ignored. */
static enum MHD_Result
post_field(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *type, const char *enc, const char *data,
    uint64_t off, size_t size)
{
	struct cgs_login_form *f = cls;
	char *dst = NULL;
	size_t cap = 0;

	(void)kind;
	(void)filename;
	(void)type;
	(void)enc;
	if (strcmp(key, "token") == 0) {
		dst = f->token;
		cap = sizeof(f->token);
	} else if (strcmp(key, "next") == 0) {
		dst = f->next;
		cap = sizeof(f->next);
	}
	if (dst == NULL)
		return MHD_YES;
	if (off >= cap || size >= cap - off) {
		f->bad = 1;
		return MHD_NO;
	}
	memcpy(dst + off, data, size);
	dst[off + size] = '\0';
	return MHD_YES;
}

enum MHD_Result
cgs_login_post(const struct cgs_token *t, struct MHD_Connection *conn,
    struct cgs_login_form *f, const char *data, size_t *size)
{
	if (f->pp == NULL &&
	    (f->pp = MHD_create_post_processor(conn, 1024, post_field, f)) ==
		NULL)
		return cgs_reply_error(conn, "/login", MHD_HTTP_BAD_REQUEST,
		    "Log in", "a form (application/x-www-form-urlencoded)");
	if (*size != 0) {
		f->body += *size;
		if (f->body > CGS_LOGIN_POST_MAX ||
		    MHD_post_process(f->pp, data, *size) != MHD_YES)
			f->bad = 1;
		*size = 0;
		return MHD_YES;
	}
	if (f->bad)
		return cgs_reply_error(conn, "/login",
		    MHD_HTTP_CONTENT_TOO_LARGE, "Log in",
		    "The form is too large.");
	return cgs_login(t, conn, f->token,
	    f->next[0] != '\0' ? f->next : NULL);
}
