/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A database target as messages name it (db_name.h).  A target with "://"
 * is read as a URL (store.h tells which engine; either way its passwords
 * are hidden), and so is one that begins with PostgreSQL's scheme however
 * misspelt (cgs_db_url_body), through the bounded reader, its passwords found where
 * libpq finds them: the user part ends at the first '@' before any '/',
 * its password follows its first ':'; the parameters follow the first '?'
 * after it, split at '&'.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdlib.h>
#include <string.h>

#include "../proto/buf.h"
#include "../proto/proto.h"
#include "db_name.h"

#define HIDDEN "***"
#define CUT "..."

/* Where the passwords are in a target: offsets and lengths. */
struct secrets {
	size_t off[CGS_DB_SECRETS_MAX], len[CGS_DB_SECRETS_MAX];
	int n, too_many;
};

/* What is written so far into out (its room less the cut mark's). */
struct out {
	struct proto_wr w;
	char *buf;
	int cut;
};

/* How far r is into the n bytes it was made on. */
static size_t
at(const struct proto_rd *r, size_t n)
{
	return n - proto_rd_left(r);
}

/* Move r up to the next byte of stops: that byte (not consumed), or 0 at
 * the end. */
static uint8_t
upto(struct proto_rd *r, const char *stops)
{
	uint8_t c;

	while (proto_rd_peek(r, &c) == 0) {
		if (strchr(stops, c) != NULL)
			return c;
		(void)proto_rd_skip(r, 1);
	}
	return 0;
}

static void
add(struct secrets *s, size_t off, size_t len)
{
	if (len == 0)
		return;
	if (s->n == CGS_DB_SECRETS_MAX) {
		s->too_many = 1;
		return;
	}
	s->off[s->n] = off;
	s->len[s->n++] = len;
}

/* Is key, percent-decoded as libpq decodes it, "password"? */
static int
password_key(const char *key, size_t n)
{
	static const char want[] = "password";
	size_t k = 0;
	uint8_t c;

	for (size_t i = 0; i < n; i++, k++) {
		c = (uint8_t)key[i];
		if (c == '%' &&
		    (n - i < 3 || proto_unhex(key + i + 1, 2, &c, 1) != 0))
			return 0;
		if (key[i] == '%')
			i += 2;
		if (k >= sizeof(want) - 1 || c != (uint8_t)want[k])
			return 0;
	}
	return k == sizeof(want) - 1;
}

/* The passwords of the parameters r holds (after the '?'). */
static void
param_secrets(struct proto_rd *r, const char *t, size_t n, struct secrets *s)
{
	size_t start, eq;
	uint8_t c;

	do {
		start = at(r, n);
		c = upto(r, "=&");
		eq = at(r, n);
		if (c == '=')
			c = upto(r, "&");
		if (eq < at(r, n) && password_key(t + start, eq - start))
			add(s, eq + 1, at(r, n) - eq - 1);
	} while (c == '&' && proto_rd_skip(r, 1) == 0);
}

/* Does t begin with "postgres:" or "postgresql:", in any case, after any
 * white space?  *len: up to its ':'. */
static int
pg_scheme(const char *t, size_t *len)
{
	static const char *const schemes[] = { "postgresql:", "postgres:" };
	/* white space before it (a quoted value, pasted) changes nothing */
	size_t lead = strspn(t, " \t\n\r\v\f");

	t += lead;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t k = strlen(schemes[i]), j;

		/* letters in any case; the ':' itself (0x1a | 0x20 is ':') */
		for (j = 0; j < k && t[j] != '\0' &&
		     (t[j] == schemes[i][j] ||
			 (schemes[i][j] != ':' &&
			     (t[j] | 0x20) == schemes[i][j]));
		     j++)
			;
		if (j == k) {
			*len = lead + k;
			return 1;
		}
	}
	return 0;
}

