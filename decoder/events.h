/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reader events from the monitor (monitor.h): a card arrives (open the
 * session, export by policy), a card leaves (forget the session, keep
 * M1), the reader service goes and comes back.
 */
#ifndef DECODER_EVENTS_H
#define DECODER_EVENTS_H

#include <time.h>

#include "monitor.h"
#include "state.h"

void dec_events_handle(struct dec_state *st, const struct dec_event *ev);
/*
 * A card another program held at its insertion, that replaced ours under
 * a reset, or whose opening failed (its first answers lost while the
 * reader's driver was still busy with it) is opened when its retry comes
 * (st->waiting, now_ms of dec_now_ms); in how many ms the loop must wake
 * for it (-1: never).
 */
void dec_events_tick(struct dec_state *st, long now_ms);
int dec_events_wait_ms(const struct dec_state *st);

#endif
