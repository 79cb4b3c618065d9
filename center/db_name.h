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
 * target as it is shown: a URL with each password as "***", a path as it
 * is.  out: size bytes (at least 8), NUL-terminated, cut with "..." when
 * the name is longer.
 */
void cgs_db_name(const char *target, char *out, size_t size);

/* Overwrite each password in target with '*', in place: for a command
 * line, which every local user can read (/proc/PID/cmdline).  Use a copy
 * made before. */
void cgs_db_mask(char *target);

/*
 * First thing in main, before anything that may fail or wait: overwrite
 * the password of each database option's value in argv (cgs_db_mask),
 * keeping a copy for cgs_db_unmasked, so that /proc/PID/cmdline shows it
 * for as short a time as can be.  The options: "-X VALUE" and "-XVALUE"
 * for each letter X of shorts; "--NAME VALUE" and "--NAME=VALUE" for each
 * name of longs (NULL-terminated) or a prefix of one, as getopt_long
 * takes them; none after "--".  A value after letters clustered before X
 * ("-fD VALUE") is left to the option parser to mask.  Any other value
 * is left as it was (masking changes only a URL's passwords).
 * PROTO_ERR_NOMEM: the values were masked, not all kept (exit).
 */
int cgs_db_mask_argv(int argc, char **argv, const char *shorts,
    const char *const *longs);
/* The value as it was given, for a pointer into argv that
 * cgs_db_mask_argv masked (a copy that lives as long as the process);
 * else value itself. */
const char *cgs_db_unmasked(const char *value);

/*
 * msg (libpq's, which may quote the URL it was given) as it may be shown:
 * target in it as cgs_db_name names it, any other copy of one of target's
 * passwords as "***".  out as for cgs_db_name.
 */
void cgs_db_scrub(const char *target, const char *msg, char *out, size_t size);

#endif
