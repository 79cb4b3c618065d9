/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The center's answer to an uplink session, applied on the decoder's
 * side once the session is over (sync.c calls it on the loop's thread):
 * the center's commands go to the card the HELLO named, in order, if it
 * is still in the reader; an M1 entry is deleted only when the center
 * acknowledged that very block (dec_m1_ack); an entry the center rejected
 * for good moves into the quarantine.  Each step is durable or changes
 * nothing: a file that cannot be written leaves M1 (and the quarantine)
 * as it was, logged, for the next session.
 */
#ifndef DECODER_ANSWER_H
#define DECODER_ANSWER_H

#include <stddef.h>

#include "../proto/uplink.h"
#include "state.h"

/* What became of an answer on this side. */
struct dec_answer_done {
	size_t applied;     /* commands the card took */
	size_t deleted;     /* M1 entries acknowledged and deleted */
	size_t quarantined; /* M1 entries rejected for good, moved */
};

/*
 * The whole answer to the session hello opened: commands (only to the
 * card hello claims, still present), acknowledgements, quarantine; the
 * counters in st->n; one log line.  *done is always written.
 */
void dec_answer_apply(struct dec_state *st, const struct proto_up_hello *hello,
    const struct proto_up_answer *ans, struct dec_answer_done *done);

/*
 * Delete the M1 entries ans acknowledges (each only if M1 holds that very
 * block: same UA and seq), durably.  Returns how many; 0 when the file
 * could not be written (then M1 is unchanged, and logged).
 */
size_t dec_answer_forget_acked(struct dec_state *st,
    const struct proto_up_answer *ans);

/*
 * Move the M1 entries ans rejects for good (proto_up_reason_final, a
 * block M1 holds that went as RECOVERED in the session hello opened)
 * into the quarantine, durably: the quarantine file first, then M1.
 * Returns how many; 0 when a file could not be written (then M1 and the
 * quarantine are unchanged, and logged).
 */
size_t dec_answer_quarantine(struct dec_state *st,
    const struct proto_up_hello *hello, const struct proto_up_answer *ans);

#endif
