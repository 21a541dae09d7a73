/* cgroup v2 manager: one hierarchy, controllers enabled top-down in cgroup.subtree_control,
 * cgroup.kill to kill and cgroup.events to know when a leaf is empty. Its leaf pieces are
 * also the tracking leaf of hybrid hosts (cgroup2 without controllers, cgroup_hybrid.c). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup_v2.h"
#include "devices.h"
#include "util.h"

/* Enable the controllers in want (those the root offers) from the root down to the run so
 * that the leaves get their knobs. Idempotent and safe to race: "+x" on an enabled x is a
 * no-op. A controller the root does not offer is left to the caller to report. */
static int v2_enable(struct crowd_cg_run *run, unsigned want, struct crowd_error *err)
{
	struct cg_hier *h = &run->h[run->v2];
	char text[64] = "", path[PATH_MAX], have_buf[256];
	unsigned missing;
	int r;

	want &= run->v2_avail;
	missing = want & ~__atomic_load_n(&run->v2_enabled, __ATOMIC_ACQUIRE);
	if (!missing)
		return 0;
	for (unsigned c = 0; c < CG_NCTRL; c++)
		if (missing & cg_ctrl_table[c].bit) {
			size_t n = strlen(text);
			snprintf(text + n, sizeof(text) - n, "%s+%s", n ? " " : "",
				 cg_ctrl_table[c].name);
		}
	/* The root's subtree_control only when <top> does not already get them. */
	if (crowd_read_fileat(h->top_fd, "cgroup.controllers", have_buf, sizeof(have_buf), NULL) <
	    0)
		have_buf[0] = '\0';
	bool top_has = true;
	for (unsigned c = 0; c < CG_NCTRL; c++) {
		if (!(missing & cg_ctrl_table[c].bit))
			continue;
		const char *w = have_buf;
		size_t l = strlen(cg_ctrl_table[c].name);
		bool found = false;
		while ((w = strstr(w, cg_ctrl_table[c].name))) {
			if ((w == have_buf || w[-1] == ' ') &&
			    (w[l] == ' ' || w[l] == '\n' || !w[l]))
				found = true;
			w += l;
		}
		top_has &= found;
	}
	if (!top_has) {
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", h->mnt);
		r = crowd_write_file(path, text, err);
		if (r < 0)
			return r;
	}
	r = crowd_write_fileat(h->top_fd, "cgroup.subtree_control", text, err);
	if (r < 0)
		return crowd_error_prefix(err, "%s/%s", h->mnt, run->top);
	r = crowd_write_fileat(h->run_fd, "cgroup.subtree_control", text, err);
	if (r < 0)
		return crowd_error_prefix(err, "%s/%s/%s", h->mnt, run->top, run->name);
	__atomic_fetch_or(&run->v2_enabled, missing, __ATOMIC_RELEASE);
	return 0;
}

static int v2_run_open(struct crowd_cg_run *run, struct crowd_error *err)
{
	int r = cg_hier_open_run(run, (unsigned)run->v2, err);
	if (r < 0)
		return r;
	/* memory.current and pids.current exist only with their controllers on. */
	return v2_enable(run, CG_MEMORY | CG_PIDS, err);
}

int cg2_leaf_make(struct crowd_cg *cg, struct crowd_error *err)
{
	struct cg_hier *h = &cg->run->h[cg->run->v2];
	int r = cg_mkdirat(h->run_fd, cg->leaf, false, err);
	if (r < 0)
		return r;
	cg->v2_fd = openat(h->run_fd, cg->leaf, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cg->v2_fd < 0) {
		r = crowd_error_errno(err, errno, "open %s", cg->leaf);
		cg_fs->rmdirat(h->run_fd, cg->leaf);
		return r;
	}
	cg->present |= 1u << cg->run->v2;
	return 0;
}

void cg2_leaf_unmake(struct crowd_cg *cg)
{
	crowd_closep(&cg->v2_fd);
	if (cg->present & (1u << cg->run->v2))
		cg_rmdirat(cg->run->h[cg->run->v2].run_fd, cg->leaf, NULL);
	cg->present &= ~(1u << cg->run->v2);
}

/* The knobs of a limit, in the order they are written. */
static int v2_write_limits(struct crowd_cg *cg, const struct crowd_cg_limits *l,
			   struct crowd_error *err)
{
	char v[96];
	int r = 0;

