/* The run engine of bench and density: probe and open the backends, start instances
 * interleaved backend by backend with a window of -j starts in flight, see readiness on one
 * epoll loop, measure memory once all are ready, tear everything down timed, and check that
 * nothing is left. A library: it never prints; progress goes through a callback. */
#ifndef CROWD_LAUNCHER_H
#define CROWD_LAUNCHER_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"
#include "config.h"
#include "core/error.h"
#include "load/load.h"
#include "memory.h"
#include "results/results.h"

#define CROWD_LAUNCH_TIMEOUT_NS (30LL * 1000000000LL)

struct crowd_launch;
typedef void (*crowd_launch_progress_fn)(const struct crowd_launch *l, void *ctx);

struct crowd_launch_backend {
	const struct crowd_backend *backend;
	/* The row's backend column: the backend's name, or a sweep step's label ("core-nnp"). */
	char label[16];
	/* What the backend reads (run.cfg points here): the run's options, or a sweep step's. */
	struct crowd_config cfg;
	char exe[256]; /* an ns sweep step's workload binary (cfg.workload.argv[0] points here) */
	bool available;
	char reason[256]; /* why it is unavailable, or why open failed */
	bool opened;
	struct crowd_backend_run run;
	unsigned count; /* instances requested so far */
	unsigned failed, interrupted;
};

struct crowd_launch_slot; /* the launcher's own per-instance state */

/* What the launcher is doing: an instance's end_phase and an interrupt's phase. */
enum crowd_launch_phase {
	CROWD_PHASE_NONE,
	CROWD_PHASE_RAMP,     /* starting instances (and measuring them) */
	CROWD_PHASE_LOAD,     /* the HTTP load */
	CROWD_PHASE_TEARDOWN, /* stopping them */
};
/* "ramp", "load", "teardown" ("" for none). */
const char *crowd_launch_phase_name(int phase);

struct crowd_launch {
	const struct crowd_config *cfg;
	int64_t t0_ns;		 /* run start (CLOCK_MONOTONIC) */
	char run_name[64];	 /* cgroup name of the run under <top> */
	struct crowd_cg_run *cg; /* shared by the backends that use cgroups; NULL if none */
	char cg_error[248];	 /* why there is no cg */
	bool cg_undelegated;	 /* unprivileged, no delegated subtree: no cgroups at all */
	struct crowd_launch_backend be[CROWD_MAX_BACKENDS];
	unsigned n_be;
	unsigned avail[CROWD_MAX_BACKENDS]; /* indexes into be[] of the available ones */
	unsigned n_avail;

	struct crowd_inst *insts;	  /* interleaved: core#0, process#0, core#1, ... */
	struct crowd_sample_extra *extra; /* per instance: latency and errors from the load */
	size_t n_insts, cap;
	struct crowd_launch_slot *slots;

	unsigned n_started, n_ready, n_failed, n_interrupted;
	unsigned n_stopped;	   /* teardown progress */
	unsigned teardown_workers; /* threads that stopped instances in parallel (0: none yet) */
	int64_t teardown_wall_ns;  /* the whole teardown of the instances, wall time */
	struct crowd_meminfo mem_before, mem_after;
	bool have_mem_before, have_mem_after;
	int64_t timeout_ns;		   /* per instance, request to ready */
	bool stop_on_failure;		   /* density: stop starting at the first failure */
	struct crowd_error first_failure;  /* the first failed start or readiness */
	volatile sig_atomic_t stop;	   /* interrupt requested */
	bool interrupted;		   /* an interrupt came (set by grow and teardown) */
	volatile sig_atomic_t phase;	   /* enum crowd_launch_phase, now */
	volatile sig_atomic_t stop_phase;  /* the phase the first interrupt came in */
	volatile sig_atomic_t stop_signal; /* SIGINT, SIGTERM; 0: not from a signal */
	volatile sig_atomic_t step;	   /* density's step now (0: not density) */
	volatile sig_atomic_t stop_step;   /* the step the first interrupt came in */
	bool load_partial;		   /* an interrupt cut a load short */

	crowd_launch_progress_fn progress;
	void *progress_ctx;

	/* Between the starter threads and the thread in grow(). */
	pthread_mutex_t lock;
	pthread_cond_t cv;
	size_t *fl, n_fl; /* in flight: starting or waiting for ready (<= -j) */
	size_t grow_target;
	unsigned busy; /* starters inside a start */
	bool cancel, quit_starters;
	pthread_t starters[64];
	unsigned n_starters;

	int ep_fd, wake_fd, quit_fd;
	pthread_t observer;
	bool observer_running;
};

