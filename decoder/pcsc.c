/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The card transport over libpcsclite: the default struct dec_card_io.
 * Besides monitor.c, the only code in the decoder that calls SCard*.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include <winscard.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "card.h"

struct pcsc_conn {
	SCARDHANDLE h;
	DWORD proto;
};

/* A PC/SC error that means the card or pcscd went away. */
static int
pcsc_lost(LONG rv)
{
	return rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD ||
	    rv == SCARD_W_RESET_CARD || rv == SCARD_E_NO_SERVICE ||
	    rv == SCARD_E_SERVICE_STOPPED || rv == SCARD_E_INVALID_HANDLE ||
	    rv == SCARD_E_READER_UNAVAILABLE || rv == SCARD_W_UNPOWERED_CARD ||
	    rv == SCARD_E_UNKNOWN_READER || rv == SCARD_F_COMM_ERROR;
}

static int
pcsc_err(const char *func, LONG rv)
{
	proto_log(PROTO_LOG_INFO, "%s: %s", func, pcsc_stringify_error(rv));
	return pcsc_lost(rv) ? PROTO_ERR_IO : PROTO_ERR_STATE;
}

static int
pcsc_open(void **svc)
{
	SCARDCONTEXT *ctx;
	LONG rv;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return PROTO_ERR_NOMEM;
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, ctx);
	if (rv != SCARD_S_SUCCESS) {
		free(ctx);
		(void)pcsc_err(__func__, rv);
		return PROTO_ERR_IO;
	}
	*svc = ctx;
	return 0;
}

static void
pcsc_close(void *svc)
{
	SCARDCONTEXT *ctx = svc;

	if (ctx == NULL)
		return;
	SCardReleaseContext(*ctx);
	free(ctx);
}

static int
pcsc_connect(void *svc, const char *reader, void **out, uint8_t *atr,
    size_t *atr_len)
{
	const SCARDCONTEXT *ctx = svc;
	struct pcsc_conn *c;
	BYTE a[MAX_ATR_SIZE];
	DWORD alen = sizeof(a), state, proto, rlen = 0;
	LONG rv;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PROTO_ERR_NOMEM;
	rv = SCardConnect(*ctx, reader, SCARD_SHARE_SHARED,
	    SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c->h, &c->proto);
	if (rv != SCARD_S_SUCCESS) {
		free(c);
		(void)pcsc_err(__func__, rv);
		return PROTO_ERR_IO;
	}
	rv = SCardStatus(c->h, NULL, &rlen, &state, &proto, a, &alen);
	if (rv != SCARD_S_SUCCESS || alen > *atr_len) {
		SCardDisconnect(c->h, SCARD_LEAVE_CARD);
		free(c);
		if (rv != SCARD_S_SUCCESS)
			return pcsc_err(__func__, rv);
		return PROTO_ERR_FORMAT;
	}
	memcpy(atr, a, alen);
	*atr_len = alen;
	*out = c;
	return 0;
}

static void
pcsc_disconnect(void *h)
{
	struct pcsc_conn *c = h;

	if (c == NULL)
		return;
	SCardDisconnect(c->h, SCARD_LEAVE_CARD);
	free(c);
}

static int
pcsc_transmit(void *h, const uint8_t *cmd, size_t len, uint8_t *resp,
    size_t *rlen)
{
	const struct pcsc_conn *c = h;
	const SCARD_IO_REQUEST *pci =
	    c->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	DWORD n = (DWORD)*rlen;
	LONG rv;

	rv = SCardTransmit(c->h, pci, cmd, (DWORD)len, NULL, resp, &n);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_err(__func__, rv);
	*rlen = n;
	return 0;
}

const struct dec_card_io dec_card_io_pcsc = {
	.open = pcsc_open,
	.close = pcsc_close,
	.connect = pcsc_connect,
	.disconnect = pcsc_disconnect,
	.transmit = pcsc_transmit,
};
