/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writes the seed corpus of the fuzz targets: valid inputs of every
 * parser, made with the project's own encoders and the fuzz keys of
 * common.c, so the fuzzer starts from inputs that pass the signature and
 * tag checks.  The output is committed (test/fuzz/corpus/NAME/); run this
 * again (`make fuzz-corpus`) when a format changes.  Blocks, ECMs and M1
 * images differ on every run (random IVs, ECDSA's random k).
 *
 * usage: mkcorpus DIR
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../../decoder/m1.h"
#include "../../decoder/quarantine.h"
#include "../../proto/apdu.h"
#include "../../proto/proto.h"
#include "../../proto/sm.h"
#include "../../proto/tlv.h"
#include "../../proto/uplink.h"
#include "common.h"

#define SEED_MAX 8192

static const char *root;
static const uint8_t ua1[PROTO_UA_LEN] = { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11 };
static const uint8_t ua2[PROTO_UA_LEN] = { 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x22, 0x22 };

static int
put(const char *target, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", root, target);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "mkcorpus: put: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n) {
		fprintf(stderr, "mkcorpus: put: %s: %s\n", path,
		    strerror(errno));
		rc = -1;
	}
	if (f != NULL && fclose(f) != 0)
		rc = -1;
	return rc;
}

static int
put_text(const char *target, const char *name, const char *s)
{
	return put(target, name, s, strlen(s));
}

static int
put_wr(const char *target, const char *name, const struct proto_wr *w)
{
	return put(target, name, w->p, proto_wr_len(w));
}

/* An M2 with something in every list. */
static void
full_m2(struct proto_m2 *m)
{
	static const uint8_t versions[PROTO_VERSIONS_LEN] = { 1, 0, 1, 0 };

	memset(m, 0, sizeof(*m));
	m->credit = 700;
	m->purchase_seq = 3;
	m->acked_seq = 1;
	m->change_ctr = 9;
	m->cmd_ctr = 4;
	memcpy(m->versions, versions, sizeof(versions));
	m->cws = 120;
	m->denials = 3;
	m->powerups = 5;
	m->n_counts = 2;
	m->counts[0] = (struct proto_chan_count){ .channel = 7, .ecms = 100 };
	m->counts[1] = (struct proto_chan_count){ .channel = 9, .ecms = 23 };
	m->n_rights = 1;
	m->rights[0] =
	    (struct proto_right){ .channel = 7, .expiry = 2000000000 };
	m->n_purchases = 2;
	m->purchases[0] = (struct proto_purchase){ .seq = 2,
		.event = 42,
		.channel = 9,
		.price = 300,
		.time = 1700000000 };
	m->purchases[1] = (struct proto_purchase){ .seq = 3,
		.event = 43,
		.channel = 9,
		.price = 200,
		.time = 1700003600 };
	m->clock = 1700003700;
	m->flags = PROTO_M2_FLAG_EXPORT;
	m->bcast_ctr = 2;
	m->n_outcomes = 3;
	m->outcomes[0] = (struct proto_outcome){ .path = PROTO_CMD_PATH_UPLINK,
		.counter = 3,
		.type = PROTO_CMD_GRANT,
		.sw = 0x6a84 };
	m->outcomes[1] = (struct proto_outcome){ .path = PROTO_CMD_PATH_UPLINK,
		.counter = 4,
		.type = PROTO_CMD_ACK,
		.sw = 0x9000 };
	m->outcomes[2] =
	    (struct proto_outcome){ .path = PROTO_CMD_PATH_BROADCAST,
		    .counter = 2,
		    .type = PROTO_CMD_EXPORT,
		    .sw = 0x9000 };
}

static int
encode_m2(const struct proto_m2 *m, uint8_t *buf, size_t cap, size_t *len)
{
	struct proto_wr w;
	int rc;

	proto_wr_init(&w, buf, cap);
	if ((rc = proto_m2_encode(m, &w)) != 0)
		return rc;
	*len = proto_wr_len(&w);
	return 0;
}

static void
card_keys(struct proto_card_keys *k)
{
	memcpy(k->sign_priv, fuzz_sign_priv, sizeof(k->sign_priv));
	memcpy(k->sign_pub, fuzz_sign_pub, sizeof(k->sign_pub));
	memcpy(k->kt, fuzz_kt, sizeof(k->kt));
}

