/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of proto: the bounded reader/writer, TLV, the APDU codec. */
#define _DEFAULT_SOURCE /* mkdtemp, ftruncate, pwrite */
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

#include "../../proto/apdu.h"
#include "../../proto/buf.h"
#include "../../proto/ctl.h"
#include "../../proto/file.h"
#include "../../proto/num.h"
#include "../../proto/proto.h"
#include "../../proto/tlv.h"

static void
test_rd_ints(void **state)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,
		0x12 };
	struct proto_rd r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u24, u32;
	uint64_t u64;

	(void)state;
	proto_rd_init(&r, in, sizeof(in));
	assert_int_equal(proto_rd_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(proto_rd_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(proto_rd_u24(&r, &u24), 0);
	assert_int_equal(u24, 0x040506);
	assert_int_equal(proto_rd_u32(&r, &u32), 0);
	assert_int_equal(u32, 0x0708090a);
	assert_int_equal(proto_rd_u64(&r, &u64), 0);
	assert_true(u64 == 0x0b0c0d0e0f101112ull);
	assert_int_equal(proto_rd_left(&r), 0);
	assert_int_equal(proto_rd_end(&r), 0);
}

static void
test_rd_short_does_not_advance(void **state)
{
	static const uint8_t in[] = { 0xaa, 0xbb, 0xcc };
	struct proto_rd r, sub;
	uint32_t v = 0x11111111;
	uint8_t buf[4] = { 0 };
	const uint8_t *p = NULL;

	(void)state;
	proto_rd_init(&r, in, sizeof(in));
	assert_int_equal(proto_rd_u32(&r, &v), PROTO_ERR_SHORT);
	assert_int_equal(v, 0x11111111);
	assert_int_equal(proto_rd_left(&r), 3);
	assert_int_equal(proto_rd_bytes(&r, buf, 4), PROTO_ERR_SHORT);
	assert_int_equal(buf[0], 0);
	assert_int_equal(proto_rd_ptr(&r, SIZE_MAX, &p), PROTO_ERR_SHORT);
	assert_null(p);
	assert_int_equal(proto_rd_sub(&r, 4, &sub), PROTO_ERR_SHORT);
	assert_int_equal(proto_rd_left(&r), 3);
	assert_int_equal(proto_rd_sub(&r, 2, &sub), 0);
	assert_int_equal(proto_rd_left(&sub), 2);
	assert_int_equal(proto_rd_left(&r), 1);
	assert_int_equal(proto_rd_end(&r), PROTO_ERR_TRAILING);
}

static void
test_wr_bounds(void **state)
{
	uint8_t buf[6];
	struct proto_wr w;

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	proto_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(proto_wr_u32(&w, 0xdeadbeef), 0);
	assert_int_equal(proto_wr_u32(&w, 0x01020304), PROTO_ERR_NOSPACE);
	assert_int_equal(proto_wr_len(&w), 4);
	assert_int_equal(buf[4], 0xee);
	assert_int_equal(proto_wr_u16(&w, 0x0102), 0);
	assert_int_equal(proto_wr_u8(&w, 1), PROTO_ERR_NOSPACE);
	assert_int_equal(proto_wr_u24(&w, 0x1000000), PROTO_ERR_RANGE);
	assert_memory_equal(buf, "\xde\xad\xbe\xef\x01\x02", 6);
}

/* --- TLV ---------------------------------------------------------------- */

struct tlv_case {
	const char *name;
	const uint8_t *in;
	size_t len;
	int rc;
};

#define TC(n, rc, ...)                                           \
	{                                                        \
		n, (const uint8_t[]){ __VA_ARGS__ },             \
		    sizeof((const uint8_t[]){ __VA_ARGS__ }), rc \
	}

static const struct tlv_case tlv_cases[] = {
	TC("primitive", 0, 0x80, 0x02, 0x01, 0x02),
	TC("two-byte tag", 0, 0x9f, 0x36, 0x01, 0xaa),
	TC("81 length", 0, 0x04, 0x81, 0x01, 0xaa),
	TC("empty value", 0, 0x04, 0x00),
	TC("no length", PROTO_ERR_SHORT, 0x04),
	TC("truncated value", PROTO_ERR_LENGTH, 0x04, 0x03, 0x01, 0x02),
	TC("truncated 82 length", PROTO_ERR_SHORT, 0x04, 0x82, 0x01),
	TC("83 length beyond input", PROTO_ERR_LENGTH, 0x04, 0x83, 0xff, 0xff,
	    0xff, 0x00),
	TC("84 length form", PROTO_ERR_LENGTH, 0x04, 0x84, 0, 0, 0, 1, 0xaa),
	TC("indefinite length", PROTO_ERR_LENGTH, 0x24, 0x80, 0x00, 0x00),
	TC("three-byte tag", PROTO_ERR_FORMAT, 0x9f, 0x81, 0x01, 0x00),
	TC("non-minimal tag", PROTO_ERR_FORMAT, 0x9f, 0x05, 0x00),
	TC("tag 00", PROTO_ERR_FORMAT, 0x00, 0x00),
	TC("tag ff", PROTO_ERR_FORMAT, 0xff, 0x00),
	TC("truncated tag", PROTO_ERR_SHORT, 0x9f),
	TC("constructed bad child", PROTO_ERR_LENGTH, 0x70, 0x02, 0x04, 0x05),
	TC("nested 8 deep", 0, 0x70, 0x0e, 0x70, 0x0c, 0x70, 0x0a, 0x70, 0x08,
	    0x70, 0x06, 0x70, 0x04, 0x70, 0x02, 0x04, 0x00),
	TC("nested 9 deep", PROTO_ERR_DEPTH, 0x70, 0x10, 0x70, 0x0e, 0x70, 0x0c,
	    0x70, 0x0a, 0x70, 0x08, 0x70, 0x06, 0x70, 0x04, 0x70, 0x02, 0x04,
	    0x00),
};

static void
test_tlv_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tlv_cases) / sizeof(tlv_cases[0]); i++) {
		const struct tlv_case *c = &tlv_cases[i];
		struct proto_rd r;
		int rc;

		proto_rd_init(&r, c->in, c->len);
		rc = proto_tlv_check(&r);
		if (rc != c->rc)
			fail_msg("%s: got %d, want %d", c->name, rc, c->rc);
		/* proto_tlv_read never moves the reader on error. */
		if (rc != 0 && c->rc != PROTO_ERR_DEPTH &&
		    strncmp(c->name, "constructed", 11) != 0) {
			struct proto_tlv t;
			assert_int_not_equal(proto_tlv_read(&r, &t), 0);
			assert_int_equal(proto_rd_left(&r), c->len);
		}
	}
}

