/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Who may read the console (console.h): a request carries the admin
 * token ("Authorization: Bearer TOKEN") or the cookie a login set.  A
 * login is the form's POST (token, next) or GET /login?token=&next=; it
 * sets the cookie (Secure, HttpOnly, SameSite=Strict, CGS_CONSOLE_COOKIE_S)
 * and sends the browser on to next, if next is a path of ours, else to
 * "/".  A wrong or missing token is answered 401 with the form.  Tokens
 * and cookies are compared in constant time (token.h).
 */
#ifndef CENTER_CONSOLE_LOGIN_H
#define CENTER_CONSOLE_LOGIN_H

#include <stddef.h>

#include <microhttpd.h>

#include "token.h"

#define CGS_CONSOLE_COOKIE "ptv_console"
#define CGS_CONSOLE_COOKIE_S 43200 /* a login lasts 12 h */
#define CGS_LOGIN_POST_MAX 1024    /* the form's body */
#define CGS_LOGIN_NEXT_MAX 256     /* the form's next, with its NUL */

/* One request's state across the handler's calls: the form's fields as
 * its POST arrives (any request has one; only a POST to /login fills
 * it). */
struct cgs_login_form;

struct cgs_login_form *cgs_login_form_new(void);
/* Free *f (the token it holds wiped) and set it NULL; NULL is fine. */
void cgs_login_form_free(struct cgs_login_form **f);

/* 1 if conn carries the admin token or a login's cookie, else 0. */
int
cgs_login_authorized(const struct cgs_token *t, struct MHD_Connection *conn);
/* A login with tok (NULL: none given): the cookie and a redirect to
 * next, or 401. */
enum MHD_Result cgs_login(const struct cgs_token *t,
    struct MHD_Connection *conn, const char *tok, const char *next);
/* The form's POST, over the handler's calls (data, *size: this call's
 * part of the body; consumed). */
enum MHD_Result
cgs_login_post(const struct cgs_token *t, struct MHD_Connection *conn,
    struct cgs_login_form *f, const char *data, size_t *size);
/* The cookie cleared, and a redirect to the login form. */
enum MHD_Result cgs_logout(struct MHD_Connection *conn);

/* 1 if next is a path of ours to go to after the login ("/..." of safe
 * characters, not "//"), else 0. */
int cgs_console_next_ok(const char *next);

#endif
