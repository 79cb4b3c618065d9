/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "num.h"
#include "proto.h"

static const char *log_ident = "ptv";
static int log_syslog;
static int log_journal;
static int log_level = PROTO_LOG_NOTICE;

int
proto_log_to_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	char dev[PROTO_NUM_MAX_DIGITS + 1];
	const char *colon;
	uint64_t d, i;
	struct stat st;

	/* "DEVICE:INODE" of the stream systemd connected standard error to:
	 * still the journal only if standard error is that very file */
	if (v == NULL || (colon = strchr(v, ':')) == NULL ||
	    (size_t)(colon - v) >= sizeof(dev))
		return 0;
	memcpy(dev, v, (size_t)(colon - v));
	dev[colon - v] = '\0';
	if (proto_parse_u64(dev, 0, UINT64_MAX, &d) != 0 ||
	    proto_parse_u64(colon + 1, 0, UINT64_MAX, &i) != 0 ||
	    fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (uint64_t)st.st_dev == d && (uint64_t)st.st_ino == i;
}

void
proto_log_init(const char *ident, int use_syslog, int level)
{
	log_ident = ident;
	log_syslog = use_syslog;
	log_level = level;
	log_journal = !use_syslog && proto_log_to_journal();
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
	char msg[1024], date[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (level < PROTO_LOG_ERR || level > PROTO_LOG_DEBUG)
		level = PROTO_LOG_ERR;
	if (log_syslog) {
		syslog(level, "%s", msg);
		return;
	}
	if (log_journal) {
		fprintf(stderr, "<%d>%s\n", level, msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s[%ld]: %s: %s\n", date,
	    ts.tv_nsec / 1000000, log_ident, (long)getpid(), tags[level], msg);
}

void
proto_log_fatal(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_syslog)
		syslog(LOG_ERR, "%s", msg);
	fprintf(stderr, "%s%s: %s\n", proto_log_to_journal() ? "<3>" : "",
	    log_ident, msg);
}