static void
test_tlv_roundtrip(void **state)
{
	uint8_t buf[70000], value[66000];
	const size_t lens[] = { 0, 1, 127, 128, 255, 256, 65535, 65536 };
	struct proto_rd r, v;
	struct proto_wr w;
	struct proto_tlv t;

	(void)state;
	for (size_t i = 0; i < sizeof(value); i++)
		value[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		proto_wr_init(&w, buf, sizeof(buf));
		assert_int_equal(proto_tlv_write(&w, 0x5f20, value, lens[i]),
		    0);
		assert_int_equal(proto_tlv_write(&w, 0x04, "x", 1), 0);
		proto_rd_init(&r, buf, proto_wr_len(&w));
		assert_int_equal(proto_tlv_check(&r), 0);
		assert_int_equal(proto_tlv_read(&r, &t), 0);
		assert_int_equal(t.tag, 0x5f20);
		assert_int_equal(proto_rd_left(&t.value), lens[i]);
		assert_memory_equal(t.value.p, value, lens[i]);
		proto_rd_init(&r, buf, proto_wr_len(&w));
		assert_int_equal(proto_tlv_find(&r, 0x04, &v), 0);
		assert_int_equal(proto_rd_left(&v), 1);
		assert_int_equal(proto_tlv_find(&r, 0x05, &v),
		    PROTO_ERR_NOTFOUND);
	}
	proto_wr_init(&w, buf, 3);
	assert_int_equal(proto_tlv_write(&w, 0x04, "abc", 3),
	    PROTO_ERR_NOSPACE);
	assert_int_equal(proto_wr_len(&w), 0);
	assert_int_equal(proto_tlv_write(&w, 0x1f, "", 0), PROTO_ERR_ARG);
	assert_int_equal(proto_tlv_write(&w, 0x9f05, "", 0), PROTO_ERR_ARG);
}

