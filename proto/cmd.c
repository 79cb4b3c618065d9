/* SPDX-License-Identifier: BSD-2-Clause */
/* Center commands: signed by the center, parsed and verified by the card. */
#include <string.h>

#include "cmd.h"
#include "proto.h"

#define CMD_SIZE(f) PROTO_MEMBER_SIZE(struct proto_cmd, f)

/* Parameter layouts, by what a type carries. */
#define PARAMS_NONE 0
#define PARAMS_U32 CMD_SIZE(arg1)       /* a sequence or an amount */
#define PARAMS_CHANNEL sizeof(uint16_t) /* a channel (in arg1) */
#define PARAMS_GRANT (PARAMS_CHANNEL + CMD_SIZE(arg2)) /* and an expiry */

_Static_assert(PROTO_CMD_PARAMS_MAX == PARAMS_GRANT &&
	PARAMS_U32 <= PROTO_CMD_PARAMS_MAX &&
	PARAMS_CHANNEL <= PROTO_CMD_PARAMS_MAX,
    "PROTO_CMD_PARAMS_MAX is the longest parameter layout");
_Static_assert(PROTO_CMD_MAX_LEN ==
	sizeof(uint8_t) /* version */ + CMD_SIZE(type) + CMD_SIZE(ua) +
	    CMD_SIZE(path) + CMD_SIZE(counter) +
	    sizeof(uint8_t) /* parameter length */ + PROTO_CMD_PARAMS_MAX +
	    PROTO_EC_SIG_LEN,
    "a command is the fields proto_cmd_sign writes");

static const struct cmd_type {
	uint8_t type;
	uint8_t params_len;
	const char *name;
} cmd_types[] = {
	{ PROTO_CMD_UNLOCK, PARAMS_NONE, "unlock" },
	{ PROTO_CMD_ACK, PARAMS_U32, "ack" },
	{ PROTO_CMD_RELOAD, PARAMS_U32, "reload" },
	{ PROTO_CMD_GRANT, PARAMS_GRANT, "grant" },
	{ PROTO_CMD_REVOKE, PARAMS_CHANNEL, "revoke" },
	{ PROTO_CMD_EXPORT, PARAMS_NONE, "export" },
	{ PROTO_CMD_DISABLE, PARAMS_NONE, "disable" },
};

static const struct cmd_type *
cmd_type(uint8_t type)
{
	for (size_t i = 0; i < sizeof(cmd_types) / sizeof(cmd_types[0]); i++)
		if (cmd_types[i].type == type)
			return &cmd_types[i];
	return NULL;
}

const char *
proto_cmd_name(uint8_t type)
{
	const struct cmd_type *t = cmd_type(type);

	return t != NULL ? t->name : "unknown";
}

int
proto_cmd_known(uint8_t type)
{
	return cmd_type(type) != NULL;
}

static int
cmd_params_write(const struct proto_cmd *c, struct proto_wr *w)
{
	int rc;

	switch (c->type) {
	case PROTO_CMD_UNLOCK:
	case PROTO_CMD_EXPORT:
	case PROTO_CMD_DISABLE:
		return 0;
	case PROTO_CMD_ACK:
	case PROTO_CMD_RELOAD:
		return proto_wr_u32(w, c->arg1);
	case PROTO_CMD_GRANT:
	case PROTO_CMD_REVOKE:
		if (c->arg1 > UINT16_MAX)
			return PROTO_ERR_RANGE;
		if ((rc = proto_wr_u16(w, (uint16_t)c->arg1)) != 0)
			return rc;
		return c->type == PROTO_CMD_GRANT ? proto_wr_u32(w, c->arg2) :
						    0;
	default:
		return PROTO_ERR_ARG;
	}
}

