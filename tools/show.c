/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <string.h>

#include "../proto/proto.h"
#include "json.h"
#include "show.h"
#include "util.h"

void
show_begin(struct show_table *t, int json, const struct show_col *cols)
{
	memset(t, 0, sizeof(*t));
	t->json = json;
	t->cols = cols;
	if (json) {
		if ((t->rows = json_array()) == NULL)
			t->failed = 1;
		return;
	}
	for (const struct show_col *c = cols; c->key != NULL; c++)
		printf(c->right ? "%s%*s" : "%s%-*s", c == cols ? "" : " ",
		    c->width, c->key);
	printf("\n");
}

int
show_emit(void *table, json_t *row)
{
	struct show_table *t = table;
	char v[256];

	if (row == NULL) {
		t->failed = 1;
		return 0;
	}
	if (t->json) {
		if (t->rows == NULL || json_array_append_new(t->rows, row) != 0)
			t->failed = 1;
		return 0;
	}
	for (const struct show_col *c = t->cols; c->key != NULL; c++) {
		tj_text(row, c->key, v, sizeof(v));
		printf(c->right ? "%s%*s" : "%s%-*s", c == t->cols ? "" : " ",
		    c->width, v);
	}
	printf("\n");
	(void)util_out_check();
	json_decref(row);
	return 0;
}

int
show_end(struct show_table *t, int ok)
{
	int rc = t->failed ? PROTO_ERR_NOMEM : 0;

	if (t->json && ok && !t->failed) {
		rc = tj_print(t->rows);
	} else {
		json_decref(t->rows);
		if (util_flush() != 0 && rc == 0)
			rc = PROTO_ERR_IO;
	}
	t->rows = NULL;
	return rc;
}

void
show_fields(json_t *o, const char *const *keys, int indent)
{
	char v[256];

	for (; *keys != NULL; keys++) {
		tj_text(o, *keys, v, sizeof(v));
		printf("%*s%-16s %s\n", indent, "", *keys, v);
	}
}