/* --- APDU --------------------------------------------------------------- */

struct apdu_case {
	const char *name;
	const uint8_t *in;
	size_t len;
	int rc;
	enum proto_apdu_case kase;
	size_t lc, ne;
};

#define AC(n, rc, k, lc, ne, ...)                                           \
	{                                                                   \
		n, (const uint8_t[]){ __VA_ARGS__ },                        \
		    sizeof((const uint8_t[]){ __VA_ARGS__ }), rc, k, lc, ne \
	}

static const struct apdu_case apdu_cases[] = {
	AC("case 1", 0, PROTO_APDU_CASE_1, 0, 0, 0x00, 0xa4, 0x04, 0x00),
	AC("case 2S", 0, PROTO_APDU_CASE_2S, 0, 16, 0, 0xca, 1, 1, 0x10),
	AC("case 2S Le 00", 0, PROTO_APDU_CASE_2S, 0, 256, 0, 0xca, 1, 1, 0),
	AC("case 3S", 0, PROTO_APDU_CASE_3S, 2, 0, 0, 0xa4, 4, 0, 2, 0xa, 0xb),
	AC("case 4S", 0, PROTO_APDU_CASE_4S, 1, 5, 0, 0xa4, 4, 0, 1, 0xa, 5),
	AC("case 4S Le 00", 0, PROTO_APDU_CASE_4S, 1, 256, 0, 0, 0, 0, 1, 9, 0),
	AC("case 2E", 0, PROTO_APDU_CASE_2E, 0, 4096, 0, 0xca, 1, 1, 0, 0x10,
	    0),
	AC("case 2E Le 0000", 0, PROTO_APDU_CASE_2E, 0, 65536, 0, 0, 0, 0, 0, 0,
	    0),
	AC("case 3E", 0, PROTO_APDU_CASE_3E, 2, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2),
	AC("case 4E", 0, PROTO_APDU_CASE_4E, 1, 65536, 0, 0, 0, 0, 0, 0, 1, 7,
	    0, 0),
	AC("3 bytes", PROTO_ERR_SHORT, 0, 0, 0, 0, 0xa4, 0x04),
	AC("empty-ish 2 bytes", PROTO_ERR_SHORT, 0, 0, 0, 0x00, 0xa4),
	AC("short Lc, data missing", PROTO_ERR_LENGTH, 0, 0, 0, 0, 0, 0, 0, 3,
	    1, 2),
	AC("short Lc, two trailing", PROTO_ERR_LENGTH, 0, 0, 0, 0, 0, 0, 0, 1,
	    1, 2, 3),
	AC("ext marker, 6 bytes", PROTO_ERR_LENGTH, 0, 0, 0, 0, 0, 0, 0, 0, 1),
	AC("ext Lc 0000 with data", PROTO_ERR_LENGTH, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 1),
	AC("ext Lc, data missing", PROTO_ERR_LENGTH, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    4, 1, 2),
	AC("ext Lc, one Le byte", PROTO_ERR_LENGTH, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    1, 7, 0),
	AC("ext Lc, three trailing", PROTO_ERR_LENGTH, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 1, 7, 0, 0, 0),
};

static void
test_apdu_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(apdu_cases) / sizeof(apdu_cases[0]);
	     i++) {
		const struct apdu_case *c = &apdu_cases[i];
		struct proto_apdu a;
		int rc;

		memset(&a, 0x5a, sizeof(a));
		rc = proto_apdu_parse(c->in, c->len, &a);
		if (rc != c->rc)
			fail_msg("%s: got %d, want %d", c->name, rc, c->rc);
		if (rc != 0) {
			/* Nothing written on error. */
			assert_int_equal(a.cla, 0x5a);
			continue;
		}
		if (a.kase != c->kase || a.lc != c->lc || a.ne != c->ne)
			fail_msg("%s: case %d lc %zu ne %zu", c->name, a.kase,
			    a.lc, a.ne);
	}
}

