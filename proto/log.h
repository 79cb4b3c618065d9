/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Logging shared by the daemons.  Messages name the function that failed
 * (use __func__).  Three destinations:
 *   - standard error (the default), one line per message:
 *       2026-12-01T19:58:26.123Z decoderd[412]: warning: MESSAGE
 *     (the date in UTC, ISO 8601), or, when standard error is the journal
 *     (systemd sets $JOURNAL_STREAM to its device and inode), the message
 *     behind its syslog priority, "<4>MESSAGE": journald keeps the level
 *     and adds the date, the program and the PID itself;
 *   - syslog (LOG_DAEMON), when asked for (the daemons' -s).
 */
#ifndef PROTO_LOG_H
#define PROTO_LOG_H

enum proto_log_level {
	PROTO_LOG_ERR = 3,
	PROTO_LOG_WARNING = 4,
	PROTO_LOG_NOTICE = 5,
	PROTO_LOG_INFO = 6,
	PROTO_LOG_DEBUG = 7,
};

/* The level names proto_log_level_parse takes, for usage texts. */
#define PROTO_LOG_LEVEL_NAMES "error, warning, notice, info, debug"

/* ident is borrowed for the life of the process. */
void proto_log_init(const char *ident, int use_syslog, int level);
void proto_log_set_level(int level);
int proto_log_level_parse(const char *name, int *level);
/* Non-zero when standard error is the journal ($JOURNAL_STREAM). */
int proto_log_to_journal(void);
void proto_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * What keeps a daemon from starting (before it exits): "IDENT: MESSAGE"
 * on standard error, where the person who started it looks, behind its
 * priority "<3>" when standard error is the journal; and at LOG_ERR to
 * syslog too when the log goes there.  Usable before proto_log_init
 * (the ident is then "ptv").
 */
void
proto_log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
