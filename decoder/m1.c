/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../proto/buf.h"
#include "../proto/file.h"
#include "../proto/proto.h"
#include "m1.h"

#define M1_MAGIC "PTVM1v01"
#define M1_MAGIC_LEN 8
#define M1_HDR_LEN (M1_MAGIC_LEN + DEC_ID_LEN + 4)
#define KEY_FILE_LEN (PROTO_AES_KEY_LEN + DEC_ID_LEN)

int
dec_key_load(const char *path, struct dec_key *k)
{
	uint8_t *file = NULL;
	size_t len = 0;
	int rc;

	if ((rc = proto_file_read(path, KEY_FILE_LEN, &file, &len)) != 0)
		return rc;
	if (len != KEY_FILE_LEN) {
		rc = PROTO_ERR_LENGTH;
	} else {
		memcpy(k->key, file, PROTO_AES_KEY_LEN);
		memcpy(k->id, file + PROTO_AES_KEY_LEN, DEC_ID_LEN);
	}
	proto_cleanse(file, len);
	free(file);
	return rc;
}

int
dec_key_load_or_create(const char *path, struct dec_key *k)
{
	uint8_t buf[KEY_FILE_LEN];
	int rc;

	if ((rc = dec_key_load(path, k)) != PROTO_ERR_NOTFOUND)
		return rc;
	if ((rc = proto_random(buf, sizeof(buf))) != 0 ||
	    (rc = proto_file_replace(path, buf, sizeof(buf),
		 S_IRUSR | S_IWUSR)) != 0)
		goto out;
	memcpy(k->key, buf, PROTO_AES_KEY_LEN);
	memcpy(k->id, buf + PROTO_AES_KEY_LEN, DEC_ID_LEN);
out:
	proto_cleanse(buf, sizeof(buf));
	return rc;
}

static int
encode_entries(const struct dec_m1 *m, struct proto_wr *w)
{
	int rc;

	if ((rc = proto_wr_u8(w, (uint8_t)m->n)) != 0)
		return rc;
	for (size_t i = 0; i < m->n; i++) {
		const struct dec_m1_entry *e = &m->e[i];
		if ((rc = proto_wr_bytes(w, e->ua, PROTO_UA_LEN)) != 0 ||
		    (rc = proto_wr_u8(w, e->state)) != 0 ||
		    (rc = proto_wr_u32(w, e->seq)) != 0 ||
		    (rc = proto_wr_u32(w, e->change_ctr)) != 0 ||
		    (rc = proto_wr_u64(w, e->exported_at)) != 0 ||
		    (rc = proto_wr_u16(w, e->len)) != 0 ||
		    (rc = proto_wr_bytes(w, e->block, e->len)) != 0)
			return rc;
	}
	return 0;
}

int
dec_m1_encode(const struct dec_key *k, const struct dec_m1 *m, uint8_t *out,
    size_t cap, size_t *len)
{
	struct proto_wr w, pw;
	uint8_t *plain, *hdr = out, *iv, *ct, *tag;
	int rc;

	if (m->n > DEC_M1_MAX_ENTRIES)
		return PROTO_ERR_ARG;
	if ((plain = malloc(DEC_M1_FILE_MAX)) == NULL)
		return PROTO_ERR_NOMEM;
	proto_wr_init(&pw, plain, DEC_M1_FILE_MAX);
	if ((rc = encode_entries(m, &pw)) != 0)
		goto out;
	proto_wr_init(&w, out, cap);
	if ((rc = proto_wr_bytes(&w, M1_MAGIC, M1_MAGIC_LEN)) != 0 ||
	    (rc = proto_wr_bytes(&w, k->id, DEC_ID_LEN)) != 0 ||
	    (rc = proto_wr_u32(&w, (uint32_t)proto_wr_len(&pw))) != 0 ||
	    (rc = proto_wr_reserve(&w, PROTO_GCM_IV_LEN, &iv)) != 0 ||
	    (rc = proto_wr_reserve(&w, proto_wr_len(&pw), &ct)) != 0 ||
	    (rc = proto_wr_reserve(&w, PROTO_GCM_TAG_LEN, &tag)) != 0 ||
	    (rc = proto_random(iv, PROTO_GCM_IV_LEN)) != 0 ||
	    (rc = proto_gcm_seal(k->key, iv, hdr, M1_HDR_LEN, plain,
		 proto_wr_len(&pw), ct, tag)) != 0)
		goto out;
	*len = proto_wr_len(&w);
out:
	proto_cleanse(plain, proto_wr_len(&pw));
	free(plain);
	return rc;
}

