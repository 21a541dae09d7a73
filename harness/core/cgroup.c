/* cgroup layer: layout detection, the hierarchy table, run and leaf objects dispatched to
 * the backend of the layout, and the sweep behind `crowd clean`. */
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
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#include "cgroup_backend.h"
#include "util.h"

#define CG_DEFAULT_ROOT "/sys/fs/cgroup"
#define CG_DEFAULT_TOP	"crowd"
#define CG_NAME_MAX	128

const struct cg_ctrl_desc cg_ctrl_table[CG_NCTRL] = {
    {CG_MEMORY, "memory", true},    {CG_PIDS, "pids", true},	 {CG_CPU, "cpu", true},
    {CG_CPUACCT, "cpuacct", false}, {CG_CPUSET, "cpuset", true}, {CG_FREEZER, "freezer", false},
};

static int real_mkdirat(int dirfd, const char *name, mode_t mode)
{
	return mkdirat(dirfd, name, mode);
}
static int real_rmdirat(int dirfd, const char *name)
{
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}
static const struct cg_fs_ops real_fs = {real_mkdirat, real_rmdirat};
const struct cg_fs_ops *cg_fs = &real_fs;

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
	if (statfs(root, &st) < 0)
		return crowd_error_errno(err, errno, "statfs %s", root);
	if (st.f_type == CGROUP2_SUPER_MAGIC) {
		*ret = CROWD_CG_UNIFIED;
		return 0;
	}
	*ret = CROWD_CG_LEGACY;
	if (st.f_type == TMPFS_MAGIC) {
		snprintf(path, sizeof(path), "%s/unified", root);
		if (statfs(path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
			*ret = CROWD_CG_HYBRID;
	}
	return 0;
}

static bool name_ok(const char *s)
{
	size_t n = s ? strnlen(s, CG_NAME_MAX) : 0;
	return n > 0 && n < CG_NAME_MAX && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static const char *cg_top(void)
{
	const char *t = getenv("CROWD_CGROUP_TOP");
	return t && *t ? t : CG_DEFAULT_TOP;
}

/* ---- small file helpers shared by the backends ---- */

int cg_mkdirat(int dirfd, const char *name, bool exist_ok, struct crowd_error *err)
{
	if (cg_fs->mkdirat(dirfd, name, 0755) == 0)
		return 0;
	if (errno == EEXIST && exist_ok)
		return 0;
	return crowd_error_errno(err, errno, "mkdir %s", name);
}

int cg_rmdirat(int dirfd, const char *name, struct crowd_error *err)
{
	long sleep_ns = 100000;
	for (int i = 0;; i++) {
		if (cg_fs->rmdirat(dirfd, name) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || i + 1 >= CG_RMDIR_TRIES)
			return crowd_error_errno(err, errno, "rmdir %s", name);
		struct timespec ts = {0, sleep_ns};
		nanosleep(&ts, NULL);
		if (sleep_ns < 10000000)
			sleep_ns *= 2;
	}
}

int cg_read_allat(int dirfd, const char *name, char **ret, struct crowd_error *err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return crowd_error_errno(err, errno, "open %s", name);
	size_t cap = 4096, len = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return crowd_error_errno(err, ENOMEM, "read %s", name);
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				return crowd_error_errno(err, ENOMEM, "read %s", name);
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return crowd_error_errno(err, errno, "read %s", name);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = crowd_steal_ptr(buf);
	return 0;
}

int cg_parse_keyed(const char *text, const char *key, int64_t *ret)
{
	size_t klen = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) != 0 || p[klen] != ' ')
			continue;
		char *end;
		errno = 0;
		long long v = strtoll(p + klen + 1, &end, 10);
		if (errno || end == p + klen + 1)
			return -EINVAL;
		*ret = v;
		return 0;
	}
	return -ENOENT;
}

int cg_parse_pids(const char *text, pid_t **ret, size_t *ret_n)
{
	size_t n = 0, cap = 0;
	_cleanup_free_ pid_t *v = NULL;
	const char *p = text;

	while (*p) {
		char *end;
		errno = 0;
		long x = strtol(p, &end, 10);
		if (end == p) {
			if (*p == '\n' || *p == ' ') {
				p++;
				continue;
			}
			return -EINVAL;
		}
		if (errno || x <= 0 || x > INT_MAX)
			return -EINVAL;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			pid_t *nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				return -ENOMEM;
			v = nv;
		}
		v[n++] = (pid_t)x;
		p = end;
	}
	*ret = crowd_steal_ptr(v);
	*ret_n = n;
	return 0;
}

