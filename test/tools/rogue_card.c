/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rogue_card: a programmable card behind vpcd that says what the test
 * tells it, for the tests of what a decoder lets into M1 (issue 9.4).  It
 * answers like our security module would, but it claims the UA it is
 * given, presents the certificate it is given, and signs its blocks with
 * a key of its own, at the export sequence it is given:
 *
 *   SELECT (any AID)        9000
 *   GET DATA 01 00          a state: the UA, unlocked, change counter
 *                           and export sequence = SEQ
 *   GET DATA 01 09          the certificate: -c HEX (142 bytes, say the
 *                           genuine card's, which anyone can read),
 *                           "forge" (signed by an issuer key of its own
 *                           for its UA and key) or "none" (6A88)
 *   EXPORT, UPLINK BLOCKS   a block of its UA at SEQ (UPLINK: with the
 *                           challenge), signed by its own key
 *   PROCESS COMMAND         6982; anything else 6D00
 *
 * With -l N the first N commands get one byte, half a status word, so
 * that no answer can be read: a card whose first answers are lost, as a
 * card just inserted may be.  With -e N they get an empty frame (no byte
 * at all), which vpcd's driver reads as "wait for more": the reader is
 * held until the card leaves (decoderd(8), BUGS).
 *
 * Removing the card is ending the process (SIGTERM).  It prints "ready"
 * once connected to vpcd.
 *
 * usage: rogue_card [-H host] [-p port] -u UA [-c HEX|forge|none] [-s SEQ]
 *                   [-l N] [-e N]
 */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../card/runtime.h"
#include "../../card/vpcd.h"
#include "../../proto/apdu.h"
#include "../../proto/block.h"
#include "../../proto/buf.h"
#include "../../proto/cert.h"
#include "../../proto/m2.h"
#include "../../proto/num.h"
#include "../../proto/proto.h"
#include "../../proto/sm.h"

#define ROGUE_RESP_MAX 258 /* one short response: 256 bytes and SW */

struct rogue {
	uint8_t ua[PROTO_UA_LEN];
	uint32_t seq;
	int cert_state; /* 0 none, 1 given or forged */
	uint8_t cert[PROTO_CERT_LEN];
	struct proto_card_keys keys;
	uint32_t lose;  /* commands still to answer with half an SW (-l) */
	uint32_t empty; /* commands still to answer with no byte (-e) */
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: rogue_card [-H host] [-p port] -u UA "
	    "[-c HEX|forge|none] [-s SEQ] [-l N] [-e N]\n");
	exit(2);
}

static void
die(const char *what)
{
	fprintf(stderr, "rogue_card: %s\n", what);
	exit(1);
}

/* A certificate of our UA and key, signed by an issuer key of our own. */
static void
forge_cert(struct rogue *r)
{
	uint8_t ipriv[PROTO_EC_PRIV_LEN], ipub[PROTO_EC_PUB_LEN];
	struct proto_cert c = { .versions = { 1, 0, 1, 0 } };
	struct proto_wr w;

	memcpy(c.ua, r->ua, PROTO_UA_LEN);
	memcpy(c.pub, r->keys.sign_pub, PROTO_EC_PUB_LEN);
	proto_wr_init(&w, r->cert, sizeof(r->cert));
	if (proto_ec_keygen(ipriv, ipub) != 0 ||
	    proto_cert_sign(&c, ipriv, ipub, &w) != 0)
		die("forge_cert: cannot sign");
	r->cert_state = 1;
}

static void
set_cert(struct rogue *r, const char *v)
{
	if (strcmp(v, "none") == 0)
		r->cert_state = 0;
	else if (strcmp(v, "forge") == 0)
		forge_cert(r);
	else if (proto_unhex(v, strlen(v), r->cert, sizeof(r->cert)) == 0)
		r->cert_state = 1;
	else
		die("set_cert: -c wants 284 hex digits, forge or none");
}

/* Append the status word; the response's length. */
static size_t
sw(uint8_t *out, size_t n, uint16_t s)
{
	out[n] = (uint8_t)(s >> 8);
	out[n + 1] = (uint8_t)s;
	return n + 2;
}

static size_t
state(const struct rogue *r, uint8_t *out)
{
	struct proto_wr w;

	proto_wr_init(&w, out, SM_STATE_LEN);
	if (proto_wr_bytes(&w, r->ua, PROTO_UA_LEN) != 0 ||
	    proto_wr_u8(&w, 0) != 0 ||       /* unlocked */
	    proto_wr_u32(&w, r->seq) != 0 || /* change counter */
	    proto_wr_u32(&w, r->seq) != 0 || /* export sequence */
	    proto_wr_u32(&w, 0) != 0 ||      /* credit */
	    proto_wr_u8(&w, 64) != 0 ||      /* free log */
	    proto_wr_u32(&w, 0) != 0 ||      /* purchase seq */
	    proto_wr_u32(&w, 0) != 0 ||      /* acknowledged seq */
	    proto_wr_u32(&w, 0) != 0 ||      /* command counter */
	    proto_wr_u8(&w, 0) != 0 ||       /* flags */
	    proto_wr_u32(&w, 0) != 0)        /* broadcast counter */
		die("state: does not fit");
	return sw(out, proto_wr_len(&w), PROTO_SW_OK);
}

