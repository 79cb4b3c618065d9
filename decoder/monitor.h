/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The reader monitor: a thread blocked in SCardGetStatusChange (no
 * polling) on its own PC/SC context, posting events to a pipe the daemon's
 * main loop reads.  It follows readers coming and going, survives pcscd
 * going away (retrying once a second) and is stopped with SCardCancel.
 */
#ifndef DECODER_MONITOR_H
#define DECODER_MONITOR_H

#include "card.h"

#define DEC_EV_PRESENT 1 /* a card is in reader */
#define DEC_EV_ABSENT 2  /* reader is empty (or gone) */
#define DEC_EV_SERVICE_DOWN 3
#define DEC_EV_SERVICE_UP 4

struct dec_event {
	int type;
	char reader[DEC_READER_MAX];
};

struct dec_monitor;

/* Start the thread; *fd is the read end of the event pipe. */
int dec_monitor_start(struct dec_monitor **m, int *fd);
/* Read one event (the pipe is readable). */
int dec_monitor_read(int fd, struct dec_event *ev);
void dec_monitor_stop(struct dec_monitor **m);

#endif
