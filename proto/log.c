/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "proto.h"

static const char *log_ident = "ptv";
static int log_syslog;
static int log_level = PROTO_LOG_NOTICE;

void
proto_log_init(const char *ident, int use_syslog, int level)
{
	log_ident = ident;
	log_syslog = use_syslog;
	log_level = level;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

void
proto_log_set_level(int level)
{
	log_level = level;
}

int
proto_log_level_parse(const char *name, int *level)
{
	static const struct {
		const char *name;
		int level;
	} names[] = {
		{ "error", PROTO_LOG_ERR },
		{ "warning", PROTO_LOG_WARNING },
		{ "notice", PROTO_LOG_NOTICE },
		{ "info", PROTO_LOG_INFO },
		{ "debug", PROTO_LOG_DEBUG },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i].name) == 0) {
			*level = names[i].level;
			return 0;
		}
	}
	return PROTO_ERR_ARG;
}

void
proto_log(int level, const char *fmt, ...)
{
	static const char *const tags[] = { "", "", "", "error", "warning",
		"notice", "info", "debug" };
	char msg[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_syslog) {
		syslog(level, "%s", msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%02d:%02d:%02d.%03ld %s[%s]: %s\n", tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_ident,
	    level >= 0 && level <= PROTO_LOG_DEBUG ? tags[level] : "?", msg);
}
