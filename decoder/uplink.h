/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The decoder's side of an uplink session (proto/uplink.h): send HELLO,
 * take the center's CHALLENGE, send the present card's block made for
 * that challenge and M1's blocks of other cards, collect the center's
 * results, commands and acknowledgements.  Applying them is the daemon's
 * business, after the session.
 */
#ifndef DECODER_UPLINK_H
#define DECODER_UPLINK_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "../proto/uplink.h"
#include "m1.h"

#define DEC_UPLINK_TIMEOUT_MS 15000

/*
 * Make the present card's block (UPLINK BLOCKS) for the session's
 * challenge: *block (borrowed, valid until the session ends) and *len on
 * success; *block NULL when the card could not be read (the session goes
 * on without it).  A failure ends the session with that error.
 */
typedef int (*dec_uplink_present_fn)(void *arg,
    const uint8_t challenge[PROTO_CHALLENGE_LEN], const uint8_t **block,
    size_t *len);

struct dec_uplink_in {
	struct proto_up_hello hello;
	dec_uplink_present_fn present; /* NULL: no present card's block */
	void *present_arg;
	const struct dec_m1_entry *rec[DEC_M1_MAX_ENTRIES];
	size_t n_rec;
	unsigned cut_after; /* fault injection: 0, or close the
					    connection after that many
					    frames sent and received */
};

struct dec_uplink_out {
	struct proto_up_answer ans;
};

/*
 * Run one session.  0 when the center answered DONE; otherwise nothing
 * in out may be acted on.
 */
int dec_uplink_run(SSL_CTX *tls, const char *host, const char *port,
    const struct dec_uplink_in *in, struct dec_uplink_out *out);

#endif
