/* Hybrid hosts: the v1 manager's leaves carry the limits and statistics; a cgroup2 leaf
 * without controllers places, tracks and kills the processes, which spares the freezer. */
#include "cgroup_hybrid.h"

#include "cgroup_v1.h"
#include "cgroup_v2.h"

static int hy_create(struct crowd_cg *cg, const struct crowd_cg_limits *l, struct crowd_error *err)
{
	int r = cg2_leaf_make(cg, err);
	if (r < 0)
		return crowd_error_prefix(err, "%s", cg->run->h[cg->run->v2].mnt);
	r = cg1_leaves_make(cg, l, err);
	if (r < 0)
		cg2_leaf_unmake(cg);
	return r;
}

static int hy_attach(struct crowd_cg *cg, pid_t pid, struct crowd_error *err)
{
	int r = cg2_attach(cg, pid, err);
	return r < 0 ? r : cg1_attach(cg, pid, err);
}

static int hy_attach_open(struct crowd_cg *cg, struct crowd_cg_attach *ret, struct crowd_error *err)
{
	int r = cg2_attach_open(cg, ret, err);
	return r < 0 ? r : cg1_attach_open(cg, ret, err);
}

/* Killed and drained through cgroup2, the v1 leaves go first, then the cgroup2 leaf. */
static int hy_remove(struct crowd_cg *cg, struct crowd_error *err)
{
	return cg2_leaf_remove(cg, cg1_leaves_remove, err);
}

static int hy_kill_dir(int dirfd, const struct cg_hier *h, struct crowd_error *err)
{
	return h->v2 ? cg2_kill_dir(dirfd, h, err) : cg1_kill_dir(dirfd, h, err);
}

const struct cg_ops cg_ops_hybrid = {
    .name = "hybrid",
    .run_open = cg1_run_open,
    .create = hy_create,
    .attach = hy_attach,
    .attach_open = hy_attach_open,
    .pids = cg2_pids,
    .stats = cg1_stats,
    .kill = cg2_kill,
    .remove = hy_remove,
    .kill_dir = hy_kill_dir,
};
