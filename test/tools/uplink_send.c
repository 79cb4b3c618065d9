/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * uplink_send: a hand-driven uplink client for the tests, to send what a
 * well-behaved decoder never would.
 *
 *   uplink_send HOST PORT CA session DECODER_ID_HEX UA_HEX|- FRAME...
 *       FRAME is B:HEX (a present-card block), B:@ (the block the
 *       command in $PTV_UPLINK_CARD prints, its {} replaced by this
 *       session's challenge in hex: the card's answer to UPLINK BLOCKS),
 *       R:HEX (a recovered block) or X:TYPE:HEX (any frame); prints
 *       "challenge HEX", then the center's answers
 *   uplink_send HOST PORT CA huge       HELLO, then a frame claiming 4 GiB
 *   uplink_send HOST PORT CA silent     TLS, then nothing
 *   uplink_send HOST PORT - garbage     plain TCP, 4 KiB of noise
 * Exit 0 when the center behaved: answered, or closed the connection.
 */
#define _POSIX_C_SOURCE 200809L
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../proto/buf.h"
#include "../../proto/proto.h"
#include "../../proto/tls.h"
#include "../../proto/uplink.h"

static uint8_t buf[PROTO_UPLINK_HDR_LEN + PROTO_UPLINK_MAX_BODY];

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	/* Up to the first pair that is not hex (the tests send odd ones). */
	while (s[0] && s[1] && n < cap && proto_unhex(s, 2, out + n, 1) == 0) {
		n++;
		s += 2;
	}
	return n;
}

static int
garbage(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	uint8_t noise[4096];
	int fd;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return 1;
	fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0)
		return 1;
	freeaddrinfo(res);
	for (size_t i = 0; i < sizeof(noise); i++)
		noise[i] = (uint8_t)(i * 131 + 7);
	(void)send(fd, noise, sizeof(noise), MSG_NOSIGNAL);
	/* the center hangs up on us */
	proto_tls_timeouts(fd, 5000);
	while (recv(fd, noise, sizeof(noise), 0) > 0)
		;
	close(fd);
	return 0;
}

static int
send_frame(SSL *ssl, uint8_t type, const uint8_t *body, size_t n)
{
	struct proto_wr w;

	proto_wr_init(&w, buf, sizeof(buf));
	if (proto_wr_u8(&w, type) != 0 || proto_wr_u32(&w, (uint32_t)n) != 0 ||
	    proto_wr_bytes(&w, body, n) != 0)
		return -1;
	return proto_tls_write_all(ssl, buf, proto_wr_len(&w));
}

static void
print_answers(SSL *ssl)
{
	uint8_t body[PROTO_UPLINK_MAX_BODY];
	struct proto_up_result r;
	uint8_t type;
	size_t n;

	while (proto_tls_read_frame(ssl, &type, body, sizeof(body), &n) == 0) {
		if (type == PROTO_UP_RESULT &&
		    proto_up_result_decode(body, n, &r) == 0)
			printf("result %u %s\n", r.index,
			    r.status == PROTO_UP_REJECTED ?
				proto_up_reason(r.reason) :
				r.status == PROTO_UP_DUPLICATE ? "duplicate" :
								 "accepted");
		else if (type == PROTO_UP_COMMAND)
			printf("command\n");
		else if (type == PROTO_UP_ACK)
			printf("ack\n");
		else if (type == PROTO_UP_ERROR)
			printf("error %s\n", proto_up_reason(n ? body[0] : 0));
		if (type == PROTO_UP_DONE) {
			printf("done\n");
			break;
		}
	}
}

/* The center's CHALLENGE after HELLO (or the ERROR it sent instead). */
static int
read_challenge(SSL *ssl, uint8_t nonce[PROTO_CHALLENGE_LEN])
{
	static uint8_t body[PROTO_UPLINK_MAX_BODY];
	char hex[2 * PROTO_CHALLENGE_LEN + 1];
	uint8_t type;
	size_t n;

	if (proto_tls_read_frame(ssl, &type, body, sizeof(body), &n) != 0)
		return 1;
	if (type == PROTO_UP_ERROR) {
		printf("error %s\n", proto_up_reason(n ? body[0] : 0));
		return 1;
	}
	if (type != PROTO_UP_CHALLENGE ||
	    proto_up_challenge_decode(body, n, nonce) != 0)
		return 1;
	proto_hex(nonce, PROTO_CHALLENGE_LEN, hex);
	printf("challenge %s\n", hex);
	return 0;
}

/*
 * B:@ -- run $PTV_UPLINK_CARD with {} replaced by the challenge; the
 * block is the first word of the last line it prints.
 */
