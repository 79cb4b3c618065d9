/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The command lines' usage errors: one line on standard error naming the
 * program, the command and what was wrong, with the command's synopsis
 * taken from the program's usage text, then exit UTIL_EXIT_USAGE
 * (util.h).  The whole usage is --help's, on standard output
 * (util_help_version).
 */
#ifndef TOOLS_USAGE_H
#define TOOLS_USAGE_H

/*
 * A usage error: one line on standard error, "prog cmd: MESSAGE (usage:
 * prog cmd SYNOPSIS)", the synopsis cmd's line of the usage text; without
 * cmd (NULL), or one the text does not name, "(prog --help lists the
 * commands)".  Exits UTIL_EXIT_USAGE.
 */
_Noreturn void usage_error(const char *prog, const char *text, const char *cmd,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The usage error for arg, a word the command line could not place: an
 * unknown option (or one lacking its value) or a word too many. */
_Noreturn void
usage_arg(const char *prog, const char *text, const char *cmd, const char *arg);

/* The usage error for cmd with arguments it cannot take: "wrong number
 * of arguments" when the text names cmd, else "unknown command". */
_Noreturn void usage_cmd(const char *prog, const char *text, const char *cmd);

#endif
