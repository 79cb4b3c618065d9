/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The plain build of a fuzz target: runs LLVMFuzzerTestOneInput on every
 * file named, or on every file of the directories named, or (no argument)
 * on every file of test/fuzz/corpus/NAME/ under $PTV_ROOT (or the current
 * directory), NAME being the program's name without "fuzz_".
 *
 * Each input is copied into a heap buffer of exactly its size, so a
 * sanitizer build catches a read past its end.  The result is one TAP
 * line; a crash or a broken invariant (an abort) prints "not ok" naming
 * the input and exits non-zero.
 *
 * usage: fuzz_NAME [FILE|DIR]...
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../proto/file.h"
#include "../../proto/proto.h"
#include "common.h"

/* libFuzzer's default -max_len is 4096; corpus files stay far below this. */
#define REPLAY_MAX_INPUT (1u << 20)

/* The input being run, for the crash report (read by a signal handler). */
static char current[PATH_MAX + 64];
static const char *prog = "fuzz";

/* Called on a fatal signal or by a sanitizer before it exits. */
static void
report_crash(void)
{
	static const char head[] = "not ok 1 - ";
	static const char tail[] = ": crashed or broke an invariant\n";

	/* Only write(2) is safe here; if it fails there is no one to tell. */
	if (write(STDOUT_FILENO, head, sizeof(head) - 1) < 0 ||
	    write(STDOUT_FILENO, current, strlen(current)) < 0 ||
	    write(STDOUT_FILENO, tail, sizeof(tail) - 1) < 0)
		return;
}

static void
on_signal(int sig)
{
	report_crash();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Provided by the sanitizer runtimes when a sanitizer is linked in. */
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static void
catch_crashes(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_signal);
	if (__sanitizer_set_death_callback != NULL)
		__sanitizer_set_death_callback(report_crash);
}

/*
 * Read a whole file into a new buffer of exactly its size (proto_file_read
 * keeps a spare byte, which would hide a one-byte overread).
 */
static int
read_input(const char *path, uint8_t **out, size_t *len)
{
	uint8_t *file = NULL, *buf;
	size_t n = 0;
	int rc;

	if ((rc = proto_file_read(path, REPLAY_MAX_INPUT, &file, &n)) != 0) {
		fprintf(stderr, "%s: read_input: %s: %s\n", prog, path,
		    proto_strerror(rc));
		return rc;
	}
	/* malloc(0) may return NULL; keep one byte but pass length 0. */
	if ((buf = malloc(n > 0 ? n : 1)) == NULL) {
		free(file);
		return PROTO_ERR_NOMEM;
	}
	memcpy(buf, file, n);
	free(file);
	*out = buf;
	*len = n;
	return 0;
}

static int
run_file(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	snprintf(current, sizeof(current), "fuzz_%s: %s", prog, path);
	if (read_input(path, &buf, &len) != 0)
		return -1;
	(void)LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int
not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Every regular file of dir, in name order; *n counts them. */
static int
run_dir(const char *dir, unsigned *n)
{
	struct dirent **names = NULL;
	char path[PATH_MAX];
	struct stat st;
	int count, rc = 0;

	if ((count = scandir(dir, &names, not_hidden, alphasort)) < 0) {
		fprintf(stderr, "%s: run_dir: %s: %s\n", prog, dir,
		    strerror(errno));
		return -1;
	}
	for (int i = 0; i < count; i++) {
		if (rc == 0 &&
		    snprintf(path, sizeof(path), "%s/%s", dir,
			names[i]->d_name) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if ((rc = run_file(path)) == 0)
				++*n;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static int
run_arg(const char *arg, unsigned *n)
{
	struct stat st;

	if (stat(arg, &st) != 0) {
		fprintf(stderr, "%s: run_arg: %s: %s\n", prog, arg,
		    strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return run_dir(arg, n);
	if (run_file(arg) != 0)
		return -1;
	++*n;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/'), *root = getenv("PTV_ROOT");
	char dflt[PATH_MAX];
	unsigned n = 0;
	int rc = 0;

	base = base != NULL ? base + 1 : argv[0];
	prog = strncmp(base, "fuzz_", 5) == 0 ? base + 5 : base;
	catch_crashes();
	printf("1..1\n");
	fflush(stdout);
	if (argc > 1) {
		for (int i = 1; i < argc && rc == 0; i++)
			rc = run_arg(argv[i], &n);
	} else {
		snprintf(dflt, sizeof(dflt), "%s/test/fuzz/corpus/%s",
		    root != NULL ? root : ".", prog);
		rc = run_arg(dflt, &n);
	}
	if (rc != 0 || n == 0) {
		printf("not ok 1 - fuzz_%s: %s\n", prog,
		    rc != 0 ? "an input could not be read" :
			      "no input to replay");
		return 1;
	}
	printf("ok 1 - fuzz_%s: %u inputs replayed, no crash, invariants "
	       "held\n",
	    prog, n);
	return 0;
}
