/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The card transport over libpcsclite: the default struct dec_card_io.
 * Besides monitor.c and pcsc_tx.c (its commands), the only code in the
 * decoder that calls SCard*.
 *
 * Nothing here waits for another program (the transport's contract).
 * libpcsclite answers "sharing violation" at once with
 * PCSCLITE_NO_BLOCKING, except in two places: SCardBeginTransaction
 * (probed first with SCardStatus) and SCardConnect, which pcscd holds
 * back while another program's transaction lasts.  So a connect runs on
 * a thread of its own, with a context of its own, and the caller waits
 * for it CONNECT_WAIT_MS at most: past that the card counts as held, and
 * the next connect to the same reader takes the connection once pcscd
 * lets it through.  And a card may never answer a command (pcsc_tx.h):
 * commands go through a sender of the connection's, waited for
 * DEC_TRANSMIT_WAIT_MS; past that the connection is given up ("wedged":
 * every call on it fails at once, as for a card gone) and no other is
 * made until its command returns, which it does when the card leaves.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <winscard.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "card.h"
#include "pcsc_tx.h"

#define CONNECT_WAIT_MS 500

/* A connection: its own context, and the card's handle on it. */
struct pcsc_conn {
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	DWORD proto;
	struct pcsc_tx *tx; /* made at the first command */
	int wedged;         /* its command went unanswered: given up */
};

/* A connect under way on its thread; freed by whoever sees it last. */
struct pending {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done, abandoned;
	LONG rv;
	struct pcsc_conn *conn; /* when done, and rv is success */
	char reader[DEC_READER_MAX];
};

/* The reader service: a context (pcscd is there) and a pending connect. */
struct pcsc_svc {
	SCARDCONTEXT ctx;
	struct pending *p;
};

/*
 * A PC/SC error that means the card or pcscd went away, or that our
 * connection was reset or reported the card removed (another program's
 * reset, a power cycle): the session reconnects to tell which.
 */
static int
pcsc_lost(LONG rv)
{
	return rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD ||
	    rv == SCARD_W_RESET_CARD || rv == SCARD_E_NO_SERVICE ||
	    rv == SCARD_E_SERVICE_STOPPED || rv == SCARD_E_INVALID_HANDLE ||
	    rv == SCARD_E_READER_UNAVAILABLE || rv == SCARD_W_UNPOWERED_CARD ||
	    rv == SCARD_E_UNKNOWN_READER || rv == SCARD_F_COMM_ERROR ||
	    rv == SCARD_E_NOT_TRANSACTED || rv == SCARD_W_UNRESPONSIVE_CARD;
}

static int
pcsc_err(const char *func, LONG rv)
{
	proto_log(PROTO_LOG_INFO, "%s: %s", func, pcsc_stringify_error(rv));
	return pcsc_lost(rv) ? PROTO_ERR_IO : PROTO_ERR_STATE;
}

/*
 * For the calls that take or look at the card: another program holding
 * it is PROTO_ERR_STATE, anything else a lost connection to reconnect.
 */
static int
pcsc_take_err(const char *func, LONG rv)
{
	proto_log(PROTO_LOG_INFO, "%s: %s", func, pcsc_stringify_error(rv));
	return rv == SCARD_E_SHARING_VIOLATION ? PROTO_ERR_STATE : PROTO_ERR_IO;
}

void
dec_card_pcsc_init(void)
{
	/* Read by libpcsclite at its first context: set it before. */
	if (setenv("PCSCLITE_NO_BLOCKING", "1", 1) != 0)
		proto_log(PROTO_LOG_WARNING, "%s: setenv failed", __func__);
}

static void
conn_release(void *arg)
{
	struct pcsc_conn *c = arg;

	if (c->h != 0)
		SCardDisconnect(c->h, SCARD_LEAVE_CARD);
	SCardReleaseContext(c->ctx);
	free(c);
}

/* A wedged connection's context is held by its sender's SCardTransmit:
 * the sender frees it once that returns. */
static void
conn_free(struct pcsc_conn *c)
{
	if (c == NULL)
		return;
	if (c->wedged) {
		pcsc_tx_abandon(c->tx, conn_release, c);
		return;
	}
	pcsc_tx_free(c->tx);
	conn_release(c);
}

static void
pending_free(struct pending *p)
{
	conn_free(p->conn);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void *
connect_thread(void *arg)
{
	struct pending *p = arg;
	struct pcsc_conn *c;
	LONG rv = SCARD_E_NO_MEMORY;
	int gone;

	if ((c = calloc(1, sizeof(*c))) != NULL &&
	    (rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL,
		 &c->ctx)) != SCARD_S_SUCCESS) {
		free(c);
		c = NULL;
	}
	if (c != NULL &&
	    (rv = SCardConnect(c->ctx, p->reader, SCARD_SHARE_SHARED,
		 SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c->h, &c->proto)) !=
		SCARD_S_SUCCESS) {
		c->h = 0;
		conn_free(c);
		c = NULL;
	}
	pthread_mutex_lock(&p->lock);
	p->rv = rv;
	p->conn = c;
	p->done = 1;
	gone = p->abandoned;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (gone)
		pending_free(p);
	return NULL;
}

static int
start_connect(struct pcsc_svc *s, const char *reader)
{
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t t;
	struct pending *p;
	int ok;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return PROTO_ERR_NOMEM;
	snprintf(p->reader, sizeof(p->reader), "%s", reader);
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	ok = pthread_create(&t, &ta, connect_thread, p) == 0;
	pthread_attr_destroy(&ta);
	if (!ok) {
		pending_free(p);
		return PROTO_ERR_NOMEM;
	}
	s->p = p;
	return 0;
}

/* Wait until the connect is done, ms at most: whether it is. */
static int
wait_done(struct pending *p, long ms)
{
	struct timespec t;
	int done;

	pcsc_deadline(&t, ms);
	pthread_mutex_lock(&p->lock);
	while (!p->done && pthread_cond_timedwait(&p->cond, &p->lock, &t) == 0)
		;
	done = p->done;
	pthread_mutex_unlock(&p->lock);
	return done;
}

/* Leave a connect to its thread, which frees it if still running. */
static void
abandon(struct pending *p)
{
	int done;

	pthread_mutex_lock(&p->lock);
	done = p->done;
	p->abandoned = 1;
	pthread_mutex_unlock(&p->lock);
	if (done)
		pending_free(p);
}

static int
pcsc_open(void **svc)
{
	struct pcsc_svc *s;
	LONG rv;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return PROTO_ERR_NOMEM;
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &s->ctx);
	if (rv != SCARD_S_SUCCESS) {
		free(s);
		(void)pcsc_err(__func__, rv);
		return PROTO_ERR_IO;
	}
	*svc = s;
	return 0;
}

