/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vcard's own modules (the daemon, not a library): the slot that holds
 * the card and its link to vpcd (vcard_slot.c), the control socket's
 * requests (vcard_ctl.c), and main with the poll loop (vcard.c).  The
 * control requests use the slot; the slot knows nothing of them.
 */
#ifndef CARD_VCARD_H
#define CARD_VCARD_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/ctl.h"
#include "runtime.h"
#include "store.h"
#include "vpcd.h"

#define VCARD_DEFAULT_SOCKET "/run/vcard/vcard.sock"
#define VCARD_RETRY_MS 250
#define VCARD_CONNECT_TIMEOUT_MS 1000
#define VCARD_SWAP_DELAY_MS 1000
/* How long a refused client may go on sending before we close. */
#define VCARD_DRAIN_MS 200
#define VCARD_DRAIN_MAX 65536

/* The daemon: owned by main, allocated once (vcard.c). */
struct vcard {
	const char *host;
	uint16_t port;
	const char *ctl_path;
	int swap_delay_ms;
	int ctl_fd;
	int link_fd;
	struct card_store *store;
	struct card_rt *rt;
	int image_lock; /* the store's image, held (vcard_claim_image) */
	int port_lock;  /* the vpcd slot, held (vcard_claim_port) */
	struct card_vpcd_rx rx;
	uint8_t out[CARD_VPCD_FRAME_MAX];
	struct proto_ctl_reply reply; /* to the request being handled */
	unsigned long connects;
};

/* vcard_slot.c: load an image and a runtime over it, both or neither. */
int
vcard_load(const char *path, struct card_store **store, struct card_rt **rt);
/* Remove the card: close the link, free the runtime and the store. */
void vcard_unload(struct vcard *v);
/*
 * vcard_lock.c: one vcard per image and per vpcd slot.  claim_image:
 * hold path (a lock beside it) before loading it; *lock -1 when it is v's
 * image already.  PROTO_ERR_EXISTS: another vcard holds it (why says so).
 * release_image: the card in v is now the one claimed with lock.
 * claim_port: hold host:port for v's life (v->port_lock).
 */
int vcard_claim_image(struct vcard *v, const char *path, int *lock, char *why,
    size_t cap);
void vcard_release_image(struct vcard *v, int lock);
int vcard_claim_port(struct vcard *v);
/* Connect to vpcd when a card is in and no link is up (quietly retried). */
void vcard_link_try(struct vcard *v);
void vcard_link_close(struct vcard *v);
/* Answer every whole frame vpcd sent; closes the link when it ends. */
void vcard_link_readable(struct vcard *v);

/* vcard_ctl.c: accept one control connection and answer its request. */
void vcard_ctl_readable(struct vcard *v);

#endif