static size_t
card_block(const uint8_t nonce[PROTO_CHALLENGE_LEN], uint8_t *out, size_t cap)
{
	char cmd[8192], line[2 * PROTO_UPLINK_MAX_BODY + 64],
	    last[sizeof(line)];
	const char *tmpl = getenv("PTV_UPLINK_CARD"), *at;
	char hex[2 * PROTO_CHALLENGE_LEN + 1];
	FILE *p;

	if (tmpl == NULL || (at = strstr(tmpl, "{}")) == NULL)
		return 0;
	proto_hex(nonce, PROTO_CHALLENGE_LEN, hex);
	snprintf(cmd, sizeof(cmd), "%.*s%s%s", (int)(at - tmpl), tmpl, hex,
	    at + 2);
	/* the command the test gave, through the shell: a test tool's job */
	if ((p = popen(cmd, "r")) == NULL) /* NOLINT(cert-env33-c) */
		return 0;
	last[0] = '\0';
	while (fgets(line, sizeof(line), p) != NULL)
		memcpy(last, line, sizeof(line));
	pclose(p);
	last[strcspn(last, " \r\n")] = '\0';
	return unhex(last, out, cap);
}

static int
session(SSL *ssl, int argc, char **argv)
{
	uint8_t body[PROTO_UPLINK_MAX_BODY];
	uint8_t nonce[PROTO_CHALLENGE_LEN];
	struct proto_up_hello h;
	struct proto_wr w;
	size_t n;

	memset(&h, 0, sizeof(h));
	if (argc < 2 || unhex(argv[0], h.decoder_id, 8) != 8)
		return 2;
	if (strcmp(argv[1], "-") != 0) {
		h.has_card = 1;
		if (unhex(argv[1], h.ua, 8) != 8)
			return 2;
	}
	proto_wr_init(&w, buf, sizeof(buf));
	if (proto_up_hello_encode(&h, &w) != 0 ||
	    proto_tls_write_all(ssl, buf, proto_wr_len(&w)) != 0)
		return 1;
	if (read_challenge(ssl, nonce) != 0)
		return 0; /* the center refused the HELLO: it said why */
	fflush(stdout);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == 'B' && a[1] == ':' && strcmp(a + 2, "@") == 0) {
			n = card_block(nonce, body, sizeof(body));
			send_frame(ssl, PROTO_UP_BLOCK, body, n);
		} else if (a[0] == 'B' && a[1] == ':') {
			n = unhex(a + 2, body, sizeof(body));
			send_frame(ssl, PROTO_UP_BLOCK, body, n);
		} else if (a[0] == 'R' && a[1] == ':') {
			memcpy(body, h.decoder_id, 8);
			memset(body + 8, 0, 8);
			n = unhex(a + 2, body + 16, sizeof(body) - 16);
			send_frame(ssl, PROTO_UP_RECOVERED, body, n + 16);
		} else if (a[0] == 'X' && a[1] == ':') {
			/* X:TT:HEX, TT the frame's type, two hex digits */
			uint8_t t;
			const char *c = strchr(a + 2, ':');

			if (c != a + 4 || proto_unhex(a + 2, 2, &t, 1) != 0)
				return 2;
			n = unhex(c + 1, body, sizeof(body));
			send_frame(ssl, t, body, n);
		} else {
			return 2;
		}
	}
	send_frame(ssl, PROTO_UP_END, NULL, 0);
	print_answers(ssl);
	return 0;
}

int
main(int argc, char **argv)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	uint8_t hdr[PROTO_UPLINK_HDR_LEN] = { PROTO_UP_BLOCK, 0xff, 0xff, 0xff,
		0xff };
	struct proto_up_hello h;
	struct proto_wr w;
	int fd, rc = 0;

	if (argc < 5)
		return 2;
	if (strcmp(argv[4], "garbage") == 0)
		return garbage(argv[1], argv[2]);
	if (proto_tls_client_ctx(argv[3], &ctx) != 0 ||
	    proto_tls_connect(ctx, argv[1], argv[2], 10000, &ssl, &fd) != 0) {
		fprintf(stderr, "uplink_send: cannot connect\n");
		return 1;
	}
	if (strcmp(argv[4], "session") == 0) {
		rc = session(ssl, argc - 5, argv + 5);
	} else if (strcmp(argv[4], "huge") == 0) {
		memset(&h, 0, sizeof(h));
		proto_wr_init(&w, buf, sizeof(buf));
		if (proto_up_hello_encode(&h, &w) == 0)
			(void)proto_tls_write_all(ssl, buf, proto_wr_len(&w));
		(void)proto_tls_write_all(ssl, hdr, sizeof(hdr));
		print_answers(ssl);
	} else if (strcmp(argv[4], "silent") == 0) {
		uint8_t b;
		/* wait for the center to give up on us */
		(void)proto_tls_timeouts(fd, 30000);
		(void)proto_tls_read_full(ssl, &b, 1);
		printf("closed\n");
	} else {
		rc = 2;
	}
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	return rc;
}
