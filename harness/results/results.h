/* The results folder (docs/architecture.md, "The results contract"): samples.csv, summary.json,
 * host.json and, for density runs, density.csv. One model (struct crowd_summary and struct
 * crowd_results): the writer hands back what it wrote, the one reader fills the same structures,
 * and every view (bench's printout, compare, history, plot, the HTML report) takes them.
 * samples.csv round-trips exactly: integers at full precision, rps with 3 decimals, empty
 * fields for -1. */
#ifndef CROWD_RESULTS_H
#define CROWD_RESULTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "engine/config.h"
#include "core/error.h"
#include "kernel.h"
#include "sample.h"
#include "stats.h"

/* The results format's version (summary.json and host.json "results_version"): 1 since
 * rows carry host and run_id. crowd merge refuses to mix versions. */
#define CROWD_RESULTS_VERSION 1

/* Optional extra columns of samples.csv: the load generator's per container, how the
 * instance ended, and (last columns) host and run_id, where the row was measured
 * (docs/architecture.md "The results contract"); -1 / "" when absent. */
struct crowd_sample_extra {
	int64_t latency_p50_ns;
	int64_t latency_p99_ns;
	int64_t errors;
	/* running-at-teardown, exit, signal, oom, vanished, failed-start, timeout, interrupted */
	char end_reason[24];
	int64_t exit_code;  /* when it exited on its own */
	int64_t end_signal; /* the signal that ended it (9 for an OOM kill) */
	char end_phase[16]; /* before-ready, ramp, load, teardown */
	char host[64];
	char run_id[40];
};
void crowd_sample_extra_init(struct crowd_sample_extra *x);
/* Every end_reason, in the order summary.json "ends" lists them. */
#define CROWD_END_REASONS 8
extern const char *const crowd_end_reasons[CROWD_END_REASONS];

/* What the launcher knows per backend beyond the samples. Doubles < 0 / NULL strings mean
 * absent (the key is left out of the JSON). */
struct crowd_backend_summary {
	const char *name;			 /* backend name, matches sample.backend */
	double mem_available_delta_per_instance; /* bytes, host MemAvailable drop / N */
	double slab_delta_per_instance;		 /* bytes, host Slab growth / N (may be < 0: */
	bool have_host_deltas;			 /*   so this flag says whether both are set) */
	bool load_ran;
	bool load_partial; /* an interrupt cut the load short */
	double total_rps, jain, client_cpu_ns, duration_ns;
	unsigned connections;
	const char *ready_kind; /* "fd", "tcp", "console" */
	const char *accel;	/* vm only: "kvm" or "tcg" */
	const char *kernel;	/* vm only: the guest kernel ("minimal 6.1 ...", "debian 6.1...") */
	const char *invocation; /* host.json backends.<name>.invocation */
	const char *unapplied;	/* host.json backends.<name>.unapplied */
	/* A sweep step's own options (host.json backends.<name>.security); NULL: the run's. */
	const struct crowd_config *cfg;
};
void crowd_backend_summary_init(struct crowd_backend_summary *b, const char *name);

/* Density runs: one row of density.csv per step. Absent values -1. */
struct crowd_density_step {
	unsigned step, count;
	int64_t spinup_p50_ns, spinup_p99_ns;
	double mem_available_per_instance_bytes, slab_per_instance_bytes;
	double cgroup_per_instance_bytes, pss_per_instance_bytes;
	double rps_per_instance;
};
enum crowd_density_stop {
	CROWD_DENSITY_MEMORY_BUDGET,
	CROWD_DENSITY_SLO_SPINUP_P99,
	CROWD_DENSITY_SLO_THROUGHPUT_DROP,
	CROWD_DENSITY_KERNEL_LIMIT,
	CROWD_DENSITY_MAX_COUNT,
	CROWD_DENSITY_FAILURE,
};
/* "memory-budget", "slo-spinup-p99", ... as in summary.json. */
const char *crowd_density_stop_name(enum crowd_density_stop s);
struct crowd_density_outcome {
	unsigned max_count;
	enum crowd_density_stop stopped_by;
	const char *detail;
	int64_t ramp_ns;
};

