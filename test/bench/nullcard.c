/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nullcard: the do-nothing baseline card for benchmarks.  It speaks the
 * vpcd protocol as plainly as possible -- one read, one write, quick ACK,
 * no Nagle -- and answers every APDU with Ne zero bytes and 9000, so a
 * benchmark against it measures pcscd + vpcd + TCP and nothing else.
 *
 * usage: nullcard [port]
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../proto/num.h"

static const uint8_t atr[] = { 0x3b, 0x80, 0x80, 0x01, 0x01 };

static int
read_full(int fd, uint8_t *p, size_t n)
{
	int one = 1;

	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	}
	return 0;
}

/* Ne from a command APDU, as far as a do-nothing card cares. */
static size_t
ne_of(const uint8_t *c, size_t n)
{
	if (n == 5)
		return c[4] ? c[4] : 256;
	if (n == 7 && c[4] == 0)
		return (size_t)(c[5] << 8 | c[6]) ? (size_t)(c[5] << 8 | c[6]) :
						    65536;
	if (n > 5 && c[4] != 0 && n == 6 + (size_t)c[4])
		return c[n - 1] ? c[n - 1] : 256;
	return 0;
}

int
main(int argc, char **argv)
{
	static uint8_t in[65537], out[65537];
	struct sockaddr_in sa;
	unsigned port = 35963;
	int fd, one = 1;
	size_t len, ne;

	if (argc > 1 && proto_parse_uint(argv[1], 1, 65535, &port) != 0)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (;;) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			return 1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(fd);
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (read_full(fd, in, 2) == 0) {
		len = (size_t)(in[0] << 8 | in[1]);
		if (read_full(fd, in, len) != 0)
			break;
		if (len == 1) {
			if (in[0] != 4)
				continue; /* power on/off/reset */
			out[0] = 0;
			out[1] = sizeof(atr);
			memcpy(out + 2, atr, sizeof(atr));
			len = sizeof(atr);
		} else {
			ne = ne_of(in, len);
			if (ne > 65533)
				ne = 65533;
			memset(out + 2, 0, ne);
			out[2 + ne] = 0x90;
			out[3 + ne] = 0x00;
			len = ne + 2;
			out[0] = (uint8_t)(len >> 8);
			out[1] = (uint8_t)len;
		}
		if (write(fd, out, len + 2) != (ssize_t)(len + 2))
			break;
	}
	close(fd);
	return 0;
}
