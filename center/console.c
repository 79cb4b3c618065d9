/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The operator console (console.h) on libmicrohttpd: one internal thread
 * polls every connection, so the console's database connection is only
 * ever used by that thread.  Requests are read-only: GET and HEAD, and
 * the login form's POST.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "../proto/file.h"
#include "../proto/log.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "console.h"
#include "console_login.h"
#include "console_reply.h"
#include "db_name.h"
#include "page.h"
#include "view.h"

#define PEM_MAX 65536 /* a certificate chain or a key */
#define PER_PAGE 50   /* list rows by default */
#define PAGE_NUM_MAX 1000000

struct cgs_console {
	struct MHD_Daemon *d;
	struct cgs_db *db;
	const struct cgs_stats *stats;
	char *cert, *key;
	struct cgs_token token;
};

/* --- setup ---------------------------------------------------------------- */

int
cgs_console_split(const char *listen, char *host, size_t cap, unsigned *port)
{
	const char *colon, *h = listen;
	size_t hl;

	if ((colon = strrchr(listen, ':')) == NULL)
		return PROTO_ERR_FORMAT;
	hl = (size_t)(colon - listen);
	if (hl >= 2 && listen[0] == '[' && colon[-1] == ']') {
		h++;
		hl -= 2;
	} else if (memchr(listen, ':', hl) != NULL) {
		return PROTO_ERR_FORMAT; /* a bare IPv6 address */
	}
	if (hl == 0 || hl >= cap ||
	    proto_parse_uint(colon + 1, 1, 65535, port) != 0)
		return PROTO_ERR_FORMAT;
	memcpy(host, h, hl);
	host[hl] = '\0';
	return 0;
}

/* The whole of a PEM file, NUL-terminated. */
static int
read_pem(const char *path, char **out)
{
	uint8_t *b = NULL;
	size_t n;
	int rc;

	if ((rc = proto_file_read(path, PEM_MAX, &b, &n)) != 0) {
		proto_log(PROTO_LOG_ERR, "%s: %s: %s", __func__, path,
		    rc == PROTO_ERR_IO ? strerror(errno) : proto_strerror(rc));
		return rc;
	}
	if ((*out = calloc(1, n + 1)) == NULL) {
		proto_cleanse(b, n);
		free(b);
		return PROTO_ERR_NOMEM;
	}
	memcpy(*out, b, n);
	proto_cleanse(b, n);
	free(b);
	return 0;
}

/* --- requests ------------------------------------------------------------- */

