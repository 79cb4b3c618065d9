/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/apdu.h"
#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "../proto/log.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "../proto/sm.h"
#include "card.h"

#define ECM_ANSWER_MAX 64 /* a CW pair, or an offer */
#define SMALL_ANSWER_MAX 16

/* Test hook: the pause between the chunks of a chained response. */
static unsigned
chunk_delay_from_env(void)
{
	const char *v = getenv("PTV_TEST_CHUNK_DELAY_MS");
	unsigned ms = 0;

	if (v != NULL && proto_parse_uint(v, 0, DEC_CHUNK_DELAY_MAX, &ms) != 0)
		proto_log(PROTO_LOG_WARNING,
		    "%s: PTV_TEST_CHUNK_DELAY_MS=%s is not 0..%u; ignored",
		    __func__, v, DEC_CHUNK_DELAY_MAX);
	return ms;
}

static void
chunk_pause(const struct dec_card *c)
{
	unsigned ms = c->chunk_delay_ms;

	if (ms == 0)
		return;
	proto_log(PROTO_LOG_NOTICE,
	    "test hook: pausing %u ms before GET RESPONSE", ms);
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000,
		      .tv_nsec = (long)(ms % 1000) * 1000000 },
	    NULL);
}

/* One exchange; *rlen is the room on entry.  A response has its SW. */
static int
xmit(struct dec_card *c, const uint8_t *cmd, size_t len, uint8_t *resp,
    size_t *rlen)
{
	size_t n = *rlen;
	int rc;

	if (c->h == NULL)
		return PROTO_ERR_IO; /* no connection: the card is gone */
	c->apdus++;
	if ((rc = c->io->transmit(c->h, cmd, len, resp, &n)) != 0) {
		proto_log(PROTO_LOG_INFO, "%s: INS %02X: %s", __func__, cmd[1],
		    proto_strerror(rc));
		return rc;
	}
	if (n > *rlen || n < 2) {
		proto_log(PROTO_LOG_WARNING,
		    "%s: INS %02X: an answer of %zu bytes (room %zu): %s",
		    __func__, cmd[1], n, *rlen,
		    n < 2 ? "no status word" : "longer than the room");
		return PROTO_ERR_FORMAT;
	}
	*rlen = n;
	return 0;
}

/* Encode a and exchange it once (no chaining): the answer split into r. */
static int
exchange(struct dec_card *c, const struct proto_apdu *a, uint8_t *resp,
    size_t cap, struct proto_rapdu *r)
{
	uint8_t cmd[PROTO_APDU_HDR_LEN + 1 + PROTO_APDU_SHORT_MAX_LC + 1];
	struct proto_wr w;
	size_t rlen = cap;
	int rc;

	proto_wr_init(&w, cmd, sizeof(cmd));
	if ((rc = proto_apdu_encode(a, &w)) != 0 ||
	    (rc = xmit(c, cmd, proto_wr_len(&w), resp, &rlen)) != 0)
		return rc;
	return proto_rapdu_parse(resp, rlen, r);
}

static void
log_refusal(const char *func, uint8_t ins, uint16_t sw)
{
	proto_log(PROTO_LOG_INFO, "%s: INS %02X: the card answered %04X (%s)",
	    func, ins, sw, proto_sw_str(sw));
}

/* exchange(), and the card must answer 9000; refused: the error given. */
static int
exchange_ok(struct dec_card *c, const struct proto_apdu *a, uint8_t *resp,
    size_t cap, struct proto_rapdu *r, int refused)
{
	int rc;

	if ((rc = exchange(c, a, resp, cap, r)) != 0)
		return rc;
	if (r->sw != PROTO_SW_OK) {
		log_refusal(__func__, a->ins, r->sw);
		return refused;
	}
	return 0;
}

/*
 * Send a command with short Le 00 (or none) and collect its answer,
 * following 61xx with GET RESPONSE, into out (cap bytes, the caller's
 * scratch, which holds a partial answer on failure).  *sw is the final
 * status word.  The raw responses may hold control words: wiped here.
 */