/* Probe every backend of cfg (unavailable ones keep their reason), open the available ones
 * (with cfg->sweep: the first backend once per step of its crowd_sweep_table, each with its
 * own options and label, interleaved like backends), raise RLIMIT_NOFILE, take MemAvailable/Slab
 * before anything starts. Room for cap_per_backend instances per backend. -ENODEV when no backend
 * can run (err lists the reasons). */
int crowd_launch_open(const struct crowd_config *cfg, unsigned cap_per_backend,
		      struct crowd_launch **ret, struct crowd_error *err);

/* Start instances until each available backend has per_backend of them, interleaved, and wait
 * (starter threads, one per CPU at most, each call backend start(); at most -j instances are
 * starting or waiting for readiness at any time)
 * until each is ready, failed or timed out. Returns 0; -EINTR when interrupted (unfinished rows
 * marked "interrupted", unstarted ones added as "interrupted" rows when fill_interrupted);
 * -ECANCELED when stop_on_failure and an instance failed (first_failure says why). */
int crowd_launch_grow(struct crowd_launch *l, unsigned per_backend, bool fill_interrupted,
		      struct crowd_error *err);

/* Host memory after, and per instance cgroup/PSS/RSS through the backends' stats(). Instances
 * from index `from` on only (density measures each step's new ones). */
int crowd_launch_measure(struct crowd_launch *l, size_t from, struct crowd_error *err);

/* What the load did per backend (indexes of be[]). client_cpu_ns and duration_ns are of the
 * whole load, which all backends shared. */
struct crowd_launch_load {
	bool ran;
	size_t targets;
	double total_rps, fairness;
	int64_t client_cpu_ns, duration_ns;
	uint64_t requests, errors;
};

/* HTTP load on all backends at once (interleaved like the starts, so drift hurts each alike):
 * the ready instances from index `from` on that listen, or a random subset of at most
 * `subset` of them (0: all). Fills rps, t_first_response and the extras of those rows, and
 * ret[b] per backend. Nothing to load (no instance listens) is not an error. */
int crowd_launch_load(struct crowd_launch *l, size_t from, size_t subset, uint64_t seed,
		      struct crowd_launch_load ret[CROWD_MAX_BACKENDS], struct crowd_error *err);

/* The same on the rows idx[0..n) (ready, listening ones), chunk targets at a time (0: as many
 * as RLIMIT_NOFILE allows, usually all), each chunk loaded for duration_ns. */
int crowd_launch_load_list(struct crowd_launch *l, const size_t *idx, size_t n, size_t chunk,
			   int64_t duration_ns, struct crowd_launch_load ret[CROWD_MAX_BACKENDS],
			   struct crowd_error *err);

/* Kill and remove every instance, timing each; close the backends and the run's cgroups; then
 * check the run's cgroups are gone. -EBUSY when something was left (err says what). */
int crowd_launch_teardown(struct crowd_launch *l, struct crowd_error *err);

/* Free everything; tears down first when teardown was not called. NULL is fine. */
void crowd_launch_free(struct crowd_launch *l);

/* Async-signal-safe: stop starting and make grow return -EINTR, stop a load early; the phase
 * it came in is kept. */
void crowd_launch_interrupt(struct crowd_launch *l);
/* The same for signal sig (SIGINT, SIGTERM): crowd_launch_exit_code gives 128 + sig. */
void crowd_launch_interrupt_signal(struct crowd_launch *l, int sig);
/* "load", "ramp (step 3)": the phase the interrupt came in, into buf; "" when none came. */
const char *crowd_launch_interrupt_phase(const struct crowd_launch *l, char *buf, size_t len);
/* The exit code of an interrupted run: 128 + the signal (130 when not from a signal). */
int crowd_launch_exit_code(const struct crowd_launch *l);

/* Describe the kernel or cgroup limit behind a failed start (errno code, message msg): the
 * limit's name and value, e.g. "pids.max=50 at /sys/fs/cgroup/pids/crowd/run-1 (current 50)",
 * "RLIMIT_NOFILE=1024 ...", "user.max_pid_namespaces=3 ...". Returns true when code is a limit
 * errno (ENOSPC, EAGAIN, EMFILE, ENFILE, ENOMEM). Density's stop and each failed row use it. */
bool crowd_launch_limit(const struct crowd_launch *l, int code, const char *msg, char *buf,
			size_t len);

/* The launcher entry (backend or sweep step) an instance of l->insts belongs to. */
struct crowd_launch_backend *crowd_launch_backend_of(struct crowd_launch *l,
						     const struct crowd_inst *inst);

#endif
