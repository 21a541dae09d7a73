/* Data for `crowd plot`: takes results folders (crowd_results_read) and writes the small
 * whitespace-separated .dat files the gnuplot scripts (scripts/NAME.gp) plot, one figure at a
 * time. No plotting here: each figure prepares its data and names its script and the gnuplot
 * variables. */
#ifndef CROWD_PLOTDATA_H
#define CROWD_PLOTDATA_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "history.h"
#include "results.h"

#define CROWD_PLOT_MAX_BACKENDS CROWD_MAX_BACKENDS

/* Values of the ok samples of one backend, base units converted to display units. */
enum crowd_plot_column {
	CROWD_PLOT_SPINUP_MS,
	CROWD_PLOT_PHASE_CGROUP_MS,
	CROWD_PLOT_PHASE_CLONE_MS,
	CROWD_PLOT_PHASE_SETUP_MS,
	CROWD_PLOT_PHASE_READY_MS,
	CROWD_PLOT_PHASE_FIRST_RESPONSE_MS,
	CROWD_PLOT_CGROUP_MIB,
	CROWD_PLOT_PSS_MIB,
	CROWD_PLOT_RPS,
	CROWD_PLOT_ENGINE_MIB, /* engine_bytes: an engine's cost outside the container */
	CROWD_PLOT_NCOLUMNS,
};

struct crowd_plot_values {
	double *v; /* ascending */
	size_t n;
};

/* One backend with samples: its summary, and its columns of ok values. */
struct crowd_plot_backend {
	const struct crowd_summary_backend *sum; /* in the run's res.summary */
	struct crowd_plot_values col[CROWD_PLOT_NCOLUMNS];
};

/* One results folder as the figures see it: the model and the plot's columns. */
struct crowd_plot_run {
	struct crowd_results res; /* read from the folder's real path (symlinks resolved) */
	char host[256];		  /* one line from host.json for the footnote */
	char version[96];	  /* crowd version and git commit of the run */
	struct crowd_plot_backend backend[CROWD_PLOT_MAX_BACKENDS];
	unsigned n_backends;
};

/* Read dir with crowd_results_read (summary.json required besides samples.csv).
 * -ENOENT: not a results folder; -EINVAL: a malformed file (file and line in err). */
int crowd_plot_run_read(const char *dir, struct crowd_plot_run **ret, struct crowd_error *err);
void crowd_plot_run_free(struct crowd_plot_run *r);
/* A fleet folder (crowd merge) as one run per host, in order of first appearance: the host's
 * rows, its own summary, the host as the folder name (so series are "host:backend"). ret has
 * room for max runs; E2BIG when there are more hosts. */
int crowd_plot_run_split_hosts(const struct crowd_plot_run *fleet, struct crowd_plot_run **ret,
			       size_t max, size_t *ret_n, struct crowd_error *err);

/* What one figure needs from gnuplot: the script name and its variables as gnuplot
 * assignments ("n=3; titles='a b c'; "). skip is set, with the reason, when there is no
 * data for the figure. */
struct crowd_plot_job {
	char vars[4096];
	bool skip;
	char skip_reason[160];
};

struct crowd_plot_figure {
	const char *name;   /* output file stem and .dat prefix */
	const char *script; /* scripts/<script> */
	const char *title;
	int (*prepare)(struct crowd_plot_run *const *runs, size_t n, const char *datadir,
		       struct crowd_plot_job *job, struct crowd_error *err);
};
extern const struct crowd_plot_figure crowd_plot_figures[];

/* The figures of kernel memory by object and of a sweep (plot_kernel.c). */
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


/* Append a gnuplot string assignment name='value' (quotes doubled) to job->vars. */
int crowd_plot_job_setstr(struct crowd_plot_job *job, const char *name, const char *value);

/* The trend figure of `crowd plot --history` (scripts/history.gp) from a history that
 * crowd_history_compute made: writes datadir/history.dat (every row, the same file as
 * `crowd compare --history --data`), history-<i>.dat (the rows of backend i, from 1) and
 * history-runs.dat ("index started run" per folder); sets the gnuplot variables n, nruns,
 * scale (base unit per shown unit), logy, metric, ylabel, titles; the figure title into
 * title. */
int crowd_plot_history_prepare(const struct crowd_history *h, const char *datadir,
			       struct crowd_plot_job *job, char *title, size_t title_len,
			       struct crowd_error *err);

#endif