static const char *
arg(struct MHD_Connection *conn, const char *name)
{
	const char *v =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* A list's filters and range from the query: 0, or what is wrong. */
static const char *
page_args(struct MHD_Connection *conn, struct cgs_page *pg,
    uint8_t ua[PROTO_UA_LEN])
{
	static const char *const statuses[] = { CGS_ISSUED, CGS_ACTIVE,
		CGS_SEEN_RECOVERED, CGS_RECOVERED, CGS_REVOKED };
	const char *u = arg(conn, "ua"), *p = arg(conn, "page"),
		   *per = arg(conn, "per");
	unsigned page = 1, n = PER_PAGE;
	size_t i;

	memset(pg, 0, sizeof(*pg));
	if (u != NULL) {
		if (strlen(u) != 2 * PROTO_UA_LEN ||
		    proto_unhex(u, strlen(u), ua, PROTO_UA_LEN) != 0)
			return "ua: 16 hex digits";
		pg->ua = ua;
	}
	if ((p != NULL && proto_parse_uint(p, 1, PAGE_NUM_MAX, &page) != 0) ||
	    (per != NULL &&
		proto_parse_uint(per, 1, CGS_VIEW_PAGE_MAX, &n) != 0))
		return "page: 1 to 1000000; per: 1 to 500";
	pg->limit = n;
	pg->offset = (page - 1) * n;
	if ((pg->status = arg(conn, "status")) != NULL) {
		for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
			if (strcmp(pg->status, statuses[i]) == 0)
				break;
		if (i == sizeof(statuses) / sizeof(statuses[0]))
			return "status: issued, active, recovered, "
			       "retired-recovered or revoked";
	}
	if ((pg->origin = arg(conn, "origin")) != NULL &&
	    strcmp(pg->origin, "present") != 0 &&
	    strcmp(pg->origin, "recovered") != 0)
		return "origin: present or recovered";
	if ((pg->text = arg(conn, "q")) != NULL &&
	    strlen(pg->text) > CGS_PAGE_TEXT_MAX)
		return "q: at most 64 characters";
	return NULL;
}

/* What a view's failure is answered with. */
static enum MHD_Result
view_failed(struct MHD_Connection *conn, const char *url, int rc)
{
	if (rc == PROTO_ERR_NOTFOUND)
		return cgs_reply_error(conn, url, MHD_HTTP_NOT_FOUND,
		    "Not found", "no such card");
	proto_log(PROTO_LOG_ERR, "%s: %s: %s", __func__, url,
	    proto_strerror(rc));
	return cgs_reply_error(conn, url, MHD_HTTP_INTERNAL_SERVER_ERROR,
	    "Internal error", "the database could not be read");
}

/* The pages and their JSON: path is the URL less "/api" for the API. */
static enum MHD_Result
route(struct cgs_console *c, struct MHD_Connection *conn, const char *url)
{
	int api = strncmp(url, "/api/", 5) == 0;
	const char *path = api ? url + 4 : url, *bad;
	uint8_t ua[PROTO_UA_LEN];
	struct cgs_page pg;
	json_t *v = NULL;
	int rc;

	if (strcmp(path, "/") == 0 || strcmp(path, "/overview") == 0) {
		if ((rc = cgs_view_overview(c->db, c->stats,
			 (int64_t)time(NULL), &v)) != 0)
			return view_failed(conn, url, rc);
		return cgs_reply_view(conn, api, v, cgs_page_overview);
	}
	if (strncmp(path, "/card/", 6) == 0) {
		if (strlen(path + 6) != 2 * PROTO_UA_LEN ||
		    proto_unhex(path + 6, 2 * PROTO_UA_LEN, ua, sizeof(ua)) !=
			0)
			return cgs_reply_error(conn, url, MHD_HTTP_BAD_REQUEST,
			    "Bad request", "a UA is 16 hex digits");
		if ((rc = cgs_view_card(c->db, ua, &v)) != 0)
			return view_failed(conn, url, rc);
		return cgs_reply_view(conn, api, v, cgs_page_card);
	}
	if (strcmp(path, "/cards") != 0 && strcmp(path, "/invoices") != 0 &&
	    strcmp(path, "/anomalies") != 0)
		return cgs_reply_error(conn, url, MHD_HTTP_NOT_FOUND,
		    "Not found", "no such page");
	if ((bad = page_args(conn, &pg, ua)) != NULL)
		return cgs_reply_error(conn, url, MHD_HTTP_BAD_REQUEST,
		    "Bad request", bad);
	if (strcmp(path, "/cards") == 0) {
		pg.origin = pg.text = NULL;
		if ((rc = cgs_view_cards(c->db, &pg, &v)) != 0)
			return view_failed(conn, url, rc);
		return cgs_reply_view(conn, api, v, cgs_page_cards);
	}
	if (strcmp(path, "/invoices") == 0) {
		pg.status = pg.text = NULL;
		if ((rc = cgs_view_invoices(c->db, &pg, &v)) != 0)
			return view_failed(conn, url, rc);
		return cgs_reply_view(conn, api, v, cgs_page_invoices);
	}
	pg.status = pg.origin = NULL;
	if ((rc = cgs_view_anomalies(c->db, &pg, &v)) != 0)
		return view_failed(conn, url, rc);
	return cgs_reply_view(conn, api, v, cgs_page_anomalies);
}

static enum MHD_Result
metrics(struct cgs_console *c, struct MHD_Connection *conn)
{
	struct cgs_sb sb;
	int rc;

	cgs_sb_init(&sb);
	if ((rc = cgs_metrics_text(c->db, c->stats, &sb)) != 0) {
		cgs_sb_free(&sb);
		return view_failed(conn, "/metrics", rc);
	}
	return cgs_reply_sb(conn, MHD_HTTP_OK, CGS_CT_METRICS, &sb);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **con_cls)
{
	struct cgs_console *c = cls;
	int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	struct cgs_login_form *form = *con_cls;

	(void)version;
	if (form == NULL) {
		/* the first call: headers only */
		if ((form = cgs_login_form_new()) == NULL)
			return MHD_NO;
		*con_cls = form;
		return MHD_YES;
	}
	if (strcmp(url, "/login") == 0 &&
	    strcmp(method, MHD_HTTP_METHOD_POST) == 0)
		return cgs_login_post(&c->token, conn, form, data, size);
	if (!get)
		return cgs_reply_error(conn, url, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "Not allowed", "the console is read-only: GET only");
	if (strcmp(url, "/style.css") == 0)
		return cgs_reply_copy(conn, MHD_HTTP_OK, CGS_CT_CSS,
		    cgs_page_css, NULL, NULL);
	if (strcmp(url, "/login") == 0) {
		if (arg(conn, "token") != NULL)
			return cgs_login(&c->token, conn, arg(conn, "token"),
			    arg(conn, "next"));
		return cgs_reply_error(conn, url, MHD_HTTP_UNAUTHORIZED,
		    "Log in",
		    "The console needs the admin token (in the key directory, "
		    "console.token).");
	}
	if (strcmp(url, "/logout") == 0)
		return cgs_logout(conn);
	if (!cgs_login_authorized(&c->token, conn))
		return cgs_reply_error(conn, url, MHD_HTTP_UNAUTHORIZED,
		    "Log in", "The console needs the admin token: log in.");
	if (strcmp(url, "/metrics") == 0)
		return metrics(c, conn);
	return route(c, conn, url);
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct cgs_login_form *form = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	cgs_login_form_free(&form);
	*con_cls = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	proto_log(PROTO_LOG_INFO, "console: %s", line);
}

/* The admin address as a socket address. */
static int
resolve(const char *listen, struct sockaddr_storage *ss, int *v6)
{
	struct addrinfo hints, *ai = NULL;
	char host[256], port[8];
	unsigned p;

	if (cgs_console_split(listen, host, sizeof(host), &p) != 0) {
		proto_log(PROTO_LOG_ERR, "%s: %s: not HOST:PORT", __func__,
		    listen);
		return PROTO_ERR_FORMAT;
	}
	snprintf(port, sizeof(port), "%u", p);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL ||
	    ai->ai_addrlen > sizeof(*ss)) {
		proto_log(PROTO_LOG_ERR, "%s: %s does not resolve", __func__,
		    listen);
		if (ai != NULL)
			freeaddrinfo(ai);
		return PROTO_ERR_NOTFOUND;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	return 0;
}

int
cgs_console_start(const struct cgs_console_conf *conf, struct cgs_console **out)
{
	struct cgs_console *c;
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
	    MHD_USE_TLS | MHD_USE_ERROR_LOG;
	int rc, v6 = 0;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PROTO_ERR_NOMEM;
	c->stats = conf->stats;
	if ((rc = resolve(conf->listen, &ss, &v6)) != 0 ||
	    (rc = cgs_token_load(conf->token_file, &c->token)) != 0 ||
	    (rc = read_pem(conf->cert, &c->cert)) != 0 ||
	    (rc = read_pem(conf->key, &c->key)) != 0)
		goto out;
	if ((rc = cgs_db_open(conf->db_path, &c->db)) != 0) {
		char name[CGS_DB_NAME_MAX];

		cgs_db_name(conf->db_path, name, sizeof(name));
		proto_log(PROTO_LOG_ERR, "%s: cannot open database %s",
		    __func__, name);
		goto out;
	}
	if (v6)
		flags |= MHD_USE_IPv6;
	c->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, c,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_HTTPS_MEM_CERT, c->cert,
	    MHD_OPTION_HTTPS_MEM_KEY, c->key, MHD_OPTION_HTTPS_PRIORITIES,
	    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)CGS_CONSOLE_CONNS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)CGS_CONSOLE_PER_ADDR,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CGS_CONSOLE_TIMEOUT_S,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	if (c->d == NULL) {
		proto_log(PROTO_LOG_ERR, "%s: cannot serve on %s: %s", __func__,
		    conf->listen, strerror(errno));
		rc = PROTO_ERR_IO;
		goto out;
	}
	*out = c;
	c = NULL;
out:
	cgs_console_stop(&c);
	return rc;
}

void
cgs_console_stop(struct cgs_console **cp)
{
	struct cgs_console *c = *cp;

	if (c == NULL)
		return;
	if (c->d != NULL)
		MHD_stop_daemon(c->d);
	cgs_db_close(&c->db);
	free(c->cert);
	if (c->key != NULL) {
		proto_cleanse(c->key, strlen(c->key));
		free(c->key);
	}
	proto_cleanse(c, sizeof(*c));
	free(c);
	*cp = NULL;
}
