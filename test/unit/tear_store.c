#define _POSIX_C_SOURCE 200809L
/*
 * Tear sweep of the card store: a child process runs one transaction and
 * is killed (failpoint, _exit) at the n-th write point of its commit, for
 * every n; the parent reloads the image and requires it to equal the
 * state before the transaction or the state after it, never anything else,
 * and requires the card to work on afterwards.  The same sweep runs over a
 * mutating APDU through the runtime.
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

static const uint8_t serial[CARD_SERIAL_LEN] = { 9, 9, 9, 9, 1, 2, 3, 4 };
static const uint8_t aid[] = { 0xf0, 't', 'e', 'a', 'r' };
static const uint8_t aid2[] = { 0xf0, 'n', 'e', 'w', '!' };

static char dir[64], path[128];

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
	    (rc = card_store_add_region(s, aid2, sizeof(aid2), 32, &id2)) != 0 ||
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
			break;          /* no n-th failpoint: sweep complete */
		image_bytes(&now, &nlen);
		if (nlen == blen && memcmp(now, before, blen) == 0)
			saw_before++;
		else if (nlen == alen && memcmp(now, after, alen) == 0)
			saw_after++;
		else
			fail_msg("torn image after crash at point %lu", n);
		free(now);
		works_on();
	}
	printf("# %lu crash points: %lu before, %lu after\n", n - 1,
	    saw_before, saw_after);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sweep_store, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep_apdu, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
