/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writes the seed corpus of the card-side fuzz targets: APDU sequences
 * for fuzz_card_rt (test/fuzz/corpus/card_rt/) and vpcd streams for
 * fuzz_vpcd (test/fuzz/corpus/vpcd/), made with the project's encoders
 * and the keys of the fuzz card (card_fixture.h), so their ECMs and
 * commands pass the card's checks and reach what lies behind them.  Run
 * again (`make fuzz-corpus`) when a format changes, and commit the result;
 * ECMs and commands differ on every run (random IVs, ECDSA's random k).
 *
 * usage: mkcorpus_card DIR
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../../card/vpcd.h"
#include "../../proto/apdu.h"
#include "../../proto/file.h"
#include "../../proto/proto.h"
#include "card_fixture.h"
#include "common.h"

#define SEQ_MAX 4096
#define T0 1800000000u /* the broadcast's clock in the seeds */
#define PPV_CHANNEL 7
#define PPV_EVENT 4242
#define PPV_PRICE 250

static const char *root;

/* A sequence of records being built: 2-byte length, then the bytes. */
struct seq {
	uint8_t buf[SEQ_MAX];
	struct proto_wr w;
	uint32_t counter; /* the last command counter used */
};

static void
seq_init(struct seq *s)
{
	proto_wr_init(&s->w, s->buf, sizeof(s->buf));
	s->counter = 0;
}

static int
put(const char *target, const char *name, const struct seq *s)
{
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", root, target);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "mkcorpus_card: put: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	if ((rc = proto_file_replace(path, s->buf, proto_wr_len(&s->w),
		 0644)) != 0)
		fprintf(stderr, "mkcorpus_card: put: %s: %s\n", path,
		    proto_strerror(rc));
	return rc;
}

/* Append one record (an APDU, or with len 0 a power cycle). */
static int
record(struct seq *s, const uint8_t *p, size_t len)
{
	int rc;

	if ((rc = proto_wr_u16(&s->w, (uint16_t)len)) != 0 ||
	    (rc = proto_wr_bytes(&s->w, p, len)) != 0)
		fprintf(stderr, "mkcorpus_card: record: %s\n",
		    proto_strerror(rc));
	return rc;
}

static int
apdu(struct seq *s, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
    const uint8_t *data, size_t lc, size_t ne)
{
	const struct proto_apdu a = { .cla = cla,
		.ins = ins,
		.p1 = p1,
		.p2 = p2,
		.data = data,
		.lc = lc,
		.ne = ne };
	uint8_t buf[PROTO_APDU_MAX_CMD_LEN];
	struct proto_wr w;
	int rc;

	proto_wr_init(&w, buf, sizeof(buf));
	if ((rc = proto_apdu_encode(&a, &w)) != 0) {
		fprintf(stderr, "mkcorpus_card: apdu: %s\n",
		    proto_strerror(rc));
		return rc;
	}
	return record(s, buf, proto_wr_len(&w));
}

static int
select_sm(struct seq *s)
{
	static const uint8_t aid[SM_AID_LEN] = SM_AID_INIT;

	return apdu(s, 0x00, PROTO_INS_SELECT, PROTO_SELECT_BY_AID,
	    PROTO_SELECT_FIRST, aid, sizeof(aid), 0);
}

static int
ecm(struct seq *s, uint8_t ins, uint16_t channel, uint32_t event, uint8_t flags)
{
	const struct proto_ecm e = { .channel = channel,
		.event = event,
		.time = T0,
		.event_end = T0 + 3600,
		.flags = flags,
		.price = PPV_PRICE };
	uint8_t cw[PROTO_CW_LEN], buf[PROTO_ECM_LEN];
	int rc;

	memset(cw, 0xc3, sizeof(cw));
	if ((rc = proto_ecm_build(&e, cw, fuzz_ecm_key, buf)) != 0) {
		fprintf(stderr, "mkcorpus_card: ecm: %s\n", proto_strerror(rc));
		return rc;
	}
	return apdu(s, SM_CLA, ins, 0, 0, buf, sizeof(buf),
	    PROTO_APDU_SHORT_MAX_NE);
}

/* A center command for the fuzz card on a path, with a counter. */
static int
command_on(struct seq *s, uint8_t path, uint32_t counter, uint8_t type,
    uint32_t arg1, uint32_t arg2)
{
	struct proto_cmd c = { .type = type,
		.path = path,
		.counter = counter,
		.arg1 = arg1,
		.arg2 = arg2 };
	uint8_t buf[PROTO_CMD_MAX_LEN];
	struct proto_wr w;
	int rc;

	memcpy(c.ua, fuzz_card_ua, PROTO_UA_LEN);
	proto_wr_init(&w, buf, sizeof(buf));
	if ((rc = proto_cmd_sign(&c, fuzz_sign_priv, fuzz_sign_pub, &w)) != 0) {
		fprintf(stderr, "mkcorpus_card: command: %s\n",
		    proto_strerror(rc));
		return rc;
	}
	return apdu(s, SM_CLA, SM_INS_COMMAND, 0, 0, buf, proto_wr_len(&w),
	    PROTO_APDU_SHORT_MAX_NE);
}

/* The same in an uplink session, with the next counter. */
static int
command(struct seq *s, uint8_t type, uint32_t arg1, uint32_t arg2)
{
	return command_on(s, PROTO_CMD_PATH_UPLINK, ++s->counter, type, arg1,
	    arg2);
}

/* UPLINK BLOCKS with a session's challenge. */
static int
uplink(struct seq *s, size_t ne)
{
	uint8_t challenge[PROTO_CHALLENGE_LEN];

	memset(challenge, 0x5c, sizeof(challenge));
	return apdu(s, SM_CLA, SM_INS_UPLINK, 0, 0, challenge,
	    sizeof(challenge), ne);
}

static int
get_data(struct seq *s, uint8_t p2)
{
	return apdu(s, SM_CLA, SM_INS_GET_DATA, SM_DO_P1, p2, NULL, 0,
	    PROTO_APDU_SHORT_MAX_NE);
}

static int
seeds_get_data(void)
{
	struct seq s;
	int rc = 0;

	seq_init(&s);
	rc |= select_sm(&s);
	for (uint8_t p2 = SM_DO_STATE; p2 <= SM_DO_OUTCOMES; p2++)
		rc |= get_data(&s, p2);
	rc |= apdu(&s, 0x00, SM_INS_GET_DATA, SM_DO_P1, SM_DO_UA, NULL, 0, 8);
	rc |= get_data(&s, 0x7f); /* 6A86 */
	return rc | put("card_rt", "select-get-data", &s);
}

static int
seeds_ecm_buy(void)
{
	struct seq s;
	int rc = 0;

	seq_init(&s);
	rc |= select_sm(&s);
	rc |= ecm(&s, SM_INS_PROCESS_ECM, FUZZ_CARD_CHANNEL, 1,
	    PROTO_ECM_SUBSCRIPTION); /* entitled */
	rc |= ecm(&s, SM_INS_PROCESS_ECM, PPV_CHANNEL, PPV_EVENT,
	    PROTO_ECM_PPV); /* 9102: may be bought */
	rc |= ecm(&s, SM_INS_BUY_EVENT, PPV_CHANNEL, PPV_EVENT,
	    PROTO_ECM_PPV); /* 9205: locked */
	rc |= put("card_rt", "ecm", &s);
	rc |= command(&s, PROTO_CMD_UNLOCK, 0, 0);
	rc |= ecm(&s, SM_INS_BUY_EVENT, PPV_CHANNEL, PPV_EVENT, PROTO_ECM_PPV);
	rc |= ecm(&s, SM_INS_PROCESS_ECM, PPV_CHANNEL, PPV_EVENT,
	    PROTO_ECM_PPV); /* entitled now */
	rc |= ecm(&s, SM_INS_BUY_EVENT, PPV_CHANNEL, PPV_EVENT,
	    PROTO_ECM_PPV); /* 9202 */
	rc |= get_data(&s, SM_DO_CREDIT);
	return rc | put("card_rt", "ecm-buy", &s);
}

static int
seeds_export(void)
{
	struct seq s;
	int rc = 0;

	seq_init(&s);
	rc |= select_sm(&s);
	rc |= apdu(&s, SM_CLA, SM_INS_EXPORT, 0, 0, NULL, 0,
	    PROTO_APDU_EXT_MAX_NE); /* 6985: locked */
	rc |= uplink(&s, PROTO_APDU_EXT_MAX_NE);
	rc |= apdu(&s, SM_CLA, SM_INS_UPLINK, 0, 0, NULL, 0,
	    PROTO_APDU_EXT_MAX_NE); /* 6700: no challenge */
	rc |= command(&s, PROTO_CMD_UNLOCK, 0, 0);
	rc |= command(&s, PROTO_CMD_EXPORT, 0, 0); /* the center asks */
	rc |= ecm(&s, SM_INS_BUY_EVENT, PPV_CHANNEL, PPV_EVENT, PROTO_ECM_PPV);
	rc |= apdu(&s, SM_CLA, SM_INS_EXPORT, 0, 0, NULL, 0,
	    PROTO_APDU_EXT_MAX_NE);
	/* a short Le: the block comes in pieces, 61xx and GET RESPONSE */
	rc |= uplink(&s, 100);
	rc |= apdu(&s, 0x00, PROTO_INS_GET_RESPONSE, 0, 0, NULL, 0, 50);
	rc |= apdu(&s, 0x00, PROTO_INS_GET_RESPONSE, 0, 0, NULL, 0,
	    PROTO_APDU_SHORT_MAX_NE);
	return rc | put("card_rt", "export", &s);
}

static int
seeds_commands(void)
{
	struct seq s;
	int rc = 0;

	seq_init(&s);
	rc |= select_sm(&s);
	rc |= command(&s, PROTO_CMD_UNLOCK, 0, 0);
	rc |= command(&s, PROTO_CMD_RELOAD, 500, 0);
	rc |= command(&s, PROTO_CMD_GRANT, PPV_CHANNEL, T0 + 86400);
	rc |=
	    ecm(&s, SM_INS_PROCESS_ECM, PPV_CHANNEL, 9, PROTO_ECM_SUBSCRIPTION);
	rc |= command(&s, PROTO_CMD_REVOKE, PPV_CHANNEL, 0);
	rc |= ecm(&s, SM_INS_BUY_EVENT, PPV_CHANNEL, PPV_EVENT, PROTO_ECM_PPV);
	rc |= command(&s, PROTO_CMD_ACK, 1, 0);
	rc |= command(&s, PROTO_CMD_REVOKE, 99, 0); /* 9303: consumed */
	rc |=
	    command_on(&s, PROTO_CMD_PATH_BROADCAST, 1, PROTO_CMD_RELOAD, 5, 0);
	rc |= get_data(&s, SM_DO_STATE);
	rc |= get_data(&s, SM_DO_OUTCOMES);
	/* the first command again: 9301 */
	rc |= command_on(&s, PROTO_CMD_PATH_UPLINK, 1, PROTO_CMD_UNLOCK, 0, 0);
	rc |= put("card_rt", "commands", &s);

	/* disabled for good: no more control words, nothing sold */
	seq_init(&s);
	rc |= select_sm(&s);
	rc |= command(&s, PROTO_CMD_UNLOCK, 0, 0);
	rc |= command(&s, PROTO_CMD_DISABLE, 0, 0);
	rc |= ecm(&s, SM_INS_PROCESS_ECM, FUZZ_CARD_CHANNEL, 1,
	    PROTO_ECM_SUBSCRIPTION);
	rc |= ecm(&s, SM_INS_BUY_EVENT, PPV_CHANNEL, PPV_EVENT, PROTO_ECM_PPV);
	rc |= apdu(&s, SM_CLA, SM_INS_EXPORT, 0, 0, NULL, 0,
	    PROTO_APDU_EXT_MAX_NE);
	return rc | put("card_rt", "disable", &s);
}

static int
seeds_runtime(void)
{
	static const uint8_t ident[] = { 0xf0, 'P', 'T', 'V', 'I', 'D', 0x01 };
	static const uint8_t bad[][6] = {
		{ 0xff, 0xca, 0x01, 0x01, 0x00 },       /* CLA FF */
		{ 0x01, 0xca, 0x01, 0x01, 0x00 },       /* a logical channel */
		{ 0x80, 0x30, 0x00, 0x00, 0x05, 0x01 }, /* Lc past the end */
	};
	struct seq s;
	int rc = 0;

	seq_init(&s);
	rc |= apdu(&s, 0x00, PROTO_INS_SELECT, PROTO_SELECT_BY_AID,
	    PROTO_SELECT_FIRST, ident, sizeof(ident), PROTO_APDU_SHORT_MAX_NE);
	for (uint8_t p2 = 1; p2 <= 3; p2++)
		rc |= apdu(&s, 0x00, 0xca, 0x01, p2, NULL, 0, 256);
	rc |= apdu(&s, 0x80, 0x10, 0x00, 0x00, NULL, 0, 4);  /* INCREMENT */
	rc |= apdu(&s, 0x00, 0x84, 0x00, 0x00, NULL, 0, 16); /* CHALLENGE */
	rc |= record(&s, NULL, 0);                           /* power cycle */
	rc |= get_data(&s, SM_DO_UA); /* nothing selected: 6E00 */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		rc |= record(&s, bad[i], i < 2 ? 5 : 6);
	rc |= select_sm(&s);
	rc |= record(&s, NULL, 0);
	rc |= select_sm(&s); /* a power-up to count */
	rc |= ecm(&s, SM_INS_PROCESS_ECM, FUZZ_CARD_CHANNEL, 1,
	    PROTO_ECM_SUBSCRIPTION);
	return rc | put("card_rt", "runtime", &s);
}

/* vpcd streams: two bytes choosing the reads, then frames. */
static int
vpcd_frame(struct seq *s, const uint8_t *p, size_t len)
{
	return record(s, p, len); /* the same 2-byte length framing */
}

static int
seeds_vpcd(void)
{
	static const uint8_t ctl[] = { CARD_VPCD_CTRL_ON, CARD_VPCD_CTRL_ATR };
	struct seq s, apdus;
	int rc = 0;

	/* the frames of a session: power on, ATR, APDUs, reset, power off */
	seq_init(&apdus);
	rc |= select_sm(&apdus);
	rc |= get_data(&apdus, SM_DO_STATE);
	rc |= ecm(&apdus, SM_INS_PROCESS_ECM, FUZZ_CARD_CHANNEL, 1,
	    PROTO_ECM_SUBSCRIPTION);
	for (uint16_t cut = 0; cut < 2; cut++) {
		seq_init(&s);
		rc |= proto_wr_u16(&s.w, cut == 0 ? 0 : 0x1234);
		for (size_t i = 0; i < sizeof(ctl); i++)
			rc |= vpcd_frame(&s, &ctl[i], 1);
		/* the APDU records are vpcd frames already */
		rc |= proto_wr_bytes(&s.w, apdus.buf, proto_wr_len(&apdus.w));
		rc |= vpcd_frame(&s, (const uint8_t[]){ CARD_VPCD_CTRL_RESET },
		    1);
		rc |=
		    vpcd_frame(&s, (const uint8_t[]){ CARD_VPCD_CTRL_OFF }, 1);
		rc |= put("vpcd", cut == 0 ? "session" : "session-cut", &s);
	}
	/* what pcscd never sends: an unknown control byte, an empty frame,
	 * an extended APDU, a frame cut short at the end */
	seq_init(&s);
	rc |= proto_wr_u16(&s.w, 0x0101);
	rc |= vpcd_frame(&s, (const uint8_t[]){ 0x03 }, 1);
	rc |= vpcd_frame(&s, NULL, 0);
	rc |= select_sm(&s);
	rc |= uplink(&s, PROTO_APDU_EXT_MAX_NE);
	rc |= proto_wr_u16(&s.w, 300);
	rc |= proto_wr_bytes(&s.w, (const uint8_t[]){ 0x80, 0xca, 0x01 }, 3);
	return rc | put("vpcd", "odd", &s);
}

int
main(int argc, char **argv)
{
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus_card DIR\n");
		return 2;
	}
	root = argv[1];
	rc |= seeds_get_data();
	rc |= seeds_ecm_buy();
	rc |= seeds_export();
	rc |= seeds_commands();
	rc |= seeds_runtime();
	rc |= seeds_vpcd();
	return rc != 0;
}