static void
pcsc_close(void *svc)
{
	struct pcsc_svc *s = svc;

	if (s == NULL)
		return;
	if (s->p != NULL)
		abandon(s->p);
	SCardReleaseContext(s->ctx);
	free(s);
}

/*
 * The card's ATR into atr (*atr_len: the room, then its length) and
 * whether it is powered.
 */
static int
read_atr(const struct pcsc_conn *c, uint8_t *atr, size_t *atr_len, int *powered)
{
	BYTE a[MAX_ATR_SIZE];
	DWORD alen = sizeof(a), state, proto, rlen = 0;
	LONG rv;

	rv = SCardStatus(c->h, NULL, &rlen, &state, &proto, a, &alen);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_take_err(__func__, rv);
	if (alen > *atr_len)
		return PROTO_ERR_FORMAT;
	memcpy(atr, a, alen);
	*atr_len = alen;
	*powered = (state & SCARD_POWERED) != 0;
	return 0;
}

static int
pcsc_connect(void *svc, const char *reader, void **out, uint8_t *atr,
    size_t *atr_len)
{
	struct pcsc_svc *s = svc;
	struct pcsc_conn *c;
	LONG rv;
	int rc, powered;

	if (pcsc_tx_pending() > 0) {
		/* pcscd's reader is still held by it: a new connection's
		 * command would wait the same */
		proto_log(PROTO_LOG_INFO,
		    "%s: %s: a command given up on is still unanswered",
		    __func__, reader);
		return PROTO_ERR_IO;
	}
	if (s->p != NULL && strcmp(s->p->reader, reader) != 0) {
		abandon(s->p);
		s->p = NULL;
	}
	if (s->p == NULL && (rc = start_connect(s, reader)) != 0)
		return rc;
	if (!wait_done(s->p, CONNECT_WAIT_MS)) {
		proto_log(PROTO_LOG_INFO,
		    "%s: %s: pcscd holds the connection back (another "
		    "program's transaction)",
		    __func__, reader);
		return PROTO_ERR_STATE;
	}
	rv = s->p->rv;
	c = s->p->conn;
	s->p->conn = NULL;
	pending_free(s->p);
	s->p = NULL;
	if (rv != SCARD_S_SUCCESS)
		return pcsc_take_err(__func__, rv);
	if ((rc = read_atr(c, atr, atr_len, &powered)) != 0) {
		conn_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

static int
reconnect_as(struct pcsc_conn *c, DWORD init)
{
	LONG rv;

	rv = SCardReconnect(c->h, SCARD_SHARE_SHARED,
	    SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, init, &c->proto);
	return rv == SCARD_S_SUCCESS ? 0 : pcsc_take_err(__func__, rv);
}

/*
 * Leave the card as it is, unless another program powered it down: then
 * pcscd refuses every new connection until someone powers it up again,
 * and a reset is what does that (the card lost its session anyway).
 */
static int
pcsc_reconnect(void *h, uint8_t *atr, size_t *atr_len)
{
	struct pcsc_conn *c = h;
	size_t room = *atr_len;
	int rc, powered = 0;

	if (c->wedged)
		return PROTO_ERR_IO;
	if ((rc = reconnect_as(c, SCARD_LEAVE_CARD)) != 0 ||
	    (rc = read_atr(c, atr, atr_len, &powered)) != 0 || powered)
		return rc;
	*atr_len = room;
	if ((rc = reconnect_as(c, SCARD_RESET_CARD)) != 0)
		return rc;
	return read_atr(c, atr, atr_len, &powered);
}

/* SCardStatus checks the sharing and the reset flags, and never waits. */
static int
pcsc_probe(void *h)
{
	const struct pcsc_conn *c = h;
	uint8_t atr[MAX_ATR_SIZE];
	size_t n = sizeof(atr);
	int powered;

	if (c->wedged)
		return PROTO_ERR_IO;
	return read_atr(c, atr, &n, &powered);
}

/*
 * SCardBeginTransaction waits as long as another program's transaction
 * lasts, whatever PCSCLITE_NO_BLOCKING says: probe first.  Another
 * program can still take the card between the two; then we wait for it
 * as any PC/SC client would.
 */
static int
pcsc_begin(void *h)
{
	const struct pcsc_conn *c = h;
	LONG rv;
	int rc;

	if ((rc = pcsc_probe(h)) != 0)
		return rc;
	if ((rv = SCardBeginTransaction(c->h)) != SCARD_S_SUCCESS)
		return pcsc_take_err(__func__, rv);
	return 0;
}

static void
pcsc_end(void *h)
{
	const struct pcsc_conn *c = h;
	LONG rv;

	if (c->wedged)
		return; /* the transaction ends with the connection */
	if ((rv = SCardEndTransaction(c->h, SCARD_LEAVE_CARD)) !=
	    SCARD_S_SUCCESS)
		proto_log(PROTO_LOG_INFO, "%s: %s", __func__,
		    pcsc_stringify_error(rv));
}

static void
pcsc_disconnect(void *h)
{
	conn_free(h);
}

static int
pcsc_transmit(void *h, const uint8_t *cmd, size_t len, uint8_t *resp,
    size_t *rlen)
{
	struct pcsc_conn *c = h;
	const SCARD_IO_REQUEST *pci =
	    c->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	LONG rv;
	int rc;

	if (c->wedged)
		return PROTO_ERR_IO;
	if (c->tx == NULL && (rc = pcsc_tx_new(&c->tx)) != 0)
		return rc;
	rc = pcsc_tx_run(c->tx, c->h, pci, cmd, len, resp, rlen,
	    DEC_TRANSMIT_WAIT_MS, &rv);
	if (rc == PROTO_ERR_STATE) {
		c->wedged = 1;
		proto_log(PROTO_LOG_WARNING,
		    "%s: the card has not answered INS %02X in %d ms: "
		    "given up, as a card gone (pcscd holds its reader until "
		    "it answers or leaves)",
		    __func__, len > 1 ? cmd[1] : 0, DEC_TRANSMIT_WAIT_MS);
		return PROTO_ERR_IO;
	}
	if (rc != 0)
		return rc;
	if (rv != SCARD_S_SUCCESS)
		return pcsc_err(__func__, rv);
	return 0;
}

const struct dec_card_io dec_card_io_pcsc = {
	.open = pcsc_open,
	.close = pcsc_close,
	.connect = pcsc_connect,
	.disconnect = pcsc_disconnect,
	.transmit = pcsc_transmit,
	.begin = pcsc_begin,
	.end = pcsc_end,
	.reconnect = pcsc_reconnect,
	.probe = pcsc_probe,
};