/* One run as handed to the writer. */
struct crowd_run_output {
	const struct crowd_config *cfg; /* options: host.json "options", workload name */
	const char *run_name;		/* NULL: basename of dir */
	time_t started;			/* wall clock of the run start; 0: now */
	const struct crowd_sample *samples;
	const struct crowd_sample_extra *extra; /* NULL, or one per sample */
	size_t n;
	const struct crowd_backend_summary *backends; /* NULL or one per backend of the run */
	size_t n_backends;
	/* density runs: density.csv and summary.json "density" (NULL: not a density run) */
	const struct crowd_density_outcome *density;
	const struct crowd_density_step *steps;
	size_t n_steps;
	/* --sweep: the backends, in order, are the sweep's steps (summary "sweep"; their bases
	 * from cfg->sweep's table, else each against the one before) */
	bool sweep;
	/* the phase a SIGINT/SIGTERM came in ("ramp", "load", "teardown", "step N ramp"...);
	 * NULL: not interrupted */
	const char *interrupted_phase;
	/* Where and which run (samples.csv host/run_id, summary.json, host.json); NULL when
	 * writing: crowd_results_origin's. */
	const char *host, *run_id;
	/* Kernel memory by object (kernel.h): the run's (summary "kernel"; bench: slab.csv's
	 * one row group) and, for density, one per step (slab.csv); NULL: not measured. */
	const struct crowd_slab_attr *kernel;
	const struct crowd_slab_attr *slab_steps; /* n_steps of them */
};

/* This host's name for results: $CROWD_HOST when set (a fleet names its hosts), else
 * gethostname(). */
void crowd_results_hostname(char *buf, size_t len);
/* A new run id: a random UUID (version 4) in buf (>= 37 bytes). */
int crowd_results_new_run_id(char *buf, size_t len, struct crowd_error *err);

/* ---- metrics: one table, used by summary.json, compare and plot ---- */
#define CROWD_METRICS_MAX 16
struct crowd_metric {
	const char *name;      /* summary.json key: "spinup_ns", "phase_clone_ns", ... */
	const char *unit;      /* "ns", "bytes", "req/s" */
	bool higher_is_better; /* rps */
	/* The value of one sample, NAN when the sample does not have it. */
	double (*get)(const struct crowd_sample *s);
};
extern const struct crowd_metric crowd_metrics[];
extern const unsigned crowd_metrics_len; /* <= CROWD_METRICS_MAX */
const struct crowd_metric *crowd_metric_find(const char *name);
/* "spinup_ns, phase_cgroup_ns, ...": every metric's name, for "allowed:" messages. */
const char *crowd_metric_names(char *buf, size_t len);
/* Values of metric m over samples of `backend` (NULL: all) with status ok, into ret (n
 * slots); returns how many. */
size_t crowd_metric_values(const struct crowd_metric *m, const struct crowd_sample *s, size_t n,
			   const char *backend, double *ret);

/* ---- the summary: what summary.json holds, written and read back as this one structure ---- */

/* One backend. Doubles NAN and strings "" when absent. */
struct crowd_summary_backend {
	char name[16];
	unsigned count, failures, interrupted; /* rows, failed rows, interrupted rows */
	unsigned ends[CROWD_END_REASONS];      /* rows per end_reason (crowd_end_reasons) */
	char ready_kind[16];		       /* "fd", "tcp", "console" */
	char accel[16];			       /* vm only: "kvm" or "tcg" */
	char kernel[96];		       /* vm only: the guest kernel that ran */
	/* by index in crowd_metrics; n == 0: no ok sample has the metric */
	struct crowd_stats metrics[CROWD_METRICS_MAX];
	bool have_host; /* "host": MemAvailable drop and Slab growth per instance, bytes */
	double mem_available_delta_per_instance, slab_delta_per_instance;
	bool have_load;	   /* "load": totals of the load phase */
	bool load_partial; /* "load" "partial": an interrupt cut it short */
	double total_rps, jain, client_cpu_ns, duration_ns;
	unsigned connections;
};

/* One step of a sweep (--sweep security|ns|caps), per metric of crowd_sweep_metrics: the p50 with its 95% CI
 * (as in the backend's stats) and the difference of medians to its base step (the one before, or for an ns step alone
 * the step without namespaces) with its
 * bootstrap 95% CI (crowd_stats_diff_ci). NAN when absent (the first step has no delta). */
#define CROWD_SWEEP_METRICS 3
extern const char *const crowd_sweep_metrics[CROWD_SWEEP_METRICS]; /* spinup, cgroup, PSS */
struct crowd_summary_sweep_value {
	double p50, ci95_lo, ci95_hi;
	double delta, delta_lo, delta_hi;
};
struct crowd_summary_sweep {
	char name[16];
	char vs[16]; /* the step the delta is against ("" for the first) */
	struct crowd_summary_sweep_value m[CROWD_SWEEP_METRICS];
};

