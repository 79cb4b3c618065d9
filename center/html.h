/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Text for the operator console: a growing buffer, and the one function
 * that puts a value into HTML.  Every value a page shows (a UA, a reason,
 * anything read from the database or a request) goes through
 * cgs_html_esc, so that it is data and never markup.
 *
 * A buffer remembers its first failure (out of memory, or larger than
 * CGS_SB_MAX): later appends do nothing and cgs_sb_take reports it, so a
 * page is built without checking every line.
 */
#ifndef CENTER_HTML_H
#define CENTER_HTML_H

#include <stddef.h>
#include <stdint.h>

#define CGS_SB_MAX (16u << 20) /* the largest page: 16 MiB */

struct cgs_sb {
	char *b;
	size_t n, cap;
	int err; /* 0, or the first failure's proto_err */
};

void cgs_sb_init(struct cgs_sb *sb);
void cgs_sb_free(struct cgs_sb *sb);
/* Append s as it is: for the page's own markup only. */
void cgs_sb_raw(struct cgs_sb *sb, const char *s);
void cgs_sb_printf(struct cgs_sb *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s with & < > " ' as character references: fit for element
 * content and for quoted attribute values. */
void cgs_html_esc(struct cgs_sb *sb, const char *s);
/* s into a URL query value: everything but unreserved characters as
 * %XX (then still HTML-escaped by the caller if put in an attribute). */
void cgs_url_esc(struct cgs_sb *sb, const char *s);
/* A Unix time as "YYYY-MM-DD HH:MM:SSZ" (0: "-"). */
void cgs_sb_time(struct cgs_sb *sb, int64_t t);
/*
 * The text built (NUL-terminated, owned by the caller, free()) and its
 * length; the buffer is left empty.  The buffer's failure, if it had one,
 * is returned instead and nothing is handed over.
 */
int cgs_sb_take(struct cgs_sb *sb, char **out, size_t *len);

#endif