int
proto_cmd_sign(const struct proto_cmd *c, const uint8_t priv[PROTO_EC_PRIV_LEN],
    const uint8_t pub[PROTO_EC_PUB_LEN], struct proto_wr *w)
{
	const struct cmd_type *t = cmd_type(c->type);
	struct proto_wr x = *w;
	uint8_t *start = x.p + x.len, *sig;
	int rc;

	if (t == NULL || c->path > PROTO_CMD_PATH_BROADCAST)
		return PROTO_ERR_ARG;
	if ((rc = proto_wr_u8(&x, PROTO_CMD_VERSION)) != 0 ||
	    (rc = proto_wr_u8(&x, c->type)) != 0 ||
	    (rc = proto_wr_bytes(&x, c->ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_wr_u8(&x, c->path)) != 0 ||
	    (rc = proto_wr_u32(&x, c->counter)) != 0 ||
	    (rc = proto_wr_u8(&x, t->params_len)) != 0 ||
	    (rc = cmd_params_write(c, &x)) != 0 ||
	    (rc = proto_wr_reserve(&x, PROTO_EC_SIG_LEN, &sig)) != 0)
		return rc;
	if ((rc = proto_ec_sign(priv, pub, start, (size_t)(sig - start),
		 sig)) != 0)
		return rc;
	*w = x;
	return 0;
}

static int
cmd_params_read(struct proto_rd *r, struct proto_cmd *c)
{
	uint16_t v16;
	int rc;

	switch (c->type) {
	case PROTO_CMD_UNLOCK:
	case PROTO_CMD_EXPORT:
	case PROTO_CMD_DISABLE:
		return 0;
	case PROTO_CMD_ACK:
	case PROTO_CMD_RELOAD:
		return proto_rd_u32(r, &c->arg1);
	case PROTO_CMD_GRANT:
	case PROTO_CMD_REVOKE:
		if ((rc = proto_rd_u16(r, &v16)) != 0)
			return rc;
		c->arg1 = v16;
		return c->type == PROTO_CMD_GRANT ? proto_rd_u32(r, &c->arg2) :
						    0;
	default: /* a type we do not know: its parameters stay opaque */
		return proto_rd_skip(r, proto_rd_left(r));
	}
}

int
proto_cmd_parse(const uint8_t *buf, size_t len, struct proto_cmd *out,
    const uint8_t **signed_part, size_t *signed_len, const uint8_t **sig)
{
	const struct cmd_type *t;
	struct proto_cmd c;
	struct proto_rd r, params;
	uint8_t version, plen;
	const uint8_t *s;
	int rc;

	memset(&c, 0, sizeof(c));
	proto_rd_init(&r, buf, len);
	if ((rc = proto_rd_u8(&r, &version)) != 0 ||
	    (rc = proto_rd_u8(&r, &c.type)) != 0 ||
	    (rc = proto_rd_bytes(&r, c.ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_rd_u8(&r, &c.path)) != 0 ||
	    (rc = proto_rd_u32(&r, &c.counter)) != 0 ||
	    (rc = proto_rd_u8(&r, &plen)) != 0)
		return rc;
	t = cmd_type(c.type);
	if (version != PROTO_CMD_VERSION || c.path > PROTO_CMD_PATH_BROADCAST ||
	    (t != NULL ? plen != t->params_len : plen > PROTO_CMD_PARAMS_MAX))
		return PROTO_ERR_FORMAT;
	if ((rc = proto_rd_sub(&r, plen, &params)) != 0 ||
	    (rc = cmd_params_read(&params, &c)) != 0 ||
	    (rc = proto_rd_end(&params)) != 0 ||
	    (rc = proto_rd_ptr(&r, PROTO_EC_SIG_LEN, &s)) != 0 ||
	    (rc = proto_rd_end(&r)) != 0)
		return rc;
	*out = c;
	*signed_part = buf;
	*signed_len = len - PROTO_EC_SIG_LEN;
	*sig = s;
	return 0;
}

int
proto_cmd_verify(const uint8_t *buf, size_t len,
    const uint8_t pub[PROTO_EC_PUB_LEN], struct proto_cmd *out)
{
	struct proto_cmd c;
	const uint8_t *sp, *sig;
	size_t slen;
	int rc;

	if ((rc = proto_cmd_parse(buf, len, &c, &sp, &slen, &sig)) != 0)
		return rc;
	if ((rc = proto_ec_verify(pub, sp, slen, sig)) != 0)
		return rc;
	*out = c;
	return 0;
}
