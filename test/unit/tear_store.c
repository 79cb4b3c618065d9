/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * Tear sweep of the card store: a child process runs one transaction and
 * is killed (failpoint, _exit) at the n-th write point of its commit, for
 * every n; the parent reloads the image and requires it to equal the
 * state before the transaction or the state after it, never anything else,
 * and requires the card to work on afterwards.  The same sweep runs over
 * mutating APDUs through the runtime: the identity applet's INCREMENT and
 * the security module's BUY EVENT, PROCESS ECM (also one that drops an
 * expired right), PROCESS COMMAND (applied; refused but consumed, 9303;
 * export now; disable) and EXPORT (whose sequence number must never go
 * backwards or repeat, also when it answers the center's request).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../card/applets.h"
#include "../../card/runtime.h"
#include "../../card/store.h"
#include "../../proto/file.h"
#include "../../proto/proto.h"
#include "smfix.c"

static const uint8_t serial[CARD_SERIAL_LEN] = { 9, 9, 9, 9, 1, 2, 3, 4 };
static const uint8_t aid[] = { 0xf0, 't', 'e', 'a', 'r' };
static const uint8_t aid2[] = { 0xf0, 'n', 'e', 'w', '!' };

static char dir[64], path[128];
/* Run after each crash, on the reloaded image. */
static void (*after_crash)(void);

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ptv-tear.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/card.img", dir);
	return 0;
}

static int
teardown(void **state)
{
	char tmp[160];

	(void)state;
	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
	return 0;
}

static void
image_bytes(uint8_t **img, size_t *len)
{
	struct card_store *s = NULL;

	assert_int_equal(card_store_open(path, &s), 0);
	assert_int_equal(card_store_encode(s, img, len), 0);
	card_store_free(&s);
}

/* The transaction under test: several writes and a new region. */
static int
store_tx(void)
{
	struct card_store *s = NULL;
	int id, id2, rc;

	if ((rc = card_store_open(path, &s)) != 0)
		return rc;
	if ((rc = card_store_region(s, aid, sizeof(aid), &id, NULL)) != 0 ||
	    (rc = card_store_begin(s)) != 0 ||
	    (rc = card_store_write(s, id, 0, "new-head", 8)) != 0 ||
	    (rc = card_store_write(s, id, 100, "new-tail", 8)) != 0 ||
	    (rc = card_store_add_region(s, aid2, sizeof(aid2), 32, &id2)) !=
		0 ||
	    (rc = card_store_write(s, id2, 0, "x", 1)) != 0)
		goto out;
	rc = card_store_commit(s);
out:
	card_store_free(&s);
	return rc;
}

static int
apdu_tx(void)
{
	static const uint8_t sel[] = { 0x00, 0xa4, 0x04, 0x00, 0x07, 0xf0, 'P',
		'T', 'V', 'I', 'D', 0x01 };
	static const uint8_t inc[] = { 0x80, 0x10, 0x00, 0x00, 0x04 };
	const struct card_applet *const *apps;
	struct card_store *s = NULL;
	struct card_rt *rt = NULL;
	uint8_t out[64];
	size_t n, napps;
	int rc;

	apps = card_applets(&napps);
	if ((rc = card_store_open(path, &s)) != 0 ||
	    (rc = card_rt_new(s, apps, napps, &rt)) != 0)
		goto out;
	n = card_rt_transmit(rt, sel, sizeof(sel), out, sizeof(out));
	rc = n == 2 && out[0] == 0x90 ? 0 : PROTO_ERR_STATE;
	if (rc == 0) {
		n = card_rt_transmit(rt, inc, sizeof(inc), out, sizeof(out));
		rc = n == 6 && out[4] == 0x90 ? 0 : PROTO_ERR_STATE;
	}
out:
	card_rt_free(&rt);
	card_store_free(&s);
	return rc;
}

/*
 * Run tx in a child crashing at failpoint n.  Returns 1 if it crashed, 0
 * if it ran to the end.
 */
