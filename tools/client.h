/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The command lines' client of the daemons' control sockets (cardctl to
 * vcard, decoderctl to decoderd): one request, the whole reply, and the
 * errors printed the same way for both, naming the command.
 */
#ifndef TOOLS_CLIENT_H
#define TOOLS_CLIENT_H

#include <stddef.h>

/* A daemon's "ok" reply: owned, NUL-terminated; free with client_reply_free. */
struct client_reply {
	char *text;
	size_t len;
};

/*
 * Send request to the daemon at socket and wait up to timeout_ms for an
 * "ok" reply, which goes into *r.  On any failure prints one line naming
 * who (e.g. "cardctl insert") and what went wrong -- the daemon not
 * running (daemon names it), the socket failing, the daemon's own error
 * message, a malformed reply -- and returns a negative proto_err with *r
 * empty.
 */
int client_call(const char *who, const char *daemon, const char *socket,
    const char *request, int timeout_ms, struct client_reply *r);
/* Free the reply's text (wiped first: replies may carry control words). */
void client_reply_free(struct client_reply *r);

#endif
