/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usage.h"
#include "util.h"

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
usage_error(const char *prog, const char *text, const char *cmd,
    const char *fmt, ...)
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
usage_arg(const char *prog, const char *text, const char *cmd, const char *arg)
{
	if (arg[0] == '-' && arg[1] != '\0')
		usage_error(prog, text, cmd,
		    "unknown option, or one without its value: %s", arg);
	usage_error(prog, text, cmd, "a word too many: %s", arg);
}

void
usage_cmd(const char *prog, const char *text, const char *cmd)
{
	const char *s;
	size_t n;

	usage_error(prog, text, cmd, "%s",
	    synopsis(prog, text, cmd, &s, &n) ? "wrong number of arguments" :
						"unknown command");
}
