/* SPDX-License-Identifier: BSD-2-Clause */
#define _GNU_SOURCE /* strerrordesc_np: errno's text, thread-safe */
#include <netdb.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "proto.h"

#define SYS_ERRNO_MAX 4095
#define GAI_MAX 999    /* EAI_* are small negative numbers */
#define X509_V_MAX 999 /* X509_V_ERR_* */
#define TLS_R_MAX 1999 /* SSL_R_* reasons, alerts included */

int
proto_err_gai(int eai)
{
	return eai < 0 && eai >= -GAI_MAX ? PROTO_ERR_GAI + eai :
					    PROTO_ERR_NOTFOUND;
}

int
proto_err_x509(long v)
{
	return v > 0 && v <= X509_V_MAX ? PROTO_ERR_X509 - (int)v :
					  PROTO_ERR_AUTH;
}

int
proto_err_tls(int reason)
{
	return reason > 0 && reason <= TLS_R_MAX ? PROTO_ERR_TLS - reason :
						   PROTO_ERR_CRYPTO;
}

/* The cause an error of one of the families carries, as text; NULL for
 * the enum's own values. */
static const char *
cause_text(int err)
{
	const char *s = NULL;

	if (proto_err_errno(err) != 0)
		s = strerrordesc_np(proto_err_errno(err));
	else if (err < PROTO_ERR_GAI && err >= PROTO_ERR_GAI - GAI_MAX)
		s = gai_strerror(err - PROTO_ERR_GAI);
	else if (err < PROTO_ERR_X509 && err >= PROTO_ERR_X509 - X509_V_MAX)
		s = X509_verify_cert_error_string(PROTO_ERR_X509 - err);
	else if (err < PROTO_ERR_TLS && err >= PROTO_ERR_TLS - TLS_R_MAX)
		s = ERR_reason_error_string(
		    ERR_PACK(ERR_LIB_SSL, 0, PROTO_ERR_TLS - err));
	else
		return NULL;
	return s != NULL ? s : "unknown cause";
}

int
proto_err_sys(int e)
{
	return e > 0 && e <= SYS_ERRNO_MAX ? PROTO_ERR_SYS - e : PROTO_ERR_IO;
}

int
proto_err_errno(int err)
{
	return err < PROTO_ERR_SYS && err >= PROTO_ERR_SYS - SYS_ERRNO_MAX ?
	    PROTO_ERR_SYS - err :
	    0;
}

int
proto_err_is_io(int err)
{
	return err == PROTO_ERR_IO || proto_err_errno(err) != 0;
}

const char *
proto_strerror(int err)
{
	const char *cause;

	if ((cause = cause_text(err)) != NULL)
		return cause;
	switch (err) {
	case PROTO_OK:
		return "success";
	case PROTO_ERR_SHORT:
		return "input too short";
	case PROTO_ERR_LENGTH:
		return "bad length field";
	case PROTO_ERR_NOSPACE:
		return "output buffer too small";
	case PROTO_ERR_DEPTH:
		return "nested too deep";
	case PROTO_ERR_FORMAT:
		return "malformed encoding";
	case PROTO_ERR_TRAILING:
		return "trailing bytes";
	case PROTO_ERR_ARG:
		return "invalid argument";
	case PROTO_ERR_NOMEM:
		return "out of memory";
	case PROTO_ERR_IO:
		return "input/output error";
	case PROTO_ERR_CRYPTO:
		return "crypto library failure";
	case PROTO_ERR_AUTH:
		return "authentication failed";
	case PROTO_ERR_RANGE:
		return "value out of range";
	case PROTO_ERR_NOTFOUND:
		return "not found";
	case PROTO_ERR_EXISTS:
		return "already exists";
	case PROTO_ERR_STATE:
		return "not allowed in this state";
	case PROTO_ERR_TOOBIG:
		return "larger than the limit";
	default:
		return "unknown error";
	}
}
