/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The console's answers (console.c, console_login.c): every response
 * goes out with the console's headers (a content security policy that
 * allows no script, no caching, no framing, no sniffing); an error in
 * the form its URL's reader expects; a view as JSON or as its page.
 *
 * Each returns what libmicrohttpd's request handler returns (MHD_NO: the
 * connection is closed, as when memory ran out).  A body passed in is
 * the callee's from the call on: handed to libmicrohttpd, or freed.
 */
#ifndef CENTER_CONSOLE_REPLY_H
#define CENTER_CONSOLE_REPLY_H

#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

#include "html.h"

#define CGS_CT_HTML "text/html; charset=utf-8"
#define CGS_CT_JSON "application/json"
#define CGS_CT_CSS "text/css; charset=utf-8"
#define CGS_CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

/* body (malloc'd, len bytes; the callee's) with status and type; cookie
 * (a Set-Cookie value) and location (a redirect) may be NULL. */
enum MHD_Result
cgs_reply_body(struct MHD_Connection *conn, unsigned status, const char *type,
    char *body, size_t len, const char *cookie, const char *location);
/* The same with a copy of the string s. */
enum MHD_Result cgs_reply_copy(struct MHD_Connection *conn, unsigned status,
    const char *type, const char *s, const char *cookie, const char *location);
/* What sb built (sb is left empty); a 500 when it failed. */
enum MHD_Result cgs_reply_sb(struct MHD_Connection *conn, unsigned status,
    const char *type, struct cgs_sb *sb);
/*
 * An error: {"status": N, "error": msg} under /api/, msg as text for
 * /metrics, else a page of title and msg (401: with the login form,
 * which comes back to url).
 */
enum MHD_Result cgs_reply_error(struct MHD_Connection *conn, const char *url,
    unsigned status, const char *title, const char *msg);
/* A view (the callee's reference): as JSON (api), or as its page. */
enum MHD_Result cgs_reply_view(struct MHD_Connection *conn, int api, json_t *v,
    void (*page)(const json_t *, struct cgs_sb *));

#endif
