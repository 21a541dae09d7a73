/* The cgroup layer: (a) against a temporary directory standing in for a v2, v1 or hybrid
 * cgroup file system (exact files and values written, parsing, fail-closed, sweep), and
 * (b) as root on the host's real hierarchies. Root-only cases skip with a printed reason. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "core/cgroup_utils.h"
#include "core/cgroup_hybrid.h"
#include "core/cgroup_v1.h"
#include "core/cgroup_v2.h"
#include "core/devices.h"
#include "core/registry.h"
#include "core/util.h"
#include "testutil.h"

/* ---- a fake cgroup file system in a temporary directory ---- */

static const char *const stub_files[][2] = {
    {"cgroup.procs", ""},
    {"cgroup.controllers", ""},
    {"cgroup.subtree_control", ""},
    {"cgroup.events", "populated 0\nfrozen 0\n"},
    {"cgroup.kill", ""},
    {"memory.max", "max\n"},
    {"memory.current", "12345\n"},
    {"memory.peak", "23456\n"},
    {"memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\noom_group_kill 0\n"},
    {"pids.max", "max\n"},
    {"pids.current", "3\n"},
    {"cpu.max", "max 100000\n"},
    {"cpu.stat", "usage_usec 777\nuser_usec 500\nsystem_usec 277\n"},
    {"cpuset.cpus", "\n"},
    {"cpuset.mems", "\n"},
    {"memory.limit_in_bytes", "9223372036854771712\n"},
    {"memory.usage_in_bytes", "4096\n"},
    {"memory.max_usage_in_bytes", "8192\n"},
    {"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 5\n"},
    {"cpu.cfs_quota_us", "-1\n"},
    {"cpu.cfs_period_us", "100000\n"},
    {"cpuacct.usage", "424242\n"},
    {"freezer.state", "THAWED\n"},
    {"devices.deny", ""},
    {"devices.allow", ""},
};
static const char *fake_missing; /* a stub file new directories do not get */

static void write_text(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(crowd_write_all(fd, text, strlen(text)), 0);
	close(fd);
}

static void stub_dir(int fd)
{
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(stub_files); i++)
		if (!fake_missing || strcmp(fake_missing, stub_files[i][0]) != 0)
			write_text(fd, stub_files[i][0], stub_files[i][1]);
}

static int fake_mkdirat(int dirfd, const char *name, mode_t mode)
{
	if (mkdirat(dirfd, name, mode) < 0)
		return -1;
	int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	stub_dir(fd);
	close(fd);
	return 0;
}

/* Like the kernel: EBUSY while child cgroups exist; the knob files go with the directory. */
static int fake_rmdirat(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(dup(fd));
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			closedir(d);
			close(fd);
			errno = EBUSY;
			return -1;
		}
	}
	rewinddir(d);
	while ((de = readdir(d)))
		if (de->d_type == DT_REG)
			unlinkat(fd, de->d_name, 0);
	closedir(d);
	close(fd);
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

static const struct cg_fs_ops fake_fs = {fake_mkdirat, fake_rmdirat, statfs};
static char tmp[256];
static char top[64];

/* Each test has its own <top>: crowd-check-<main pid>-<test pid>, swept by main after. */
static const struct cg_fs_ops *real_fs_ops;
static void set_top(void)
{
	cg_fs = real_fs_ops;
	snprintf(top, sizeof(top), "crowd-check-%d-%d", (int)getppid(), (int)getpid());
	setenv("CROWD_CGROUP_TOP", top, 1);
}