/* A session's challenge, as the uplink seeds carry it. */
static const uint8_t nonce[PROTO_CHALLENGE_LEN] = { 0x6e, 0x6f, 0x6e, 0x63,
	0x65, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/*
 * A block of kind over m, sealed with the fuzz card keys: an uplink block
 * answers nonce, an export block carries no challenge.
 */
static int
seal(uint8_t kind, const uint8_t ua[PROTO_UA_LEN], uint32_t seq,
    const struct proto_m2 *m, struct proto_wr *w)
{
	struct proto_card_keys k;
	uint8_t body[PROTO_M2_MAX_LEN];
	size_t len;
	int rc;

	card_keys(&k);
	if ((rc = encode_m2(m, body, sizeof(body), &len)) != 0)
		return rc;
	return proto_block_seal(kind, ua, seq,
	    kind == PROTO_BLOCK_UPLINK ? nonce : NULL, &k, body, len, w);
}

static int
seeds_m2_block(void)
{
	static uint8_t buf[SEED_MAX];
	struct proto_m2 m;
	struct proto_wr w;
	size_t len;

	memset(&m, 0, sizeof(m));
	if (encode_m2(&m, buf, sizeof(buf), &len) != 0 ||
	    put("m2", "empty", buf, len) != 0)
		return -1;
	full_m2(&m);
	if (encode_m2(&m, buf, sizeof(buf), &len) != 0 ||
	    put("m2", "full", buf, len) != 0)
		return -1;
	proto_wr_init(&w, buf, sizeof(buf));
	if (seal(PROTO_BLOCK_EXPORT, ua1, 3, &m, &w) != 0 ||
	    put_wr("block", "export", &w) != 0)
		return -1;
	proto_wr_init(&w, buf, sizeof(buf));
	memset(&m, 0, sizeof(m));
	m.locked = 1;
	if (seal(PROTO_BLOCK_UPLINK, ua2, 1, &m, &w) != 0 ||
	    put_wr("block", "uplink-locked", &w) != 0)
		return -1;
	return 0;
}

static int
seeds_ecm(void)
{
	uint8_t ecm[PROTO_ECM_LEN], cw[PROTO_CW_LEN];
	struct proto_ecm sub = { .channel = 7,
		.event = 41,
		.time = 1700000000,
		.event_end = 1700007200,
		.flags = PROTO_ECM_SUBSCRIPTION };
	struct proto_ecm ppv = { .channel = 9,
		.event = 42,
		.time = 1700000000,
		.event_end = 1700005400,
		.flags = PROTO_ECM_PPV,
		.price = 300 };

	for (size_t i = 0; i < sizeof(cw); i++)
		cw[i] = (uint8_t)i;
	if (proto_ecm_build(&sub, cw, fuzz_ecm_key, ecm) != 0 ||
	    put("ecm", "subscription", ecm, sizeof(ecm)) != 0 ||
	    proto_ecm_build(&ppv, cw, fuzz_ecm_key, ecm) != 0 ||
	    put("ecm", "ppv", ecm, sizeof(ecm)) != 0)
		return -1;
	return 0;
}

static int
seeds_cmd(void)
{
	static const struct proto_cmd cmds[] = {
		{ .type = PROTO_CMD_UNLOCK, .counter = 1 },
		{ .type = PROTO_CMD_ACK, .counter = 2, .arg1 = 3 },
		{ .type = PROTO_CMD_RELOAD, .counter = 3, .arg1 = 500 },
		{ .type = PROTO_CMD_GRANT,
		    .counter = 4,
		    .arg1 = 7,
		    .arg2 = 2000000000 },
		{ .type = PROTO_CMD_REVOKE, .counter = 5, .arg1 = 7 },
		{ .type = PROTO_CMD_EXPORT,
		    .path = PROTO_CMD_PATH_BROADCAST,
		    .counter = 1 },
		{ .type = PROTO_CMD_DISABLE,
		    .path = PROTO_CMD_PATH_BROADCAST,
		    .counter = 2 },
	};
	/* a type a newer center may send: signed by hand, parameters 3 */
	uint8_t unknown[15 + 1 + 3 + PROTO_EC_SIG_LEN] = { PROTO_CMD_VERSION,
		0x40, [10] = PROTO_CMD_PATH_BROADCAST, [14] = 3, [15] = 3 };
	uint8_t buf[PROTO_CMD_MAX_LEN];
	struct proto_wr w;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct proto_cmd c = cmds[i];

		memcpy(c.ua, ua1, PROTO_UA_LEN);
		proto_wr_init(&w, buf, sizeof(buf));
		if (proto_cmd_sign(&c, fuzz_sign_priv, fuzz_sign_pub, &w) !=
			0 ||
		    put_wr("cmd", proto_cmd_name(c.type), &w) != 0)
			return -1;
	}
	memcpy(unknown + 2, ua1, PROTO_UA_LEN);
	if (proto_ec_sign(fuzz_sign_priv, fuzz_sign_pub, unknown,
		sizeof(unknown) - PROTO_EC_SIG_LEN,
		unknown + sizeof(unknown) - PROTO_EC_SIG_LEN) != 0 ||
	    put("cmd", "unknown-type", unknown, sizeof(unknown)) != 0)
		return -1;
	return 0;
}

