/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trickle: slow clients against the center, for the tests.  Opens N
 * connections and feeds each one byte per interval, measuring how long
 * the center keeps each one before it cuts it.
 *
 *   trickle [options] HOST PORT CA MODE N
 *   MODE  handshake  a genuine TLS ClientHello, one byte at a time
 *         frame      TLS, HELLO, a BLOCK frame's header for 1,000 bytes,
 *                    then its body one byte at a time
 *         frames     TLS, HELLO, then junk RECOVERED frames without end,
 *                    each one byte at a time
 *   -s A[,B...]  source addresses, round robin (default: the kernel's)
 *   -i MS        interval between bytes (1000)
 *   -d SECS      how long to run (10); connections open then are "open"
 *   -r           reconnect whenever the center cuts a connection
 *   -w FILE      create FILE once the first N connections are made
 * At the end, one line:
 *   conns=C busy=B refused=R cut=K open=O held_ms_min=.. held_ms_med=..
 *   held_ms_max=..
 * busy: the center answered ERROR "busy"; refused: closed before the
 * handshake finished (frame modes) or before a byte was taken; held_ms:
 * connect to cut, over the cut connections that were not busy.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "../../proto/num.h"
#include "../../proto/proto.h"
#include "../../proto/tls.h"
#include "../../proto/uplink.h"

#define MAX_CONNS 1024
#define INTERVAL_MAX 600000 /* -i, ms */
#define SECS_MAX 86400      /* -d */
#define MAX_SRC 32
#define MAX_HELD 65536
#define BODY_CLAIM 1000
#define RECONNECT_MS \
	200 /* pause before a reconnect, so a test does not
			    spin the machine on refusals */

enum mode { HANDSHAKE, FRAME, FRAMES };

struct tc {
	int fd;
	SSL *ssl;
	long opened, next;
	size_t pos;
	int busy;
	uint8_t in[8];
	size_t in_len;
	size_t got;  /* bytes received in all */
	size_t skip; /* of the CHALLENGE frame, still to drop */
};

static struct {
	const char *host, *port;
	enum mode mode;
	SSL_CTX *ctx;
	struct sockaddr_storage src[MAX_SRC];
	socklen_t src_len[MAX_SRC];
	size_t n_src, next_src;
	long interval;
	int reconnect;
	uint8_t hello[2048]; /* what a handshake trickler sends */
	size_t hello_len;
	uint8_t junk[64]; /* what a frames trickler repeats */
	size_t junk_len;
	unsigned long conns, busy, refused, cut;
	long held[MAX_HELD];
	size_t n_held;
} g;

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: trickle [-r] [-s addr,...] [-i ms] [-d secs] [-w file] "
	    "HOST PORT CA handshake|frame|frames N\n");
	exit(2);
}

static int
add_sources(const char *list)
{
	char buf[1024], *save = NULL, *a;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST }, *res;

	snprintf(buf, sizeof(buf), "%s", list);
	for (a = strtok_r(buf, ",", &save); a != NULL;
	     a = strtok_r(NULL, ",", &save)) {
		if (g.n_src == MAX_SRC || getaddrinfo(a, NULL, &hints, &res))
			return -1;
		memcpy(&g.src[g.n_src], res->ai_addr, res->ai_addrlen);
		g.src_len[g.n_src++] = res->ai_addrlen;
		freeaddrinfo(res);
	}
	return 0;
}