struct crowd_summary {
	int results_version; /* 0: a folder written before the key existed */
	char host[64];	     /* "" in a merged (fleet) folder: rows say */
	char run_id[40];
	bool fleet; /* written by crowd merge (per-host statistics under "hosts") */
	char crowd_version[32], git[48];
	char run[128]; /* run name (the folder name unless told) */
	char workload[32];
	char started[32];					   /* ISO 8601 UTC, "" if unknown */
	size_t count;						   /* samples */
	struct crowd_summary_backend backends[CROWD_MAX_BACKENDS]; /* run order */
	unsigned n_backends;
	bool have_density; /* "density": the outcome of a density ramp */
	unsigned density_max_count;
	char density_stopped_by[32], density_detail[256];
	int64_t density_ramp_ns;
	struct crowd_summary_sweep sweep[CROWD_MAX_BACKENDS]; /* steps in order */
	char sweep_kind[16];				      /* "security", "ns", "caps" */
	unsigned n_sweep;				      /* 0: not a sweep */
	char interrupted_phase[32]; /* "interrupted": {"phase": ...}; "" when not */
	struct crowd_summary_kernel kernel;		      /* "kernel" when .have */
};

/* The statistics of the run (every metric of every backend, seeded bootstrap). */
int crowd_results_summarize(const struct crowd_run_output *out, struct crowd_summary *ret,
			    struct crowd_error *err);
/* summary.json's text of s, to f (no trailing newline). */
int crowd_results_summary_dump(const struct crowd_summary *s, FILE *f, struct crowd_error *err);
/* Name set, counts 0, strings "", doubles NAN, no metric. */
void crowd_summary_backend_init(struct crowd_summary_backend *b, const char *name);
/* Backend name of s, NULL when s does not have it. */
const struct crowd_summary_backend *crowd_summary_backend(const struct crowd_summary *s,
							  const char *name);
/* Statistics of metric m of backend b, NULL when absent. */
const struct crowd_stats *crowd_summary_stats(const struct crowd_summary_backend *b,
					      const struct crowd_metric *m);

/* ---- writing ---- */

/* mkdir -p dir; write samples.csv, summary.json, host.json and (density runs) density.csv.
 * ret_summary (may be NULL) gets what summary.json holds, so the caller prints it without
 * reading the file back; it is filled even when writing fails after summarizing. */
int crowd_results_write(const char *dir, const struct crowd_run_output *out,
			struct crowd_summary *ret_summary, struct crowd_error *err);
/* The parts, for callers that want one file. */
int crowd_results_write_samples(const char *path, const struct crowd_sample *s,
				const struct crowd_sample_extra *extra, size_t n,
				struct crowd_error *err);
/* The same with the column groups chosen: latency_p50_ns..errors when latency, host and run_id
 * when origin (both need extra; the plain call writes latency whenever extra is given and
 * origin when a row has one). */
int crowd_results_write_samples_cols(const char *path, const struct crowd_sample *s,
				     const struct crowd_sample_extra *extra, size_t n, bool latency,
				     bool origin, struct crowd_error *err);
int crowd_results_write_summary(const char *path, const struct crowd_summary *s,
				struct crowd_error *err);
int crowd_results_write_host(const char *path, const struct crowd_run_output *out,
			     struct crowd_error *err);
int crowd_results_write_density(const char *path, const struct crowd_density_step *steps, size_t n,
				struct crowd_error *err);

/* "<root>/<YYYYmmdd-HHMMSS>-<b1+b2>-<workload>" in buf (root NULL: "results/runs"). */
int crowd_results_default_dir(const struct crowd_config *cfg, time_t t, const char *root, char *buf,
			      size_t len, struct crowd_error *err);
/* Point <dirname(dir)>/latest at basename(dir) (replaces an old link atomically). */
int crowd_results_link_latest(const char *dir, struct crowd_error *err);

/* ---- reading a results folder back: the one reader, for compare, history, plot ---- */

/* What host.json says of the machine (for footnotes); "" / NAN when absent. */
struct crowd_results_host {
	bool present;
	bool fleet; /* a merged folder's host.json: one entry per host under "hosts" */
	char cpu_model[128], kernel[64], cgroup_layout[16];
	double pus, memory_total_bytes;
};