static void
test_apdu_roundtrip(void **state)
{
	static uint8_t data[65535], buf[PROTO_APDU_MAX_CMD_LEN];
	const size_t lcs[] = { 0, 1, 255, 256, 65535 };
	const size_t nes[] = { 0, 1, 256, 257, 65536 };
	struct proto_apdu a, b;
	struct proto_wr w;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < 5; i++) {
		for (size_t j = 0; j < 5; j++) {
			memset(&a, 0, sizeof(a));
			a.cla = 0x80;
			a.ins = 0x42;
			a.p1 = 1;
			a.p2 = 2;
			a.lc = lcs[i];
			a.data = lcs[i] ? data : NULL;
			a.ne = nes[j];
			proto_wr_init(&w, buf, sizeof(buf));
			assert_int_equal(proto_apdu_encode(&a, &w), 0);
			assert_int_equal(proto_apdu_parse(buf, proto_wr_len(&w),
					     &b),
			    0);
			assert_int_equal(b.lc, a.lc);
			assert_int_equal(b.ne, a.ne);
			assert_int_equal(b.p2, 2);
			assert_int_equal(proto_apdu_is_extended(&b),
			    a.lc > 255 || a.ne > 256);
			if (a.lc)
				assert_memory_equal(b.data, data, a.lc);
		}
	}
	a.lc = 65536;
	proto_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(proto_apdu_encode(&a, &w), PROTO_ERR_ARG);
	a.lc = 10;
	proto_wr_init(&w, buf, 10);
	assert_int_equal(proto_apdu_encode(&a, &w), PROTO_ERR_NOSPACE);
	assert_int_equal(proto_wr_len(&w), 0);
}

static void
test_rapdu(void **state)
{
	struct proto_rapdu r;

	(void)state;
	assert_int_equal(proto_rapdu_parse((const uint8_t *)"\x90", 1, &r),
	    PROTO_ERR_SHORT);
	assert_int_equal(proto_rapdu_parse((const uint8_t *)"\x90\x00", 2, &r),
	    0);
	assert_int_equal(r.sw, 0x9000);
	assert_int_equal(r.len, 0);
	assert_int_equal(proto_rapdu_parse((const uint8_t *)"ab\x6a\x82", 4,
			     &r),
	    0);
	assert_int_equal(r.sw, 0x6a82);
	assert_int_equal(r.len, 2);
	assert_string_equal(proto_sw_str(0x6a82),
	    "file or application not found");
	assert_string_equal(proto_sw_str(0x6110),
	    "success, more response bytes available");
	assert_string_equal(proto_strerror(PROTO_ERR_SHORT), "input too short");
}

static void
test_ctl_reply(void **state)
{
	static const char ok[] = "a=1\nimage=/x y\nok\n";
	static const char err[] = "error: no card inserted\n";
	char v[16];
	const char *msg;
	size_t n;

	(void)state;
	assert_int_equal(proto_ctl_reply_status(ok, strlen(ok), &msg, &n), 0);
	assert_int_equal(proto_ctl_reply_get(ok, strlen(ok), "image", v,
			     sizeof(v)),
	    0);
	assert_string_equal(v, "/x y");
	assert_int_equal(proto_ctl_reply_get(ok, strlen(ok), "b", v, sizeof(v)),
	    PROTO_ERR_NOTFOUND);
	assert_int_equal(proto_ctl_reply_get(ok, strlen(ok), "image", v, 3),
	    PROTO_ERR_TOOBIG);
	assert_int_equal(proto_ctl_reply_status(err, strlen(err), &msg, &n),
	    PROTO_ERR_STATE);
	assert_int_equal(n, strlen("no card inserted"));
	assert_int_equal(proto_ctl_reply_status("ok", 2, &msg, &n),
	    PROTO_ERR_FORMAT);
	assert_int_equal(proto_ctl_reply_status("a=1\n", 4, &msg, &n),
	    PROTO_ERR_FORMAT);
	assert_int_equal(proto_ctl_reply_status("", 0, &msg, &n),
	    PROTO_ERR_FORMAT);
}

