/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * The decoder's export policy and M1's deletion rule, on the daemon's own
 * modules (state, session, export, sync) with the card played from a tape:
 * when an export is due (the change counter moved, the interval passed,
 * asked), never from a transfer-locked card, never dropping another
 * card's entry the center has not acknowledged, M1 and its file changed
 * together or not at all; and an M1 entry leaves only when the center
 * acknowledged that very block (same UA and seq).
 */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

#include "../../decoder/emm.h"
#include "../../decoder/export.h"
#include "../../decoder/answer.h"
#include "../../decoder/contact.h"
#include "../../decoder/sync.h"
#include "../../proto/cmd.h"
#include "../../proto/m2.h"
#include "test_dec_fx.h"

/* --- when ------------------------------------------------------------------ */

static void
test_due_when_changed(void **state)
{
	struct fx *f = *state;
	struct dec_export_result res;

	assert_false(dec_export_due(&f->st, DEC_EXPORT_CHANGED, 0));
	tape_card(f);
	tape_select(f);
	tape_export(f, 5);
	tape_state(&f->t, &f->cs); /* the refresh after the export */
	insert(f);
	/* no entry of this card in M1 */
	assert_true(dec_export_due(&f->st, DEC_EXPORT_CHANGED, 0));
	assert_int_equal(dec_export_run(&f->st, "test", 1, &res), 0);
	assert_int_equal(res.seq, 5);
	/* M1 has it at this change counter */
	assert_false(dec_export_due(&f->st, DEC_EXPORT_CHANGED, 0));
	/* the counter moves: due again */
	f->st.card.st.change_ctr++;
	assert_true(dec_export_due(&f->st, DEC_EXPORT_CHANGED, 0));
	/* but never for a locked card */
	f->st.card.st.locked = 1;
	assert_false(dec_export_due(&f->st, DEC_EXPORT_CHANGED, 0));
}

static void
test_due_interval_and_asked(void **state)
{
	struct fx *f = *state;

	dec_export_schedule(&f->st, 1000);
	assert_int_equal(f->st.next_export, 1060);
	/* no card: nothing is due, and nothing to wake for */
	assert_false(dec_export_due(&f->st, DEC_EXPORT_INTERVAL, 2000));
	assert_false(dec_export_due(&f->st, DEC_EXPORT_ASKED, 2000));
	assert_int_equal(dec_export_deadline(&f->st), 0);
	tape_card(f);
	insert(f);
	dec_export_schedule(&f->st, 1000);
	assert_int_equal(dec_export_deadline(&f->st), 1060);
	assert_false(dec_export_due(&f->st, DEC_EXPORT_INTERVAL, 1059));
	assert_true(dec_export_due(&f->st, DEC_EXPORT_INTERVAL, 1060));
	assert_true(dec_export_due(&f->st, DEC_EXPORT_ASKED, 0));
	/* interval 0: never periodic */
	f->st.cfg.export_interval = 0;
	dec_export_schedule(&f->st, 1000);
	assert_false(dec_export_due(&f->st, DEC_EXPORT_INTERVAL, 1 << 30));
	assert_int_equal(dec_export_deadline(&f->st), 0);
}

/* The interval exports even when nothing changed; the tick reschedules. */
static void
test_tick_exports_on_interval(void **state)
{
	struct fx *f = *state;
	time_t now = time(NULL);

	tape_card(f);
	tape_select(f);
	tape_state(&f->t, &f->cs); /* the tick reads the state first */
	tape_export(f, 5);
	tape_state(&f->t, &f->cs);
	insert(f);
	f->st.next_export = now + 100;
	dec_export_tick(&f->st, now + 99);
	assert_int_equal(f->t.n_cmds, 2); /* SELECT, GET DATA: nothing due */
	dec_export_tick(&f->st, now + 100);
	assert_int_equal(tape_count_ins(&f->t, SM_INS_EXPORT), 1);
	assert_non_null(dec_m1_find(&f->st.m1, f->cs.ua));
	assert_true(f->st.next_export >= now + 60);
}

/* Asked: exported although the change counter did not move. */
static void
test_asked_exports_unchanged_card(void **state)
{
	struct fx *f = *state;
	struct dec_export_result res;
	struct dec_m1 back;

	tape_card(f);
	tape_select(f);
	tape_export(f, 5);
	tape_state(&f->t, &f->cs);
	tape_select(f);
	tape_state(&f->t, &f->cs); /* asked: GET DATA first */
	tape_export(f, 6);
	tape_state(&f->t, &f->cs);
	insert(f);
	assert_int_equal(dec_export_run(&f->st, "inserted", 1, &res), 0);
	assert_false(dec_export_due(&f->st, DEC_EXPORT_CHANGED, 0));
	assert_int_equal(dec_export_run(&f->st, "requested", 0, &res), 0);
	assert_int_equal(res.seq, 6);
	assert_int_equal(f->st.last_export_seq, 6);
	/* the file holds what memory holds */
	assert_int_equal(dec_m1_load(f->st.cfg.m1, &f->st.key, &back), 0);
	assert_int_equal(back.n, 1);
	assert_memory_equal(&back.e[0], &f->st.m1.e[0], sizeof(back.e[0]));
	assert_int_equal(back.e[0].seq, 6);
	assert_int_equal(back.e[0].state, DEC_M1_PENDING);
}

/* --- never ------------------------------------------------------------------ */

