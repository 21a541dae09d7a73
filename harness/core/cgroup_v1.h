/* The cgroup v1 (legacy) manager, and the per-controller pieces the hybrid manager reuses
 * for limits and statistics. */
#ifndef CROWD_CGROUP_V1_H
#define CROWD_CGROUP_V1_H

#include <sys/types.h>

#include "cgroup_utils.h"

extern const struct cg_ops cg_ops_v1;

/* Make <top>/<run> in every hierarchy of the run (the cgroup2 one of a hybrid host too). */
int cg1_run_open(struct crowd_cg_run *run, struct crowd_error *err);
/* Make the leaf in each v1 hierarchy it needs (statistics, the freezer unless the run has a
 * cgroup2 hierarchy to kill through, and those of its limits) and write the limits; on
 * failure remove the v1 leaves again. */
int cg1_leaves_make(struct crowd_cg *cg, const struct crowd_cg_limits *l, struct crowd_error *err);
/* Attach pid to / open the cgroup.procs of every v1 leaf, cpuset first. */
int cg1_attach(struct crowd_cg *cg, pid_t pid, struct crowd_error *err);
int cg1_attach_open(struct crowd_cg *cg, struct crowd_cg_attach *ret, struct crowd_error *err);
int cg1_stats(struct crowd_cg *cg, struct crowd_cg_stats *ret, struct crowd_error *err);
/* Freeze, kill, thaw until cgroup.procs of one v1 cgroup directory stays empty (the freezer
 * only in a hierarchy holding it). */
int cg1_kill_dir(int dirfd, const struct cg_hier *h, struct crowd_error *err);
/* rmdir the v1 leaves; a busy one is emptied and removed depth first. */
int cg1_leaves_remove(struct crowd_cg *cg, struct crowd_error *err);

#endif
