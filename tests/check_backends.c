/* The peer backends (crun, runc, bwrap, vm) driven directly through their table entries:
 * probe, open, start, ready, stats, stop, close on real peers; and the OCI config they
 * generate. Root-only cases skip with a printed reason. */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends/backend.h"
#include "backends/oci.h"
#include "backends/peer.h"
#include "core/util.h"
#include "testutil.h"

static char rootfs[PATH_MAX];

static bool have_rootfs(void)
{
	const char *top = getenv("CROWD_TOP");
	snprintf(rootfs, sizeof(rootfs), "%s/build/rootfs", top ? top : ".");
	return access(rootfs, F_OK) == 0 && access(strcat(strcpy((char[PATH_MAX]){0}, rootfs),
						       "/bin/idle"),
						X_OK) == 0;
}

static void cfg_for(struct crowd_config *cfg, const char *workload)
{
	struct crowd_error err = {0};
	crowd_config_init(cfg);
	cfg->rootfs = rootfs;
	ck_assert_int_eq(crowd_workload_parse(workload, &cfg->workload, &err), 0);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Start one instance, wait for ready, measure, stop; checks what each step promises. */
static void run_one(const char *name, const char *workload, bool expect_ready)
{
	if (geteuid() != 0)
		CROWD_SKIP("needs root");
	if (!have_rootfs())
		CROWD_SKIP("build/rootfs with /bin/idle missing (make)");
	const struct crowd_backend *b = crowd_backend_find(name);
	ck_assert_ptr_nonnull(b);
	struct crowd_config cfg;
	cfg_for(&cfg, workload);
	struct crowd_error perr = {0};
	if (b->probe(&cfg, &perr) < 0) {
		/* Only the VM may be unavailable here (its images are built by make vm). */
		ck_assert_msg(!strcmp(name, "vm"), "%s unavailable: %s", name, perr.msg);
		ck_assert(perr.code > 0 && perr.msg[0]);
		CROWD_SKIP("%s unavailable: %s", name, perr.msg);
	}
	struct crowd_backend_run run = {.cfg = &cfg, .backend = b, .t0_ns = crowd_now_ns()};
	snprintf(run.run_name, sizeof(run.run_name), "check-%d", (int)getpid());
	char tmpl[] = "/tmp/crowd-check-backends-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	snprintf(run.scratch, sizeof(run.scratch), "%s/%s", tmpl, name);
	struct crowd_error err = {0};
	if (b->open)
		ck_assert_msg(b->open(&run, &err) == 0, "open: %s", err.msg);
	ck_assert(run.invocation[0]);

	struct crowd_inst inst = {.ready_fd = -1, .pidfd = -1, .netns_fd = -1, .backend = b};
	crowd_sample_init(&inst.sample);
	inst.sample.t_request_ns = crowd_now_ns() - run.t0_ns;
	ck_assert_msg(b->start(&run, &inst, &err) == 0, "start: %s", err.msg);
	ck_assert_int_ge(inst.ready_fd, 0);
	int r = 0;
	int64_t deadline = crowd_now_ns() + 60LL * 1000000000LL;
	while (crowd_now_ns() < deadline) {
		struct pollfd pfd = {.fd = inst.ready_fd, .events = POLLIN};
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		r = b->ready(&run, &inst, &err);
		if (r != 0)
			break;
	}
	if (expect_ready) {
		ck_assert_msg(r == 1, "%s ready: %d %s", name, r, err.msg);
		ck_assert_msg(b->stats(&run, &inst, &err) == 0, "stats: %s", err.msg);
		ck_assert_int_gt(inst.sample.pss_bytes, 0);
		ck_assert_int_ge(inst.sample.rss_bytes, inst.sample.pss_bytes);
		if (strcmp(name, "vm"))
			ck_assert_int_ge(inst.netns_fd, 0); /* default --ns has net */
	} else {
		ck_assert_msg(r < 0, "%s: a workload that cannot start was reported ready", name);
		ck_assert(err.msg[0]);
	}
	pid_t pid = inst.pid;
	ck_assert_msg(b->stop(&run, &inst, &err) == 0, "stop: %s", err.msg);
	if (pid > 0)
		ck_assert_int_eq(kill(pid, 0), -1); /* gone and reaped */
	if (b->close)
		b->close(&run);
	ck_assert_msg(!exists(run.scratch) || rmdir(run.scratch) == 0, "scratch left: %s",
		      run.scratch);
	ck_assert_int_eq(rmdir(tmpl), 0);
	if (!strcmp(name, "runc")) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "/sys/fs/cgroup/memory/%s/%s-runc",
			 getenv("CROWD_CGROUP_TOP"), run.run_name);
		ck_assert_msg(!exists(path), "cgroup left: %s", path);
	}
	crowd_workload_inst_free(&cfg.workload);
}

