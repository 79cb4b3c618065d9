/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control socket (proto/ctl.h) and its requests, for decoderctl:
 *
 *   status          the reader, the card, M1 and the last error
 *   export          export the present card now
 *   m1              M1's entries
 *   tune CHANNEL    feed the channel's ECMs; each ECM's outcome
 *   buy EVENT       buy an event an ECM offered
 *   uplink [cut=N]  run an uplink session now
 *
 * The only module that writes reply text: the others return results,
 * this one says them.
 */
#ifndef DECODER_CTL_H
#define DECODER_CTL_H

#include "state.h"

struct dec_ctl; /* the listening socket and the reply it builds */

/*
 * Listen on path.  PROTO_ERR_EXISTS: a live daemon owns it.  *c is freed
 * with dec_ctl_close, which removes the socket.
 */
int dec_ctl_open(const char *path, struct dec_ctl **c);
void dec_ctl_close(struct dec_ctl **c);
/* The descriptor to poll for a client. */
int dec_ctl_fd(const struct dec_ctl *c);
/* Accept one client, answer its request, close it. */
void dec_ctl_serve(struct dec_ctl *c, struct dec_state *st);
/*
 * Answer one request (verb and argument as proto_ctl_read_request split
 * them).  *reply borrows c's buffer until the next request.
 */
void dec_ctl_answer(struct dec_ctl *c, struct dec_state *st, const char *verb,
    const char *arg, const char **reply, size_t *len);

#endif
