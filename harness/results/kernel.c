/* Kernel memory by object in the results folder: see kernel.h. */
#include "kernel.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "units.h"

void crowd_summary_kernel_fill(struct crowd_summary_kernel *k, const struct crowd_slab_attr *a)
{
	memset(k, 0, sizeof(*k));
	if (!a)
		return;
	k->have = true;
	k->readable = a->readable;
	snprintf(k->why, sizeof(k->why), "%s", a->why);
	k->added = a->added;
	k->slab_delta = a->slab_delta;
	k->attributed = a->attributed;
	k->page_tables = a->page_tables;
	k->kernel_stack = a->kernel_stack;
	for (size_t i = 0; i < a->n && k->n_top < CROWD_KERNEL_TOP; i++)
		if (a->items[i].bytes > 0)
			k->top[k->n_top++] = a->items[i];
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *crowd_summary_kernel_json(const struct crowd_summary_kernel *k)
{
	json_t *top = json_array();
	for (unsigned i = 0; i < k->n_top; i++)
		json_array_append_new(top, json_pack("{s:s,s:s,s:o,s:o}", "cache", k->top[i].name,
						     "kind", k->top[i].kind, "bytes_per_instance",
						     num(k->top[i].bytes), "objs_per_instance",
						     num(k->top[i].objs)));
	return json_pack("{s:b,s:s?,s:o,s:o,s:o,s:o,s:o,s:o}", "slabinfo_readable", k->readable,
			 "why", k->readable ? NULL : k->why, "instances_added", num(k->added),
			 "slab_delta_per_instance", num(k->slab_delta), "attributed_per_instance",
			 num(k->attributed), "page_tables_per_instance", num(k->page_tables),
			 "kernel_stack_per_instance", num(k->kernel_stack), "top", top);
}

void crowd_summary_kernel_print(const struct crowd_summary_kernel *k, FILE *out)
{
	char a[24], b[24], c[24], d[24];
	if (!k->have)
		return;
	fprintf(out,
		"\nkernel memory per instance (%.0f added): Slab %s, PageTables %s, "
		"KernelStack %s\n",
		k->added, crowd_units_format(k->slab_delta, "bytes", a, sizeof(a)),
		crowd_units_format(k->page_tables, "bytes", b, sizeof(b)),
		crowd_units_format(k->kernel_stack, "bytes", c, sizeof(c)));
	if (!k->readable) {
		fprintf(out, "  slab caches: unavailable (%s)\n", k->why);
		return;
	}
	fprintf(out, "  top slab caches (%s of the Slab growth attributed):\n",
		crowd_units_format(k->attributed, "bytes", d, sizeof(d)));
	for (unsigned i = 0; i < k->n_top; i++)
		fprintf(out, "  %-24s %-22s %10s %8.1f objects\n", k->top[i].name, k->top[i].kind,
			crowd_units_format(k->top[i].bytes, "bytes", a, sizeof(a)), k->top[i].objs);
}

static void row(FILE *f, unsigned step, unsigned count, double added, const char *cache,
		const char *kind, double bytes, double objs)
{
	fprintf(f, "%u,%u,%.0f,%s,%s,", step, count, added, cache, kind);
	if (isfinite(bytes))
		fprintf(f, "%.1f", bytes);
	fputc(',', f);
	if (isfinite(objs))
		fprintf(f, "%.3f", objs);
	fputc('\n', f);
}

int crowd_results_write_slab(const char *path, const unsigned *steps, const unsigned *counts,
			     const struct crowd_slab_attr *attrs, size_t n, struct crowd_error *err)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return crowd_error_errno(err, errno, "open %s", path);
	fprintf(f, "step,count,added,cache,kind,bytes_per_instance,objs_per_instance\n");
	for (size_t i = 0; i < n; i++) {
		const struct crowd_slab_attr *a = &attrs[i];
		if (!(a->added > 0))
			continue;
		row(f, steps[i], counts[i], a->added, "meminfo:Slab", "meminfo", a->slab_delta,
		    NAN);
		row(f, steps[i], counts[i], a->added, "meminfo:PageTables", "meminfo",
		    a->page_tables, NAN);
		row(f, steps[i], counts[i], a->added, "meminfo:KernelStack", "meminfo",
		    a->kernel_stack, NAN);
		for (size_t j = 0; j < a->n; j++)
			row(f, steps[i], counts[i], a->added, a->items[j].name, a->items[j].kind,
			    a->items[j].bytes, a->items[j].objs);
	}
	bool bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return crowd_error_errno(err, errno ? errno : EIO, "write %s", path);
	return 0;
}
