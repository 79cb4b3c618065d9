#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "../proto/tls.h"
#include "uplink.h"

struct conn {
	SSL *ssl;
	unsigned frames, cut_after;
};

/* Count a frame; past the fault-injection point, act as a cut line. */
static int
tick(struct conn *c)
{
	if (c->cut_after > 0 && ++c->frames > c->cut_after)
		return PROTO_ERR_IO;
	return 0;
}

static int
send_buf(struct conn *c, const uint8_t *buf, size_t n)
{
	int rc;

	if ((rc = tick(c)) != 0)
		return rc;
	return proto_tls_write_all(c->ssl, buf, n);
}

static int
send_blocks(struct conn *c, const struct dec_uplink_in *in)
{
	static uint8_t buf[PROTO_UPLINK_HDR_LEN + PROTO_UPLINK_MAX_BODY];
	struct proto_up_recovered rec;
	struct proto_wr w;
	int rc;

	proto_wr_init(&w, buf, sizeof(buf));
	if ((rc = proto_up_hello_encode(&in->hello, &w)) != 0 ||
	    (rc = send_buf(c, buf, proto_wr_len(&w))) != 0)
		return rc;
	if (in->present != NULL) {
		proto_wr_init(&w, buf, sizeof(buf));
		if ((rc = proto_up_frame(&w, PROTO_UP_BLOCK,
		    in->present_len)) != 0 ||
		    (rc = proto_wr_bytes(&w, in->present, in->present_len)) ||
		    (rc = send_buf(c, buf, proto_wr_len(&w))) != 0)
			return rc;
	}
	for (size_t i = 0; i < in->n_rec; i++) {
		memcpy(rec.decoder_id, in->hello.decoder_id,
		    PROTO_DECODER_ID_LEN);
		rec.stored_at = in->rec[i]->exported_at;
		rec.block = in->rec[i]->block;
		rec.len = in->rec[i]->len;
		proto_wr_init(&w, buf, sizeof(buf));
		if ((rc = proto_up_recovered_encode(&rec, &w)) != 0 ||
		    (rc = send_buf(c, buf, proto_wr_len(&w))) != 0)
			return rc;
	}
	proto_wr_init(&w, buf, sizeof(buf));
	if ((rc = proto_up_frame(&w, PROTO_UP_END, 0)) != 0)
		return rc;
	return send_buf(c, buf, proto_wr_len(&w));
}

static int
take_frame(struct dec_uplink_out *o, uint8_t type, const uint8_t *b,
    size_t n, int *done)
{
	struct proto_rd r;

	switch (type) {
	case PROTO_UP_RESULT:
		if (o->n_res == PROTO_UPLINK_MAX_BLOCKS)
			return PROTO_ERR_TOOBIG;
		return proto_up_result_decode(b, n, &o->res[o->n_res++]);
	case PROTO_UP_COMMAND:
		if (o->n_cmds == DEC_MAX_COMMANDS || n > PROTO_CMD_MAX_LEN)
			return PROTO_ERR_TOOBIG;
		memcpy(o->cmds[o->n_cmds], b, n);
		o->cmd_len[o->n_cmds++] = n;
		return 0;
	case PROTO_UP_ACK:
		if (o->n_acks == PROTO_UPLINK_MAX_BLOCKS)
			return PROTO_ERR_TOOBIG;
		if (proto_up_ack_decode(b, n, o->ack_ua[o->n_acks],
		    &o->ack_seq[o->n_acks]) != 0)
			return PROTO_ERR_FORMAT;
		o->n_acks++;
		return 0;
	case PROTO_UP_DONE:
		proto_rd_init(&r, b, n);
		if (proto_rd_u32(&r, &o->invoiced) != 0 ||
		    proto_rd_u32(&r, &o->flagged) != 0 || proto_rd_end(&r) != 0)
			return PROTO_ERR_FORMAT;
		*done = 1;
		return 0;
	case PROTO_UP_ERROR:
		o->error = n > 0 ? b[0] : PROTO_UP_INTERNAL;
		return PROTO_ERR_STATE;
	default:
		return PROTO_ERR_FORMAT;
	}
}

int
dec_uplink_run(SSL_CTX *tls, const char *host, const char *port,
    const struct dec_uplink_in *in, struct dec_uplink_out *out)
{
	static uint8_t body[PROTO_UPLINK_MAX_BODY];
	struct conn c = { .cut_after = in->cut_after };
	uint8_t type;
	size_t n;
	int fd = -1, rc, done = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = proto_tls_connect(tls, host, port, DEC_UPLINK_TIMEOUT_MS,
	    &c.ssl, &fd)) != 0)
		return rc;
	if ((rc = send_blocks(&c, in)) != 0)
		goto out;
	while (!done) {
		if ((rc = proto_tls_read_frame(c.ssl, &type, body, sizeof(body),
		    &n)) != 0 || (rc = tick(&c)) != 0 ||
		    (rc = take_frame(out, type, body, n, &done)) != 0)
			goto out;
	}
	SSL_shutdown(c.ssl);
out:
	ERR_clear_error();
	SSL_free(c.ssl);
	close(fd);
	return rc;
}
