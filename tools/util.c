/* SPDX-License-Identifier: BSD-2-Clause */
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