START_TEST(crun_idle)
{
	run_one("crun", "idle", true);
}
END_TEST
START_TEST(runc_idle)
{
	run_one("runc", "idle", true);
}
END_TEST
START_TEST(bwrap_idle)
{
	run_one("bwrap", "idle", true);
}
END_TEST
START_TEST(crun_httpd)
{
	run_one("crun", "httpd", true);
}
END_TEST
START_TEST(crun_bad_cmd)
{
	run_one("crun", "cmd:/bin/no-such-program", false);
}
END_TEST
START_TEST(runc_bad_cmd)
{
	run_one("runc", "cmd:/bin/no-such-program", false);
}
END_TEST
START_TEST(bwrap_bad_cmd)
{
	run_one("bwrap", "cmd:/bin/no-such-program", false);
}
END_TEST
START_TEST(vm_httpd)
{
	run_one("vm", "httpd", true);
}
END_TEST

static json_t *oci_for(struct crowd_config *cfg)
{
	char tmpl[] = "/tmp/crowd-check-oci-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	struct crowd_error err = {0};
	struct crowd_oci_opts o = {.cfg = cfg, .rootfs = "/srv/rootfs", .ready_fd = 3,
				   .cgroups_path = "/crowd/x/y", .resources = true};
	ck_assert_msg(crowd_oci_write(tmpl, &o, &err) == 0, "%s", err.msg);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", tmpl);
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);
	ck_assert_msg(j != NULL, "config.json does not parse: %s", jerr.text);
	unlink(path);
	rmdir(tmpl);
	return j;
}

static bool has_string(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), s))
		return true;
	return false;
}

static bool has_ns(json_t *j, const char *type)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(json_object_get(j, "linux"), "namespaces"), i, v)
		if (!strcmp(json_string_value(json_object_get(v, "type")), type))
			return true;
	return false;
}

START_TEST(oci_config_matches_cfg)
{
	struct crowd_config cfg;
	struct crowd_error err = {0};
	crowd_config_init(&cfg);
	ck_assert_int_eq(crowd_workload_parse("httpd", &cfg.workload, &err), 0);
	cfg.limits.memory_max_bytes = 64 << 20;
	cfg.limits.pids_max = 32;
	json_t *j = oci_for(&cfg);
	json_t *proc = json_object_get(j, "process");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(proc, "args"), 0)),
			 "/bin/httpd");
	ck_assert(has_string(json_object_get(proc, "env"), "CROWD_READY_FD=3"));
	json_t *caps = json_object_get(proc, "capabilities");
	ck_assert_uint_eq(json_array_size(json_object_get(caps, "bounding")), 14);
	ck_assert(has_string(json_object_get(caps, "effective"), "CAP_NET_BIND_SERVICE"));
	ck_assert(!has_string(json_object_get(caps, "bounding"), "CAP_SYS_ADMIN"));
	ck_assert_uint_eq(json_array_size(json_object_get(caps, "ambient")), 0);
	ck_assert(json_is_true(json_object_get(json_object_get(j, "root"), "readonly")));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "root"), "path")),
			 "/srv/rootfs");
	json_t *lnx = json_object_get(j, "linux");
	ck_assert(has_string(json_object_get(lnx, "maskedPaths"), "/proc/kcore"));
	ck_assert(has_string(json_object_get(lnx, "readonlyPaths"), "/proc/sys"));
	ck_assert(has_ns(j, "pid") && has_ns(j, "network") && has_ns(j, "cgroup"));
	ck_assert(!has_ns(j, "user"));
	ck_assert_str_eq(json_string_value(json_object_get(lnx, "cgroupsPath")), "/crowd/x/y");
	json_t *res = json_object_get(lnx, "resources");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(res, "memory"), "limit")),
			 64 << 20);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(res, "pids"), "limit")),
			 32);
	json_decref(j);

	/* --ns none, --caps none: only the mount namespace OCI always has, no capabilities */
	cfg.ns = 0;
	cfg.caps = CROWD_CAPS_NONE;
	j = oci_for(&cfg);
	ck_assert(has_ns(j, "mount") && !has_ns(j, "pid") && !has_ns(j, "network"));
	ck_assert_uint_eq(json_array_size(json_object_get(
				  json_object_get(json_object_get(j, "process"), "capabilities"),
				  "bounding")),
			  0);
	ck_assert_ptr_null(json_object_get(j, "hostname"));
	json_decref(j);

	/* --caps all: only what crowd itself may hold, so capset cannot fail; --rootless: a user
	 * namespace with root mapped to the caller */
	cfg.caps = CROWD_CAPS_ALL;
	cfg.rootless = true;
	j = oci_for(&cfg);
	json_t *bnd = json_object_get(
		json_object_get(json_object_get(j, "process"), "capabilities"), "bounding");
	ck_assert_uint_gt(json_array_size(bnd), 14);
	size_t i;
	json_t *v;
	json_array_foreach(bnd, i, v)
	{
		cap_value_t c;
		char lower[64] = "";
		for (size_t k = 0; json_string_value(v)[k] && k + 1 < sizeof(lower); k++)
			lower[k] = (char)tolower((unsigned char)json_string_value(v)[k]);
		ck_assert_msg(cap_from_name(lower, &c) == 0, "unknown cap %s", lower);
		ck_assert_msg(cap_get_bound(c) == 1, "%s is outside crowd's bounding set", lower);
	}
	ck_assert(has_ns(j, "user"));
	json_t *um = json_array_get(json_object_get(json_object_get(j, "linux"), "uidMappings"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(um, "hostID")), (int)getuid());
	json_decref(j);
	crowd_workload_inst_free(&cfg.workload);
}
END_TEST

