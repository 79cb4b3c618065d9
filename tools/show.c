/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <string.h>

#include "show.h"

/* The text of a value, as the table shows it, into buf. */
static void text_of(json_t *o, const char *key, char *buf, size_t cap);

static void
text_value(json_t *v, char *buf, size_t cap)
{
	const char *k;
	json_t *m;
	size_t n = 0;

	buf[0] = '\0';
	if (v == NULL || json_is_null(v))
		snprintf(buf, cap, "-");
	else if (json_is_string(v))
		snprintf(buf, cap, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, cap, "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_object(v)) {
		json_object_foreach(v, k, m)
		{
			char one[64];
			size_t kl = strlen(k);

			(void)m;
			if (kl > 4 && strcmp(k + kl - 4, "_iso") == 0)
				continue;
			text_of(v, k, one, sizeof(one));
			n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0,
			    "%s%s=%s", n > 0 ? " " : "", k, one);
			if (n >= cap)
				break;
		}
	}
}

static void
text_of(json_t *o, const char *key, char *buf, size_t cap)
{
	char iso[64];
	json_t *d;

	snprintf(iso, sizeof(iso), "%s_iso", key);
	if ((d = json_object_get(o, iso)) != NULL)
		text_value(d, buf, cap);
	else
		text_value(json_object_get(o, key), buf, cap);
}

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
		text_of(row, c->key, v, sizeof(v));
		printf(c->right ? "%s%*s" : "%s%-*s", c == t->cols ? "" : " ",
		    c->width, v);
	}
	printf("\n");
	json_decref(row);
	return 0;
}

int
show_json(const json_t *v)
{
	if (json_dumpf(v, stdout, JSON_COMPACT) != 0)
		return -1;
	return putchar('\n') == EOF ? -1 : 0;
}

int
show_end(struct show_table *t, int ok)
{
	int rc = t->failed;

	if (t->json && ok && !t->failed && show_json(t->rows) != 0)
		rc = 1;
	json_decref(t->rows);
	t->rows = NULL;
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}

void
show_fields(json_t *o, const char *const *keys, int indent)
{
	char v[256];

	for (; *keys != NULL; keys++) {
		text_of(o, *keys, v, sizeof(v));
		printf("%*s%-16s %s\n", indent, "", *keys, v);
	}
}