static void
test_parse_num(void **state)
{
	static const struct {
		const char *s;
		uint64_t min, max;
		int rc;
		uint64_t v;
	} t[] = {
		{ "0", 0, 10, 0, 0 },
		{ "10", 0, 10, 0, 10 },
		{ "11", 0, 10, PROTO_ERR_RANGE, 0 },
		{ "0", 1, 10, PROTO_ERR_RANGE, 0 },
		{ "007", 0, 10, 0, 7 },
		{ "", 0, 10, PROTO_ERR_FORMAT, 0 },
		{ "-1", 0, 10, PROTO_ERR_FORMAT, 0 },
		{ "+1", 0, 10, PROTO_ERR_FORMAT, 0 },
		{ " 1", 0, 10, PROTO_ERR_FORMAT, 0 },
		{ "1 ", 0, 10, PROTO_ERR_FORMAT, 0 },
		{ "0x10", 0, 100, PROTO_ERR_FORMAT, 0 },
		{ "1e3", 0, 10000, PROTO_ERR_FORMAT, 0 },
		{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX },
		{ "18446744073709551616", 0, UINT64_MAX, PROTO_ERR_RANGE, 0 },
		{ "99999999999999999999", 0, UINT64_MAX, PROTO_ERR_RANGE, 0 },
		{ "0000000000000000000000001", 0, 10, PROTO_ERR_FORMAT, 0 },
		{ "5", 6, 5, PROTO_ERR_ARG, 0 },
	};
	uint64_t v;
	uint32_t v32;
	unsigned u;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 0xdead;
		assert_int_equal(proto_parse_u64(t[i].s, t[i].min, t[i].max,
				     &v),
		    t[i].rc);
		assert_true(v == (t[i].rc == 0 ? t[i].v : 0xdead));
	}
	assert_int_equal(proto_parse_u64(NULL, 0, 1, &v), PROTO_ERR_ARG);
	v32 = 3;
	assert_int_equal(proto_parse_u32("4294967296", 0, UINT32_MAX, &v32),
	    PROTO_ERR_RANGE);
	assert_int_equal(v32, 3);
	assert_int_equal(proto_parse_u32("4294967295", 0, UINT32_MAX, &v32), 0);
	assert_int_equal(v32, UINT32_MAX);
	assert_int_equal(proto_parse_uint("65535", 1, 65535, &u), 0);
	assert_int_equal(u, 65535);
	assert_int_equal(proto_parse_uint("65536", 1, 65535, &u),
	    PROTO_ERR_RANGE);
}

static void
test_unhex(void **state)
{
	uint8_t out[3] = { 0xaa, 0xbb, 0xcc };
	const uint8_t want[3] = { 0x01, 0xab, 0xef };
	const uint8_t orig[3] = { 0xaa, 0xbb, 0xcc };

	(void)state;
	/* A bad digit anywhere, even in the last byte: nothing written. */
	assert_int_equal(proto_unhex("01abeg", 6, out, 3), PROTO_ERR_FORMAT);
	assert_memory_equal(out, orig, 3);
	assert_int_equal(proto_unhex("0x01ab", 6, out, 3), PROTO_ERR_FORMAT);
	assert_memory_equal(out, orig, 3);
	assert_int_equal(proto_unhex("01abef0", 7, out, 3), PROTO_ERR_LENGTH);
	assert_memory_equal(out, orig, 3);
	assert_int_equal(proto_unhex("01ABef", 6, out, 3), 0);
	assert_memory_equal(out, want, 3);
}

