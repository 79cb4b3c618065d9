/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small helpers the command lines share.  Those that read an argument
 * print their own error, one line naming who failed (the program and its
 * command, "cardctl personalize") and the argument, and return a negative
 * proto_err; the output is written only on success.
 */
#ifndef TOOLS_UTIL_H
#define TOOLS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Room for "PROGRAM COMMAND". */
#define UTIL_WHO_MAX 64

/* Exit statuses of the command lines. */
#define UTIL_EXIT_FAIL 1  /* the command failed */
#define UTIL_EXIT_USAGE 2 /* a bad argument (after its message or usage) */

/*
 * arg is -h or --help: text on standard output, exit 0; -V or --version:
 * "prog (ptv) VERSION", exit 0 (1 when standard output cannot be
 * written).  Returns for any other arg.
 */
void util_help_version(const char *prog, const char *arg, const char *text);

/* Write "prog cmd" (or "prog" when cmd is NULL) into who. */
void util_who(char who[UTIL_WHO_MAX], const char *prog, const char *cmd);

/*
 * A number argument (proto_parse_u32: decimal digits only) in [min, max];
 * what names it in the error ("--credit").
 */
int util_arg_u32(const char *who, const char *what, const char *s, uint32_t min,
    uint32_t max, uint32_t *v);
/*
 * Exactly 2 * n hex digits into out, n at most UTIL_HEX_ARG_MAX; what
 * names the argument.  The decoded bytes are wiped from the stack (the
 * argument may be a control word).
 */
#define UTIL_HEX_ARG_MAX 64
int util_arg_hex(const char *who, const char *what, const char *s, uint8_t *out,
    size_t n);

/* Decode exactly 2 * n hex digits into out. */
int util_hex_decode(const char *hex, uint8_t *out, size_t n);
/* Write n bytes as lowercase hex, NUL-terminated (out holds 2n + 1). */
void util_hex_encode(const uint8_t *in, size_t n, char *out);
/* A command without JSON output given --json: says so naming who,
 * returns UTIL_EXIT_USAGE. */
int util_no_json(const char *who);

#endif
