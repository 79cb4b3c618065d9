/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/sm.h"
#include "../proto/apdu.h"
#include "../proto/buf.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "card.h"

#define CHAIN_MAX 64 /* GET RESPONSE rounds at most */

static const uint8_t sm_aid[SM_AID_LEN] = SM_AID_INIT;

/* Test hook: pause between the chunks of a chained response. */
static void
chunk_pause(void)
{
	static long ms = -1;
	const char *v;

	if (ms < 0)
		ms = (v = getenv("PTV_TEST_CHUNK_DELAY_MS")) != NULL ?
		    strtol(v, NULL, 10) :
		    0;
	if (ms > 0) {
		proto_log(PROTO_LOG_NOTICE,
		    "test hook: pausing %ld ms before "
		    "GET RESPONSE",
		    ms);
		nanosleep(&(struct timespec){ .tv_sec = ms / 1000,
			      .tv_nsec = (ms % 1000) * 1000000 },
		    NULL);
	}
}

static int
xmit(struct dec_card *c, const uint8_t *cmd, size_t len, uint8_t *resp,
    size_t *rlen)
{
	const SCARD_IO_REQUEST *pci =
	    c->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	DWORD n = (DWORD)*rlen;
	LONG rv;

	c->apdus++;
	rv = SCardTransmit(c->h, pci, cmd, (DWORD)len, NULL, resp, &n);
	if (rv != SCARD_S_SUCCESS) {
		proto_log(PROTO_LOG_INFO, "%s: %s", __func__,
		    pcsc_stringify_error(rv));
		return dec_card_lost(rv) ? PROTO_ERR_IO : PROTO_ERR_STATE;
	}
	if (n < 2 || n > *rlen)
		return PROTO_ERR_FORMAT;
	*rlen = n;
	return 0;
}

/*
 * Send a command with short Le 00 and collect its answer, following 61xx
 * with GET RESPONSE, into out (cap bytes).  *sw is the final status word.
 */
static int
transceive(struct dec_card *c, uint8_t ins, const uint8_t *data, size_t lc,
    int want_data, uint8_t *out, size_t cap, size_t *len, uint16_t *sw)
{
	uint8_t cmd[PROTO_APDU_SHORT_MAX_LC + 6], resp[258];
	struct proto_apdu a = { .cla = SM_CLA,
		.ins = ins,
		.data = data,
		.lc = lc,
		.ne = want_data ? 256 : 0 };
	struct proto_rapdu r;
	struct proto_wr w, o;
	size_t rlen;
	int rc, rounds = 0;

	proto_wr_init(&w, cmd, sizeof(cmd));
	if ((rc = proto_apdu_encode(&a, &w)) != 0)
		return rc;
	proto_wr_init(&o, out, cap);
	for (;;) {
		rlen = sizeof(resp);
		if ((rc = xmit(c, cmd, proto_wr_len(&w), resp, &rlen)) != 0)
			return rc;
		if ((rc = proto_rapdu_parse(resp, rlen, &r)) != 0)
			return rc;
		if (r.len > 0 && proto_wr_bytes(&o, r.data, r.len) != 0)
			return PROTO_ERR_TOOBIG;
		if ((r.sw & 0xff00) != PROTO_SW_BYTES_REMAINING)
			break;
		if (++rounds > CHAIN_MAX)
			return PROTO_ERR_TOOBIG;
		chunk_pause();
		/* GET RESPONSE for what remains (xx = 00: 256 or more) */
		a = (struct proto_apdu){ .cla = 0x00,
			.ins = PROTO_INS_GET_RESPONSE,
			.ne = (r.sw & 0xff) == 0 ? 256 : (r.sw & 0xff) };
		proto_wr_init(&w, cmd, sizeof(cmd));
		if ((rc = proto_apdu_encode(&a, &w)) != 0)
			return rc;
	}
	*sw = r.sw;
	*len = proto_wr_len(&o);
	return 0;
}

int
dec_card_lost(long rv)
{
	return rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD ||
	    rv == SCARD_W_RESET_CARD || rv == SCARD_E_NO_SERVICE ||
	    rv == SCARD_E_SERVICE_STOPPED || rv == SCARD_E_INVALID_HANDLE ||
	    rv == SCARD_E_READER_UNAVAILABLE || rv == SCARD_W_UNPOWERED_CARD ||
	    rv == SCARD_E_UNKNOWN_READER || rv == SCARD_F_COMM_ERROR;
}

int
dec_card_open(SCARDCONTEXT ctx, const char *reader, struct dec_card *c)
{
	uint8_t cmd[5 + sizeof(sm_aid)], resp[258];
	size_t rlen = sizeof(resp);
	struct proto_rapdu r;
	LONG rv;
	int rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->reader, sizeof(c->reader), "%s", reader);
	rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED,
	    SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c->h, &c->proto);
	if (rv != SCARD_S_SUCCESS) {
		proto_log(PROTO_LOG_WARNING, "%s: %s: %s", __func__, reader,
		    pcsc_stringify_error(rv));
		return PROTO_ERR_IO;
	}
	cmd[0] = 0x00;
	cmd[1] = PROTO_INS_SELECT;
	cmd[2] = PROTO_SELECT_BY_AID;
	cmd[3] = PROTO_SELECT_FIRST;
	cmd[4] = sizeof(sm_aid);
	memcpy(cmd + 5, sm_aid, sizeof(sm_aid));
	if ((rc = xmit(c, cmd, sizeof(cmd), resp, &rlen)) != 0 ||
	    (rc = proto_rapdu_parse(resp, rlen, &r)) != 0)
		goto fail;
	if (r.sw != PROTO_SW_OK) {
		rc = PROTO_ERR_NOTFOUND;
		goto fail;
	}
	if ((rc = dec_card_refresh(c)) != 0)
		goto fail;
	return 0;
