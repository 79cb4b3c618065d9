/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One vcard per card image and per vpcd slot: two vcards writing one
 * image lose each other's updates, and two on one slot fight over the
 * reader.  An image is held with a lock beside it (proto_file_lock); a
 * slot with an abstract Unix socket named after it, which exists once per
 * network namespace (as the vpcd port does) and goes away with us.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../proto/file.h"
#include "../proto/proto.h"
#include "vcard.h"

int
vcard_claim_image(struct vcard *v, const char *path, int *lock, char *why,
    size_t cap)
{
	long holder = 0;
	int rc;

	*lock = -1;
	if (v->store != NULL && strcmp(card_store_path(v->store), path) == 0)
		return 0;
	if ((rc = proto_file_lock(path, lock, &holder)) == 0)
		return 0;
	if (rc == PROTO_ERR_EXISTS)
		snprintf(why, cap, "%s is in use by another vcard (pid %ld)",
		    path, holder);
	else
		snprintf(why, cap, "cannot lock %s: %s", path,
		    proto_strerror(rc));
	return rc;
}

void
vcard_release_image(struct vcard *v, int lock)
{
	if (lock < 0)
		return; /* the same image: its lock stays */
	proto_file_unlock(&v->image_lock);
	v->image_lock = lock;
}

int
vcard_claim_port(struct vcard *v)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, n, err;

	n = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
	    "ptv-vcard %s:%u", v->host, (unsigned)v->port);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path) - 1)
		return PROTO_ERR_TOOBIG;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return proto_err_sys(errno);
	if (bind(fd, (struct sockaddr *)&sa,
		(socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		    (size_t)n)) != 0) {
		err = errno;
		close(fd);
		return err == EADDRINUSE ? PROTO_ERR_EXISTS :
					   proto_err_sys(err);
	}
	v->port_lock = fd;
	return 0;
}
