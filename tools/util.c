/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>

#include "../proto/buf.h"
#include "../proto/proto.h"
#include "util.h"

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

void
util_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
