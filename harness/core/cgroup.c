/* The cgroup dispatcher: <top> from the environment, layout detection with statfs, the
 * hierarchies of a run, the manager (struct cg_ops) the layout chooses, and the public
 * crowd_cg_* API, which checks its arguments, calls the manager and names the cgroup in
 * errors; the sweep behind `crowd clean`. The managers never call back in here. */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroup_hybrid.h"
#include "cgroup_utils.h"
#include "cgroup_v1.h"
#include "cgroup_v2.h"
#include "util.h"

#define CG_DEFAULT_ROOT "/sys/fs/cgroup"
#define CG_DEFAULT_TOP	"crowd"
#define CG_NAME_MAX	128

static const char *const layout_names[] = {
    [CROWD_CG_UNIFIED] = "unified",
    [CROWD_CG_LEGACY] = "legacy",
    [CROWD_CG_HYBRID] = "hybrid",
};

const char *crowd_cg_layout_name(enum crowd_cg_layout l)
{
	if ((unsigned)l >= CROWD_ARRAY_SIZE(layout_names))
		return "unknown";
	return layout_names[l];
}

int crowd_cg_detect(const char *root, enum crowd_cg_layout *ret, struct crowd_error *err)
{
	struct statfs st;
	char path[PATH_MAX];

	if (!root)
		root = CG_DEFAULT_ROOT;
	if (cg_fs->statfs(root, &st) < 0)
		return crowd_error_errno(err, errno, "statfs %s", root);
	if (st.f_type == CGROUP2_SUPER_MAGIC) {
		*ret = CROWD_CG_UNIFIED;
		return 0;
	}
	*ret = CROWD_CG_LEGACY;
	if (st.f_type == TMPFS_MAGIC) {
		snprintf(path, sizeof(path), "%s/unified", root);
		if (cg_fs->statfs(path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
			*ret = CROWD_CG_HYBRID;
	}
	return 0;
}

/* A cgroup name crowd makes: one path component of 1-127 characters. */
static int name_check(const char *what, const char *s, struct crowd_error *err)
{
	size_t n = s ? strnlen(s, CG_NAME_MAX) : 0;
	if (n > 0 && n < CG_NAME_MAX && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, ".."))
		return 0;
	return crowd_error_set(err, EINVAL,
			       "%s '%.64s%s': need 1-127 characters, no '/', not '.' or '..'", what,
			       s ? s : "", n >= CG_NAME_MAX ? "..." : "");
}

const char *crowd_cg_top(struct crowd_error *err)
{
	const char *t = getenv("CROWD_CGROUP_TOP");
	if (!t || !*t)
		return CG_DEFAULT_TOP;
	return name_check("CROWD_CGROUP_TOP", t, err) < 0 ? NULL : t;
}

/* ---- the root: /sys/fs/cgroup, or a delegated subtree for an unprivileged caller ---- */

static pthread_once_t user_root_once = PTHREAD_ONCE_INIT;
static int user_root_r = -ENOENT;
static char user_root_path[PATH_MAX];
static char user_root_why[256];

static void user_root_find(void)
{
	char buf[4096], own[PATH_MAX], ctl[PATH_MAX + 32], ctrls[512];
	enum crowd_cg_layout layout;
	char *why = user_root_why;
	size_t wl = sizeof(user_root_why);

	user_root_r = -ENOENT;
	if (crowd_cg_detect(CG_DEFAULT_ROOT, &layout, NULL) < 0 || layout != CROWD_CG_UNIFIED) {
		snprintf(why, wl, "the host's cgroups are not cgroup2-only (%s), so nothing is "
				  "delegated to users",
			 crowd_cg_layout_name(layout));
		return;
	}
	/* "0::/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope" */
	const char *p = NULL;
	if (crowd_read_file("/proc/self/cgroup", buf, sizeof(buf), NULL) >= 0)
		for (char *l = buf; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
			if (!strncmp(l, "0::", 3)) {
				p = l + 3;
				l[3 + strcspn(l + 3, "\n")] = '\0';
				break;
			}
	if (!p || p[0] != '/') {
		snprintf(why, wl, "/proc/self/cgroup names no cgroup2 membership");
		return;
	}
	snprintf(own, sizeof(own), "%s%s", CG_DEFAULT_ROOT, p);
	/* Its own cgroup holds the caller (no process may sit beside enabled controllers), so
	 * crowd's tree goes beside it, in the parent: delegated like systemd's user@UID.service
	 * (owned by the user) and offering the controllers. */
	char *slash = strrchr(own + strlen(CG_DEFAULT_ROOT), '/');
	if (!slash || slash == own + strlen(CG_DEFAULT_ROOT)) {
		snprintf(why, wl, "crowd runs in the root cgroup or one right below it (%.150s), "
				  "which is never delegated",
			 own);
		return;
	}
	*slash = '\0';
	static const char *const need[] = {"", "/cgroup.procs", "/cgroup.subtree_control"};
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(need); i++) {
		snprintf(ctl, sizeof(ctl), "%s%s", own, need[i]);
		if (faccessat(AT_FDCWD, ctl, W_OK, AT_EACCESS) < 0) {
			snprintf(why, wl, "%.150s is not writable by uid %u (not delegated)", ctl,
				 (unsigned)geteuid());
			return;
		}
	}
	snprintf(ctl, sizeof(ctl), "%s/cgroup.controllers", own);
	if (crowd_read_file(ctl, ctrls, sizeof(ctrls), NULL) < 0)
		ctrls[0] = '\0';
	for (const char *c = "memory\0pids\0"; *c; c += strlen(c) + 1) {
		char w[16];
		snprintf(w, sizeof(w), " %s ", c);
		char padded[sizeof(ctrls) + 2];
		snprintf(padded, sizeof(padded), " %s", ctrls);
		padded[strcspn(padded, "\n")] = ' ';
		if (!strstr(padded, w)) {
			snprintf(why, wl, "%.150s offers no %s controller (delegated without it)", own,
				 c);
			return;
		}
	}
	snprintf(user_root_path, sizeof(user_root_path), "%s", own);
	user_root_r = 0;
}

int crowd_cg_user_root(char *buf, size_t len, char *why, size_t why_len)
{
	pthread_once(&user_root_once, user_root_find);
	if (user_root_r == 0 && buf)
		snprintf(buf, len, "%s", user_root_path);
	if (user_root_r < 0 && why)
		snprintf(why, why_len, "%s", user_root_why);
	return user_root_r;
}

/* The root a NULL root means: /sys/fs/cgroup for root, the delegated subtree for anyone else
 * who has one. */
static const char *default_root(void)
{
	if (geteuid() == 0 || crowd_cg_user_root(NULL, 0, NULL, 0) < 0)
		return CG_DEFAULT_ROOT;
	return user_root_path;
}

/* ---- hierarchies and runs ---- */

static int hier_add(struct crowd_cg_run *run, const char *name, const char *mnt, unsigned ctrls,
		    bool v2, struct crowd_error *err)
{
	struct cg_hier *h = &run->h[run->nh];
	h->mnt = strdup(mnt);
	if (!h->mnt)
		return crowd_error_errno(err, ENOMEM, "cgroup hierarchy %s", name);
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->ctrls = ctrls;
	h->v2 = v2;
	h->top_fd = -1;
	h->run_fd = -1;
	if (v2)
		run->v2 = (int)run->nh;
	run->nh++;
	return 0;
}

/* v1 hierarchies of the controllers crowd uses. Co-mounted controllers ("cpu,cpuacct" with
 * cpu and cpuacct symlinks) resolve to one directory and become one hierarchy. */
static int hier_discover_v1(struct crowd_cg_run *run, const char *root, bool check_fs,
			    struct crowd_error *err)
{
	struct {
		dev_t dev;
		ino_t ino;
	} seen[CG_NCTRL];
	char path[PATH_MAX];

	for (unsigned c = 0; c < CG_NCTRL; c++) {
		struct stat st;
		struct statfs sfs;
		const struct cg_ctrl_desc *d = &cg_ctrl_table[c];
		bool dup = false;

		snprintf(path, sizeof(path), "%s/%s", root, d->name);
		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (check_fs && (cg_fs->statfs(path, &sfs) < 0 || sfs.f_type != CGROUP_SUPER_MAGIC))
			continue;
		for (unsigned i = 0; i < run->nh; i++) {
			if (!run->h[i].v2 && seen[i].dev == st.st_dev && seen[i].ino == st.st_ino) {
				run->h[i].ctrls |= d->bit;
				dup = true;
			}
		}
		if (dup)
			continue;
		seen[run->nh].dev = st.st_dev;
		seen[run->nh].ino = st.st_ino;
		int r = hier_add(run, d->name, path, d->bit, false, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static unsigned v2_controllers(const char *mnt)
{
	char path[PATH_MAX], buf[512];
	unsigned mask = 0;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
	if (crowd_read_file(path, buf, sizeof(buf), NULL) < 0)
		return 0;
	for (char *save = NULL, *w = strtok_r(buf, " \n", &save); w;
	     w = strtok_r(NULL, " \n", &save))
		for (unsigned c = 0; c < CG_NCTRL; c++)
			if (cg_ctrl_table[c].v2 && strcmp(w, cg_ctrl_table[c].name) == 0)
				mask |= cg_ctrl_table[c].bit;
	return mask;
}

static int hier_discover(struct crowd_cg_run *run, const char *root, enum crowd_cg_layout layout,
			 bool check_fs, struct crowd_error *err)
{
	char path[PATH_MAX];
	int r;

	run->v2 = -1;
	switch (layout) {
	case CROWD_CG_UNIFIED:
		r = hier_add(run, "unified", root, 0, true, err);
		if (r < 0)
			return r;
		run->v2_avail = v2_controllers(root);
		return 0;
	case CROWD_CG_HYBRID:
		r = hier_discover_v1(run, root, check_fs, err);
		if (r < 0)
			return r;
		snprintf(path, sizeof(path), "%s/unified", root);
		/* Controllers live in v1 here; the cgroup2 leaf only tracks and kills. */
		return hier_add(run, "unified", path, 0, true, err);
	case CROWD_CG_LEGACY:
		r = hier_discover_v1(run, root, check_fs, err);
		if (r < 0)
			return r;
		if (run->nh == 0)
			return crowd_error_set(err, ENOENT, "no cgroup hierarchy under %s", root);
		return 0;
	}
	return crowd_error_set(err, EINVAL, "cgroup layout %d unknown", (int)layout);
}

static const struct cg_ops *const layout_ops[] = {
    [CROWD_CG_UNIFIED] = &cg_ops_v2,
    [CROWD_CG_LEGACY] = &cg_ops_v1,
    [CROWD_CG_HYBRID] = &cg_ops_hybrid,
};

static void run_free(struct crowd_cg_run *run)
{
	for (unsigned i = 0; i < run->nh; i++) {
		crowd_closep(&run->h[i].run_fd);
		crowd_closep(&run->h[i].top_fd);
		free(run->h[i].mnt);
	}
	free(run->top);
	free(run->name);
	free(run);
}

int crowd_cg_run_close(struct crowd_cg_run *run, struct crowd_error *err)
{
	char path[PATH_MAX];
	int ret = 0;

	if (!run)
		return 0;
	for (unsigned i = 0; i < run->nh; i++) {
		struct cg_hier *h = &run->h[i];
		struct crowd_error e;

		if (h->top_fd < 0)
			continue;
		crowd_closep(&h->run_fd);
		/* A leaf whose own removal failed (e.g. EMFILE mid-start) is the run's: killed and
		 * removed here with the run, not left behind. */
		if (cg_rmdir_tree(h->top_fd, run->name, run->ops->kill_dir, h, &e) < 0 &&
		    ret == 0) {
			ret = -e.code;
			if (err)
				*err = e;
			crowd_error_prefix(err, "%s/%s", h->mnt, run->top);
		}
		crowd_closep(&h->top_fd);
		/* Another run may still use <top>: then it stays. */
		snprintf(path, sizeof(path), "%s/%s", h->mnt, run->top);
		cg_fs->rmdirat(AT_FDCWD, path);
	}
	run_free(run);
	return ret;
}

int cg_run_open_layout(const char *root, enum crowd_cg_layout layout, bool check_fs,
		       const char *run_name, struct crowd_cg_run **ret, struct crowd_error *err)
{
	struct crowd_cg_run *run;
	const char *top;
	int r;

	if ((unsigned)layout >= CROWD_ARRAY_SIZE(layout_ops))
		return crowd_error_set(err, EINVAL, "cgroup layout %d unknown", (int)layout);
	if ((r = name_check("cgroup run name", run_name, err)) < 0)
		return r;
	if (!(top = crowd_cg_top(err)))
		return -EINVAL;
	run = calloc(1, sizeof(*run));
	if (!run)
		return crowd_error_errno(err, ENOMEM, "cgroup run");
	pthread_mutex_init(&run->dev_lock, NULL);
	run->layout = layout;
	run->ops = layout_ops[layout];
	run->top = strdup(top);
	run->name = strdup(run_name);
	if (!run->top || !run->name) {
		run_free(run);
		return crowd_error_errno(err, ENOMEM, "cgroup run");
	}
	r = hier_discover(run, root ? root : default_root(), layout, check_fs, err);
	if (r == 0)
		r = run->ops->run_open(run, err);
	if (r < 0) {
		crowd_cg_run_close(run, NULL);
		return r;
	}
	*ret = run;
	return 0;
}

int crowd_cg_run_open(const char *root, const char *run_name, struct crowd_cg_run **ret,
		      struct crowd_error *err)
{
	enum crowd_cg_layout layout;
	int r;

	if (!root)
		root = default_root();
	r = crowd_cg_detect(root, &layout, err);
	if (r < 0)
		return r;
	return cg_run_open_layout(root, layout, true, run_name, ret, err);
}

enum crowd_cg_layout crowd_cg_run_layout(const struct crowd_cg_run *run)
{
	return run->layout;
}

/* ---- leaves ---- */

static void cg_free(struct crowd_cg *cg)
{
	crowd_closep(&cg->v2_fd);
	for (unsigned i = 0; i < CG_MAX_HIER; i++)
		free(cg->paths[i]);
	free(cg->leaf);
	free(cg);
}

static int limits_check(const struct crowd_cg_limits *lim, struct crowd_cg_limits *out,
			struct crowd_error *err)
{
	*out = *lim;
	if (lim->memory_max_bytes == 0)
		return crowd_error_set(err, EINVAL, "memory limit 0: need at least 1 byte");
	if (lim->pids_max == 0)
		return crowd_error_set(err, EINVAL, "pids limit 0: need at least 1");
	if (lim->cpu_quota_us >= 0) {
		if (out->cpu_period_us < 0)
			out->cpu_period_us = 100000;
		if (lim->cpu_quota_us < 1000)
			return crowd_error_set(err, EINVAL,
					       "cpu quota %" PRId64 "us: need at least 1000us",
					       lim->cpu_quota_us);
		if (out->cpu_period_us < 1000 || out->cpu_period_us > 1000000)
			return crowd_error_set(err, EINVAL,
					       "cpu period %" PRId64 "us: need 1000-1000000us",
					       out->cpu_period_us);
	}
	if (memchr(lim->cpuset_cpus, '\0', sizeof(lim->cpuset_cpus)) == NULL ||
	    memchr(lim->cpuset_mems, '\0', sizeof(lim->cpuset_mems)) == NULL)
		return crowd_error_set(err, EINVAL, "cpuset: not NUL-terminated");
	return 0;
}

int crowd_cg_create(struct crowd_cg_run *run, const char *leaf, const struct crowd_cg_limits *lim,
		    struct crowd_cg **ret, struct crowd_error *err)
{
	static const struct crowd_cg_limits none = CROWD_CG_LIMITS_NONE;
	struct crowd_cg_limits l;
	struct crowd_cg *cg;
	int r;

	if ((r = name_check("cgroup leaf", leaf, err)) < 0)
		return r;
	r = limits_check(lim ? lim : &none, &l, err);
	if (r < 0)
		return r;
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return crowd_error_errno(err, ENOMEM, "cgroup %s", leaf);
	cg->run = run;
	cg->v2_fd = -1;
	cg->leaf = strdup(leaf);
	if (!cg->leaf) {
		cg_free(cg);
		return crowd_error_errno(err, ENOMEM, "cgroup %s", leaf);
	}
	r = run->ops->create(cg, &l, err);
	if (r < 0) {
		crowd_error_prefix(err, "cgroup %s/%s/%s", run->top, run->name, leaf);
		cg_free(cg);
		return r;
	}
	*ret = cg;
	return 0;
}

int crowd_cg_clone_fd(const struct crowd_cg *cg)
{
	return cg ? cg->v2_fd : -1;
}

int crowd_cg_attach(struct crowd_cg *cg, pid_t pid, struct crowd_error *err)
{
	if (pid <= 0)
		return crowd_error_set(err, EINVAL, "cgroup attach: bad pid %d", (int)pid);
	int r = cg->run->ops->attach(cg, pid, err);
	if (r < 0)
		crowd_error_prefix(err, "cgroup %s attach %d", cg->leaf, (int)pid);
	return r;
}

void crowd_cg_attach_close(struct crowd_cg_attach *a)
{
	crowd_closep(&a->v2_fd);
	for (unsigned i = 0; i < a->n; i++)
		crowd_closep(&a->fds[i]);
	a->n = 0;
}

int crowd_cg_attach_open(struct crowd_cg *cg, struct crowd_cg_attach *ret, struct crowd_error *err)
{
	*ret = (struct crowd_cg_attach){.v2_fd = -1};
	int r = cg->run->ops->attach_open(cg, ret, err);
	if (r < 0) {
		crowd_cg_attach_close(ret);
		crowd_error_prefix(err, "cgroup %s", cg->leaf);
	}
	return r;
}

static int attach_write(int fd, const char *name, struct crowd_error *err)
{
	ssize_t n;
	do
		n = write(fd, "0", 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		return 0;
	int e = n < 0 ? errno : EIO;
	return crowd_error_set(err, e, "joining the cgroup under %s: %s", name ? name : "?",
			       strerrordesc_np(e));
}

int crowd_cg_attach_self(const struct crowd_cg_attach *a, bool in_v2, struct crowd_error *err)
{
	int r;
	if (a->v2_fd >= 0 && !in_v2 &&
	    (r = attach_write(a->v2_fd, a->names[CROWD_CG_ATTACH_MAX], err)) < 0)
		return r;
	for (unsigned i = 0; i < a->n; i++)
		if ((r = attach_write(a->fds[i], a->names[i], err)) < 0)
			return r;
	return 0;
}

int crowd_cg_pids(struct crowd_cg *cg, pid_t **ret, size_t *ret_n, struct crowd_error *err)
{
	int r = cg->run->ops->pids(cg, ret, ret_n, err);
	if (r < 0)
		crowd_error_prefix(err, "cgroup %s", cg->leaf);
	return r;
}

int crowd_cg_stats(struct crowd_cg *cg, struct crowd_cg_stats *ret, struct crowd_error *err)
{
	*ret = (struct crowd_cg_stats){-1, -1, -1, -1, -1};
	int r = cg->run->ops->stats(cg, ret, err);
	if (r < 0)
		crowd_error_prefix(err, "cgroup %s stats", cg->leaf);
	return r;
}

const char *crowd_cg_path(const struct crowd_cg *ccg, const char *hierarchy)
{
	struct crowd_cg *cg = (struct crowd_cg *)ccg; /* the cache is not part of its value */
	const struct crowd_cg_run *run;
	int hi = -1;

	if (!cg || !hierarchy)
		return NULL;
	run = cg->run;
	if (strcmp(hierarchy, "unified") == 0 || run->layout == CROWD_CG_UNIFIED) {
		hi = run->v2;
		if (run->layout == CROWD_CG_UNIFIED && strcmp(hierarchy, "unified") != 0) {
			bool known = false;
			for (unsigned c = 0; c < CG_NCTRL; c++)
				known |= strcmp(hierarchy, cg_ctrl_table[c].name) == 0;
			if (!known)
				return NULL;
		}
	} else {
		for (unsigned c = 0; c < CG_NCTRL; c++)
			if (strcmp(hierarchy, cg_ctrl_table[c].name) == 0)
				hi = cg_hier_index(run, cg_ctrl_table[c].bit);
	}
	if (hi < 0 || !(cg->present & (1u << hi)))
		return NULL;
	char *p = __atomic_load_n(&cg->paths[hi], __ATOMIC_ACQUIRE), *expected = NULL;
	if (p)
		return p;
	if (asprintf(&p, "%s/%s/%s/%s", run->h[hi].mnt, run->top, run->name, cg->leaf) < 0)
		return NULL;
	/* Two threads may ask at once: one string wins, the other is freed. */
	if (!__atomic_compare_exchange_n(&cg->paths[hi], &expected, p, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		free(p);
		p = expected;
	}
	return p;
}

int crowd_cg_run_kill(struct crowd_cg_run *run, struct crowd_error *err)
{
	if (!run)
		return 0;
	if (run->v2 >= 0 && run->h[run->v2].run_fd >= 0) {
		int r = crowd_write_fileat(run->h[run->v2].run_fd, "cgroup.kill", "1", err);
		return r < 0 ? r : 0;
	}
	/* v1: the freezer's hierarchy if there is one (all hold every process of a leaf). */
	int hi = -1;
	for (unsigned i = 0; i < run->nh; i++)
		if (run->h[i].run_fd >= 0 && (hi < 0 || (run->h[i].ctrls & CG_FREEZER)))
			hi = (int)i;
	if (hi < 0)
		return 0;
	int fd = openat(run->h[hi].run_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return crowd_error_errno(err, errno, "open %s/%s/%s", run->h[hi].mnt, run->top,
					 run->name);
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		char procs[NAME_MAX + 16];
		pid_t *pids = NULL;
		size_t np = 0;
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", de->d_name);
		if (cg_read_pidsat(dirfd(d), procs, &pids, &np, NULL) == 0)
			for (size_t k = 0; k < np; k++)
				kill(pids[k], SIGKILL);
		free(pids);
	}
	closedir(d);
	return 0;
}

bool crowd_cg_gone(const struct crowd_cg *cg)
{
	for (unsigned i = 0; i < cg->run->nh; i++)
		if ((cg->present & (1u << i)) &&
		    faccessat(cg->run->h[i].run_fd, cg->leaf, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			return false;
	return true;
}

int crowd_cg_kill(struct crowd_cg *cg, struct crowd_error *err)
{
	int r = cg->run->ops->kill(cg, err);
	/* The leaf it kills through is gone: only an empty cgroup can be removed, so nothing of
	 * the container is left to kill (a concurrent crowd clean got there first). */
	if (r == -ENOENT || r == -ENODEV)
		return 0;
	if (r < 0)
		crowd_error_prefix(err, "cgroup %s kill", cg->leaf);
	return r;
}

int crowd_cg_destroy(struct crowd_cg *cg, struct crowd_error *err)
{
	if (!cg)
		return 0;
	int r = cg->run->ops->remove(cg, err);
	if ((r == -ENOENT || r == -ENODEV) && !crowd_cg_gone(cg)) {
		/* Part of it was removed behind our back (a crowd clean half-way through its
		 * hierarchies): kill and remove what is left of it in each, directly. */
		r = 0;
		for (unsigned i = 0; i < cg->run->nh; i++) {
			struct cg_hier *h = &cg->run->h[i];
			struct crowd_error e;
			if (!(cg->present & (1u << i)) || h->run_fd < 0)
				continue;
			int ri = cg_rmdir_tree(h->run_fd, cg->leaf, cg->run->ops->kill_dir, h, &e);
			if (ri < 0 && ri != -ENOENT && r == 0) {
				r = ri;
				if (err)
					*err = e;
			}
		}
	}
	if ((r == -ENOENT || r == -ENODEV) && crowd_cg_gone(cg))
		r = 0; /* removed behind our back (crowd clean): gone is what we wanted */
	if (r < 0)
		crowd_error_prefix(err, "cgroup %s/%s/%s remove", cg->run->top, cg->run->name,
				   cg->leaf);
	cg_free(cg);
	return r;
}

/* ---- sweep ---- */

int cg_sweep_layout(const char *root, enum crowd_cg_layout layout, bool check_fs,
		    unsigned *ret_removed, unsigned *ret_left, struct crowd_error *err)
{
	const char *top = crowd_cg_top(err);
	struct cg_tree_count c = {0};
	struct crowd_cg_run *run;
	int r;

	*ret_removed = *ret_left = 0;
	if (!top)
		return -EINVAL;
	if ((unsigned)layout >= CROWD_ARRAY_SIZE(layout_ops))
		return crowd_error_set(err, EINVAL, "cgroup layout %d unknown", (int)layout);
	run = calloc(1, sizeof(*run));
	if (!run)
		return crowd_error_errno(err, ENOMEM, "cgroup sweep");
	run->ops = layout_ops[layout];
	r = hier_discover(run, root ? root : default_root(), layout, check_fs, err);
	if (r < 0) {
		run_free(run);
		return r;
	}
	/* cgroup2 first (cgroup.kill takes whole subtrees), then the freezer, then the rest. */
	for (int pass = 0; pass < 3; pass++) {
		for (unsigned i = 0; i < run->nh; i++) {
			struct cg_hier *h = &run->h[i];
			bool fr = !h->v2 && (h->ctrls & CG_FREEZER);
			if ((pass == 0) != h->v2 || (pass == 1 && !fr) || (pass == 2 && fr))
				continue;
			_cleanup_close_ int mnt_fd = open(h->mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (mnt_fd < 0)
				continue;
			cg_tree_remove(mnt_fd, top, run->ops->kill_dir, h, &c);
		}
	}
	run_free(run);
	*ret_removed = c.removed;
	*ret_left = c.left;
	if (c.left) {
		if (err)
			*err = c.first;
		return crowd_error_prefix(err, "cgroup sweep left %u cgroups", c.left);
	}
	return 0;
}

int crowd_cg_sweep(const char *root, unsigned *ret_removed, unsigned *ret_left,
		   struct crowd_error *err)
{
	enum crowd_cg_layout layout;
	unsigned removed = 0, left = 0;
	int r;

	if (!root)
		root = default_root();
	r = crowd_cg_detect(root, &layout, err);
	if (r == 0)
		r = cg_sweep_layout(root, layout, true, &removed, &left, err);
	if (ret_removed)
		*ret_removed = removed;
	if (ret_left)
		*ret_left = left;
	return r;
}

bool crowd_cg_run_left(const char *root, const char *run_name, char *ret_path, size_t len)
{
	/* crowd's hierarchies and those runc also makes a run's cgroups in; the root last. */
	static const char *const hier[] = {"unified", "memory",	 "cpu",	    "cpuacct", "cpuset",
					   "pids",    "freezer", "devices", "blkio",   ""};
	const char *top = crowd_cg_top(NULL);

	if (!top || name_check("run", run_name, NULL) < 0)
		return false;
	if (!root)
		root = default_root();
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(hier); i++) {
		char p[PATH_MAX], ptop[PATH_MAX];
		struct stat st;
		if (snprintf(ptop, sizeof(ptop), "%s%s%s/%s", root, hier[i][0] ? "/" : "",
			     hier[i], top) >= (int)sizeof(ptop))
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", ptop, run_name) >= (int)sizeof(p))
			continue;
		if (stat(p, &st) == 0) {
			snprintf(ret_path, len, "%s", p);
			return true;
		}
		cg_fs->rmdirat(AT_FDCWD, ptop); /* only when nothing else is in it */
	}
	return false;
}

bool crowd_cg_pids_limit(const char *root, const char *run_name, int64_t *ret_max,
			 int64_t *ret_current, char *ret_where, size_t len)
{
	const char *top = crowd_cg_top(NULL);
	int64_t best = INT64_MAX;
	bool found = false;

	if (!top || name_check("run", run_name, NULL) < 0)
		return false;
	if (!root)
		root = default_root();
	/* v1 pids hierarchy or cgroup2 at the root; the run, then <top>. */
	for (int i = 0; i < 2; i++) {
		for (int depth = 2; depth >= 1; depth--) {
			char dir[PATH_MAX], p[PATH_MAX + 16];
			int64_t max, cur;
			if (snprintf(dir, sizeof(dir), "%s%s/%s%s%s", root, i == 0 ? "/pids" : "",
				     top, depth == 2 ? "/" : "",
				     depth == 2 ? run_name : "") >= (int)sizeof(dir))
				continue;
			snprintf(p, sizeof(p), "%s/pids.max", dir);
			if (crowd_read_int64(p, &max, NULL) < 0 || max == INT64_MAX)
				continue;
			snprintf(p, sizeof(p), "%s/pids.current", dir);
			if (crowd_read_int64(p, &cur, NULL) < 0)
				continue;
			if (max - cur < best) {
				best = max - cur;
				*ret_max = max;
				*ret_current = cur;
				snprintf(ret_where, len, "%s", dir);
				found = true;
			}
		}
	}
	return found;
}
