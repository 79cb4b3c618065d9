/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pcsc_send: a PC/SC client for the tests.
 *
 *   pcsc_send [-r READER] APDU...        send hex APDUs, print "DATA SW"
 *   pcsc_send [-r READER] -f N [-s SEED] [-a HEXAID] [-x CLAINS]...
 *        send N random and malformed APDUs (never a 1-byte one, which
 *        vpcd cannot carry); -a selects an applet every so often so it is
 *        fuzzed too; -x CLAINS (e.g. 8010) is an instruction never to send
 *        well-formed.  Prints how many APDUs went and which status words
 *        came back.
 *   pcsc_send -w SECONDS [-r READER]     wait until a card is present
 *
 * As "another PC/SC client" beside a daemon sharing the reader:
 *   -e          connect in exclusive mode instead of shared
 *   -t MS       send the APDUs inside a transaction, held MS ms after the
 *               last one (SCardBeginTransaction ... SCardEndTransaction)
 *   -p MS       pause MS ms before each APDU
 *   -d HOW      disconnect with leave (default), reset or unpower
 * A PC/SC call that fails is named with its error on stderr (exit 1).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>

#include "../../proto/apdu.h"
#include "../../proto/buf.h"
#include "../../proto/num.h"

#define MAX_AVOID 16
#define RESP_MAX (PROTO_APDU_EXT_MAX_NE + 2) /* data and SW */
#define WAIT_MAX 3600                        /* -w seconds */
#define HOLD_MAX 600000                      /* -t and -p, ms */

struct opts {
	const char *reader;
	uint32_t fuzz;
	uint32_t seed;
	uint8_t aid[16];
	size_t aidlen;
	uint16_t avoid[MAX_AVOID];
	size_t navoid;
	unsigned wait_s;
	int exclusive;
	int hold;          /* -t: in a transaction */
	unsigned hold_ms;  /* held after the last APDU */
	unsigned pause_ms; /* before each APDU */
	DWORD disposition;
};

/* The buffers of a run, owned by main. */
struct io {
	uint8_t cmd[PROTO_APDU_MAX_CMD_LEN];
	uint8_t resp[RESP_MAX];
	unsigned long seen[65536]; /* responses per status word */
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pcsc_send [-r reader] APDU...\n"
	    "       pcsc_send [-r reader] -f N [-s seed] [-a aid] [-x clains]\n"
	    "       pcsc_send [-r reader] -w seconds\n"
	    "  -e exclusive, -t MS hold a transaction, -p MS pause before "
	    "each APDU,\n"
	    "  -d leave|reset|unpower disposition at disconnect\n");
	exit(2);
}

static int
hex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	size_t len = 0;

	while (*s != '\0') {
		if (*s == ' ' || *s == ':') {
			s++;
			continue;
		}
		if (len == cap || s[1] == '\0' ||
		    proto_unhex(s, 2, out + len, 1) != 0)
			return -1;
		len++;
		s += 2;
	}
	*n = len;
	return 0;
}

static int
pick_reader(SCARDCONTEXT ctx, const char *want, char *out, size_t cap)
{
	char buf[4096];
	DWORD len = sizeof(buf);

	if (SCardListReaders(ctx, NULL, buf, &len) != SCARD_S_SUCCESS)
		return -1;
	for (char *p = buf; *p != '\0'; p += strlen(p) + 1) {
		if (want == NULL || strstr(p, want) != NULL) {
			snprintf(out, cap, "%s", p);
			return 0;
		}
	}
	return -1;
}

static int
wait_card(SCARDCONTEXT ctx, const char *reader, unsigned secs)
{
	SCARD_READERSTATE st;

	memset(&st, 0, sizeof(st));
	st.szReader = reader;
	st.dwCurrentState = SCARD_STATE_UNAWARE;
	for (unsigned i = 0; i < secs * 10; i++) {
		LONG rv = SCardGetStatusChange(ctx, 100, &st, 1);
		if (rv == SCARD_S_SUCCESS || rv == SCARD_E_TIMEOUT) {
			if (st.dwEventState & SCARD_STATE_PRESENT &&
			    !(st.dwEventState & SCARD_STATE_MUTE))
				return 0;
			st.dwCurrentState = st.dwEventState;
		}
	}
	return -1;
}

static int
transmit(SCARDHANDLE h, const uint8_t *cmd, size_t len, uint8_t *resp,
    DWORD *rlen)
{
	const SCARD_IO_REQUEST *pci = SCARD_PCI_T1;
	LONG rv;

	*rlen = RESP_MAX;
	rv = SCardTransmit(h, pci, cmd, (DWORD)len, NULL, resp, rlen);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "pcsc_send: SCardTransmit: %s\n",
		    pcsc_stringify_error(rv));
		return -1;
	}
	return 0;
}

static unsigned long rng_state;

