/* crowd density: add instances in steps through the launcher until a stop condition, measure
 * each step (spin-up percentiles of the step's instances, marginal memory per instance by every
 * measure, requests/s per instance on a random subset), and say what stopped it. A library: it
 * never prints; the caller sees each step through a callback. */
#ifndef CROWD_DENSITY_H
#define CROWD_DENSITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "launcher.h"
#include "results/results.h"

struct crowd_density_opts {
	unsigned step;                  /* instances per step per backend; 0: +10%, at least 10 */
	unsigned max_count;             /* per backend */
	int64_t memory_budget_bytes;    /* host MemAvailable drop allowed; -1: none */
	double memory_budget_pct;       /* the same as % of MemAvailable at start; < 0: none */
	int64_t slo_spinup_p99_ns;      /* a step's p99 spin-up above this stops; -1: none */
	double slo_throughput_drop_pct; /* rps/instance drop vs the first step, %; < 0: none */
	unsigned load_sample;           /* instances loaded per step (default 20) */
	bool final_check;               /* with HTTP: every instance answers at the end */
};
void crowd_density_opts_init(struct crowd_density_opts *o);

struct crowd_density_result {
	struct crowd_density_step *steps;
	size_t n_steps, cap_steps;
	unsigned max_count;             /* instances up (ready) when it stopped, all backends */
	enum crowd_density_stop stopped_by;
	bool interrupted;
	char detail[512];
	int64_t ramp_ns;                /* first start to the end of the last step */
	int64_t budget_bytes;           /* the memory budget in bytes, -1: none */
	size_t answering, checked;      /* final check: instances that answered HTTP / loaded */
	size_t retried;                 /* of those, how many needed a second try */
	int64_t pids_current;           /* pids in the run's cgroup at the end, -1 unknown */
};

typedef void (*crowd_density_step_fn)(const struct crowd_density_result *r, void *ctx);

/* Run the ramp on an open launcher. Returns 0 once a stop condition was met (ret says which),
 * -EINTR when interrupted (ret->interrupted, steps so far kept); another negative errno when
 * the ramp itself failed (out of memory, the launcher could not start): ret says "failure"
 * with the reason and err holds it. Instances stay up: the caller tears down through the
 * launcher. */
int crowd_density_run(struct crowd_launch *l, const struct crowd_density_opts *o,
		      struct crowd_density_result *ret, crowd_density_step_fn step_fn, void *ctx,
		      struct crowd_error *err);
void crowd_density_result_free(struct crowd_density_result *r);

/* Describe the kernel or cgroup limit behind a failed start (errno code, message msg): the
 * limit's name and value, e.g. "pids.max=50 at /sys/fs/cgroup/pids/crowd/run-1 (current 50)".
 * Returns true when code is a limit errno (ENOSPC, EAGAIN, EMFILE, ENFILE, ENOMEM). */
bool crowd_density_limit(const struct crowd_launch *l, int code, const char *msg, char *buf,
			 size_t len);

#endif
