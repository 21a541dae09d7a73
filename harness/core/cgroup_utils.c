/* Small file helpers the cgroup managers share: making and removing cgroup directories
 * (with the kernel's EBUSY retries and depth-first removal of busy trees), reading and
 * parsing knob files, opening a run's directory in one hierarchy, and reading statistics
 * from a table. Nothing here knows a layout or calls a manager but through a callback. */
#include "cgroup_utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util.h"

const struct cg_ctrl_desc cg_ctrl_table[CG_NCTRL] = {
    {CG_MEMORY, "memory", true},    {CG_PIDS, "pids", true},	 {CG_CPU, "cpu", true},
    {CG_CPUACCT, "cpuacct", false}, {CG_CPUSET, "cpuset", true}, {CG_FREEZER, "freezer", false},
    {CG_DEVICES, "devices", false},
};

static int real_mkdirat(int dirfd, const char *name, mode_t mode)
{
	return mkdirat(dirfd, name, mode);
}
static int real_rmdirat(int dirfd, const char *name)
{
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}
static const struct cg_fs_ops real_fs = {real_mkdirat, real_rmdirat, statfs};
const struct cg_fs_ops *cg_fs = &real_fs;
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
		size_t want = cap - 1 - len;
		ssize_t n = crowd_read_all(fd, buf + len, want);
		if (n < 0)
			return crowd_error_errno(err, (int)-n, "read %s", name);
		len += (size_t)n;
		if ((size_t)n < want)
			break;
		char *nb = realloc(buf, cap * 2);
		if (!nb)
			return crowd_error_errno(err, ENOMEM, "read %s", name);
		buf = nb;
		cap *= 2;
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

int cg_leaf_hier(const struct crowd_cg *cg, unsigned ctrl)
{
	int hi = cg_hier_index(cg->run, ctrl);
	return hi >= 0 && (cg->present & (1u << hi)) ? hi : -1;
}

const char *cg_leaf_file(const struct crowd_cg *cg, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", cg->leaf, file);
	return buf;
}

unsigned cg_limits_ctrls(const struct crowd_cg_limits *l)
{
	return (l->memory_max_bytes > 0 ? CG_MEMORY : 0) | (l->pids_max > 0 ? CG_PIDS : 0) |
	       (l->cpu_quota_us > 0 ? CG_CPU : 0) |
	       (l->cpuset_cpus[0] || l->cpuset_mems[0] ? CG_CPUSET : 0) |
	       (l->devices ? CG_DEVICES : 0);
}

int cg_run_devices(struct crowd_cg_run *run, const struct crowd_dev_policy *p,
		   cg_dev_apply_fn *apply, struct crowd_error *err)
{
	int r = 0;

	if (__atomic_load_n(&run->dev_policy, __ATOMIC_ACQUIRE) == p)
		return 0;
	pthread_mutex_lock(&run->dev_lock);
	if (!run->dev_policy) {
		r = apply(run, p, err);
		if (r == 0)
			__atomic_store_n(&run->dev_policy, p, __ATOMIC_RELEASE);
	} else if (run->dev_policy != p) {
		r = crowd_error_set(err, EINVAL, "device rules: the run carries another policy");
	}
	pthread_mutex_unlock(&run->dev_lock);
	return r;
}

static bool blank(const char *s)
{
	return s[strspn(s, " \t\n")] == '\0';
}

/* cgroup.clone_children is 0 by default, so the kernel does not copy them itself. */
int cg_cpuset_inherit(int parent_fd, int child_fd, struct crowd_error *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	char buf[512];

	for (unsigned i = 0; i < CROWD_ARRAY_SIZE(files); i++) {
		ssize_t n = crowd_read_fileat(child_fd, files[i], buf, sizeof(buf), err);
		if (n < 0)
			return (int)n;
		if (!blank(buf))
			continue;
		n = crowd_read_fileat(parent_fd, files[i], buf, sizeof(buf), err);
		if (n < 0)
			return (int)n;
		int r = crowd_write_fileat(child_fd, files[i], buf, err);
		if (r < 0)
			return r;
	}
	return 0;
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
			int hi = cg_leaf_hier(cg, t[i].ctrl);
			if (hi < 0)
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
		if (h->top_fd < 0) {
			/* (EMFILE): the <top> just made must not stay; gone only when empty */
			r = crowd_error_errno(err, errno, "open %s/%s", h->mnt, run->top);
			cg_fs->rmdirat(mnt_fd, run->top);
			return r;
		}
		r = cpuset ? cg_cpuset_inherit(mnt_fd, h->top_fd, err) : 0;
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
	if (cpuset && (r = cg_cpuset_inherit(h->top_fd, h->run_fd, err)) < 0)
		return crowd_error_prefix(err, "%s/%s/%s", h->mnt, run->top, run->name);
	return 0;
}

/* Depth first: children, then kill what runs here, then remove. */
static void tree_remove(int parent_fd, const char *name, cg_kill_dir_fn *kill,
			const struct cg_hier *h, struct cg_tree_count *c, unsigned depth)
{
	struct crowd_error e;
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT) {
			c->left++;
			if (!c->first.code)
				crowd_error_errno(&c->first, errno, "open %s", name);
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
		tree_remove(fd, de->d_name, kill, h, c, depth + 1);
	}
	if (d)
		closedir(d);
	int r = kill(fd, h, &e);
	close(fd);
	if (r == -ENOENT)
		return; /* removed meanwhile by its owner (a run tearing down): not a leftover */
	if (r == 0)
		r = cg_rmdirat(parent_fd, name, &e);
	if (r == 0) {
		c->removed++;
	} else {
		c->left++;
		if (!c->first.code)
			c->first = e;
	}
}

void cg_tree_remove(int parent_fd, const char *name, cg_kill_dir_fn *kill, const struct cg_hier *h,
		    struct cg_tree_count *c)
{
	tree_remove(parent_fd, name, kill, h, c, 0);
}

int cg_rmdir_tree(int parent_fd, const char *name, cg_kill_dir_fn *kill, const struct cg_hier *h,
		  struct crowd_error *err)
{
	if (cg_fs->rmdirat(parent_fd, name) == 0 || errno == ENOENT)
		return 0;
	if (errno != EBUSY)
		return crowd_error_errno(err, errno, "rmdir %s", name);
	struct cg_tree_count c = {0};
	cg_tree_remove(parent_fd, name, kill, h, &c);
	if (!c.left)
		return 0;
	if (err)
		*err = c.first;
	return -(c.first.code ? c.first.code : EBUSY);
}
