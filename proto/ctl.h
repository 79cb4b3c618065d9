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
/*
 * The same split on a request already read: buf holds len bytes, the
 * last of them the only LF and no NUL before it (else PROTO_ERR_FORMAT).
 */
int proto_ctl_split_request(char *buf, size_t len, char **arg);
/* Send all of a reply. */
int proto_ctl_send(int fd, const char *reply, size_t len);

/*
 * A reply being built by a daemon: KEY=VALUE lines, then "ok"; or, once
 * anything fails, one "error: MESSAGE" line (LFs in the message become
 * spaces, the message is cut at PROTO_CTL_ERROR_MAX).  A line that does not
 * fit turns the reply into the error "reply too long".  The buffer is
 * owned, PROTO_CTL_REPLY_MAX bytes, and wiped when reset or freed, since a
 * reply may carry control words.
 */
#define PROTO_CTL_ERROR_MAX 1024

struct proto_ctl_reply {
	char *buf;
	size_t len;
	int state; /* PROTO_CTL_REPLY_* */
};

enum {
	PROTO_CTL_REPLY_OPEN = 0,
	PROTO_CTL_REPLY_OVERFLOW = 1,
	PROTO_CTL_REPLY_ERROR = 2,
	PROTO_CTL_REPLY_DONE = 3,
};

int proto_ctl_reply_init(struct proto_ctl_reply *r);
/* Wipe and empty the reply for reuse. */
void proto_ctl_reply_reset(struct proto_ctl_reply *r);
void proto_ctl_reply_free(struct proto_ctl_reply *r);
void proto_ctl_reply_add(struct proto_ctl_reply *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Replace whatever was added by one error line; the first error wins. */
void proto_ctl_reply_fail(struct proto_ctl_reply *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* 1 once proto_ctl_reply_fail was called. */
int proto_ctl_reply_failed(const struct proto_ctl_reply *r);
/*
 * Close the reply ("ok", or the overflow error) and say what to send:
 * *out borrows r's buffer until the next reset.
 */
void proto_ctl_reply_finish(struct proto_ctl_reply *r, const char **out,
    size_t *len);

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
