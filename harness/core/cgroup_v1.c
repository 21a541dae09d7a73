/* cgroup v1 manager: one directory per controller hierarchy, limits and stats in each
 * controller's own files, the freezer to kill without races. The hybrid manager
 * (cgroup_hybrid.c) is these pieces plus a cgroup2 leaf without controllers. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cgroup_v1.h"
#include "devices.h"
#include "util.h"

/* Controllers a leaf joins even without limits: stats (memory, pids, cpuacct) and kill. */
#define V1_BASE (CG_MEMORY | CG_PIDS | CG_CPUACCT | CG_FREEZER)

static void sleep_ns(long ns)
{
	struct timespec ts = {0, ns};
	nanosleep(&ts, NULL);
}

int cg1_run_open(struct crowd_cg_run *run, struct crowd_error *err)
{
	for (unsigned i = 0; i < run->nh; i++) {
		int r = cg_hier_open_run(run, i, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int leaf_write(struct crowd_cg *cg, unsigned ctrl, const char *file, const char *value,
		      struct crowd_error *err)
{
	char path[PATH_MAX];
	int hi = cg_leaf_hier(cg, ctrl);
	if (hi < 0)
		return crowd_error_set(err, ENOENT, "%s: no such cgroup hierarchy", file);
	int r = crowd_write_fileat(cg->run->h[hi].run_fd,
				   cg_leaf_file(cg, file, path, sizeof(path)), value, err);
	if (r < 0)
		crowd_error_prefix(err, "%s", cg->run->h[hi].mnt);
	return r;
}

static void v1_leaves_unmake(struct crowd_cg *cg)
{
	for (unsigned i = 0; i < cg->run->nh; i++) {
		if (cg->run->h[i].v2 || !(cg->present & (1u << i)))
			continue;
		cg_rmdirat(cg->run->h[i].run_fd, cg->leaf, NULL);
		cg->present &= ~(1u << i);
	}
}

static int cpuset_setup(struct crowd_cg *cg, unsigned hi, const struct crowd_cg_limits *l,
			struct crowd_error *err)
{
	int run_fd = cg->run->h[hi].run_fd;
	_cleanup_close_ int fd = openat(run_fd, cg->leaf, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return crowd_error_errno(err, errno, "open %s", cg->leaf);
	if (l->cpuset_cpus[0] &&
	    (r = crowd_write_fileat(fd, "cpuset.cpus", l->cpuset_cpus, err)) < 0)
		return r;
	if (l->cpuset_mems[0] &&
	    (r = crowd_write_fileat(fd, "cpuset.mems", l->cpuset_mems, err)) < 0)
		return r;
	return cg_cpuset_inherit(run_fd, fd, err);
}

/* A new child of a v1 devices cgroup starts with a copy of its parent's rules, so they are
 * written once, on the run's own directory, and every container joins that directory. */
static int v1_dev_apply(struct crowd_cg_run *run, const struct crowd_dev_policy *p,
			struct crowd_error *err)
{
	return crowd_dev_v1_write(run->h[cg_hier_index(run, CG_DEVICES)].run_fd, ".", p, err);
}

int cg1_leaves_make(struct crowd_cg *cg, const struct crowd_cg_limits *l, struct crowd_error *err)
{
	static const struct {
		unsigned ctrl;
		const char *file;
		const char *hier;
	} limit_files[] = {
	    {CG_MEMORY, "memory.limit_in_bytes", "memory"},
	    {CG_PIDS, "pids.max", "pids"},
	    {CG_CPU, "cpu.cfs_quota_us", "cpu"},
	    {CG_CPUSET, "cpuset.cpus", "cpuset"},
	    {CG_DEVICES, "devices.deny", "devices"},
	};
	struct crowd_cg_run *run = cg->run;
	/* Hybrid kills through the cgroup2 leaf (cgroup.kill): the freezer would cost a mkdir,
	 * an attach and an rmdir per container, each under the host-wide cgroup_mutex. */
	unsigned base = run->v2 >= 0 ? V1_BASE & ~(unsigned)CG_FREEZER : V1_BASE;
	/* The device rules are the run's (v1_dev_apply): no leaf of its own for them. */
	unsigned lim = cg_limits_ctrls(l), need = (base | lim) & ~(unsigned)CG_DEVICES;
	int dev_hi = l->devices ? cg_hier_index(run, CG_DEVICES) : -1;
	char v[32];
	int r = 0;

	for (unsigned k = 0; k < CROWD_ARRAY_SIZE(limit_files); k++)
		if ((lim & limit_files[k].ctrl) && cg_hier_index(run, limit_files[k].ctrl) < 0)
			return crowd_error_set(err, ENOENT, "%s: no %s cgroup hierarchy",
					       limit_files[k].file, limit_files[k].hier);
	if (dev_hi >= 0 && (r = cg_run_devices(run, l->devices, v1_dev_apply, err)) < 0)
		return crowd_error_prefix(err, "%s/%s/%s", run->h[dev_hi].mnt, run->top, run->name);
	for (unsigned i = 0; i < run->nh && r == 0; i++) {
		struct cg_hier *h = &run->h[i];
		if (h->v2 || !(h->ctrls & need)) {
			/* A leaf made below copies the run's rules; else the run's directory. */
			if ((int)i == dev_hi)
				cg->at_run |= 1u << i;
			continue;
		}
		r = cg_mkdirat(h->run_fd, cg->leaf, false, err);
		if (r < 0) {
			crowd_error_prefix(err, "%s", h->mnt);
			break;
		}
		cg->present |= 1u << i;
		if (h->ctrls & CG_CPUSET) {
			r = cpuset_setup(cg, i, l, err);
			if (r < 0)
				crowd_error_prefix(err, "%s", h->mnt);
		}
	}
	if (r == 0 && l->memory_max_bytes > 0) {
		snprintf(v, sizeof(v), "%" PRId64, l->memory_max_bytes);
		r = leaf_write(cg, CG_MEMORY, "memory.limit_in_bytes", v, err);
	}
	if (r == 0 && l->pids_max > 0) {
		snprintf(v, sizeof(v), "%" PRId64, l->pids_max);
		r = leaf_write(cg, CG_PIDS, "pids.max", v, err);
	}
	if (r == 0 && l->cpu_quota_us > 0) {
		snprintf(v, sizeof(v), "%" PRId64, l->cpu_period_us);
		r = leaf_write(cg, CG_CPU, "cpu.cfs_period_us", v, err);
		snprintf(v, sizeof(v), "%" PRId64, l->cpu_quota_us);
		if (r == 0)
			r = leaf_write(cg, CG_CPU, "cpu.cfs_quota_us", v, err);
	}
	if (r < 0) {
		v1_leaves_unmake(cg);
		cg->at_run = 0;
	}
	return r;
}

/* The v1 hierarchies the container joins, in attach order: cpuset first, since its
 * cpus/mems were set before any task joins. Returns how many. */
static unsigned attach_order(const struct crowd_cg *cg, unsigned ret[CG_MAX_HIER])
{
	unsigned n = 0;
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < cg->run->nh; i++) {
			const struct cg_hier *h = &cg->run->h[i];
			if (!h->v2 && ((cg->present | cg->at_run) & (1u << i)) &&
			    (pass == 0) == !!(h->ctrls & CG_CPUSET))
				ret[n++] = i;
		}
	return n;
}

/* cgroup.procs of the container in hierarchy i, relative to its run_fd. */
static const char *procs_file(const struct crowd_cg *cg, unsigned i, char *buf, size_t len)
{
	if (cg->at_run & (1u << i))
		return "cgroup.procs";
	return cg_leaf_file(cg, "cgroup.procs", buf, len);
}

int cg1_attach(struct crowd_cg *cg, pid_t pid, struct crowd_error *err)
{
	unsigned order[CG_MAX_HIER], n = attach_order(cg, order);
	char v[16], path[PATH_MAX];

	snprintf(v, sizeof(v), "%d", (int)pid);
	for (unsigned k = 0; k < n; k++) {
		const struct cg_hier *h = &cg->run->h[order[k]];
		int r = crowd_write_fileat(h->run_fd, procs_file(cg, order[k], path, sizeof(path)),
					   v, err);
		if (r < 0)
			return crowd_error_prefix(err, "%s", h->mnt);
	}
	return 0;
}

int cg1_attach_open(struct crowd_cg *cg, struct crowd_cg_attach *ret, struct crowd_error *err)
{
	unsigned order[CG_MAX_HIER], n = attach_order(cg, order);
	char path[PATH_MAX];

	if (n > CROWD_CG_ATTACH_MAX)
		return crowd_error_set(err, E2BIG, "too many hierarchies");
	for (unsigned k = 0; k < n; k++) {
		const struct cg_hier *h = &cg->run->h[order[k]];
		int fd = openat(h->run_fd, procs_file(cg, order[k], path, sizeof(path)),
				O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return crowd_error_errno(err, errno, "open %s/%s", h->mnt, path);
		ret->names[ret->n] = h->mnt;
		ret->fds[ret->n++] = fd;
	}
	return 0;
}

static int v1_pids(struct crowd_cg *cg, pid_t **ret, size_t *ret_n, struct crowd_error *err)
{
	static const unsigned pref[] = {CG_PIDS, CG_MEMORY, CG_FREEZER, CG_CPUACCT};
	char path[PATH_MAX];

	for (unsigned k = 0; k < CROWD_ARRAY_SIZE(pref); k++) {
		int hi = cg_leaf_hier(cg, pref[k]);
		if (hi >= 0)
			return cg_read_pidsat(cg->run->h[hi].run_fd,
					      cg_leaf_file(cg, "cgroup.procs", path, sizeof(path)),
					      ret, ret_n, err);
	}
	return crowd_error_set(err, ENOENT, "no hierarchy to list processes");
}

static const struct cg_stat_desc v1_stats_table[] = {
    {CG_MEMORY, "memory.usage_in_bytes", NULL, 1,
     offsetof(struct crowd_cg_stats, memory_current_bytes)},
    {CG_MEMORY, "memory.max_usage_in_bytes", NULL, 1,
     offsetof(struct crowd_cg_stats, memory_peak_bytes)},
    {CG_PIDS, "pids.current", NULL, 1, offsetof(struct crowd_cg_stats, pids_current)},
    {CG_CPUACCT, "cpuacct.usage", NULL, 1, offsetof(struct crowd_cg_stats, cpu_usage_ns)},
    {CG_MEMORY, "memory.oom_control", "oom_kill", 1, offsetof(struct crowd_cg_stats, oom_kills)},
};

int cg1_stats(struct crowd_cg *cg, struct crowd_cg_stats *ret, struct crowd_error *err)
{
	return cg_stats_read(cg, v1_stats_table, CROWD_ARRAY_SIZE(v1_stats_table), true, ret, err);
}

static int freezer_set(int dirfd, const char *state, struct crowd_error *err)
{
	char buf[32];
	int r = crowd_write_fileat(dirfd, "freezer.state", state, err);
	if (r < 0 || strcmp(state, "FROZEN") != 0)
		return r;
	/* FREEZING until every task stopped; bounded, the kill below works either way. */
	for (int i = 0; i < 1000; i++) {
		if (crowd_read_fileat(dirfd, "freezer.state", buf, sizeof(buf), NULL) > 0 &&
		    strncmp(buf, "FROZEN", 6) == 0)
			return 0;
		sleep_ns(1000000);
	}
	return 0;
}

/* Kill everything in one v1 cgroup: freeze so nothing forks behind our back, SIGKILL every
 * listed process, thaw so the signals land, until cgroup.procs stays empty (bounded). */
static int kill_fd(int dirfd, bool freezer, struct crowd_error *err)
{
	for (int round = 0; round < 20; round++) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;
		int r = cg_read_pidsat(dirfd, "cgroup.procs", &pids, &n, err);
		if (r < 0 || n == 0)
			return r;
		if (freezer) {
			r = freezer_set(dirfd, "FROZEN", err);
			if (r < 0)
				return r;
			free(pids);
			pids = NULL;
			r = cg_read_pidsat(dirfd, "cgroup.procs", &pids, &n, err);
			if (r < 0) {
				freezer_set(dirfd, "THAWED", NULL);
				return r;
			}
		}
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		if (freezer && (r = freezer_set(dirfd, "THAWED", err)) < 0)
			return r;
		for (int i = 0; i < 100; i++) {
			free(pids);
			pids = NULL;
			r = cg_read_pidsat(dirfd, "cgroup.procs", &pids, &n, err);
			if (r < 0 || n == 0)
				return r;
			sleep_ns(i < 10 ? 100000 : 1000000);
		}
	}
	return crowd_error_set(err, ETIMEDOUT, "cgroup.procs: not empty after 20 kill rounds");
}

int cg1_kill_dir(int dirfd, const struct cg_hier *h, struct crowd_error *err)
{
	return kill_fd(dirfd, h->ctrls & CG_FREEZER, err);
}

/* The leaf of the freezer hierarchy if it has one, else of any. */
static int v1_kill(struct crowd_cg *cg, struct crowd_error *err)
{
	int hi = cg_leaf_hier(cg, CG_FREEZER);
	bool fr = hi >= 0;

	for (unsigned i = 0; !fr && i < cg->run->nh; i++)
		if (!cg->run->h[i].v2 && (cg->present & (1u << i)))
			hi = (int)i;
	if (hi < 0 || !(cg->present & (1u << hi)))
		return 0;
	_cleanup_close_ int fd =
	    openat(cg->run->h[hi].run_fd, cg->leaf, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return crowd_error_errno(err, errno, "open %s/%s", cg->run->h[hi].mnt, cg->leaf);
	int r = kill_fd(fd, fr, err);
	if (r < 0)
		crowd_error_prefix(err, "%s", cg->run->h[hi].mnt);
	return r;
}

/* rmdir in each v1 hierarchy; one that stays busy holds a process that escaped the kill
 * (moved only there) or cgroups made inside the leaf: those are killed and removed first. */
int cg1_leaves_remove(struct crowd_cg *cg, struct crowd_error *err)
{
	int ret = 0;
	for (unsigned i = 0; i < cg->run->nh; i++) {
		struct cg_hier *h = &cg->run->h[i];
		struct crowd_error e;
		int r;

		if (h->v2 || !(cg->present & (1u << i)))
			continue;
		r = cg_rmdir_tree(h->run_fd, cg->leaf, cg1_kill_dir, h, &e);
		if (r == 0) {
			cg->present &= ~(1u << i);
		} else if (ret == 0) {
			if (err)
				*err = e;
			ret = crowd_error_prefix(err, "%s", h->mnt);
		}
	}
	return ret;
}

static int v1_remove(struct crowd_cg *cg, struct crowd_error *err)
{
	int r = v1_kill(cg, err);
	if (r < 0)
		return r;
	return cg1_leaves_remove(cg, err);
}

const struct cg_ops cg_ops_v1 = {
    .name = "v1",
    .run_open = cg1_run_open,
    .create = cg1_leaves_make,
    .attach = cg1_attach,
    .attach_open = cg1_attach_open,
    .pids = v1_pids,
    .stats = cg1_stats,
    .kill = v1_kill,
    .remove = v1_remove,
    .kill_dir = cg1_kill_dir,
};