/* A card certificate, signed with the fuzz key as the issuer's. */
static int
seeds_cert(void)
{
	static const uint8_t versions[PROTO_VERSIONS_LEN] = { 1, 0, 1, 0 };
	uint8_t buf[PROTO_CERT_LEN];
	struct proto_cert c;
	struct proto_wr w;

	memcpy(c.ua, ua1, PROTO_UA_LEN);
	memcpy(c.pub, fuzz_sign_pub, PROTO_EC_PUB_LEN);
	memcpy(c.versions, versions, PROTO_VERSIONS_LEN);
	proto_wr_init(&w, buf, sizeof(buf));
	if (proto_cert_sign(&c, fuzz_sign_priv, fuzz_sign_pub, &w) != 0 ||
	    put_wr("cert", "card", &w) != 0)
		return -1;
	return 0;
}

static int
seeds_tlv(void)
{
	static const uint8_t nested[] = { 0x70, 0x0b, 0x9f, 0x36, 0x02, 0x00,
		0x01, 0xa5, 0x04, 0x80, 0x02, 0xaa, 0xbb, 0x04, 0x00 };
	static uint8_t buf[600];
	struct proto_wr w;
	uint8_t v[300];

	memset(v, 0x5a, sizeof(v));
	proto_wr_init(&w, buf, sizeof(buf));
	if (put("tlv", "nested", nested, sizeof(nested)) != 0 ||
	    proto_tlv_write(&w, 0x9f36, v, 2) != 0 ||
	    proto_tlv_write(&w, 0x04, v, 200) != 0 ||
	    proto_tlv_write(&w, 0x5f20, v, 300) != 0 ||
	    put_wr("tlv", "long-lengths", &w) != 0)
		return -1;
	return 0;
}

static int
seeds_apdu(void)
{
	static const uint8_t aid[SM_AID_LEN] = SM_AID_INIT;
	static uint8_t big[300], ecm[PROTO_ECM_LEN],
	    buf[PROTO_APDU_MAX_CMD_LEN];
	static const struct {
		const char *name;
		struct proto_apdu a;
	} seeds[] = {
		{ "case1", { .ins = 0x70 } },
		{ "select-sm",
		    { .ins = PROTO_INS_SELECT,
			.p1 = PROTO_SELECT_BY_AID,
			.data = aid,
			.lc = sizeof(aid),
			.ne = 256 } },
		{ "select-3s",
		    { .ins = PROTO_INS_SELECT,
			.p1 = PROTO_SELECT_BY_AID,
			.data = aid,
			.lc = sizeof(aid) } },
		{ "get-data-ua",
		    { .cla = SM_CLA,
			.ins = SM_INS_GET_DATA,
			.p1 = 0x01,
			.p2 = SM_DO_UA,
			.ne = 8 } },
		{ "get-response",
		    { .ins = PROTO_INS_GET_RESPONSE, .ne = 256 } },
		{ "process-ecm",
		    { .cla = SM_CLA,
			.ins = SM_INS_PROCESS_ECM,
			.data = ecm,
			.lc = sizeof(ecm),
			.ne = 256 } },
		{ "export-2e",
		    { .cla = SM_CLA, .ins = SM_INS_EXPORT, .ne = 65536 } },
		{ "uplink-4e",
		    { .cla = SM_CLA,
			.ins = SM_INS_UPLINK,
			.data = nonce,
			.lc = sizeof(nonce),
			.ne = 65536 } },
		{ "case3e",
		    { .cla = SM_CLA,
			.ins = SM_INS_COMMAND,
			.data = big,
			.lc = sizeof(big) } },
		{ "case4e",
		    { .cla = SM_CLA,
			.ins = SM_INS_COMMAND,
			.data = big,
			.lc = sizeof(big),
			.ne = 4096 } },
	};
	uint8_t cw[PROTO_CW_LEN] = { 0 };
	struct proto_ecm e = { .channel = 7,
		.event = 41,
		.time = 1,
		.event_end = 2,
		.flags = PROTO_ECM_SUBSCRIPTION };
	struct proto_wr w;

	if (proto_ecm_build(&e, cw, fuzz_ecm_key, ecm) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		proto_wr_init(&w, buf, sizeof(buf));
		if (proto_apdu_encode(&seeds[i].a, &w) != 0 ||
		    put_wr("apdu", seeds[i].name, &w) != 0)
			return -1;
	}
	return 0;
}

