/* The cgroup v2 (unified) manager, and the cgroup2 leaf pieces the hybrid manager reuses for
 * its controller-less tracking leaf. */
#ifndef CROWD_CGROUP_V2_H
#define CROWD_CGROUP_V2_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup_utils.h"

extern const struct cg_ops cg_ops_v2;

/* Make the cgroup2 leaf and open cg->v2_fd; cg2_leaf_unmake closes and removes it. */
int cg2_leaf_make(struct crowd_cg *cg, struct crowd_error *err);
void cg2_leaf_unmake(struct crowd_cg *cg);
/* Whether /proc/<pid>/cgroup puts pid in this cgroup2 leaf (after CLONE_INTO_CGROUP). */
bool cg2_pid_in_leaf(const struct crowd_cg *cg, pid_t pid);
/* Move pid into the cgroup2 leaf unless cg2_pid_in_leaf says it is there already. */
int cg2_attach(struct crowd_cg *cg, pid_t pid, struct crowd_error *err);
int cg2_attach_open(struct crowd_cg *cg, struct crowd_cg_attach *ret, struct crowd_error *err);
int cg2_pids(struct crowd_cg *cg, pid_t **ret, size_t *ret_n, struct crowd_error *err);
/* cgroup.kill on the leaf; cg2_kill_dir on any cgroup2 directory, then waits until empty. */
int cg2_kill(struct crowd_cg *cg, struct crowd_error *err);
int cg2_kill_dir(int dirfd, const struct cg_hier *h, struct crowd_error *err);
/* Until cgroup.events says "populated 0", at most timeout_ns; -ETIMEDOUT after. */
int cg2_wait_empty(int dirfd, int64_t timeout_ns, struct crowd_error *err);
/* Kill and drain the cgroup2 leaf, run before_rmdir (may be NULL), then remove the leaf. */
int cg2_leaf_remove(struct crowd_cg *cg,
		    int (*before_rmdir)(struct crowd_cg *cg, struct crowd_error *err),
		    struct crowd_error *err);

#endif
