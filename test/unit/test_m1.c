/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * M1 and the decoder's configuration: round trips, the entry policy (one
 * entry per card, never dropping another card's pending entry, never
 * going back to an older block), and rejection of damaged, truncated and
 * foreign M1 files and of bad configuration lines; the daemon's files
 * (files.c): M1 moved aside only when proven bad, and the locks that keep
 * a second daemon off the same M1 and key.
 */
#include <limits.h>
#include <setjmp.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../decoder/config.h"
#include "../../decoder/files.h"
#include "../../decoder/m1.h"
#include "../../decoder/quarantine.h"
#include "../../decoder/state.h"
#include "../../proto/file.h"
#include "../../proto/proto.h"
#include "../../proto/sm.h"
#include "../../proto/uplink.h"

static struct proto_card_keys card_keys;
static struct dec_key key;

/* A block made by card ua with sequence seq. */
static size_t
block(uint8_t ua0, uint32_t seq, uint8_t *out)
{
	uint8_t ua[PROTO_UA_LEN] = { ua0, 1, 2, 3, 4, 5, 6, 7 };
	uint8_t body[PROTO_M2_MAX_LEN];
	struct proto_m2 m;
	struct proto_wr w, bw;

	memset(&m, 0, sizeof(m));
	m.credit = 100;
	proto_wr_init(&bw, body, sizeof(body));
	assert_int_equal(proto_m2_encode(&m, &bw), 0);
	proto_wr_init(&w, out, PROTO_BLOCK_MAX);
	assert_int_equal(proto_block_seal(PROTO_BLOCK_EXPORT, ua, seq, NULL,
			     &card_keys, body, proto_wr_len(&bw), &w),
	    0);
	return proto_wr_len(&w);
}

/* A block of UA ua0 1 2 .. 7, seq, signed by keys k (a card of its own). */
static size_t
block_by(const struct proto_card_keys *k, uint8_t ua0, uint32_t seq,
    uint8_t *out)
{
	uint8_t ua[PROTO_UA_LEN] = { ua0, 1, 2, 3, 4, 5, 6, 7 };
	uint8_t body[PROTO_M2_MAX_LEN];
	struct proto_m2 m;
	struct proto_wr w, bw;

	memset(&m, 0, sizeof(m));
	proto_wr_init(&bw, body, sizeof(body));
	assert_int_equal(proto_m2_encode(&m, &bw), 0);
	proto_wr_init(&w, out, PROTO_BLOCK_MAX);
	assert_int_equal(proto_block_seal(PROTO_BLOCK_EXPORT, ua, seq, NULL, k,
			     body, proto_wr_len(&bw), &w),
	    0);
	return proto_wr_len(&w);
}

static int
setup(void **state)
{
	(void)state;
	if (proto_ec_keygen(card_keys.sign_priv, card_keys.sign_pub) != 0 ||
	    proto_random(card_keys.kt, sizeof(card_keys.kt)) != 0 ||
	    proto_random(&key, sizeof(key)) != 0)
		return -1;
	return 0;
}

