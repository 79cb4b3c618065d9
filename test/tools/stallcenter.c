/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stallcenter: a center that is slow on purpose, for the decoder's tests.
 * It listens on 127.0.0.1:PORT with the center's certificate and serves
 * one connection after another, each until the client hangs up:
 *
 *   stallcenter [-i MS] PORT CERT KEY MODE
 *   MODE  tcp      accept, and say nothing (no TLS handshake)
 *         tls      the TLS handshake, then read, answer nothing
 *         trickle  the handshake, read HELLO, then send a CHALLENGE
 *                  frame one byte every MS ms (1000), then nothing
 *
 * It prints "listening" once it listens, and per connection a line
 * "conn N held MS ms" when the client hangs up.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "../../proto/buf.h"
#include "../../proto/num.h"
#include "../../proto/proto.h"
#include "../../proto/tls.h"
#include "../../proto/uplink.h"

#define INTERVAL_MAX 60000

enum mode { TCP, TLS, TRICKLE };

static void
usage(void)
{
	fprintf(stderr,
	    "usage: stallcenter [-i ms] PORT CERT KEY "
	    "tcp|tls|trickle\n");
	exit(2);
}

static long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int
listen_on(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port) };
	int fd, one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 8) != 0) {
		perror("stallcenter: listen_on");
		exit(1);
	}
	return fd;
}

/* Read until the client hangs up. */
static void
drain_fd(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void
drain_ssl(SSL *ssl)
{
	char buf[4096];
	size_t n;

	while (SSL_read_ex(ssl, buf, sizeof(buf), &n) == 1)
		;
}

/* The CHALLENGE frame, a byte at a time; stop when the client goes. */
static void
trickle(SSL *ssl, unsigned ms)
{
	static const uint8_t nonce[PROTO_CHALLENGE_LEN] = { 1, 2, 3 };
	uint8_t frame[64], type, body[PROTO_UPLINK_MAX_BODY];
	struct proto_wr w;
	size_t n;

	if (proto_tls_read_frame(ssl, &type, body, sizeof(body), &n) != 0)
		return;
	proto_wr_init(&w, frame, sizeof(frame));
	if (proto_up_challenge_encode(nonce, &w) != 0)
		return;
	for (size_t i = 0; i < proto_wr_len(&w); i++) {
		nanosleep(&(struct timespec){ .tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000 },
		    NULL);
		if (proto_tls_write_all(ssl, frame + i, 1) != 0)
			return;
	}
	drain_ssl(ssl);
}

static void
serve(int fd, SSL_CTX *ctx, enum mode m, unsigned ms)
{
	SSL *ssl = NULL;

	if (m == TCP) {
		drain_fd(fd);
		return;
	}
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_accept(ssl) != 1) {
		SSL_free(ssl);
		ERR_clear_error();
		return;
	}
	if (m == TLS)
		drain_ssl(ssl);
	else
		trickle(ssl, ms);
	SSL_free(ssl);
	ERR_clear_error();
}

int
main(int argc, char **argv)
{
	unsigned port, ms = 1000;
	SSL_CTX *ctx = NULL;
	enum mode m;
	long t0;
	int c, lfd, fd;

	while ((c = getopt(argc, argv, "i:")) != -1) {
		if (c != 'i' ||
		    proto_parse_uint(optarg, 1, INTERVAL_MAX, &ms) != 0)
			usage();
	}
	if (argc - optind != 4 ||
	    proto_parse_uint(argv[optind], 1, 65535, &port) != 0)
		usage();
	if (strcmp(argv[optind + 3], "tcp") == 0)
		m = TCP;
	else if (strcmp(argv[optind + 3], "tls") == 0)
		m = TLS;
	else if (strcmp(argv[optind + 3], "trickle") == 0)
		m = TRICKLE;
	else
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (m != TCP &&
	    proto_tls_server_ctx(argv[optind + 1], argv[optind + 2], &ctx) !=
		0) {
		fprintf(stderr, "stallcenter: main: cannot load %s / %s\n",
		    argv[optind + 1], argv[optind + 2]);
		return 1;
	}
	lfd = listen_on(port);
	printf("listening\n");
	fflush(stdout);
	for (unsigned n = 1;; n++) {
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			continue;
		t0 = now_ms();
		serve(fd, ctx, m, ms);
		close(fd);
		printf("conn %u held %ld ms\n", n, now_ms() - t0);
		fflush(stdout);
	}
}