static int
transceive(struct dec_card *c, uint8_t ins, const uint8_t *data, size_t lc,
    int want_data, uint8_t *out, size_t cap, size_t *len, uint16_t *sw)
{
	uint8_t resp[DEC_RAPDU_MAX];
	struct proto_apdu a = { .cla = SM_CLA,
		.ins = ins,
		.data = data,
		.lc = lc,
		.ne = want_data ? PROTO_APDU_SHORT_MAX_NE : 0 };
	struct proto_rapdu r;
	struct proto_wr o;
	int rc, rounds = 0;

	proto_wr_init(&o, out, cap);
	for (;;) {
		if ((rc = exchange(c, &a, resp, sizeof(resp), &r)) != 0)
			goto out;
		if (r.len > 0 && proto_wr_bytes(&o, r.data, r.len) != 0) {
			proto_log(PROTO_LOG_WARNING,
			    "%s: INS %02X: an answer over %zu bytes", __func__,
			    ins, cap);
			rc = PROTO_ERR_TOOBIG;
			goto out;
		}
		if ((r.sw & 0xff00) != PROTO_SW_BYTES_REMAINING)
			break;
		if (++rounds > DEC_CHAIN_MAX) {
			proto_log(PROTO_LOG_WARNING,
			    "%s: INS %02X: more than %d GET RESPONSE rounds",
			    __func__, ins, DEC_CHAIN_MAX);
			rc = PROTO_ERR_TOOBIG;
			goto out;
		}
		chunk_pause(c);
		/* GET RESPONSE for what remains (xx = 00: 256 or more) */
		a = (struct proto_apdu){ .cla = 0x00,
			.ins = PROTO_INS_GET_RESPONSE,
			.ne = (r.sw & 0xff) == 0 ? PROTO_APDU_SHORT_MAX_NE :
						   (r.sw & 0xff) };
	}
	*sw = r.sw;
	*len = proto_wr_len(&o);
out:
	proto_cleanse(resp, sizeof(resp));
	return rc;
}

static void
log_malformed(const char *func, uint8_t ins, uint16_t sw, size_t n)
{
	proto_log(PROTO_LOG_WARNING,
	    "%s: INS %02X: %zu data bytes with %04X: malformed", func, ins, n,
	    sw);
}

static int
read_state(struct dec_card *c, struct dec_card_state *s)
{
	uint8_t resp[SM_STATE_LEN + 2];
	struct proto_apdu a = { .cla = SM_CLA,
		.ins = SM_INS_GET_DATA,
		.p1 = 0x01,
		.p2 = SM_DO_STATE,
		.ne = SM_STATE_LEN };
	struct proto_rapdu r;
	struct proto_rd rd;
	int rc;

	if ((rc = exchange_ok(c, &a, resp, sizeof(resp), &r,
		 PROTO_ERR_STATE)) != 0)
		return rc;
	proto_rd_init(&rd, r.data, r.len);
	if (proto_rd_bytes(&rd, s->ua, PROTO_UA_LEN) != 0 ||
	    proto_rd_u8(&rd, &s->locked) != 0 ||
	    proto_rd_u32(&rd, &s->change_ctr) != 0 ||
	    proto_rd_u32(&rd, &s->export_seq) != 0 ||
	    proto_rd_u32(&rd, &s->credit) != 0 ||
	    proto_rd_u8(&rd, &s->free_log) != 0 ||
	    proto_rd_u32(&rd, &s->purchase_seq) != 0 ||
	    proto_rd_u32(&rd, &s->acked_seq) != 0 ||
	    proto_rd_u32(&rd, &s->cmd_ctr) != 0 ||
	    proto_rd_u8(&rd, &s->flags) != 0 ||
	    proto_rd_u32(&rd, &s->bcast_ctr) != 0 || proto_rd_end(&rd) != 0 ||
	    s->locked > 1) {
		log_malformed(__func__, a.ins, r.sw, r.len);
		return PROTO_ERR_FORMAT;
	}
	return 0;
}

int
dec_card_select(struct dec_card *c)
{
	static const uint8_t aid[SM_AID_LEN] = SM_AID_INIT;
	uint8_t resp[DEC_RAPDU_MAX];
	struct proto_apdu a = { .cla = 0x00,
		.ins = PROTO_INS_SELECT,
		.p1 = PROTO_SELECT_BY_AID,
		.p2 = PROTO_SELECT_FIRST,
		.data = aid,
		.lc = sizeof(aid) };
	struct proto_rapdu r;

	return exchange_ok(c, &a, resp, sizeof(resp), &r, PROTO_ERR_NOTFOUND);
}

/* An ATR the transport said is longer than the room it was given. */
static int
check_atr(const struct dec_card *c, size_t len, const char *func)
{
	if (len <= sizeof(c->atr))
		return 0;
	proto_log(PROTO_LOG_WARNING, "%s: %s: an ATR of %zu bytes", func,
	    c->reader, len);
	return PROTO_ERR_FORMAT;
}

