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
	char reason[256] = "";
	if (b->probe(&cfg, reason, sizeof(reason)) < 0) {
		/* Only the VM may be unavailable here (its images are built by make vm). */
		ck_assert_msg(!strcmp(name, "vm"), "%s unavailable: %s", name, reason);
		ck_assert(reason[0]);
		CROWD_SKIP("%s unavailable: %s", name, reason);
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

static Suite *backends_suite(void)
{
	Suite *s = suite_create("backends");
	TCase *u = tcase_create("unit");
	tcase_add_test(u, oci_config_matches_cfg);
	tcase_add_test(u, oci_limits_text);
	tcase_add_test(u, peer_spawn_fds_and_errors);
	tcase_add_test(u, peer_rmtree);
	tcase_add_test(u, peer_spawn_many_fds);
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