/* An entry must hold a well-formed block of the card it names. */
static int
check_entry(const struct dec_m1_entry *e)
{
	struct proto_block b;

	if (e->state != DEC_M1_PENDING && e->state != DEC_M1_ACKED)
		return PROTO_ERR_FORMAT;
	if (proto_block_parse(e->block, e->len, &b) != 0)
		return PROTO_ERR_FORMAT;
	if (memcmp(b.ua, e->ua, PROTO_UA_LEN) != 0 || b.seq != e->seq)
		return PROTO_ERR_FORMAT;
	return 0;
}

static int
decode_entries(struct proto_rd *r, struct dec_m1 *m)
{
	uint8_t n;
	int rc;

	if ((rc = proto_rd_u8(r, &n)) != 0)
		return rc;
	if (n > DEC_M1_MAX_ENTRIES)
		return PROTO_ERR_FORMAT;
	for (size_t i = 0; i < n; i++) {
		struct dec_m1_entry *e = &m->e[i];
		if ((rc = proto_rd_bytes(r, e->ua, PROTO_UA_LEN)) != 0 ||
		    (rc = proto_rd_u8(r, &e->state)) != 0 ||
		    (rc = proto_rd_u32(r, &e->seq)) != 0 ||
		    (rc = proto_rd_u32(r, &e->change_ctr)) != 0 ||
		    (rc = proto_rd_u64(r, &e->exported_at)) != 0 ||
		    (rc = proto_rd_u16(r, &e->len)) != 0)
			return rc;
		if (e->len > PROTO_BLOCK_MAX)
			return PROTO_ERR_FORMAT;
		if ((rc = proto_rd_bytes(r, e->block, e->len)) != 0 ||
		    (rc = check_entry(e)) != 0)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (memcmp(m->e[j].ua, e->ua, PROTO_UA_LEN) == 0)
				return PROTO_ERR_FORMAT;
	}
	m->n = n;
	return proto_rd_end(r);
}

/* What decoding works in: the plaintext, and M1 until it is whole. */
struct m1_scratch {
	uint8_t plain[DEC_M1_FILE_MAX];
	struct dec_m1 m;
};

int
dec_m1_decode(const struct dec_key *k, const uint8_t *buf, size_t len,
    struct dec_m1 *out)
{
	struct m1_scratch *x = NULL;
	struct proto_rd r, pr;
	uint8_t magic[M1_MAGIC_LEN], id[DEC_ID_LEN];
	const uint8_t *iv, *ct, *tag;
	uint32_t ctlen = 0;
	int rc;

	proto_rd_init(&r, buf, len);
	if ((rc = proto_rd_bytes(&r, magic, sizeof(magic))) != 0 ||
	    (rc = proto_rd_bytes(&r, id, sizeof(id))) != 0 ||
	    (rc = proto_rd_u32(&r, &ctlen)) != 0)
		return rc;
	if (memcmp(magic, M1_MAGIC, M1_MAGIC_LEN) != 0)
		return PROTO_ERR_FORMAT;
	/* Another decoder's M1 is not ours to read. */
	if (memcmp(id, k->id, DEC_ID_LEN) != 0)
		return PROTO_ERR_AUTH;
	if (ctlen > sizeof(x->plain))
		return PROTO_ERR_TOOBIG;
	if ((rc = proto_rd_ptr(&r, PROTO_GCM_IV_LEN, &iv)) != 0 ||
	    (rc = proto_rd_ptr(&r, ctlen, &ct)) != 0 ||
	    (rc = proto_rd_ptr(&r, PROTO_GCM_TAG_LEN, &tag)) != 0 ||
	    (rc = proto_rd_end(&r)) != 0)
		return rc;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = proto_gcm_open(k->key, iv, buf, M1_HDR_LEN, ct, ctlen, tag,
		 x->plain)) != 0)
		goto out;
	proto_rd_init(&pr, x->plain, ctlen);
	if ((rc = decode_entries(&pr, &x->m)) == 0)
		*out = x->m;
out:
	proto_cleanse(x->plain, ctlen);
	free(x);
	return rc;
}

int
dec_m1_load(const char *path, const struct dec_key *k, struct dec_m1 *m)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = proto_file_read(path, DEC_M1_FILE_MAX, &buf, &len);
	if (rc == PROTO_ERR_NOTFOUND) {
		m->n = 0;
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = dec_m1_decode(k, buf, len, m);
	free(buf);
	return rc;
}

