/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/crypto.h"
#include "../proto/ctl.h"
#include "../proto/proto.h"
#include "client.h"

int
client_call(const char *who, const char *daemon, const char *socket,
    const char *request, int timeout_ms, struct client_reply *out)
{
	struct client_reply r = { NULL, 0 };
	const char *msg = NULL;
	size_t mlen = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = proto_ctl_call(socket, request, timeout_ms, &r.text, &r.len);
	if (rc == PROTO_ERR_NOTFOUND) {
		fprintf(stderr, "%s: %s is not running (no daemon at %s)\n",
		    who, daemon, socket);
		goto out;
	}
	if (rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", who, socket,
		    proto_strerror(rc));
		goto out;
	}
	rc = proto_ctl_reply_status(r.text, r.len, &msg, &mlen);
	if (rc == PROTO_ERR_STATE)
		fprintf(stderr, "%s: %.*s\n", who, (int)mlen, msg);
	else if (rc != 0)
		fprintf(stderr, "%s: malformed reply from %s at %s\n", who,
		    daemon, socket);
	if (rc != 0)
		goto out;
	*out = r;
	r.text = NULL;
out:
	client_reply_free(&r);
	return rc;
}

void
client_reply_free(struct client_reply *r)
{
	if (r->text != NULL) {
		proto_cleanse(r->text, r->len);
		free(r->text);
	}
	r->text = NULL;
	r->len = 0;
}