static void
test_put_policy(void **state)
{
	static struct dec_m1 m, before;
	uint8_t b[PROTO_BLOCK_MAX];
	size_t n;

	(void)state;
	memset(&m, 0, sizeof(m));
	n = block(0xa0, 5, b);
	assert_int_equal(dec_m1_put(&m, b, n, 3, 1000), 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.e[0].state, DEC_M1_PENDING);
	assert_int_equal(m.e[0].change_ctr, 3);
	/* a newer block of the same card replaces its entry */
	n = block(0xa0, 6, b);
	assert_int_equal(dec_m1_put(&m, b, n, 4, 1001), 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.e[0].seq, 6);
	/* an older or equal one does not */
	before = m;
	n = block(0xa0, 6, b);
	assert_int_equal(dec_m1_put(&m, b, n, 9, 1002), PROTO_ERR_RANGE);
	assert_memory_equal(&m, &before, sizeof(m));
	/* other cards get entries of their own until M1 is full */
	for (uint8_t i = 1; i < DEC_M1_MAX_ENTRIES; i++) {
		n = block((uint8_t)(0x40 + i), 1, b);
		assert_int_equal(dec_m1_put(&m, b, n, 0, 1000), 0);
	}
	assert_int_equal(m.n, DEC_M1_MAX_ENTRIES);
	assert_int_equal(dec_m1_pending(&m), DEC_M1_MAX_ENTRIES);
	/* full of pending entries: refused, nothing dropped */
	before = m;
	n = block(0xb0, 1, b);
	assert_int_equal(dec_m1_put(&m, b, n, 0, 1000), PROTO_ERR_TOOBIG);
	assert_memory_equal(&m, &before, sizeof(m));
	/* an acknowledged entry makes room */
	m.e[2].state = DEC_M1_ACKED;
	assert_int_equal(dec_m1_put(&m, b, n, 0, 1000), 0);
	assert_int_equal(dec_m1_pending(&m), DEC_M1_MAX_ENTRIES);
	assert_null(dec_m1_find(&m, (const uint8_t *)"\x42\1\2\3\4\5\6\7"));
	assert_non_null(dec_m1_find(&m, (const uint8_t *)"\xb0\1\2\3\4\5\6\7"));
	assert_int_equal(dec_m1_remove(&m,
			     (const uint8_t *)"\xb0\1\2\3\4\5\6\7"),
	    0);
	assert_int_equal(dec_m1_remove(&m,
			     (const uint8_t *)"\xb0\1\2\3\4\5\6\7"),
	    PROTO_ERR_NOTFOUND);
	/* a malformed block is refused */
	b[1] = 9;
	assert_int_equal(dec_m1_put(&m, b, n, 0, 1000), PROTO_ERR_FORMAT);
}

/* dec_m1_put_verified refuses with want, and m does not change. */
static void
put_refused(struct dec_m1 *m, const uint8_t *b, size_t n,
    const uint8_t pub[PROTO_EC_PUB_LEN], int want)
{
	static struct dec_m1 before;

	before = *m;
	assert_int_equal(dec_m1_put_verified(m, b, n, pub, 9, 1009), want);
	assert_memory_equal(m, &before, sizeof(*m));
}

/*
 * Issue 9.4's rules: only a block verified under the card's certified key
 * enters M1; an entry is replaced only by a block of the same key with a
 * higher export sequence.  A rogue card claiming another card's UA with
 * its own key can neither overwrite that card's entry nor pin it.
 */
static void
test_put_verified(void **state)
{
	static struct dec_m1 m;
	struct proto_card_keys rogue;
	uint8_t b[PROTO_BLOCK_MAX];
	size_t n;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(proto_ec_keygen(rogue.sign_priv, rogue.sign_pub), 0);
	assert_int_equal(proto_random(rogue.kt, sizeof(rogue.kt)), 0);
	/* the genuine card's block, verified under its key */
	n = block_by(&card_keys, 0xa0, 5, b);
	assert_int_equal(dec_m1_put_verified(&m, b, n, card_keys.sign_pub, 3,
			     1000),
	    0);
	assert_int_equal(m.n, 1);
	/* a block that does not verify under the key given */
	n = block_by(&rogue, 0xa0, 6, b);
	put_refused(&m, b, n, card_keys.sign_pub, PROTO_ERR_AUTH);
	/* a rogue key over the genuine entry, pinning with 0xFFFFFFFF, even
	 * when its own key verifies its block */
	n = block_by(&rogue, 0xa0, 0xffffffffu, b);
	put_refused(&m, b, n, rogue.sign_pub, PROTO_ERR_EXISTS);
	/* the same key, a sequence no higher */
	n = block_by(&card_keys, 0xa0, 5, b);
	put_refused(&m, b, n, card_keys.sign_pub, PROTO_ERR_RANGE);
	/* a tampered block (one byte of its body) */
	n = block_by(&card_keys, 0xa0, 6, b);
	b[n - PROTO_EC_SIG_LEN - 1] ^= 1;
	put_refused(&m, b, n, card_keys.sign_pub, PROTO_ERR_AUTH);
	/* the same key, higher: replaces */
	n = block_by(&card_keys, 0xa0, 6, b);
	assert_int_equal(dec_m1_put_verified(&m, b, n, card_keys.sign_pub, 4,
			     1001),
	    0);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.e[0].seq, 6);
	assert_int_equal(m.e[0].change_ctr, 4);
	/* an entry another key made (an old M1's, say): the genuine key
	 * cannot replace it either; only the center's answer removes it */
	n = block_by(&rogue, 0xa1, 1, b);
	assert_int_equal(dec_m1_put(&m, b, n, 0, 1000), 0);
	n = block_by(&card_keys, 0xa1, 2, b);
	put_refused(&m, b, n, card_keys.sign_pub, PROTO_ERR_EXISTS);
}