struct crowd_results {
	char dir[PATH_MAX];
	char folder[128]; /* the folder's own name, symlinks resolved ("latest" names
			   * its target) */
	struct crowd_sample *samples;
	struct crowd_sample_extra *extra; /* one per sample */
	size_t n;
	/* summary.json when present (have_summary). Whatever it lacks comes from the samples:
	 * run (the folder name), workload (the first sample's), and the backends with their
	 * counts, in order of first appearance, then any summary.json names that no sample has. */
	bool have_summary;
	struct crowd_summary summary;
	struct crowd_results_host host;	  /* host.json */
	struct crowd_density_step *steps; /* density.csv, NULL when absent */
	size_t n_steps;
	/* crowd_results_read_values only (samples is NULL then, n the row count): per row the
	 * backend (index in summary.backends), the status and every metric's value as a float
	 * (NAN when absent): about 50 bytes a row instead of 500, for runs of 10^5..10^6 rows. */
	unsigned char *row_backend, *row_status;
	float *row_values; /* n * crowd_metrics_len, row after row */
};
/* Read samples.csv (required), summary.json, host.json and density.csv (when present) of
 * dir. CSV columns are found by name; unknown ones are ignored. A bad file is -EINVAL with
 * the file and line in err; a missing folder or samples.csv is -ENOENT. */
int crowd_results_read(const char *dir, struct crowd_results *ret, struct crowd_error *err);
void crowd_results_free(struct crowd_results *r);
/* The same folder read for comparing big runs: samples.csv streamed (never held whole) into
 * row_backend / row_status / row_values; samples and extra stay NULL. */
int crowd_results_read_values(const char *dir, struct crowd_results *ret, struct crowd_error *err);
/* crowd_metric_values for either kind of crowd_results. */
size_t crowd_results_metric_values(const struct crowd_results *r, const struct crowd_metric *m,
				   const char *backend, double *ret);
/* Status of row i of either kind. */
enum crowd_status crowd_results_status(const struct crowd_results *r, size_t i);
/* Backend name of row i of either kind. */
const char *crowd_results_backend(const struct crowd_results *r, size_t i);
/* Call fn for every row of samples.csv at path, without holding the file or the rows. */
int crowd_results_scan_samples(const char *path,
			       int (*fn)(const struct crowd_sample *s,
					 const struct crowd_sample_extra *x, void *ctx),
			       void *ctx, struct crowd_error *err);
/* Read one samples.csv (*ret and *ret_extra malloc'd, free() them). */
int crowd_results_read_samples(const char *path, struct crowd_sample **ret,
			       struct crowd_sample_extra **ret_extra, size_t *ret_n,
			       struct crowd_error *err);
int crowd_results_read_density(const char *path, struct crowd_density_step **ret, size_t *ret_n,
			       struct crowd_error *err);
/* Read one summary.json into *ret (which the caller zeroed or filled with defaults). */
int crowd_results_read_summary(const char *path, struct crowd_summary *ret,
			       struct crowd_error *err);
int crowd_results_read_host(const char *path, struct crowd_results_host *ret,
			    struct crowd_error *err);

/* ---- many hosts ---- */

/* crowd merge: one fleet folder at out from the results folders dirs (runs or earlier merges).
 * Every row keeps its host and run_id; summary.json has the pooled statistics (from all raw
 * samples) under "backends" and each host's under "hosts"; host.json holds each host's
 * host.json under "hosts". Bad input (a folder that is not a results folder, results versions
 * that differ, a run id in two folders, out not new/empty/an earlier merge) is -EINVAL naming
 * the folder, before anything is created. ret_summary (may be NULL) gets the pooled summary. */
int crowd_results_merge(const char *const *dirs, size_t n, const char *out,
			struct crowd_summary *ret_summary, struct crowd_error *err);

/* The distinct hosts of r's rows, in order of first appearance (names point into r->extra);
 * returns how many (<= max). */
size_t crowd_results_hosts(const struct crowd_results *r, const char **names, size_t max);

/* One host's summary for the OpenMetrics text. */
struct crowd_om_host {
	const char *host;
	const struct crowd_summary *s;
};
/* The summaries as OpenMetrics text (node_exporter's textfile collector), written to path
 * through a temporary file and a rename. Labels: backend, workload, host. */
int crowd_results_write_openmetrics(const char *path, const struct crowd_om_host *h, size_t n,
				    struct crowd_error *err);
int crowd_results_openmetrics_dump(const struct crowd_om_host *h, size_t n, FILE *f);

#endif
