/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: what a malicious card answers the decoder.  The input is a
 * tape of card answers (test/unit/test_dec_tape.h: records of a 2-byte
 * length and bytes; the ATR, then one answer per command, with any status
 * word and length, 61xx chains, reader errors, lengths that lie), played
 * through the decoder's injectable card transport into its card code:
 * open and SELECT, GET DATA, EXPORT, UPLINK BLOCKS, PROCESS ECM, BUY
 * EVENT, PROCESS COMMAND, round after round until the card is gone.
 * Every block the card code accepts from EXPORT goes into an M1, which
 * must then survive its own file encoding; and the session must end with
 * the connection closed.  A broken invariant is fuzz_fail() (common.h).
 *
 * Seeds: test/fuzz/corpus/card_answers/, a real card's answers recorded
 * by test/unit/test_dec_card.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../decoder/card.h"
#include "../../decoder/m1.h"
#include "../../proto/log.h"
#include "../unit/test_dec_tape.h"
#include "common.h"

#define TARGET "card_answers"

static int
same_entry(const struct dec_m1_entry *a, const struct dec_m1_entry *b)
{
	return memcmp(a->ua, b->ua, PROTO_UA_LEN) == 0 &&
	    a->state == b->state && a->seq == b->seq &&
	    a->change_ctr == b->change_ctr &&
	    a->exported_at == b->exported_at && a->len == b->len &&
	    memcmp(a->block, b->block, a->len) == 0;
}

/* M1 as the script left it must encode and decode to itself. */
static void
check_m1(const struct dec_m1 *m)
{
	static uint8_t img[DEC_M1_FILE_MAX];
	static struct dec_m1 back;
	struct dec_key key;
	size_t len = 0;

	memcpy(key.key, fuzz_m1_key, sizeof(key.key));
	memcpy(key.id, fuzz_decoder_id, sizeof(key.id));
	fuzz_require(dec_m1_encode(&key, m, img, sizeof(img), &len) == 0,
	    TARGET, "M1 of accepted blocks encodes");
	fuzz_require(dec_m1_decode(&key, img, len, &back) == 0 &&
		back.n == m->n,
	    TARGET, "M1 of accepted blocks decodes");
	for (size_t i = 0; i < m->n; i++)
		fuzz_require(same_entry(&back.e[i], &m->e[i]), TARGET,
		    "M1 decodes to what was encoded");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tape_run run;
	static const struct tape_input in; /* the answers do not depend on it */
	struct tape t;

	proto_log_set_level(PROTO_LOG_ERR - 1); /* quiet */
	tape_init(&t, data, size);
	tape_script(&tape_io, &t, &in, TAPE_ROUNDS, &run);
	fuzz_require(!t.connected, TARGET, "the session ends disconnected");
	if (run.m1_puts > 0)
		check_m1(&run.m1);
	return 0;
}