START_TEST(oci_limits_text)
{
	struct crowd_config cfg;
	char buf[128];
	crowd_config_init(&cfg);
	crowd_oci_limits_text(&cfg, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	cfg.limits.memory_max_bytes = 1024;
	cfg.limits.pids_max = 5;
	crowd_oci_limits_text(&cfg, buf, sizeof(buf));
	ck_assert_str_eq(buf, "memory-max=1024 pids-max=5");
}
END_TEST

START_TEST(peer_spawn_fds_and_errors)
{
	struct crowd_error err = {0};
	char out[256];
	/* fd 3 in the child is the kept fd; nothing else above 2 leaks in */
	char *argv[] = {"/bin/sh", "-c", "ls /proc/self/fd | tr '\\n' ' '", NULL};
	ck_assert_int_eq(crowd_peer_run(argv, 0, 5000, out, sizeof(out), &err), 0);
	ck_assert_str_eq(out, "0 1 2 3");
	char *bad[] = {"/nonexistent/prog", NULL};
	ck_assert_int_eq(crowd_peer_run(bad, 0, 5000, out, sizeof(out), &err), -ENOENT);
	ck_assert(strstr(err.msg, "/nonexistent/prog") != NULL);
	char *slow[] = {"/bin/sleep", "10", NULL};
	ck_assert_int_eq(crowd_peer_run(slow, 0, 100, NULL, 0, &err), -ETIMEDOUT);
	char *fail[] = {"/bin/sh", "-c", "exit 3", NULL};
	ck_assert_int_eq(crowd_peer_run(fail, 0, 5000, NULL, 0, &err), 3);
}
END_TEST

static int in_parent_cb(pid_t pid, void *ctx, struct crowd_error *err)
{
	(void)err;
	*(pid_t *)ctx = pid;
	return 0;
}

/* With many fds open (a busy crowd), the child still waits for the parent's go and reports
 * exec errors; nothing but 0-3 reaches the program. */
START_TEST(peer_spawn_many_fds)
{
	int fds[600];
	for (size_t i = 0; i < 600; i++)
		ck_assert_int_ge(fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC), 0);
	int p[2];
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	char *argv[] = {"/bin/sh", "-c", "ls /proc/self/fd | tr '\\n' ' '", NULL};
	pid_t seen = 0, pid;
	int pidfd = -1;
	struct crowd_error err = {0};
	struct crowd_peer_spawn s = {.argv = argv, .keep_fds = &p[1], .n_keep = 1, .stdin_fd = -1,
				     .stdout_fd = p[1], .stderr_fd = -1, .in_parent = in_parent_cb,
				     .ctx = &seen};
	ck_assert_msg(crowd_peer_spawn(&s, &pid, &pidfd, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(seen, pid);
	close(p[1]);
	char out[128] = "";
	ssize_t n = crowd_read_all(p[0], out, sizeof(out) - 1);
	ck_assert_int_gt(n, 0);
	out[n] = '\0';
	ck_assert_str_eq(out, "0 1 2 3 4 "); /* 3: the kept fd, 4: ls reading /proc/self/fd */
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *bad[] = {"/nonexistent/prog", NULL};
	s.argv = bad;
	ck_assert_int_eq(crowd_peer_spawn(&s, &pid, &pidfd, &err), -ENOENT);
	for (size_t i = 0; i < 600; i++)
		close(fds[i]);
}
END_TEST

START_TEST(peer_rmtree)
{
	char tmpl[] = "/tmp/crowd-check-rm-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/a/b", tmpl);
	ck_assert_int_eq(mkdir(strcat(strcpy((char[PATH_MAX]){0}, tmpl), "/a"), 0700), 0);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/a/b/f", tmpl);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	snprintf(p, sizeof(p), "%s/a/link", tmpl);
	ck_assert_int_eq(symlink("/etc", p), 0);
	ck_assert_int_eq(crowd_peer_rmtree(tmpl, NULL), 0);
	ck_assert(!exists(tmpl));
	ck_assert(exists("/etc/passwd")); /* the symlink was not followed */
	ck_assert_int_eq(crowd_peer_rmtree(tmpl, NULL), 0);
}
END_TEST

/* probe says why through struct crowd_error: a code and a message on every refusal; the
 * process backend (no root needed) refuses a rootfs without the workload, naming the path. */
START_TEST(probe_reports_error)
{
	struct crowd_config cfg;
	struct crowd_error err = {0};
	crowd_config_init(&cfg);
	ck_assert_int_eq(crowd_workload_parse("httpd", &cfg.workload, &err), 0);
	cfg.rootfs = "/nonexistent-crowd-rootfs";
	for (unsigned i = 0; i < crowd_backends_len; i++) {
		const struct crowd_backend *b = crowd_backends[i];
		err = (struct crowd_error){0};
		int r = b->probe(&cfg, &err);
		ck_assert_msg(r <= 0, "%s: probe returned %d", b->name, r);
		if (r < 0)
			ck_assert_msg(err.code == -r && err.msg[0],
				      "%s: probe %d without its error", b->name, r);
	}
	err = (struct crowd_error){0};
	ck_assert_int_eq(crowd_backend_find("process")->probe(&cfg, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent-crowd-rootfs/bin/httpd"));
	crowd_workload_inst_free(&cfg.workload);
}
END_TEST

/* A process that looks like a leftover of a run to a sweep: sh blocked in its `read` builtin
 * (no child of its own), its command line ending in the arguments a b; *hold keeps it
 * blocked. */
static pid_t fake_leftover(const char *a, const char *b, int *hold)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(p[0], 0);
		execl("/bin/sh", "sh", "-c", "read x", a, b, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	*hold = p[1];
	/* Until it has exec'd, its command line is this test's. */
	char path[64], cmd[256];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	for (int i = 0; i < 500; i++) {
		ssize_t n = crowd_read_file(path, cmd, sizeof(cmd), NULL);
		if (n > 0 && !strcmp(cmd, "sh"))
			break;
		usleep(2000);
	}
	return pid;
}

/* dir/tail into buf (PATH_MAX); with mk, the directory is made (mkdir -p). */
static char *path_of(char *buf, const char *dir, const char *tail, bool mk)
{
	char cmd[PATH_MAX + 16];
	ck_assert_int_eq(crowd_peer_fmt(buf, PATH_MAX, "%s/%s", dir, tail), 0);
	ck_assert_int_eq(crowd_peer_fmt(cmd, sizeof(cmd), "mkdir -p '%s'", buf), 0);
	if (mk)
		ck_assert_int_eq(system(cmd), 0);
	return buf;
}

/* Killed by the sweep (and reaped here), or still running. */
static bool was_killed(pid_t pid)
{
	int st;
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
		usleep(10000);
	}
	return false;
}

/* Each backend's sweep takes its own runs' leftovers under this top (a QEMU still started
 * with a pid file of a vm run, an OCI runtime's waiting `run` on a run's state root, the
 * scratch directories) and leaves other backends' and another top's alone. */
START_TEST(sweep_own_leftovers)
{
	char top[64], root[128], other[128], p[PATH_MAX], file[PATH_MAX];
	snprintf(top, sizeof(top), "crowd-check-sweep-%d", (int)getpid());
	setenv("CROWD_CGROUP_TOP", top, 1);
	snprintf(root, sizeof(root), "/tmp/crowd-%s", top);
	snprintf(other, sizeof(other), "/tmp/crowd-%s-other", top);
	path_of(p, root, "run-1-vm", true);
	path_of(p, root, "run-1-bwrap", true);
	path_of(p, root, "run-1-crun/state/ctr-0", true);
	path_of(p, other, "run-1-vm", true);
	int hold[3];
	close(open(path_of(file, root, "run-1-vm/vm-0.pid", false), O_CREAT | O_WRONLY | O_CLOEXEC,
		   0600));
	pid_t qemu = fake_leftover("-pidfile", file, &hold[0]);
	pid_t runtime =
	    fake_leftover("--root", path_of(p, root, "run-1-crun/state", false), &hold[1]);
	close(open(path_of(file, other, "run-1-vm/vm-0.pid", false), O_CREAT | O_WRONLY | O_CLOEXEC,
		   0600));
	pid_t others = fake_leftover("-pidfile", file, &hold[2]);

	struct crowd_sweep got = {0};
	struct crowd_error err = {0};
	ck_assert_msg(crowd_backend_find("vm")->sweep(&got, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(got.instances, 1);
	ck_assert_uint_eq(got.dirs, 1);
	ck_assert_uint_eq(got.left, 0);
	ck_assert(was_killed(qemu));
	ck_assert(!exists(path_of(p, root, "run-1-vm", false)));
	ck_assert(exists(path_of(p, root, "run-1-bwrap", false)));
	ck_assert_int_eq(kill(runtime, 0), 0); /* crun's: not the vm's to sweep */

	got = (struct crowd_sweep){0};
	ck_assert_msg(crowd_backend_find("crun")->sweep(&got, &err) == 0 || got.left == 1, "%s",
		      err.msg);
	ck_assert_uint_eq(got.dirs, 1);
	ck_assert(was_killed(runtime));
	/* Every backend through the table, as crowd clean does: only bwrap's dir is left. */
	got = (struct crowd_sweep){0};
	for (unsigned i = 0; i < crowd_backends_len; i++)
		if (crowd_backends[i]->sweep)
			ck_assert_int_eq(crowd_backends[i]->sweep(&got, &err), 0);
	ck_assert_uint_eq(got.dirs, 1);
	ck_assert_uint_eq(got.instances + got.left, 0);
	ck_assert(!exists(root));

	ck_assert_int_eq(kill(others, 0), 0); /* another top's QEMU and files are left alone */
	ck_assert(exists(file));
	kill(others, SIGKILL);
	ck_assert(was_killed(others));
	for (int i = 0; i < 3; i++)
		close(hold[i]);
	crowd_test_rmtree(other);
}
END_TEST

static Suite *backends_suite(void)
{
	Suite *s = suite_create("backends");
	TCase *u = tcase_create("unit");
	tcase_add_test(u, oci_config_matches_cfg);
	tcase_add_test(u, oci_limits_text);
	tcase_add_test(u, peer_spawn_fds_and_errors);
	tcase_add_test(u, peer_rmtree);
	tcase_add_test(u, peer_spawn_many_fds);
	tcase_add_test(u, probe_reports_error);
	tcase_add_test(u, sweep_own_leftovers);
	suite_add_tcase(s, u);
	TCase *t = tcase_create("peers");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, crun_idle);
	tcase_add_test(t, runc_idle);
	tcase_add_test(t, bwrap_idle);
	tcase_add_test(t, crun_httpd);
	tcase_add_test(t, crun_bad_cmd);
	tcase_add_test(t, runc_bad_cmd);
	tcase_add_test(t, bwrap_bad_cmd);
	tcase_add_test(t, vm_httpd);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	if (!getenv("CROWD_CGROUP_TOP"))
		setenv("CROWD_CGROUP_TOP", "crowd-check-backends", 1);
	return crowd_test_run(backends_suite());
}
