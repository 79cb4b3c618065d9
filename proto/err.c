/* SPDX-License-Identifier: BSD-2-Clause */
#include "proto.h"

const char *
proto_strerror(int err)
{
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