static void
test_never_from_a_locked_card(void **state)
{
	struct fx *f = *state;
	struct dec_export_result res;
	struct snap s;

	m1_of_others(f, 1, 0);
	f->cs.locked = 1;
	tape_card(f);
	tape_select(f);
	tape_state(&f->t, &f->cs);
	tape_export(f, 5); /* a card that would answer EXPORT anyway */
	insert(f);
	snap_take(f, &s);
	dec_export_if_changed(&f->st, "inserted");
	assert_int_equal(f->t.n_cmds, 2); /* nothing after the state */
	assert_int_equal(dec_export_run(&f->st, "requested", 0, &res),
	    PROTO_ERR_STATE);
	assert_int_equal(res.step, DEC_EXPORT_LOCKED);
	assert_int_equal(tape_count_ins(&f->t, SM_INS_EXPORT), 0);
	assert_string_equal(res.why,
	    "card c110020304050607 is transfer-locked");
	assert_string_equal(f->st.last_error, res.why);
	assert_unchanged(f, &s);
}

static void
test_never_over_anothers_pending_entry(void **state)
{
	struct fx *f = *state;
	struct dec_export_result res;
	char why[DEC_WHY_MAX];
	struct snap s;

	/* M1 full of other cards' entries the center has not acknowledged */
	m1_of_others(f, DEC_M1_MAX_ENTRIES, 0);
	tape_card(f);
	tape_select(f);
	tape_export(f, 5);
	tape_select(f);
	tape_export(f, 5);
	insert(f);
	snap_take(f, &s);
	assert_int_equal(dec_export_run(&f->st, "test", 1, &res),
	    PROTO_ERR_TOOBIG);
	assert_int_equal(res.step, DEC_EXPORT_M1_FULL);
	snprintf(why, sizeof(why), "M1 is full: %d entries wait for the center",
	    DEC_M1_MAX_ENTRIES);
	assert_string_equal(res.why, why);
	assert_unchanged(f, &s);
	/* a full M1 asks for an uplink, once per DEC_M1_FULL_GAP */
	assert_true(f->st.uplink_asked);
	assert_true(dec_sync_due(&f->st, 0));
	f->st.uplink_asked = 0;
	assert_int_equal(dec_export_run(&f->st, "test", 1, &res),
	    PROTO_ERR_TOOBIG);
	assert_false(f->st.uplink_asked);
}

static void
test_an_acked_entry_makes_room(void **state)
{
	struct fx *f = *state;
	struct dec_export_result res;
	uint8_t gone[PROTO_UA_LEN];

	m1_of_others(f, DEC_M1_MAX_ENTRIES, 1);
	memcpy(gone, f->st.m1.e[0].ua, PROTO_UA_LEN);
	tape_card(f);
	tape_select(f);
	tape_export(f, 5);
	tape_state(&f->t, &f->cs);
	insert(f);
	assert_int_equal(dec_export_run(&f->st, "test", 1, &res), 0);
	assert_int_equal(f->st.m1.n, DEC_M1_MAX_ENTRIES);
	assert_null(dec_m1_find(&f->st.m1, gone));
	assert_non_null(dec_m1_find(&f->st.m1, f->cs.ua));
	assert_int_equal(dec_m1_pending(&f->st.m1), DEC_M1_MAX_ENTRIES);
}

/* A new card beside the old card's pending entry: both stay. */
static void
test_old_cards_entry_stays(void **state)
{
	struct fx *f = *state;
	struct dec_export_result res;
	struct dec_m1_entry old;

	m1_of_others(f, 1, 0);
	old = f->st.m1.e[0];
	tape_card(f);
	tape_select(f);
	tape_export(f, 5);
	tape_state(&f->t, &f->cs);
	insert(f);
	assert_int_equal(dec_export_run(&f->st, "test", 1, &res), 0);
	assert_int_equal(f->st.m1.n, 2);
	assert_non_null(dec_m1_find(&f->st.m1, old.ua));
	assert_memory_equal(dec_m1_find(&f->st.m1, old.ua), &old, sizeof(old));
}

