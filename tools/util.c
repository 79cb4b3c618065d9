/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "../proto/version.h"
#include "util.h"

void
util_who(char who[UTIL_WHO_MAX], const char *prog, const char *cmd)
{
	if (cmd != NULL)
		snprintf(who, UTIL_WHO_MAX, "%s %s", prog, cmd);
	else
		snprintf(who, UTIL_WHO_MAX, "%s", prog);
}

int
util_arg_u32(const char *who, const char *what, const char *s, uint32_t min,
    uint32_t max, uint32_t *v)
{
	int rc;

	if (s == NULL) {
		fprintf(stderr, "%s: %s is required\n", who, what);
		return PROTO_ERR_ARG;
	}
	if ((rc = proto_parse_u32(s, min, max, v)) != 0)
		fprintf(stderr,
		    "%s: %s wants a whole number from %u to %u: %s\n", who,
		    what, min, max, s);
	return rc;
}

int
util_arg_hex(const char *who, const char *what, const char *s, uint8_t *out,
    size_t n)
{
	uint8_t v[UTIL_HEX_ARG_MAX];
	int rc;

	if (s == NULL) {
		fprintf(stderr, "%s: %s is required\n", who, what);
		return PROTO_ERR_ARG;
	}
	if (n > sizeof(v))
		return PROTO_ERR_ARG;
	/* proto_unhex may have written part of v when it fails. */
	if ((rc = util_hex_decode(s, v, n)) != 0)
		fprintf(stderr, "%s: %s wants %zu hex digits: %s\n", who, what,
		    2 * n, s);
	else
		memcpy(out, v, n);
	proto_cleanse(v, sizeof(v));
	return rc;
}

int
util_hex_decode(const char *hex, uint8_t *out, size_t n)
{
	return proto_unhex(hex, strlen(hex), out, n);
}

void
util_hex_encode(const uint8_t *in, size_t n, char *out)
{
	proto_hex(in, n, out);
}

int
util_no_json(const char *who)
{
	fprintf(stderr, "%s: --json: this command has no JSON output\n", who);
	return UTIL_EXIT_USAGE;
}

void
util_help_version(const char *prog, const char *arg, const char *text)
{
	if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
		fputs(text, stdout);
	else if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0)
		printf("%s (ptv) %s\n", prog, PTV_VERSION);
	else
		return;
	exit(fflush(stdout) == 0 ? 0 : 1);
}

/* The synopsis of cmd in a usage text: the line naming it ("  cmd ARGS
 * what it does", "usage: prog cmd ARGS"), up to its description. */
static int
synopsis(const char *prog, const char *text, const char *cmd, const char **s,
    size_t *n)
{
	size_t pl = strlen(prog), cl = strlen(cmd);

	for (const char *l = text; *l != '\0';) {
		const char *e = strchr(l, '\n'), *p = l, *gap;

		if (e == NULL)
			e = l + strlen(l);
		if (strncmp(p, "usage:", 6) == 0)
			p += 6;
		while (*p == ' ')
			p++;
		if (strncmp(p, prog, pl) == 0 && p[pl] == ' ')
			p += pl + 1;
		if (p < e && strncmp(p, cmd, cl) == 0 &&
		    (p + cl == e || p[cl] == ' ')) {
			gap = strstr(p, "  ");
			*s = p;
			*n = (size_t)((gap != NULL && gap < e ? gap : e) - p);
			return 1;
		}
		l = *e == '\0' ? e : e + 1;
	}
	return 0;
}

void
util_usage(const char *prog, const char *text, const char *cmd, const char *fmt,
    ...)
{
	const char *s;
	va_list ap;
	size_t n;

	fprintf(stderr, cmd != NULL ? "%s %s: " : "%s: ", prog,
	    cmd != NULL ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd != NULL && *cmd != '-' && synopsis(prog, text, cmd, &s, &n))
		fprintf(stderr, " (usage: %s %.*s)\n", prog, (int)n, s);
	else
		fprintf(stderr, " (%s --help lists the commands)\n", prog);
	exit(UTIL_EXIT_USAGE);
}

void
util_usage_arg(const char *prog, const char *text, const char *cmd,
    const char *arg)
{
	if (arg[0] == '-' && arg[1] != '\0')
		util_usage(prog, text, cmd,
		    "unknown option, or one without its value: %s", arg);
	util_usage(prog, text, cmd, "a word too many: %s", arg);
}

void
util_usage_cmd(const char *prog, const char *text, const char *cmd)
{
	const char *s;
	size_t n;

	util_usage(prog, text, cmd, "%s",
	    synopsis(prog, text, cmd, &s, &n) ? "wrong number of arguments" :
						"unknown command");
}
