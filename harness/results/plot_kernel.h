/* The figures of issue 18 for crowd plot: kernel memory by object against N (slab.csv) and a
 * sweep's per-primitive marginal costs (summary.json "sweep"). Each writes its data file
 * into datadir and sets the gnuplot variables; no such data: the job is skipped with why. */
#ifndef CROWD_PLOT_KERNEL_H
#define CROWD_PLOT_KERNEL_H

#include <stddef.h>

#include "plotdata.h"

/* scripts/kernel-objects.gp: datadir/kernel-objects.dat, "count" then one column per kind
 * of object (KiB per added instance in the step; quoted headers; kmalloc caches by their own name),
 * the 7 largest and
 * "other". Variables: kinds (the number of kind columns), run (the folder). */
int crowd_plot_prep_kernel(struct crowd_plot_run *const *runs, size_t n, const char *datadir,
			   struct crowd_plot_job *job, struct crowd_error *err);
/* scripts/sweep.gp: datadir/sweep.dat, "step vs spinup_delta_us lo hi cgroup_delta_kib lo hi
 * pss_delta_kib lo hi" (NaN for the first step). Variables: rows, kind, run. */
int crowd_plot_prep_sweep(struct crowd_plot_run *const *runs, size_t n, const char *datadir,
			  struct crowd_plot_job *job, struct crowd_error *err);

#endif