size_t
cgs_db_url_body(const char *t)
{
	const char *sep;
	size_t k;

	/* PostgreSQL's scheme first, however spelt: a "://" further on (in
	 * a misspelt URL's password or parameters) is not where its body
	 * starts */
	if (pg_scheme(t, &k)) {
		if (!cgs_db_url_misspelt(t)) /* postgresql://, postgres:// */
			return k + 2;
		/* misspelt (one slash, none): read as a URL all the same,
		 * so that its password is never shown */
		while (t[k] == '/')
			k++;
		return k;
	}
	if ((sep = strstr(t, "://")) != NULL)
		return (size_t)(sep - t) + 3;
	return 0;
}

/* Where in a word of a command line ("-Dpostgresql:/...", "--db=POSTGRES:
 * ...") a target with PostgreSQL's scheme, however spelt, begins; 0 if
 * none (the word itself is read as a target). */
static size_t
pg_in_word(const char *w)
{
	size_t k;

	for (size_t i = 0; w[i] != '\0'; i++)
		if (pg_scheme(w + i, &k))
			return i;
	return 0;
}

int
cgs_db_url_pg(const char *t)
{
	return strncmp(t, "postgresql://", 13) == 0 ||
	    strncmp(t, "postgres://", 11) == 0;
}

int
cgs_db_url_misspelt(const char *t)
{
	size_t k;

	return pg_scheme(t, &k) && !cgs_db_url_pg(t);
}

static void
find_secrets(const char *t, struct secrets *s)
{
	size_t n = strlen(t), user, body = cgs_db_url_body(t);
	struct proto_rd r, u, auth;

	memset(s, 0, sizeof(*s));
	if (body == 0)
		return; /* a path */
	proto_rd_init(&r, t, n);
	(void)proto_rd_skip(&r, body);
	user = at(&r, n);
	auth = r;
	if (upto(&r, "@/") != '@') {
		r = auth; /* no user part: the parameters may come before '/' */
	} else {
		proto_rd_init(&u, t + user, at(&r, n) - user);
		if (upto(&u, ":") == ':' && proto_rd_skip(&u, 1) == 0)
			add(s, at(&r, n) - proto_rd_left(&u),
			    proto_rd_left(&u));
		(void)proto_rd_skip(&r, 1);
	}
	if (upto(&r, "?") == '?' && proto_rd_skip(&r, 1) == 0)
		param_secrets(&r, t, n, s);
}

static void
out_init(struct out *o, char *buf, size_t size)
{
	o->buf = buf;
	o->cut = 0;
	/* room for the NUL; a buffer too small for a cut name holds "" */
	proto_wr_init(&o->w, buf, size >= sizeof(CUT) + 4 ? size - 1 : 0);
	if (size > 0)
		buf[0] = '\0';
}

static void
put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && !o->cut; i++)
		if (proto_wr_u8(&o->w, (uint8_t)s[i]) != 0)
			o->cut = 1;
}

/* The NUL, after the cut mark in place of the last bytes if cut. */
static void
out_end(struct out *o)
{
	size_t len = proto_wr_len(&o->w);

	if (o->w.cap == 0)
		return;
	if (o->cut) {
		len = o->w.cap - (sizeof(CUT) - 1);
		memcpy(o->buf + len, CUT, sizeof(CUT) - 1);
		len += sizeof(CUT) - 1;
	}
	o->buf[len] = '\0';
}

/* The length of a password of t (as s finds them) that src starts with;
 * 0 for none. */
static size_t
secret_at(const struct secrets *s, const char *src, const char *t)
{
	for (int k = 0; k < s->n; k++)
		if (strncmp(src, t + s->off[k], s->len[k]) == 0)
			return s->len[k];
	return 0;
}