int
dec_m1_save(const char *path, const struct dec_key *k, const struct dec_m1 *m)
{
	uint8_t *buf;
	size_t len = 0;
	int rc;

	if ((buf = malloc(DEC_M1_FILE_MAX)) == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = dec_m1_encode(k, m, buf, DEC_M1_FILE_MAX, &len)) == 0)
		rc = proto_file_replace(path, buf, len, S_IRUSR | S_IWUSR);
	free(buf);
	return rc;
}

/* The index of ua's entry, or m->n. */
static size_t
find_index(const struct dec_m1 *m, const uint8_t ua[PROTO_UA_LEN])
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (memcmp(m->e[i].ua, ua, PROTO_UA_LEN) == 0)
			break;
	return i;
}

struct dec_m1_entry *
dec_m1_find(struct dec_m1 *m, const uint8_t ua[PROTO_UA_LEN])
{
	size_t i = find_index(m, ua);

	return i < m->n ? &m->e[i] : NULL;
}

const struct dec_m1_entry *
dec_m1_find_const(const struct dec_m1 *m, const uint8_t ua[PROTO_UA_LEN])
{
	size_t i = find_index(m, ua);

	return i < m->n ? &m->e[i] : NULL;
}

static void
remove_at(struct dec_m1 *m, size_t i)
{
	memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof(m->e[0]));
	m->n--;
	memset(&m->e[m->n], 0, sizeof(m->e[0]));
}

int
dec_m1_remove(struct dec_m1 *m, const uint8_t ua[PROTO_UA_LEN])
{
	size_t i = find_index(m, ua);

	if (i == m->n)
		return PROTO_ERR_NOTFOUND;
	remove_at(m, i);
	return 0;
}

int
dec_m1_ack(struct dec_m1 *m, const uint8_t ua[PROTO_UA_LEN], uint32_t seq)
{
	size_t i = find_index(m, ua);

	if (i == m->n)
		return PROTO_ERR_NOTFOUND;
	if (m->e[i].seq != seq)
		return PROTO_ERR_RANGE; /* the center holds another block */
	remove_at(m, i);
	return 0;
}

size_t
dec_m1_pending(const struct dec_m1 *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++)
		n += m->e[i].state == DEC_M1_PENDING;
	return n;
}

int
dec_m1_put(struct dec_m1 *m, const uint8_t *block, size_t len,
    uint32_t change_ctr, uint64_t now)
{
	struct dec_m1_entry *e;
	struct proto_block b;
	size_t i;
	int rc;

	if ((rc = proto_block_parse(block, len, &b)) != 0)
		return rc;
	if ((e = dec_m1_find(m, b.ua)) != NULL && b.seq <= e->seq)
		return PROTO_ERR_RANGE; /* older than what M1 holds */
	if (e == NULL) {
		if (m->n == DEC_M1_MAX_ENTRIES) {
			/* Room only by dropping an acknowledged entry. */
			for (i = 0; i < m->n; i++)
				if (m->e[i].state == DEC_M1_ACKED)
					break;
			if (i == m->n)
				return PROTO_ERR_TOOBIG;
			remove_at(m, i);
		}
		e = &m->e[m->n++];
	}
	memcpy(e->ua, b.ua, PROTO_UA_LEN);
	e->state = DEC_M1_PENDING;
	e->seq = b.seq;
	e->change_ctr = change_ctr;
	e->exported_at = now;
	e->len = (uint16_t)len;
	memcpy(e->block, block, len);
	return 0;
}

/* Whether block (well-formed) carries a valid signature under pub. */
static int
signed_by(const uint8_t *block, size_t len, const uint8_t pub[PROTO_EC_PUB_LEN])
{
	struct proto_block b;

	if (proto_block_parse(block, len, &b) != 0)
		return 0;
	return proto_block_verify(&b, pub) == 0;
}

int
dec_m1_put_verified(struct dec_m1 *m, const uint8_t *block, size_t len,
    const uint8_t pub[PROTO_EC_PUB_LEN], uint32_t change_ctr, uint64_t now)
{
	const struct dec_m1_entry *e;
	struct proto_block b;
	int rc;

	if ((rc = proto_block_parse(block, len, &b)) != 0)
		return rc;
	if (proto_block_verify(&b, pub) != 0)
		return PROTO_ERR_AUTH;
	if ((e = dec_m1_find_const(m, b.ua)) != NULL &&
	    !signed_by(e->block, e->len, pub))
		return PROTO_ERR_EXISTS; /* another key's entry of this UA */
	return dec_m1_put(m, block, len, change_ctr, now);
}
