/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * centerctl's pieces: the main and the commands that change the center
 * (centerctl.c), the TLS material of init (centerctl_tls.c), and the
 * reports, as text or JSON (centerctl_show.c; one card's in
 * centerctl_card.c).
 */
#ifndef TOOLS_CENTERCTL_H
#define TOOLS_CENTERCTL_H

#include <limits.h>

#include "../center/commands.h"
#include "../center/db.h"
#include "../center/db_name.h"
#include "util.h"

struct opts {
	const char *dir, *db, *name, *out, *cancel;
	char dbbuf[PATH_MAX];
	char dbname[CGS_DB_NAME_MAX]; /* db as messages name it */
	int json, broadcast;
	const char **pos; /* room for every word: register takes any number */
	int npos;
	char who[UTIL_WHO_MAX]; /* "centerctl COMMAND", for errors */
};

/* A usage error for o's command line (one line on stderr), exit 2. */
_Noreturn void ctl_usage(const struct opts *o);
/*
 * The database, or an error naming it (UTIL_EXIT_FAIL): made if there is
 * none (CREATE: register), or one that exists, to change (WRITE) or only
 * to read (READ: the reports, which never make or migrate one).
 */
enum ctl_db_mode { CTL_DB_CREATE, CTL_DB_WRITE, CTL_DB_READ };
int ctl_db(const struct opts *o, enum ctl_db_mode mode, struct cgs_db **db);
/* ctl_db(o, CTL_DB_WRITE, db). */
int ctl_open_db(const struct opts *o, struct cgs_db **db);
/* The UA argument (pos[1]) of a command of n words: usage() for another
 * count, UTIL_EXIT_USAGE (said) for a bad UA. */
int ctl_ua_arg(const struct opts *o, int n, uint8_t ua[PROTO_UA_LEN]);
/* The center's signing key, from the key directory (errors said). */
int ctl_load_center_key(const struct opts *o, struct cgs_keys *ck);
/* Queue a command for ua on path, made (NULL: not wanted) receiving it;
 * errors said, UTIL_EXIT_FAIL. */
int
ctl_queue(const struct opts *o, const uint8_t ua[PROTO_UA_LEN], uint8_t path,
    uint8_t type, uint32_t a1, uint32_t a2, struct cgs_made *made);
/* emm UA TYPE [ARGS] [-o FILE] (centerctl_emm.c). */
int ctl_cmd_emm(const struct opts *o);
/* revoke UA [-o FILE]: blacklist the card, its disable EMM written out. */
int ctl_cmd_revoke(const struct opts *o);
/* Write a made EMM (o->out, or stdout); if it cannot be, cancel its
 * command again.  Errors said, UTIL_EXIT_FAIL. */
int ctl_emm_out(const struct opts *o, const uint8_t ua[PROTO_UA_LEN],
    const struct cgs_made *m);

/* init: a local CA (its key kept, 0600) and the server's certificate for
 * name (and localhost), written into dir. */
int ctl_tls_init(const char *dir, const char *name);
/* The console's admin token, DIR/console.token (0600), made anew. */
int ctl_token_init(const char *dir);
/* cert: a new server key and certificate for name (and localhost), signed
 * by the CA init kept in dir.  Errors said; non-zero. */
int ctl_tls_cert(const char *dir, const char *name);

/* The reports: cards, invoices, flags, commands UA, card UA. */
int ctl_show_cards(const struct opts *o);
int ctl_show_invoices(const struct opts *o);
int ctl_show_flags(const struct opts *o);
int ctl_show_commands(const struct opts *o, const uint8_t ua[PROTO_UA_LEN]);
/* rejected: the newest rejected blocks, the counts by reason. */
int ctl_show_rejected(const struct opts *o);
/* card UA: the card's record, data and history (centerctl_card.c). */
int ctl_show_card(const struct opts *o, const uint8_t ua[PROTO_UA_LEN]);

#endif