/* Refusals by the card or the disk leave M1 and its file alone. */
static void
test_failures_change_nothing(void **state)
{
	struct fx *f = *state;
	struct dec_export_result res;
	struct snap s;

	m1_of_others(f, 2, 0);
	tape_card(f);
	tape_select(f);
	tape_cert(f);
	tape_sw(&f->t, PROTO_SW_CONDITIONS); /* EXPORT refused */
	tape_select(f);
	tape_cert(f);
	tape_answer(&f->t, "\x90", 1, 0); /* EXPORT without SW */
	tape_select(f);
	tape_export(f, 4); /* older than M1's copy */
	tape_select(f);
	tape_export(f, 5); /* then the disk fails */
	insert(f);
	snap_take(f, &s);
	assert_int_equal(dec_export_run(&f->st, "test", 1, &res),
	    PROTO_ERR_STATE);
	assert_int_equal(res.step, DEC_EXPORT_REFUSED);
	assert_int_equal(res.sw, PROTO_SW_CONDITIONS);
	assert_int_equal(dec_export_run(&f->st, "test", 1, &res),
	    PROTO_ERR_FORMAT);
	assert_int_equal(res.step, DEC_EXPORT_REFUSED);
	assert_true(f->st.has_card); /* a bad answer does not end it */
	/* M1 already holds seq 4 of this card: an entry for seq 4 */
	f->st.m1.e[1] = f->st.m1.e[0];
	f->st.m1.e[1].seq = 4;
	memcpy(f->st.m1.e[1].ua, f->cs.ua, PROTO_UA_LEN);
	free(s.file);
	snap_take(f, &s);
	assert_int_equal(dec_export_run(&f->st, "test", 1, &res),
	    PROTO_ERR_RANGE);
	assert_int_equal(res.step, DEC_EXPORT_M1_REFUSED);
	assert_unchanged(f, &s);
	/* the file cannot be written: memory keeps the old M1 too */
	snprintf(f->st.cfg.m1, sizeof(f->st.cfg.m1), "%s/no/such/m1", f->dir);
	snap_take(f, &s);
	assert_int_equal(dec_export_run(&f->st, "test", 1, &res),
	    proto_err_sys(ENOENT));
	assert_int_equal(res.step, DEC_EXPORT_M1_WRITE);
	assert_unchanged(f, &s);
	/* the card gone in the middle: the session ends, M1 stays */
	snap_take(f, &s);
	assert_int_equal(dec_export_run(&f->st, "test", 0, &res), PROTO_ERR_IO);
	assert_int_equal(res.step, DEC_EXPORT_NO_ANSWER);
	assert_false(f->st.has_card);
	assert_int_equal(dec_export_run(&f->st, "test", 0, &res),
	    PROTO_ERR_STATE);
	assert_int_equal(res.step, DEC_EXPORT_NO_CARD);
	assert_unchanged(f, &s);
}

/* --- who may enter M1 (issue 9.4) --------------------------------------- */

/* The export's answers, the certificate given: SELECT, GET DATA 01 09. */
static void
tape_cert_answer(struct fx *f, const uint8_t *cert, size_t n, uint16_t sw)
{
	tape_select(f);
	tape_answer(&f->t, cert, n, sw);
}

/*
 * A card whose certificate is missing, forged, another card's, or whose
 * block another key signed: nothing enters M1, its pending entry of the
 * genuine card stays, EXPORT is not even asked for without a valid
 * certificate.
 */
static void
test_uncertified_never_enters_m1(void **state)
{
	struct fx *f = *state;
	struct dec_export_result res;
	struct proto_card_keys rogue;
	uint8_t cert[PROTO_CERT_LEN], ipriv[PROTO_EC_PRIV_LEN],
	    ipub[PROTO_EC_PUB_LEN], other[PROTO_UA_LEN] = UA(0xee),
				    b[PROTO_BLOCK_MAX];
	struct snap s;
	size_t n;

	assert_int_equal(tape_keys_make(&rogue), 0);
	assert_int_equal(proto_ec_keygen(ipriv, ipub), 0);
	/* the genuine card's entry, pending */
	tape_card(f);
	tape_select(f);
	tape_export(f, 5);
	tape_state(&f->t, &f->cs);
	/* 1: no certificate */
	tape_cert_answer(f, NULL, 0, PROTO_SW_REF_NOT_FOUND);
	/* 2: signed by another issuer */
	make_cert(f->cs.ua, rogue.sign_pub, ipriv, ipub, cert);
	tape_cert_answer(f, cert, sizeof(cert), PROTO_SW_OK);
	/* 3: our issuer's, for another UA */
	make_cert(other, rogue.sign_pub, issuer_priv, issuer_pub, cert);
	tape_cert_answer(f, cert, sizeof(cert), PROTO_SW_OK);
	/* 4: a certificate one byte short */
	tape_cert_answer(f, cert, sizeof(cert) - 1, PROTO_SW_OK);
	/* 5: the genuine card's certificate (public: anyone can read it),
	 * the block pinned at 0xFFFFFFFF and signed by the rogue's key */
	make_cert(f->cs.ua, keys.sign_pub, issuer_priv, issuer_pub, cert);
	tape_cert_answer(f, cert, sizeof(cert), PROTO_SW_OK);
	n = tape_make_block(&rogue, f->cs.ua, 0xffffffffu, 1, b);
	tape_chained(&f->t, b, n, PROTO_SW_OK);
	insert(f);
	assert_int_equal(dec_export_run(&f->st, "test", 1, &res), 0);
	assert_int_equal(f->st.cert_verdict, DEC_CERT_OK);
	snap_take(f, &s);
	assert_int_equal(dec_export_run(&f->st, "test", 1, &res),
	    PROTO_ERR_AUTH);
	assert_int_equal(res.step, DEC_EXPORT_UNCERTIFIED);
	assert_int_equal(f->st.cert_verdict, DEC_CERT_NONE);
	assert_string_equal(res.why,
	    "card c110020304050607 may not export into M1: it has no "
	    "certificate");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(dec_export_run(&f->st, "test", 1, &res),
		    PROTO_ERR_AUTH);
		assert_int_equal(res.step, DEC_EXPORT_UNCERTIFIED);
		assert_int_equal(f->st.cert_verdict, DEC_CERT_BAD);
	}
	assert_int_equal(tape_count_ins(&f->t, SM_INS_EXPORT), 1);
	assert_int_equal(dec_export_run(&f->st, "test", 1, &res),
	    PROTO_ERR_AUTH);
	assert_int_equal(res.step, DEC_EXPORT_M1_REFUSED);
	assert_non_null(strstr(res.why,
	    "does not verify under the card's "
	    "certified key"));
	assert_unchanged(f, &s);
	assert_int_equal(dec_m1_find(&f->st.m1, f->cs.ua)->seq, 5);
	assert_true(f->st.has_card);
}

