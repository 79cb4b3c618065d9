/* SPDX-License-Identifier: BSD-2-Clause */
/* The console's answers (console_reply.h). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "../proto/log.h"
#include "console_reply.h"
#include "page.h"
#include "view.h"

enum MHD_Result
cgs_reply_body(struct MHD_Connection *conn, unsigned status, const char *type,
    char *body, size_t len, const char *cookie, const char *location)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if ((r = MHD_create_response_from_buffer(len, body,
		 MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(body);
		return MHD_NO;
	}
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	(void)MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'none'; style-src 'self'; img-src 'self'; "
	    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	(void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	(void)MHD_add_response_header(r, "X-Frame-Options", "DENY");
	(void)MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	if (status == MHD_HTTP_UNAUTHORIZED)
		(void)MHD_add_response_header(r,
		    MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer realm=\"ptv console\"");
	if (cookie != NULL)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE,
		    cookie);
	if (location != NULL)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION,
		    location);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result
cgs_reply_copy(struct MHD_Connection *conn, unsigned status, const char *type,
    const char *s, const char *cookie, const char *location)
{
	char *b = strdup(s);

	if (b == NULL)
		return MHD_NO;
	return cgs_reply_body(conn, status, type, b, strlen(b), cookie,
	    location);
}

enum MHD_Result
cgs_reply_sb(struct MHD_Connection *conn, unsigned status, const char *type,
    struct cgs_sb *sb)
{
	char *b = NULL;
	size_t n = 0;

	if (cgs_sb_take(sb, &b, &n) != 0) {
		proto_log(PROTO_LOG_ERR, "%s: a page could not be built",
		    __func__);
		return cgs_reply_copy(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "text/plain", "internal error\n", NULL, NULL);
	}
	return cgs_reply_body(conn, status, type, b, n, NULL, NULL);
}

enum MHD_Result
cgs_reply_error(struct MHD_Connection *conn, const char *url, unsigned status,
    const char *title, const char *msg)
{
	struct cgs_sb sb;
	json_t *j;
	char *b;

	cgs_sb_init(&sb);
	if (strncmp(url, "/api/", 5) == 0) {
		if ((j = json_pack("{s:i, s:s}", "status", (int)status, "error",
			 msg)) == NULL ||
		    (b = json_dumps(j, JSON_COMPACT)) == NULL) {
			json_decref(j);
			return MHD_NO;
		}
		json_decref(j);
		return cgs_reply_body(conn, status, CGS_CT_JSON, b, strlen(b),
		    NULL, NULL);
	}
	if (strcmp(url, "/metrics") == 0) {
		cgs_sb_printf(&sb, "%s\n", msg);
		return cgs_reply_sb(conn, status, "text/plain", &sb);
	}
	cgs_page_message(title, msg, status == MHD_HTTP_UNAUTHORIZED, url, &sb);
	return cgs_reply_sb(conn, status, CGS_CT_HTML, &sb);
}

enum MHD_Result
cgs_reply_view(struct MHD_Connection *conn, int api, json_t *v,
    void (*page)(const json_t *, struct cgs_sb *))
{
	struct cgs_sb sb;
	char *b;

	if (api) {
		b = json_dumps(v, JSON_COMPACT);
		json_decref(v);
		if (b == NULL)
			return MHD_NO;
		return cgs_reply_body(conn, MHD_HTTP_OK, CGS_CT_JSON, b,
		    strlen(b), NULL, NULL);
	}
	cgs_sb_init(&sb);
	page(v, &sb);
	json_decref(v);
	return cgs_reply_sb(conn, MHD_HTTP_OK, CGS_CT_HTML, &sb);
}