static int
tcp_open(void)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int fd;

	if (g.n_src > 0)
		hints.ai_family = g.src[0].ss_family;
	if (getaddrinfo(g.host, g.port, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && g.n_src > 0) {
		size_t i = g.next_src++ % g.n_src;
		if (bind(fd, (struct sockaddr *)&g.src[i], g.src_len[i]) != 0) {
			perror("trickle: bind");
			exit(1);
		}
	}
	if (fd >= 0 &&
	    (proto_tls_timeouts(fd, 5000) != 0 ||
		connect(fd, res->ai_addr, res->ai_addrlen) != 0)) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* The ClientHello a real client would send, taken from a memory BIO. */
static int
make_client_hello(void)
{
	SSL *ssl = SSL_new(g.ctx);
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	int n;

	if (ssl == NULL || rb == NULL || wb == NULL)
		return -1;
	SSL_set_bio(ssl, rb, wb);
	(void)SSL_connect(ssl);
	n = BIO_read(wb, g.hello, sizeof(g.hello));
	SSL_free(ssl);
	ERR_clear_error();
	if (n <= 0)
		return -1;
	g.hello_len = (size_t)n;
	return 0;
}

/* A RECOVERED frame with a 2-byte non-block: the center rejects it. */
static void
make_junk(void)
{
	struct proto_wr w;

	proto_wr_init(&w, g.junk, sizeof(g.junk));
	(void)proto_up_frame(&w, PROTO_UP_RECOVERED, 18);
	for (int i = 0; i < 16; i++)
		(void)proto_wr_u8(&w, 0);
	(void)proto_wr_u8(&w, 0x01);
	(void)proto_wr_u8(&w, 0x02);
	g.junk_len = proto_wr_len(&w);
}

/* TLS, HELLO, and in frame mode the BLOCK header; then non-blocking. */
static int
tls_start(struct tc *c)
{
	uint8_t buf[64];
	struct proto_up_hello h = { .decoder_id = { 0xee } };
	struct proto_wr w;

	/* the chain is verified, not the name: HOST may be an address */
	if ((c->ssl = SSL_new(g.ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 || SSL_connect(c->ssl) != 1)
		return -1;
	proto_wr_init(&w, buf, sizeof(buf));
	if (proto_up_hello_encode(&h, &w) != 0 ||
	    (g.mode == FRAME &&
		proto_up_frame(&w, PROTO_UP_BLOCK, BODY_CLAIM) != 0) ||
	    proto_tls_write_all(c->ssl, buf, proto_wr_len(&w)) != 0)
		return -1;
	return 0;
}

static void
conn_open(struct tc *c)
{
	memset(c, 0, sizeof(*c));
	c->opened = now_ms();
	c->next = c->opened;
	g.conns++;
	if ((c->fd = tcp_open()) < 0 || (g.mode != HANDSHAKE && tls_start(c))) {
		/* not even a handshake: refused */
		g.refused++;
		SSL_free(c->ssl);
		c->ssl = NULL;
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		c->next = now_ms() + RECONNECT_MS;
		ERR_clear_error();
		return;
	}
	(void)fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
}

static void
conn_cut(struct tc *c)
{
	long t = now_ms();

	if (c->busy)
		g.busy++;
	else if (g.n_held < MAX_HELD)
		g.held[g.n_held++] = t - c->opened;
	if (!c->busy)
		g.cut++;
	SSL_free(c->ssl);
	close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
	c->next = t + RECONNECT_MS;
	ERR_clear_error();
}

/*
 * Keep the first bytes the center sent, but not the CHALLENGE it sends
 * after HELLO: that is no answer.
 */
static void
keep(struct tc *c, uint8_t b)
{
	if (c->got++ == 0 && b == PROTO_UP_CHALLENGE)
		c->skip = PROTO_UPLINK_HDR_LEN + PROTO_CHALLENGE_LEN;
	if (c->skip > 0) {
		c->skip--;
		return;
	}
	if (c->in_len < sizeof(c->in))
		c->in[c->in_len++] = b;
}

/* The center sent something or closed: is it a cut? */
static int
conn_readable(struct tc *c)
{
	uint8_t b[512];
	size_t got;
	ssize_t n;

	if (g.mode == HANDSHAKE) {
		n = recv(c->fd, b, sizeof(b), 0);
		return n == 0 || (n < 0 && errno != EAGAIN);
	}
	while (SSL_read_ex(c->ssl, b, sizeof(b), &got) == 1) {
		/* keep the first bytes: an ERROR frame's type and reason */
		for (size_t i = 0; i < got; i++)
			keep(c, b[i]);
		if (c->in_len > PROTO_UPLINK_HDR_LEN &&
		    c->in[0] == PROTO_UP_ERROR &&
		    c->in[PROTO_UPLINK_HDR_LEN] == PROTO_UP_BUSY)
			c->busy = 1;
	}
	switch (SSL_get_error(c->ssl, 0)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		ERR_clear_error();
		return c->in_len > 0; /* an answer is the center's cut */
	default:
		return 1;
	}
}

/* The next byte; 1 if the connection broke. */
static int
conn_feed(struct tc *c)
{
	const uint8_t *p;
	size_t put;

	c->next += g.interval;
	if (g.mode == HANDSHAKE) {
		if (c->pos >= g.hello_len)
			return 0;
		if (send(c->fd, g.hello + c->pos, 1, MSG_NOSIGNAL) == 1)
			c->pos++;
		return 0;
	}
	if (g.mode == FRAME && c->pos >= BODY_CLAIM)
		return 0;
	p = g.mode == FRAMES ? &g.junk[c->pos % g.junk_len] :
			       (const uint8_t *)"\x5a";
	if (SSL_write_ex(c->ssl, p, 1, &put) == 1) {
		c->pos++;
		return 0;
	}
	return SSL_get_error(c->ssl, 0) != SSL_ERROR_WANT_WRITE;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

static void
step(struct tc *cs, size_t n, struct pollfd *pfd, long end)
{
	long t = now_ms(), wake = end;
	int r;

	for (size_t i = 0; i < n; i++) {
		pfd[i].fd = cs[i].fd;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
		if (cs[i].fd >= 0 || g.reconnect)
			wake = cs[i].next < wake ? cs[i].next : wake;
	}
	r = poll(pfd, (nfds_t)n, wake > t ? (int)(wake - t) : 0);
	t = now_ms();
	for (size_t i = 0; i < n && t < end; i++) {
		struct tc *c = &cs[i];
		if (c->fd < 0) {
			if (g.reconnect && c->next <= t)
				conn_open(c);
			continue;
		}
		if (r > 0 && pfd[i].revents != 0 && conn_readable(c)) {
			conn_cut(c);
			continue;
		}
		if (c->next <= t && conn_feed(c))
			conn_cut(c);
	}
}

static void
report(struct tc *cs, size_t n)
{
	unsigned long open = 0;

	for (size_t i = 0; i < n; i++)
		open += cs[i].fd >= 0;
	qsort(g.held, g.n_held, sizeof(g.held[0]), cmp_long);
	printf("conns=%lu busy=%lu refused=%lu cut=%lu open=%lu", g.conns,
	    g.busy, g.refused, g.cut, open);
	if (g.n_held > 0)
		printf(" held_ms_min=%ld held_ms_med=%ld held_ms_max=%ld",
		    g.held[0], g.held[g.n_held / 2], g.held[g.n_held - 1]);
	printf("\n");
}

/* A number argument from 1 to max, or usage(). */
static long
arg_num(const char *s, unsigned max)
{
	unsigned v;

	if (proto_parse_uint(s, 1, max, &v) != 0)
		usage();
	return (long)v;
}

int
main(int argc, char **argv)
{
	static struct tc cs[MAX_CONNS];
	static struct pollfd pfd[MAX_CONNS];
	const char *ready = NULL;
	long end, secs = 10, n;
	int c;

	g.interval = 1000;
	signal(SIGPIPE, SIG_IGN); /* a cut shows as a failed write */
	while ((c = getopt(argc, argv, "rs:i:d:w:")) != -1) {
		switch (c) {
		case 'r':
			g.reconnect = 1;
			break;
		case 's':
			if (add_sources(optarg) != 0)
				usage();
			break;
		case 'i':
			g.interval = arg_num(optarg, INTERVAL_MAX);
			break;
		case 'd':
			secs = arg_num(optarg, SECS_MAX);
			break;
		case 'w':
			ready = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 5 || g.interval <= 0 || secs <= 0)
		usage();
	g.host = argv[optind];
	g.port = argv[optind + 1];
	n = arg_num(argv[optind + 4], MAX_CONNS);
	if (strcmp(argv[optind + 3], "handshake") == 0)
		g.mode = HANDSHAKE;
	else if (strcmp(argv[optind + 3], "frame") == 0)
		g.mode = FRAME;
	else if (strcmp(argv[optind + 3], "frames") == 0)
		g.mode = FRAMES;
	else
		usage();
	if (n <= 0 || n > MAX_CONNS)
		usage();
	if (proto_tls_client_ctx(argv[optind + 2], &g.ctx) != 0 ||
	    make_client_hello() != 0) {
		fprintf(stderr, "trickle: TLS setup failed\n");
		return 1;
	}
	make_junk();
	end = now_ms() + secs * 1000;
	for (long i = 0; i < n; i++)
		conn_open(&cs[i]);
	if (ready != NULL)
		close(open(ready, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	while (now_ms() < end)
		step(cs, (size_t)n, pfd, end);
	report(cs, (size_t)n);
	for (long i = 0; i < n; i++) {
		SSL_free(cs[i].ssl);
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	}
	SSL_CTX_free(g.ctx);
	return 0;
}
