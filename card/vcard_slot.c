/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vcard's slot: the card image in it, the runtime over it, and the TCP
 * link to vpcd that carries the reader's frames to the card.
 */
#define _XOPEN_SOURCE 700
#include <unistd.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "applets.h"
#include "vcard.h"

void
vcard_link_close(struct vcard *v)
{
	if (v->link_fd >= 0) {
		close(v->link_fd);
		v->link_fd = -1;
	}
	v->rx.have = 0;
	v->rx.consumed = 0;
	if (v->rt != NULL)
		card_rt_reset(v->rt);
}

void
vcard_link_try(struct vcard *v)
{
	int fd;

	if (v->store == NULL || v->link_fd >= 0)
		return;
	if (card_vpcd_connect(v->host, v->port, VCARD_CONNECT_TIMEOUT_MS,
		&fd) != 0)
		return;
	v->link_fd = fd;
	v->connects++;
	proto_log(PROTO_LOG_INFO, "connected to vpcd at %s:%u", v->host,
	    (unsigned)v->port);
}

int
vcard_load(const char *path, struct card_store **store, struct card_rt **rt)
{
	const struct card_applet *const *apps;
	size_t n;
	int rc;

	if ((rc = card_store_open(path, store)) != 0)
		return rc;
	apps = card_applets(&n);
	if ((rc = card_rt_new(*store, apps, n, rt)) != 0)
		card_store_free(store);
	return rc;
}

void
vcard_unload(struct vcard *v)
{
	vcard_link_close(v);
	card_rt_free(&v->rt);
	card_store_free(&v->store);
}

static void
on_frame(struct vcard *v, const uint8_t *frame, size_t len)
{
	size_t n = 0;

	if (card_vpcd_answer(v->rt, frame, len, v->out, sizeof(v->out), &n) !=
	    0) {
		proto_log(PROTO_LOG_WARNING, "%s: unknown control byte %02x",
		    __func__, len > 0 ? (unsigned)frame[0] : 0u);
		return;
	}
	if (n == 0) {
		proto_log(PROTO_LOG_DEBUG, "power control %u",
		    (unsigned)frame[0]);
		return;
	}
	if (card_vpcd_send(v->link_fd, v->out, n) != 0) {
		proto_log(PROTO_LOG_WARNING, "%s: vpcd connection lost",
		    __func__);
		vcard_link_close(v);
	}
}

void
vcard_link_readable(struct vcard *v)
{
	const uint8_t *frame;
	size_t len;
	int fd = v->link_fd, rc;

	while ((rc = card_vpcd_recv(fd, &v->rx, &frame, &len)) == 1) {
		on_frame(v, frame, len);
		if (v->link_fd < 0)
			return;
		fd = -1; /* further frames already buffered */
	}
	if (rc < 0 && fd >= 0) {
		proto_log(PROTO_LOG_INFO, "%s: vpcd closed the connection",
		    __func__);
		vcard_link_close(v);
	}
}
