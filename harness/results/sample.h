/* One measured container: a row of samples.csv (docs/architecture.md, "The results contract").
 * Times are CLOCK_MONOTONIC nanoseconds relative to the run's start; -1 means "this backend cannot
 * see that phase" and is written as an empty field, never invented. */
#ifndef CROWD_SAMPLE_H
#define CROWD_SAMPLE_H

#include <stdint.h>

enum crowd_status {
	CROWD_STATUS_OK,
	CROWD_STATUS_FAILED,
	CROWD_STATUS_INTERRUPTED,
};
const char *crowd_status_name(enum crowd_status s);

struct crowd_sample {
	char backend[16];
	char workload[32];
	int index;
	char id[40];
	enum crowd_status status;
	int64_t t_request_ns;
	int64_t t_cgroup_ns;
	int64_t t_clone_ns;
	int64_t t_setup_ns;
	int64_t t_ready_ns;
	int64_t t_first_response_ns;
	int64_t spinup_ns;   /* t_ready - t_request */
	int64_t teardown_ns; /* kill to cgroup removed */
	int64_t cgroup_bytes;
	int64_t pss_bytes;
	int64_t rss_bytes;
	double rps; /* < 0: no load ran */
	char error[248];
	/* What the engine costs per container outside its cgroup: its shim or monitor process
	 * (containerd-shim, conmon) plus the daemon's growth divided by the instances running;
	 * -1 for backends without one. */
	int64_t engine_bytes;
};

/* All numeric fields -1 (rps -1.0), strings empty, status OK. */
void crowd_sample_init(struct crowd_sample *s);

#endif