static int
seeds_rapdu(void)
{
	static const uint8_t ok[] = { 0x90, 0x00 };
	static const uint8_t ua[] = { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		0x11, 0x90, 0x00 };
	static const uint8_t more[] = { 0xaa, 0xbb, 0x61, 0x10 };
	static const uint8_t nf[] = { 0x6a, 0x82 };

	return put("rapdu", "ok", ok, sizeof(ok)) ||
		put("rapdu", "ua", ua, sizeof(ua)) ||
		put("rapdu", "bytes-remaining", more, sizeof(more)) ||
		put("rapdu", "not-found", nf, sizeof(nf)) ?
	    -1 :
	    0;
}

/*
 * A session as both sides send it: HELLO, the center's CHALLENGE, the
 * present card's uplink block for it, a RECOVERED export block, END.
 */
static int
seeds_uplink_frames(void)
{
	static uint8_t buf[4 * SEED_MAX], blk[SEED_MAX];
	struct proto_up_hello h = { .has_card = 1 };
	struct proto_up_recovered rec = { .stored_at = 1700000000 };
	struct proto_up_result res = { .index = 0,
		.status = PROTO_UP_ACCEPTED,
		.seq = 3 };
	struct proto_m2 m;
	struct proto_wr w, bw;

	full_m2(&m);
	memcpy(h.decoder_id, fuzz_decoder_id, sizeof(h.decoder_id));
	memcpy(h.ua, ua2, PROTO_UA_LEN);
	memcpy(rec.decoder_id, fuzz_decoder_id, sizeof(rec.decoder_id));
	memcpy(res.ua, ua1, PROTO_UA_LEN);
	proto_wr_init(&w, buf, sizeof(buf));
	proto_wr_init(&bw, blk, sizeof(blk));
	if (proto_up_hello_encode(&h, &w) != 0 ||
	    proto_up_challenge_encode(nonce, &w) != 0 ||
	    seal(PROTO_BLOCK_UPLINK, ua2, 2, &m, &bw) != 0 ||
	    proto_up_frame(&w, PROTO_UP_BLOCK, proto_wr_len(&bw)) != 0 ||
	    proto_wr_bytes(&w, blk, proto_wr_len(&bw)) != 0)
		return -1;
	proto_wr_init(&bw, blk, sizeof(blk));
	if (seal(PROTO_BLOCK_EXPORT, ua1, 3, &m, &bw) != 0)
		return -1;
	rec.block = blk;
	rec.len = proto_wr_len(&bw);
	if (proto_up_recovered_encode(&rec, &w) != 0 ||
	    proto_up_frame(&w, PROTO_UP_END, 0) != 0 ||
	    put_wr("uplink_frames", "session", &w) != 0)
		return -1;
	proto_wr_init(&w, buf, sizeof(buf));
	if (proto_up_result_encode(&res, &w) != 0 ||
	    proto_up_ack_encode(ua1, 3, &w) != 0 ||
	    put_wr("uplink_frames", "result-ack", &w) != 0)
		return -1;
	return 0;
}

