/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemons' signal handling: SIGTERM and SIGINT ask the main loop to
 * stop (and interrupt a blocking poll, no SA_RESTART); SIGPIPE is ignored
 * so that a peer gone away is an error return, not a death.
 */
#ifndef PROTO_STOP_H
#define PROTO_STOP_H

void proto_signals_init(void);
/* Non-zero once SIGTERM or SIGINT arrived. */
int proto_stop_requested(void);

#endif