fail:
	dec_card_close(c);
	return rc;
}

void
dec_card_close(struct dec_card *c)
{
	if (c->h != 0)
		SCardDisconnect(c->h, SCARD_LEAVE_CARD);
	c->h = 0;
}

int
dec_card_refresh(struct dec_card *c)
{
	uint8_t cmd[5] = { SM_CLA, SM_INS_GET_DATA, 0x01, SM_DO_STATE,
		SM_STATE_LEN },
		resp[SM_STATE_LEN + 2];
	struct dec_card_state s;
	struct proto_rapdu r;
	struct proto_rd rd;
	size_t rlen = sizeof(resp);
	int rc;

	if ((rc = xmit(c, cmd, sizeof(cmd), resp, &rlen)) != 0 ||
	    (rc = proto_rapdu_parse(resp, rlen, &r)) != 0)
		return rc;
	if (r.sw != PROTO_SW_OK)
		return PROTO_ERR_STATE;
	proto_rd_init(&rd, r.data, r.len);
	if ((rc = proto_rd_bytes(&rd, s.ua, PROTO_UA_LEN)) != 0 ||
	    (rc = proto_rd_u8(&rd, &s.locked)) != 0 ||
	    (rc = proto_rd_u32(&rd, &s.change_ctr)) != 0 ||
	    (rc = proto_rd_u32(&rd, &s.export_seq)) != 0 ||
	    (rc = proto_rd_u32(&rd, &s.credit)) != 0 ||
	    (rc = proto_rd_u8(&rd, &s.free_log)) != 0 ||
	    (rc = proto_rd_u32(&rd, &s.purchase_seq)) != 0 ||
	    (rc = proto_rd_u32(&rd, &s.acked_seq)) != 0 ||
	    (rc = proto_rd_u32(&rd, &s.cmd_ctr)) != 0 ||
	    (rc = proto_rd_end(&rd)) != 0)
		return PROTO_ERR_FORMAT;
	if (s.locked > 1)
		return PROTO_ERR_FORMAT;
	c->st = s;
	return 0;
}

int
dec_card_block(struct dec_card *c, uint8_t ins, uint8_t *block, size_t cap,
    size_t *len, uint16_t *sw)
{
	struct proto_block b;
	size_t n = 0;
	int rc;

	if ((rc = transceive(c, ins, NULL, 0, 1, block, cap, &n, sw)) != 0)
		return rc;
	if (*sw != PROTO_SW_OK)
		return PROTO_ERR_STATE;
	if ((rc = proto_block_parse(block, n, &b)) != 0 ||
	    memcmp(b.ua, c->st.ua, PROTO_UA_LEN) != 0)
		return PROTO_ERR_FORMAT;
	*len = n;
	return 0;
}

int
dec_card_ecm(struct dec_card *c, const uint8_t *ecm, size_t len,
    struct dec_ecm_result *out)
{
	uint8_t resp[64];
	struct dec_ecm_result r = { 0 };
	struct proto_rd rd;
	uint16_t sw;
	size_t n = 0;
	int rc;

	if ((rc = transceive(c, SM_INS_PROCESS_ECM, ecm, len, 1, resp,
		 sizeof(resp), &n, &sw)) != 0)
		return rc;
	proto_rd_init(&rd, resp, n);
	if (sw == PROTO_SW_OK && n == PROTO_CW_LEN) {
		r.outcome = DEC_ECM_CW;
	} else if (sw == SM_SW_NOT_ENTITLED && n == 0) {
		r.outcome = DEC_ECM_DENIED;
	} else if (sw == SM_SW_PURCHASE_POSSIBLE &&
	    proto_rd_u32(&rd, &r.event) == 0 &&
	    proto_rd_u32(&rd, &r.price) == 0 &&
	    proto_rd_u16(&rd, &r.channel) == 0 && proto_rd_end(&rd) == 0) {
		r.outcome = DEC_ECM_OFFER;
	} else {
		proto_log(PROTO_LOG_WARNING, "%s: card answered %04x (%s)",
		    __func__, sw, proto_sw_str(sw));
		return PROTO_ERR_STATE;
	}
	proto_cleanse(resp, sizeof(resp)); /* control words */
	*out = r;
	return 0;
}

int
dec_card_buy(struct dec_card *c, const uint8_t *ecm, size_t len, uint32_t *seq,
    uint32_t *credit, uint16_t *sw)
{
	uint8_t resp[16];
	struct proto_rd rd;
	size_t n = 0;
	int rc;

	if ((rc = transceive(c, SM_INS_BUY_EVENT, ecm, len, 1, resp,
		 sizeof(resp), &n, sw)) != 0)
		return rc;
	if (*sw != PROTO_SW_OK)
		return PROTO_ERR_STATE;
	proto_rd_init(&rd, resp, n);
	if (proto_rd_u32(&rd, seq) != 0 || proto_rd_u32(&rd, credit) != 0 ||
	    proto_rd_end(&rd) != 0)
		return PROTO_ERR_FORMAT;
	return 0;
}

int
dec_card_command(struct dec_card *c, const uint8_t *cmd, size_t len,
    uint16_t *sw)
{
	uint8_t resp[16];
	size_t n = 0;
	int rc;

	if ((rc = transceive(c, SM_INS_COMMAND, cmd, len, 0, resp, sizeof(resp),
		 &n, sw)) != 0)
		return rc;
	return *sw == PROTO_SW_OK ? 0 : PROTO_ERR_STATE;
}