/* The center's answers: results, a command, an ACK, DONE; an ERROR. */
static int
seeds_uplink_answer(void)
{
	static uint8_t buf[SEED_MAX];
	struct proto_up_result res = { .status = PROTO_UP_ACCEPTED, .seq = 1 };
	struct proto_cmd c = { .type = PROTO_CMD_UNLOCK, .counter = 1 };
	uint8_t cmd[PROTO_CMD_MAX_LEN], done[8] = { 0, 0, 0, 2, 0, 0, 0, 0 };
	uint8_t err[] = { PROTO_UP_BUSY, 'b', 'u', 's', 'y' };
	struct proto_wr w, cw;

	memcpy(res.ua, ua2, PROTO_UA_LEN);
	memcpy(c.ua, ua2, PROTO_UA_LEN);
	proto_wr_init(&cw, cmd, sizeof(cmd));
	proto_wr_init(&w, buf, sizeof(buf));
	if (proto_cmd_sign(&c, fuzz_sign_priv, fuzz_sign_pub, &cw) != 0 ||
	    proto_up_result_encode(&res, &w) != 0)
		return -1;
	res.index = 1;
	res.seq = 3;
	memcpy(res.ua, ua1, PROTO_UA_LEN);
	if (proto_up_result_encode(&res, &w) != 0 ||
	    proto_up_frame(&w, PROTO_UP_COMMAND, proto_wr_len(&cw)) != 0 ||
	    proto_wr_bytes(&w, cmd, proto_wr_len(&cw)) != 0 ||
	    proto_up_ack_encode(ua1, 3, &w) != 0 ||
	    proto_up_frame(&w, PROTO_UP_DONE, sizeof(done)) != 0 ||
	    proto_wr_bytes(&w, done, sizeof(done)) != 0 ||
	    put_wr("uplink_answer", "session", &w) != 0)
		return -1;
	proto_wr_init(&w, buf, sizeof(buf));
	if (proto_up_frame(&w, PROTO_UP_ERROR, sizeof(err)) != 0 ||
	    proto_wr_bytes(&w, err, sizeof(err)) != 0 ||
	    put_wr("uplink_answer", "error", &w) != 0)
		return -1;
	return 0;
}

static int
seeds_m1(void)
{
	static struct dec_m1 m1;
	static uint8_t img[DEC_M1_FILE_MAX], blk[SEED_MAX];
	struct dec_key k;
	struct proto_m2 m;
	struct proto_wr w;
	size_t len;

	memset(&k, 0, sizeof(k));
	memcpy(k.key, fuzz_m1_key, sizeof(k.key));
	memcpy(k.id, fuzz_decoder_id, sizeof(k.id));
	memset(&m1, 0, sizeof(m1));
	if (dec_m1_encode(&k, &m1, img, sizeof(img), &len) != 0 ||
	    put("m1", "empty", img, len) != 0)
		return -1;
	full_m2(&m);
	proto_wr_init(&w, blk, sizeof(blk));
	if (seal(PROTO_BLOCK_EXPORT, ua1, 3, &m, &w) != 0 ||
	    dec_m1_put(&m1, blk, proto_wr_len(&w), 9, 1700000000) != 0 ||
	    dec_m1_encode(&k, &m1, img, sizeof(img), &len) != 0 ||
	    put("m1", "one", img, len) != 0)
		return -1;
	memset(&m, 0, sizeof(m));
	proto_wr_init(&w, blk, sizeof(blk));
	if (seal(PROTO_BLOCK_EXPORT, ua2, 1, &m, &w) != 0 ||
	    dec_m1_put(&m1, blk, proto_wr_len(&w), 1, 1700003600) != 0 ||
	    dec_m1_encode(&k, &m1, img, sizeof(img), &len) != 0 ||
	    put("m1", "two", img, len) != 0)
		return -1;
	return 0;
}

static int
seeds_quarantine(void)
{
	static struct dec_quar q;
	static struct dec_m1_entry e;
	static char img[DEC_QUAR_FILE_MAX];
	struct proto_m2 m;
	struct proto_wr w;
	size_t len;

	memset(&q, 0, sizeof(q));
	if (dec_quar_encode(&q, img, sizeof(img), &len) != 0 ||
	    put("quarantine", "empty", img, len) != 0)
		return -1;
	memset(&e, 0, sizeof(e));
	full_m2(&m);
	proto_wr_init(&w, e.block, sizeof(e.block));
	if (seal(PROTO_BLOCK_EXPORT, ua1, 3, &m, &w) != 0)
		return -1;
	memcpy(e.ua, ua1, PROTO_UA_LEN);
	e.seq = 3;
	e.len = (uint16_t)proto_wr_len(&w);
	e.exported_at = 1700000000;
	if (dec_quar_add(&q, &e, 0x01, 1700003600) != 0 ||
	    dec_quar_encode(&q, img, sizeof(img), &len) != 0 ||
	    put("quarantine", "one", img, len) != 0)
		return -1;
	return 0;
}

