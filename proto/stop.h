/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemons' signal handling: SIGTERM and SIGINT ask the main loop to
 * stop (and interrupt a blocking poll, no SA_RESTART); SIGPIPE is ignored
 * so that a peer gone away is an error return, not a death.  SIGHUP is
 * ignored too: no daemon of ours rereads its configuration while running
 * (restart it for a change to take effect), and a hangup of the terminal
 * it was started from must not end it.
 */
#ifndef PROTO_STOP_H
#define PROTO_STOP_H

void proto_signals_init(void);
/* Non-zero once SIGTERM or SIGINT arrived. */
int proto_stop_requested(void);

#endif
