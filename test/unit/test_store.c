/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/* Unit tests of the card store: transactions, abort, persistence,
 * rejection of damaged images, and the in-memory store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../card/store.h"
#include "../../proto/file.h"
#include "../../proto/proto.h"

static const uint8_t serial[CARD_SERIAL_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t aid[] = { 0xf0, 1, 2, 3, 4, 5 };

struct fx {
	char dir[64];
	char path[96];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/ptv-store.XXXXXX");
	if (f == NULL || mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/card.img", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char tmp[128];

	unlink(f->path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	unlink(tmp);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int
make_card(const char *path, struct card_store **s, int *id)
{
	int rc;

	if ((rc = card_store_create(path, serial, s)) != 0)
		return rc;
	if ((rc = card_store_begin(*s)) != 0 ||
	    (rc = card_store_add_region(*s, aid, sizeof(aid), 64, id)) != 0)
		return rc;
	return card_store_commit(*s);
}

static void
test_create_open(void **state)
{
	struct fx *f = *state;
	struct card_store *s = NULL, *t = NULL;
	uint8_t b[4];
	size_t size;
	int id = -1, id2;

	assert_int_equal(make_card(f->path, &s, &id), 0);
	assert_int_equal(card_store_write(s, id, 60, "abcd", 4), 0);
	assert_int_equal(card_store_open(f->path, &t), 0);
	assert_memory_equal(card_store_serial(t), serial, CARD_SERIAL_LEN);
	assert_int_equal(card_store_region(t, aid, sizeof(aid), &id2, &size),
	    0);
	assert_int_equal(size, 64);
	assert_int_equal(card_store_read(t, id2, 60, b, 4), 0);
	assert_memory_equal(b, "abcd", 4);
	assert_int_equal(card_store_region(t, aid, 5, &id2, &size),
	    PROTO_ERR_NOTFOUND);
	/* out of region bounds, both ways */
	assert_int_equal(card_store_read(t, id2, 61, b, 4), PROTO_ERR_RANGE);
	assert_int_equal(card_store_write(t, id2, SIZE_MAX, b, 4),
	    PROTO_ERR_RANGE);
	assert_int_equal(card_store_write(t, 7, 0, b, 1), PROTO_ERR_ARG);
	/* create refuses to overwrite */
	card_store_free(&t);
	assert_int_equal(card_store_create(f->path, serial, &t),
	    PROTO_ERR_EXISTS);
	card_store_free(&s);
	assert_null(s);
	card_store_free(&s);
}

static void
test_abort_restores(void **state)
{
	struct fx *f = *state;
	struct card_store *s = NULL, *t = NULL;
	uint8_t b[8];
	int id = -1, id3;

	assert_int_equal(make_card(f->path, &s, &id), 0);
	assert_int_equal(card_store_write(s, id, 0, "AAAAAAAA", 8), 0);
	assert_int_equal(card_store_begin(s), 0);
	assert_int_equal(card_store_begin(s), PROTO_ERR_STATE);
	assert_int_equal(card_store_write(s, id, 0, "BB", 2), 0);
	assert_int_equal(card_store_write(s, id, 1, "CCC", 3), 0);
	assert_int_equal(card_store_write(s, id, 6, "DD", 2), 0);
	assert_int_equal(card_store_add_region(s, (const uint8_t *)"\xf0zzzz",
			     5, 16, &id3),
	    0);
	card_store_abort(s);
	assert_int_equal(card_store_read(s, id, 0, b, 8), 0);
	assert_memory_equal(b, "AAAAAAAA", 8);
	assert_int_equal(card_store_region(s, (const uint8_t *)"\xf0zzzz", 5,
			     &id3, NULL),
	    PROTO_ERR_NOTFOUND);
	/* the file never saw the aborted writes */
	assert_int_equal(card_store_open(f->path, &t), 0);
	assert_int_equal(card_store_read(t, id, 0, b, 8), 0);
	assert_memory_equal(b, "AAAAAAAA", 8);
	assert_int_equal(card_store_commit(s), PROTO_ERR_STATE);
	card_store_free(&t);
	card_store_free(&s);
}

static void
test_commit_capacity(void **state)
{
	struct fx *f = *state;
	struct card_store *s = NULL;
	static uint8_t big[CARD_TX_CAPACITY + 1];
	uint8_t b[4];
	int id = -1, id2;

	assert_int_equal(card_store_create(f->path, serial, &s), 0);
	assert_int_equal(card_store_begin(s), 0);
	assert_int_equal(card_store_add_region(s, aid, sizeof(aid), sizeof(big),
			     &id),
	    0);
	assert_int_equal(card_store_add_region(s, aid, sizeof(aid), 4, &id2),
	    PROTO_ERR_EXISTS);
	assert_int_equal(card_store_commit(s), 0);
	memset(big, 0x33, sizeof(big));
	/* a write larger than the commit buffer fails and changes nothing */
	assert_int_equal(card_store_write(s, id, 0, big, sizeof(big)),
	    PROTO_ERR_TOOBIG);
	assert_int_equal(card_store_read(s, id, 0, b, 4), 0);
	assert_memory_equal(b, "\0\0\0\0", 4);
	assert_int_equal(card_store_in_tx(s), 0);
	card_store_free(&s);
}

