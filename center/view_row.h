/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rows of report.h as JSON, for the views (view.c, view_list.c):
 * report callbacks that append each row to a bounded list, and the
 * conversions of the values every view shows.  Times are Unix seconds,
 * null when there is none (0); UAs and decoder identities hex.
 *
 * Conversions return a new reference, or NULL when it could not be made
 * (jansson then fails the json_pack or cgs_view_set it is given to).
 */
#ifndef CENTER_VIEW_ROW_H
#define CENTER_VIEW_ROW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../proto/ua.h"
#include "report.h"

/* A list being filled by a report's callback, at most max rows. */
struct cgs_view_list {
	json_t *rows;
	size_t max;
	int truncated; /* a row came past max */
};

/* Append row (a new reference, NULL when it could not be made) to l:
 * 0, 1 when the list is full (the report stops; row is dropped), or
 * PROTO_ERR_NOMEM. */
int cgs_view_list_add(struct cgs_view_list *l, json_t *row);
/* A report's result: a full list (1) is not an error. */
int cgs_view_list_done(int rc);
/* key: v (a new reference) into o; NULL v is a failure (PROTO_ERR_NOMEM). */
int cgs_view_set(json_t *o, const char *key, json_t *v);

/* n bytes as hex (at most PROTO_DECODER_ID_LEN: NULL beyond). */
json_t *cgs_view_hex(const uint8_t *b, size_t n);
/* A UA as hex, or null when has is 0. */
json_t *cgs_view_ua(int has, const uint8_t ua[PROTO_UA_LEN]);
/* A time, or null when t is 0. */
json_t *cgs_view_time(int64_t t);

/* Report callbacks: arg is a struct cgs_view_list. */
int cgs_view_row_card(void *arg, const struct cgs_card_row *r);
int cgs_view_row_purchase(void *arg, const struct cgs_purchase_row *r);
int cgs_view_row_flag(void *arg, const struct cgs_flag_row *r);
int cgs_view_row_command(void *arg, const struct cgs_command_row *r);
int cgs_view_row_session(void *arg, const struct cgs_session_row *r);
int cgs_view_row_block(void *arg, const struct cgs_block_row *r);
int cgs_view_row_count(void *arg, const struct cgs_count_row *r);
/* What the card's newest accepted block said: arg is a json_t **, set
 * to a new object. */
int cgs_view_row_data(void *arg, const struct cgs_card_data *d);

#endif
