/* SPDX-License-Identifier: BSD-2-Clause */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "monitor.h"

#define MAX_READERS 16
#define PNP_READER "\\\\?PnP?\\Notification"
#define RETRY_MS 1000

struct dec_monitor {
	pthread_t thread;
	int pipe_w;
	pthread_mutex_t lock;
	SCARDCONTEXT ctx; /* valid while has_ctx, under lock */
	int has_ctx;
	atomic_int stop;
};

static void
post(struct dec_monitor *m, int type, const char *reader)
{
	struct dec_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	if (reader != NULL)
		snprintf(ev.reader, sizeof(ev.reader), "%s", reader);
	/* sizeof(ev) < PIPE_BUF: the write is atomic. */
	if (write(m->pipe_w, &ev, sizeof(ev)) != (ssize_t)sizeof(ev))
		proto_log(PROTO_LOG_ERR, "%s: %s", __func__, strerror(errno));
}

static void
sleep_ms(struct dec_monitor *m, int ms)
{
	for (int i = 0; i < ms / 50 && !m->stop; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
}

/* Fill states with the readers pcscd has, then the PnP pseudo-reader. */
static int
list_readers(SCARDCONTEXT ctx, char *names, DWORD cap, SCARD_READERSTATE *st,
    int *n)
{
	DWORD len = cap;
	LONG rv;
	int k = 0;

	rv = SCardListReaders(ctx, NULL, names, &len);
	if (rv == SCARD_E_NO_READERS_AVAILABLE) {
		names[0] = '\0';
	} else if (rv != SCARD_S_SUCCESS) {
		return -1;
	}
	for (char *p = names; *p != '\0' && k < MAX_READERS;
	     p += strlen(p) + 1) {
		memset(&st[k], 0, sizeof(st[k]));
		st[k].szReader = p;
		st[k].dwCurrentState = SCARD_STATE_UNAWARE;
		k++;
	}
	memset(&st[k], 0, sizeof(st[k]));
	st[k].szReader = PNP_READER;
	st[k].dwCurrentState = SCARD_STATE_UNAWARE;
	*n = k + 1;
	return 0;
}

static int
present(DWORD s)
{
	return (s & SCARD_STATE_PRESENT) && !(s & SCARD_STATE_MUTE);
}

/* Watch until the reader set changes (0) or pcscd goes away (-1). */
static int
watch(struct dec_monitor *m, SCARDCONTEXT ctx)
{
	static char names[8192];
	SCARD_READERSTATE st[MAX_READERS + 1];
	int n, first = 1;
	LONG rv;

	if (list_readers(ctx, names, sizeof(names), st, &n) != 0)
		return -1;
	while (!m->stop) {
		rv = SCardGetStatusChange(ctx, INFINITE, st, (DWORD)n);
		if (rv == SCARD_E_CANCELLED || m->stop)
			return 0;
		if (rv != SCARD_S_SUCCESS)
			return rv == SCARD_E_TIMEOUT ? 0 : -1;
		for (int i = 0; i < n - 1; i++) {
			DWORD was = st[i].dwCurrentState,
			      now = st[i].dwEventState;
			if (!(now & SCARD_STATE_CHANGED) && !first)
				continue;
			if (present(now) && (first || !present(was)))
				post(m, DEC_EV_PRESENT, st[i].szReader);
			else if (!present(now) && (first || present(was)))
				post(m, DEC_EV_ABSENT, st[i].szReader);
			st[i].dwCurrentState =
			    now & ~(DWORD)SCARD_STATE_CHANGED;
		}
		first = 0;
		if (st[n - 1].dwEventState & SCARD_STATE_CHANGED)
			return 0; /* readers came or went: list again */
	}
	return 0;
}

static void *
run(void *arg)
{
	struct dec_monitor *m = arg;
	SCARDCONTEXT ctx;
	int up = -1;

	while (!m->stop) {
		if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL,
			&ctx) != SCARD_S_SUCCESS) {
			if (up != 0)
				post(m, DEC_EV_SERVICE_DOWN, NULL);
			up = 0;
			sleep_ms(m, RETRY_MS);
			continue;
		}
		pthread_mutex_lock(&m->lock);
		m->ctx = ctx;
		m->has_ctx = 1;
		pthread_mutex_unlock(&m->lock);
		if (up != 1)
			post(m, DEC_EV_SERVICE_UP, NULL);
		up = 1;
		while (!m->stop && watch(m, ctx) == 0)
			;
		pthread_mutex_lock(&m->lock);
		m->has_ctx = 0;
		pthread_mutex_unlock(&m->lock);
		SCardReleaseContext(ctx);
		if (!m->stop) {
			post(m, DEC_EV_SERVICE_DOWN, NULL);
			up = 0;
			sleep_ms(m, RETRY_MS);
		}
	}
	return NULL;
}

int
dec_monitor_start(struct dec_monitor **out, int *fd)
{
	struct dec_monitor *m;
	int p[2];

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return PROTO_ERR_NOMEM;
	if (pipe2(p, O_CLOEXEC) != 0) {
		free(m);
		return PROTO_ERR_IO;
	}
	m->pipe_w = p[1];
	pthread_mutex_init(&m->lock, NULL);
	if (pthread_create(&m->thread, NULL, run, m) != 0) {
		close(p[0]);
		close(p[1]);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return PROTO_ERR_IO;
	}
	*out = m;
	*fd = p[0];
	return 0;
}

int
dec_monitor_read(int fd, struct dec_event *ev)
{
	ssize_t n;

	do {
		n = read(fd, ev, sizeof(*ev));
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*ev))
		return PROTO_ERR_IO;
	ev->reader[sizeof(ev->reader) - 1] = '\0';
	return 0;
}

void
dec_monitor_stop(struct dec_monitor **mp)
{
	struct dec_monitor *m;

	if (mp == NULL || (m = *mp) == NULL)
		return;
	m->stop = 1;
	/*
	 * The thread may enter SCardGetStatusChange just after a cancel:
	 * cancel again until it is gone.
	 */
	for (;;) {
		struct timespec t;
		pthread_mutex_lock(&m->lock);
		if (m->has_ctx)
			SCardCancel(m->ctx);
		pthread_mutex_unlock(&m->lock);
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 100000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000;
		}
		if (pthread_timedjoin_np(m->thread, NULL, &t) == 0)
			break;
	}
	close(m->pipe_w);
	pthread_mutex_destroy(&m->lock);
	free(m);
	*mp = NULL;
}