static void
corrupt_and_expect(const char *path, size_t at, int truncate_to, int want)
{
	struct card_store *s = NULL;
	uint8_t *img;
	size_t len;

	assert_int_equal(proto_file_read(path, CARD_IMAGE_MAX, &img, &len), 0);
	if (truncate_to >= 0)
		len = (size_t)truncate_to;
	else
		img[at] ^= 0x01;
	assert_int_equal(proto_file_replace(path, img, len, 0600), 0);
	assert_int_equal(card_store_open(path, &s), want);
	assert_null(s);
	free(img);
}

static void
test_damaged_images(void **state)
{
	struct fx *f = *state;
	struct card_store *s = NULL;
	uint8_t *orig;
	size_t olen;
	int id;

	assert_int_equal(make_card(f->path, &s, &id), 0);
	card_store_free(&s);
	assert_int_equal(proto_file_read(f->path, CARD_IMAGE_MAX, &orig, &olen),
	    0);
	/* every single-bit flip is caught */
	for (size_t i = 0; i < olen; i++) {
		int rc;
		orig[i] ^= 0x10;
		assert_int_equal(proto_file_replace(f->path, orig, olen, 0600),
		    0);
		rc = card_store_open(f->path, &s);
		if (rc == 0)
			fail_msg("flip at byte %zu not detected", i);
		orig[i] ^= 0x10;
	}
	/* every truncation is caught */
	for (size_t n = 0; n < olen; n++) {
		assert_int_equal(proto_file_replace(f->path, orig, n, 0600), 0);
		if (card_store_open(f->path, &s) == 0)
			fail_msg("truncation to %zu not detected", n);
	}
	assert_int_equal(proto_file_replace(f->path, orig, olen, 0600), 0);
	corrupt_and_expect(f->path, 0, -1, PROTO_ERR_FORMAT);
	assert_int_equal(proto_file_replace(f->path, orig, olen, 0600), 0);
	corrupt_and_expect(f->path, olen - 1, -1, PROTO_ERR_AUTH);
	assert_int_equal(card_store_open("/nonexistent/card.img", &s),
	    PROTO_ERR_NOTFOUND);
	free(orig);
}

static void
test_in_memory(void **state)
{
	struct fx *f = *state;
	struct card_store *m = NULL, *copy = NULL;
	uint8_t *img = NULL, *img2 = NULL, b[4];
	size_t len, len2;
	int id = -1, id2;

	assert_int_equal(card_store_new_mem(serial, &m), 0);
	assert_null(card_store_path(m));
	assert_memory_equal(card_store_serial(m), serial, CARD_SERIAL_LEN);
	assert_int_equal(card_store_begin(m), 0);
	assert_int_equal(card_store_add_region(m, aid, sizeof(aid), 64, &id),
	    0);
	assert_int_equal(card_store_commit(m), 0);
	assert_int_equal(card_store_write(m, id, 0, "abcd", 4), 0);
	assert_int_equal(card_store_commits(m), 2);
	/* transactions as on a file: abort restores */
	assert_int_equal(card_store_begin(m), 0);
	assert_int_equal(card_store_write(m, id, 0, "wxyz", 4), 0);
	card_store_abort(m);
	assert_int_equal(card_store_read(m, id, 0, b, 4), 0);
	assert_memory_equal(b, "abcd", 4);
	/* nothing reached the disk */
	assert_int_equal(access(f->path, F_OK), -1);

	/* its image loads back with the checks of card_store_open */
	assert_int_equal(card_store_encode(m, &img, &len), 0);
	assert_int_equal(card_store_decode(img, len, &copy), 0);
	assert_int_equal(card_store_region(copy, aid, sizeof(aid), &id2, NULL),
	    0);
	assert_int_equal(card_store_read(copy, id2, 0, b, 4), 0);
	assert_memory_equal(b, "abcd", 4);
	assert_int_equal(card_store_encode(copy, &img2, &len2), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(img2, img, len);
	card_store_free(&copy);
	img[len - 1] ^= 1;
	assert_int_equal(card_store_decode(img, len, &copy), PROTO_ERR_AUTH);
	assert_null(copy);
	assert_int_not_equal(card_store_decode(img, len - 1, &copy), 0);
	assert_null(copy);
	assert_int_equal(card_store_decode(img, CARD_IMAGE_MAX + 1, &copy),
	    PROTO_ERR_TOOBIG);
	assert_int_equal(card_store_decode(NULL, 0, &copy), PROTO_ERR_ARG);
	assert_null(copy);
	free(img);
	free(img2);
	card_store_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_open, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_abort_restores, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_commit_capacity, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_damaged_images, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_in_memory, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
