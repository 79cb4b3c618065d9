/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "log.h"
#include "num.h"
#include "proto.h"
#include "version.h"

/* The write end of the pipe the parent of a detached daemon reads. */
static int ready_fd = -1;

void
proto_daemon_opts_init(struct proto_daemon_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->level = PROTO_LOG_NOTICE;
}

void
proto_daemon_usage_error(const char *prog, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s (%s --help lists the options)\n", prog, msg,
	    prog);
	exit(2);
}

int
proto_daemon_opt(const char *prog, const char *help, int c, char *const *argv,
    struct proto_daemon_opts *o)
{
	const char *arg = optarg, *word = argv[optind - 1];

	switch (c) {
	case 'h':
		fputs(help, stdout);
		exit(fflush(stdout) == 0 ? 0 : 1);
	case 'V':
		printf("%s (ptv) %s\n", prog, PTV_VERSION);
		exit(fflush(stdout) == 0 ? 0 : 1);
	case 'l':
		if (proto_log_level_parse(arg, &o->level) != 0)
			proto_daemon_usage_error(prog,
			    "-l wants one of " PROTO_LOG_LEVEL_NAMES ": %s",
			    arg);
		return 1;
	case 'd':
		o->level = PROTO_LOG_DEBUG;
		return 1;
	case 'q':
		o->level = PROTO_LOG_ERR;
		return 1;
	case 's':
		o->syslog = 1;
		return 1;
	case 'f':
		o->background = 0;
		return 1;
	case 'b':
		o->background = 1;
		return 1;
	case ':':
		if (optopt != 0)
			proto_daemon_usage_error(prog,
			    "option -%c wants a value", optopt);
		proto_daemon_usage_error(prog, "option %s wants a value", word);
	case '?':
		if (optopt != 0)
			proto_daemon_usage_error(prog, "unknown option -%c",
			    optopt);
		proto_daemon_usage_error(prog, "unknown option %s", word);
	default:
		return 0;
	}
}

/* The parent of a detached daemon: wait for "ready" or the child's end. */
static _Noreturn void
parent_wait(pid_t child, int fd)
{
	char c;
	ssize_t n;
	int status;

	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit(0);
	/* the child ended before it was ready, after saying why */
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	_exit(WIFEXITED(status) && WEXITSTATUS(status) != 0 ?
		WEXITSTATUS(status) :
		1);
}

int
proto_daemon_detach(void)
{
	int p[2];
	pid_t pid;

	if (pipe(p) != 0)
		return proto_err_sys(errno);
	fflush(NULL);
	if ((pid = fork()) < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return proto_err_sys(e);
	}
	if (pid > 0) {
		close(p[1]);
		parent_wait(pid, p[0]);
	}
	close(p[0]);
	(void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
	ready_fd = p[1];
	(void)setsid();
	return 0;
}

void
proto_daemon_ready(const char *status)
{
	char msg[256];
	int fd;

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	(void)sd_notify(0, msg);
	if (ready_fd < 0)
		return;
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	while (write(ready_fd, "R", 1) < 0 && errno == EINTR)
		;
	close(ready_fd);
	ready_fd = -1;
}

int
proto_daemon_socket_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL || slash == path)
		return 0;
	n = (size_t)(slash - path);
	if (n >= sizeof(dir))
		return PROTO_ERR_TOOBIG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	if (strncmp(dir, "/run/", 5) != 0 || strchr(dir + 5, '/') != NULL)
		return 0; /* not ours to make: bind() says if it is missing */
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return proto_err_sys(errno);
	return 0;
}

void
proto_daemon_stopping(void)
{
	(void)sd_notify(0, "STOPPING=1");
}

int
proto_daemon_getopt(const char *prog, const char *help, int argc,
    char *const *argv, const char *optstring, const struct option *longs,
    struct proto_daemon_opts *o)
{
	int c;

	while ((c = getopt_long(argc, argv, optstring, longs, NULL)) != -1)
		if (!proto_daemon_opt(prog, help, c, argv, o))
			return c;
	return -1;
}

unsigned
proto_daemon_uint_arg(const char *prog, const char *flag, const char *what,
    const char *s, unsigned min, unsigned max)
{
	unsigned v;

	if (proto_parse_uint(s, min, max, &v) != 0)
		proto_daemon_usage_error(prog, "%s wants %s from %u to %u: %s",
		    flag, what, min, max, s);
	return v;
}

uint64_t
proto_daemon_time_arg(const char *prog, const char *flag, const char *range,
    const char *s, uint64_t min_ms, uint64_t max_ms)
{
	uint64_t ms;

	if (proto_parse_duration(s, max_ms, &ms) != 0 || ms < min_ms)
		proto_daemon_usage_error(prog, "%s wants a time %s: %s", flag,
		    range, s);
	return ms;
}