int
dec_card_connect(const struct dec_card_io *io, void *svc, const char *reader,
    struct dec_card *out)
{
	struct dec_card c;
	size_t n = strlen(reader);
	int rc;

	if (n >= sizeof(c.reader))
		return PROTO_ERR_TOOBIG;
	memset(&c, 0, sizeof(c));
	c.io = io;
	memcpy(c.reader, reader, n + 1);
	c.chunk_delay_ms = chunk_delay_from_env();
	c.atr_len = sizeof(c.atr);
	if ((rc = io->connect(svc, reader, &c.h, c.atr, &c.atr_len)) != 0) {
		/* said once by the caller: a mute card is tried again often */
		proto_log(PROTO_LOG_DEBUG, "%s: %s: %s", __func__, reader,
		    proto_strerror(rc));
		return rc;
	}
	if ((rc = check_atr(&c, c.atr_len, __func__)) != 0) {
		dec_card_close(&c);
		return rc;
	}
	*out = c;
	return 0;
}

int
dec_card_open(const struct dec_card_io *io, void *svc, const char *reader,
    struct dec_card *out)
{
	struct dec_card c;
	int rc;

	if ((rc = dec_card_connect(io, svc, reader, &c)) != 0)
		return rc;
	if ((rc = dec_card_select(&c)) != 0 ||
	    (rc = read_state(&c, &c.st)) != 0) {
		dec_card_close(&c);
		return rc;
	}
	*out = c;
	return 0;
}

int
dec_card_begin(struct dec_card *c)
{
	return c->h != NULL ? c->io->begin(c->h) : PROTO_ERR_IO;
}

void
dec_card_end(struct dec_card *c)
{
	if (c->h != NULL)
		c->io->end(c->h);
}

int
dec_card_reconnect(struct dec_card *c)
{
	size_t n = sizeof(c->atr);
	int rc;

	if (c->h == NULL)
		return PROTO_ERR_IO;
	if ((rc = c->io->reconnect(c->h, c->atr, &n)) != 0 ||
	    (rc = check_atr(c, n, __func__)) != 0)
		return rc;
	c->atr_len = n;
	return 0;
}

int
dec_card_probe(const struct dec_card *c)
{
	return c->h != NULL ? c->io->probe(c->h) : PROTO_ERR_IO;
}

void
dec_card_close(struct dec_card *c)
{
	if (c->h != NULL)
		c->io->disconnect(c->h);
	c->h = NULL;
}

int
dec_card_refresh(struct dec_card *c)
{
	struct dec_card_state s;
	int rc;

	memset(&s, 0, sizeof(s)); /* padding too: states compare by bytes */
	if ((rc = read_state(c, &s)) != 0)
		return rc;
	c->st = s;
	return 0;
}

int
dec_card_block(struct dec_card *c, uint8_t ins, const uint8_t *challenge,
    uint8_t *block, size_t cap, size_t *len, uint16_t *sw)
{
	uint8_t buf[PROTO_BLOCK_MAX];
	struct proto_block b;
	size_t n = 0;
	int rc;

	if ((rc = transceive(c, ins, challenge,
		 challenge != NULL ? PROTO_CHALLENGE_LEN : 0, 1, buf,
		 sizeof(buf), &n, sw)) != 0)
		return rc;
	if (*sw != PROTO_SW_OK) {
		log_refusal(__func__, ins, *sw);
		return PROTO_ERR_STATE;
	}
	if (proto_block_parse(buf, n, &b) != 0 || n > cap) {
		log_malformed(__func__, ins, *sw, n);
		return PROTO_ERR_FORMAT;
	}
	if (memcmp(b.ua, c->st.ua, PROTO_UA_LEN) != 0) {
		proto_log(PROTO_LOG_WARNING,
		    "%s: INS %02X: a block of another card", __func__, ins);
		return PROTO_ERR_FORMAT;
	}
	memcpy(block, buf, n);
	*len = n;
	return 0;
}