static void fake_setup(void)
{
	/* tmpfs when there is one: the fakes create thousands of small files */
	snprintf(tmp, sizeof(tmp), "%s/crowd-check-cgroup-%d-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getppid());
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	set_top();
	cg_fs = &fake_fs;
	fake_missing = NULL;
}

/* A fake cgroup2 root offering every controller crowd uses. */
static void fake_v2_root(const char *dir)
{
	int fd = open(dir, O_PATH | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	stub_dir(fd);
	write_text(fd, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
	close(fd);
}

/* Fake v1 hierarchies under tmp (names from the list), cpuset root with cpus and mems. */
static void fake_v1_roots(const char *const *names)
{
	char p[1024];
	for (; *names; names++) {
		snprintf(p, sizeof(p), "%s/%s", tmp, *names);
		ck_assert_int_eq(mkdir(p, 0755), 0);
		int fd = open(p, O_PATH | O_DIRECTORY);
		stub_dir(fd);
		write_text(fd, "cpuset.cpus", "0-1\n");
		write_text(fd, "cpuset.mems", "0\n");
		close(fd);
	}
}
static const char *const all_v1[] = {"memory", "pids", "cpu", "cpuacct", "cpuset", "freezer", NULL};

static char *slurp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *slurp(const char *fmt, ...)
{
	static char buf[4][512];
	static int k;
	char path[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	char *b = buf[k++ % 4];
	if (crowd_read_file(path, b, 512, NULL) < 0)
		snprintf(b, 512, "<missing %.400s>", path);
	return b;
}

static bool exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool exists(const char *fmt, ...)
{
	char path[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return access(path, F_OK) == 0;
}

static struct crowd_cg_limits full_limits(void)
{
	struct crowd_cg_limits l = CROWD_CG_LIMITS_NONE;
	l.memory_max_bytes = 64 << 20;
	l.pids_max = 32;
	l.cpu_quota_us = 50000;
	l.cpu_period_us = 100000;
	snprintf(l.cpuset_cpus, sizeof(l.cpuset_cpus), "1");
	return l;
}

/* ---- (a) parsing and detection ---- */

START_TEST(test_parse_keyed)
{
	int64_t v = -1;
	ck_assert_int_eq(cg_parse_keyed("usage_usec 777\nuser_usec 500\n", "usage_usec", &v), 0);
	ck_assert_int_eq(v, 777);
	ck_assert_int_eq(cg_parse_keyed("usage_usec 777\nuser_usec 500\n", "user_usec", &v), 0);
	ck_assert_int_eq(v, 500);
	/* oom_kill must not match oom_kill_disable */
	ck_assert_int_eq(
	    cg_parse_keyed("oom_kill_disable 1\nunder_oom 0\noom_kill 7\n", "oom_kill", &v), 0);
	ck_assert_int_eq(v, 7);
	ck_assert_int_eq(cg_parse_keyed("low 0\nhigh 0\nmax 9\noom 2\noom_kill 3\n", "oom", &v), 0);
	ck_assert_int_eq(v, 2);
	ck_assert_int_eq(cg_parse_keyed("populated 1\nfrozen 0\n", "populated", &v), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(cg_parse_keyed("oom_kill_disable 1\n", "oom_kill", &v), -ENOENT);
	ck_assert_int_eq(cg_parse_keyed("oom_kill x\n", "oom_kill", &v), -EINVAL);
	ck_assert_int_eq(cg_parse_keyed("", "a", &v), -ENOENT);
}
END_TEST

START_TEST(test_parse_pids)
{
	pid_t *p = NULL;
	size_t n = 9;
	ck_assert_int_eq(cg_parse_pids("", &p, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(p);
	ck_assert_int_eq(cg_parse_pids("12\n345\n6\n", &p, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(p[0], 12);
	ck_assert_int_eq(p[1], 345);
	ck_assert_int_eq(p[2], 6);
	free(p);
	ck_assert_int_eq(cg_parse_pids("12\nabc\n", &p, &n), -EINVAL);
	ck_assert_int_eq(cg_parse_pids("-4\n", &p, &n), -EINVAL);
}
END_TEST

START_TEST(test_detect)
{
	struct crowd_error err = {0};
	enum crowd_cg_layout l = CROWD_CG_UNIFIED;
	char p[512];

	fake_setup();
	/* A plain directory, even with a "unified" directory in it, is not a cgroup2 mount. */
	snprintf(p, sizeof(p), "%s/unified", tmp);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(crowd_cg_detect(tmp, &l, &err), 0);
	ck_assert_int_eq(l, CROWD_CG_LEGACY);
	snprintf(p, sizeof(p), "%s/nope", tmp);
	ck_assert_int_eq(crowd_cg_detect(p, &l, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, p));
	ck_assert_str_eq(crowd_cg_layout_name(CROWD_CG_HYBRID), "hybrid");
	ck_assert_str_eq(crowd_cg_layout_name(CROWD_CG_UNIFIED), "unified");
	ck_assert_str_eq(crowd_cg_layout_name(CROWD_CG_LEGACY), "legacy");
	/* A real cgroup2 mount is unified wherever it is mounted. */
	if (crowd_cg_detect("/sys/fs/cgroup/unified", &l, NULL) == 0 && l != CROWD_CG_LEGACY)
		ck_assert_int_eq(l, CROWD_CG_UNIFIED);
	rmdir(strcat(strcpy(p, tmp), "/unified"));
	rmdir(tmp);
}
END_TEST

/* ---- (a) v2 against the fake ---- */

START_TEST(test_v2_limits_and_stats)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL;
	struct crowd_cg_limits l = full_limits();
	struct crowd_cg_stats st;

	fake_setup();
	fake_v2_root(tmp);
	ck_assert_msg(cg_run_open_layout(tmp, CROWD_CG_UNIFIED, false, "run", &run, &err) == 0,
		      "%s", err.msg);
	ck_assert_int_eq(crowd_cg_run_layout(run), CROWD_CG_UNIFIED);
	/* memory and pids on from the root down (stats need them); <top> did not have them. */
	ck_assert_str_eq(slurp("%s/cgroup.subtree_control", tmp), "+memory +pids");
	ck_assert_str_eq(slurp("%s/%s/cgroup.subtree_control", tmp, top), "+memory +pids");
	ck_assert_str_eq(slurp("%s/%s/run/cgroup.subtree_control", tmp, top), "+memory +pids");

	ck_assert_msg(crowd_cg_create(run, "c1", &l, &cg, &err) == 0, "%s", err.msg);
	/* cpu and cpuset enabled when a limit needs them */
	ck_assert_str_eq(slurp("%s/%s/run/cgroup.subtree_control", tmp, top), "+cpu +cpuset");
	ck_assert_str_eq(slurp("%s/%s/run/c1/memory.max", tmp, top), "67108864");
	ck_assert_str_eq(slurp("%s/%s/run/c1/pids.max", tmp, top), "32");
	ck_assert_str_eq(slurp("%s/%s/run/c1/cpu.max", tmp, top), "50000 100000");
	ck_assert_str_eq(slurp("%s/%s/run/c1/cpuset.cpus", tmp, top), "1");
	ck_assert_str_eq(slurp("%s/%s/run/c1/cpuset.mems", tmp, top), "\n"); /* not set */
	ck_assert_int_ge(crowd_cg_clone_fd(cg), 0);
	char want[512];
	snprintf(want, sizeof(want), "%s/%s/run/c1", tmp, top);
	ck_assert_str_eq(crowd_cg_path(cg, "unified"), want);
	ck_assert_str_eq(crowd_cg_path(cg, "memory"), want);
	ck_assert_ptr_null(crowd_cg_path(cg, "bogus"));

	ck_assert_msg(crowd_cg_stats(cg, &st, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(st.memory_current_bytes, 12345);
	ck_assert_int_eq(st.memory_peak_bytes, 23456);
	ck_assert_int_eq(st.pids_current, 3);
	ck_assert_int_eq(st.cpu_usage_ns, 777000);
	ck_assert_int_eq(st.oom_kills, 1);

	pid_t *pids = NULL;
	size_t n = 0;
	write_text(crowd_cg_clone_fd(cg), "cgroup.procs", "11\n22\n");
	ck_assert_int_eq(crowd_cg_pids(cg, &pids, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(pids[1], 22);
	free(pids);
	/* attach writes the pid (the pid is not in the leaf by /proc/PID/cgroup) */
	ck_assert_int_eq(crowd_cg_attach(cg, getpid(), &err), 0);
	ck_assert_int_eq(atoi(slurp("%s/%s/run/c1/cgroup.procs", tmp, top)), getpid());

	ck_assert_int_eq(crowd_cg_kill(cg, &err), 0);
	ck_assert_str_eq(slurp("%s/%s/run/c1/cgroup.kill", tmp, top), "1");

	/* a second leaf without limits writes no limit */
	struct crowd_cg *cg2 = NULL;
	ck_assert_int_eq(crowd_cg_create(run, "c2", NULL, &cg2, &err), 0);
	ck_assert_str_eq(slurp("%s/%s/run/c2/memory.max", tmp, top), "max\n");
	ck_assert_str_eq(slurp("%s/%s/run/c2/cpu.max", tmp, top), "max 100000\n");

	/* cgroups made inside the leaf are removed with it */
	char nested[600];
	snprintf(nested, sizeof(nested), "%s/%s/run/c1/inner", tmp, top);
	ck_assert_int_eq(fake_mkdirat(AT_FDCWD, nested, 0755), 0);
	strcat(nested, "/deeper");
	ck_assert_int_eq(fake_mkdirat(AT_FDCWD, nested, 0755), 0);
	ck_assert_int_eq(crowd_cg_destroy(cg, &err), 0);
	ck_assert(!exists("%s/%s/run/c1", tmp, top));
	ck_assert_int_eq(crowd_cg_destroy(cg2, &err), 0);
	ck_assert_int_eq(crowd_cg_destroy(NULL, &err), 0);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	ck_assert(!exists("%s/%s", tmp, top));
	ck_assert_int_eq(crowd_cg_run_close(NULL, &err), 0);
}
END_TEST

/* The leaf stays populated: destroy reports the timeout instead of pretending. */
/* <top> already gets the controllers (the usual systemd host): the root is not written. */
START_TEST(test_v2_root_untouched)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL;
	struct crowd_cg_limits l = full_limits();
	char p[512];

	fake_setup();
	fake_v2_root(tmp);
	snprintf(p, sizeof(p), "%s/%s", tmp, top);
	ck_assert_int_eq(fake_mkdirat(AT_FDCWD, p, 0755), 0);
	int fd = open(p, O_PATH | O_DIRECTORY);
	write_text(fd, "cgroup.controllers", "cpuset cpu io memory pids\n");
	close(fd);
	ck_assert_int_eq(cg_run_open_layout(tmp, CROWD_CG_UNIFIED, false, "run", &run, &err), 0);
	ck_assert_int_eq(crowd_cg_create(run, "c1", &l, &cg, &err), 0);
	ck_assert_str_eq(slurp("%s/cgroup.subtree_control", tmp), "");
	ck_assert_str_eq(slurp("%s/%s/cgroup.subtree_control", tmp, top), "+cpu +cpuset");
	ck_assert_int_eq(crowd_cg_destroy(cg, &err), 0);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	ck_assert(!exists("%s/%s", tmp, top));
}
END_TEST

START_TEST(test_v2_wait_empty_bounded)
{
	struct crowd_error err = {0};
	fake_setup();
	int fd = open(tmp, O_PATH | O_DIRECTORY);
	write_text(fd, "cgroup.events", "populated 1\nfrozen 0\n");
	int64_t t0 = crowd_now_ns();
	ck_assert_int_eq(cg2_wait_empty(fd, 30000000, &err), -ETIMEDOUT);
	ck_assert_int_ge(crowd_now_ns() - t0, 30000000);
	ck_assert_ptr_nonnull(strstr(err.msg, "cgroup.events"));
	write_text(fd, "cgroup.events", "populated 0\nfrozen 0\n");
	ck_assert_int_eq(cg2_wait_empty(fd, 30000000, &err), 0);
	close(fd);
}
END_TEST

static void v2_fail_closed(const char *missing, const struct crowd_cg_limits *l)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL;

	fake_setup();
	fake_v2_root(tmp);
	ck_assert_int_eq(cg_run_open_layout(tmp, CROWD_CG_UNIFIED, false, "run", &run, &err), 0);
	fake_missing = missing;
	ck_assert_int_eq(crowd_cg_create(run, "c1", l, &cg, &err), -ENOENT);
	ck_assert_msg(strstr(err.msg, missing), "error '%s' does not name %s", err.msg, missing);
	ck_assert_msg(strstr(err.msg, "c1"), "error '%s' does not name the leaf", err.msg);
	ck_assert_ptr_null(cg);
	ck_assert(!exists("%s/%s/run/c1", tmp, top));
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	ck_assert(!exists("%s/%s", tmp, top));
}

START_TEST(test_v2_fail_closed)
{
	static const char *const knobs[] = {"memory.max", "pids.max", "cpu.max", "cpuset.cpus"};
	struct crowd_cg_limits l = full_limits();
	v2_fail_closed(knobs[_i], &l);
}
END_TEST

/* A registry record names each cgroup once: on cgroup2 alone every hierarchy name resolves to
 * the one path, which the record used to repeat once per name (issue 20). */
START_TEST(test_registry_one_path)
{
	static const char id[] = "00000000-0000-4000-8000-00000000c0de";
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL;
	struct crowd_cg_limits l = CROWD_CG_LIMITS_NONE;
	char dir[256], path[512], text[4096];

	fake_setup();
	fake_v2_root(tmp);
	ck_assert_int_eq(cg_run_open_layout(tmp, CROWD_CG_UNIFIED, false, "run", &run, &err), 0);
	ck_assert_int_eq(crowd_cg_create(run, "c1", &l, &cg, &err), 0);
	ck_assert_msg(crowd_reg_add(id, getpid(), 0, cg, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_reg_dir(dir, sizeof(dir), &err), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, id);
	ck_assert_int_gt(crowd_read_file(path, text, sizeof(text), &err), 0);
	crowd_reg_remove(id);
	unsigned lines = 0;
	for (const char *p = text; (p = strstr(p, "cgroup=")); p++)
		lines++;
	ck_assert_msg(lines == 1, "%u cgroup= lines in the record:\n%s", lines, text);
	ck_assert_int_eq(crowd_cg_destroy(cg, &err), 0);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
}
END_TEST

START_TEST(test_bad_names)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL;
	struct crowd_cg_limits l = CROWD_CG_LIMITS_NONE;

	fake_setup();
	fake_v2_root(tmp);
	ck_assert_int_eq(cg_run_open_layout(tmp, CROWD_CG_UNIFIED, false, "a/b", &run, &err),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "a/b"));
	ck_assert_int_eq(cg_run_open_layout(tmp, CROWD_CG_UNIFIED, false, "..", &run, &err),
			 -EINVAL);
	setenv("CROWD_CGROUP_TOP", "x/y", 1);
	ck_assert_int_eq(cg_run_open_layout(tmp, CROWD_CG_UNIFIED, false, "r", &run, &err),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "CROWD_CGROUP_TOP"));
	ck_assert(!exists("%s/x", tmp));
	setenv("CROWD_CGROUP_TOP", top, 1);
	ck_assert_int_eq(cg_run_open_layout(tmp, CROWD_CG_UNIFIED, false, "r", &run, &err), 0);
	ck_assert_int_eq(crowd_cg_create(run, "", &l, &cg, &err), -EINVAL);
	ck_assert_int_eq(crowd_cg_create(run, "../escape", &l, &cg, &err), -EINVAL);
	l.cpu_quota_us = 10;
	ck_assert_int_eq(crowd_cg_create(run, "ok", &l, &cg, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "cpu quota"));
	l.cpu_quota_us = 50000;
	l.cpu_period_us = 5;
	ck_assert_int_eq(crowd_cg_create(run, "ok", &l, &cg, &err), -EINVAL);
	ck_assert(!exists("%s/%s/r/ok", tmp, top));
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	ck_assert(!exists("%s/%s", tmp, top));
}
END_TEST

/* ---- (a) v1 and hybrid against the fake ---- */

/* A second leaf of the same name fails without touching the first; a root that does not
 * exist is named in the error. */
START_TEST(test_duplicate_leaf)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL, *dup = NULL;
	struct crowd_cg_limits l = full_limits();
	char p[512];

	fake_setup();
	fake_v1_roots(all_v1);
	ck_assert_int_eq(cg_run_open_layout(tmp, CROWD_CG_LEGACY, false, "run", &run, &err), 0);
	ck_assert_int_eq(crowd_cg_create(run, "c1", &l, &cg, &err), 0);
	ck_assert_int_eq(crowd_cg_create(run, "c1", &l, &dup, &err), -EEXIST);
	ck_assert_ptr_null(dup);
	ck_assert_ptr_nonnull(strstr(err.msg, "c1"));
	for (const char *const *h = all_v1; *h; h++)
		ck_assert(exists("%s/%s/%s/run/c1", tmp, *h, top));
	ck_assert_str_eq(slurp("%s/memory/%s/run/c1/memory.limit_in_bytes", tmp, top), "67108864");
	ck_assert_int_eq(crowd_cg_destroy(cg, &err), 0);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	ck_assert(!exists("%s/memory/%s", tmp, top));

	snprintf(p, sizeof(p), "%s/nope", tmp);
	ck_assert_int_eq(crowd_cg_run_open(p, "run", &run, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, p));
}
END_TEST

START_TEST(test_v1_limits_and_stats)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL, *plain = NULL;
	struct crowd_cg_limits l = full_limits();
	struct crowd_cg_stats st;

	fake_setup();
	fake_v1_roots(all_v1);
	ck_assert_msg(cg_run_open_layout(tmp, CROWD_CG_LEGACY, false, "run", &run, &err) == 0, "%s",
		      err.msg);
	/* cpuset levels inherit cpus/mems from their parents */
	ck_assert_str_eq(slurp("%s/cpuset/%s/cpuset.cpus", tmp, top), "0-1\n");
	ck_assert_str_eq(slurp("%s/cpuset/%s/run/cpuset.mems", tmp, top), "0\n");

	ck_assert_msg(crowd_cg_create(run, "c1", &l, &cg, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_cg_clone_fd(cg), -1);
	ck_assert_str_eq(slurp("%s/memory/%s/run/c1/memory.limit_in_bytes", tmp, top), "67108864");
	ck_assert_str_eq(slurp("%s/pids/%s/run/c1/pids.max", tmp, top), "32");
	ck_assert_str_eq(slurp("%s/cpu/%s/run/c1/cpu.cfs_quota_us", tmp, top), "50000");
	ck_assert_str_eq(slurp("%s/cpu/%s/run/c1/cpu.cfs_period_us", tmp, top), "100000");
	ck_assert_str_eq(slurp("%s/cpuset/%s/run/c1/cpuset.cpus", tmp, top), "1");
	ck_assert_str_eq(slurp("%s/cpuset/%s/run/c1/cpuset.mems", tmp, top), "0\n");
	ck_assert(exists("%s/freezer/%s/run/c1", tmp, top));
	ck_assert(exists("%s/cpuacct/%s/run/c1", tmp, top));
	char want[512];
	snprintf(want, sizeof(want), "%s/cpuacct/%s/run/c1", tmp, top);
	ck_assert_str_eq(crowd_cg_path(cg, "cpuacct"), want);
	ck_assert_ptr_null(crowd_cg_path(cg, "unified"));

	ck_assert_msg(crowd_cg_stats(cg, &st, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(st.memory_current_bytes, 4096);
	ck_assert_int_eq(st.memory_peak_bytes, 8192);
	ck_assert_int_eq(st.pids_current, 3);
	ck_assert_int_eq(st.cpu_usage_ns, 424242);
	ck_assert_int_eq(st.oom_kills, 5);

	/* attach writes the pid into every hierarchy the leaf is in */
	ck_assert_int_eq(crowd_cg_attach(cg, 4242, &err), 0);
	for (const char *const *h = all_v1; *h; h++)
		ck_assert_str_eq(slurp("%s/%s/%s/run/c1/cgroup.procs", tmp, *h, top), "4242");
	pid_t *pids = NULL;
	size_t n = 0;
	ck_assert_int_eq(crowd_cg_pids(cg, &pids, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(pids[0], 4242);
	free(pids);

	/* no limits: no cpu or cpuset leaf, but memory/pids/cpuacct/freezer for stats and kill */
	ck_assert_int_eq(crowd_cg_create(run, "plain", NULL, &plain, &err), 0);
	ck_assert(!exists("%s/cpu/%s/run/plain", tmp, top));
	ck_assert(!exists("%s/cpuset/%s/run/plain", tmp, top));
	ck_assert(exists("%s/memory/%s/run/plain", tmp, top));
	ck_assert_str_eq(slurp("%s/memory/%s/run/plain/memory.limit_in_bytes", tmp, top),
			 "9223372036854771712\n");
	ck_assert_ptr_null(crowd_cg_path(plain, "cpu"));

	/* the fake's cgroup.procs still lists 4242: empty it so the kill loop sees nobody */
	for (const char *const *h = all_v1; *h; h++) {
		char p[512];
		snprintf(p, sizeof(p), "%s/%s/%s/run/c1", tmp, *h, top);
		int fd = open(p, O_PATH | O_DIRECTORY);
		write_text(fd, "cgroup.procs", "");
		close(fd);
	}
	ck_assert_msg(crowd_cg_destroy(cg, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_cg_destroy(plain, &err), 0);
	for (const char *const *h = all_v1; *h; h++) {
		ck_assert(!exists("%s/%s/%s/run/c1", tmp, *h, top));
		ck_assert(!exists("%s/%s/%s/run/plain", tmp, *h, top));
	}
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	for (const char *const *h = all_v1; *h; h++)
		ck_assert(!exists("%s/%s/%s", tmp, *h, top));
}
END_TEST

/* The device rules are written once per run, on the run's devices cgroup: the first
 * container writes them, the second writes nothing, neither gets a devices leaf, attach puts
 * the pid in the run's cgroup.procs there, and close removes it. */
START_TEST(test_v1_devices_once)
{
	static const char *const hs[] = {"memory", "pids", "cpuacct", "freezer", "devices", NULL};
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *c1 = NULL, *c2 = NULL;
	struct crowd_cg_limits l = CROWD_CG_LIMITS_NONE;
	char want[512] = "", line[64], p[512];

	fake_setup();
	fake_v1_roots(hs);
	l.devices = crowd_dev_default();
	ck_assert_int_eq(cg_run_open_layout(tmp, CROWD_CG_LEGACY, false, "run", &run, &err), 0);
	ck_assert_str_eq(slurp("%s/devices/%s/run/devices.deny", tmp, top), "");
	ck_assert_msg(crowd_cg_create(run, "c1", &l, &c1, &err) == 0, "%s", err.msg);
	/* deny all, then every rule, one write each, into one open file */
	for (unsigned i = 0; i < crowd_dev_table_len; i++) {
		crowd_dev_rule_format(&crowd_dev_table[i], line, sizeof(line));
		strcat(want, line);
	}
	ck_assert_str_eq(slurp("%s/devices/%s/run/devices.deny", tmp, top), "a");
	ck_assert_str_eq(slurp("%s/devices/%s/run/devices.allow", tmp, top), want);
	ck_assert(!exists("%s/devices/%s/run/c1", tmp, top));
	ck_assert(exists("%s/memory/%s/run/c1", tmp, top));
	/* Blank the files: a second write would show. */
	snprintf(p, sizeof(p), "%s/devices/%s/run", tmp, top);
	int fd = open(p, O_PATH | O_DIRECTORY);
	write_text(fd, "devices.deny", "");
	write_text(fd, "devices.allow", "");
	ck_assert_msg(crowd_cg_create(run, "c2", &l, &c2, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(slurp("%s/devices/%s/run/devices.deny", tmp, top), "");
	ck_assert_str_eq(slurp("%s/devices/%s/run/devices.allow", tmp, top), "");
	ck_assert(!exists("%s/devices/%s/run/c2", tmp, top));

	ck_assert_int_eq(crowd_cg_attach(c2, 4343, &err), 0);
	ck_assert_str_eq(slurp("%s/devices/%s/run/cgroup.procs", tmp, top), "4343");
	ck_assert_str_eq(slurp("%s/memory/%s/run/c2/cgroup.procs", tmp, top), "4343");
	struct crowd_cg_attach a;
	ck_assert_int_eq(crowd_cg_attach_open(c1, &a, &err), 0);
	ck_assert_uint_eq(a.n, 5); /* memory, pids, cpuacct, freezer, and the run's devices */
	crowd_cg_attach_close(&a);
	write_text(fd, "cgroup.procs", "");
	close(fd);
	for (const char *const *h = hs; *h; h++) {
		snprintf(p, sizeof(p), "%s/%s/%s/run/c2", tmp, *h, top);
		if ((fd = open(p, O_PATH | O_DIRECTORY)) >= 0) {
			write_text(fd, "cgroup.procs", "");
			close(fd);
		}
	}
	ck_assert_msg(crowd_cg_destroy(c1, &err) == 0, "%s", err.msg);
	ck_assert_msg(crowd_cg_destroy(c2, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	for (const char *const *h = hs; *h; h++)
		ck_assert_msg(!exists("%s/%s/%s", tmp, *h, top), "%s left", *h);
}
END_TEST

START_TEST(test_v1_fail_closed)
{
	static const char *const knobs[] = {"memory.limit_in_bytes", "pids.max", "cpu.cfs_quota_us",
					    "cpu.cfs_period_us", "cpuset.cpus"};
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL;
	struct crowd_cg_limits l = full_limits();

	fake_setup();
	fake_v1_roots(all_v1);
	ck_assert_int_eq(cg_run_open_layout(tmp, CROWD_CG_LEGACY, false, "run", &run, &err), 0);
	fake_missing = knobs[_i];
	ck_assert_int_eq(crowd_cg_create(run, "c1", &l, &cg, &err), -ENOENT);
	ck_assert_msg(strstr(err.msg, knobs[_i]), "error '%s' does not name %s", err.msg,
		      knobs[_i]);
	for (const char *const *h = all_v1; *h; h++)
		ck_assert_msg(!exists("%s/%s/%s/run/c1", tmp, *h, top), "c1 left in %s", *h);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	for (const char *const *h = all_v1; *h; h++)
		ck_assert(!exists("%s/%s/%s", tmp, *h, top));
}
END_TEST

START_TEST(test_v1_missing_hierarchy)
{
	static const char *const some[] = {"memory", "cpuacct", "freezer", NULL};
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL;
	struct crowd_cg_limits l = CROWD_CG_LIMITS_NONE;
	struct crowd_cg_stats st;

	fake_setup();
	fake_v1_roots(some);
	ck_assert_int_eq(cg_run_open_layout(tmp, CROWD_CG_LEGACY, false, "run", &run, &err), 0);
	l.pids_max = 10;
	ck_assert_int_eq(crowd_cg_create(run, "c1", &l, &cg, &err), -ENOENT);
	ck_assert_msg(strstr(err.msg, "pids.max"), "%s", err.msg);
	ck_assert(!exists("%s/memory/%s/run/c1", tmp, top));
	/* without the limit it works; the stat of the absent hierarchy reads -1 */
	ck_assert_int_eq(crowd_cg_create(run, "c1", NULL, &cg, &err), 0);
	ck_assert_int_eq(crowd_cg_stats(cg, &st, &err), 0);
	ck_assert_int_eq(st.pids_current, -1);
	ck_assert_int_eq(st.memory_current_bytes, 4096);
	ck_assert_int_eq(crowd_cg_destroy(cg, &err), 0);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	ck_assert(!exists("%s/memory/%s", tmp, top));
}
END_TEST

START_TEST(test_hybrid_fake)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL;
	struct crowd_cg_limits l = CROWD_CG_LIMITS_NONE;
	char p[512];

	fake_setup();
	fake_v1_roots(all_v1);
	snprintf(p, sizeof(p), "%s/unified", tmp);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	fake_v2_root(p);
	ck_assert_int_eq(cg_run_open_layout(tmp, CROWD_CG_HYBRID, false, "run", &run, &err), 0);
	/* no controller is enabled in the tracking hierarchy */
	ck_assert_str_eq(slurp("%s/unified/cgroup.subtree_control", tmp), "");
	l.memory_max_bytes = 1 << 20;
	ck_assert_int_eq(crowd_cg_create(run, "c1", &l, &cg, &err), 0);
	ck_assert_int_ge(crowd_cg_clone_fd(cg), 0);
	ck_assert_str_eq(slurp("%s/memory/%s/run/c1/memory.limit_in_bytes", tmp, top), "1048576");
	ck_assert_str_eq(slurp("%s/unified/%s/run/c1/memory.max", tmp, top), "max\n");
	ck_assert_int_eq(crowd_cg_attach(cg, 777, &err), 0);
	ck_assert_str_eq(slurp("%s/unified/%s/run/c1/cgroup.procs", tmp, top), "777");
	ck_assert_str_eq(slurp("%s/pids/%s/run/c1/cgroup.procs", tmp, top), "777");
	/* hybrid kills through cgroup2: no freezer leaf */
	ck_assert(!exists("%s/freezer/%s/run/c1", tmp, top));
	ck_assert_int_eq(crowd_cg_kill(cg, &err), 0);
	ck_assert_str_eq(slurp("%s/unified/%s/run/c1/cgroup.kill", tmp, top), "1");
	/* fail closed in v1 removes the cgroup2 leaf too */
	struct crowd_cg *bad = NULL;
	fake_missing = "memory.limit_in_bytes";
	ck_assert_int_eq(crowd_cg_create(run, "bad", &l, &bad, &err), -ENOENT);
	ck_assert(!exists("%s/unified/%s/run/bad", tmp, top));
	ck_assert(!exists("%s/memory/%s/run/bad", tmp, top));
	fake_missing = NULL;
	for (const char *const *h = all_v1; *h; h++) {
		snprintf(p, sizeof(p), "%s/%s/%s/run/c1", tmp, *h, top);
		int fd = open(p, O_PATH | O_DIRECTORY);
		if (fd >= 0) {
			write_text(fd, "cgroup.procs", "");
			close(fd);
		}
	}
	ck_assert_msg(crowd_cg_destroy(cg, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	ck_assert(!exists("%s/unified/%s", tmp, top));
	ck_assert(!exists("%s/memory/%s", tmp, top));
}
END_TEST

START_TEST(test_sweep_fake)
{
	struct crowd_error err = {0};
	unsigned removed = 99, left = 99;
	char p[512];

	fake_setup();
	fake_v1_roots(all_v1);
	/* leftovers: <top>/r1/{a,b/deeper} and <top>/r2 in every hierarchy */
	for (const char *const *h = all_v1; *h; h++) {
		static const char *const dirs[] = {"",	    "/r1",	    "/r1/a",
						   "/r1/b", "/r1/b/deeper", "/r2"};
		for (size_t i = 0; i < CROWD_ARRAY_SIZE(dirs); i++) {
			snprintf(p, sizeof(p), "%s/%s/%s%s", tmp, *h, top, dirs[i]);
			ck_assert_int_eq(fake_mkdirat(AT_FDCWD, p, 0755), 0);
		}
	}
	ck_assert_msg(cg_sweep_layout(tmp, CROWD_CG_LEGACY, false, &removed, &left, &err) == 0,
		      "%s", err.msg);
	ck_assert_uint_eq(removed, 6 * 6);
	ck_assert_uint_eq(left, 0);
	for (const char *const *h = all_v1; *h; h++)
		ck_assert(!exists("%s/%s/%s", tmp, *h, top));
	ck_assert(exists("%s/memory", tmp));
	/* idempotent */
	ck_assert_int_eq(cg_sweep_layout(tmp, CROWD_CG_LEGACY, false, &removed, &left, &err), 0);
	ck_assert_uint_eq(removed, 0);
	ck_assert_uint_eq(left, 0);
}
END_TEST

/* ---- (a) the dispatcher: layout, manager, <top> ---- */

/* statfs as a cgroup host would answer it: the stand-in root (tmp) is fake_root_type, its
 * "unified" directory fake_unified_type, any other directory in it a v1 hierarchy. */
static long fake_root_type, fake_unified_type;
static int fake_statfs(const char *path, struct statfs *ret)
{
	size_t n = strlen(tmp);
	if (statfs(path, ret) < 0)
		return -1;
	if (strcmp(path, tmp) == 0)
		ret->f_type = fake_root_type;
	else if (strncmp(path, tmp, n) == 0 && strcmp(path + n, "/unified") == 0)
		ret->f_type = fake_unified_type;
	else if (strncmp(path, tmp, n) == 0 && path[n] == '/' && !strchr(path + n + 1, '/'))
		ret->f_type = CGROUP_SUPER_MAGIC;
	return 0;
}
static const struct cg_fs_ops fake_magic_fs = {fake_mkdirat, fake_rmdirat, fake_statfs};

/* crowd_cg_run_open on a stand-in root: statfs picks the layout, the layout the manager. */
START_TEST(test_dispatch_layout)
{
	static const struct {
		long root, unified;
		enum crowd_cg_layout layout;
		const struct cg_ops *ops;
		const char *leaf_in; /* hierarchy directory a leaf lands in */
	} cases[] = {
	    {CGROUP2_SUPER_MAGIC, 0, CROWD_CG_UNIFIED, &cg_ops_v2, ""},
	    {TMPFS_MAGIC, CGROUP2_SUPER_MAGIC, CROWD_CG_HYBRID, &cg_ops_hybrid, "/unified"},
	    {TMPFS_MAGIC, TMPFS_MAGIC, CROWD_CG_LEGACY, &cg_ops_v1, "/freezer"},
	};
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL;
	enum crowd_cg_layout l;
	char p[512];

	fake_setup();
	cg_fs = &fake_magic_fs;
	fake_root_type = cases[_i].root;
	fake_unified_type = cases[_i].unified;
	if (cases[_i].layout == CROWD_CG_UNIFIED) {
		fake_v2_root(tmp);
	} else {
		fake_v1_roots(all_v1);
		snprintf(p, sizeof(p), "%s/unified", tmp);
		ck_assert_int_eq(mkdir(p, 0755), 0);
		fake_v2_root(p);
	}
	ck_assert_int_eq(crowd_cg_detect(tmp, &l, &err), 0);
	ck_assert_int_eq(l, cases[_i].layout);
	ck_assert_msg(crowd_cg_run_open(tmp, "run", &run, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_cg_run_layout(run), cases[_i].layout);
	ck_assert_ptr_eq(run->ops, cases[_i].ops);
	ck_assert_int_eq(crowd_cg_create(run, "c1", NULL, &cg, &err), 0);
	ck_assert(exists("%s%s/%s/run/c1", tmp, cases[_i].leaf_in, top));
	/* legacy has no cgroup2 leaf to clone into; the others do */
	ck_assert_int_eq(crowd_cg_clone_fd(cg) >= 0, cases[_i].layout != CROWD_CG_LEGACY);
	ck_assert_msg(crowd_cg_destroy(cg, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	ck_assert(!exists("%s%s/%s", tmp, cases[_i].leaf_in, top));
	/* the sweep dispatches the same way and finds nothing left */
	unsigned removed = 9, left = 9;
	ck_assert_int_eq(crowd_cg_sweep(tmp, &removed, &left, &err), 0);
	ck_assert_uint_eq(removed + left, 0);
}
END_TEST

/* <top> names: one path component of 1-127 characters; unset or empty means "crowd". */
START_TEST(test_top_name)
{
	static const char *const bad[] = {"x/y", "/", ".", "..", "a/"};
	const char *allowed = "need 1-127 characters, no '/', not '.' or '..'";
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	char name[200], msg[300];

	fake_setup();
	unsetenv("CROWD_CGROUP_TOP");
	ck_assert_str_eq(crowd_cg_top(&err), "crowd");
	setenv("CROWD_CGROUP_TOP", "", 1);
	ck_assert_str_eq(crowd_cg_top(&err), "crowd");
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(bad); i++) {
		setenv("CROWD_CGROUP_TOP", bad[i], 1);
		err = (struct crowd_error){0};
		ck_assert_ptr_null(crowd_cg_top(&err));
		ck_assert_int_eq(err.code, EINVAL);
		snprintf(msg, sizeof(msg), "CROWD_CGROUP_TOP '%s': %s", bad[i], allowed);
		ck_assert_str_eq(err.msg, msg);
		/* and every user of <top> refuses it before making anything */
		ck_assert_int_eq(cg_run_open_layout(tmp, CROWD_CG_UNIFIED, false, "r", &run, &err),
				 -EINVAL);
		ck_assert_str_eq(err.msg, msg);
	}
	memset(name, 'a', 127);
	name[127] = '\0';
	setenv("CROWD_CGROUP_TOP", name, 1);
	ck_assert_str_eq(crowd_cg_top(&err), name);
	name[127] = 'a';
	name[128] = '\0';
	setenv("CROWD_CGROUP_TOP", name, 1);
	ck_assert_ptr_null(crowd_cg_top(&err));
	ck_assert_ptr_nonnull(strstr(err.msg, "...': need 1-127 characters"));
	/* an empty run name is refused with the same words */
	set_top();
	fake_v2_root(tmp);
	ck_assert_int_eq(cg_run_open_layout(tmp, CROWD_CG_UNIFIED, false, "", &run, &err), -EINVAL);
	snprintf(msg, sizeof(msg), "cgroup run name '': %s", allowed);
	ck_assert_str_eq(err.msg, msg);
	ck_assert(!exists("%s/%s", tmp, top));
}
END_TEST

/* Write pids.max and pids.current of <tmp>/pids/<top><rel>; then the tightest limit
 * crowd_cg_pids_limit finds for run r1 must be want_max, want_cur at <top><want_rel>. */
static void pids_set_and_check(const char *rel, int max, int cur, int64_t want_max,
			       int64_t want_cur, const char *want_rel)
{
	char p[512], v[32], where[512];
	int dfd;
	int64_t got_max = 0, got_cur = 0;

	snprintf(p, sizeof(p), "%s/pids/%s%s", tmp, top, rel);
	ck_assert_int_ge(dfd = open(p, O_PATH | O_DIRECTORY), 0);
	snprintf(v, sizeof(v), "%d\n", max);
	write_text(dfd, "pids.max", v);
	snprintf(v, sizeof(v), "%d\n", cur);
	write_text(dfd, "pids.current", v);
	close(dfd);
	ck_assert(crowd_cg_pids_limit(tmp, "r1", &got_max, &got_cur, where, sizeof(where)));
	ck_assert_int_eq(got_max, want_max);
	ck_assert_int_eq(got_cur, want_cur);
	snprintf(p, sizeof(p), "%s/pids/%s%s", tmp, top, want_rel);
	ck_assert_str_eq(where, p);
}

/* What the launcher and the density ramp ask of a run's cgroups by name. */
START_TEST(test_run_left_and_pids_limit)
{
	char where[512], p[512];
	int64_t max = 0, cur = 0;

	fake_setup();
	fake_v1_roots(all_v1);
	ck_assert(!crowd_cg_run_left(tmp, "r1", where, sizeof(where)));
	snprintf(p, sizeof(p), "%s/pids/%s", tmp, top);
	ck_assert_int_eq(fake_mkdirat(AT_FDCWD, p, 0755), 0);
	snprintf(p, sizeof(p), "%s/pids/%s/r1", tmp, top);
	ck_assert_int_eq(fake_mkdirat(AT_FDCWD, p, 0755), 0);
	/* the stub pids.max files say "max": no limit */
	ck_assert(!crowd_cg_pids_limit(tmp, "r1", &max, &cur, where, sizeof(where)));
	ck_assert(crowd_cg_run_left(tmp, "r1", where, sizeof(where)));
	ck_assert_str_eq(where, p);
	/* <top> allows 100 with 10 used, the run 20 with 15 used: the run is tighter */
	pids_set_and_check("", 100, 10, 100, 10, "");
	pids_set_and_check("/r1", 20, 15, 20, 15, "/r1");
	snprintf(p, sizeof(p), "%s/pids/%s/r1", tmp, top);
	/* once the run is gone, the empty <top> goes too */
	ck_assert_int_eq(fake_rmdirat(AT_FDCWD, p), 0);
	ck_assert(!crowd_cg_run_left(tmp, "r1", where, sizeof(where)));
	ck_assert(!exists("%s/pids/%s", tmp, top));
	ck_assert(exists("%s/pids", tmp));
}
END_TEST

/* ---- (b) the real host, as root ---- */

static bool is_cgroup_mount(const char *path, bool v2)
{
	enum crowd_cg_layout l;
	struct stat st;
	if (stat(path, &st) < 0)
		return false;
	if (v2)
		return crowd_cg_detect(path, &l, NULL) == 0 && l == CROWD_CG_UNIFIED;
	char p[512];
	snprintf(p, sizeof(p), "%s/cgroup.procs", path);
	return access(p, F_OK) == 0 && crowd_cg_detect(path, &l, NULL) == 0 && l == CROWD_CG_LEGACY;
}

static bool need_root(const char *what)
{
	if (geteuid() != 0) {
		crowd_test_skip("needs root"); /* names the running test itself */
		(void)what;
		return false;
	}
	return true;
}

/* A child that waits on a pipe: touches n_bytes when told, exits on EOF (or our death). */
static pid_t spawn_waiter(int *ret_wfd)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[1]);
		char c;
		while (read(p[0], &c, 1) == 1) {
			size_t n = 8 << 20;
			char *m = malloc(n);
			if (m)
				memset(m, 1, n);
		}
		_exit(0);
	}
	close(p[0]);
	*ret_wfd = p[1];
	return pid;
}

static bool cgroup_line(pid_t pid, const char *prefix, const char *suffix)
{
	char buf[4096], path[64];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (crowd_read_file(path, buf, sizeof(buf), NULL) < 0)
		return false;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *c = strchr(line, ':');
		if (!c || strncmp(c + 1, prefix, strlen(prefix)) != 0)
			continue;
		size_t l = strlen(line), s = strlen(suffix);
		return l >= s && strcmp(line + l - s, suffix) == 0;
	}
	return false;
}

START_TEST(test_real_v1_leaf)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL;
	struct crowd_cg_limits l = CROWD_CG_LIMITS_NONE;
	struct crowd_cg_stats st;
	char paths[CG_NCTRL + 1][512], want[256];
	static const char *const hs[] = {"memory", "pids", "cpuacct", "freezer", "unified"};
	int wfd;

	if (!need_root("test_real_v1_leaf"))
		return;
	set_top();
	if (!is_cgroup_mount("/sys/fs/cgroup/memory", false) ||
	    !is_cgroup_mount("/sys/fs/cgroup/pids", false)) {
		CROWD_SKIP("no v1 memory and pids hierarchies");
	}
	ck_assert_msg(crowd_cg_run_open(NULL, "v1run", &run, &err) == 0, "%s", err.msg);
	l.memory_max_bytes = 64 << 20;
	l.pids_max = 16;
	bool devices = is_cgroup_mount("/sys/fs/cgroup/devices", false);
	l.devices = devices ? crowd_dev_default() : NULL;
	ck_assert_msg(crowd_cg_create(run, "leaf", &l, &cg, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(slurp("%s/memory.limit_in_bytes", crowd_cg_path(cg, "memory")),
			 "67108864\n");
	ck_assert_str_eq(slurp("%s/pids.max", crowd_cg_path(cg, "pids")), "16\n");
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(hs); i++) {
		const char *p = crowd_cg_path(cg, hs[i]);
		snprintf(paths[i], sizeof(paths[i]), "%s", p ? p : "");
	}
	pid_t pid = spawn_waiter(&wfd);
	ck_assert_msg(crowd_cg_attach(cg, pid, &err) == 0, "%s", err.msg);
	snprintf(want, sizeof(want), "/%s/v1run/leaf", top);
	ck_assert(cgroup_line(pid, "memory:", want));
	ck_assert(cgroup_line(pid, "pids:", want));
	if (devices) {
		/* the device rules are the run's: the container joins the run's devices cgroup */
		ck_assert_ptr_null(crowd_cg_path(cg, "devices"));
		snprintf(want, sizeof(want), "/%s/v1run", top);
		ck_assert(cgroup_line(pid, "devices:", want));
		ck_assert(
		    !strstr(slurp("/sys/fs/cgroup/devices/%s/v1run/devices.list", top), "a *:*"));
		snprintf(want, sizeof(want), "/%s/v1run/leaf", top);
	}
	/* hybrid kills through cgroup2: no freezer leaf; legacy needs it */
	if (crowd_cg_run_layout(run) == CROWD_CG_HYBRID)
		ck_assert(!cgroup_line(pid, "freezer:", want));
	else
		ck_assert(cgroup_line(pid, "freezer:", want));
	ck_assert_int_eq(write(wfd, "x", 1), 1); /* child touches 8 MiB, charged to the leaf */
	for (int i = 0; i < 200; i++) {
		ck_assert_int_eq(crowd_cg_stats(cg, &st, &err), 0);
		if (st.memory_current_bytes >= 8 << 20)
			break;
		usleep(10000);
	}
	ck_assert_int_ge(st.memory_current_bytes, 8 << 20);
	ck_assert_int_ge(st.memory_peak_bytes, st.memory_current_bytes);
	ck_assert_int_eq(st.pids_current, 1);
	ck_assert_int_ge(st.cpu_usage_ns, 1);
	ck_assert_int_eq(st.oom_kills, 0);
	pid_t *pids = NULL;
	size_t n = 0;
	ck_assert_int_eq(crowd_cg_pids(cg, &pids, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(pids[0], pid);
	free(pids);

	/* cgroups made inside the leaf (as a container with its own cgroup tree would) go too */
	char nested[600];
	snprintf(nested, sizeof(nested), "%s/nested", crowd_cg_path(cg, "memory"));
	ck_assert_int_eq(mkdir(nested, 0755), 0);
	if (crowd_cg_path(cg, "unified")) {
		snprintf(nested, sizeof(nested), "%s/nested", crowd_cg_path(cg, "unified"));
		ck_assert_int_eq(mkdir(nested, 0755), 0);
	}

	ck_assert_msg(crowd_cg_kill(cg, &err) == 0, "%s", err.msg);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_msg(crowd_cg_destroy(cg, &err) == 0, "%s", err.msg);
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(hs); i++)
		ck_assert_msg(!paths[i][0] || !exists("%s", paths[i]), "%s left", paths[i]);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	ck_assert(!exists("/sys/fs/cgroup/memory/%s", top));
	ck_assert(!exists("/sys/fs/cgroup/devices/%s", top));
	ck_assert(!exists("/sys/fs/cgroup/unified/%s", top));
	close(wfd);
}
END_TEST

/* The cgroup2 mount on its own (controller-less here): procs, kill, events, remove. */
/* Teardown at scale kills the whole run at once (issue 20): every process of every leaf dies
 * from one crowd_cg_run_kill, whatever the layout. */
START_TEST(test_real_run_kill)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg[3] = {NULL};
	struct crowd_cg_limits l = CROWD_CG_LIMITS_NONE;
	pid_t pid[3];
	int wfd[3];

	if (!need_root("test_real_run_kill"))
		return;
	set_top();
	ck_assert_msg(crowd_cg_run_open(NULL, "killrun", &run, &err) == 0, "%s", err.msg);
	for (int i = 0; i < 3; i++) {
		char leaf[16];
		snprintf(leaf, sizeof(leaf), "leaf%d", i);
		ck_assert_msg(crowd_cg_create(run, leaf, &l, &cg[i], &err) == 0, "%s", err.msg);
		pid[i] = spawn_waiter(&wfd[i]);
		ck_assert_msg(crowd_cg_attach(cg[i], pid[i], &err) == 0, "%s", err.msg);
	}
	ck_assert_msg(crowd_cg_run_kill(run, &err) == 0, "%s", err.msg);
	for (int i = 0; i < 3; i++) {
		int status;
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			      "leaf%d: status %#x", i, status);
		close(wfd[i]);
		ck_assert_msg(crowd_cg_destroy(cg[i], &err) == 0, "%s", err.msg);
	}
	ck_assert_msg(crowd_cg_run_close(run, &err) == 0, "%s", err.msg);
}
END_TEST

START_TEST(test_real_v2)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL, *bad = NULL;
	struct crowd_cg_limits l = CROWD_CG_LIMITS_NONE;
	struct crowd_cg_stats st;
	const char *root = is_cgroup_mount("/sys/fs/cgroup/unified", true)
			       ? "/sys/fs/cgroup/unified"
			   : is_cgroup_mount("/sys/fs/cgroup", true) ? "/sys/fs/cgroup"
								     : NULL;
	char leafp[512], want[256], ev[128];
	int wfd;

	if (!need_root("test_real_v2"))
		return;
	set_top();
	if (!root) {
		CROWD_SKIP("no cgroup2 mount");
	}
	ck_assert_msg(crowd_cg_run_open(root, "v2run", &run, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_cg_run_layout(run), CROWD_CG_UNIFIED);
	ck_assert_msg(crowd_cg_create(run, "leaf", &l, &cg, &err) == 0, "%s", err.msg);
	snprintf(leafp, sizeof(leafp), "%s", crowd_cg_path(cg, "unified"));
	pid_t pid = spawn_waiter(&wfd);
	ck_assert_msg(crowd_cg_attach(cg, pid, &err) == 0, "%s", err.msg);
	snprintf(want, sizeof(want), "/%s/v2run/leaf", top);
	ck_assert(cgroup_line(pid, ":", want));
	ck_assert_str_eq(slurp("%s/cgroup.events", leafp), "populated 1\nfrozen 0\n");
	ck_assert_int_eq(crowd_cg_stats(cg, &st, &err), 0);
	ck_assert_int_ge(st.cpu_usage_ns, 0); /* cpu.stat exists without controllers */
	if (!strstr(slurp("%s/cgroup.controllers", root), "memory"))
		ck_assert_int_eq(st.memory_current_bytes, -1);

	ck_assert_int_eq(crowd_cg_kill(cg, &err), 0);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(cg2_wait_empty(crowd_cg_clone_fd(cg), 2000000000, &err), 0);
	snprintf(ev, sizeof(ev), "%s", slurp("%s/cgroup.events", leafp));
	ck_assert_str_eq(ev, "populated 0\nfrozen 0\n");

	/* fail closed on the real file system: no memory controller -> no memory.max */
	if (!strstr(slurp("%s/cgroup.controllers", root), "memory")) {
		l.memory_max_bytes = 1 << 20;
		ck_assert_int_eq(crowd_cg_create(run, "bad", &l, &bad, &err), -ENOENT);
		ck_assert_msg(strstr(err.msg, "memory.max"), "%s", err.msg);
		ck_assert(!exists("%s/%s/v2run/bad", root, top));
	}
	ck_assert_int_eq(crowd_cg_destroy(cg, &err), 0);
	ck_assert(!exists("%s", leafp));
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	ck_assert(!exists("%s/%s", root, top));
	close(wfd);
}
END_TEST

/* Hybrid host: clone3(CLONE_INTO_CGROUP) into the tracking leaf, attach adds v1, kill via
 * cgroup.kill reaches it. */
START_TEST(test_real_clone_into)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL;
	char want[256];
	enum crowd_cg_layout lay;

	if (!need_root("test_real_clone_into"))
		return;
	set_top();
	if (crowd_cg_detect(NULL, &lay, NULL) < 0 || lay == CROWD_CG_LEGACY) {
		CROWD_SKIP("no cgroup2 hierarchy");
	}
	ck_assert_msg(crowd_cg_run_open(NULL, "clrun", &run, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_cg_create(run, "leaf", NULL, &cg, &err), 0);
	struct clone_args a = {0};
	a.flags = CLONE_INTO_CGROUP;
	a.exit_signal = SIGCHLD;
	a.cgroup = (uint64_t)crowd_cg_clone_fd(cg);
	pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	ck_assert_msg(pid > 0, "clone3: %s", strerror(errno));
	snprintf(want, sizeof(want), "/%s/clrun/leaf", top);
	ck_assert(cgroup_line(pid, ":", want)); /* in the v2 leaf from the first instruction */
	ck_assert(cg2_pid_in_leaf(cg, pid));
	ck_assert_int_eq(crowd_cg_attach(cg, pid, &err), 0);
	if (lay == CROWD_CG_HYBRID)
		ck_assert(cgroup_line(pid, "memory:", want));
	ck_assert_msg(crowd_cg_destroy(cg, &err) == 0, "%s", err.msg);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
}
END_TEST

START_TEST(test_real_sweep)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL;
	unsigned removed = 0, left = 0;
	enum crowd_cg_layout lay;
	int wfd;

	if (!need_root("test_real_sweep"))
		return;
	set_top();
	if (crowd_cg_detect(NULL, &lay, NULL) < 0) {
		CROWD_SKIP("no cgroup file system");
	}
	/* leftovers as a crashed run leaves them: a populated leaf, an empty nested one */
	ck_assert_msg(crowd_cg_run_open(NULL, "crashed", &run, &err) == 0, "%s", err.msg);
	/* with the device rules: on v1 the process sits in the run's own devices cgroup */
	struct crowd_cg_limits l = CROWD_CG_LIMITS_NONE;
	if (lay == CROWD_CG_UNIFIED || is_cgroup_mount("/sys/fs/cgroup/devices", false))
		l.devices = crowd_dev_default();
	ck_assert_msg(crowd_cg_create(run, "busy", &l, &cg, &err) == 0, "%s", err.msg);
	pid_t pid = spawn_waiter(&wfd);
	ck_assert_int_eq(crowd_cg_attach(cg, pid, &err), 0);
	char busy[512], nested[600];
	snprintf(busy, sizeof(busy), "%s",
		 crowd_cg_path(cg, "memory") ? crowd_cg_path(cg, "memory")
					     : crowd_cg_path(cg, "unified"));
	snprintf(nested, sizeof(nested), "%s/nested", busy);
	ck_assert_int_eq(mkdir(nested, 0755), 0);
	/* forget the objects without removing anything */
	int nidx = crowd_cg_path(cg, "memory") ? cg_hier_index(run, CG_MEMORY) : run->v2;
	unsigned expect = 0;
	for (unsigned i = 0; i < run->nh; i++)
		expect += 2 + ((cg->present >> i) & 1) + (i == (unsigned)nidx);

	ck_assert_msg(crowd_cg_sweep(NULL, &removed, &left, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(left, 0);
	ck_assert_uint_eq(removed, expect);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert(!exists("%s", busy));
	ck_assert(!exists("/sys/fs/cgroup/memory/%s", top));
	ck_assert(!exists("/sys/fs/cgroup/devices/%s", top));
	ck_assert(!exists("/sys/fs/cgroup/unified/%s", top));
	ck_assert_int_eq(crowd_cg_sweep(NULL, &removed, &left, &err), 0);
	ck_assert_uint_eq(removed, 0);
	/* the objects of the swept run still destroy and close cleanly */
	ck_assert_msg(crowd_cg_destroy(cg, &err) == 0, "%s", err.msg);
	ck_assert_msg(crowd_cg_run_close(run, &err) == 0, "%s", err.msg);
	close(wfd);
}
END_TEST

/* A tmpfs with cgroup2 at ./unified is hybrid; done in a private mount namespace. */
START_TEST(test_real_detect_hybrid)
{
	enum crowd_cg_layout l;
	char p[512];

	if (!need_root("test_real_detect_hybrid"))
		return;
	fake_setup();
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		CROWD_SKIP("no private mount namespace: %s", strerror(errno));
	}
	ck_assert_int_eq(mount("tmpfs", tmp, "tmpfs", 0, "size=64k"), 0);
	snprintf(p, sizeof(p), "%s/unified", tmp);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(crowd_cg_detect(tmp, &l, NULL), 0);
	ck_assert_int_eq(l, CROWD_CG_LEGACY); /* tmpfs without cgroup2 */
	ck_assert_int_eq(mount("cgroup2", p, "cgroup2", 0, NULL), 0);
	ck_assert_int_eq(crowd_cg_detect(tmp, &l, NULL), 0);
	ck_assert_int_eq(l, CROWD_CG_HYBRID);
	ck_assert_int_eq(crowd_cg_detect(p, &l, NULL), 0);
	ck_assert_int_eq(l, CROWD_CG_UNIFIED);
	umount2(p, MNT_DETACH);
	umount2(tmp, MNT_DETACH);
	rmdir(tmp);
}
END_TEST

/* The kernel's OOM killer inside a memory-limited leaf shows up in oom_kills. */
START_TEST(test_real_oom)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL;
	struct crowd_cg_limits l = CROWD_CG_LIMITS_NONE;
	struct crowd_cg_stats st;
	int wfd, status;

	if (!need_root("test_real_oom"))
		return;
	set_top();
	ck_assert_msg(crowd_cg_run_open(NULL, "oomrun", &run, &err) == 0, "%s", err.msg);
	l.memory_max_bytes = 16 << 20;
	ck_assert_msg(crowd_cg_create(run, "leaf", &l, &cg, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_cg_stats(cg, &st, &err), 0);
	ck_assert_int_eq(st.oom_kills, 0);
	pid_t pid = spawn_waiter(&wfd);
	ck_assert_msg(crowd_cg_attach(cg, pid, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(write(wfd, "xxxxxxxx", 8), 8); /* 8 x 8 MiB against a 16 MiB limit */
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(crowd_cg_stats(cg, &st, &err), 0);
	ck_assert_int_ge(st.oom_kills, 1);
	ck_assert_int_le(st.memory_peak_bytes, 16 << 20);
	ck_assert_int_eq(crowd_cg_destroy(cg, &err), 0);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	close(wfd);
}
END_TEST

/* Runs sharing a <top> open and close concurrently: one removing the empty <top> must not
 * make another's open fail. */
START_TEST(test_real_concurrent_runs)
{
	enum crowd_cg_layout lay;
	pid_t kids[3];

	if (!need_root("test_real_concurrent_runs"))
		return;
	if (crowd_cg_detect(NULL, &lay, NULL) < 0) {
		CROWD_SKIP("no cgroup file system");
	}
	set_top();
	for (int k = 0; k < 3; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] > 0)
			continue;
		for (int i = 0; i < 40; i++) {
			struct crowd_error err = {0};
			struct crowd_cg_run *run = NULL;
			struct crowd_cg *cg = NULL;
			char name[32];
			snprintf(name, sizeof(name), "r%d-%d", k, i);
			if (crowd_cg_run_open(NULL, name, &run, &err) < 0 ||
			    crowd_cg_create(run, "leaf", NULL, &cg, &err) < 0 ||
			    crowd_cg_destroy(cg, &err) < 0 || crowd_cg_run_close(run, &err) < 0) {
				fprintf(stderr, "run %s: %s\n", name, err.msg);
				_exit(1);
			}
		}
		_exit(0);
	}
	for (int k = 0; k < 3; k++) {
		int status;
		ck_assert_int_eq(waitpid(kids[k], &status, 0), kids[k]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "worker %d failed", k);
	}
	ck_assert(!exists("/sys/fs/cgroup/memory/%s", top));
	ck_assert(!exists("/sys/fs/cgroup/unified/%s", top));
}
END_TEST

/* A legacy host for real: the v1 hierarchies bind-mounted on a tmpfs (no cgroup2) in a
 * private mount namespace. Limits in every v1 controller, a process tree killed through the
 * freezer, then a leftover swept the v1 way. */
START_TEST(test_real_legacy)
{
	static const char *const hs[] = {"memory", "pids", "cpu", "cpuacct", "cpuset", "freezer"};
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *cg = NULL;
	struct crowd_cg_limits l = full_limits();
	enum crowd_cg_layout lay;
	char p[1024], src[256];
	int wfd, status;

	if (!need_root("test_real_legacy"))
		return;
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(hs); i++) {
		snprintf(src, sizeof(src), "/sys/fs/cgroup/%s", hs[i]);
		if (!is_cgroup_mount(src, false)) {
			CROWD_SKIP("no v1 %s hierarchy", hs[i]);
		}
	}
	fake_setup();
	cg_fs = real_fs_ops;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		CROWD_SKIP("no private mount namespace: %s", strerror(errno));
	}
	ck_assert_int_eq(mount("tmpfs", tmp, "tmpfs", 0, "size=64k"), 0);
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(hs); i++) {
		snprintf(src, sizeof(src), "/sys/fs/cgroup/%s", hs[i]);
		snprintf(p, sizeof(p), "%s/%s", tmp, hs[i]);
		ck_assert_int_eq(mkdir(p, 0755), 0);
		ck_assert_int_eq(mount(src, p, NULL, MS_BIND, NULL), 0);
	}
	ck_assert_int_eq(crowd_cg_detect(tmp, &lay, NULL), 0);
	ck_assert_int_eq(lay, CROWD_CG_LEGACY);
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	snprintf(l.cpuset_cpus, sizeof(l.cpuset_cpus), "0");
	ck_assert_msg(crowd_cg_run_open(tmp, "legacy", &run, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_cg_run_layout(run), CROWD_CG_LEGACY);
	ck_assert_msg(crowd_cg_create(run, "leaf", &l, &cg, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_cg_clone_fd(cg), -1);
	ck_assert_str_eq(slurp("%s/cpu.cfs_quota_us", crowd_cg_path(cg, "cpu")), "50000\n");
	ck_assert_str_eq(slurp("%s/cpuset.cpus", crowd_cg_path(cg, "cpuset")), "0\n");
	ck_assert_str_eq(slurp("%s/cpuset.mems", crowd_cg_path(cg, "cpuset")), "0\n");
	pid_t pid = spawn_waiter(&wfd);
	ck_assert_msg(crowd_cg_attach(cg, pid, &err) == 0, "%s", err.msg);
	ck_assert(cgroup_line(pid, "cpuset:", "/legacy/leaf"));
	ck_assert(cgroup_line(pid, "cpu:", "/legacy/leaf"));
	/* a second process in the leaf, not our child's child: found through cgroup.procs */
	int wfd2;
	pid_t pid2 = spawn_waiter(&wfd2);
	ck_assert_int_eq(crowd_cg_attach(cg, pid2, &err), 0);
	pid_t *pids = NULL;
	size_t n = 0;
	ck_assert_int_eq(crowd_cg_pids(cg, &pids, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	free(pids);
	ck_assert_msg(crowd_cg_kill(cg, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(waitpid(pid2, &status, 0), pid2);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_str_eq(slurp("%s/freezer.state", crowd_cg_path(cg, "freezer")), "THAWED\n");
	char leafp[CROWD_ARRAY_SIZE(hs)][512];
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(hs); i++)
		snprintf(leafp[i], sizeof(leafp[i]), "%s", crowd_cg_path(cg, hs[i]));
	ck_assert_msg(crowd_cg_destroy(cg, &err) == 0, "%s", err.msg);
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(hs); i++)
		ck_assert_msg(!exists("%s", leafp[i]), "%s left", leafp[i]);

	/* a leftover leaf with a live process: the sweep freezes, kills, thaws, removes */
	ck_assert_int_eq(crowd_cg_create(run, "left", NULL, &cg, &err), 0);
	pid = spawn_waiter(&wfd2);
	ck_assert_int_eq(crowd_cg_attach(cg, pid, &err), 0);
	unsigned removed = 0, left = 0;
	ck_assert_msg(crowd_cg_sweep(tmp, &removed, &left, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(left, 0);
	ck_assert_uint_eq(removed, 6 * 2 + 4); /* top and run everywhere, the leaf in 4 */
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(hs); i++)
		ck_assert(!exists("/sys/fs/cgroup/%s/%s", hs[i], top));
	ck_assert_int_eq(crowd_cg_destroy(cg, &err), 0);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	close(wfd);
	close(wfd2);
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(hs); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmp, hs[i]);
		umount2(p, MNT_DETACH);
	}
	umount2(tmp, MNT_DETACH);
	rmdir(tmp);
}
END_TEST

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int64_t median_us(int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	return v[n / 2] / 1000;
}

/* The per-container cost of the cgroup layer on this host: N leaves with memory and pids
 * limits, a clone3(CLONE_INTO_CGROUP) child in each, attach, then destroy. Prints medians;
 * asserts every step worked and nothing is left. N from CROWD_CG_BENCH_N (default 100). */
START_TEST(test_real_rate)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	enum crowd_cg_layout lay;
	const char *ns = getenv("CROWD_CG_BENCH_N");
	size_t n = ns ? strtoul(ns, NULL, 10) : 100;

	if (!need_root("test_real_rate"))
		return;
	if (crowd_cg_detect(NULL, &lay, NULL) < 0) {
		CROWD_SKIP("no cgroup file system");
	}
	set_top();
	if (n < 1 || n > 10000)
		n = 100;
	struct crowd_cg **cgs = calloc(n, sizeof(*cgs));
	pid_t *pids = calloc(n, sizeof(*pids));
	int64_t *t_create = calloc(n, 8), *t_attach = calloc(n, 8), *t_destroy = calloc(n, 8);
	struct crowd_cg_limits l = CROWD_CG_LIMITS_NONE;
	l.memory_max_bytes = 64 << 20;
	l.pids_max = 64;
	ck_assert_msg(crowd_cg_run_open(NULL, "rate", &run, &err) == 0, "%s", err.msg);
	int64_t t_all = crowd_now_ns();
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "c%zu", i);
		int64_t t0 = crowd_now_ns();
		ck_assert_msg(crowd_cg_create(run, name, &l, &cgs[i], &err) == 0, "%s", err.msg);
		int64_t t1 = crowd_now_ns();
		struct clone_args a = {0};
		a.exit_signal = SIGCHLD;
		if (crowd_cg_clone_fd(cgs[i]) >= 0) {
			a.flags = CLONE_INTO_CGROUP;
			a.cgroup = (uint64_t)crowd_cg_clone_fd(cgs[i]);
		}
		pids[i] = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
		ck_assert_int_gt(pids[i], 0);
		int64_t t2 = crowd_now_ns();
		ck_assert_msg(crowd_cg_attach(cgs[i], pids[i], &err) == 0, "%s", err.msg);
		t_create[i] = t1 - t0;
		t_attach[i] = crowd_now_ns() - t2;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t t0 = crowd_now_ns();
		ck_assert_msg(crowd_cg_destroy(cgs[i], &err) == 0, "%s", err.msg);
		t_destroy[i] = crowd_now_ns() - t0;
		int status;
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
	int64_t total = crowd_now_ns() - t_all;
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	ck_assert(!exists("/sys/fs/cgroup/memory/%s", top));
	ck_assert(!exists("/sys/fs/cgroup/unified/%s", top));
	int64_t sum_c = 0, sum_a = 0, sum_d = 0;
	for (size_t i = 0; i < n; i++) {
		sum_c += t_create[i];
		sum_a += t_attach[i];
		sum_d += t_destroy[i];
	}
	printf("cgroup rate (%s, %zu leaves, memory+pids limits): create p50 %" PRId64
	       " us mean %" PRId64 " us, attach p50 %" PRId64 " us mean %" PRId64
	       " us, destroy p50 %" PRId64 " us mean %" PRId64 " us; %.0f leaves/s "
	       "create+clone+attach+destroy\n",
	       crowd_cg_layout_name(lay), n, median_us(t_create, n), sum_c / (int64_t)n / 1000,
	       median_us(t_attach, n), sum_a / (int64_t)n / 1000, median_us(t_destroy, n),
	       sum_d / (int64_t)n / 1000, (double)n * 1e9 / (double)total);
	free(cgs);
	free(pids);
	free(t_create);
	free(t_attach);
	free(t_destroy);
}
END_TEST

static Suite *cgroup_suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("fake");
	tcase_add_test(tc, test_parse_keyed);
	tcase_add_test(tc, test_parse_pids);
	tcase_add_test(tc, test_detect);
	tcase_add_test(tc, test_v2_limits_and_stats);
	tcase_add_test(tc, test_v2_root_untouched);
	tcase_add_test(tc, test_v2_wait_empty_bounded);
	tcase_add_loop_test(tc, test_v2_fail_closed, 0, 4);
	tcase_add_test(tc, test_bad_names);
	tcase_add_test(tc, test_registry_one_path);
	tcase_add_test(tc, test_v1_limits_and_stats);
	tcase_add_loop_test(tc, test_v1_fail_closed, 0, 5);
	tcase_add_test(tc, test_v1_devices_once);
	tcase_add_test(tc, test_v1_missing_hierarchy);
	tcase_add_test(tc, test_duplicate_leaf);
	tcase_add_test(tc, test_hybrid_fake);
	tcase_add_test(tc, test_sweep_fake);
	tcase_add_loop_test(tc, test_dispatch_layout, 0, 3);
	tcase_add_test(tc, test_top_name);
	tcase_add_test(tc, test_run_left_and_pids_limit);
	suite_add_tcase(s, tc);

	TCase *root = tcase_create("root");
	tcase_set_timeout(root, 60);
	tcase_add_test(root, test_real_v1_leaf);
	tcase_add_test(root, test_real_v2);
	tcase_add_test(root, test_real_run_kill);
	tcase_add_test(root, test_real_clone_into);
	tcase_add_test(root, test_real_sweep);
	tcase_add_test(root, test_real_detect_hybrid);
	tcase_add_test(root, test_real_legacy);
	tcase_add_test(root, test_real_oom);
	tcase_add_test(root, test_real_concurrent_runs);
	tcase_add_test(root, test_real_rate);
	suite_add_tcase(s, root);
	return s;
}

int main(void)
{
	real_fs_ops = cg_fs;
	SRunner *sr = srunner_create(cgroup_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* Whatever a failed test left under its top (crowd-check-<this pid>-*). */
	if (geteuid() == 0) {
		static const char *const dirs[] = {"/sys/fs/cgroup/memory",
						   "/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
		char prefix[64];
		snprintf(prefix, sizeof(prefix), "crowd-check-%d-", (int)getpid());
		for (size_t i = 0; i < CROWD_ARRAY_SIZE(dirs); i++) {
			DIR *d = opendir(dirs[i]);
			struct dirent *de;
			while (d && (de = readdir(d))) {
				unsigned r, l;
				if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
					continue;
				setenv("CROWD_CGROUP_TOP", de->d_name, 1);
				crowd_cg_sweep(NULL, &r, &l, NULL);
				crowd_cg_sweep(dirs[i], &r, &l, NULL);
			}
			if (d)
				closedir(d);
		}
	}
	/* and the temporary directories of the fake file systems */
	char cmd[160];
	snprintf(cmd, sizeof(cmd),
		 "rm -rf /dev/shm/crowd-check-cgroup-%d-* /tmp/crowd-check-cgroup-%d-*",
		 (int)getpid(), (int)getpid());
	if (system(cmd) != 0)
		failed++;
	return failed != 0;
}