/* t with its passwords hidden, into o. */
static void
put_name(struct out *o, const char *t, const struct secrets *s)
{
	size_t n = strlen(t), i = 0;
	int k;

	if (s->too_many) {
		put(o, t, cgs_db_url_body(t));
		put(o, HIDDEN, strlen(HIDDEN));
		return;
	}
	while (i < n) {
		for (k = 0; k < s->n && s->off[k] != i; k++)
			;
		if (k < s->n) {
			put(o, HIDDEN, strlen(HIDDEN));
			i += s->len[k];
		} else {
			put(o, t + i++, 1);
		}
	}
}

void
cgs_db_name(const char *target, char *out, size_t size)
{
	struct secrets s;
	struct out o;

	out_init(&o, out, size);
	find_secrets(target, &s);
	put_name(&o, target, &s);
	out_end(&o);
}

void
cgs_db_mask(char *target)
{
	struct secrets s;
	char *rest;

	find_secrets(target, &s);
	if (s.too_many) {
		/* more passwords than kept (libpq takes the last): all that
		 * follows the scheme, as cgs_db_name hides it */
		rest = target + cgs_db_url_body(target);
		memset(rest, '*', strlen(rest));
		return;
	}
	for (int k = 0; k < s.n; k++)
		memset(target + s.off[k], '*', s.len[k]);
}

void
cgs_db_scrub(const char *target, const char *msg, char *out, size_t size)
{
	static const char unshown[] = "(a message that may quote the "
				      "database's password, not shown)";
	size_t tlen = strlen(target), i = 0, n = strlen(msg), k;
	struct secrets s;
	struct out o;

	out_init(&o, out, size);
	find_secrets(target, &s);
	if (s.too_many)
		put(&o, unshown, sizeof(unshown) - 1);
	while (!s.too_many && i < n) {
		if (tlen > 0 && strncmp(msg + i, target, tlen) == 0) {
			put_name(&o, target, &s);
			i += tlen;
		} else if ((k = secret_at(&s, msg + i, target)) > 0) {
			put(&o, HIDDEN, strlen(HIDDEN));
			i += k;
		} else {
			put(&o, msg + i++, 1);
		}
	}
	out_end(&o);
}

/* The words cgs_db_mask_argv masked: each as argv holds it, its copy. */
struct kept {
	const char *at;
	size_t len;
	char *orig;
};
static struct kept *kept;
static size_t n_kept, cap_kept;

/* Does w hold a URL with a password (what cgs_db_mask would change)? */
static int
has_secret(const char *w)
{
	struct secrets s;

	find_secrets(w, &s);
	return s.n > 0 || s.too_many;
}

int
cgs_db_mask_argv(int argc, char **argv)
{
	struct kept *more;
	int rc = 0;

	if (argv == NULL || argc < 2)
		return 0;
	if (cap_kept - n_kept < (size_t)argc &&
	    (more = realloc(kept, (n_kept + (size_t)argc) * sizeof(*kept))) !=
		NULL) {
		kept = more;
		cap_kept = n_kept + (size_t)argc;
	}
	for (int i = 1; i < argc; i++) {
		/* the target may follow an option in the same word: one with
		 * "://" is found anywhere, a misspelt scheme is looked for */
		char *t = argv[i] + pg_in_word(argv[i]);

		if (!has_secret(argv[i]) && (t == argv[i] || !has_secret(t)))
			continue;
		if (n_kept < cap_kept &&
		    (kept[n_kept].orig = strdup(argv[i])) != NULL) {
			kept[n_kept].at = argv[i];
			kept[n_kept++].len = strlen(argv[i]);
		} else {
			rc = PROTO_ERR_NOMEM;
		}
		if (t != argv[i])
			cgs_db_mask(t);
		cgs_db_mask(argv[i]);
	}
	return rc;
}

const char *
cgs_db_unmasked(const char *value)
{
	for (size_t k = n_kept; k > 0; k--) { /* the latest first */
		const struct kept *w = &kept[k - 1];

		if (value >= w->at && value <= w->at + w->len)
			return w->orig + (value - w->at);
	}
	return value;
}
