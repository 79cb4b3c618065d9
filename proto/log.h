/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Logging shared by the daemons: stderr in the foreground, syslog
 * otherwise.  Messages name the function that failed (use __func__).
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

/* ident is borrowed for the life of the process. */
void proto_log_init(const char *ident, int use_syslog, int level);
void proto_log_set_level(int level);
int proto_log_level_parse(const char *name, int *level);
void proto_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
