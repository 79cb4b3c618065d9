/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * centerctl's output: rows as JSON objects (jansson), printed as one JSON
 * array (--json) or as a table of chosen columns.  In the table a time
 * (a field NAME with a sibling NAME_iso) shows as its date, a boolean as
 * yes/no, null as "-", an object as key=value pairs (tj_text).  The
 * rows are of the one schema of json.h.
 */
#ifndef TOOLS_SHOW_H
#define TOOLS_SHOW_H

#include <stdint.h>

#include <jansson.h>

#include "../center/report.h"

struct show_col {
	const char *key; /* NULL ends a list */
	int width;       /* 0: as wide as the value (the last column) */
	int right;       /* numbers are right-aligned */
};

struct show_table {
	int json;
	const struct show_col *cols;
	json_t *rows; /* --json: the array so far */
	int failed;
};

/* Start a table (the text form prints its heading now). */
void show_begin(struct show_table *t, int json, const struct show_col *cols);
/* One row (owned: freed here).  Returns 0; a NULL row (no memory) marks
 * the table failed. */
int show_emit(void *table, json_t *row);
/* Print what is left (--json: the array) if ok, free it all.  Returns
 * PROTO_ERR_NOMEM if the table failed, PROTO_ERR_IO if standard output
 * did (util_printed tells them apart), or 0. */
int show_end(struct show_table *t, int ok);
/* Print one object's fields as "key: value" lines, indented. */
void show_fields(json_t *o, const char *const *keys, int indent);
/* One row of each report, as an object of the schema. */
json_t *show_card(const struct cgs_card_row *r);
json_t *show_purchase(const struct cgs_purchase_row *r);
json_t *show_flag(const struct cgs_flag_row *r);
json_t *show_command(const struct cgs_command_row *r);
json_t *show_rejected(const struct cgs_rejected_row *r);
extern const struct show_col show_card_cols[], show_purchase_cols[],
    show_flag_cols[], show_command_cols[];

#endif