	if (l->memory_max_bytes > 0) {
		snprintf(v, sizeof(v), "%" PRId64, l->memory_max_bytes);
		r = crowd_write_fileat(cg->v2_fd, "memory.max", v, err);
	}
	if (r == 0 && l->pids_max > 0) {
		snprintf(v, sizeof(v), "%" PRId64, l->pids_max);
		r = crowd_write_fileat(cg->v2_fd, "pids.max", v, err);
	}
	if (r == 0 && l->cpu_quota_us > 0) {
		snprintf(v, sizeof(v), "%" PRId64 " %" PRId64, l->cpu_quota_us, l->cpu_period_us);
		r = crowd_write_fileat(cg->v2_fd, "cpu.max", v, err);
	}
	if (r == 0 && l->cpuset_cpus[0])
		r = crowd_write_fileat(cg->v2_fd, "cpuset.cpus", l->cpuset_cpus, err);
	if (r == 0 && l->cpuset_mems[0])
		r = crowd_write_fileat(cg->v2_fd, "cpuset.mems", l->cpuset_mems, err);
	return r;
}

/* A program attached to a cgroup applies to every cgroup below it, so the run's directory
 * gets it once and each leaf made under it is covered from its mkdir on. */
static int v2_dev_apply(struct crowd_cg_run *run, const struct crowd_dev_policy *p,
			struct crowd_error *err)
{
	return crowd_dev_v2_attach(run->h[run->v2].run_fd, p, err);
}

static int v2_create(struct crowd_cg *cg, const struct crowd_cg_limits *l, struct crowd_error *err)
{
	int r = v2_enable(cg->run, cg_limits_ctrls(l), err);
	if (r == 0 && l->devices)
		r = cg_run_devices(cg->run, l->devices, v2_dev_apply, err);
	if (r < 0)
		return r;
	r = cg2_leaf_make(cg, err);
	if (r < 0)
		return r;
	r = v2_write_limits(cg, l, err);
	if (r < 0)
		cg2_leaf_unmake(cg);
	return r;
}

/* Whether /proc/<pid>/cgroup puts pid's cgroup2 membership in this leaf already (it does
 * after clone3(CLONE_INTO_CGROUP)); saves a migration, which is the costly part. */
bool cg2_pid_in_leaf(const struct crowd_cg *cg, pid_t pid)
{
	char path[64], buf[4096], want[3 * 130 + 4];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (crowd_read_file(path, buf, sizeof(buf), NULL) < 0)
		return 0;
	int wl = snprintf(want, sizeof(want), "/%s/%s/%s\n", cg->run->top, cg->run->name, cg->leaf);
	for (char *p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, "0::", 3) != 0)
			continue;
		char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) + 1 : strlen(p);
		return len >= (size_t)wl + 3 && memcmp(p + len - (size_t)wl, want, (size_t)wl) == 0;
	}
	return 0;
}

int cg2_attach(struct crowd_cg *cg, pid_t pid, struct crowd_error *err)
{
	char v[16];
	if (cg2_pid_in_leaf(cg, pid))
		return 0;
	snprintf(v, sizeof(v), "%d", (int)pid);
	int r = crowd_write_fileat(cg->v2_fd, "cgroup.procs", v, err);
	if (r < 0)
		crowd_error_prefix(err, "%s", cg->run->h[cg->run->v2].mnt);
	return r;
}