static uint32_t
rnd(void)
{
	/* xorshift64*: reproducible from the seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

/* Build one fuzz APDU into buf; returns its length (>= 2). */
static size_t
fuzz_apdu(uint8_t *buf)
{
	static const uint8_t clas[] = { 0x00, 0x80, 0x84, 0x0c, 0x01, 0xff,
		0x90, 0xa0 };
	static const uint8_t inss[] = { 0xa4, 0xca, 0xc0, 0x10, 0xb0, 0x20,
		0x84, 0x70 };
	size_t len, lc;
	uint32_t kind = rnd() % 8;

	buf[0] = kind < 6 ? clas[rnd() % sizeof(clas)] : (uint8_t)rnd();
	buf[1] = kind < 6 ? inss[rnd() % sizeof(inss)] : (uint8_t)rnd();
	buf[2] = (uint8_t)(rnd() % 3 == 0 ? rnd() : rnd() % 4);
	buf[3] = (uint8_t)(rnd() % 3 == 0 ? rnd() : rnd() % 4);
	switch (kind) {
	case 0: /* 2 or 3 bytes: too short */
		return 2 + rnd() % 2;
	case 1: /* header only or with Le */
		return 4 + rnd() % 2;
	case 2: /* short Lc that lies */
		lc = rnd() % 256;
		buf[4] = (uint8_t)lc;
		len = 5 + (lc + rnd() % 5) % 260;
		break;
	case 3: /* extended forms, some broken */
		buf[4] = 0;
		lc = rnd() % 300;
		proto_put_be(buf + 5, lc, 2);
		len = 7 + (rnd() % 2 ? lc : rnd() % 300) + rnd() % 3;
		break;
	case 4: /* SELECT of a random AID */
		buf[0] = 0x00;
		buf[1] = 0xa4;
		buf[2] = 0x04;
		buf[4] = (uint8_t)(1 + rnd() % 16);
		len = 5 + buf[4] + rnd() % 2;
		break;
	default: /* random bytes */
		len = 4 + rnd() % 300;
		break;
	}
	for (size_t i = (kind == 4 ? 5 :
		     kind == 3     ? 7 :
		     kind == 2     ? 5 :
				     4);
	     i < len; i++)
		buf[i] = (uint8_t)rnd();
	return len;
}

static int
avoided(const struct opts *o, const uint8_t *cmd, size_t len)
{
	struct proto_apdu a;

	if (proto_apdu_parse(cmd, len, &a) != 0)
		return 0;
	for (size_t i = 0; i < o->navoid; i++)
		if (o->avoid[i] == (uint16_t)(a.cla << 8 | a.ins))
			return 1;
	return 0;
}

static int
fuzz(SCARDHANDLE h, const struct opts *o, struct io *io)
{
	uint8_t *cmd = io->cmd, *resp = io->resp;
	unsigned long sent = 0, skipped = 0, distinct = 0;
	DWORD rlen;
	size_t len;

	rng_state = o->seed * 2654435761u + 1;
	for (uint32_t i = 0; i < o->fuzz; i++) {
		if (o->aidlen > 0 && i % 50 == 0) {
			cmd[0] = 0x00;
			cmd[1] = 0xa4;
			cmd[2] = 0x04;
			cmd[3] = 0x00;
			cmd[4] = (uint8_t)o->aidlen;
			memcpy(cmd + 5, o->aid, o->aidlen);
			len = 5 + o->aidlen;
		} else {
			len = fuzz_apdu(cmd);
		}
		if (avoided(o, cmd, len)) {
			skipped++;
			continue;
		}
		if (transmit(h, cmd, len, resp, &rlen) != 0 || rlen < 2) {
			fprintf(stderr, "pcsc_send: fuzz: APDU %u failed\n", i);
			return 1;
		}
		sent++;
		if (io->seen[resp[rlen - 2] << 8 | resp[rlen - 1]]++ == 0)
			distinct++;
	}
	printf("sent %lu apdus (%lu skipped), %lu distinct status words:", sent,
	    skipped, distinct);
	for (size_t sw = 0; sw < 65536; sw++)
		if (io->seen[sw])
			printf(" %04zx", sw);
	printf("\n");
	return 0;
}

static void
sleep_ms(unsigned ms)
{
	if (ms > 0)
		nanosleep(&(struct timespec){ .tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000 },
		    NULL);
}

static int
send_list(SCARDHANDLE h, const struct opts *o, char **apdus, int n,
    struct io *io)
{
	uint8_t *cmd = io->cmd, *resp = io->resp;
	DWORD rlen;
	size_t len;

	for (int i = 0; i < n; i++) {
		if (hex(apdus[i], cmd, sizeof(io->cmd), &len) != 0 || len < 2) {
			fprintf(stderr, "pcsc_send: send_list: bad APDU: %s\n",
			    apdus[i]);
			return 2;
		}
		sleep_ms(o->pause_ms);
		if (transmit(h, cmd, len, resp, &rlen) != 0 || rlen < 2)
			return 1;
		for (DWORD j = 0; j + 2 < rlen; j++)
			printf("%02X", resp[j]);
		printf("%s%02X%02X\n", rlen > 2 ? " " : "", resp[rlen - 2],
		    resp[rlen - 1]);
	}
	return 0;
}

static int
disposition(const char *how, DWORD *d)
{
	if (strcmp(how, "leave") == 0)
		*d = SCARD_LEAVE_CARD;
	else if (strcmp(how, "reset") == 0)
		*d = SCARD_RESET_CARD;
	else if (strcmp(how, "unpower") == 0)
		*d = SCARD_UNPOWER_CARD;
	else
		return -1;
	return 0;
}

static int
pcsc_failed(const char *what, LONG rv)
{
	fprintf(stderr, "pcsc_send: %s: %s\n", what, pcsc_stringify_error(rv));
	return 1;
}

/* The APDUs (or the fuzz run), in a transaction held if asked. */
static int
run(SCARDHANDLE h, const struct opts *o, char **apdus, int n, struct io *io)
{
	LONG rv;
	int rc;

	if (o->hold && (rv = SCardBeginTransaction(h)) != SCARD_S_SUCCESS)
		return pcsc_failed("SCardBeginTransaction", rv);
	rc = o->fuzz > 0 ? fuzz(h, o, io) : send_list(h, o, apdus, n, io);
	if (!o->hold)
		return rc;
	fflush(stdout); /* the caller may wait for it */
	sleep_ms(o->hold_ms);
	if ((rv = SCardEndTransaction(h, SCARD_LEAVE_CARD)) != SCARD_S_SUCCESS)
		return pcsc_failed("SCardEndTransaction", rv);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { .seed = 1, .disposition = SCARD_LEAVE_CARD };
	struct io *io = NULL;
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	DWORD proto;
	char reader[4096];
	uint8_t clains[2];
	LONG rv;
	int c, rc;

	while ((c = getopt(argc, argv, "r:f:s:a:x:w:et:p:d:")) != -1) {
		switch (c) {
		case 'r':
			o.reader = optarg;
			break;
		case 'f':
			if (proto_parse_u32(optarg, 1, UINT32_MAX, &o.fuzz) !=
			    0)
				usage();
			break;
		case 's':
			if (proto_parse_u32(optarg, 0, UINT32_MAX, &o.seed) !=
			    0)
				usage();
			break;
		case 'w':
			if (proto_parse_uint(optarg, 1, WAIT_MAX, &o.wait_s) !=
			    0)
				usage();
			break;
		case 'e':
			o.exclusive = 1;
			break;
		case 't':
			o.hold = 1;
			if (proto_parse_uint(optarg, 0, HOLD_MAX, &o.hold_ms) !=
			    0)
				usage();
			break;
		case 'p':
			if (proto_parse_uint(optarg, 0, HOLD_MAX,
				&o.pause_ms) != 0)
				usage();
			break;
		case 'd':
			if (disposition(optarg, &o.disposition) != 0)
				usage();
			break;
		case 'a':
			if (hex(optarg, o.aid, sizeof(o.aid), &o.aidlen) != 0)
				usage();
			break;
		case 'x':
			if (o.navoid == MAX_AVOID ||
			    proto_unhex(optarg, strlen(optarg), clains, 2) != 0)
				usage();
			o.avoid[o.navoid++] =
			    (uint16_t)(clains[0] << 8 | clains[1]);
			break;
		default:
			usage();
		}
	}
	if (o.fuzz == 0 && o.wait_s == 0 && optind == argc)
		usage();
	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) !=
	    SCARD_S_SUCCESS) {
		fprintf(stderr, "pcsc_send: SCardEstablishContext: no pcscd\n");
		return 1;
	}
	if (pick_reader(ctx, o.reader, reader, sizeof(reader)) != 0) {
		fprintf(stderr, "pcsc_send: pick_reader: no reader %s\n",
		    o.reader ? o.reader : "");
		SCardReleaseContext(ctx);
		return 1;
	}
	if (o.wait_s > 0) {
		rc = wait_card(ctx, reader, o.wait_s);
		SCardReleaseContext(ctx);
		return rc == 0 ? 0 : 1;
	}
	rv = SCardConnect(ctx, reader,
	    o.exclusive ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED,
	    SCARD_PROTOCOL_T1, &h, &proto);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "pcsc_send: SCardConnect: no card in %s: %s\n",
		    reader, pcsc_stringify_error(rv));
		SCardReleaseContext(ctx);
		return 1;
	}
	if ((io = calloc(1, sizeof(*io))) == NULL) {
		fprintf(stderr, "pcsc_send: main: out of memory\n");
		rc = 1;
	} else {
		rc = run(h, &o, argv + optind, argc - optind, io);
	}
	free(io);
	if ((rv = SCardDisconnect(h, o.disposition)) != SCARD_S_SUCCESS)
		rc = pcsc_failed("SCardDisconnect", rv);
	SCardReleaseContext(ctx);
	return rc;
}
