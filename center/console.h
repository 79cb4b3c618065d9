/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The operator console: HTTPS on an admin address of its own (loopback by
 * default), served by libmicrohttpd on one thread with a database
 * connection of its own, read-only through report.h.  Pages (view.h) for
 * people, the same data as JSON under /api/ for scripts, /metrics for
 * Prometheus.
 *
 * Access: every request but the login form and the style sheet carries
 * the admin token (the file CGS_CONSOLE_TOKEN in the key directory, made
 * by centerctl init, mode 0600): "Authorization: Bearer TOKEN", or the
 * cookie /login sets (POST of the form, or GET /login?token=TOKEN for a
 * script or a browser started on the command line).  Without it: 401.
 * (console_login.h; every answer through console_reply.h.)
 */
#ifndef CENTER_CONSOLE_H
#define CENTER_CONSOLE_H

#include <stddef.h>

#include "stats.h"
#include "token.h"

#define CGS_CONSOLE_TOKEN "console.token"
#define CGS_CONSOLE_TOKEN_LEN CGS_TOKEN_LEN
#define CGS_CONSOLE_DEFAULT "127.0.0.1:7444"
#define CGS_CONSOLE_CONNS 32     /* connections at once */
#define CGS_CONSOLE_PER_ADDR 8   /* of them from one address */
#define CGS_CONSOLE_TIMEOUT_S 15 /* an idle connection is closed after */

struct cgs_console_conf {
	const char *listen;     /* HOST:PORT, [V6]:PORT */
	const char *cert, *key; /* PEM files: the center's own */
	const char *token_file;
	const char *db_path;
	const struct cgs_stats *stats; /* borrowed: outlives the console */
};

struct cgs_console;

/*
 * Read the token (token.h: refused if it is not a token, or readable by
 * group or others), the certificate and key, open the
 * database, and serve.  Errors are logged, naming what failed.
 */
int cgs_console_start(const struct cgs_console_conf *conf,
    struct cgs_console **out);
/* Stop serving and close everything.  NULL is fine. */
void cgs_console_stop(struct cgs_console **c);

/* Parse HOST:PORT or [HOST]:PORT into host (cap bytes) and port. */
int
cgs_console_split(const char *listen, char *host, size_t cap, unsigned *port);

#endif
