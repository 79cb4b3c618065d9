/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An uplink session's network part on a thread of its own, so that the
 * daemon's loop goes on answering its control socket, following the
 * reader and exporting while a center is slow.  The card stays the main
 * thread's: when the session needs the present card's block (after the
 * center's CHALLENGE), the job says so on its descriptor and waits until
 * the loop gives it (dec_upjob_give).  The job owns copies of everything
 * it sends; the loop applies what it brings back.
 *
 * A job is stopped with dec_upjob_cancel, which wakes the thread out of
 * whatever call it is blocked in (a signal without SA_RESTART, sent again
 * at each cancel until the thread is done): that is how a session's
 * deadline holds against a center that trickles, whatever the socket's
 * own timeouts.
 */
#ifndef DECODER_UPJOB_H
#define DECODER_UPJOB_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "uplink.h"

struct dec_upjob;

/* What a job sends: HELLO, whether a present card's block goes, M1's. */
struct dec_upjob_in {
	SSL_CTX *tls; /* referenced by the job for its life */
	const char *host, *port;
	struct proto_up_hello hello;
	int present; /* ask for the present card's block */
	const struct dec_m1_entry *rec[DEC_M1_MAX_ENTRIES]; /* copied */
	size_t n_rec;
	unsigned cut_after;
};

enum dec_upjob_event {
	DEC_UPJOB_NOTHING = 0,
	DEC_UPJOB_NEED_BLOCK, /* give the block for the challenge */
	DEC_UPJOB_DONE,       /* dec_upjob_finish */
};

/* Start; *j until dec_upjob_finish. */
int dec_upjob_start(const struct dec_upjob_in *in, struct dec_upjob **j);
/* Readable when the job has news. */
int dec_upjob_fd(const struct dec_upjob *j);
/* The news (the challenge, for NEED_BLOCK). */
enum dec_upjob_event
dec_upjob_poll(struct dec_upjob *j, uint8_t challenge[PROTO_CHALLENGE_LEN]);
/* The present card's block (copied), or NULL: the session goes without. */
void dec_upjob_give(struct dec_upjob *j, const uint8_t *block, size_t len);
/* Stop it: it ends, failed, soon after; call again until it is done. */
void dec_upjob_cancel(struct dec_upjob *j);
/*
 * Wait for the thread, free the job (*j NULL), and say how it went: 0
 * when the center answered DONE.  *out holds what came back either way
 * (a failed session's only use of it: the reason of an ERROR frame).
 */
int dec_upjob_finish(struct dec_upjob **j, struct dec_uplink_out *out);

#endif
