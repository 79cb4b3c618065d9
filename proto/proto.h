/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proto: the wire-format library every part of the system links.
 *
 * It depends on nothing of ours (libc and OpenSSL 3 only).  Every byte that
 * crosses a process boundary -- APDUs, TLV, blocks, uplink messages, files --
 * is read through the bounded reader in buf.h and written through the writer.
 *
 * Error convention, used by the whole project: a function returns 0 on
 * success or a negative value from enum proto_err; proto_strerror() names it.
 * Outputs are written only on success.
 */
#ifndef PROTO_H
#define PROTO_H

enum proto_err {
	PROTO_OK = 0,
	PROTO_ERR_SHORT = -1,     /* input ended before the field did */
	PROTO_ERR_LENGTH = -2,    /* a length field is malformed or too large */
	PROTO_ERR_NOSPACE = -3,   /* the output buffer is too small */
	PROTO_ERR_DEPTH = -4,     /* nested deeper than the limit */
	PROTO_ERR_FORMAT = -5,    /* malformed encoding */
	PROTO_ERR_TRAILING = -6,  /* bytes left after a complete value */
	PROTO_ERR_ARG = -7,       /* invalid argument from the caller */
	PROTO_ERR_NOMEM = -8,     /* out of memory */
	PROTO_ERR_IO = -9,        /* a system call failed; see errno */
	PROTO_ERR_CRYPTO = -10,   /* the crypto library failed */
	PROTO_ERR_AUTH = -11,     /* a signature, tag or checksum is wrong */
	PROTO_ERR_RANGE = -12,    /* a value is outside its allowed range */
	PROTO_ERR_NOTFOUND = -13, /* no such item */
	PROTO_ERR_EXISTS = -14,   /* the item exists already */
	PROTO_ERR_STATE = -15,    /* not allowed in the current state */
	PROTO_ERR_TOOBIG = -16,   /* larger than a named limit */
};

/* A static string naming err; never NULL. */
const char *proto_strerror(int err);

/*
 * The size of a struct member, for the static assertions that tie a wire
 * length summed by hand to the fields it carries.
 */
#define PROTO_MEMBER_SIZE(type, member) sizeof(((type *)0)->member)

#endif
