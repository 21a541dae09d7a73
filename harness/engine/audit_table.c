/* The audit's views: an aligned text table, a Markdown table, JSON. All read the same cells
 * (audit_report.c). */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL_LEN 64

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

static void render_row(FILE *o, const struct crowd_audit *a, enum crowd_audit_style style,
		       const char *label, int label_w, const unsigned *idx, const int *w,
		       unsigned n, int row)
{
	bool md = style == CROWD_AUDIT_MARKDOWN;
	char cell[CELL_LEN];
	if (md)
		fprintf(o, "| %s |", label);
	else
		fprintf(o, "%-*s", label_w, label);
	for (unsigned k = 0; k < n; k++) {
		const char *s = a->col[idx[k]].backend;
		if (row >= 0) {
			crowd_audit_cell((unsigned)row, a->col[idx[k]].report, &a->host, cell,
					 sizeof(cell));
			s = cell;
		}
		if (md)
			fprintf(o, " %s |", s);
		else
			fprintf(o, "  %-*s", k + 1 < n ? w[k] : 0, s);
	}
	fprintf(o, "\n");
}

char *crowd_audit_render(const struct crowd_audit *a, enum crowd_audit_style style)
{
	char *text = NULL;
	size_t text_len = 0;
	FILE *o = open_memstream(&text, &text_len);
	if (!o)
		return NULL;
	unsigned idx[CROWD_MAX_BACKENDS], n = ran_columns(a, idx);
	int w[CROWD_MAX_BACKENDS], label_w = 0;
	bool md = style == CROWD_AUDIT_MARKDOWN;
	for (unsigned r = 0; r < crowd_audit_rows_len; r++)
		if ((int)strlen(crowd_audit_row(r)->label) > label_w)
			label_w = (int)strlen(crowd_audit_row(r)->label);
	for (unsigned k = 0; k < n; k++)
		w[k] = text_width(a, idx[k]);

	if (n) {
		render_row(o, a, style, md ? "feature" : "", label_w + 2, idx, w, n, -1);
		if (md) {
			fprintf(o, "|---|");
			for (unsigned k = 0; k < n; k++)
				fprintf(o, "---|");
			fprintf(o, "\n");
		}
	}
	const char *group = NULL;
	for (unsigned r = 0; n && r < crowd_audit_rows_len; r++) {
		if (!group || strcmp(group, crowd_audit_row(r)->group)) {
			group = crowd_audit_row(r)->group;
			if (md) {
				fprintf(o, "| **%s** |", group);
				for (unsigned k = 0; k < n; k++)
					fprintf(o, " |");
				fprintf(o, "\n");
			} else {
				fprintf(o, "%s%s:\n", r ? "\n" : "", group);
			}
		}
		char label[96];
		snprintf(label, sizeof(label), "%s%s", md ? "" : "  ", crowd_audit_row(r)->label);
		render_row(o, a, style, label, label_w + 2, idx, w, n, (int)r);
	}
	bool first = true;
	for (unsigned c = 0; c < a->n_col; c++) {
		if (a->col[c].ran)
			continue;
		fprintf(o, "%s%s%s %s: %s\n", first && n ? "\n" : "", md ? "- " : "",
			a->col[c].available ? "failed" : "unavailable", a->col[c].backend,
			a->col[c].reason[0] ? a->col[c].reason : "no reason given");
		first = false;
	}
	bool failed = ferror(o);
	if (fclose(o) != 0 || failed) {
		free(text);
		return NULL;
	}
	return text;
}

json_t *crowd_audit_json(const struct crowd_audit *a)
{
	json_t *root = json_object(), *backends = json_array(), *rows = json_array();
	if (!root || json_object_set_new(root, "backends", backends) < 0 ||
	    json_object_set_new(root, "rows", rows) < 0)
		goto oom;
	for (unsigned r = 0; r < crowd_audit_rows_len; r++)
		json_array_append_new(
		    rows, json_pack("{s:s,s:s,s:s}", "key", crowd_audit_row(r)->key, "label",
				    crowd_audit_row(r)->label, "group", crowd_audit_row(r)->group));
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
			json_object_set_new(cells, crowd_audit_row(r)->key, json_string(cell));
		}
		json_object_set_new(b, "cells", cells);
		json_object_set(b, "report", col->report);
	}
	return root;
oom:
	json_decref(root);
	return NULL;
}
