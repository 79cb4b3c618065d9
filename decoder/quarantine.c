/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../proto/block.h"
#include "../proto/buf.h"
#include "../proto/ctl.h"
#include "../proto/file.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "quarantine.h"

#define QUAR_HEADER "ptv-quarantine 1"
#define QUAR_SUFFIX ".quarantine"
#define QUAR_FIELDS 6

int
dec_quar_path(const char *m1, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s" QUAR_SUFFIX, m1);

	return n < 0 || (size_t)n >= cap ? PROTO_ERR_TOOBIG : 0;
}

static int
encode_entry(const struct dec_quar_entry *e, char *out, size_t cap)
{
	char ua[2 * PROTO_UA_LEN + 1], *block;
	int n;

	if ((block = malloc(2 * (size_t)e->len + 1)) == NULL)
		return -1;
	proto_hex(e->ua, PROTO_UA_LEN, ua);
	proto_hex(e->block, e->len, block);
	n = snprintf(out, cap, "%s %u %02X %llu %llu %s\n", ua, e->seq,
	    e->reason, (unsigned long long)e->quarantined_at,
	    (unsigned long long)e->stored_at, block);
	free(block);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int
dec_quar_encode(const struct dec_quar *q, char *out, size_t cap, size_t *len)
{
	size_t at;
	int n;

	if (q->n > DEC_QUAR_MAX)
		return PROTO_ERR_ARG;
	n = snprintf(out, cap, "%s\n", QUAR_HEADER);
	if (n < 0 || (size_t)n >= cap)
		return PROTO_ERR_NOSPACE;
	at = (size_t)n;
	for (size_t i = 0; i < q->n; i++) {
		if ((n = encode_entry(&q->e[i], out + at, cap - at)) < 0)
			return PROTO_ERR_NOSPACE;
		at += (size_t)n;
	}
	*len = at;
	return 0;
}

/* Split line (n bytes, copied into buf) at spaces into f. */
static int
split(const char *line, size_t n, char *buf, size_t cap, char *f[QUAR_FIELDS])
{
	char *save = NULL, *t;
	int k = 0;

	if (n >= cap || memchr(line, '\0', n) != NULL)
		return PROTO_ERR_FORMAT;
	memcpy(buf, line, n);
	buf[n] = '\0';
	for (t = strtok_r(buf, " ", &save); t != NULL;
	     t = strtok_r(NULL, " ", &save)) {
		if (k == QUAR_FIELDS)
			return PROTO_ERR_FORMAT;
		f[k++] = t;
	}
	return k == QUAR_FIELDS ? 0 : PROTO_ERR_FORMAT;
}

/* One entry's line; its block must be a well-formed block of its UA. */
static int
decode_entry(const char *line, size_t n, struct dec_quar_entry *e)
{
	char buf[DEC_QUAR_LINE_MAX + 1], *f[QUAR_FIELDS];
	struct proto_block b;
	size_t hex;

	if (split(line, n, buf, sizeof(buf), f) != 0)
		return PROTO_ERR_FORMAT;
	hex = strlen(f[5]);
	if (hex % 2 != 0 || hex / 2 > PROTO_BLOCK_MAX ||
	    proto_unhex(f[0], strlen(f[0]), e->ua, PROTO_UA_LEN) != 0 ||
	    proto_parse_u32(f[1], 0, UINT32_MAX, &e->seq) != 0 ||
	    proto_unhex(f[2], strlen(f[2]), &e->reason, 1) != 0 ||
	    proto_parse_u64(f[3], 0, UINT64_MAX, &e->quarantined_at) != 0 ||
	    proto_parse_u64(f[4], 0, UINT64_MAX, &e->stored_at) != 0 ||
	    proto_unhex(f[5], hex, e->block, hex / 2) != 0)
		return PROTO_ERR_FORMAT;
	e->len = (uint16_t)(hex / 2);
	if (proto_block_parse(e->block, e->len, &b) != 0 ||
	    memcmp(b.ua, e->ua, PROTO_UA_LEN) != 0 || b.seq != e->seq)
		return PROTO_ERR_FORMAT;
	return 0;
}

int
dec_quar_decode(const char *buf, size_t len, struct dec_quar *out)
{
	struct dec_quar *q;
	struct proto_rd r;
	const char *line;
	size_t n;
	int rc = PROTO_ERR_FORMAT;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return PROTO_ERR_NOMEM;
	proto_rd_init(&r, buf, len);
	if (proto_ctl_next_line(&r, &line, &n) != 0 ||
	    n != strlen(QUAR_HEADER) || memcmp(line, QUAR_HEADER, n) != 0)
		goto out;
	while (proto_rd_left(&r) > 0) {
		/* every line ends in LF: a torn last line is no entry */
		if (proto_ctl_next_line(&r, &line, &n) != 0 ||
		    q->n == DEC_QUAR_MAX ||
		    decode_entry(line, n, &q->e[q->n]) != 0)
			goto out; /* rc: PROTO_ERR_FORMAT */
		q->n++;
	}
	q->dropped = out->dropped;
	*out = *q;
	rc = 0;
out:
	free(q);
	return rc;
}

int
dec_quar_load(const char *path, struct dec_quar *q)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = proto_file_read(path, DEC_QUAR_FILE_MAX, &buf, &len);
	if (rc == PROTO_ERR_NOTFOUND) {
		q->n = 0;
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = dec_quar_decode((const char *)buf, len, q);
	free(buf);
	return rc;
}

int
dec_quar_save(const char *path, const struct dec_quar *q)
{
	size_t len = 0;
	char *buf;
	int rc;

	if ((buf = malloc(DEC_QUAR_FILE_MAX)) == NULL)
		return PROTO_ERR_NOMEM;
	if ((rc = dec_quar_encode(q, buf, DEC_QUAR_FILE_MAX, &len)) == 0)
		rc = proto_file_replace(path, buf, len, S_IRUSR | S_IWUSR);
	free(buf);
	return rc;
}

int
dec_quar_add(struct dec_quar *q, const struct dec_m1_entry *e, uint8_t reason,
    uint64_t now)
{
	struct dec_quar_entry *d;

	for (size_t i = 0; i < q->n; i++)
		if (memcmp(q->e[i].ua, e->ua, PROTO_UA_LEN) == 0 &&
		    q->e[i].seq == e->seq)
			return PROTO_ERR_EXISTS;
	if (e->len > PROTO_BLOCK_MAX)
		return PROTO_ERR_ARG;
	if (q->n == DEC_QUAR_MAX) { /* the oldest goes */
		memmove(&q->e[0], &q->e[1], (q->n - 1) * sizeof(q->e[0]));
		q->n--;
		q->dropped++;
	}
	d = &q->e[q->n++];
	memset(d, 0, sizeof(*d));
	memcpy(d->ua, e->ua, PROTO_UA_LEN);
	d->seq = e->seq;
	d->reason = reason;
	d->quarantined_at = now;
	d->stored_at = e->exported_at;
	d->len = e->len;
	memcpy(d->block, e->block, e->len);
	return 0;
}
