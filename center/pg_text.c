/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PostgreSQL's text, as the server sends it, read through the bounded
 * parser (store.h): a command tag's row count, an integer column.  Apart
 * from store_pg.c so that it needs no libpq (tests, fuzzing).
 */
#include <stdint.h>

#include "../proto/num.h"
#include "../proto/proto.h"
#include "store.h"

int
cgs_pg_tag_rows(const char *count, int64_t *rows)
{
	uint64_t v;
	int rc;

	if (count == NULL || rows == NULL)
		return PROTO_ERR_ARG;
	if (*count == '\0') {
		*rows = 0; /* a command that counts none (CREATE, BEGIN) */
		return 0;
	}
	if ((rc = proto_parse_u64(count, 0, INT64_MAX, &v)) != 0)
		return rc;
	*rows = (int64_t)v;
	return 0;
}

int
cgs_pg_int8(const char *text, int64_t *v)
{
	uint64_t u;
	int neg, rc;

	if (text == NULL || v == NULL)
		return PROTO_ERR_ARG;
	neg = *text == '-';
	if ((rc = proto_parse_u64(text + neg, 0,
		 neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &u)) != 0)
		return rc;
	*v = neg ? (u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u) :
		   (int64_t)u;
	return 0;
}