static int
run_child(int (*tx)(void), unsigned long n)
{
	pid_t pid;
	int status;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		proto_failpoint_arm(n);
		_exit(tx() == 0 ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == PROTO_CRASH_EXIT)
		return 1;
	assert_int_equal(WEXITSTATUS(status), 0);
	return 0;
}

/* After a crash the image still takes a commit (a stale temporary file
 * left by the crash is no obstacle). */
static void
works_on(void)
{
	struct card_store *s = NULL;
	uint8_t b = 0, want;

	assert_int_equal(card_store_open(path, &s), 0);
	assert_int_equal(card_store_read(s, 0, 0, &b, 1), 0);
	want = b ^ 0xff;
	assert_int_equal(card_store_write(s, 0, 0, &want, 1), 0);
	card_store_free(&s);
	assert_int_equal(card_store_open(path, &s), 0);
	assert_int_equal(card_store_read(s, 0, 0, &b, 1), 0);
	assert_int_equal(b, want);
	card_store_free(&s);
}

static void
sweep(int (*tx)(void), const uint8_t *before, size_t blen)
{
	uint8_t *after = NULL, *now;
	size_t alen = 0, nlen;
	unsigned long n, saw_before = 0, saw_after = 0;

	/* Learn the after-state from an uninterrupted run. */
	assert_int_equal(run_child(tx, 0), 0);
	image_bytes(&after, &alen);
	assert_false(alen == blen && memcmp(after, before, blen) == 0);
	for (n = 1; n < 100; n++) {
		assert_int_equal(proto_file_replace(path, before, blen, 0600),
		    0);
		if (!run_child(tx, n))
			break; /* no n-th failpoint: sweep complete */
		image_bytes(&now, &nlen);
		if (nlen == blen && memcmp(now, before, blen) == 0)
			saw_before++;
		else if (nlen == alen && memcmp(now, after, alen) == 0)
			saw_after++;
		else
			fail_msg("torn image after crash at point %lu", n);
		free(now);
		works_on();
		if (after_crash != NULL)
			after_crash();
	}
	printf("# %lu crash points: %lu before, %lu after\n", n - 1, saw_before,
	    saw_after);
	assert_true(n > 4);
	assert_true(saw_before > 0 && saw_after > 0);
	free(after);
}

static void
test_sweep_store(void **state)
{
	struct card_store *s = NULL;
	uint8_t *before;
	size_t blen;
	int id;

	(void)state;
	assert_int_equal(card_store_create(path, serial, &s), 0);
	assert_int_equal(card_store_begin(s), 0);
	assert_int_equal(card_store_add_region(s, aid, sizeof(aid), 256, &id),
	    0);
	assert_int_equal(card_store_write(s, id, 0, "old-head", 8), 0);
	assert_int_equal(card_store_commit(s), 0);
	card_store_free(&s);
	image_bytes(&before, &blen);
	sweep(store_tx, before, blen);
	free(before);
}

static void
test_sweep_apdu(void **state)
{
	struct card_store *s = NULL;
	uint8_t *before;
	size_t blen;

	(void)state;
	assert_int_equal(card_store_create(path, serial, &s), 0);
	assert_int_equal(card_rt_install(s, &card_ident_applet), 0);
	card_store_free(&s);
	image_bytes(&before, &blen);
	sweep(apdu_tx, before, blen);
	free(before);
}

/* --- security module ------------------------------------------------- */

static uint8_t sm_apdu[512];
static size_t sm_apdu_len;
static uint32_t sm_seq_before;
static uint16_t sm_want = 0x9000; /* the SW of an uninterrupted run */

