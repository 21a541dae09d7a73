/* Kernel memory by object in the results folder: slab.csv (per density step, or bench's one
 * "step" from before the start to all up) and summary.json "kernel" (the top caches per
 * instance). The attribution itself is engine/slab.h's. */
#ifndef CROWD_KERNEL_H
#define CROWD_KERNEL_H

#include <stdbool.h>
#include <stdio.h>

#include "core/error.h"
#include "engine/slab.h"

#define CROWD_KERNEL_TOP 8
struct crowd_summary_kernel {
	bool have;     /* a measurement was made (readable or not) */
	bool readable; /* slabinfo was readable; else why */
	char why[128];
	double added, slab_delta, attributed, page_tables, kernel_stack; /* per instance */
	struct crowd_slab_item top[CROWD_KERNEL_TOP];
	unsigned n_top;
};
void crowd_summary_kernel_fill(struct crowd_summary_kernel *k, const struct crowd_slab_attr *a);
/* summary.json "kernel"; a new jansson reference. */
struct json_t;
struct json_t *crowd_summary_kernel_json(const struct crowd_summary_kernel *k);
/* One line per top cache, for the printed summary. */
void crowd_summary_kernel_print(const struct crowd_summary_kernel *k, FILE *out);

/* slab.csv: step,count,added,cache,kind,bytes_per_instance,objs_per_instance. Per step the
 * rows "meminfo:Slab", "meminfo:PageTables", "meminfo:KernelStack" (kind "meminfo") and every
 * cache that changed. steps[i] and counts[i] label attrs[i]. */
int crowd_results_write_slab(const char *path, const unsigned *steps, const unsigned *counts,
			     const struct crowd_slab_attr *attrs, size_t n,
			     struct crowd_error *err);

#endif