static size_t
block(const struct rogue *r, uint8_t kind, const uint8_t *challenge,
    uint8_t *out)
{
	uint8_t body[PROTO_M2_MAX_LEN];
	struct proto_m2 m;
	struct proto_wr w, bw;

	memset(&m, 0, sizeof(m));
	m.credit = 1000000; /* what a forger would claim */
	proto_wr_init(&bw, body, sizeof(body));
	proto_wr_init(&w, out, ROGUE_RESP_MAX - 2);
	if (proto_m2_encode(&m, &bw) != 0 ||
	    proto_block_seal(kind, r->ua, r->seq, challenge, &r->keys, body,
		proto_wr_len(&bw), &w) != 0)
		die("block: cannot seal");
	return sw(out, proto_wr_len(&w), PROTO_SW_OK);
}

static size_t
answer(const struct rogue *r, const uint8_t *cmd, size_t len, uint8_t *out)
{
	struct proto_apdu a;

	if (proto_apdu_parse(cmd, len, &a) != 0)
		return sw(out, 0, PROTO_SW_WRONG_LENGTH);
	if (a.ins == PROTO_INS_SELECT)
		return sw(out, 0, PROTO_SW_OK);
	if (a.ins == SM_INS_GET_DATA && a.p1 == SM_DO_P1 && a.p2 == SM_DO_STATE)
		return state(r, out);
	if (a.ins == SM_INS_GET_DATA && a.p1 == SM_DO_P1 &&
	    a.p2 == SM_DO_CERT) {
		if (!r->cert_state)
			return sw(out, 0, PROTO_SW_REF_NOT_FOUND);
		memcpy(out, r->cert, PROTO_CERT_LEN);
		return sw(out, PROTO_CERT_LEN, PROTO_SW_OK);
	}
	if (a.ins == SM_INS_EXPORT)
		return block(r, PROTO_BLOCK_EXPORT, NULL, out);
	if (a.ins == SM_INS_UPLINK && a.lc == PROTO_CHALLENGE_LEN)
		return block(r, PROTO_BLOCK_UPLINK, a.data, out);
	if (a.ins == SM_INS_COMMAND)
		return sw(out, 0, PROTO_SW_SECURITY);
	return sw(out, 0, PROTO_SW_INS_NOT_SUPPORTED);
}

/* One frame from vpcd: a control byte, or a command APDU. */
static int
serve_frame(int fd, struct rogue *r, const uint8_t *f, size_t len)
{
	uint8_t out[ROGUE_RESP_MAX];
	size_t n;

	if (len == 1) {
		if (f[0] != CARD_VPCD_CTRL_ATR)
			return 0; /* power on, off, reset: nothing to say */
		if ((n = card_atr(out, sizeof(out))) == 0)
			return PROTO_ERR_NOSPACE;
		return card_vpcd_send(fd, out, n);
	}
	if (r->empty > 0) {
		r->empty--;
		return card_vpcd_send(fd, out, 0);
	}
	if (r->lose > 0) {
		r->lose--;
		out[0] = 0x6f; /* half a status word: no answer to read */
		return card_vpcd_send(fd, out, 1);
	}
	n = answer(r, f, len, out);
	return card_vpcd_send(fd, out, n);
}

int
main(int argc, char **argv)
{
	static struct card_vpcd_rx rx;
	const char *host = "localhost";
	struct rogue r = { .seq = 1 };
	const uint8_t *f;
	unsigned port = CARD_VPCD_PORT;
	int opt, fd, got_ua = 0, rc;
	size_t len;

	if (proto_ec_keygen(r.keys.sign_priv, r.keys.sign_pub) != 0 ||
	    proto_random(r.keys.kt, sizeof(r.keys.kt)) != 0)
		die("cannot make its keys");
	while ((opt = getopt(argc, argv, "H:p:u:c:s:l:e:")) != -1) {
		switch (opt) {
		case 'H':
			host = optarg;
			break;
		case 'p':
			if (proto_parse_uint(optarg, 1, 65535, &port) != 0)
				usage();
			break;
		case 'u':
			if (proto_unhex(optarg, strlen(optarg), r.ua,
				PROTO_UA_LEN) != 0)
				usage();
			got_ua = 1;
			break;
		case 'c':
			set_cert(&r, optarg);
			break;
		case 's':
			if (proto_parse_u32(optarg, 0, UINT32_MAX, &r.seq) != 0)
				usage();
			break;
		case 'l':
			if (proto_parse_u32(optarg, 0, 1000, &r.lose) != 0)
				usage();
			break;
		case 'e':
			if (proto_parse_u32(optarg, 0, 1000, &r.empty) != 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (!got_ua || optind != argc)
		usage();
	if (card_vpcd_connect(host, (uint16_t)port, 2000, &fd) != 0)
		die("cannot connect to vpcd");
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, -1) < 0)
			continue; /* a signal: SIGTERM ends us anyway */
		rc = card_vpcd_recv(fd, &rx, &f, &len);
		while (rc == 1) {
			if (serve_frame(fd, &r, f, len) != 0)
				die("cannot answer vpcd");
			rc = card_vpcd_recv(-1, &rx, &f, &len);
		}
		if (rc < 0)
			break;
	}
	close(fd);
	return 0;
}
