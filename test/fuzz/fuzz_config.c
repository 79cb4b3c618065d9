/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decoderd's configuration file (dec_config_load, reading the input from
 * a memory file).  Invariants: a refused file changes nothing and names a
 * line; an accepted one leaves every string NUL-terminated in its field.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../decoder/config.h"
#include "common.h"

#define T "config"

static int
terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void
check_strings(const struct dec_config *c)
{
	fuzz_require(terminated(c->reader, sizeof(c->reader)) &&
		terminated(c->m1, sizeof(c->m1)) &&
		terminated(c->key, sizeof(c->key)) &&
		terminated(c->socket, sizeof(c->socket)) &&
		terminated(c->ecm_dir, sizeof(c->ecm_dir)) &&
		terminated(c->center_host, sizeof(c->center_host)) &&
		terminated(c->center_port, sizeof(c->center_port)) &&
		terminated(c->ca, sizeof(c->ca)) &&
		terminated(c->issuer, sizeof(c->issuer)) &&
		terminated(c->emm_dir, sizeof(c->emm_dir)),
	    T, "every string NUL-terminated in its field");
	fuzz_require(c->n_more < DEC_CENTERS_MAX, T,
	    "at most DEC_CENTERS_MAX centers");
	for (unsigned i = 0; i < c->n_more; i++)
		fuzz_require(terminated(c->more[i].host,
				 sizeof(c->more[i].host)) &&
			terminated(c->more[i].port, sizeof(c->more[i].port)),
		    T, "every center's host and port NUL-terminated");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dec_config c, before;
	char path[64];
	int fd, line = -1, rc;

	if (size >= DEC_CONFIG_MAX ||
	    (fd = memfd_create("fuzz-config", MFD_CLOEXEC)) < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	dec_config_defaults(&c);
	before = c;
	rc = dec_config_load(path, &c, &line);
	close(fd);
	if (rc != 0) {
		fuzz_require(memcmp(&c, &before, sizeof(c)) == 0, T,
		    "a refused file changes nothing");
		fuzz_require(line >= 1, T, "a refused file names its line");
		return 0;
	}
	fuzz_require(line == 0, T, "an accepted file names no line");
	check_strings(&c);
	return 0;
}
