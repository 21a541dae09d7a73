/* cgroups through the filesystem: one interface, a v2 (unified) and a v1 (per-controller)
 * backend behind it, chosen from the detected layout. One parent cgroup per run
 * (<top>/<run>), one leaf per container (<top>/<run>/<leaf>). <top> is "crowd" unless the
 * environment variable CROWD_CGROUP_TOP names another (tests use that to stay apart). */
#ifndef CROWD_CGROUP_H
#define CROWD_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

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
#define CROWD_CG_LIMITS_NONE                                                                   \
	{                                                                                      \
		.memory_max_bytes = -1, .pids_max = -1, .cpu_quota_us = -1, .cpu_period_us = -1 \
	}

/* What a container's cgroup reads back; -1 where the layout cannot tell. */
struct crowd_cg_stats {
	int64_t memory_current_bytes; /* v2 memory.current, v1 memory.usage_in_bytes (kmem included where accounted) */
	int64_t memory_peak_bytes;    /* v2 memory.peak, v1 memory.max_usage_in_bytes */
	int64_t pids_current;
	int64_t cpu_usage_ns;
	int64_t oom_kills;            /* v2 memory.events oom_kill, v1 memory.oom_control oom_kill */
};

struct crowd_cg_run; /* the run's parent cgroup(s), opaque */
struct crowd_cg;     /* one container's cgroup(s), opaque */

/* Detect the layout under root (normally "/sys/fs/cgroup") with statfs. */
int crowd_cg_detect(const char *root, enum crowd_cg_layout *ret, struct crowd_error *err);
const char *crowd_cg_layout_name(enum crowd_cg_layout l);

/* Make <root>/<top>/<run_name> in every hierarchy the layout uses (root NULL means
 * /sys/fs/cgroup), enabling the controllers the limits need. */
int crowd_cg_run_open(const char *root, const char *run_name, struct crowd_cg_run **ret,
		      struct crowd_error *err);
/* Remove the run's parent cgroups (children must be gone); frees run. NULL is fine. */
int crowd_cg_run_close(struct crowd_cg_run *run, struct crowd_error *err);
enum crowd_cg_layout crowd_cg_run_layout(const struct crowd_cg_run *run);

/* Make a leaf and write its limits. Fail closed: a limit that cannot be applied is an error
 * naming the file, and nothing is left behind. */
int crowd_cg_create(struct crowd_cg_run *run, const char *leaf, const struct crowd_cg_limits *lim,
		    struct crowd_cg **ret, struct crowd_error *err);
/* An O_PATH|O_DIRECTORY fd of the leaf in the cgroup2 hierarchy for clone3(CLONE_INTO_CGROUP),
 * or -1 when there is none (legacy layout). Owned by cg. */
int crowd_cg_clone_fd(const struct crowd_cg *cg);
/* Move pid into the leaf in every hierarchy it is not already in. */
int crowd_cg_attach(struct crowd_cg *cg, pid_t pid, struct crowd_error *err);
/* Joining a leaf from inside: the cgroup.procs files a new process writes "0" to, opened
 * by the parent before clone so the child attaches itself (no round trip to the parent).
 * v2_fd is the cgroup2 leaf's, needed only when clone3(CLONE_INTO_CGROUP) did not place the
 * child there; fds are the v1 ones in attach order (cpuset first). */
#define CROWD_CG_ATTACH_MAX 8
struct crowd_cg_attach {
	int v2_fd;
	unsigned n;
	int fds[CROWD_CG_ATTACH_MAX];
	const char *names[CROWD_CG_ATTACH_MAX + 1]; /* hierarchy mount points, for errors */
};
int crowd_cg_attach_open(struct crowd_cg *cg, struct crowd_cg_attach *ret, struct crowd_error *err);
/* In the child: join every hierarchy (cgroup2 too unless in_v2). No malloc. */
int crowd_cg_attach_self(const struct crowd_cg_attach *a, bool in_v2, struct crowd_error *err);
/* Close the fds (the parent, after clone). A zeroed-then-opened or failed one is fine. */
void crowd_cg_attach_close(struct crowd_cg_attach *a);
/* The pids in the leaf (cgroup.procs); *ret is malloc'd. */
int crowd_cg_pids(struct crowd_cg *cg, pid_t **ret, size_t *ret_n, struct crowd_error *err);
int crowd_cg_stats(struct crowd_cg *cg, struct crowd_cg_stats *ret, struct crowd_error *err);
/* Path of the leaf in the named hierarchy ("memory", "pids", "unified", ...), or NULL. */
const char *crowd_cg_path(const struct crowd_cg *cg, const char *hierarchy);
/* SIGKILL every process of the leaf (cgroup.kill on v2; freeze, kill, thaw on v1). */
int crowd_cg_kill(struct crowd_cg *cg, struct crowd_error *err);
/* Kill, wait until empty, remove the leaf with bounded retries; frees cg. NULL is fine. */
int crowd_cg_destroy(struct crowd_cg *cg, struct crowd_error *err);

/* crowd clean: kill and remove everything under <root>/<top> in every hierarchy.
 * *ret_removed counts cgroups removed, *ret_left those that could not be. */
int crowd_cg_sweep(const char *root, unsigned *ret_removed, unsigned *ret_left,
		   struct crowd_error *err);

#endif
