/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * The operator's key directory (proto/keydir.h): a fresh directory reads
 * back as written, a second create refuses, and every failed load (a file
 * absent, short, long, a path too long) names the file and leaves the
 * caller's structure exactly as it was: no half-loaded key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../proto/file.h"
#include "../../proto/keydir.h"
#include "../../proto/proto.h"

static const char *const names[] = { "master.key", "ecm.key", "center.key",
	"center.pub", "issuer.key", "issuer.pub" };
#define NNAMES (sizeof(names) / sizeof(names[0]))

struct fx {
	char dir[64];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ptv-keydir.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[128];

	for (size_t i = 0; i < NNAMES; i++) {
		snprintf(p, sizeof(p), "%s/%s", f->dir, names[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
put(struct fx *f, const char *name, const void *p, size_t n)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(proto_file_replace(path, p, n, 0600), 0);
}

static size_t
get(struct fx *f, const char *name, uint8_t *out, size_t cap)
{
	char path[128];
	uint8_t *buf = NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(proto_file_read(path, cap, &buf, &n), 0);
	memcpy(out, buf, n);
	free(buf);
	return n;
}

static mode_t
mode_of(struct fx *f, const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 0777;
}

static void
test_create_then_load(void **state)
{
	struct fx *f = *state;
	uint8_t both[PROTO_KEYDIR_CENTER_LEN], pub[PROTO_EC_PUB_LEN],
	    m[PROTO_MASTER_LEN], zero[PROTO_MASTER_LEN] = { 0 };
	struct proto_keydir k;
	const char *file = "x";

	assert_int_equal(proto_keydir_create(f->dir, &file), 0);
	assert_null(file);
	assert_int_equal(mode_of(f, "master.key"), 0600);
	assert_int_equal(mode_of(f, "ecm.key"), 0600);
	assert_int_equal(mode_of(f, "center.key"), 0600);
	assert_int_equal(mode_of(f, "center.pub"), 0644);
	assert_int_equal(mode_of(f, "issuer.key"), 0600);
	assert_int_equal(mode_of(f, "issuer.pub"), 0644);
	assert_int_equal(proto_keydir_load(f->dir, PROTO_KEYDIR_ALL, 0, &k,
			     &file),
	    0);
	assert_null(file);
	assert_int_equal(k.have, PROTO_KEYDIR_ALL);
	assert_int_equal(get(f, "master.key", m, sizeof(m)), sizeof(m));
	assert_memory_equal(k.master, m, sizeof(m));
	assert_memory_not_equal(k.master, zero, sizeof(zero));
	assert_memory_not_equal(k.ecm, k.master, sizeof(k.ecm));
	assert_int_equal(get(f, "center.key", both, sizeof(both)),
	    sizeof(both));
	assert_memory_equal(k.center_priv, both, PROTO_EC_PRIV_LEN);
	assert_int_equal(get(f, "center.pub", pub, sizeof(pub)), sizeof(pub));
	assert_memory_equal(k.center_pub, pub, sizeof(pub));
	assert_memory_equal(both + PROTO_EC_PRIV_LEN, pub, sizeof(pub));
	/* the issuer's pair: its own, not the center's */
	assert_int_equal(get(f, "issuer.key", both, sizeof(both)),
	    sizeof(both));
	assert_memory_equal(k.issuer_priv, both, PROTO_EC_PRIV_LEN);
	assert_int_equal(get(f, "issuer.pub", pub, sizeof(pub)), sizeof(pub));
	assert_memory_equal(k.issuer_pub, pub, sizeof(pub));
	assert_memory_equal(both + PROTO_EC_PRIV_LEN, pub, sizeof(pub));
	assert_memory_not_equal(k.issuer_pub, k.center_pub, sizeof(pub));
	assert_memory_not_equal(k.issuer_priv, k.center_priv,
	    PROTO_EC_PRIV_LEN);
	/* the pair works: what the private half signs, the public verifies */
	{
		uint8_t sig[PROTO_EC_SIG_LEN];
		assert_int_equal(proto_ec_sign(k.issuer_priv, k.issuer_pub, "x",
				     1, sig),
		    0);
		assert_int_equal(proto_ec_verify(pub, "x", 1, sig), 0);
	}
	proto_keydir_wipe(&k);
}

static void
test_create_refuses(void **state)
{
	struct fx *f = *state;
	uint8_t before[PROTO_MASTER_LEN], after[PROTO_MASTER_LEN];
	const char *file = NULL;

	assert_int_equal(proto_keydir_create(f->dir, NULL), 0);
	get(f, "master.key", before, sizeof(before));
	assert_int_equal(proto_keydir_create(f->dir, &file), PROTO_ERR_EXISTS);
	assert_string_equal(file, "center.pub");
	get(f, "master.key", after, sizeof(after));
	assert_memory_equal(before, after, sizeof(before));
}

/* The center's public key from center.key when center.pub is not read. */
static void
test_pub_from_center_key(void **state)
{
	struct fx *f = *state;
	uint8_t both[PROTO_KEYDIR_CENTER_LEN];
	struct proto_keydir k;

	assert_int_equal(proto_keydir_create(f->dir, NULL), 0);
	get(f, "center.key", both, sizeof(both));
	assert_int_equal(proto_keydir_load(f->dir,
			     PROTO_KEYDIR_MASTER | PROTO_KEYDIR_CENTER, 0, &k,
			     NULL),
	    0);
	assert_int_equal(k.have, PROTO_KEYDIR_MASTER | PROTO_KEYDIR_CENTER);
	assert_memory_equal(k.center_pub, both + PROTO_EC_PRIV_LEN,
	    PROTO_EC_PUB_LEN);
	proto_keydir_wipe(&k);
	/* and the issuer's from issuer.key */
	get(f, "issuer.key", both, sizeof(both));
	assert_int_equal(proto_keydir_load(f->dir, PROTO_KEYDIR_ISSUER, 0, &k,
			     NULL),
	    0);
	assert_int_equal(k.have, PROTO_KEYDIR_ISSUER);
	assert_memory_equal(k.issuer_priv, both, PROTO_EC_PRIV_LEN);
	assert_memory_equal(k.issuer_pub, both + PROTO_EC_PRIV_LEN,
	    PROTO_EC_PUB_LEN);
	proto_keydir_wipe(&k);
}

/* Wanted files that are absent are fine; wanted files that are bad not. */
static void
test_wanted(void **state)
{
	struct fx *f = *state;
	uint8_t pub[PROTO_EC_PUB_LEN] = { 4 }, m[PROTO_MASTER_LEN] = { 1 };
	struct proto_keydir k;
	const char *file = NULL;

	put(f, "center.pub", pub, sizeof(pub));
	put(f, "master.key", m, sizeof(m));
	assert_int_equal(proto_keydir_load(f->dir, PROTO_KEYDIR_CENTER_PUB,
			     PROTO_KEYDIR_MASTER | PROTO_KEYDIR_ECM |
				 PROTO_KEYDIR_CENTER,
			     &k, &file),
	    0);
	assert_int_equal(k.have, PROTO_KEYDIR_CENTER_PUB | PROTO_KEYDIR_MASTER);
	assert_memory_equal(k.master, m, sizeof(m));
	put(f, "ecm.key", m, sizeof(m) - 1);
	memset(&k, 0xee, sizeof(k));
	assert_int_equal(proto_keydir_load(f->dir, PROTO_KEYDIR_CENTER_PUB,
			     PROTO_KEYDIR_ECM, &k, &file),
	    PROTO_ERR_LENGTH);
	assert_string_equal(file, "ecm.key");
	/* a directory made before the issuer key: wanted, absent, fine */
	assert_int_equal(proto_keydir_load(f->dir, PROTO_KEYDIR_CENTER_PUB,
			     PROTO_KEYDIR_ISSUER | PROTO_KEYDIR_ISSUER_PUB, &k,
			     &file),
	    0);
	assert_int_equal(k.have, PROTO_KEYDIR_CENTER_PUB);
	put(f, "issuer.pub", m, sizeof(m));
	memset(&k, 0xee, sizeof(k));
	assert_int_equal(proto_keydir_load(f->dir, PROTO_KEYDIR_CENTER_PUB,
			     PROTO_KEYDIR_ISSUER_PUB, &k, &file),
	    PROTO_ERR_LENGTH);
	assert_string_equal(file, "issuer.pub");
}

/* Every failure: the file named, the caller's structure untouched. */
static void
test_failures_leave_nothing(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *what;
		size_t master; /* size written (0: an empty file) */
		size_t center; /* size written; 0: absent */
		int rc;
		const char *file;
	} t[] = {
		{ "center.key absent", PROTO_MASTER_LEN, 0, PROTO_ERR_NOTFOUND,
		    "center.key" },
		{ "center.key one byte short", PROTO_MASTER_LEN,
		    PROTO_KEYDIR_CENTER_LEN - 1, PROTO_ERR_LENGTH,
		    "center.key" },
		{ "center.key one byte long", PROTO_MASTER_LEN,
		    PROTO_KEYDIR_CENTER_LEN + 1, PROTO_ERR_LENGTH,
		    "center.key" },
		{ "master.key empty", 0, PROTO_KEYDIR_CENTER_LEN,
		    PROTO_ERR_LENGTH, "master.key" },
		{ "master.key long", 4096, PROTO_KEYDIR_CENTER_LEN,
		    PROTO_ERR_LENGTH, "master.key" },
	};
	uint8_t buf[4096];
	char path[128];
	struct proto_keydir k, sentinel;
	const char *file;

	memset(buf, 0x42, sizeof(buf));
	memset(&sentinel, 0xee, sizeof(sentinel));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		print_message("# %s\n", t[i].what);
		snprintf(path, sizeof(path), "%s/center.key", f->dir);
		unlink(path);
		put(f, "master.key", buf, t[i].master);
		if (t[i].center > 0)
			put(f, "center.key", buf, t[i].center);
		k = sentinel;
		file = NULL;
		assert_int_equal(proto_keydir_load(f->dir,
				     PROTO_KEYDIR_MASTER | PROTO_KEYDIR_CENTER,
				     0, &k, &file),
		    t[i].rc);
		assert_string_equal(file, t[i].file);
		assert_memory_equal(&k, &sentinel, sizeof(k));
	}
}

static void
test_bad_arguments(void **state)
{
	struct fx *f = *state;
	struct proto_keydir k, sentinel;
	char longdir[5000];

	memset(&sentinel, 0xee, sizeof(sentinel));
	k = sentinel;
	assert_int_equal(proto_keydir_load(NULL, PROTO_KEYDIR_MASTER, 0, &k,
			     NULL),
	    PROTO_ERR_ARG);
	assert_int_equal(proto_keydir_load(f->dir, 0x100, 0, &k, NULL),
	    PROTO_ERR_ARG);
	assert_int_equal(proto_keydir_load(f->dir, PROTO_KEYDIR_MASTER, 0, NULL,
			     NULL),
	    PROTO_ERR_ARG);
	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	assert_int_equal(proto_keydir_load(longdir, PROTO_KEYDIR_MASTER, 0, &k,
			     NULL),
	    PROTO_ERR_TOOBIG);
	assert_memory_equal(&k, &sentinel, sizeof(k));
	assert_int_equal(proto_keydir_create(NULL, NULL), PROTO_ERR_ARG);
}

int
main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_create_then_load),
		T(test_create_refuses),
		T(test_pub_from_center_key),
		T(test_wanted),
		T(test_failures_leave_nothing),
		T(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