/* The quarantine's file: round trip, bound, duplicates, damage. */
static void
test_quarantine(void **state)
{
	static struct dec_quar q, back, before;
	static struct dec_m1_entry e;
	static char img[DEC_QUAR_FILE_MAX];
	size_t len = 0;

	(void)state;
	memset(&q, 0, sizeof(q));
	memset(&e, 0, sizeof(e));
	e.len = (uint16_t)block(0xa0, 5, e.block);
	memcpy(e.ua, "\xa0\1\2\3\4\5\6\7", PROTO_UA_LEN);
	e.seq = 5;
	e.exported_at = 1000;
	assert_int_equal(dec_quar_add(&q, &e, PROTO_UP_UNKNOWN_UA, 2000), 0);
	assert_int_equal(q.n, 1);
	/* the same block again: already there, nothing changes */
	before = q;
	assert_int_equal(dec_quar_add(&q, &e, PROTO_UP_BAD_SIGNATURE, 2001),
	    PROTO_ERR_EXISTS);
	assert_memory_equal(&q, &before, sizeof(q));
	/* round trip through the file image */
	assert_int_equal(dec_quar_encode(&q, img, sizeof(img), &len), 0);
	memset(&back, 0, sizeof(back));
	assert_int_equal(dec_quar_decode(img, len, &back), 0);
	assert_int_equal(back.n, 1);
	assert_memory_equal(&back.e[0], &q.e[0], sizeof(q.e[0]));
	assert_int_equal(back.e[0].reason, PROTO_UP_UNKNOWN_UA);
	assert_int_equal(back.e[0].quarantined_at, 2000);
	assert_int_equal(back.e[0].stored_at, 1000);
	/* damage: a torn last line, a UA that is not the block's, another
	 * header: refused, the output untouched */
	before = back;
	assert_int_equal(dec_quar_decode(img, len - 1, &back),
	    PROTO_ERR_FORMAT);
	assert_int_equal(img[17], 'a'); /* the entry's UA, after the header */
	img[17] = 'b';
	assert_int_equal(dec_quar_decode(img, len, &back), PROTO_ERR_FORMAT);
	img[17] = 'a';
	assert_int_equal(dec_quar_decode(img, len, &back), 0);
	back = before;
	img[0] = 'x';
	assert_int_equal(dec_quar_decode(img, len, &back), PROTO_ERR_FORMAT);
	assert_memory_equal(&back, &before, sizeof(back));
	/* bounded: the oldest goes */
	for (uint32_t i = 0; i < DEC_QUAR_MAX; i++) {
		e.seq = 100 + i;
		e.len = (uint16_t)block(0xa0, e.seq, e.block);
		assert_int_equal(dec_quar_add(&q, &e, PROTO_UP_MALFORMED, 3000),
		    0);
	}
	assert_int_equal(q.n, DEC_QUAR_MAX);
	assert_int_equal(q.dropped, 1);
	assert_int_equal(q.e[0].seq, 100);
	assert_int_equal(q.e[DEC_QUAR_MAX - 1].seq, 100 + DEC_QUAR_MAX - 1);
	assert_int_equal(dec_quar_encode(&q, img, sizeof(img), &len), 0);
	assert_int_equal(dec_quar_decode(img, len, &back), 0);
	assert_int_equal(back.n, DEC_QUAR_MAX);
}