static void
reject(struct proto_up_answer *ans, uint8_t ua0, uint32_t seq, uint8_t reason)
{
	struct proto_up_result *r = &ans->res[ans->n_res++];
	uint8_t ua[PROTO_UA_LEN] = UA(ua0);

	memset(r, 0, sizeof(*r));
	memcpy(r->ua, ua, PROTO_UA_LEN);
	r->seq = seq;
	r->status = PROTO_UP_REJECTED;
	r->reason = reason;
}

/*
 * A RECOVERED block the center rejects for good leaves M1 into the
 * quarantine; a reason that is not final, another block of the card, the
 * present card's own block (its UPLINK BLOCKS'), leave M1 alone.
 */
static void
test_final_rejections_quarantined(void **state)
{
	struct fx *f = *state;
	static struct proto_up_answer ans;
	static struct proto_up_hello hello;
	static struct dec_quar back;
	char path[PATH_MAX];
	struct snap s;

	m1_of_others(f, 4, 0); /* 0xd0 .. 0xd3 at seq 3 */
	memset(&ans, 0, sizeof(ans));
	memset(&hello, 0, sizeof(hello));
	hello.has_card = 1;
	memcpy(hello.ua, (const uint8_t *)"\xd3\x10\2\3\4\5\6\7", 8);
	reject(&ans, 0xd0, 3, PROTO_UP_BUSY);          /* not final */
	reject(&ans, 0xd1, 2, PROTO_UP_UNKNOWN_UA);    /* another block */
	reject(&ans, 0xd3, 3, PROTO_UP_BAD_SIGNATURE); /* the present card */
	snap_take(f, &s);
	assert_int_equal(dec_answer_quarantine(&f->st, &hello, &ans), 0);
	assert_unchanged(f, &s);
	assert_int_equal(f->st.quar.n, 0);
	/* final, for M1's very block: moved, file and memory */
	reject(&ans, 0xd1, 3, PROTO_UP_UNKNOWN_UA);
	reject(&ans, 0xd2, 3, PROTO_UP_REVOKED);
	assert_int_equal(dec_answer_quarantine(&f->st, &hello, &ans), 2);
	assert_int_equal(f->st.m1.n, 2);
	assert_null(
	    dec_m1_find(&f->st.m1, (const uint8_t *)"\xd1\x10\2\3\4\5\6\7"));
	assert_int_equal(f->st.quar.n, 2);
	assert_int_equal(f->st.quar.e[0].reason, PROTO_UP_UNKNOWN_UA);
	assert_int_equal(f->st.quar.e[1].reason, PROTO_UP_REVOKED);
	assert_int_equal(dec_quar_path(f->st.cfg.m1, path, sizeof(path)), 0);
	assert_int_equal(dec_quar_load(path, &back), 0);
	assert_int_equal(back.n, 2);
	assert_memory_equal(back.e, f->st.quar.e, 2 * sizeof(back.e[0]));
	/* the quarantine cannot be written: M1 keeps the entry */
	memset(&ans, 0, sizeof(ans));
	reject(&ans, 0xd0, 3, PROTO_UP_MALFORMED);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0); /* no file can go there */
	snap_take(f, &s);
	assert_int_equal(dec_answer_quarantine(&f->st, &hello, &ans), 0);
	assert_unchanged(f, &s);
	assert_int_equal(f->st.quar.n, 2);
	assert_int_equal(rmdir(path), 0);
}

/* --- EMMs (issue 10.3) ----------------------------------------------------- */

/* An EMM for ua on path, with counter: one line of hex appended to fp. */
static void
emm_line(FILE *fp, const uint8_t ua[PROTO_UA_LEN], uint8_t path,
    uint32_t counter, const uint8_t *priv, const uint8_t *pub)
{
	struct proto_cmd c = { .type = PROTO_CMD_RELOAD,
		.path = path,
		.counter = counter,
		.arg1 = 5 };
	uint8_t buf[PROTO_CMD_MAX_LEN];
	char hex[2 * PROTO_CMD_MAX_LEN + 1];
	struct proto_wr w;

	memcpy(c.ua, ua, PROTO_UA_LEN);
	proto_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(proto_cmd_sign(&c, priv, pub, &w), 0);
	proto_hex(buf, proto_wr_len(&w), hex);
	fprintf(fp, "%s\n", hex);
}

/*
 * The EMMs of emm_dir meant for the card (its UA, the broadcast path, a
 * counter above its broadcast counter) are fed lowest counter first,
 * whatever the files' order; the card's counter then filters them out
 * for good; one the card refused without consuming is remembered (in
 * memory and beside M1) and not fed again.
 */
