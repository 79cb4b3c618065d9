/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * centerctl's pieces: the main and the commands that change the center
 * (centerctl.c), the TLS material of init (centerctl_tls.c), and the
 * reports, as text or JSON (centerctl_show.c).
 */
#ifndef TOOLS_CENTERCTL_H
#define TOOLS_CENTERCTL_H

#include <limits.h>

#include "../center/db.h"
#include "util.h"

#define CENTERCTL_POS_MAX 8

struct opts {
	const char *dir, *db, *name, *out, *cancel;
	char dbbuf[PATH_MAX];
	int json, broadcast;
	const char *pos[CENTERCTL_POS_MAX];
	int npos;
	char who[UTIL_WHO_MAX]; /* "centerctl COMMAND", for errors */
};

/* The database, or an error naming it (1). */
int ctl_open_db(const struct opts *o, struct cgs_db **db);

/* init: a local CA and the server's certificate for name (and
 * localhost), written into dir. */
int ctl_tls_init(const char *dir, const char *name);

/* The reports: cards, invoices, flags, commands UA, card UA. */
int ctl_show_cards(const struct opts *o);
int ctl_show_invoices(const struct opts *o);
int ctl_show_flags(const struct opts *o);
int ctl_show_commands(const struct opts *o, const uint8_t ua[PROTO_UA_LEN]);

#endif