int cg_read_pidsat(int dirfd, const char *name, pid_t **ret, size_t *ret_n, struct crowd_error *err)
{
	_cleanup_free_ char *text = NULL;
	int r = cg_read_allat(dirfd, name, &text, err);
	if (r < 0)
		return r;
	r = cg_parse_pids(text, ret, ret_n);
	if (r < 0)
		return crowd_error_errno(err, -r, "parse %s", name);
	return 0;
}

int cg_hier_index(const struct crowd_cg_run *run, unsigned ctrl)
{
	for (unsigned i = 0; i < run->nh; i++)
		if (!run->h[i].v2 && (run->h[i].ctrls & ctrl))
			return (int)i;
	return -1;
}

const char *cg_leaf_file(const struct crowd_cg *cg, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", cg->leaf, file);
	return buf;
}

int cg_stats_read(struct crowd_cg *cg, const struct cg_stat_desc *t, size_t n, bool v1,
		  struct crowd_cg_stats *ret, struct crowd_error *err)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < n; i++) {
		int dirfd = cg->v2_fd;
		const char *name = t[i].file;
		int64_t v;
		int r;

		if (v1) {
			int hi = cg_hier_index(cg->run, t[i].ctrl);
			if (hi < 0 || !(cg->present & (1u << hi)))
				continue;
			dirfd = cg->run->h[hi].run_fd;
			name = cg_leaf_file(cg, t[i].file, path, sizeof(path));
		}
		if (t[i].key) {
			_cleanup_free_ char *text = NULL;
			struct crowd_error e;
			r = cg_read_allat(dirfd, name, &text, &e);
			if (r == -ENOENT)
				continue;
			if (r < 0) {
				if (err)
					*err = e;
				return r;
			}
			r = cg_parse_keyed(text, t[i].key, &v);
			if (r == -ENOENT)
				continue;
			if (r < 0)
				return crowd_error_set(err, EINVAL, "%s: bad '%s' line", name,
						       t[i].key);
		} else {
			r = crowd_read_int64at(dirfd, name, &v, err);
			if (r == -ENOENT)
				continue;
			if (r < 0)
				return r;
		}
		*(int64_t *)((char *)ret + t[i].off) = v == INT64_MAX ? v : v * t[i].scale;
	}
	return 0;
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
		if (check_fs && (statfs(path, &sfs) < 0 || sfs.f_type != CGROUP_SUPER_MAGIC))
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

static const struct cg_backend *const layout_backends[] = {
    [CROWD_CG_UNIFIED] = &cg_backend_v2,
    [CROWD_CG_LEGACY] = &cg_backend_v1,
    [CROWD_CG_HYBRID] = &cg_backend_hybrid,
};

/* Open <mnt>/<top>/<run> of hierarchy i, making what is missing; v1 cpuset levels get
 * cpus/mems from their parent so tasks may join below. */
