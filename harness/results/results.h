/* The results folder (DESIGN.md "Results folder"): samples.csv, summary.json, host.json and,
 * for density runs, density.csv; writers for the launcher and readers for compare and plot.
 * samples.csv round-trips exactly: integers at full precision, rps with 3 decimals, empty
 * fields for -1. */
#ifndef CROWD_RESULTS_H
#define CROWD_RESULTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "engine/config.h"
#include "core/error.h"
#include "sample.h"

/* Optional extra columns of samples.csv (load generator per container); -1 when absent. */
struct crowd_sample_extra {
	int64_t latency_p50_ns;
	int64_t latency_p99_ns;
	int64_t errors;
};
void crowd_sample_extra_init(struct crowd_sample_extra *x);

/* What the launcher knows per backend beyond the samples. Doubles < 0 / NULL strings mean
 * absent (the key is left out of the JSON). */
struct crowd_backend_summary {
	const char *name;                        /* backend name, matches sample.backend */
	double mem_available_delta_per_instance; /* bytes, host MemAvailable drop / N */
	double slab_delta_per_instance;          /* bytes, host Slab growth / N (may be < 0: */
	bool have_host_deltas;                   /*   so this flag says whether both are set) */
	bool load_ran;
	double total_rps, jain, client_cpu_ns, duration_ns;
	unsigned connections;
	const char *ready_kind;                  /* "fd", "tcp", "console" */
	const char *accel;                       /* vm only: "kvm" or "tcg" */
	const char *invocation;                  /* host.json backends.<name>.invocation */
	const char *unapplied;                   /* host.json backends.<name>.unapplied */
};
void crowd_backend_summary_init(struct crowd_backend_summary *b, const char *name);

/* One run as handed to the writer. */
struct crowd_run_output {
	const struct crowd_config *cfg;  /* options: host.json "options", workload name */
	const char *run_name;            /* NULL: basename of dir */
	time_t started;                  /* wall clock of the run start; 0: now */
	const struct crowd_sample *samples;
	const struct crowd_sample_extra *extra; /* NULL, or one per sample */
	size_t n;
	const struct crowd_backend_summary *backends; /* NULL or one per backend of the run */
	size_t n_backends;
};

/* mkdir -p dir; write samples.csv, summary.json and host.json into it. */
int crowd_results_write(const char *dir, const struct crowd_run_output *out,
			struct crowd_error *err);
/* The parts, for callers that want one file. */
int crowd_results_write_samples(const char *path, const struct crowd_sample *s,
				const struct crowd_sample_extra *extra, size_t n,
				struct crowd_error *err);
int crowd_results_write_summary(const char *path, const struct crowd_run_output *out,
				struct crowd_error *err);
int crowd_results_write_host(const char *path, const struct crowd_run_output *out,
			     struct crowd_error *err);

/* "<root>/<YYYYmmdd-HHMMSS>-<b1+b2>-<workload>" in buf (root NULL: "results/runs"). */
int crowd_results_default_dir(const struct crowd_config *cfg, time_t t, const char *root,
			      char *buf, size_t len, struct crowd_error *err);
/* Point <dirname(dir)>/latest at basename(dir) (replaces an old link atomically). */
int crowd_results_link_latest(const char *dir, struct crowd_error *err);

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
/* Write dir/density.csv and add the top-level "density" object to dir/summary.json (which
 * crowd_results_write made before). */
int crowd_results_write_density(const char *dir, const struct crowd_density_step *steps,
				size_t n, const struct crowd_density_outcome *outcome,
				struct crowd_error *err);

/* ---- metrics: one table, used by summary.json, compare and plot ---- */
struct crowd_metric {
	const char *name;       /* summary.json key: "spinup_ns", "phase_clone_ns", ... */
	const char *unit;       /* "ns", "bytes", "req/s" */
	bool higher_is_better;  /* rps */
	/* The value of one sample, NAN when the sample does not have it. */
	double (*get)(const struct crowd_sample *s);
};
extern const struct crowd_metric crowd_metrics[];
extern const unsigned crowd_metrics_len;
const struct crowd_metric *crowd_metric_find(const char *name);
/* Values of metric m over samples of `backend` (NULL: all) with status ok, into ret (n
 * slots); returns how many. */
size_t crowd_metric_values(const struct crowd_metric *m, const struct crowd_sample *s, size_t n,
			   const char *backend, double *ret);

/* ---- reading a results folder back ---- */
/* What summary.json says of one backend beyond the samples; NAN / "" when absent. */
struct crowd_results_backend {
	char name[16];
	char ready_kind[16];
	char accel[16];
	double mem_available_delta_per_instance, slab_delta_per_instance;
	double total_rps, jain;
};
struct crowd_results {
	char dir[PATH_MAX];
	char run[128];          /* summary.json "run", else the folder name */
	char workload[32];      /* summary.json "workload", else the first sample's */
	char started[32];       /* summary.json "started" (ISO 8601 UTC), "" if unknown */
	char git[48];
	struct crowd_sample *samples;
	struct crowd_sample_extra *extra; /* one per sample */
	size_t n;
	char backends[CROWD_MAX_BACKENDS][16]; /* in order of first appearance */
	unsigned n_backends;
	struct crowd_results_backend info[CROWD_MAX_BACKENDS]; /* from summary.json */
	unsigned n_info;
	struct crowd_density_step *steps; /* density.csv, NULL when absent */
	size_t n_steps;
};
/* Read samples.csv (required) and summary.json (optional) of dir. A bad file is -EINVAL with
 * the file and line in err; a missing folder or samples.csv is -ENOENT. */
int crowd_results_read(const char *dir, struct crowd_results *ret, struct crowd_error *err);
void crowd_results_free(struct crowd_results *r);
/* The summary.json facts of backend name, NULL when summary.json did not have it. */
const struct crowd_results_backend *crowd_results_info(const struct crowd_results *r,
						       const char *name);
/* Read one samples.csv (*ret and *ret_extra malloc'd, free() them). */
int crowd_results_read_samples(const char *path, struct crowd_sample **ret,
			       struct crowd_sample_extra **ret_extra, size_t *ret_n,
			       struct crowd_error *err);
int crowd_results_read_density(const char *path, struct crowd_density_step **ret,
			       size_t *ret_n, struct crowd_error *err);

#endif
