/* Data for `crowd plot`: reads results folders and writes the small whitespace-separated
 * .dat files the gnuplot scripts (scripts/NAME.gp) plot, one figure at a time. No plotting
 * here: each figure prepares its data and names its script and the gnuplot variables. */
#ifndef CROWD_PLOTDATA_H
#define CROWD_PLOTDATA_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "history.h"

#define CROWD_PLOT_MAX_BACKENDS 16

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
	CROWD_PLOT_NCOLUMNS,
};

struct crowd_plot_values {
	double *v;
	size_t n, cap;
};

struct crowd_plot_backend {
	char name[32];
	unsigned count, failures; /* rows and rows whose status is not ok */
	struct crowd_plot_values col[CROWD_PLOT_NCOLUMNS];
	double host_mib;  /* summary.json host view per instance, NAN if absent */
	double total_rps; /* summary.json load.total_rps, NAN if absent */
	char accel[16];	  /* vm: "kvm" or "tcg" from summary.json, or "" */
};

struct crowd_plot_density_step {
	double count, spinup_p50_ms, spinup_p99_ms, mem_available_mib, slab_mib, cgroup_mib,
	    pss_mib, rps_per_instance;
};

struct crowd_plot_run {
	char dir[PATH_MAX];
	char name[128];	  /* folder name (symlinks resolved) */
	char host[256];	  /* one line from host.json for the footnote */
	char version[64]; /* crowd version and git commit of the run */
	void *summary;	  /* json_t * of summary.json */
	struct crowd_plot_backend backend[CROWD_PLOT_MAX_BACKENDS];
	unsigned n_backends;
	struct crowd_plot_density_step *steps; /* density.csv, NULL when absent */
	size_t n_steps;
	double density_max_count; /* NAN when no density result */
	char density_stop[48];
};

/* Read dir (samples.csv and summary.json required, host.json and density.csv optional).
 * -ENOENT: not a results folder; -EINVAL: a malformed file (file and line in err). */
int crowd_plot_run_read(const char *dir, struct crowd_plot_run **ret, struct crowd_error *err);
void crowd_plot_run_free(struct crowd_plot_run *r);

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

/* Append a gnuplot string assignment name='value' (quotes doubled) to job->vars. */
int crowd_plot_job_setstr(struct crowd_plot_job *job, const char *name, const char *value);

/* p in [0,1] of sorted values, linear between closest ranks; NAN when n == 0. */
double crowd_plot_quantile(const double *sorted, size_t n, double p);

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
