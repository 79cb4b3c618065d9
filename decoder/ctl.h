/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control socket (proto/ctl.h) and its requests, for decoderctl:
 *
 *   status          the reader, the card, M1 and the last error
 *   export          export the present card now
 *   m1              M1's entries
 *   quarantine      the entries the center rejected for good
 *   emm             feed the broadcast's EMMs for the card now
 *   tune CHANNEL    feed the channel's ECMs; each ECM's outcome
 *   buy EVENT       buy an event an ECM offered
 *   uplink [cut=N]  run an uplink session now
 *   metrics         the metrics (metrics.h), one m=LINE per line
 *
 * The only module that writes reply text: the others return results,
 * this one says them.
 */
#ifndef DECODER_CTL_H
#define DECODER_CTL_H

#include <poll.h>
#include <stddef.h>

#include "../proto/ctl.h"
#include "state.h"
#include "sync.h"

#define DEC_CTL_CLIENTS 16                    /* at once */
#define DEC_CTL_POLLFDS (1 + DEC_CTL_CLIENTS) /* dec_ctl_pollfds at most */
#define DEC_CTL_PENDING 1 /* dec_ctl_answer: the reply waits */

struct dec_ctl; /* the listening socket, its clients, the reply buffer */

/* ctlsock.c: the socket and its clients, never blocking. */

/*
 * Listen on path.  PROTO_ERR_EXISTS: a live daemon owns it.  *c is freed
 * with dec_ctl_close, which removes the socket.
 */
int dec_ctl_open(const char *path, struct dec_ctl **c);
void dec_ctl_close(struct dec_ctl **c);
/* The descriptors to poll into p (DEC_CTL_POLLFDS room): how many. */
size_t dec_ctl_pollfds(const struct dec_ctl *c, struct pollfd *p);
/*
 * After poll (p, n as polled): accept, read, answer and write what is
 * ready, and hang up on clients past their deadline.
 */
void dec_ctl_serve(struct dec_ctl *c, struct dec_state *st,
    const struct pollfd *p, size_t n);
/* ms until the nearest client deadline; -1: none. */
int dec_ctl_wait_ms(const struct dec_ctl *c);
/* The uplink session is over: answer the clients that wait for it. */
void dec_ctl_uplink_done(struct dec_ctl *c, const struct dec_sync_result *res);

/* ctl.c: requests and their reply text. */

/*
 * Answer one request (verb and argument as proto_ctl_split_request split
 * them) into r.  0: r holds the reply.  DEC_CTL_PENDING: an uplink
 * session was started or is under way, and the reply is its outcome
 * (dec_ctl_say_uplink, once it ends).
 */
int dec_ctl_answer(struct proto_ctl_reply *r, struct dec_state *st,
    const char *verb, const char *arg);
void dec_ctl_say_uplink(struct proto_ctl_reply *r,
    const struct dec_sync_result *res);

#endif
