/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One fuzz target for every parser of hostile input: APDUs and responses,
 * TLV, blocks and M2 bodies, center commands, ECMs, M1 files, uplink
 * frames, control-socket replies, registration records.  The first byte
 * picks the parser.
 *
 * Built with -fsanitize=fuzzer (make fuzz, clang) it is a libFuzzer
 * target.  Built plainly it is a program: with file arguments it replays
 * them; without, it mutates valid seeds (bit flips, truncations,
 * insertions) for PTV_FUZZ_ITERS rounds (default 1,000,000) under
 * whatever sanitizers it was built with, and reports in TAP.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../decoder/m1.h"
#include "../../proto/apdu.h"
#include "../../proto/ctl.h"
#include "../../proto/proto.h"
#include "../../proto/sm.h"
#include "../../proto/tlv.h"
#include "../../proto/uplink.h"
#include "../../tools/keys.h"

#define NPARSERS 10

static const uint8_t fixed_key[PROTO_AES_KEY_LEN] = { 1, 2, 3 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_sm(uint8_t which, const uint8_t *d, size_t n)
{
	static struct proto_m2 m;
	struct proto_block b;
	struct proto_cmd c;
	struct proto_ecm e;
	const uint8_t *sp, *sig;
	uint8_t cw[PROTO_CW_LEN];
	size_t sl;

	switch (which) {
	case 2:
		if (proto_block_parse(d, n, &b) == 0)
			(void)proto_block_open(&b, fixed_key, &m);
		(void)proto_m2_decode(d, n, &m);
		break;
	case 3:
		(void)proto_cmd_parse(d, n, &c, &sp, &sl, &sig);
		break;
	default:
		(void)proto_ecm_open(d, n, fixed_key, &e, cw);
		break;
	}
}

static void
fuzz_uplink(const uint8_t *d, size_t n)
{
	struct proto_up_hello h;
	struct proto_up_result r;
	struct proto_up_recovered rec;
	uint8_t ua[PROTO_UA_LEN], type;
	uint32_t seq;
	size_t len;

	if (n >= PROTO_UPLINK_HDR_LEN)
		(void)proto_up_header(d, &type, &len);
	(void)proto_up_hello_decode(d, n, &h);
	(void)proto_up_result_decode(d, n, &r);
	(void)proto_up_recovered_decode(d, n, &rec);
	(void)proto_up_ack_decode(d, n, ua, &seq);
}

static void
fuzz_text(uint8_t which, const uint8_t *d, size_t n)
{
	struct registration reg;
	const char *msg;
	char val[64];
	size_t ml;

	if (which == 7) {
		(void)proto_ctl_reply_status((const char *)d, n, &msg, &ml);
		(void)proto_ctl_reply_get((const char *)d, n, "image", val,
		    sizeof(val));
	} else {
		(void)reg_parse(d, n, &reg);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dec_m1 m1;
	struct dec_key k;
	struct proto_apdu a;
	struct proto_rapdu r;
	struct proto_rd rd;
	const uint8_t *d = data + 1;
	size_t n = size - 1;

	if (size == 0)
		return 0;
	switch (data[0] % NPARSERS) {
	case 0:
		(void)proto_apdu_parse(d, n, &a);
		(void)proto_rapdu_parse(d, n, &r);
		break;
	case 1:
		proto_rd_init(&rd, d, n);
		(void)proto_tlv_check(&rd);
		break;
	case 2:
	case 3:
	case 4:
		fuzz_sm((uint8_t)(data[0] % NPARSERS), d, n);
		break;
	case 5:
		memset(&k, 0, sizeof(k));
		memcpy(k.key, fixed_key, sizeof(fixed_key));
		(void)dec_m1_decode(&k, d, n, &m1);
		break;
	case 6:
		fuzz_uplink(d, n);
		break;
	default:
		fuzz_text((uint8_t)(data[0] % NPARSERS), d, n);
		break;
	}
	return 0;
}

#ifndef PTV_LIBFUZZER

#define MAX_INPUT 4096

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

struct seed {
	uint8_t b[MAX_INPUT];
	size_t n;
};

static struct seed seeds[NPARSERS];

/* Valid inputs for each parser, made with the project's own encoders. */
static int
make_seeds(void)
{
	static struct dec_m1 m1;
	struct proto_card_keys ck;
	struct proto_m2 m;
	struct proto_cmd c = { .type = PROTO_CMD_GRANT,
		.counter = 7,
		.arg1 = 5,
		.arg2 = 99 };
	struct proto_ecm e = { .channel = 7,
		.event = 42,
		.time = 10,
		.event_end = 20,
		.flags = PROTO_ECM_PPV,
		.price = 300 };
	struct proto_up_hello h = { .has_card = 1 };
	struct dec_key k;
	uint8_t body[PROTO_M2_MAX_LEN], cw[PROTO_CW_LEN] = { 0 };
	struct proto_wr w, bw;
	size_t len;
	static const char ctl[] = "a=1\nimage=/x\nok\n";
	char pubhex[2 * PROTO_EC_PUB_LEN + 1];

	for (int i = 0; i < NPARSERS; i++)
		seeds[i].b[0] = (uint8_t)i;
	memcpy(seeds[0].b + 1, "\x00\xa4\x04\x00\x02\x3f\x00\x10", 8);
	seeds[0].n = 9;
	memcpy(seeds[1].b + 1, "\x70\x06\x9f\x36\x01\xaa\x04\x00", 8);
	seeds[1].n = 9;
	memset(&m, 0, sizeof(m));
	m.purchase_seq = m.n_purchases = 2;
	m.purchases[0].seq = 1;
	m.purchases[1].seq = 2;
	memcpy(ck.kt, fixed_key, sizeof(ck.kt));
	proto_wr_init(&bw, body, sizeof(body));
	proto_wr_init(&w, seeds[2].b + 1, MAX_INPUT - 1);
	if (proto_ec_keygen(ck.sign_priv, ck.sign_pub) != 0 ||
	    proto_m2_encode(&m, &bw) != 0 ||
	    proto_block_seal(PROTO_BLOCK_EXPORT, c.ua, 3, &ck, body,
		proto_wr_len(&bw), &w) != 0)
		return -1;
	seeds[2].n = 1 + proto_wr_len(&w);
	proto_wr_init(&w, seeds[3].b + 1, MAX_INPUT - 1);
	if (proto_cmd_sign(&c, ck.sign_priv, ck.sign_pub, &w) != 0)
		return -1;
	seeds[3].n = 1 + proto_wr_len(&w);
	if (proto_ecm_build(&e, cw, fixed_key, seeds[4].b + 1) != 0)
		return -1;
	seeds[4].n = 1 + PROTO_ECM_LEN;
	memset(&k, 0, sizeof(k));
	memcpy(k.key, fixed_key, sizeof(fixed_key));
	memset(&m1, 0, sizeof(m1));
	if (dec_m1_put(&m1, seeds[2].b + 1, seeds[2].n - 1, 1, 5) != 0 ||
	    dec_m1_encode(&k, &m1, seeds[5].b + 1, MAX_INPUT - 1, &len) != 0)
		return -1;
	seeds[5].n = 1 + len;
	proto_wr_init(&w, seeds[6].b + 1, MAX_INPUT - 1);
	if (proto_up_hello_encode(&h, &w) != 0)
		return -1;
	seeds[6].n = 1 + proto_wr_len(&w);
	memcpy(seeds[7].b + 1, ctl, sizeof(ctl) - 1);
	seeds[7].n = sizeof(ctl);
	proto_hex(ck.sign_pub, PROTO_EC_PUB_LEN, pubhex);
	for (int i = 8; i < NPARSERS; i++)
		seeds[i].n = 1 +
		    (size_t)snprintf((char *)seeds[i].b + 1, MAX_INPUT - 1,
			"ptv-registration 1\nua 1111111111111111\n"
			"public-key %s\nversions 01000100\n",
			pubhex);
	return 0;
}

/* The seeds must be accepted, or the mutations explore nothing deep. */
static int
seeds_accepted(void)
{
	static struct dec_m1 m1;
	static struct proto_m2 m;
	struct proto_apdu a;
	struct proto_block b;
	struct proto_cmd c;
	struct proto_ecm e;
	struct proto_up_hello h;
	struct registration reg;
	struct dec_key k;
	struct proto_rd rd;
	const uint8_t *sp, *sig;
	const char *msg;
	size_t sl, ml;

	memset(&k, 0, sizeof(k));
	memcpy(k.key, fixed_key, sizeof(fixed_key));
	proto_rd_init(&rd, seeds[1].b + 1, seeds[1].n - 1);
	return proto_apdu_parse(seeds[0].b + 1, seeds[0].n - 1, &a) == 0 &&
	    proto_tlv_check(&rd) == 0 &&
	    proto_block_parse(seeds[2].b + 1, seeds[2].n - 1, &b) == 0 &&
	    proto_block_open(&b, fixed_key, &m) == 0 &&
	    proto_cmd_parse(seeds[3].b + 1, seeds[3].n - 1, &c, &sp, &sl,
		&sig) == 0 &&
	    proto_ecm_open(seeds[4].b + 1, seeds[4].n - 1, fixed_key, &e,
		NULL) == 0 &&
	    dec_m1_decode(&k, seeds[5].b + 1, seeds[5].n - 1, &m1) == 0 &&
	    proto_up_hello_decode(seeds[6].b + 1 + PROTO_UPLINK_HDR_LEN,
		seeds[6].n - 1 - PROTO_UPLINK_HDR_LEN, &h) == 0 &&
	    proto_ctl_reply_status((const char *)seeds[7].b + 1, seeds[7].n - 1,
		&msg, &ml) == 0 &&
	    reg_parse(seeds[8].b + 1, seeds[8].n - 1, &reg) == 0;
}

static size_t
mutate(const struct seed *s, uint8_t *out)
{
	size_t n = s->n, k = 1 + rnd() % 4;

	memcpy(out, s->b, n);
	while (k-- > 0) {
		size_t at = 1 + (n > 1 ? rnd() % (n - 1) : 0);
		switch (rnd() % 5) {
		case 0: /* flip a bit */
			if (at < n)
				out[at] ^= (uint8_t)(1 << (rnd() % 8));
			break;
		case 1: /* truncate */
			n = at;
			break;
		case 2: /* a random byte */
			if (at < n)
				out[at] = (uint8_t)rnd();
			break;
		case 3: /* insert a byte */
			if (n < MAX_INPUT && at <= n) {
				memmove(out + at + 1, out + at, n - at);
				out[at] = (uint8_t)rnd();
				n++;
			}
			break;
		default: /* an interesting length byte */
			if (at < n)
				out[at] = (uint8_t[]){ 0x00, 0x7f, 0x80, 0x81,
					0x82, 0x83, 0xff }[rnd() % 7];
			break;
		}
	}
	return n;
}

static int
replay(const char *path)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return LLVMFuzzerTestOneInput(buf, n);
}

int
main(int argc, char **argv)
{
	static uint8_t buf[MAX_INPUT];
	const char *v = getenv("PTV_FUZZ_ITERS");
	unsigned long iters = v != NULL ? strtoul(v, NULL, 10) : 1000000;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (replay(argv[i]) != 0)
				return 1;
		return 0;
	}
	printf("1..2\n");
	if (make_seeds() != 0) {
		printf("not ok 1 - seeds\n");
		return 1;
	}
	for (int i = 0; i < NPARSERS; i++)
		LLVMFuzzerTestOneInput(seeds[i].b, seeds[i].n);
	printf("%s 1 - every parser accepts its valid seed\n",
	    seeds_accepted() ? "ok" : "not ok");
	for (unsigned long i = 0; i < iters; i++) {
		size_t n = mutate(&seeds[i % NPARSERS], buf);
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("ok 2 - %lu mutated inputs through %d parsers, no crash\n",
	    iters, NPARSERS);
	return 0;
}
#endif