int
dec_card_cert(struct dec_card *c, uint8_t cert[PROTO_CERT_LEN])
{
	uint8_t resp[PROTO_CERT_LEN + 2];
	struct proto_apdu a = { .cla = SM_CLA,
		.ins = SM_INS_GET_DATA,
		.p1 = SM_DO_P1,
		.p2 = SM_DO_CERT,
		.ne = PROTO_CERT_LEN };
	struct proto_rapdu r;
	int rc;

	if ((rc = exchange(c, &a, resp, sizeof(resp), &r)) != 0)
		return rc;
	if (r.sw == PROTO_SW_REF_NOT_FOUND)
		return PROTO_ERR_NOTFOUND;
	if (r.sw != PROTO_SW_OK) {
		log_refusal(__func__, a.ins, r.sw);
		return PROTO_ERR_STATE;
	}
	if (r.len != PROTO_CERT_LEN) {
		log_malformed(__func__, a.ins, r.sw, r.len);
		return PROTO_ERR_FORMAT;
	}
	memcpy(cert, r.data, PROTO_CERT_LEN);
	return 0;
}

static int
ecm_outcome(uint16_t sw, const uint8_t *resp, size_t n,
    struct dec_ecm_result *r)
{
	struct proto_rd rd;

	proto_rd_init(&rd, resp, n);
	switch (sw) {
	case PROTO_SW_OK:
		r->outcome = DEC_ECM_CW;
		return n == PROTO_CW_LEN ? 0 : PROTO_ERR_FORMAT;
	case SM_SW_NOT_ENTITLED:
		r->outcome = DEC_ECM_DENIED;
		return n == 0 ? 0 : PROTO_ERR_FORMAT;
	case SM_SW_PURCHASE_POSSIBLE:
		r->outcome = DEC_ECM_OFFER;
		if (proto_rd_u32(&rd, &r->event) != 0 ||
		    proto_rd_u32(&rd, &r->price) != 0 ||
		    proto_rd_u16(&rd, &r->channel) != 0 ||
		    proto_rd_end(&rd) != 0)
			return PROTO_ERR_FORMAT;
		return 0;
	default:
		return PROTO_ERR_STATE;
	}
}

int
dec_card_ecm(struct dec_card *c, const uint8_t *ecm, size_t len,
    struct dec_ecm_result *out)
{
	uint8_t resp[ECM_ANSWER_MAX]; /* control words */
	struct dec_ecm_result r = { 0 };
	uint16_t sw = 0;
	size_t n = 0;
	int rc;

	if ((rc = transceive(c, SM_INS_PROCESS_ECM, ecm, len, 1, resp,
		 sizeof(resp), &n, &sw)) != 0)
		goto out;
	if ((rc = ecm_outcome(sw, resp, n, &r)) != 0) {
		if (rc == PROTO_ERR_STATE)
			log_refusal(__func__, SM_INS_PROCESS_ECM, sw);
		else
			log_malformed(__func__, SM_INS_PROCESS_ECM, sw, n);
		goto out;
	}
	*out = r;
out:
	proto_cleanse(resp, sizeof(resp));
	return rc;
}

int
dec_card_buy(struct dec_card *c, const uint8_t *ecm, size_t len, uint32_t *seq,
    uint32_t *credit, uint16_t *sw)
{
	uint8_t resp[SMALL_ANSWER_MAX];
	struct proto_rd rd;
	uint32_t s, cr;
	size_t n = 0;
	int rc;

	if ((rc = transceive(c, SM_INS_BUY_EVENT, ecm, len, 1, resp,
		 sizeof(resp), &n, sw)) != 0)
		return rc;
	if (*sw != PROTO_SW_OK) {
		log_refusal(__func__, SM_INS_BUY_EVENT, *sw);
		return PROTO_ERR_STATE;
	}
	proto_rd_init(&rd, resp, n);
	if (proto_rd_u32(&rd, &s) != 0 || proto_rd_u32(&rd, &cr) != 0 ||
	    proto_rd_end(&rd) != 0) {
		log_malformed(__func__, SM_INS_BUY_EVENT, *sw, n);
		return PROTO_ERR_FORMAT;
	}
	*seq = s;
	*credit = cr;
	return 0;
}

int
dec_card_command(struct dec_card *c, const uint8_t *cmd, size_t len,
    uint16_t *sw)
{
	uint8_t resp[SMALL_ANSWER_MAX];
	size_t n = 0;
	int rc;

	if ((rc = transceive(c, SM_INS_COMMAND, cmd, len, 0, resp, sizeof(resp),
		 &n, sw)) != 0)
		return rc;
	if (*sw != PROTO_SW_OK) {
		log_refusal(__func__, SM_INS_COMMAND, *sw);
		return PROTO_ERR_STATE;
	}
	if (n != 0) {
		log_malformed(__func__, SM_INS_COMMAND, *sw, n);
		return PROTO_ERR_FORMAT;
	}
	return 0;
}
