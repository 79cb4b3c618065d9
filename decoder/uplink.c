/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "../proto/tls.h"
#include "uplink.h"

/* One session's connection and the buffers its frames pass through. */
struct conn {
	SSL *ssl;
	unsigned frames, cut_after;
	uint8_t out[PROTO_UPLINK_HDR_LEN + PROTO_UPLINK_MAX_BODY];
	uint8_t body[PROTO_UPLINK_MAX_BODY];
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

/* The center's first frame: CHALLENGE (or an ERROR, taken into out). */
static int
read_challenge(struct conn *c, struct dec_uplink_out *out,
    uint8_t nonce[PROTO_CHALLENGE_LEN])
{
	uint8_t type;
	size_t n;
	int rc, done = 0;

	if ((rc = proto_tls_read_frame(c->ssl, &type, c->body, sizeof(c->body),
		 &n)) != 0 ||
	    (rc = tick(c)) != 0)
		return rc;
	if (type == PROTO_UP_CHALLENGE)
		return proto_up_challenge_decode(c->body, n, nonce);
	if (type == PROTO_UP_ERROR)
		return proto_up_answer_take(&out->ans, type, c->body, n, &done);
	return PROTO_ERR_FORMAT;
}

static int
send_blocks(struct conn *c, const struct dec_uplink_in *in,
    struct dec_uplink_out *out)
{
	uint8_t *buf = c->out, nonce[PROTO_CHALLENGE_LEN];
	const size_t cap = sizeof(c->out);
	struct proto_up_recovered rec;
	const uint8_t *block = NULL;
	struct proto_wr w;
	size_t len;
	int rc;

	proto_wr_init(&w, buf, cap);
	if ((rc = proto_up_hello_encode(&in->hello, &w)) != 0 ||
	    (rc = send_buf(c, buf, proto_wr_len(&w))) != 0 ||
	    (rc = read_challenge(c, out, nonce)) != 0)
		return rc;
	if (in->present != NULL) {
		if ((rc = in->present(in->present_arg, nonce, &block, &len)) !=
		    0)
			return rc;
	}
	if (in->present != NULL && block != NULL) {
		proto_wr_init(&w, buf, cap);
		if ((rc = proto_up_frame(&w, PROTO_UP_BLOCK, len)) != 0 ||
		    (rc = proto_wr_bytes(&w, block, len)) != 0 ||
		    (rc = send_buf(c, buf, proto_wr_len(&w))) != 0)
			return rc;
	}
	for (size_t i = 0; i < in->n_rec; i++) {
		memcpy(rec.decoder_id, in->hello.decoder_id,
		    PROTO_DECODER_ID_LEN);
		rec.stored_at = in->rec[i]->exported_at;
		rec.block = in->rec[i]->block;
		rec.len = in->rec[i]->len;
		proto_wr_init(&w, buf, cap);
		if ((rc = proto_up_recovered_encode(&rec, &w)) != 0 ||
		    (rc = send_buf(c, buf, proto_wr_len(&w))) != 0)
			return rc;
	}
	proto_wr_init(&w, buf, cap);
	if ((rc = proto_up_frame(&w, PROTO_UP_END, 0)) != 0)
		return rc;
	return send_buf(c, buf, proto_wr_len(&w));
}

int
dec_uplink_run(SSL_CTX *tls, const char *host, const char *port,
    const struct dec_uplink_in *in, struct dec_uplink_out *out)
{
	struct conn c = { .cut_after = in->cut_after };
	uint8_t type;
	size_t n;
	int fd = -1, rc, done = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = proto_tls_connect(tls, host, port, DEC_UPLINK_TIMEOUT_MS,
		 &c.ssl, &fd)) != 0)
		return rc;
	if ((rc = send_blocks(&c, in, out)) != 0)
		goto out;
	while (!done) {
		if ((rc = proto_tls_read_frame(c.ssl, &type, c.body,
			 sizeof(c.body), &n)) != 0 ||
		    (rc = tick(&c)) != 0 ||
		    (rc = proto_up_answer_take(&out->ans, type, c.body, n,
			 &done)) != 0)
			goto out;
	}
	SSL_shutdown(c.ssl);
out:
	ERR_clear_error();
	SSL_free(c.ssl);
	close(fd);
	return rc;
}
