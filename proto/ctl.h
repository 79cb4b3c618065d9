/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control-socket protocol of the daemons (vcard, decoderd): a Unix
 * stream socket of mode 0600; one request per connection.
 *
 *   request:  VERB [ARGUMENT] LF
 *   reply:    (KEY=VALUE LF)* "ok" LF       on success
 *             "error: " MESSAGE LF           on failure
 *
 * Keys are [a-z0-9_.]+; values run to the end of the line and hold no LF.
 */
#ifndef PROTO_CTL_H
#define PROTO_CTL_H

#include <stddef.h>

#include "buf.h"

#define PROTO_CTL_REQUEST_MAX 4096
#define PROTO_CTL_REPLY_MAX 262144
#define PROTO_CTL_TIMEOUT_MS 5000

/* Bind and listen on path (replacing a stale socket, never a live one). */
int proto_ctl_listen(const char *path, int *fd);
/*
 * Read one request line from a client within timeout_ms into buf (NUL
 * terminated, LF stripped); the verb is split at the first space:
 * *arg points to the argument or to "" when there is none.
 */
int proto_ctl_read_request(int fd, int timeout_ms, char *buf, size_t cap,
    char **arg);
/* Send all of a reply. */
int proto_ctl_send(int fd, const char *reply, size_t len);

/*
 * Client: send request (no LF) and read the whole reply into a new
 * NUL-terminated buffer the caller frees.  Waits up to timeout_ms.
 * PROTO_ERR_NOTFOUND: no daemon listens at path.
 */
int proto_ctl_call(const char *path, const char *request, int timeout_ms,
    char **reply, size_t *len);
/*
 * Check a reply's form.  Returns 0 for "ok", PROTO_ERR_STATE for an error
 * reply (with *msg pointing into reply at the message), PROTO_ERR_FORMAT for
 * anything else.
 */
int proto_ctl_reply_status(const char *reply, size_t len, const char **msg,
    size_t *msglen);
/* Look up KEY in an ok reply; copies the value, NUL-terminated, into out. */
int proto_ctl_reply_get(const char *reply, size_t len, const char *key,
    char *out, size_t cap);
/* Take the next LF-terminated line from r (LF not included). */
int proto_ctl_next_line(struct proto_rd *r, const char **line, size_t *len);

#endif