static void
test_file_roundtrip_and_damage(void **state)
{
	static struct dec_m1 m, back;
	static uint8_t img[DEC_M1_FILE_MAX];
	struct dec_key other;
	uint8_t b[PROTO_BLOCK_MAX];
	size_t n, len;

	(void)state;
	memset(&m, 0, sizeof(m));
	n = block(0xa0, 5, b);
	assert_int_equal(dec_m1_put(&m, b, n, 3, 1000), 0);
	n = block(0xa1, 7, b);
	assert_int_equal(dec_m1_put(&m, b, n, 1, 1001), 0);
	m.e[1].state = DEC_M1_ACKED;
	assert_int_equal(dec_m1_encode(&key, &m, img, sizeof(img), &len), 0);
	assert_int_equal(dec_m1_decode(&key, img, len, &back), 0);
	assert_int_equal(back.n, 2);
	assert_memory_equal(&back.e[0], &m.e[0], sizeof(m.e[0]));
	assert_int_equal(back.e[1].state, DEC_M1_ACKED);
	/* every flipped byte and every truncation is caught */
	for (size_t i = 0; i < len; i++) {
		img[i] ^= 0x40;
		if (dec_m1_decode(&key, img, len, &back) == 0)
			fail_msg("flip at %zu not detected", i);
		img[i] ^= 0x40;
	}
	for (size_t i = 0; i < len; i++)
		if (dec_m1_decode(&key, img, i, &back) == 0)
			fail_msg("truncation to %zu not detected", i);
	/* another decoder's M1, and this M1 under another key */
	other = key;
	other.id[0] ^= 1;
	assert_int_equal(dec_m1_decode(&other, img, len, &back),
	    PROTO_ERR_AUTH);
	other = key;
	other.key[0] ^= 1;
	assert_int_equal(dec_m1_decode(&other, img, len, &back),
	    PROTO_ERR_AUTH);
}

static void
test_key_file(void **state)
{
	char dir[] = "/tmp/ptv-m1.XXXXXX", path[64], m1[64];
	struct dec_key a, b;
	static struct dec_m1 m;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	snprintf(m1, sizeof(m1), "%s/m1", dir);
	assert_int_equal(dec_key_load_or_create(path, &a), 0);
	assert_int_equal(dec_key_load_or_create(path, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	/* an absent M1 is empty; saved, it loads back */
	assert_int_equal(dec_m1_load(m1, &a, &m), 0);
	assert_int_equal(m.n, 0);
	assert_int_equal(dec_m1_save(m1, &a, &m), 0);
	assert_int_equal(dec_m1_load(m1, &a, &m), 0);
	/* a key file of the wrong size is an error, and left alone */
	assert_int_equal(proto_file_replace(path, "short", 5, 0600), 0);
	assert_int_equal(dec_key_load_or_create(path, &b), PROTO_ERR_LENGTH);
	unlink(path);
	unlink(m1);
	rmdir(dir);
}

static void
test_config(void **state)
{
	char dir[] = "/tmp/ptv-cf.XXXXXX", path[64];
	static const struct {
		const char *text;
		int rc, line;
	} cases[] = {
		{ "# comment\n\nreader = Virtual PCD\nexport_interval=60\n", 0,
		    0 },
		{ "m1 = /x/m1\nbogus = 1\n", PROTO_ERR_NOTFOUND, 2 },
		{ "export_interval = -5\n", PROTO_ERR_FORMAT, 1 },
		{ "export_interval = 10x\n", PROTO_ERR_FORMAT, 1 },
		{ "export_interval = 31622401\n", PROTO_ERR_RANGE, 1 },
		{ "uplink_interval = 31622400\n", 0, 0 },
		{ "uplink_interval = 1d\nexport_interval = 90min\n", 0, 0 },
		{ "export_interval = 1500ms\n", PROTO_ERR_RANGE, 1 },
		{ "export_interval = 367d\n", PROTO_ERR_RANGE, 1 },
		{ "no equals sign\n", PROTO_ERR_FORMAT, 1 },
		{ "log_level = loud\n", PROTO_ERR_ARG, 1 },
		{ "log_level = debug", 0, 0 },
	};
	struct dec_config c;
	int line;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/conf", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dec_config_defaults(&c);
		assert_int_equal(proto_file_replace(path, cases[i].text,
				     strlen(cases[i].text), 0600),
		    0);
		if (dec_config_load(path, &c, &line) != cases[i].rc ||
		    line != cases[i].line)
			fail_msg("case %zu: line %d", i, line);
		if (cases[i].rc != 0)
			/* nothing partial kept */
			assert_string_equal(c.m1, "/var/lib/ptv/decoder/m1");
	}
	dec_config_defaults(&c);
	assert_int_equal(dec_config_load(path, &c, &line), 0);
	assert_int_equal(c.log_level, 7);
	/* times with units, kept in whole seconds */
	dec_config_defaults(&c);
	assert_int_equal(dec_config_set(&c, "uplink_interval", "1d"), 0);
	assert_int_equal(c.uplink_interval, 86400);
	assert_int_equal(dec_config_set(&c, "export_interval", "90min"), 0);
	assert_int_equal(c.export_interval, 5400);
	assert_int_equal(dec_config_set(&c, "export_interval", "2500ms"),
	    PROTO_ERR_RANGE);
	assert_int_equal(c.export_interval, 5400);
	unlink(path);
	rmdir(dir);
}

static void
test_verdicts(void **state)
{
	static const int bad[] = { PROTO_ERR_AUTH, PROTO_ERR_FORMAT,
		PROTO_ERR_SHORT, PROTO_ERR_LENGTH, PROTO_ERR_TRAILING,
		PROTO_ERR_TOOBIG };
	const int unreadable[] = { PROTO_ERR_IO, proto_err_sys(EACCES),
		proto_err_sys(EIO), proto_err_sys(EISDIR), PROTO_ERR_NOMEM,
		PROTO_ERR_CRYPTO, PROTO_ERR_ARG, PROTO_ERR_STATE };

	(void)state;
	assert_int_equal(dec_files_verdict(0), DEC_M1_LOADED);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dec_files_verdict(bad[i]), DEC_M1_BAD);
	for (size_t i = 0; i < sizeof(unreadable) / sizeof(unreadable[0]); i++)
		assert_int_equal(dec_files_verdict(unreadable[i]),
		    DEC_M1_UNREADABLE);
}

