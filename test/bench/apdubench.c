/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * apdubench: APDUs per second through PC/SC.
 *
 * usage: apdubench -r READER -t SECONDS [-p PREP_APDU]... NAME=APDU...
 * For each NAME=APDU: send PREP APDUs once, then APDU in a loop for the
 * given time (after a short warm-up); print "NAME COUNT SECONDS RATE".
 * Every response must end in 9000.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>

#include "../../proto/buf.h"
#include "secs.h"

#define MAX_PREP 8

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s[0] != '\0' && s[1] != '\0' && n < cap &&
	    proto_unhex(s, 2, out + n, 1) == 0) {
		n++;
		s += 2;
	}
	return n;
}

static int
send1(SCARDHANDLE h, const uint8_t *cmd, size_t len)
{
	static uint8_t resp[65538];
	DWORD rlen = sizeof(resp);

	if (SCardTransmit(h, SCARD_PCI_T1, cmd, (DWORD)len, NULL, resp,
		&rlen) != SCARD_S_SUCCESS ||
	    rlen < 2)
		return -1;
	return resp[rlen - 2] == 0x90 && resp[rlen - 1] == 0 ? 0 : -1;
}

static int
run_case(SCARDHANDLE h, const char *spec, double secs)
{
	uint8_t cmd[1024];
	char name[64];
	const char *eq = strchr(spec, '=');
	unsigned long n = 0;
	size_t len;
	double t0, t1;

	if (eq == NULL || (size_t)(eq - spec) >= sizeof(name))
		return -1;
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	len = unhex(eq + 1, cmd, sizeof(cmd));
	for (int i = 0; i < 50; i++)
		if (send1(h, cmd, len) != 0) {
			fprintf(stderr, "apdubench: %s: APDU failed\n", name);
			return -1;
		}
	t0 = now();
	do {
		for (int i = 0; i < 20; i++, n++)
			if (send1(h, cmd, len) != 0)
				return -1;
		t1 = now();
	} while (t1 - t0 < secs);
	printf("%s %lu %.3f %.0f\n", name, n, t1 - t0, (double)n / (t1 - t0));
	return 0;
}

int
main(int argc, char **argv)
{
	const char *reader = NULL, *prep[MAX_PREP];
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	DWORD proto;
	double secs = 2;
	int c, nprep = 0, rc = 0;
	uint8_t cmd[1024];

	while ((c = getopt(argc, argv, "r:t:p:")) != -1) {
		if (c == 'r')
			reader = optarg;
		else if (c == 'p' && nprep < MAX_PREP)
			prep[nprep++] = optarg;
		else if (c != 't' || bench_secs(optarg, &secs) != 0)
			return 2;
	}
	if (reader == NULL ||
	    SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) !=
		SCARD_S_SUCCESS)
		return 2;
	if (SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &h,
		&proto) != SCARD_S_SUCCESS) {
		fprintf(stderr, "apdubench: no card in %s\n", reader);
		return 1;
	}
	for (int i = 0; i < nprep; i++)
		if (send1(h, cmd, unhex(prep[i], cmd, sizeof(cmd))) != 0) {
			fprintf(stderr, "apdubench: prep %s failed\n", prep[i]);
			rc = 1;
		}
	for (int i = optind; i < argc && rc == 0; i++)
		if (run_case(h, argv[i], secs) != 0)
			rc = 1;
	SCardDisconnect(h, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	return rc;
}
