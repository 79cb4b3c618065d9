/* SPDX-License-Identifier: BSD-2-Clause */
/* Small helpers the command lines share. */
#ifndef TOOLS_UTIL_H
#define TOOLS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Decode exactly 2 * n hex digits into out. */
int util_hex_decode(const char *hex, uint8_t *out, size_t n);
/* Write n bytes as lowercase hex, NUL-terminated (out holds 2n + 1). */
void util_hex_encode(const uint8_t *in, size_t n, char *out);
/* Print s as a JSON string literal. */
void util_json_string(FILE *f, const char *s);

#endif
