/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A control-socket reply as cardctl and decoderctl read it
 * (proto_ctl_reply_status, proto_ctl_reply_get), NUL-terminated as
 * proto_ctl_call hands it over.  Invariants: an error's message lies
 * inside the reply; a value found is NUL-terminated within its buffer
 * and holds no LF.
 */
#include <stdlib.h>
#include <string.h>

#include "../../proto/ctl.h"
#include "../../proto/proto.h"
#include "common.h"

#define T "ctl_reply"

static void
lookup(const char *reply, size_t len, const char *key)
{
	char val[64];

	if (proto_ctl_reply_get(reply, len, key, val, sizeof(val)) != 0)
		return;
	fuzz_require(memchr(val, '\0', sizeof(val)) != NULL &&
		strchr(val, '\n') == NULL,
	    T, "a value is one NUL-terminated line");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "image", "inserted", "ua", "cw",
		"m1.0.ua", "" };
	const char *msg = NULL;
	size_t ml = 0;
	char *reply;
	int rc;

	if (size > PROTO_CTL_REPLY_MAX || (reply = malloc(size + 1)) == NULL)
		return 0;
	memcpy(reply, data, size);
	reply[size] = '\0';
	rc = proto_ctl_reply_status(reply, size, &msg, &ml);
	fuzz_require(rc == 0 || rc == PROTO_ERR_STATE || rc == PROTO_ERR_FORMAT,
	    T, "ok, an error reply or malformed");
	if (rc == PROTO_ERR_STATE)
		fuzz_require(msg >= reply && ml <= size &&
			(size_t)(msg - reply) <= size - ml &&
			memchr(msg, '\n', ml) == NULL,
		    T, "an error's message is one line inside the reply");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		lookup(reply, size, keys[i]);
	free(reply);
	return 0;
}