int cg_hier_open_run(struct crowd_cg_run *run, unsigned i, struct crowd_error *err)
{
	struct cg_hier *h = &run->h[i];
	bool cpuset = !h->v2 && (h->ctrls & CG_CPUSET);
	int r;

	_cleanup_close_ int mnt_fd = open(h->mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mnt_fd < 0)
		return crowd_error_errno(err, errno, "open %s", h->mnt);
	/* Another run closing may remove an empty <top> between our mkdir and our use of it:
	 * then make it again. */
	for (int tries = 0;; tries++) {
		crowd_closep(&h->top_fd);
		r = cg_mkdirat(mnt_fd, run->top, true, err);
		if (r < 0)
			return crowd_error_prefix(err, "%s", h->mnt);
		h->top_fd = openat(mnt_fd, run->top, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (h->top_fd < 0 && errno == ENOENT && tries < 5)
			continue;
		if (h->top_fd < 0)
			return crowd_error_errno(err, errno, "open %s/%s", h->mnt, run->top);
		r = cpuset ? cg1_cpuset_inherit(mnt_fd, h->top_fd, err) : 0;
		if (r == 0)
			r = cg_mkdirat(h->top_fd, run->name, true, err);
		if ((r == -ENOENT || r == -ENODEV) && tries < 5)
			continue;
		if (r < 0)
			return crowd_error_prefix(err, "%s/%s", h->mnt, run->top);
		break;
	}
	h->run_fd = openat(h->top_fd, run->name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (h->run_fd < 0) {
		r = crowd_error_errno(err, errno, "open %s/%s/%s", h->mnt, run->top, run->name);
		cg_fs->rmdirat(h->top_fd, run->name);
		return r;
	}
	if (cpuset && (r = cg1_cpuset_inherit(h->top_fd, h->run_fd, err)) < 0)
		return crowd_error_prefix(err, "%s/%s/%s", h->mnt, run->top, run->name);
	return 0;
}

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
		if (cg_rmdirat(h->top_fd, run->name, &e) < 0 && ret == 0) {
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
	int r;

	if ((unsigned)layout >= CROWD_ARRAY_SIZE(layout_backends))
		return crowd_error_set(err, EINVAL, "cgroup layout %d unknown", (int)layout);
	if (!name_ok(run_name))
		return crowd_error_set(err, EINVAL,
				       "cgroup run name '%.64s': need 1-127 characters, no '/'",
				       run_name ? run_name : "");
	if (!name_ok(cg_top()))
		return crowd_error_set(err, EINVAL,
				       "CROWD_CGROUP_TOP '%.64s': need 1-127 characters, no '/'",
				       cg_top());
	run = calloc(1, sizeof(*run));
	if (!run)
		return crowd_error_errno(err, ENOMEM, "cgroup run");
	run->layout = layout;
	run->be = layout_backends[layout];
	run->top = strdup(cg_top());
	run->name = strdup(run_name);
	if (!run->top || !run->name) {
		run_free(run);
		return crowd_error_errno(err, ENOMEM, "cgroup run");
	}
	r = hier_discover(run, root ? root : CG_DEFAULT_ROOT, layout, check_fs, err);
	if (r == 0)
		r = run->be->run_open(run, err);
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
		root = CG_DEFAULT_ROOT;
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

	if (!name_ok(leaf))
		return crowd_error_set(err, EINVAL,
				       "cgroup leaf '%.64s': need 1-127 characters, no '/'",
				       leaf ? leaf : "");
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
	r = run->be->create(cg, &l, err);
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
	int r = cg->run->be->attach(cg, pid, err);
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
	char path[PATH_MAX];

	ret->v2_fd = -1;
	ret->n = 0;
	ret->names[CROWD_CG_ATTACH_MAX] = NULL;
	if (cg->v2_fd >= 0 &&
	    (ret->v2_fd = openat(cg->v2_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC)) < 0)
		return crowd_error_errno(err, errno, "cgroup %s: open %s/cgroup.procs", cg->leaf,
					 cg->run->h[cg->run->v2].mnt);
	if (cg->v2_fd >= 0)
		ret->names[CROWD_CG_ATTACH_MAX] = cg->run->h[cg->run->v2].mnt;
	/* The same order as the v1 attach: cpuset first, its cpus/mems are set. */
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < cg->run->nh; i++) {
			const struct cg_hier *h = &cg->run->h[i];
			if (h->v2 || !(cg->present & (1u << i)) ||
			    (pass == 0) != !!(h->ctrls & CG_CPUSET))
				continue;
			if (ret->n == CROWD_CG_ATTACH_MAX) {
				crowd_cg_attach_close(ret);
				return crowd_error_set(err, E2BIG,
						       "cgroup %s: too many hierarchies", cg->leaf);
			}
			int fd =
			    openat(h->run_fd, cg_leaf_file(cg, "cgroup.procs", path, sizeof(path)),
				   O_WRONLY | O_CLOEXEC);
			if (fd < 0) {
				int e = errno;
				crowd_cg_attach_close(ret);
				return crowd_error_errno(err, e, "cgroup %s: open %s/%s", cg->leaf,
							 h->mnt, path);
			}
			ret->names[ret->n] = h->mnt;
			ret->fds[ret->n++] = fd;
		}
	return 0;
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
	char path[PATH_MAX];

	if (cg->v2_fd >= 0)
		return cg_read_pidsat(cg->v2_fd, "cgroup.procs", ret, ret_n, err);
	static const unsigned pref[] = {CG_PIDS, CG_MEMORY, CG_FREEZER, CG_CPUACCT};
	for (unsigned k = 0; k < CROWD_ARRAY_SIZE(pref); k++) {
		int hi = cg_hier_index(cg->run, pref[k]);
		if (hi >= 0 && (cg->present & (1u << hi)))
			return cg_read_pidsat(cg->run->h[hi].run_fd,
					      cg_leaf_file(cg, "cgroup.procs", path, sizeof(path)),
					      ret, ret_n, err);
	}
	return crowd_error_set(err, ENOENT, "cgroup %s: no hierarchy to list processes", cg->leaf);
}

int crowd_cg_stats(struct crowd_cg *cg, struct crowd_cg_stats *ret, struct crowd_error *err)
{
	*ret = (struct crowd_cg_stats){-1, -1, -1, -1, -1};
	int r = cg->run->be->stats(cg, ret, err);
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

int crowd_cg_kill(struct crowd_cg *cg, struct crowd_error *err)
{
	int r = cg->run->be->kill(cg, err);
	if (r < 0)
		crowd_error_prefix(err, "cgroup %s kill", cg->leaf);
	return r;
}

int crowd_cg_destroy(struct crowd_cg *cg, struct crowd_error *err)
{
	if (!cg)
		return 0;
	int r = cg->run->be->remove(cg, err);
	if (r == -ENOENT || r == -ENODEV) {
		/* Removed behind our back (crowd clean): gone is what we wanted. */
		bool left = false;
		for (unsigned i = 0; i < cg->run->nh; i++)
			if ((cg->present & (1u << i)) && faccessat(cg->run->h[i].run_fd, cg->leaf,
								   F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				left = true;
		if (!left)
			r = 0;
	}
	if (r < 0)
		crowd_error_prefix(err, "cgroup %s/%s/%s remove", cg->run->top, cg->run->name,
				   cg->leaf);
	cg_free(cg);
	return r;
}

/* ---- sweep ---- */

struct sweep {
	bool v2, freezer;
	unsigned removed, left;
	struct crowd_error first;
};

/* Depth first: children, then kill what runs here, then remove. */
static void sweep_dir(struct sweep *s, int parent_fd, const char *name, unsigned depth)
{
	struct crowd_error e;
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT) {
			s->left++;
			if (!s->first.code)
				crowd_error_errno(&s->first, errno, "open %s", name);
		}
		return;
	}
	int dfd = dup(fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d && dfd >= 0)
		close(dfd);
	for (struct dirent *de; d && depth < 32 && (de = readdir(d));) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sweep_dir(s, fd, de->d_name, depth + 1);
	}
	if (d)
		closedir(d);
	int r = s->v2 ? cg2_kill_fd(fd, &e) : cg1_kill_dir(fd, s->freezer, &e);
	if (r == 0 && s->v2)
		r = cg2_wait_empty(fd, CG_WAIT_EMPTY_NS, &e);
	close(fd);
	if (r == 0)
		r = cg_rmdirat(parent_fd, name, &e);
	if (r == 0) {
		s->removed++;
	} else {
		s->left++;
		if (!s->first.code)
			s->first = e;
	}
}

int cg_rmdir_tree(int parent_fd, const char *name, bool v2, bool freezer, struct crowd_error *err)
{
	if (cg_fs->rmdirat(parent_fd, name) == 0 || errno == ENOENT)
		return 0;
	if (errno != EBUSY)
		return crowd_error_errno(err, errno, "rmdir %s", name);
	struct sweep s = {.v2 = v2, .freezer = freezer};
	sweep_dir(&s, parent_fd, name, 0);
	if (!s.left)
		return 0;
	if (err)
		*err = s.first;
	return -(s.first.code ? s.first.code : EBUSY);
}

int cg_sweep_layout(const char *root, enum crowd_cg_layout layout, bool check_fs,
		    unsigned *ret_removed, unsigned *ret_left, struct crowd_error *err)
{
	struct crowd_cg_run *run = calloc(1, sizeof(*run));
	struct sweep s = {0};
	int r;

	*ret_removed = *ret_left = 0;
	if (!run)
		return crowd_error_errno(err, ENOMEM, "cgroup sweep");
	if (!name_ok(cg_top())) {
		free(run);
		return crowd_error_set(err, EINVAL,
				       "CROWD_CGROUP_TOP '%.64s': need 1-127 characters, no '/'",
				       cg_top());
	}
	r = hier_discover(run, root ? root : CG_DEFAULT_ROOT, layout, check_fs, err);
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
			s.v2 = h->v2;
			s.freezer = fr;
			sweep_dir(&s, mnt_fd, cg_top(), 0);
		}
	}
	run_free(run);
	*ret_removed = s.removed;
	*ret_left = s.left;
	if (s.left) {
		if (err)
			*err = s.first;
		return crowd_error_prefix(err, "cgroup sweep left %u cgroups", s.left);
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
		root = CG_DEFAULT_ROOT;
	r = crowd_cg_detect(root, &layout, err);
	if (r == 0)
		r = cg_sweep_layout(root, layout, true, &removed, &left, err);
	if (ret_removed)
		*ret_removed = removed;
	if (ret_left)
		*ret_left = left;
	return r;
}
