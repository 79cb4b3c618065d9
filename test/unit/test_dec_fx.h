/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fixture of the decoder's daemon-module tests (test_dec_export,
 * test_dec_session): a daemon state whose reader service is a tape
 * (test_dec_tape.h), an M1 file in a fresh directory, and helpers to
 * script the card and compare M1 before and after.  #included.
 */
#ifndef TEST_DEC_FX_H
#define TEST_DEC_FX_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../decoder/session.h"
#include "../../decoder/state.h"
#include "../../proto/cert.h"
#include "../../proto/file.h"
#include "../../proto/log.h"
#include "test_dec_tape.h"

#define UA(b)                               \
	{                                   \
		(b), 0x10, 2, 3, 4, 5, 6, 7 \
	}

static struct proto_card_keys keys;
/* The operator's issuer key pair, which certifies the cards. */
static uint8_t issuer_priv[PROTO_EC_PRIV_LEN], issuer_pub[PROTO_EC_PUB_LEN];

struct fx {
	char dir[64];
	struct dec_state st;
	struct tape t;
	struct dec_card_state cs; /* what the card says */
};

static inline int
setup(void **state)
{
	(void)state;
	proto_log_set_level(PROTO_LOG_ERR);
	if (proto_ec_keygen(issuer_priv, issuer_pub) != 0)
		return -1;
	return tape_keys_make(&keys);
}

static inline int
fx_new(void **state)
{
	static const struct dec_card_state cs = { .ua = UA(0xc1),
		.change_ctr = 10,
		.export_seq = 4,
		.credit = 100,
		.free_log = 64 };
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ptv-dexp.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	dec_state_init(&f->st, &tape_io);
	snprintf(f->st.cfg.m1, sizeof(f->st.cfg.m1), "%s/m1", f->dir);
	f->st.cfg.export_interval = 60;
	if (proto_random(&f->st.key, sizeof(f->st.key)) != 0)
		return -1;
	memcpy(f->st.issuer, issuer_pub, sizeof(f->st.issuer));
	f->st.svc = &f->t; /* the tape is the reader service */
	f->cs = cs;
	*state = f;
	return 0;
}

static inline int
fx_free(void **state)
{
	struct fx *f = *state;
	char path[128];

	snprintf(path, sizeof(path), "%s/m1", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/m1.quarantine", f->dir);
	unlink(path);
	rmdir(f->dir);
	tape_release(&f->t);
	dec_state_clear(&f->st);
	free(f);
	return 0;
}

/* Start a tape: the card's ATR, SELECT and state (f->cs). */
static inline void
tape_card(struct fx *f)
{
	static const uint8_t atr[] = { 0x3b, 0x80, 0x80, 0x01, 0x01 };

	tape_release(&f->t);
	tape_answer(&f->t, atr, sizeof(atr), 0);
	tape_sw(&f->t, PROTO_SW_OK);
	tape_state(&f->t, &f->cs);
}

/* Every operation selects the applet first: the card's 9000. */
static inline void
tape_select(struct fx *f)
{
	tape_sw(&f->t, PROTO_SW_OK);
}

/* A certificate of ua and pub signed by the key pair given. */
static inline void
make_cert(const uint8_t ua[PROTO_UA_LEN], const uint8_t pub[PROTO_EC_PUB_LEN],
    const uint8_t *ipriv, const uint8_t *ipub, uint8_t out[PROTO_CERT_LEN])
{
	struct proto_cert c = { .versions = { 1, 0, 1, 0 } };
	struct proto_wr w;

	memcpy(c.ua, ua, PROTO_UA_LEN);
	memcpy(c.pub, pub, PROTO_EC_PUB_LEN);
	proto_wr_init(&w, out, PROTO_CERT_LEN);
	if (proto_cert_sign(&c, ipriv, ipub, &w) != 0)
		abort();
}

/* The card's answer to GET DATA 01 09: its certificate from the issuer. */
static inline void
tape_cert(struct fx *f)
{
	uint8_t c[PROTO_CERT_LEN];

	make_cert(f->cs.ua, keys.sign_pub, issuer_priv, issuer_pub, c);
	tape_answer(&f->t, c, sizeof(c), PROTO_SW_OK);
}

/*
 * The card's next EXPORT answers: its certificate (every export reads
 * it), then its block seq, chained as a card does.
 */
static inline void
tape_export(struct fx *f, uint32_t seq)
{
	uint8_t b[PROTO_BLOCK_MAX];

	tape_cert(f);
	tape_chained(&f->t, b, tape_make_block(&keys, f->cs.ua, seq, 20, b),
	    PROTO_SW_OK);
}

/* Play the tape from the start and open the session. */
static inline void
insert(struct fx *f)
{
	tape_rewind(&f->t);
	assert_int_equal(dec_session_open(&f->st, "Tape Reader 00"), 0);
	assert_true(f->st.has_card);
}

/* M1 as it is in memory, and its file's bytes (empty if none). */
struct snap {
	struct dec_m1 m1;
	uint8_t *file;
	size_t len;
};

static inline void
snap_take(const struct fx *f, struct snap *s)
{
	s->m1 = f->st.m1;
	s->file = NULL;
	s->len = 0;
	if (proto_file_read(f->st.cfg.m1, DEC_M1_FILE_MAX, &s->file, &s->len) !=
	    0)
		s->len = 0;
}

static inline void
assert_unchanged(const struct fx *f, struct snap *s)
{
	struct snap now;

	snap_take(f, &now);
	assert_memory_equal(&now.m1, &s->m1, sizeof(s->m1));
	assert_int_equal(now.len, s->len);
	if (s->len > 0)
		assert_memory_equal(now.file, s->file, s->len);
	free(now.file);
	free(s->file);
}

/* M1 holds blocks of other cards, pending unless acked, saved. */
static inline void
m1_of_others(struct fx *f, size_t n, size_t acked)
{
	uint8_t b[PROTO_BLOCK_MAX], ua[PROTO_UA_LEN] = UA(0);
	size_t len;

	for (size_t i = 0; i < n; i++) {
		ua[0] = (uint8_t)(0xd0 + i);
		len = tape_make_block(&keys, ua, 3, 1, b);
		assert_int_equal(dec_m1_put(&f->st.m1, b, len, 1, 1000), 0);
		if (i < acked)
			f->st.m1.e[i].state = DEC_M1_ACKED;
	}
	assert_int_equal(dec_m1_save(f->st.cfg.m1, &f->st.key, &f->st.m1), 0);
}

#endif
