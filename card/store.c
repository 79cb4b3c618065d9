/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "../proto/file.h"
#include "../proto/proto.h"
#include "store.h"

#define IMAGE_MAGIC "PTVCIMG1"
#define IMAGE_MAGIC_LEN 8
/* Separate writes one transaction may make. */
#define TX_MAX_WRITES 512

struct region {
	uint8_t aid[CARD_AID_MAX];
	size_t aidlen;
	size_t base;
	size_t size;
};

struct undo_rec {
	size_t off; /* in mem */
	size_t len;
	size_t saved; /* where the old bytes sit in undo_bytes */
};

struct card_store {
	char *path;
	uint8_t serial[CARD_SERIAL_LEN];
	struct region regions[CARD_MAX_APPLETS];
	int nregions;
	uint8_t mem[CARD_STORE_MAX];
	size_t used;
	int in_tx;
	int tx_nregions;
	size_t tx_used;
	struct undo_rec recs[TX_MAX_WRITES];
	size_t nrecs;
	uint8_t undo_bytes[CARD_TX_CAPACITY];
	size_t undo_len;
	unsigned long commits;
};

_Static_assert(sizeof(IMAGE_MAGIC) - 1 == IMAGE_MAGIC_LEN, "the magic");
/* What image_len adds to the regions' bytes, at most. */
_Static_assert(IMAGE_MAGIC_LEN + 4 + CARD_SERIAL_LEN + 1 +
	    CARD_MAX_APPLETS * (1 + CARD_AID_MAX + 4) + PROTO_SHA256_LEN <=
	CARD_IMAGE_MAX - CARD_STORE_MAX,
    "an image of a full store fits CARD_IMAGE_MAX");

