/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reader events from the monitor (monitor.h): a card arrives (open the
 * session, export by policy), a card leaves (forget the session, keep
 * M1), the reader service goes and comes back.
 */
#ifndef DECODER_EVENTS_H
#define DECODER_EVENTS_H

#include "monitor.h"
#include "state.h"

void dec_events_handle(struct dec_state *st, const struct dec_event *ev);

#endif
