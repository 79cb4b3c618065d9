/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A control-socket request as vcard and decoderd read it
 * (proto_ctl_read_request, from a pipe holding the input).
 * Invariants: an accepted request is one line: the verb holds no blank
 * and no LF, the argument no LF, both inside the buffer.
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <unistd.h>

#include "../../proto/ctl.h"
#include "common.h"

#define T "ctl_request"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[PROTO_CTL_REQUEST_MAX], *arg = NULL;
	int fds[2];

	/* Larger inputs only test the pipe: the reader stops at cap. */
	if (size > (size_t)2 * PROTO_CTL_REQUEST_MAX || pipe(fds) != 0)
		return 0;
	if (write(fds[1], data, size) != (ssize_t)size) {
		close(fds[0]);
		close(fds[1]);
		return 0;
	}
	close(fds[1]);
	if (proto_ctl_read_request(fds[0], 1000, buf, sizeof(buf), &arg) == 0) {
		size_t vl = strlen(buf);

		fuzz_require(vl < sizeof(buf) && arg >= buf &&
			arg < buf + sizeof(buf),
		    T, "verb and argument inside the buffer");
		fuzz_require(strchr(buf, ' ') == NULL &&
			strchr(buf, '\n') == NULL && strchr(arg, '\n') == NULL,
		    T, "one line: no blank in the verb, no LF anywhere");
		fuzz_require(size > vl && memcmp(buf, data, vl) == 0, T,
		    "the verb starts the request");
	}
	close(fds[0]);
	return 0;
}
