/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * How a database target (a SQLite path or a postgresql:// URL, db.h) is
 * named in what the programs print: never with its password.  A URL's
 * passwords are the one of its user part (postgresql://user:PASSWORD@...)
 * and the value of each parameter "password" (...?password=PASSWORD),
 * read as libpq reads them; each is shown as "***".
 */
#ifndef CGS_DB_NAME_H
#define CGS_DB_NAME_H

#include <stddef.h>

/* Room for a name: a longer one is cut, ending in "...". */
#define CGS_DB_NAME_MAX 4200
/* The passwords one URL may hold; a URL with more is named by its scheme
 * only, and a message about it is not shown. */
#define CGS_DB_SECRETS_MAX 8

/*
 * Where a URL's part after its scheme begins in t: after "://", or, for a
 * PostgreSQL scheme misspelt ("postgresql:/u:pw@h", "POSTGRES://", which
 * libpq takes for no URL and centerd refuses), after its ':' and its
 * slashes; 0 for a path.
 */
size_t cgs_db_url_body(const char *t);
/* Does t begin with "postgresql://" or "postgres://", as libpq takes a
 * URL (in lower case)?  The engine's choice (store.h). */
int cgs_db_url_pg(const char *t);
/* Is t such a misspelt PostgreSQL URL (it is no SQLite path either)? */
int cgs_db_url_misspelt(const char *t);

/*
 * target as it is shown: a URL with each password as "***", a path as it
 * is.  out: size bytes (at least 8), NUL-terminated, cut with "..." when
 * the name is longer.
 */
void cgs_db_name(const char *target, char *out, size_t size);

/* Overwrite each password in target with '*', in place (all that follows
 * the scheme when it holds more than CGS_DB_SECRETS_MAX): for a command
 * line, which every local user can read (/proc/PID/cmdline).  Use a copy
 * made before. */
void cgs_db_mask(char *target);

/*
 * First thing in main, before anything that may fail or wait: overwrite
 * the passwords of every word of argv that holds a URL with one
 * (cgs_db_mask: "-D URL", "-DURL", "-fDURL", "--db=URL", a value after
 * "--", whatever the spelling and whichever option it follows), keeping
 * a copy of each word for cgs_db_unmasked, so that /proc/PID/cmdline
 * shows a password for as short a time as can be.  Masking every such
 * word, not only those the option parser will take for the database's,
 * leaves no spelling of getopt's unmasked; an option of another kind
 * that takes a URL with a password must read it by cgs_db_unmasked too.
 * PROTO_ERR_NOMEM: the words were masked, not all kept (exit).
 */
int cgs_db_mask_argv(int argc, char **argv);
/* The value as it was given, for a pointer into a word of argv that
 * cgs_db_mask_argv masked (into a copy that lives as long as the
 * process); else value itself. */
const char *cgs_db_unmasked(const char *value);

/*
 * msg (libpq's, which may quote the URL it was given) as it may be shown:
 * target in it as cgs_db_name names it, any other copy of one of target's
 * passwords as "***".  out as for cgs_db_name.
 */
void cgs_db_scrub(const char *target, const char *msg, char *out, size_t size);

#endif
