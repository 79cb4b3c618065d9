/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * jsoncheck: hold one tool's --json output (on stdin) to the tools'
 * schema (tools/README.md).
 *
 *   jsoncheck [PATH=TYPES]...
 *
 * The input must be exactly one JSON value, valid UTF-8, with no
 * duplicate key in any object (jansson's JSON_REJECT_DUPLICATES).  Every
 * object in it must follow the schema's rules: member names of [a-z0-9_];
 * a time is NAME (integer) with NAME_iso (its ISO 8601 date in UTC), both
 * null or both set and agreeing, and every NAME ending in "_at" is one; a
 * flag ("locked", "held", ...) is a boolean or null; a UA ("ua",
 * "via_ua", "present_ua") 16 lowercase hex digits or null; a status word
 * ("sw") 4 uppercase hex digits or null.
 *
 * Each PATH=TYPES then names values and the types they may have: PATH is
 * member names separated by dots, "[]" standing for every element of an
 * array (at least one) and "[*]" for every element of a possibly empty
 * one; "." alone is the whole value.  TYPES are object, array, string,
 * integer, boolean, null, separated by "|".  A path that names nothing
 * fails.  Exit 0 if all holds; otherwise each failure is one line on
 * stderr and the exit status is 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

static int failures;

static void
fail(const char *path, const char *what)
{
	fprintf(stderr, "jsoncheck: %s: %s\n", path, what);
	failures++;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int
is_hex(const char *s, size_t n, const char *digits)
{
	if (strlen(s) != n)
		return 0;
	return strspn(s, digits) == n;
}

static int
in_list(const char *k, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(k, *list) == 0)
			return 1;
	return 0;
}

/* NAME and NAME_iso: both null, or an integer and its date. */
static void
check_time(const char *path, json_t *o, const char *name)
{
	char iso[80], want[32];
	json_t *t = json_object_get(o, name), *d;
	time_t tt;
	struct tm tm;

	snprintf(iso, sizeof(iso), "%s_iso", name);
	d = json_object_get(o, iso);
	if (t == NULL || d == NULL) {
		fail(path,
		    t == NULL ? "a NAME_iso without its NAME" :
				"a time without its NAME_iso");
		return;
	}
	if (json_is_null(t) && json_is_null(d))
		return;
	if (!json_is_integer(t) || !json_is_string(d)) {
		fail(path, "a time not an integer with its ISO date string");
		return;
	}
	tt = (time_t)json_integer_value(t);
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 ||
	    strcmp(want, json_string_value(d)) != 0)
		fail(path, "NAME_iso is not NAME's date in UTC");
}

static void walk(const char *path, json_t *v);

static void
check_member(const char *path, json_t *o, const char *k, json_t *m)
{
	static const char *const flags[] = { "locked", "held", "inserted",
		"revoked", "disabled", "export_requested", "security_module",
		NULL };
	static const char *const uas[] = { "ua", "via_ua", "present_ua", NULL };
	char sub[512], base[80];

	snprintf(sub, sizeof(sub), "%s.%s", path, k);
	if (k[0] == '\0' ||
	    strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(k))
		fail(sub, "a member name not of [a-z0-9_]");
	if (ends_with(k, "_iso") && strlen(k) - 4 < sizeof(base)) {
		memcpy(base, k, strlen(k) - 4);
		base[strlen(k) - 4] = '\0';
		check_time(sub, o, base);
	} else if (ends_with(k, "_at")) {
		check_time(sub, o, k);
	}
	if (in_list(k, flags) && !json_is_boolean(m) && !json_is_null(m))
		fail(sub, "a flag not a boolean");
	if (in_list(k, uas) && !json_is_null(m) &&
	    (!json_is_string(m) ||
		!is_hex(json_string_value(m), 16, "0123456789abcdef")))
		fail(sub, "a UA not 16 lowercase hex digits");
	if (strcmp(k, "sw") == 0 && !json_is_null(m) &&
	    (!json_is_string(m) ||
		!is_hex(json_string_value(m), 4, "0123456789ABCDEF")))
		fail(sub, "a status word not 4 uppercase hex digits");
	walk(sub, m);
}

static void
walk(const char *path, json_t *v)
{
	char sub[512];
	const char *k;
	json_t *m;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, m) check_member(path, v, k, m);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
		{
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			walk(sub, m);
		}
	}
}

static int
type_ok(json_t *v, const char *types)
{
	static const struct {
		const char *name;
		json_type t;
	} names[] = {
		{ "object", JSON_OBJECT },
		{ "array", JSON_ARRAY },
		{ "string", JSON_STRING },
		{ "integer", JSON_INTEGER },
		{ "null", JSON_NULL },
	};
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", types);
	for (char *t = strtok_r(buf, "|", &save); t != NULL;
	     t = strtok_r(NULL, "|", &save)) {
		if (strcmp(t, "boolean") == 0 && json_is_boolean(v))
			return 1;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(t, names[i].name) == 0 &&
			    json_typeof(v) == names[i].t)
				return 1;
	}
	return 0;
}

/* The values at path (from its segment seg on) hold types; *n counts
 * them. */
static void
resolve(const char *spec, json_t *v, const char *seg, const char *types,
    size_t *n)
{
	const char *dot = strchr(seg, '.');
	size_t len = dot != NULL ? (size_t)(dot - seg) : strlen(seg);
	const char *next = dot != NULL ? dot + 1 : NULL;
	char key[128];
	json_t *m;
	size_t i;

	if (len == 0 && next == NULL) {
		(*n)++;
		if (!type_ok(v, types))
			fail(spec, "a value of another type");
		return;
	}
	if ((len == 2 && memcmp(seg, "[]", 2) == 0) ||
	    (len == 3 && memcmp(seg, "[*]", 3) == 0)) {
		if (!json_is_array(v)) {
			fail(spec, "not an array");
			return;
		}
		if (len == 2 && json_array_size(v) == 0)
			fail(spec, "an empty array");
		json_array_foreach(v, i, m)
		    resolve(spec, m, next != NULL ? next : "", types, n);
		if (len == 3)
			(*n)++; /* an empty array names "nothing" rightly */
		return;
	}
	if (len >= sizeof(key) || !json_is_object(v)) {
		fail(spec, "not an object");
		return;
	}
	memcpy(key, seg, len);
	key[len] = '\0';
	if ((m = json_object_get(v, key)) == NULL) {
		fail(spec, "no such member");
		return;
	}
	resolve(spec, m, next != NULL ? next : "", types, n);
}

int
main(int argc, char **argv)
{
	json_error_t e;
	json_t *v;

	v = json_loadf(stdin, JSON_REJECT_DUPLICATES, &e);
	if (v == NULL) {
		fprintf(stderr, "jsoncheck: line %d column %d: %s\n", e.line,
		    e.column, e.text);
		return 1;
	}
	walk("", v);
	for (int i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		char path[256];
		size_t n = 0;

		if (eq == NULL || (size_t)(eq - argv[i]) >= sizeof(path)) {
			fail(argv[i], "wants PATH=TYPES");
			continue;
		}
		memcpy(path, argv[i], (size_t)(eq - argv[i]));
		path[eq - argv[i]] = '\0';
		resolve(argv[i], v, strcmp(path, ".") == 0 ? "" : path, eq + 1,
		    &n);
		if (n == 0)
			fail(argv[i], "names nothing");
	}
	json_decref(v);
	return failures != 0;
}
