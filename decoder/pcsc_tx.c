/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A connection's sender (pcsc_tx.h): a thread that waits for a command,
 * sends it, and hands the answer back under the lock.  The command and
 * the answer live in the sender, so that a caller that stopped waiting
 * leaves nothing of its own to the thread.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/crypto.h"
#include "../proto/proto.h"
#include "pcsc_tx.h"

struct pcsc_tx {
	pthread_mutex_t lock;
	pthread_cond_t go, done; /* a command is there; it was answered */
	pthread_t thread;
	/* under lock */
	int busy;      /* a command is given and not answered yet */
	int stop;      /* the thread ends (no command given) */
	int abandoned; /* the caller gave up: the thread frees all */
	void (*release)(void *);
	void *arg;
	/* the command: written by the caller while not busy */
	SCARDHANDLE h;
	const SCARD_IO_REQUEST *pci;
	uint8_t cmd[DEC_TX_CMD_MAX];
	size_t len;
	/* the answer: written by the thread while busy */
	uint8_t resp[DEC_TX_RESP_MAX];
	DWORD rlen;
	LONG rv;
};

static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned pending;

static void
pending_add(int n)
{
	pthread_mutex_lock(&pending_lock);
	pending = n > 0 ? pending + 1 : pending - 1;
	pthread_mutex_unlock(&pending_lock);
}

unsigned
pcsc_tx_pending(void)
{
	unsigned n;

	pthread_mutex_lock(&pending_lock);
	n = pending;
	pthread_mutex_unlock(&pending_lock);
	return n;
}

static void
tx_destroy(struct pcsc_tx *t)
{
	proto_cleanse(t->resp, sizeof(t->resp));
	pthread_cond_destroy(&t->go);
	pthread_cond_destroy(&t->done);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void *
sender(void *arg)
{
	struct pcsc_tx *t = arg;
	DWORD n;
	LONG rv;
	int gone;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (!t->busy && !t->stop)
			pthread_cond_wait(&t->go, &t->lock);
		if (!t->busy)
			break; /* stopped */
		n = t->rlen;
		pthread_mutex_unlock(&t->lock);
		rv = SCardTransmit(t->h, t->pci, t->cmd, (DWORD)t->len, NULL,
		    t->resp, &n);
		pthread_mutex_lock(&t->lock);
		t->rv = rv;
		t->rlen = n;
		t->busy = 0;
		if (t->abandoned)
			break;
		pthread_cond_signal(&t->done);
	}
	gone = t->abandoned;
	pthread_mutex_unlock(&t->lock);
	if (gone) {
		t->release(t->arg);
		tx_destroy(t);
		pending_add(-1);
	}
	return NULL;
}

int
pcsc_tx_new(struct pcsc_tx **out)
{
	pthread_condattr_t ca;
	struct pcsc_tx *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return PROTO_ERR_NOMEM;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->go, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->done, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&t->thread, NULL, sender, t) != 0) {
		tx_destroy(t);
		return PROTO_ERR_NOMEM;
	}
	*out = t;
	return 0;
}

void
pcsc_deadline(struct timespec *t, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

int
pcsc_tx_run(struct pcsc_tx *t, SCARDHANDLE h, const SCARD_IO_REQUEST *pci,
    const uint8_t *cmd, size_t len, uint8_t *resp, size_t *rlen, long ms,
    LONG *rv)
{
	struct timespec until;
	int rc = 0;

	if (len > sizeof(t->cmd))
		return PROTO_ERR_ARG;
	pcsc_deadline(&until, ms);
	pthread_mutex_lock(&t->lock);
	t->h = h;
	t->pci = pci;
	memcpy(t->cmd, cmd, len);
	t->len = len;
	t->rlen = (DWORD)(*rlen < sizeof(t->resp) ? *rlen : sizeof(t->resp));
	t->busy = 1;
	pthread_cond_signal(&t->go);
	while (t->busy) {
		if (pthread_cond_timedwait(&t->done, &t->lock, &until) != 0)
			break;
	}
	if (t->busy) {
		rc = PROTO_ERR_STATE; /* it goes on without us */
	} else {
		*rv = t->rv;
		if (t->rv == SCARD_S_SUCCESS) {
			memcpy(resp, t->resp, t->rlen);
			*rlen = t->rlen;
		}
		proto_cleanse(t->resp, sizeof(t->resp));
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void
pcsc_tx_free(struct pcsc_tx *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = 1;
	pthread_cond_signal(&t->go);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	tx_destroy(t);
}

void
pcsc_tx_abandon(struct pcsc_tx *t, void (*release)(void *), void *arg)
{
	pthread_t thread;
	int busy;

	pending_add(1);
	pthread_mutex_lock(&t->lock);
	thread = t->thread; /* t may be gone once unlocked */
	busy = t->busy;
	if (busy) {
		t->abandoned = 1;
		t->release = release;
		t->arg = arg;
	}
	pthread_mutex_unlock(&t->lock);
	if (busy) {
		pthread_detach(thread);
		return;
	}
	/* answered since: as any other sender */
	pending_add(-1);
	pcsc_tx_free(t);
	release(arg);
}