struct files_fx {
	char dir[32];
	struct dec_state st;
};

static void
files_fx_init(struct files_fx *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/ptv-files.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	dec_state_init(&f->st, NULL);
	snprintf(f->st.cfg.m1, sizeof(f->st.cfg.m1), "%s/m1", f->dir);
	snprintf(f->st.cfg.key, sizeof(f->st.cfg.key), "%s/key", f->dir);
	snprintf(f->st.cfg.issuer, sizeof(f->st.cfg.issuer), "%s/issuer.pub",
	    f->dir);
	assert_int_equal(proto_file_replace(f->st.cfg.issuer,
			     card_keys.sign_pub, PROTO_EC_PUB_LEN, 0644),
	    0);
}

/* How many files the directory holds. */
static int
files_in(const char *dir)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n +=
		    strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
files_fx_free(struct files_fx *f)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	dec_files_close(&f->st);
	dec_state_clear(&f->st);
	assert_non_null(d = opendir(f->dir));
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
		if (unlink(path) != 0)
			assert_int_equal(rmdir(path), 0);
	}
	closedir(d);
	assert_int_equal(rmdir(f->dir), 0);
}

/* Unreadable, not proven bad: left as it is, and the daemon stops. */
static void
test_m1_unreadable_stays(void **state)
{
	static struct files_fx f;
	char why[DEC_WHY_MAX];
	struct stat sb;

	(void)state;
	files_fx_init(&f);
	/* M1's path names a directory: it cannot be read */
	assert_int_equal(mkdir(f.st.cfg.m1, 0700), 0);
	assert_int_equal(dec_files_open(&f.st, why), proto_err_sys(EISDIR));
	assert_non_null(strstr(why, "cannot read M1"));
	assert_non_null(strstr(why, "it is left as it is"));
	assert_int_equal(stat(f.st.cfg.m1, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	/* nothing moved aside, nothing made: m1 and the issuer (found
	 * before the key is made and M1 and the key are locked) */
	assert_int_equal(files_in(f.dir), 2);
	/* the locks were given back */
	assert_int_equal(f.st.m1_lock, -1);
	assert_int_equal(f.st.key_lock, -1);
	files_fx_free(&f);
}

/* Proven bad: moved aside, the daemon starts with an empty M1. */
static void
test_m1_bad_moved_aside(void **state)
{
	static struct files_fx f;
	char why[DEC_WHY_MAX];

	(void)state;
	files_fx_init(&f);
	assert_int_equal(proto_file_replace(f.st.cfg.m1, "not an M1", 9, 0600),
	    0);
	assert_int_equal(dec_files_open(&f.st, why), 0);
	assert_int_equal(f.st.m1.n, 0);
	assert_int_equal(access(f.st.cfg.m1, F_OK), -1);
	assert_int_equal(files_in(f.dir), 5); /* key, issuer, aside, locks */
	assert_string_equal(f.st.last_error,
	    "M1 was unreadable and was moved aside");
	files_fx_free(&f);
}

/* No issuer key, or one that is no key: the daemon does not start. */
static void
test_issuer_required(void **state)
{
	static struct files_fx f;
	char why[DEC_WHY_MAX];
	uint8_t junk[PROTO_EC_PUB_LEN];

	(void)state;
	files_fx_init(&f);
	assert_int_equal(unlink(f.st.cfg.issuer), 0);
	assert_int_equal(dec_files_open(&f.st, why), PROTO_ERR_NOTFOUND);
	assert_non_null(strstr(why, "issuer key"));
	assert_int_equal(f.st.m1_lock, -1);
	memset(junk, 0x04, sizeof(junk)); /* 65 bytes, no point */
	assert_int_equal(proto_file_replace(f.st.cfg.issuer, junk, sizeof(junk),
			     0644),
	    0);
	assert_int_equal(dec_files_open(&f.st, why), PROTO_ERR_FORMAT);
	assert_non_null(strstr(why, "not a P-256 public key"));
	assert_int_equal(access(f.st.cfg.m1, F_OK), -1); /* nothing made */
	files_fx_free(&f);
}

/* A second daemon on the same M1, or the same key, is refused. */
static void
test_locks(void **state)
{
	static struct files_fx a, b;
	char why[DEC_WHY_MAX], want[PATH_MAX + 128];

	(void)state;
	files_fx_init(&a);
	files_fx_init(&b);
	assert_int_equal(dec_files_open(&a.st, why), 0);
	b.st.cfg = a.st.cfg; /* the same M1 and key */
	assert_int_equal(dec_files_open(&b.st, why), PROTO_ERR_EXISTS);
	snprintf(want, sizeof(want),
	    "M1 %s is in use by another decoderd (pid %ld)", a.st.cfg.m1,
	    (long)getpid());
	assert_string_equal(why, want);
	/* the same key with another M1 */
	snprintf(b.st.cfg.m1, sizeof(b.st.cfg.m1), "%s/m1", b.dir);
	assert_int_equal(dec_files_open(&b.st, why), PROTO_ERR_EXISTS);
	assert_non_null(strstr(why, "key file"));
	assert_int_equal(b.st.m1_lock, -1); /* nothing kept held */
	/* once the first lets go, the second starts */
	dec_files_close(&a.st);
	b.st.cfg = a.st.cfg;
	assert_int_equal(dec_files_open(&b.st, why), 0);
	assert_memory_equal(&b.st.key, &a.st.key, sizeof(a.st.key));
	files_fx_free(&b);
	files_fx_free(&a);
}

/* center: one host:port or a list of them, tried in order */
static void
test_config_centers(void **state)
{
	static const char *const bad[] = { "a:1,", ",a:1", "a:1,b", "a:1,:2",
		"a:1,b:x2", "a:1,b:2,c:3,d:4,e:5", "a:1,,b:2" };
	struct dec_config c;
	const char *host, *port;

	(void)state;
	dec_config_defaults(&c);
	assert_int_equal(dec_config_set(&c, "center",
			     "one:7443,two.x:7444,::1:8"),
	    0);
	assert_int_equal(dec_config_center(&c, 0, &host, &port), 0);
	assert_string_equal(host, "one");
	assert_string_equal(port, "7443");
	assert_int_equal(dec_config_center(&c, 1, &host, &port), 0);
	assert_string_equal(host, "two.x");
	assert_string_equal(port, "7444");
	assert_int_equal(dec_config_center(&c, 2, &host, &port), 0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "8");
	assert_int_equal(dec_config_center(&c, 3, &host, &port),
	    PROTO_ERR_NOTFOUND);
	/* a bad list changes nothing */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dec_config_set(&c, "center", bad[i]) == 0)
			fail_msg("accepted %s", bad[i]);
		assert_int_equal(c.n_more, 2);
		assert_string_equal(c.center_host, "one");
	}
	/* one center again: the list is only it */
	assert_int_equal(dec_config_set(&c, "center", "solo:1"), 0);
	assert_int_equal(dec_config_center(&c, 1, &host, &port),
	    PROTO_ERR_NOTFOUND);
	assert_string_equal(c.center_host, "solo");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_policy),
		cmocka_unit_test(test_put_verified),
		cmocka_unit_test(test_quarantine),
		cmocka_unit_test(test_file_roundtrip_and_damage),
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_m1_unreadable_stays),
		cmocka_unit_test(test_m1_bad_moved_aside),
		cmocka_unit_test(test_locks),
		cmocka_unit_test(test_config_centers),
		cmocka_unit_test(test_issuer_required),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