static int
sm_open(struct card_store **s, struct card_rt **rt)
{
	static const uint8_t sel[] = { 0x00, 0xa4, 0x04, 0x00, 0x07, 0xf0, 'P',
		'T', 'V', 'S', 'M', 0x01 };
	const struct card_applet *const *apps;
	uint8_t out[8];
	size_t napps;
	int rc;

	apps = card_applets(&napps);
	if ((rc = card_store_open(path, s)) != 0 ||
	    (rc = card_rt_new(*s, apps, napps, rt)) != 0)
		return rc;
	return card_rt_transmit(*rt, sel, sizeof(sel), out, sizeof(out)) == 2 &&
		out[0] == 0x90 ?
	    0 :
	    PROTO_ERR_STATE;
}

/* Send sm_apdu to the card in path; 0 if it answered sm_want. */
static int
sm_tx(void)
{
	static uint8_t out[4096];
	struct card_store *s = NULL;
	struct card_rt *rt = NULL;
	size_t n;
	int rc;

	if ((rc = sm_open(&s, &rt)) == 0) {
		n = card_rt_transmit(rt, sm_apdu, sm_apdu_len, out,
		    sizeof(out));
		rc = n >= 2 && out[n - 2] == sm_want >> 8 &&
			out[n - 1] == (sm_want & 0xff) ?
		    0 :
		    PROTO_ERR_STATE;
	}
	card_rt_free(&rt);
	card_store_free(&s);
	return rc;
}

static void
set_apdu(uint8_t ins, const uint8_t *data, size_t lc, size_t ne)
{
	struct proto_apdu a = { .cla = 0x80,
		.ins = ins,
		.data = data,
		.lc = lc,
		.ne = ne };
	struct proto_wr w;

	proto_wr_init(&w, sm_apdu, sizeof(sm_apdu));
	assert_int_equal(proto_apdu_encode(&a, &w), 0);
	sm_apdu_len = proto_wr_len(&w);
}

/* A personalized card at path; f keeps the keys, not the image open. */
static struct smfix *
sm_card(void)
{
	struct smfix *f = smfix_new(FX_CREDIT);

	assert_int_equal(smfix_select(f), 0x9000);
	return f;
}

static void
sm_sweep(struct smfix *f)
{
	uint8_t *before;
	size_t blen;

	snprintf(path, sizeof(path), "%s", f->path);
	card_rt_free(&f->rt);
	card_store_free(&f->s);
	image_bytes(&before, &blen);
	sweep(sm_tx, before, blen);
	free(before);
	after_crash = NULL;
	sm_want = 0x9000;
	snprintf(path, sizeof(path), "%s/card.img", dir);
}

static void
test_sweep_sm_buy(void **state)
{
	struct smfix *f = sm_card();
	uint8_t ecm[PROTO_ECM_LEN];

	(void)state;
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_UNLOCK, 0, 0), 0x9000);
	smfix_ecm(f, 7, 42, FX_T0, FX_T0 + 3600, PROTO_ECM_PPV, 300, NULL, ecm);
	set_apdu(0x32, ecm, sizeof(ecm), 256);
	sm_sweep(f);
	smfix_free(&f);
}

/* An ECM at the expiry of the card's right: the right goes with it. */
static void
test_sweep_sm_ecm_expiry(void **state)
{
	struct smfix *f = sm_card();
	uint8_t ecm[PROTO_ECM_LEN];

	(void)state;
	smfix_ecm(f, 9, 1, FX_T0 + 1000, FX_T0 + 2000, 0, 0, NULL, ecm);
	set_apdu(0x30, ecm, sizeof(ecm), 256);
	sm_want = SM_SW_NOT_ENTITLED;
	sm_sweep(f);
	smfix_free(&f);
}

/*
 * A command consumed but not carried out (revoke of a right not held):
 * its counter, its outcome and the change counter commit together.
 */
static void
test_sweep_sm_refused(void **state)
{
	struct smfix *f = sm_card();
	uint8_t c[PROTO_CMD_MAX_LEN];
	size_t n;

	(void)state;
	n = smfix_cmd(f, PROTO_CMD_REVOKE, 1, 999, 0, NULL, c);
	set_apdu(0x50, c, n, 2);
	sm_want = SM_SW_CMD_REFUSED;
	sm_sweep(f);
	smfix_free(&f);
}

