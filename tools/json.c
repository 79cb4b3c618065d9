/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/buf.h"
#include "../proto/proto.h"
#include "../proto/ua.h"
#include "json.h"
#include "util.h"

/* A setter could not allocate: the output is not printed (one process,
 * one output: the command lines are single-threaded). */
static int tj_failed;

void
tj_date(int64_t t, char out[TJ_DATE_MAX])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, TJ_DATE_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, TJ_DATE_MAX, "-");
}

void
tj_set(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || o == NULL || json_object_set_new(o, key, v) != 0)
		tj_failed = 1; /* json_object_set_new freed v */
	if (o == NULL)
		json_decref(v);
}

void
tj_set_int(json_t *o, const char *key, int64_t v)
{
	tj_set(o, key, json_integer((json_int_t)v));
}

void
tj_set_bool(json_t *o, const char *key, int v)
{
	tj_set(o, key, json_boolean(v));
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), 0 if the
 * bytes there are not one (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF). */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned min;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	unsigned c = s[0] & (0x7fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

void
tj_set_strn(json_t *o, const char *key, const char *s, size_t n)
{
	static const char repl[] = "\xef\xbf\xbd"; /* U+FFFD */
	const unsigned char *u = (const unsigned char *)s;
	char *buf;
	size_t k = 0, len;

	if (s == NULL) {
		tj_set(o, key, json_null());
		return;
	}
	if (n > (SIZE_MAX - 1) / 3 || (buf = malloc(3 * n + 1)) == NULL) {
		tj_failed = 1;
		return;
	}
	for (size_t i = 0; i < n; i += len) {
		if ((len = utf8_seq(u + i, n - i)) == 0 || u[i] == '\0') {
			for (size_t j = 0; j < sizeof(repl) - 1; j++)
				buf[k++] = repl[j];
			len = 1;
		} else {
			memcpy(buf + k, s + i, len);
			k += len;
		}
	}
	tj_set(o, key, json_stringn(buf, k));
	free(buf);
}

void
tj_set_str(json_t *o, const char *key, const char *s)
{
	tj_set_strn(o, key, s, s != NULL ? strlen(s) : 0);
}

void
tj_set_time(json_t *o, const char *key, int64_t t)
{
	char k[64], iso[TJ_DATE_MAX];

	if ((size_t)snprintf(k, sizeof(k), "%s_iso", key) >= sizeof(k)) {
		tj_failed = 1;
		return;
	}
	tj_date(t, iso);
	tj_set(o, key, t != 0 ? json_integer((json_int_t)t) : json_null());
	tj_set(o, k, t != 0 ? json_string(iso) : json_null());
}

void
tj_set_hex(json_t *o, const char *key, const uint8_t *p, size_t n)
{
	char hex[2 * TJ_HEX_MAX + 1];

	if (p == NULL) {
		tj_set(o, key, json_null());
		return;
	}
	if (n > TJ_HEX_MAX) {
		tj_failed = 1;
		return;
	}
	proto_hex(p, n, hex);
	tj_set(o, key, json_string(hex));
}

void
tj_set_ua(json_t *o, const char *key, const uint8_t *ua)
{
	tj_set_hex(o, key, ua, PROTO_UA_LEN);
}

void
tj_set_sw(json_t *o, const char *key, int has, uint16_t sw)
{
	char h[8];

	snprintf(h, sizeof(h), "%04X", sw);
	tj_set(o, key, has ? json_string(h) : json_null());
}

json_t *
tj_object(void)
{
	json_t *o = json_object();

	if (o == NULL)
		tj_failed = 1;
	return o;
}

json_t *
tj_array(void)
{
	json_t *a = json_array();

	if (a == NULL)
		tj_failed = 1;
	return a;
}

void
tj_append(json_t *a, json_t *v)
{
	if (v == NULL || a == NULL || json_array_append_new(a, v) != 0)
		tj_failed = 1;
	if (a == NULL)
		json_decref(v);
}

int
tj_print(json_t *v)
{
	int rc = 0;

	if (v == NULL || tj_failed)
		rc = PROTO_ERR_NOMEM;
	else if (json_dumpf(v, stdout, JSON_COMPACT) != 0 ||
	    putchar('\n') == EOF)
		rc = util_out_check() != 0 ? PROTO_ERR_IO : PROTO_ERR_NOMEM;
	json_decref(v);
	if (util_flush() != 0 && rc == 0)
		rc = PROTO_ERR_IO;
	return rc;
}

static void
text_value(json_t *v, char *buf, size_t cap)
{
	const char *k;
	json_t *m;
	size_t n = 0;

	buf[0] = '\0';
	if (v == NULL || json_is_null(v))
		snprintf(buf, cap, "-");
	else if (json_is_string(v))
		snprintf(buf, cap, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, cap, "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_object(v)) {
		json_object_foreach(v, k, m)
		{
			char one[64];
			size_t kl = strlen(k);

			(void)m;
			if (kl > 4 && strcmp(k + kl - 4, "_iso") == 0)
				continue;
			tj_text(v, k, one, sizeof(one));
			n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0,
			    "%s%s=%s", n > 0 ? " " : "", k, one);
			if (n >= cap)
				break;
		}
	}
}

void
tj_text(json_t *o, const char *key, char *buf, size_t cap)
{
	char iso[64];
	json_t *d;

	snprintf(iso, sizeof(iso), "%s_iso", key);
	if ((d = json_object_get(o, iso)) != NULL)
		text_value(d, buf, cap);
	else
		text_value(json_object_get(o, key), buf, cap);
}
