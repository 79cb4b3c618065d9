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
 *
 * A failed system call's cause travels in the value itself: a function
 * that sees a system call fail returns proto_err_sys(errno), a value below
 * PROTO_ERR_SYS that carries the errno (EACCES, ECONNREFUSED, EROFS...), so
 * proto_strerror() names the real cause however far the value is passed
 * up, on any thread, whatever the calls after it did to errno.
 * proto_err_is_io() tells such a value (and the plain PROTO_ERR_IO, a
 * failure with no errno: a card gone, a database error) from the others.
 * Name resolution (PROTO_ERR_GAI) and TLS (PROTO_ERR_X509, PROTO_ERR_TLS:
 * why a certificate was refused, which alert ended a handshake) carry
 * their causes the same way; tls.c makes them.
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
	/* PROTO_ERR_SYS - e: a system call failed with errno e (1..4095). */
	PROTO_ERR_SYS = -1000,
	/* PROTO_ERR_GAI + e: host name resolution failed, EAI_* e (< 0). */
	PROTO_ERR_GAI = -6000,
	/* PROTO_ERR_X509 - v: the peer's certificate failed verification,
	 * X509_V_ERR_* v (1..999: expired, unknown CA, host name mismatch). */
	PROTO_ERR_X509 = -7000,
	/* PROTO_ERR_TLS - r: the TLS handshake or stream failed, OpenSSL's
	 * SSL library reason r (1..1999: an alert, a protocol error). */
	PROTO_ERR_TLS = -8000,
};

/* A static string naming err (a system call's: its errno's text); never
 * NULL. */
const char *proto_strerror(int err);

/*
 * The error of a system call that failed with errno e: PROTO_ERR_SYS - e,
 * or PROTO_ERR_IO when e is 0 or out of range.  Call it before anything
 * else can change errno: return proto_err_sys(errno);
 */
int proto_err_sys(int e);
/* The errno err carries, or 0 (not a system call's error). */
int proto_err_errno(int err);
/* Non-zero when err is PROTO_ERR_IO or a system call's error. */
int proto_err_is_io(int err);
/* The errors of getaddrinfo (EAI_*), of certificate verification
 * (X509_V_ERR_*) and of the TLS library (its reason code), as above. */
int proto_err_gai(int eai);
int proto_err_x509(long v);
int proto_err_tls(int reason);

/*
 * The size of a struct member, for the static assertions that tie a wire
 * length summed by hand to the fields it carries.
 */
#define PROTO_MEMBER_SIZE(type, member) sizeof(((type *)0)->member)

#endif