static void
test_ctl_reply_builder(void **state)
{
	struct proto_ctl_reply r;
	const char *out;
	size_t len;
	char big[1500];

	(void)state;
	assert_int_equal(proto_ctl_reply_init(&r), 0);
	proto_ctl_reply_add(&r, "a=%d\n", 1);
	proto_ctl_reply_add(&r, "b=%s\n", "two");
	proto_ctl_reply_finish(&r, &out, &len);
	assert_int_equal(len, 13);
	assert_memory_equal(out, "a=1\nb=two\nok\n", 13);

	/* an error replaces what was added; LFs in it become spaces */
	proto_ctl_reply_reset(&r);
	proto_ctl_reply_add(&r, "cw=00112233\n");
	proto_ctl_reply_fail(&r, "no %s\nhere", "card");
	proto_ctl_reply_fail(&r, "second error ignored");
	proto_ctl_reply_add(&r, "ignored=1\n");
	assert_true(proto_ctl_reply_failed(&r));
	proto_ctl_reply_finish(&r, &out, &len);
	assert_int_equal(len, strlen("error: no card here\n"));
	assert_memory_equal(out, "error: no card here\n", len);

	/* the message is cut, still one line */
	proto_ctl_reply_reset(&r);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	proto_ctl_reply_fail(&r, "%s", big);
	proto_ctl_reply_finish(&r, &out, &len);
	assert_int_equal(len, 7 + PROTO_CTL_ERROR_MAX - 1 + 1);
	assert_int_equal(out[len - 1], '\n');
	assert_null(memchr(out, '\n', len - 1));

	/* too much: the reply becomes an error, not a truncated ok */
	proto_ctl_reply_reset(&r);
	for (int i = 0; i < PROTO_CTL_REPLY_MAX / 1000 + 1; i++)
		proto_ctl_reply_add(&r, "k=%s\n", big + 500);
	proto_ctl_reply_finish(&r, &out, &len);
	assert_int_equal(len, strlen("error: reply too long\n"));
	assert_memory_equal(out, "error: reply too long\n", len);
	proto_ctl_reply_free(&r);
	assert_null(r.buf);
}

/* proto_file_lock: a second lock is refused and names the holder's pid; a
 * lock file whose text is not a pid names none (the file is input). */
static void
test_file_lock_holder(void **state)
{
	char dir[] = "/tmp/ptv-lock.XXXXXX", path[64];
	static const char *const junk[] = { "12abc\n", "-5\n", "0\n",
		"99999999999999999999\n", "\n", "x" };
	int fd, fd2 = -1;
	long holder;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m1", dir);
	assert_int_equal(proto_file_lock(path, &fd, &holder), 0);
	assert_int_equal(proto_file_lock(path, &fd2, &holder),
	    PROTO_ERR_EXISTS);
	assert_int_equal(holder, (long)getpid());
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		assert_int_equal(ftruncate(fd, 0), 0);
		assert_int_equal(pwrite(fd, junk[i], strlen(junk[i]), 0),
		    (ssize_t)strlen(junk[i]));
		holder = -1;
		assert_int_equal(proto_file_lock(path, &fd2, &holder),
		    PROTO_ERR_EXISTS);
		assert_int_equal(holder, 0);
	}
	assert_int_equal(fd2, -1);
	proto_file_unlock(&fd);
	snprintf(path, sizeof(path), "%s/m1.lock", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* PROTO_CRASH_AT read through the bounded parser, in a child each (it is
 * read once a process): a count arms the N-th failpoint; anything else
 * arms none. */
static int
failpoints_in_child(const char *setting, int reached)
{
	pid_t pid;
	int status;

	if ((pid = fork()) == 0) {
		if (setenv("PROTO_CRASH_AT", setting, 1) != 0)
			_exit(1);
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(1);
		for (int i = 0; i < reached; i++)
			proto_failpoint("test");
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void
test_failpoint_env(void **state)
{
	static const char *const none[] = { "", "0", "-1", "2x", " 2", "0x2",
		"99999999999999999999999" };

	(void)state;
	assert_int_equal(failpoints_in_child("2", 1), 0);
	assert_int_equal(failpoints_in_child("2", 2), PROTO_CRASH_EXIT);
	assert_int_equal(failpoints_in_child("3", 5), PROTO_CRASH_EXIT);
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		assert_int_equal(failpoints_in_child(none[i], 4), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rd_ints),
		cmocka_unit_test(test_parse_num),
		cmocka_unit_test(test_unhex),
		cmocka_unit_test(test_file_lock_holder),
		cmocka_unit_test(test_failpoint_env),
		cmocka_unit_test(test_rd_short_does_not_advance),
		cmocka_unit_test(test_wr_bounds),
		cmocka_unit_test(test_tlv_table),
		cmocka_unit_test(test_tlv_roundtrip),
		cmocka_unit_test(test_apdu_table),
		cmocka_unit_test(test_apdu_roundtrip),
		cmocka_unit_test(test_rapdu),
		cmocka_unit_test(test_ctl_reply),
		cmocka_unit_test(test_ctl_reply_builder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
