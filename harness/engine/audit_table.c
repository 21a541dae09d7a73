/* The audit's views: an aligned text table, a Markdown table, JSON. All read the same cells
 * (audit_report.c). */
#include "audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL_LEN 64

/* A growing string; NULL s after an allocation failure. */
struct out {
	char *s;
	size_t len, cap;
	bool oom;
};

__attribute__((format(printf, 2, 3))) static void out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || o->oom)
		return;
	if (o->len + (size_t)n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 4096;
		while (o->len + (size_t)n + 1 > cap)
			cap *= 2;
		char *s = realloc(o->s, cap);
		if (!s) {
			o->oom = true;
			return;
		}
		o->s = s;
		o->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

/* Indexes of the columns that ran, in order. */
static unsigned ran_columns(const struct crowd_audit *a, unsigned *idx)
{
	unsigned n = 0;
	for (unsigned c = 0; c < a->n_col; c++)
		if (a->col[c].ran)
			idx[n++] = c;
	return n;
}

static int text_width(const struct crowd_audit *a, unsigned c)
{
	size_t w = strlen(a->col[c].backend);
	char cell[CELL_LEN];
	for (unsigned r = 0; r < crowd_audit_rows_len; r++) {
		crowd_audit_cell(r, a->col[c].report, &a->host, cell, sizeof(cell));
		if (strlen(cell) > w)
			w = strlen(cell);
	}
	return (int)w;
}

static void render_row(struct out *o, const struct crowd_audit *a, enum crowd_audit_style style,
		       const char *label, int label_w, const unsigned *idx, const int *w,
		       unsigned n, int row)
{
	bool md = style == CROWD_AUDIT_MARKDOWN;
	char cell[CELL_LEN];
	if (md)
		out_printf(o, "| %s |", label);
	else
		out_printf(o, "%-*s", label_w, label);
	for (unsigned k = 0; k < n; k++) {
		const char *s = a->col[idx[k]].backend;
		if (row >= 0) {
			crowd_audit_cell((unsigned)row, a->col[idx[k]].report, &a->host, cell,
					 sizeof(cell));
			s = cell;
		}
		if (md)
			out_printf(o, " %s |", s);
		else
			out_printf(o, "  %-*s", k + 1 < n ? w[k] : 0, s);
	}
	out_printf(o, "\n");
}

char *crowd_audit_render(const struct crowd_audit *a, enum crowd_audit_style style)
{
	struct out o = {0};
	unsigned idx[CROWD_MAX_BACKENDS], n = ran_columns(a, idx);
	int w[CROWD_MAX_BACKENDS], label_w = 0;
	bool md = style == CROWD_AUDIT_MARKDOWN;
	for (unsigned r = 0; r < crowd_audit_rows_len; r++)
		if ((int)strlen(crowd_audit_row_label(r)) > label_w)
			label_w = (int)strlen(crowd_audit_row_label(r));
	for (unsigned k = 0; k < n; k++)
		w[k] = text_width(a, idx[k]);

	if (n) {
		render_row(&o, a, style, md ? "feature" : "", label_w, idx, w, n, -1);
		if (md) {
			out_printf(&o, "|---|");
			for (unsigned k = 0; k < n; k++)
				out_printf(&o, "---|");
			out_printf(&o, "\n");
		}
	}
	const char *group = NULL;
	for (unsigned r = 0; n && r < crowd_audit_rows_len; r++) {
		if (!group || strcmp(group, crowd_audit_row_group(r))) {
			group = crowd_audit_row_group(r);
			if (md) {
				out_printf(&o, "| **%s** |", group);
				for (unsigned k = 0; k < n; k++)
					out_printf(&o, " |");
				out_printf(&o, "\n");
			} else {
				out_printf(&o, "%s%s:\n", r ? "\n" : "", group);
			}
		}
		char label[96];
		snprintf(label, sizeof(label), "%s%s", md ? "" : "  ", crowd_audit_row_label(r));
		render_row(&o, a, style, label, label_w + 2, idx, w, n, (int)r);
	}
	bool first = true;
	for (unsigned c = 0; c < a->n_col; c++) {
		if (a->col[c].ran)
			continue;
		out_printf(&o, "%s%s%s %s: %s\n", first && n ? "\n" : "", md ? "- " : "",
			   a->col[c].available ? "failed" : "unavailable", a->col[c].backend,
			   a->col[c].reason[0] ? a->col[c].reason : "no reason given");
		first = false;
	}
	if (o.oom || !o.s) {
		free(o.s);
		return o.oom ? NULL : strdup("");
	}
	return o.s;
}

json_t *crowd_audit_json(const struct crowd_audit *a)
{
	json_t *root = json_object(), *backends = json_array(), *rows = json_array();
	if (!root || json_object_set_new(root, "backends", backends) < 0 ||
	    json_object_set_new(root, "rows", rows) < 0)
		goto oom;
	for (unsigned r = 0; r < crowd_audit_rows_len; r++)
		json_array_append_new(
		    rows, json_pack("{s:s,s:s,s:s}", "key", crowd_audit_row_key(r), "label",
				    crowd_audit_row_label(r), "group", crowd_audit_row_group(r)));
	for (unsigned c = 0; c < a->n_col; c++) {
		const struct crowd_audit_column *col = &a->col[c];
		json_t *b = json_pack("{s:s,s:b,s:b}", "name", col->backend, "available",
				      col->available, "ran", col->ran);
		if (!b)
			goto oom;
		json_array_append_new(backends, b);
		if (!col->ran) {
			json_object_set_new(b, "reason", json_string(col->reason));
			continue;
		}
		json_t *cells = json_object();
		char cell[CELL_LEN];
		for (unsigned r = 0; cells && r < crowd_audit_rows_len; r++) {
			crowd_audit_cell(r, col->report, &a->host, cell, sizeof(cell));
			json_object_set_new(cells, crowd_audit_row_key(r), json_string(cell));
		}
		json_object_set_new(b, "cells", cells);
		json_object_set(b, "report", col->report);
	}
	return root;
oom:
	json_decref(root);
	return NULL;
}