static int
seeds_text(void)
{
	static const uint8_t versions[PROTO_VERSIONS_LEN] = { 1, 0, 1, 0 };
	char reg[512], ua[2 * PROTO_UA_LEN + 1], pub[2 * PROTO_EC_PUB_LEN + 1];
	char reg2[1024], cert[2 * PROTO_CERT_LEN + 1];
	uint8_t cb[PROTO_CERT_LEN];
	struct proto_cert c;
	struct proto_wr w;

	proto_hex(ua1, PROTO_UA_LEN, ua);
	proto_hex(fuzz_sign_pub, PROTO_EC_PUB_LEN, pub);
	snprintf(reg, sizeof(reg),
	    "ptv-registration 1\nua %s\npublic-key %s\nversions 01000100\n", ua,
	    pub);
	memcpy(c.ua, ua1, PROTO_UA_LEN);
	memcpy(c.pub, fuzz_sign_pub, PROTO_EC_PUB_LEN);
	memcpy(c.versions, versions, PROTO_VERSIONS_LEN);
	proto_wr_init(&w, cb, sizeof(cb));
	if (proto_cert_sign(&c, fuzz_sign_priv, fuzz_sign_pub, &w) != 0)
		return -1;
	proto_hex(cb, sizeof(cb), cert);
	snprintf(reg2, sizeof(reg2), "%scertificate %s\n", reg, cert);
	return put_text("registration", "card", reg) ||
		put_text("registration", "card-certified", reg2) ||
		put_text("ctl_request", "status", "status\n") ||
		put_text("ctl_request", "insert",
		    "insert /var/lib/ptv/sc1.img\n") ||
		put_text("ctl_request", "tune", "tune 7\n") ||
		put_text("ctl_reply", "status",
		    "inserted=yes\nimage=/var/lib/ptv/"
		    "sc1.img\nserial=1111\nok\n") ||
		put_text("ctl_reply", "error",
		    "error: no card in the reader\n") ||
		put_text("config", "decoderd.conf",
		    "# decoderd\nreader = Virtual PCD\nm1 = /var/lib/ptv/m1\n"
		    "key = /var/lib/ptv/decoder.key\nsocket = "
		    "/run/decoderd.sock\n"
		    "ecm_dir = /var/lib/ptv/ecm\nexport_interval = 3600\n"
		    "log_level = notice\ncenter = center.example:7443\n"
		    "ca = /etc/ptv/ca.crt\nuplink_interval = 0\n") ||
		put_text("config", "no-final-lf", "export_interval=60") ||
		put_text("num", "zero", "0") ||
		put_text("num", "small", "42") ||
		put_text("num", "u32-max", "4294967295") ||
		put_text("num", "u64-max", "18446744073709551615") ||
		put_text("num", "u64-over", "18446744073709551616") ||
		put_text("num", "leading-zeros", "000000000000000000000007") ||
		put_text("hex", "ua", ua) ||
		put_text("hex", "mixed-case", "DEADbeef") ||
		put_text("hex", "empty", "") ?
	    -1 :
	    0;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus DIR\n");
		return 2;
	}
	root = argv[1];
	if (mkdir(root, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "mkcorpus: %s: %s\n", root, strerror(errno));
		return 1;
	}
	if (seeds_m2_block() != 0 || seeds_ecm() != 0 || seeds_cmd() != 0 ||
	    seeds_cert() != 0 || seeds_tlv() != 0 || seeds_apdu() != 0 ||
	    seeds_rapdu() != 0 || seeds_uplink_frames() != 0 ||
	    seeds_uplink_answer() != 0 || seeds_m1() != 0 ||
	    seeds_quarantine() != 0 || seeds_text() != 0) {
		fprintf(stderr, "mkcorpus: a seed could not be made\n");
		return 1;
	}
	return 0;
}
