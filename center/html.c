/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/proto.h"
#include "html.h"

void
cgs_sb_init(struct cgs_sb *sb)
{
	memset(sb, 0, sizeof(*sb));
}

void
cgs_sb_free(struct cgs_sb *sb)
{
	free(sb->b);
	cgs_sb_init(sb);
}

/* Room for n more bytes and a NUL; 0, or the buffer marked failed. */
static int
grow(struct cgs_sb *sb, size_t n)
{
	size_t cap;
	char *b;

	if (sb->err != 0)
		return sb->err;
	if (n > CGS_SB_MAX || sb->n > CGS_SB_MAX - n) {
		sb->err = PROTO_ERR_TOOBIG;
		return sb->err;
	}
	if (sb->n + n < sb->cap)
		return 0;
	cap = sb->cap != 0 ? sb->cap : 4096;
	while (cap <= sb->n + n)
		cap *= 2;
	if ((b = realloc(sb->b, cap)) == NULL) {
		sb->err = PROTO_ERR_NOMEM;
		return sb->err;
	}
	sb->b = b;
	sb->cap = cap;
	return 0;
}

static void
add(struct cgs_sb *sb, const char *s, size_t n)
{
	if (grow(sb, n) != 0)
		return;
	memcpy(sb->b + sb->n, s, n);
	sb->n += n;
	sb->b[sb->n] = '\0';
}

void
cgs_sb_raw(struct cgs_sb *sb, const char *s)
{
	add(sb, s, strlen(s));
}

void
cgs_sb_printf(struct cgs_sb *sb, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (r < 0 || grow(sb, (size_t)r) != 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(sb->b + sb->n, sb->cap - sb->n, fmt, ap);
	va_end(ap);
	sb->n += (size_t)r;
}

void
cgs_html_esc(struct cgs_sb *sb, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *ref;

		switch (*s) {
		case '&':
			ref = "&amp;";
			break;
		case '<':
			ref = "&lt;";
			break;
		case '>':
			ref = "&gt;";
			break;
		case '"':
			ref = "&quot;";
			break;
		case '\'':
			ref = "&#39;";
			break;
		default:
			continue;
		}
		add(sb, run, (size_t)(s - run));
		cgs_sb_raw(sb, ref);
		run = s + 1;
	}
	add(sb, run, (size_t)(s - run));
}

void
cgs_url_esc(struct cgs_sb *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char e[3] = { '%', hex[c >> 4], hex[c & 15] };

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			add(sb, s, 1);
		else
			add(sb, e, sizeof(e));
	}
}

void
cgs_sb_time(struct cgs_sb *sb, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%SZ", &tm) == 0) {
		cgs_sb_raw(sb, "-");
		return;
	}
	cgs_sb_raw(sb, buf);
}

int
cgs_sb_take(struct cgs_sb *sb, char **out, size_t *len)
{
	int rc = sb->err;

	if (rc == 0 && grow(sb, 0) != 0)
		rc = sb->err;
	if (rc != 0) {
		cgs_sb_free(sb);
		return rc;
	}
	sb->b[sb->n] = '\0';
	*out = sb->b;
	*len = sb->n;
	cgs_sb_init(sb);
	return 0;
}