static void
test_emm_fed_once_in_order(void **state)
{
	struct fx *f = *state;
	struct dec_emm_result res;
	static struct dec_emm_memory back;
	uint8_t cpriv[PROTO_EC_PRIV_LEN], cpub[PROTO_EC_PUB_LEN],
	    other[PROTO_UA_LEN] = UA(0xee);
	char path[PATH_MAX];
	FILE *fp;

	assert_int_equal(proto_ec_keygen(cpriv, cpub), 0);
	snprintf(f->st.cfg.emm_dir, sizeof(f->st.cfg.emm_dir), "%s", f->dir);
	snprintf(path, sizeof(path), "%s/a.emm", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	emm_line(fp, f->cs.ua, PROTO_CMD_PATH_BROADCAST, 3, cpriv, cpub);
	emm_line(fp, other, PROTO_CMD_PATH_BROADCAST, 9, cpriv, cpub);
	emm_line(fp, f->cs.ua, PROTO_CMD_PATH_UPLINK, 9, cpriv, cpub);
	emm_line(fp, f->cs.ua, PROTO_CMD_PATH_BROADCAST, 1, cpriv, cpub);
	fprintf(fp, "not an EMM\n\n");
	emm_line(fp, f->cs.ua, PROTO_CMD_PATH_BROADCAST, 2, cpriv, cpub);
	emm_line(fp, f->cs.ua, PROTO_CMD_PATH_BROADCAST, 4, cpriv, cpub);
	assert_int_equal(fclose(fp), 0);
	snprintf(path, sizeof(path), "%s/ignored.txt", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	emm_line(fp, f->cs.ua, PROTO_CMD_PATH_BROADCAST, 5, cpriv, cpub);
	assert_int_equal(fclose(fp), 0);
	f->cs.bcast_ctr = 1;
	tape_card(f);
	/* the feed: its state, then counters 2 (applied), 3 (consumed but
	 * refused), 4 (a bad signature: not consumed), then the state */
	tape_select(f);
	tape_state(&f->t, &f->cs);
	tape_sw(&f->t, PROTO_SW_OK);
	tape_sw(&f->t, SM_SW_CMD_REFUSED);
	tape_sw(&f->t, PROTO_SW_SECURITY);
	f->cs.bcast_ctr = 3;
	f->cs.flags = PROTO_M2_FLAG_EXPORT;
	tape_state(&f->t, &f->cs);
	/* the next feed: nothing left to feed */
	tape_select(f);
	tape_state(&f->t, &f->cs);
	tape_state(&f->t, &f->cs);
	insert(f);
	assert_int_equal(dec_emm_feed(&f->st, &res), 0);
	assert_int_equal(res.files, 1);
	assert_int_equal(res.lines, 7);
	assert_int_equal(res.bad, 1);
	assert_int_equal(res.fed, 3); /* 2, 3, 4: in order, none skipped */
	assert_int_equal(res.applied, 1);
	assert_int_equal(res.consumed_refused, 1);
	assert_int_equal(res.refused, 1);
	assert_int_equal(tape_count_ins(&f->t, SM_INS_COMMAND), 3);
	assert_true(res.export_requested);
	assert_int_equal(f->st.card.st.bcast_ctr, 3);
	assert_int_equal(f->st.emm_refused.n, 1);
	/* the export policy sees the flag */
	assert_true(dec_export_due(&f->st, DEC_EXPORT_CHANGED, 0));
	assert_int_equal(dec_emm_memory_path(f->st.cfg.m1, path, sizeof(path)),
	    0);
	assert_int_equal(dec_emm_memory_load(path, &back), 0);
	assert_int_equal(back.n, 1);
	assert_memory_equal(back.d[0], f->st.emm_refused.d[0],
	    DEC_EMM_DIGEST_LEN);
	/* again: 2 and 3 are below the card's counter, 4 is remembered */
	assert_int_equal(dec_emm_feed(&f->st, &res), 0);
	assert_int_equal(res.fed, 0);
	assert_int_equal(tape_count_ins(&f->t, SM_INS_COMMAND), 3);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/a.emm", f->dir);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/ignored.txt", f->dir);
	assert_int_equal(unlink(path), 0);
}

/* --- the deletion rule ------------------------------------------------- */

static void
test_ack_deletes_only_that_block(void **state)
{
	struct fx *f = *state;
	static struct dec_m1 before;
	uint8_t a[PROTO_UA_LEN] = UA(0xd0), other[PROTO_UA_LEN] = UA(0xee);

	m1_of_others(f, 2, 0); /* 0xd0 and 0xd1, each at seq 3 */
	before = f->st.m1;
	assert_int_equal(dec_m1_ack(&f->st.m1, a, 2), PROTO_ERR_RANGE);
	assert_int_equal(dec_m1_ack(&f->st.m1, a, 4), PROTO_ERR_RANGE);
	assert_int_equal(dec_m1_ack(&f->st.m1, other, 3), PROTO_ERR_NOTFOUND);
	assert_memory_equal(&f->st.m1, &before, sizeof(before));
	assert_int_equal(dec_m1_ack(&f->st.m1, a, 3), 0);
	assert_int_equal(f->st.m1.n, 1);
	assert_null(dec_m1_find(&f->st.m1, a));
}

static void
ack(struct proto_up_answer *ans, uint8_t ua0, uint32_t seq)
{
	uint8_t ua[PROTO_UA_LEN] = UA(ua0);

	memcpy(ans->ack_ua[ans->n_acks], ua, PROTO_UA_LEN);
	ans->ack_seq[ans->n_acks++] = seq;
}

static void
test_sync_forgets_only_acked_blocks(void **state)
{
	struct fx *f = *state;
	static struct proto_up_answer ans;
	struct dec_m1 back;
	struct snap s;

	m1_of_others(f, 3, 0); /* 0xd0, 0xd1, 0xd2 at seq 3 */
	/* an older seq, another UA, a newer seq: nothing is deleted */
	memset(&ans, 0, sizeof(ans));
	ack(&ans, 0xd0, 2);
	ack(&ans, 0xee, 3);
	ack(&ans, 0xd2, 4);
	snap_take(f, &s);
	assert_int_equal(dec_answer_forget_acked(&f->st, &ans), 0);
	assert_unchanged(f, &s);
	/* that very block: only it goes, in memory and in the file */
	ack(&ans, 0xd1, 3);
	assert_int_equal(dec_answer_forget_acked(&f->st, &ans), 1);
	assert_int_equal(f->st.m1.n, 2);
	assert_null(
	    dec_m1_find(&f->st.m1, (const uint8_t *)"\xd1\x10\2\3\4\5\6\7"));
	assert_int_equal(dec_m1_load(f->st.cfg.m1, &f->st.key, &back), 0);
	assert_memory_equal(&back, &f->st.m1, sizeof(back));
	/* an ack the file cannot take deletes nothing */
	memset(&ans, 0, sizeof(ans));
	ack(&ans, 0xd0, 3);
	snprintf(f->st.cfg.m1, sizeof(f->st.cfg.m1), "%s/no/such/m1", f->dir);
	snap_take(f, &s);
	assert_int_equal(dec_answer_forget_acked(&f->st, &ans), 0);
	assert_unchanged(f, &s);
}

/*
 * A whole answer: every result counted, the session counted rejected
 * once, that very acked block deleted, the one rejected for good moved;
 * the commands are for the card the HELLO named, which has left: the
 * reader is not spoken to.  An answer with no rejection counts ok.
 */
static void
test_answer_applied(void **state)
{
	struct fx *f = *state;
	static struct proto_up_answer ans;
	static struct proto_up_hello hello;
	struct dec_answer_done done;
	struct proto_up_result *r;

	m1_of_others(f, 3, 0); /* 0xd0, 0xd1, 0xd2 at seq 3 */
	memset(&ans, 0, sizeof(ans));
	memset(&hello, 0, sizeof(hello));
	hello.has_card = 1;
	memcpy(hello.ua, (const uint8_t *)"\xd3\x10\2\3\4\5\6\7", 8);
	r = &ans.res[ans.n_res++];
	r->status = PROTO_UP_ACCEPTED;
	r = &ans.res[ans.n_res++];
	r->status = PROTO_UP_DUPLICATE;
	reject(&ans, 0xd2, 3, PROTO_UP_REVOKED);
	reject(&ans, 0xd0, 3, PROTO_UP_BUSY); /* not final: stays */
	ack(&ans, 0xd1, 3);
	ans.n_cmds = 1;
	memset(&done, 0x5a, sizeof(done));
	dec_answer_apply(&f->st, &hello, &ans, &done);
	assert_int_equal(done.applied, 0);
	assert_int_equal(done.deleted, 1);
	assert_int_equal(done.quarantined, 1);
	assert_int_equal(f->t.n_cmds, 0);
	assert_int_equal(f->st.m1.n, 1);
	assert_non_null(
	    dec_m1_find(&f->st.m1, (const uint8_t *)"\xd0\x10\2\3\4\5\6\7"));
	assert_int_equal(f->st.n.blocks_accepted, 1);
	assert_int_equal(f->st.n.blocks_duplicate, 1);
	assert_int_equal(f->st.n.blocks_rejected, 2);
	assert_int_equal(f->st.n.uplinks_rejected, 1);
	assert_int_equal(f->st.n.uplinks_ok, 0);
	assert_int_equal(f->st.n.m1_acked, 1);
	assert_int_equal(f->st.n.commands_applied, 0);
	/* nothing rejected, nothing to delete: ok, M1 as it was */
	memset(&ans, 0, sizeof(ans));
	r = &ans.res[ans.n_res++];
	r->status = PROTO_UP_ACCEPTED;
	dec_answer_apply(&f->st, &hello, &ans, &done);
	assert_int_equal(done.applied + done.deleted + done.quarantined, 0);
	assert_int_equal(f->st.m1.n, 1);
	assert_int_equal(f->st.n.uplinks_ok, 1);
	assert_int_equal(f->st.n.uplinks_rejected, 1);
	assert_int_equal(f->st.n.blocks_accepted, 2);
}

/* --- the first contact of a transfer-locked card ---------------------------- */

static void
test_contact_backoff(void **state)
{
	(void)state;
	assert_int_equal(dec_contact_backoff(0, 60), DEC_CONTACT_FIRST_WAIT);
	assert_int_equal(dec_contact_backoff(2, 60), 4);
	assert_int_equal(dec_contact_backoff(16, 60), 32);
	assert_int_equal(dec_contact_backoff(32, 60), 60);
	assert_int_equal(dec_contact_backoff(60, 60), 60);
	/* a cap below the first wait is the wait */
	assert_int_equal(dec_contact_backoff(0, 1), 1);
	/* no overflow */
	assert_int_equal(dec_contact_backoff(UINT_MAX, UINT_MAX), UINT_MAX);
	assert_int_equal(dec_contact_backoff(UINT_MAX / 2 + 1, UINT_MAX),
	    UINT_MAX);
}

/* A locked card: due at once, then 2 s, 4 s, 8 s after each failure. */
static void
test_contact_tries_again(void **state)
{
	struct fx *f = *state;
	struct dec_sync_result res;
	const time_t t = 1000;

	f->cs.locked = 1;
	tape_card(f);
	insert(f);
	f->st.cfg.first_contact_max = 8;
	dec_contact_arrived(&f->st, t);
	assert_true(dec_contact_due(&f->st, t));
	assert_int_equal(dec_contact_deadline(&f->st), t);
	memset(&res, 0, sizeof(res));
	res.rc = PROTO_ERR_IO; /* the center could not be reached */
	dec_contact_after(&f->st, &res, t);
	assert_false(dec_contact_due(&f->st, t + 1));
	assert_true(dec_contact_due(&f->st, t + 2));
	dec_contact_after(&f->st, &res, t + 2);
	assert_int_equal(dec_contact_deadline(&f->st), t + 6);
	dec_contact_after(&f->st, &res, t + 6);
	assert_int_equal(dec_contact_deadline(&f->st), t + 14);
	dec_contact_after(&f->st, &res, t + 14);
	assert_int_equal(dec_contact_deadline(&f->st), t + 22); /* cap */
	assert_int_equal(f->st.contact_tries, 4);
	/* the session went, but the card could not be read: again */
	res.rc = 0;
	res.present_rc = PROTO_ERR_STATE;
	dec_contact_after(&f->st, &res, t + 22);
	assert_int_equal(dec_contact_deadline(&f->st), t + 30);
	/* the center sent commands the card did not take: again */
	res.present_rc = 0;
	res.out.ans.n_cmds = 1;
	res.applied = 0;
	dec_contact_after(&f->st, &res, t + 30);
	assert_int_equal(dec_contact_deadline(&f->st), t + 38);
	/* a session under way: not due, and nothing to wake for */
	f->st.sync = (struct dec_sync *)&res;
	assert_false(dec_contact_due(&f->st, t + 100));
	assert_int_equal(dec_contact_deadline(&f->st), 0);
	f->st.sync = NULL;
	/* unlocked by it: over */
	f->st.card.st.locked = 0;
	res.applied = 1;
	dec_contact_after(&f->st, &res, t + 40);
	assert_int_equal(dec_contact_deadline(&f->st), 0);
	assert_false(dec_contact_due(&f->st, t + 100));
	assert_int_equal(f->st.contact_tries, 7);
}

/* When there is no first contact to make, or no more. */
static void
test_contact_ends(void **state)
{
	struct fx *f = *state;
	struct dec_sync_result res;
	const time_t t = 1000;

	memset(&res, 0, sizeof(res));
	/* an unlocked card needs none */
	tape_card(f);
	insert(f);
	dec_contact_arrived(&f->st, t);
	assert_false(dec_contact_due(&f->st, t));
	assert_int_equal(dec_contact_deadline(&f->st), 0);
	/* nor a locked one with first_contact off */
	f->st.card.st.locked = 1;
	f->st.cfg.first_contact = 0;
	dec_contact_arrived(&f->st, t);
	assert_false(dec_contact_due(&f->st, t));
	/* the center answered, the card took everything, still locked:
	 * the center's choice, no more tries */
	f->st.cfg.first_contact = 1;
	dec_contact_arrived(&f->st, t);
	assert_true(dec_contact_due(&f->st, t));
	dec_contact_after(&f->st, &res, t);
	assert_int_equal(dec_contact_deadline(&f->st), 0);
	/* the card left: no try for it, even when one was due */
	dec_contact_arrived(&f->st, t);
	res.rc = PROTO_ERR_IO;
	dec_contact_after(&f->st, &res, t);
	assert_int_equal(dec_contact_deadline(&f->st), t + 2);
	f->st.has_card = 0;
	assert_false(dec_contact_due(&f->st, t + 2));
	assert_int_equal(dec_contact_deadline(&f->st), 0);
	/* another card in its place is not the one the contact was for */
	f->st.has_card = 1;
	dec_contact_arrived(&f->st, t);
	f->st.card.st.ua[0] ^= 1;
	assert_false(dec_contact_due(&f->st, t));
	assert_int_equal(dec_contact_deadline(&f->st), 0);
}

/* --- usage data: exported too, coalesced ------------------------------------ */

/*
 * A card exported once at insertion (seq 5), usage exports every 60 s,
 * no periodic one; on the tape, a second export (seq 6) after a GET DATA.
 */
static void
usage_card(struct fx *f, struct dec_export_result *res)
{
	f->st.cfg.export_interval = 0;
	f->st.cfg.usage_export_gap = 60;
	tape_card(f);
	tape_select(f);
	tape_export(f, 5);
	tape_state(&f->t, &f->cs);
	tape_select(f);
	tape_state(&f->t, &f->cs);
	tape_select(f);
	tape_export(f, 6);
	tape_state(&f->t, &f->cs);
	insert(f);
	assert_int_equal(dec_export_run(&f->st, "inserted", 1, res), 0);
}

/* Usage changes within a gap make one export, at the gap's end. */
static void
test_usage_coalesced(void **state)
{
	struct fx *f = *state;
	struct dec_export_result res;
	time_t t;

	usage_card(f, &res);
	t = (time_t)dec_m1_find(&f->st.m1, f->cs.ua)->exported_at;
	/* the export carried the power-up: nothing pending */
	assert_int_equal(f->st.usage_since, 0);
	assert_int_equal(dec_export_usage_at(&f->st), 0);
	/* ECMs at t + 1, t + 10, t + 20: one export, a gap after the last */
	dec_state_usage(&f->st, t + 1);
	dec_state_usage(&f->st, t + 10);
	dec_state_usage(&f->st, t + 20);
	assert_int_equal(dec_export_usage_at(&f->st), t + 60);
	assert_int_equal(dec_export_deadline(&f->st), t + 60);
	assert_false(dec_export_due(&f->st, DEC_EXPORT_USAGE, t + 59));
	/* the change counter did not move: no other trigger is due */
	assert_false(dec_export_due(&f->st, DEC_EXPORT_CHANGED, t + 59));
	dec_export_tick(&f->st, t + 59);
	assert_int_equal(tape_count_ins(&f->t, SM_INS_EXPORT), 1);
	assert_true(dec_export_due(&f->st, DEC_EXPORT_USAGE, t + 60));
	dec_export_tick(&f->st, t + 60);
	assert_int_equal(tape_count_ins(&f->t, SM_INS_EXPORT), 2);
	assert_int_equal(dec_m1_find(&f->st.m1, f->cs.ua)->seq, 6);
	/* nothing pending after it */
	assert_int_equal(f->st.usage_since, 0);
	assert_int_equal(dec_export_deadline(&f->st), 0);
	dec_export_tick(&f->st, t + 1000);
	assert_int_equal(tape_count_ins(&f->t, SM_INS_EXPORT), 2);
}

/* Long after the last export, a usage change exports at once. */
static void
test_usage_after_a_gap(void **state)
{
	struct fx *f = *state;
	struct dec_export_result res;
	time_t now = time(NULL);

	usage_card(f, &res);
	dec_m1_find(&f->st.m1, f->cs.ua)->exported_at = (uint64_t)now - 600;
	dec_state_usage(&f->st, now);
	assert_int_equal(dec_export_usage_at(&f->st), now);
	dec_export_after(&f->st, "after ECMs");
	assert_int_equal(tape_count_ins(&f->t, SM_INS_EXPORT), 2);
	assert_int_equal(f->st.usage_since, 0);
}

/* Off (gap 0), or a locked card: usage never exports. */
static void
test_usage_never(void **state)
{
	struct fx *f = *state;

	f->st.cfg.export_interval = 0;
	f->cs.locked = 1;
	tape_card(f);
	insert(f);
	f->st.cfg.usage_export_gap = 60;
	dec_state_usage(&f->st, 1000);
	/* no M1 entry: due at the change, but not from a locked card */
	assert_int_equal(dec_export_usage_at(&f->st), f->st.usage_since);
	assert_false(dec_export_due(&f->st, DEC_EXPORT_USAGE, 1 << 30));
	assert_int_equal(dec_export_deadline(&f->st), 0);
	/* and nothing with the policy off */
	f->st.card.st.locked = 0;
	f->st.cfg.usage_export_gap = 0;
	assert_int_equal(dec_export_usage_at(&f->st), 0);
	assert_false(dec_export_due(&f->st, DEC_EXPORT_USAGE, 1 << 30));
	assert_int_equal(dec_export_deadline(&f->st), 0);
	/* nor without a card */
	f->st.cfg.usage_export_gap = 60;
	f->st.has_card = 0;
	assert_false(dec_export_due(&f->st, DEC_EXPORT_USAGE, 1 << 30));
	f->st.has_card = 1;
}

/* A usage export that fails changes nothing and waits a gap. */
static void
test_usage_failure_waits(void **state)
{
	struct fx *f = *state;
	struct snap s;
	time_t now = time(NULL);

	f->st.cfg.export_interval = 0;
	f->st.cfg.usage_export_gap = 60;
	m1_of_others(f, DEC_M1_MAX_ENTRIES, 0); /* M1 full of pending */
	tape_card(f);
	tape_select(f); /* the tick reads the state first */
	tape_state(&f->t, &f->cs);
	tape_select(f);
	tape_export(f, 5); /* M1 cannot take it */
	insert(f);
	dec_state_usage(&f->st, now);
	snap_take(f, &s);
	dec_export_tick(&f->st, now);
	assert_unchanged(f, &s);
	assert_true(f->st.usage_retry >= now + 60);
	assert_false(dec_export_due(&f->st, DEC_EXPORT_USAGE, now + 59));
	assert_true(dec_export_deadline(&f->st) >= now + 60);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_new, fx_free)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_due_when_changed),
		T(test_due_interval_and_asked),
		T(test_tick_exports_on_interval),
		T(test_asked_exports_unchanged_card),
		T(test_never_from_a_locked_card),
		T(test_never_over_anothers_pending_entry),
		T(test_an_acked_entry_makes_room),
		T(test_old_cards_entry_stays),
		T(test_failures_change_nothing),
		T(test_uncertified_never_enters_m1),
		T(test_final_rejections_quarantined),
		T(test_emm_fed_once_in_order),
		T(test_ack_deletes_only_that_block),
		T(test_sync_forgets_only_acked_blocks),
		T(test_answer_applied),
		cmocka_unit_test(test_contact_backoff),
		T(test_contact_tries_again),
		T(test_contact_ends),
		T(test_usage_coalesced),
		T(test_usage_after_a_gap),
		T(test_usage_never),
		T(test_usage_failure_waits),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