int cg2_attach_open(struct crowd_cg *cg, struct crowd_cg_attach *ret, struct crowd_error *err)
{
	const char *mnt = cg->run->h[cg->run->v2].mnt;
	ret->v2_fd = openat(cg->v2_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (ret->v2_fd < 0)
		return crowd_error_errno(err, errno, "open %s/cgroup.procs", mnt);
	ret->names[CROWD_CG_ATTACH_MAX] = mnt;
	return 0;
}

int cg2_pids(struct crowd_cg *cg, pid_t **ret, size_t *ret_n, struct crowd_error *err)
{
	return cg_read_pidsat(cg->v2_fd, "cgroup.procs", ret, ret_n, err);
}

static const struct cg_stat_desc v2_stats_table[] = {
    {0, "memory.current", NULL, 1, offsetof(struct crowd_cg_stats, memory_current_bytes)},
    {0, "memory.peak", NULL, 1, offsetof(struct crowd_cg_stats, memory_peak_bytes)},
    {0, "pids.current", NULL, 1, offsetof(struct crowd_cg_stats, pids_current)},
    {0, "cpu.stat", "usage_usec", 1000, offsetof(struct crowd_cg_stats, cpu_usage_ns)},
    {0, "memory.events", "oom_kill", 1, offsetof(struct crowd_cg_stats, oom_kills)},
};

static int v2_stats(struct crowd_cg *cg, struct crowd_cg_stats *ret, struct crowd_error *err)
{
	return cg_stats_read(cg, v2_stats_table, CROWD_ARRAY_SIZE(v2_stats_table), false, ret, err);
}

/* cgroup.kill (5.14+); before it, SIGKILL what cgroup.procs lists until it stays empty. */
static int cg2_kill_fd(int dirfd, struct crowd_error *err)
{
	int r = crowd_write_fileat(dirfd, "cgroup.kill", "1", err);
	if (r != -ENOENT)
		return r;
	for (int round = 0; round < 100; round++) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;
		r = cg_read_pidsat(dirfd, "cgroup.procs", &pids, &n, err);
		if (r < 0 || n == 0)
			return r;
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	return crowd_error_set(err, ETIMEDOUT, "cgroup.procs: processes keep appearing");
}

static int events_populated(int fd, int *ret)
{
	char buf[256];
	int64_t v;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (cg_parse_keyed(buf, "populated", &v) < 0)
		return -EINVAL;
	*ret = v != 0;
	return 0;
}

/* cgroup.kill takes cgroup_mutex, which every cgroup mkdir, rmdir, attach and
 * clone-into-cgroup on the host waits for: when the leaf is already empty (a destroy after
 * the kill and reap), cgroup.events says so without that lock. */
static int kill_populated(int dirfd, struct crowd_error *err)
{
	_cleanup_close_ int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	int populated;
	if (fd >= 0 && events_populated(fd, &populated) == 0 && !populated)
		return 0;
	return cg2_kill_fd(dirfd, err);
}

/* Wait for "populated 0": kernfs wakes POLLPRI pollers when cgroup.events changes. */
int cg2_wait_empty(int dirfd, int64_t timeout_ns, struct crowd_error *err)
{
	_cleanup_close_ int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	int64_t deadline = crowd_now_ns() + timeout_ns;
	int populated, r, tries = 0;

	if (fd < 0)
		return crowd_error_errno(err, errno, "open cgroup.events");
	for (;;) {
		r = events_populated(fd, &populated);
		if (r < 0)
			return crowd_error_errno(err, -r, "read cgroup.events");
		if (!populated)
			return 0;
		int64_t left = deadline - crowd_now_ns();
		if (left <= 0)
			return crowd_error_set(
			    err, ETIMEDOUT, "cgroup.events: still populated after %" PRId64 " ms",
			    timeout_ns / 1000000);
		struct pollfd p = {.fd = fd, .events = POLLPRI};
		/* The kernel rate-limits cgroup.events wake-ups (10 ms) though the state is
		 * current on read: re-read on short slices, growing to 5 ms. */
		long slice_ns = 20000L << (tries < 8 ? tries : 8);
		tries++;
		if (slice_ns > left)
			slice_ns = (long)left;
		struct timespec ts = {0, slice_ns};
		if (ppoll(&p, 1, &ts, NULL) < 0 && errno != EINTR)
			return crowd_error_errno(err, errno, "poll cgroup.events");
	}
}

int cg2_kill(struct crowd_cg *cg, struct crowd_error *err)
{
	return cg2_kill_fd(cg->v2_fd, err);
}

int cg2_kill_dir(int dirfd, const struct cg_hier *h, struct crowd_error *err)
{
	(void)h;
	int r = cg2_kill_fd(dirfd, err);
	return r < 0 ? r : cg2_wait_empty(dirfd, CG_WAIT_EMPTY_NS, err);
}

int cg2_leaf_remove(struct crowd_cg *cg,
		    int (*before_rmdir)(struct crowd_cg *cg, struct crowd_error *err),
		    struct crowd_error *err)
{
	int r = kill_populated(cg->v2_fd, err);
	if (r == 0)
		r = cg2_wait_empty(cg->v2_fd, CG_WAIT_EMPTY_NS, err);
	if (r == 0 && before_rmdir)
		r = before_rmdir(cg, err);
	if (r < 0)
		return r;
	crowd_closep(&cg->v2_fd);
	const struct cg_hier *h = &cg->run->h[cg->run->v2];
	r = cg_rmdir_tree(h->run_fd, cg->leaf, cg2_kill_dir, h, err);
	if (r == 0)
		cg->present &= ~(1u << cg->run->v2);
	return r;
}

static int v2_remove(struct crowd_cg *cg, struct crowd_error *err)
{
	return cg2_leaf_remove(cg, NULL, err);
}

const struct cg_ops cg_ops_v2 = {
    .name = "v2",
    .run_open = v2_run_open,
    .create = v2_create,
    .attach = cg2_attach,
    .attach_open = cg2_attach_open,
    .pids = cg2_pids,
    .stats = v2_stats,
    .kill = cg2_kill,
    .remove = v2_remove,
    .kill_dir = cg2_kill_dir,
};