/* Export now and disable, from the broadcast: a flag and a counter. */
static void
test_sweep_sm_flags(void **state)
{
	static const uint8_t types[] = { PROTO_CMD_EXPORT, PROTO_CMD_DISABLE };
	uint8_t c[PROTO_CMD_MAX_LEN];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(types); i++) {
		struct smfix *f = sm_card();

		n = smfix_cmd_path(f, types[i], PROTO_CMD_PATH_BROADCAST, 1, 0,
		    0, NULL, c);
		set_apdu(0x50, c, n, 0);
		sm_sweep(f);
		smfix_free(&f);
	}
}

static void
test_sweep_sm_ecm(void **state)
{
	struct smfix *f = sm_card();
	uint8_t ecm[PROTO_ECM_LEN];

	(void)state;
	smfix_ecm(f, 5, 1, FX_T0, FX_T0 + 60, PROTO_ECM_SUBSCRIPTION, 0, NULL,
	    ecm);
	set_apdu(0x30, ecm, sizeof(ecm), 256);
	sm_sweep(f);
	smfix_free(&f);
}

static void
test_sweep_sm_command(void **state)
{
	struct smfix *f = sm_card();
	uint8_t c[PROTO_CMD_MAX_LEN];
	size_t n;

	(void)state;
	n = smfix_cmd(f, PROTO_CMD_RELOAD, 1, 250, 0, NULL, c);
	set_apdu(0x50, c, n, 0);
	sm_sweep(f);
	smfix_free(&f);
}

/* After a crash, the next EXPORT's sequence is above every one issued. */
static void
export_seq_moves_on(void)
{
	static uint8_t out[4096];
	struct card_store *s = NULL;
	struct card_rt *rt = NULL;
	struct proto_block b;
	size_t n;

	assert_int_equal(sm_open(&s, &rt), 0);
	n = card_rt_transmit(rt, sm_apdu, sm_apdu_len, out, sizeof(out));
	assert_true(n > 2);
	assert_int_equal(out[n - 2], 0x90);
	assert_int_equal(proto_block_parse(out, n - 2, &b), 0);
	/* the uninterrupted run issued sm_seq_before + 1 */
	assert_true(b.seq > sm_seq_before);
	card_rt_free(&rt);
	card_store_free(&s);
}

static void
test_sweep_sm_export(void **state)
{
	struct smfix *f = sm_card();

	(void)state;
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_UNLOCK, 0, 0), 0x9000);
	assert_int_equal(smfix_tx(f, 0x80, 0x40, 0, 0, NULL, 0, 4096), 0x9000);
	assert_int_equal(smfix_tx(f, 0x80, 0x40, 0, 0, NULL, 0, 4096), 0x9000);
	sm_seq_before = 2;
	set_apdu(0x40, NULL, 0, 4096);
	after_crash = export_seq_moves_on;
	sm_sweep(f);
	smfix_free(&f);
}

/*
 * An EXPORT the center asked for: the sequence and the cleared request
 * commit together (the images before and after differ in both).
 */
static void
test_sweep_sm_export_requested(void **state)
{
	struct smfix *f = sm_card();

	(void)state;
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_UNLOCK, 0, 0), 0x9000);
	assert_int_equal(smfix_send_cmd(f, PROTO_CMD_EXPORT, 0, 0), 0x9000);
	sm_seq_before = 0;
	set_apdu(0x40, NULL, 0, 4096);
	after_crash = export_seq_moves_on;
	sm_sweep(f);
	smfix_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sweep_store, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep_apdu, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep_sm_buy, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep_sm_ecm, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep_sm_command, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep_sm_export, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep_sm_ecm_expiry, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep_sm_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep_sm_flags, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep_sm_export_requested,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