/* path NULL: a store in memory only. */
static struct card_store *
store_alloc(const char *path)
{
	struct card_store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (path != NULL && (s->path = strdup(path)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
card_store_free(struct card_store **sp)
{
	struct card_store *s;
	char *path;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	path = s->path;
	/* The image holds keys: wipe it. */
	proto_cleanse(s, sizeof(*s));
	free(path);
	free(s);
	*sp = NULL;
}

const uint8_t *
card_store_serial(const struct card_store *s)
{
	return s->serial;
}

const char *
card_store_path(const struct card_store *s)
{
	return s->path;
}

unsigned long
card_store_commits(const struct card_store *s)
{
	return s->commits;
}

int
card_store_in_tx(const struct card_store *s)
{
	return s->in_tx;
}

static size_t
image_len(const struct card_store *s)
{
	size_t n = IMAGE_MAGIC_LEN + 4 + CARD_SERIAL_LEN + 1;

	for (int i = 0; i < s->nregions; i++)
		n += 1 + s->regions[i].aidlen + 4 + s->regions[i].size;
	return n + PROTO_SHA256_LEN;
}

int
card_store_encode(const struct card_store *s, uint8_t **out, size_t *outlen)
{
	struct proto_wr w;
	uint8_t *buf, *sum;
	size_t len = image_len(s);
	int rc;

	if ((buf = malloc(len)) == NULL)
		return PROTO_ERR_NOMEM;
	proto_wr_init(&w, buf, len);
	if ((rc = proto_wr_bytes(&w, IMAGE_MAGIC, IMAGE_MAGIC_LEN)) != 0 ||
	    (rc = proto_wr_u32(&w,
		 (uint32_t)(len - IMAGE_MAGIC_LEN - 4 - PROTO_SHA256_LEN))) !=
		0 ||
	    (rc = proto_wr_bytes(&w, s->serial, CARD_SERIAL_LEN)) != 0 ||
	    (rc = proto_wr_u8(&w, (uint8_t)s->nregions)) != 0)
		goto fail;
	for (int i = 0; i < s->nregions; i++) {
		const struct region *g = &s->regions[i];
		if ((rc = proto_wr_u8(&w, (uint8_t)g->aidlen)) != 0 ||
		    (rc = proto_wr_bytes(&w, g->aid, g->aidlen)) != 0 ||
		    (rc = proto_wr_u32(&w, (uint32_t)g->size)) != 0 ||
		    (rc = proto_wr_bytes(&w, s->mem + g->base, g->size)) != 0)
			goto fail;
	}
	if ((rc = proto_wr_reserve(&w, PROTO_SHA256_LEN, &sum)) != 0 ||
	    (rc = proto_sha256(buf, len - PROTO_SHA256_LEN, sum)) != 0)
		goto fail;
	*out = buf;
	*outlen = len;
	return 0;
fail:
	proto_cleanse(buf, len);
	free(buf);
	return rc;
}

static int
store_persist(struct card_store *s)
{
	uint8_t *img = NULL;
	size_t len = 0;
	int rc;

	if (s->path == NULL)
		return 0; /* in memory: the commit is the memory itself */
	if ((rc = card_store_encode(s, &img, &len)) != 0)
		return rc;
	rc = proto_file_replace(s->path, img, len, S_IRUSR | S_IWUSR);
	proto_cleanse(img, len);
	free(img);
	return rc;
}

static int
parse_region(struct proto_rd *r, struct card_store *s)
{
	struct region *g;
	uint8_t aidlen;
	uint32_t size;
	int rc;

	if (s->nregions >= CARD_MAX_APPLETS)
		return PROTO_ERR_TOOBIG;
	g = &s->regions[s->nregions];
	if ((rc = proto_rd_u8(r, &aidlen)) != 0)
		return rc;
	if (aidlen < CARD_AID_MIN || aidlen > CARD_AID_MAX)
		return PROTO_ERR_FORMAT;
	if ((rc = proto_rd_bytes(r, g->aid, aidlen)) != 0 ||
	    (rc = proto_rd_u32(r, &size)) != 0)
		return rc;
	if (size > CARD_STORE_MAX - s->used)
		return PROTO_ERR_TOOBIG;
	if ((rc = proto_rd_bytes(r, s->mem + s->used, size)) != 0)
		return rc;
	g->aidlen = aidlen;
	g->base = s->used;
	g->size = size;
	s->used += size;
	s->nregions++;
	return 0;
}

static int
parse_image(const uint8_t *buf, size_t len, struct card_store *s)
{
	struct proto_rd r, body;
	uint8_t magic[IMAGE_MAGIC_LEN], sum[PROTO_SHA256_LEN];
	const uint8_t *stored;
	uint32_t blen;
	uint8_t n;
	int rc;

	if (len < PROTO_SHA256_LEN)
		return PROTO_ERR_SHORT;
	proto_rd_init(&r, buf, len - PROTO_SHA256_LEN);
	if ((rc = proto_rd_bytes(&r, magic, sizeof(magic))) != 0)
		return rc;
	if (memcmp(magic, IMAGE_MAGIC, IMAGE_MAGIC_LEN) != 0)
		return PROTO_ERR_FORMAT;
	if ((rc = proto_rd_u32(&r, &blen)) != 0)
		return rc;
	if (blen != proto_rd_left(&r))
		return PROTO_ERR_LENGTH;
	stored = buf + len - PROTO_SHA256_LEN;
	if ((rc = proto_sha256(buf, len - PROTO_SHA256_LEN, sum)) != 0)
		return rc;
	if (proto_memcmp_ct(sum, stored, PROTO_SHA256_LEN) != 0)
		return PROTO_ERR_AUTH;
	if ((rc = proto_rd_sub(&r, blen, &body)) != 0 ||
	    (rc = proto_rd_bytes(&body, s->serial, CARD_SERIAL_LEN)) != 0 ||
	    (rc = proto_rd_u8(&body, &n)) != 0)
		return rc;
	for (unsigned i = 0; i < n; i++)
		if ((rc = parse_region(&body, s)) != 0)
			return rc;
	return proto_rd_end(&body);
}

static int
store_load(const char *path, const uint8_t *buf, size_t len,
    struct card_store **out)
{
	struct card_store *s;
	int rc;

	if ((s = store_alloc(path)) == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = parse_image(buf, len, s)) != 0) {
		card_store_free(&s);
		return rc;
	}
	*out = s;
	return 0;
}

int
card_store_open(const char *path, struct card_store **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (path == NULL || out == NULL)
		return PROTO_ERR_ARG;
	if ((rc = proto_file_read(path, CARD_IMAGE_MAX, &buf, &len)) != 0)
		return rc;
	rc = store_load(path, buf, len, out);
	proto_cleanse(buf, len);
	free(buf);
	return rc;
}

int
card_store_decode(const uint8_t *buf, size_t len, struct card_store **out)
{
	if (buf == NULL || out == NULL)
		return PROTO_ERR_ARG;
	if (len > CARD_IMAGE_MAX)
		return PROTO_ERR_TOOBIG;
	return store_load(NULL, buf, len, out);
}

int
card_store_new_mem(const uint8_t serial[CARD_SERIAL_LEN],
    struct card_store **out)
{
	struct card_store *s;

	if (serial == NULL || out == NULL)
		return PROTO_ERR_ARG;
	if ((s = store_alloc(NULL)) == NULL)
		return PROTO_ERR_NOMEM;
	memcpy(s->serial, serial, CARD_SERIAL_LEN);
	*out = s;
	return 0;
}

int
card_store_create(const char *path, const uint8_t serial[CARD_SERIAL_LEN],
    struct card_store **out)
{
	struct card_store *s;
	int rc;

	if (path == NULL || serial == NULL || out == NULL)
		return PROTO_ERR_ARG;
	if (access(path, F_OK) == 0)
		return PROTO_ERR_EXISTS;
	if ((s = store_alloc(path)) == NULL)
		return PROTO_ERR_NOMEM;
	memcpy(s->serial, serial, CARD_SERIAL_LEN);
	if ((rc = store_persist(s)) != 0) {
		card_store_free(&s);
		return rc;
	}
	*out = s;
	return 0;
}

int
card_store_region(const struct card_store *s, const uint8_t *aid, size_t aidlen,
    int *id, size_t *size)
{
	for (int i = 0; i < s->nregions; i++) {
		const struct region *g = &s->regions[i];
		if (g->aidlen == aidlen && memcmp(g->aid, aid, aidlen) == 0) {
			*id = i;
			if (size != NULL)
				*size = g->size;
			return 0;
		}
	}
	return PROTO_ERR_NOTFOUND;
}

int
card_store_add_region(struct card_store *s, const uint8_t *aid, size_t aidlen,
    size_t size, int *id)
{
	struct region *g;
	int other;

	if (!s->in_tx)
		return PROTO_ERR_STATE;
	if (aidlen < CARD_AID_MIN || aidlen > CARD_AID_MAX)
		return PROTO_ERR_ARG;
	if (card_store_region(s, aid, aidlen, &other, NULL) == 0)
		return PROTO_ERR_EXISTS;
	if (s->nregions >= CARD_MAX_APPLETS || size > CARD_STORE_MAX - s->used)
		return PROTO_ERR_TOOBIG;
	g = &s->regions[s->nregions];
	memcpy(g->aid, aid, aidlen);
	g->aidlen = aidlen;
	g->base = s->used;
	g->size = size;
	memset(s->mem + s->used, 0, size);
	s->used += size;
	*id = s->nregions++;
	return 0;
}

static int
region_span(const struct card_store *s, int id, size_t off, size_t n,
    size_t *abs)
{
	const struct region *g;

	if (id < 0 || id >= s->nregions)
		return PROTO_ERR_ARG;
	g = &s->regions[id];
	if (off > g->size || n > g->size - off)
		return PROTO_ERR_RANGE;
	*abs = g->base + off;
	return 0;
}

int
card_store_read(const struct card_store *s, int id, size_t off, void *dst,
    size_t n)
{
	size_t abs;
	int rc;

	if ((rc = region_span(s, id, off, n, &abs)) != 0)
		return rc;
	memcpy(dst, s->mem + abs, n);
	return 0;
}

int
card_store_view(const struct card_store *s, int id, const uint8_t **p,
    size_t *n)
{
	if (id < 0 || id >= s->nregions)
		return PROTO_ERR_ARG;
	*p = s->mem + s->regions[id].base;
	*n = s->regions[id].size;
	return 0;
}

static int
undo_log(struct card_store *s, size_t abs, size_t n)
{
	struct undo_rec *u;

	if (s->nrecs >= TX_MAX_WRITES || n > CARD_TX_CAPACITY - s->undo_len)
		return PROTO_ERR_TOOBIG;
	u = &s->recs[s->nrecs++];
	u->off = abs;
	u->len = n;
	u->saved = s->undo_len;
	memcpy(s->undo_bytes + s->undo_len, s->mem + abs, n);
	s->undo_len += n;
	return 0;
}

int
card_store_write(struct card_store *s, int id, size_t off, const void *src,
    size_t n)
{
	size_t abs;
	int rc, own;

	if ((rc = region_span(s, id, off, n, &abs)) != 0)
		return rc;
	own = !s->in_tx;
	if (own && (rc = card_store_begin(s)) != 0)
		return rc;
	if ((rc = undo_log(s, abs, n)) != 0)
		goto out;
	memcpy(s->mem + abs, src, n);
	if (own)
		return card_store_commit(s);
	return 0;
out:
	if (own)
		card_store_abort(s);
	return rc;
}

int
card_store_begin(struct card_store *s)
{
	if (s->in_tx)
		return PROTO_ERR_STATE;
	s->in_tx = 1;
	s->tx_nregions = s->nregions;
	s->tx_used = s->used;
	s->nrecs = 0;
	s->undo_len = 0;
	return 0;
}

static void
tx_end(struct card_store *s)
{
	proto_cleanse(s->undo_bytes, s->undo_len);
	s->in_tx = 0;
	s->nrecs = 0;
	s->undo_len = 0;
}

void
card_store_abort(struct card_store *s)
{
	if (!s->in_tx)
		return;
	for (size_t i = s->nrecs; i > 0; i--) {
		const struct undo_rec *u = &s->recs[i - 1];
		memcpy(s->mem + u->off, s->undo_bytes + u->saved, u->len);
	}
	s->nregions = s->tx_nregions;
	s->used = s->tx_used;
	tx_end(s);
}

int
card_store_commit(struct card_store *s)
{
	int rc;

	if (!s->in_tx)
		return PROTO_ERR_STATE;
	if (s->nrecs == 0 && s->nregions == s->tx_nregions) {
		tx_end(s); /* nothing changed: nothing to write */
		return 0;
	}
	if ((rc = store_persist(s)) != 0) {
		card_store_abort(s);
		return rc;
	}
	s->commits++;
	tx_end(s);
	return 0;
}
