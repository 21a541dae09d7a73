/* What `crowd bench` and `crowd density` share on the command side: Ctrl-C handling, the
 * one-line progress display, the load phase, the results folder and the printed
 * per-backend summary. */
#ifndef CROWD_FLEET_H
#define CROWD_FLEET_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "engine/config.h"
#include "engine/launcher.h"
#include "load/load.h"
#include "results/results.h"

struct crowd_fleet {
	const char *cmd; /* "bench", "density" */
	struct crowd_config *cfg;
	struct crowd_launch *l;
	time_t started;
	char dir[PATH_MAX]; /* results folder */
	bool default_dir;   /* under results/runs: keep `latest` pointing at it */
	/* progress */
	bool show_progress;
	unsigned target; /* instances the current grow aims at (all backends) */
	int64_t last_draw_ns;
	bool drawn;
	/* per backend (indexes of l->be) */
	struct crowd_launch_load load[CROWD_MAX_BACKENDS];
	char load_error[248];
	struct crowd_backend_summary bs[CROWD_MAX_BACKENDS];
	unsigned n_bs;
	char argv_line[2048];
	/* density runs set these before crowd_fleet_write (NULL: not a density run) */
	const struct crowd_density_outcome *density;
	const struct crowd_density_step *steps;
	size_t n_steps;
	const struct crowd_slab_attr *slab_steps; /* density: one per step */
	/* kernel memory by object: slabinfo when the fleet opened (nothing started), and the
	 * growth bench saw once all were up (or density's whole ramp, borrowed) */
	struct crowd_slab_snap slab_before;
	struct crowd_slab_attr kernel_own;
	const struct crowd_slab_attr *kernel;
	/* what summary.json holds, from crowd_fleet_write (or computed by the printout when
	 * writing failed) */
	struct crowd_summary summary;
	bool have_summary;
	/* --openmetrics FILE: the summary as OpenMetrics text, written after the folder */
	const char *openmetrics;
	char interrupted_phase[48]; /* for summary.json "interrupted" */
};

/* Fill cfg->argv_line from argv; set started, the results folder name. */
int crowd_fleet_init(struct crowd_fleet *f, const char *cmd, struct crowd_config *cfg, int argc,
		     char **argv, struct crowd_error *err);
/* crowd_fleet_init, then the launcher (room for per_backend instances each) with the progress
 * display and Ctrl-C handling on. */
int crowd_fleet_open(struct crowd_fleet *f, const char *cmd, struct crowd_config *cfg,
		     unsigned per_backend, int64_t timeout_ns, int argc, char **argv,
		     struct crowd_error *err);
/* Attribute the kernel memory grown since the fleet opened to the instances up now
 * (summary "kernel", slab.csv); call once all are up and measured. */
void crowd_fleet_kernel(struct crowd_fleet *f);
/* Free what the fleet holds of the kernel measurement. */
void crowd_fleet_kernel_free(struct crowd_fleet *f);
/* Route SIGINT/SIGTERM to crowd_launch_interrupt(l); restore with l == NULL. */
void crowd_fleet_signals(struct crowd_launch *l);
/* The launcher's progress callback (ctx is the fleet). */
void crowd_fleet_progress(const struct crowd_launch *l, void *ctx);
/* Erase the progress line, if one is shown. */
void crowd_fleet_progress_done(struct crowd_fleet *f);
/* The load phase: all backends at once (from, subset, seed as crowd_launch_load). */
void crowd_fleet_load(struct crowd_fleet *f, size_t from, size_t subset, uint64_t seed);
/* Write samples.csv, summary.json, host.json (and density.csv); keep the summary; point
 * results/runs/latest at the folder. */
int crowd_fleet_write(struct crowd_fleet *f, struct crowd_error *err);
/* The summary: one table per backend from f->summary, unavailable ones with their reason. */
void crowd_fleet_print(struct crowd_fleet *f, FILE *out);
/* --openmetrics FILE of cmd: bad input (exit 2) unless FILE's folder exists and FILE is not a
 * folder. */
void crowd_fleet_check_openmetrics(const char *cmd, const char *path);
/* Print the summary as summary.json has it to out (for --json). */
int crowd_fleet_print_json(struct crowd_fleet *f, FILE *out);

#endif
