/* The cgroup layer's value types: the layout, the limits a leaf gets and the statistics it
 * reads back. Apart from cgroup.h so that the managers' header (cgroup_utils.h) can use them
 * without including the dispatcher's. */
#ifndef CROWD_CGROUP_TYPES_H
#define CROWD_CGROUP_TYPES_H

#include <stdint.h>

enum crowd_cg_layout {
	CROWD_CG_UNIFIED, /* cgroup2 at the root */
	CROWD_CG_LEGACY,  /* v1 hierarchies only */
	CROWD_CG_HYBRID,  /* v1 hierarchies for controllers, cgroup2 at <root>/unified */
};

/* Limits; a negative value (or empty string) means "not set". */
struct crowd_cg_limits {
	int64_t memory_max_bytes;
	int64_t pids_max;
	int64_t cpu_quota_us; /* with cpu_period_us */
	int64_t cpu_period_us;
	char cpuset_cpus[64]; /* e.g. "0-1" */
	char cpuset_mems[32];
};
#define CROWD_CG_LIMITS_NONE                                                                       \
	{                                                                                          \
		.memory_max_bytes = -1, .pids_max = -1, .cpu_quota_us = -1, .cpu_period_us = -1    \
	}

/* What a container's cgroup reads back; -1 where the layout cannot tell. */
struct crowd_cg_stats {
	int64_t memory_current_bytes; /* v2 memory.current, v1 memory.usage_in_bytes (kmem included
					 where accounted) */
	int64_t memory_peak_bytes;    /* v2 memory.peak, v1 memory.max_usage_in_bytes */
	int64_t pids_current;
	int64_t cpu_usage_ns;
	int64_t oom_kills; /* v2 memory.events oom_kill, v1 memory.oom_control oom_kill */
};

/* The cgroup.procs files a new process writes "0" to, to join its leaf from inside.
 * v2_fd is the cgroup2 leaf's, needed only when clone3(CLONE_INTO_CGROUP) did not place the
 * child there; fds are the v1 ones in attach order (cpuset first). */
#define CROWD_CG_ATTACH_MAX 8
struct crowd_cg_attach {
	int v2_fd;
	unsigned n;
	int fds[CROWD_CG_ATTACH_MAX];
	const char *names[CROWD_CG_ATTACH_MAX + 1]; /* hierarchy mount points, for errors */
};

struct crowd_cg_run; /* the run's parent cgroup(s), opaque */
struct crowd_cg;     /* one container's cgroup(s), opaque */

#endif
