/* The runtime core: namespace and capability profile parsing, container ids, the registry,
 * and (as root) real containers started with crowd_ctr_start, checked from inside. */
#include <dirent.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/caps.h"
#include "core/cgroup.h"
#include "core/container.h"
#include "core/netns.h"
#include "core/registry.h"
#include "core/rootfs.h"
#include "core/spawn.h"
#include "core/util.h"
#include "testutil_core.h"

static char rootfs[PATH_MAX];
static char top[64];

/* main() names one top for the whole suite (CK_FORK children inherit it) and sweeps it at
 * the end, so a failed test leaves nothing behind. */
static void set_top(void)
{
	const char *t = getenv("CROWD_CGROUP_TOP");
	snprintf(top, sizeof(top), "%s", t ? t : "crowd");
}

/* ---- namespaces ---- */

START_TEST(ns_parse_lists)
{
	unsigned long f = 0;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_ns_parse("pid,mnt", &f, &err), 0);
	ck_assert_uint_eq(f, CLONE_NEWPID | CLONE_NEWNS);
	ck_assert_int_eq(crowd_ns_parse("none", &f, &err), 0);
	ck_assert_uint_eq(f, 0);
	ck_assert_int_eq(crowd_ns_parse("all", &f, &err), 0);
	ck_assert_uint_eq(f, CROWD_NS_DEFAULT | CLONE_NEWUSER);
	ck_assert_int_eq(crowd_ns_parse("net,net", &f, &err), 0);
	ck_assert_uint_eq(f, CLONE_NEWNET);
}
END_TEST

START_TEST(ns_parse_bad)
{
	unsigned long f = 42;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_ns_parse("pid,bogus", &f, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "'bogus'"));
	ck_assert_ptr_nonnull(strstr(err.msg, "pid,mnt,uts,ipc,net,user,cgroup"));
	ck_assert_uint_eq(f, 42);
	ck_assert_int_eq(crowd_ns_parse("", &f, &err), -EINVAL);
	ck_assert_int_eq(crowd_ns_parse("pid,", &f, &err), -EINVAL);
	ck_assert_int_eq(crowd_ns_parse("PID", &f, &err), -EINVAL);
	ck_assert_int_eq(crowd_ns_parse("pidx", &f, &err), -EINVAL);
}
END_TEST

/* Every subset formats to a list that parses back to the same flags. */
START_TEST(ns_format_roundtrip)
{
	char buf[128];
	struct crowd_error err = {0};
	for (unsigned m = 0; m < (1u << crowd_ns_table_len); m++) {
		unsigned long flags = 0, back = 0;
		for (unsigned i = 0; i < crowd_ns_table_len; i++)
			if (m & (1u << i))
				flags |= crowd_ns_table[i].flag;
		crowd_ns_format(flags, buf, sizeof(buf));
		ck_assert_int_eq(crowd_ns_parse(buf, &back, &err), 0);
		ck_assert_uint_eq(back, flags);
	}
	crowd_ns_format(CLONE_NEWPID | CLONE_NEWNET, buf, sizeof(buf));
	ck_assert_str_eq(buf, "pid,net");
	crowd_ns_format(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "none");
}
END_TEST

/* ---- capabilities ---- */

START_TEST(caps_parse_profiles)
{
	enum crowd_caps_profile p;
	struct crowd_error err = {0};
	static const char *const names[] = {"default", "none", "all"};
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(crowd_caps_parse(names[i], &p, &err), 0);
		ck_assert_str_eq(crowd_caps_profile_name(p), names[i]);
	}
	ck_assert_int_eq(crowd_caps_parse("bogus", &p, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "default, none, all"));
	ck_assert_int_eq(crowd_caps_parse("", &p, &err), -EINVAL);
	ck_assert_uint_eq(crowd_caps_default_len, 14);
	for (unsigned i = 0; i < crowd_caps_default_len; i++)
		ck_assert_int_eq(strncmp(crowd_caps_default_names[i], "CAP_", 4), 0);
}
END_TEST

/* ---- ids and registry ---- */

START_TEST(uuid_format)
{
	char ids[200][CROWD_UUID_LEN + 1];
	struct crowd_error err = {0};
	for (int i = 0; i < 200; i++) {
		ck_assert_int_eq(crowd_uuid_new(ids[i], &err), 0);
		ck_assert_msg(crowd_uuid_valid(ids[i]), "bad uuid %s", ids[i]);
		ck_assert_int_eq(ids[i][14], '4');
		ck_assert_ptr_nonnull(strchr("89ab", ids[i][19]));
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(ids[i], ids[j]);
	}
	ck_assert(!crowd_uuid_valid("0123456789abcdef0123456789abcdef0123"));
	ck_assert(!crowd_uuid_valid("0123456-89ab-4def-8123-456789abcdef0"));
	ck_assert(!crowd_uuid_valid("01234567-89AB-4DEF-8123-456789ABCDEF"));
	ck_assert(crowd_uuid_valid("01234567-89ab-4def-8123-456789abcdef"));
	ck_assert(!crowd_uuid_valid(NULL));
}
END_TEST

/* A recorded process is found by the sweep, killed, and its record deleted. */
START_TEST(registry_sweep_kills)
{
	struct crowd_error err = {0};
	struct crowd_reg_entry e;
	char id[CROWD_UUID_LEN + 1], dir[256], path[512];
	unsigned killed, removed, left;
	int st;

	set_top();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	ck_assert_int_eq(crowd_uuid_new(id, &err), 0);
	ck_assert_int_eq(crowd_reg_add(id, pid, crowd_reg_pidns_ino(pid), NULL, &err), 0);
	ck_assert_int_eq(crowd_reg_lookup(id, &e), 0);
	ck_assert_int_eq(e.pid, pid);
	ck_assert_uint_gt(e.start_ticks, 0);
	ck_assert_uint_eq(crowd_reg_count(), 1);
	ck_assert_int_eq(crowd_reg_dir(dir, sizeof(dir), &err), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, id);
	ck_assert_int_eq(access(path, F_OK), 0);

	ck_assert_int_eq(crowd_reg_sweep(&killed, &removed, &left, &err), 0);
	ck_assert_uint_eq(killed, 1);
	ck_assert_uint_eq(removed, 1);
	ck_assert_uint_eq(left, 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_int_ne(access(dir, F_OK), 0);
	/* Idempotent. */
	ck_assert_int_eq(crowd_reg_sweep(&killed, &removed, &left, &err), 0);
	ck_assert_uint_eq(killed + removed + left, 0);
	crowd_reg_remove(id);
	ck_assert_int_eq(crowd_reg_lookup(id, &e), -ENOENT);
}
END_TEST

/* A record whose pid now belongs to another process (other start time) is not killed. */
START_TEST(registry_sweep_spares_reused_pid)
{
	struct crowd_error err = {0};
	char id[CROWD_UUID_LEN + 1], dir[256], path[512];
	unsigned killed, removed, left;

	set_top();
	ck_assert_int_eq(crowd_reg_dir(dir, sizeof(dir), &err), 0);
	ck_assert_int_eq(crowd_uuid_new(id, &err), 0);
	/* Make the directory through a real record, then forge one naming us with a wrong start. */
	ck_assert_int_eq(crowd_reg_add(id, getpid(), 0, NULL, &err), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, id);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "id=%s\npid=%d\nstart=1\npidns=0\n", id, (int)getpid());
	fclose(f);
	ck_assert_int_eq(crowd_reg_sweep(&killed, &removed, &left, &err), 0);
	ck_assert_uint_eq(killed, 0);
	ck_assert_uint_eq(removed, 1);
	crowd_reg_remove(id);
}
END_TEST

START_TEST(rootfs_check_rejects)
{
	struct crowd_error err = {0};
	char buf[PATH_MAX];
	ck_assert_int_eq(crowd_rootfs_check("/etc/passwd", &err), -ENOTDIR);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a directory"));
	ck_assert_int_lt(crowd_rootfs_check("/nonexistent-crowd", &err), 0);
	ck_assert_int_eq(crowd_rootfs_check("/tmp", &err), 0);
	ck_assert_int_eq(crowd_rootfs_default(buf, sizeof(buf), &err), 0);
	ck_assert_ptr_nonnull(strstr(buf, "rootfs"));
}
END_TEST

/* ---- real containers (root) ---- */

static bool root_ready(const char *what)
{
	(void)what; /* crowd_test_skip names the running test itself */
	if (!crowd_test_root_rootfs(rootfs, sizeof(rootfs)))
		return false;
	set_top();
	return true;
}

/* Run argv in a container with stdout to a pipe; return the exit status and the output. */
static int run_capture(struct crowd_cg_run *run, struct crowd_ctr_spec *spec, char *out, size_t len,
		       struct crowd_ctr *ctr)
{
	struct crowd_error err = {0};
	int p[2], st = -1;
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	spec->stdio[1] = p[1];
	int r = crowd_ctr_start(run, spec, ctr, &err);
	close(p[1]);
	if (r < 0) {
		snprintf(out, len, "%s", err.msg);
		close(p[0]);
		return r;
	}
	ssize_t n = crowd_read_all(p[0], out, len - 1);
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	ck_assert_int_eq(crowd_ctr_wait(ctr, &st, &err), 0);
	return st;
}

static void assert_leaf_gone(struct crowd_cg_run *run, const char *id)
{
	(void)run;
	/* The leaf is named after the id under <top>/<run>; search the memory hierarchy. */
	char cmd[768];
	snprintf(cmd, sizeof(cmd),
		 "find /sys/fs/cgroup/memory/%s /sys/fs/cgroup/unified/%s -name '%s' 2>/dev/null | "
		 "grep -q .",
		 top, top, id);
	ck_assert_msg(system(cmd) != 0, "cgroup leaf %s left behind", id);
}

START_TEST(ctr_start_pid1_phases)
{
	if (!root_ready("ctr_start_pid1_phases"))
		return;
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_ctr_spec spec;
	struct crowd_ctr ctr;
	char out[4096];
	char *argv[] = {"/bin/sh", "-c",
			"echo $$; hostname; sleep 5 & sleep 0.2; echo $(ls /proc/$!/fd); kill $!",
			NULL};

	ck_assert_int_eq(crowd_cg_run_open(NULL, "ctr", &run, &err), 0);
	crowd_ctr_spec_init(&spec);
	spec.rootfs = rootfs;
	spec.argv = argv;
	spec.hostname = "box1";
	int st = run_capture(run, &spec, out, sizeof(out), &ctr);
	ck_assert_msg(st == 0, "status %d: %s", st, out);
	ck_assert_msg(!strcmp(out, "1\nbox1\n0 1 2\n"), "output: %s", out);
	ck_assert(crowd_uuid_valid(ctr.id));
	ck_assert_int_gt(ctr.pid, 0);
	ck_assert_int_ge(ctr.pidfd, 0);
	ck_assert_uint_ne(ctr.pidns_ino, crowd_reg_pidns_ino(0));
	ck_assert_int_gt(ctr.t_cgroup_ns, 0);
	ck_assert_int_le(ctr.t_cgroup_ns, ctr.t_clone_ns);
	ck_assert_int_le(ctr.t_clone_ns, ctr.t_setup_ns);
	ck_assert_int_le(ctr.t_setup_ns, crowd_now_ns());
	ck_assert_int_eq(crowd_ctr_destroy(&ctr, &err), 0);
	assert_leaf_gone(run, ctr.id);
	ck_assert_uint_eq(crowd_reg_count(), 0);
	/* The last record out removed the registry directory. */
	char dir[256];
	ck_assert_int_eq(crowd_reg_dir(dir, sizeof(dir), &err), 0);
	ck_assert_msg(access(dir, F_OK) != 0, "registry directory %s left", dir);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
}
END_TEST

/* The readiness pipe is the one extra fd, named in CROWD_READY_FD; a byte written to it
 * reaches ready_fd. */
START_TEST(ctr_ready_fd)
{
	if (!root_ready("ctr_ready_fd"))
		return;
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_ctr_spec spec;
	struct crowd_ctr ctr;
	char out[4096], b = 0;
	/* The fds a process started by the init inherits (the shell holds pipes of its own). */
	char *argv[] = {"/bin/sh", "-c",
			"sleep 5 & sleep 0.2; echo $(ls /proc/$!/fd) fd=$CROWD_READY_FD; kill $!; "
			"printf r >&$CROWD_READY_FD",
			NULL};

	ck_assert_int_eq(crowd_cg_run_open(NULL, "ready", &run, &err), 0);
	crowd_ctr_spec_init(&spec);
	spec.rootfs = rootfs;
	spec.argv = argv;
	spec.ready_pipe = true;
	int st = run_capture(run, &spec, out, sizeof(out), &ctr);
	ck_assert_msg(st == 0, "status %d: %s", st, out);
	ck_assert_int_ge(ctr.ready_fd, 0);
	ck_assert_int_eq(read(ctr.ready_fd, &b, 1), 1);
	ck_assert_int_eq(b, 'r');
	char want[64];
	int fd = -1;
	const char *f = strstr(out, "fd=");
	ck_assert_ptr_nonnull(f);
	fd = atoi(f + 3);
	ck_assert_int_ge(fd, 3);
	snprintf(want, sizeof(want), "0 1 2 %d fd=%d", fd, fd);
	ck_assert_msg(!strncmp(out, want, strlen(want)), "output '%s', want '%s'", out, want);
	ck_assert_int_eq(crowd_ctr_destroy(&ctr, &err), 0);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
}
END_TEST

/* A failure in the child comes back as the error, and nothing is left. */
START_TEST(ctr_child_errors)
{
	if (!root_ready("ctr_child_errors"))
		return;
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_ctr_spec spec;
	struct crowd_ctr ctr;
	char *argv[] = {"nosuchcommand", NULL};
	char *argv_ok[] = {"/bin/true", NULL};

	ck_assert_int_eq(crowd_cg_run_open(NULL, "errs", &run, &err), 0);
	crowd_ctr_spec_init(&spec);
	spec.rootfs = rootfs;
	spec.argv = argv;
	ck_assert_int_eq(crowd_ctr_start(run, &spec, &ctr, &err), -ENOENT);
	ck_assert_msg(strstr(err.msg, "exec nosuchcommand") && strstr(err.msg, "PATH"), "%s",
		      err.msg);
	assert_leaf_gone(run, ctr.id);

	spec.argv = argv_ok;
	spec.rootfs = "/nonexistent-crowd-rootfs";
	ck_assert_int_eq(crowd_ctr_start(run, &spec, &ctr, &err), -ENOENT);
	ck_assert_msg(strstr(err.msg, "binding rootfs /nonexistent-crowd-rootfs"), "%s", err.msg);
	assert_leaf_gone(run, ctr.id);

	/* A child that fails after the network namespace maker sent it a namespace (made
	 * ahead, so it is in the socket before the child runs) exits without reading it: its
	 * own report must still be what crowd_ctr_start returns, not the socket's reset. */
	crowd_netns_prefetch();
	usleep(200000);
	spec.single = true;
	ck_assert_int_eq(crowd_ctr_start(run, &spec, &ctr, &err), -ENOENT);
	ck_assert_msg(strstr(err.msg, "binding rootfs /nonexistent-crowd-rootfs"), "%s", err.msg);
	assert_leaf_gone(run, ctr.id);
	spec.single = false;

	spec.rootfs = rootfs;
	spec.ns = CLONE_NEWPID;
	ck_assert_int_eq(crowd_ctr_start(run, &spec, &ctr, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "mnt namespace"));
	ck_assert_uint_eq(crowd_reg_count(), 0);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
}
END_TEST

/* Pod members share the infra's net namespace (with lo up) and hostname. */
START_TEST(pod_members_share)
{
	if (!root_ready("pod_members_share"))
		return;
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_pod *pod = NULL;
	struct crowd_ctr_spec spec;
	struct crowd_ctr a, b;
	char out_a[512], out_b[512], want[64];
	char *argv[] = {"/bin/sh", "-c", "readlink /proc/self/ns/net; hostname; ip -o link show lo",
			NULL};
	struct stat st;

	ck_assert_int_eq(crowd_cg_run_open(NULL, "pod", &run, &err), 0);
	crowd_ctr_spec_init(&spec);
	spec.rootfs = rootfs;
	spec.argv = argv;
	spec.hostname = "podhost";
	ck_assert_int_eq(crowd_pod_create(run, &spec, &pod, &err), 0);
	ck_assert_int_ge(crowd_pod_netns_fd(pod), 0);
	ck_assert_int_eq(fstat(crowd_pod_netns_fd(pod), &st), 0);
	snprintf(want, sizeof(want), "net:[%llu]\npodhost\n", (unsigned long long)st.st_ino);
	spec.pod = pod;
	ck_assert_int_eq(run_capture(run, &spec, out_a, sizeof(out_a), &a), 0);
	ck_assert_int_eq(run_capture(run, &spec, out_b, sizeof(out_b), &b), 0);
	ck_assert_msg(!strncmp(out_a, want, strlen(want)), "a: %s want %s", out_a, want);
	ck_assert_msg(!strncmp(out_b, want, strlen(want)), "b: %s want %s", out_b, want);
	ck_assert_msg(strstr(out_a, "UP"), "lo not up: %s", out_a);
	ck_assert_int_eq(crowd_ctr_destroy(&a, &err), 0);
	ck_assert_int_eq(crowd_ctr_destroy(&b, &err), 0);
	ck_assert_int_eq(crowd_pod_destroy(pod, &err), 0);
	ck_assert_uint_eq(crowd_reg_count(), 0);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
}
END_TEST

/* Each container gets a network namespace of its own with lo up, made by the maker thread
 * (netns.h) while the container starts; the maker goes back home after each one, so every
 * thread of ours is still in our own namespace, and it holds no fd to the ones it made. */
START_TEST(ctr_netns_own_and_maker_home)
{
	if (!root_ready("ctr_netns_own_and_maker_home"))
		return;
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_ctr_spec spec;
	struct crowd_ctr a, b;
	char out_a[512], out_b[512], home[64], path[PATH_MAX], link[64];
	char *argv[] = {"/bin/sh", "-c", "readlink /proc/self/ns/net; ip -o link show lo", NULL};

	ssize_t hn = readlink("/proc/self/ns/net", home, sizeof(home) - 1);
	ck_assert_int_gt(hn, 0);
	home[hn] = '\0';

	ck_assert_int_eq(crowd_cg_run_open(NULL, "netns", &run, &err), 0);
	crowd_ctr_spec_init(&spec);
	spec.rootfs = rootfs;
	spec.argv = argv;
	/* a gets the namespace made ahead (as crowd run asks), b one made on its start. */
	crowd_netns_prefetch();
	ck_assert_int_eq(run_capture(run, &spec, out_a, sizeof(out_a), &a), 0);
	ck_assert_int_eq(run_capture(run, &spec, out_b, sizeof(out_b), &b), 0);
	ck_assert_msg(!strncmp(out_a, "net:[", 5) && strncmp(out_a, home, strlen(home)),
		      "a: %s (ours %s)", out_a, home);
	ck_assert_msg(strncmp(out_a, out_b, strcspn(out_a, "\n")), "a and b share: %s / %s",
		      out_a, out_b);
	ck_assert_msg(strstr(out_a, "UP") && strstr(out_b, "UP"), "lo not up: %s / %s", out_a,
		      out_b);
	/* Every thread of ours (the maker among them) is at home. */
	DIR *d = opendir("/proc/self/task");
	ck_assert_ptr_nonnull(d);
	unsigned threads = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/ns/net", e->d_name);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		ck_assert_int_gt(n, 0);
		link[n] = '\0';
		ck_assert_msg(!strcmp(link, home), "thread %s in %s, not %s", e->d_name, link, home);
		threads++;
	}
	closedir(d);
	ck_assert_uint_ge(threads, 2); /* the maker runs */
	/* No fd of ours holds another namespace (the maker closes what it sent; it keeps one
	 * to its home). */
	d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	for (struct dirent *e; (e = readdir(d));) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			ck_assert_msg(strncmp(link, "net:[", 5) || !strcmp(link, home),
				      "fd %s holds %s", e->d_name, link);
		}
	}
	closedir(d);
	ck_assert_int_eq(crowd_ctr_destroy(&a, &err), 0);
	ck_assert_int_eq(crowd_ctr_destroy(&b, &err), 0);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
}
END_TEST

/* A process forked from one whose network namespace maker runs has no maker thread: its
 * containers still start (the namespace then comes from clone3). */
START_TEST(ctr_start_after_fork)
{
	if (!root_ready("ctr_start_after_fork"))
		return;
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_ctr_spec spec;
	struct crowd_ctr a;
	char out[512];
	char *argv[] = {"/bin/sh", "-c", "ip -o link show lo", NULL};
	int st;

	ck_assert_int_eq(crowd_cg_run_open(NULL, "fork", &run, &err), 0);
	crowd_ctr_spec_init(&spec);
	spec.rootfs = rootfs;
	spec.argv = argv;
	ck_assert_int_eq(run_capture(run, &spec, out, sizeof(out), &a), 0);
	ck_assert_int_eq(crowd_ctr_destroy(&a, &err), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct crowd_ctr b;
		int ok = run_capture(run, &spec, out, sizeof(out), &b) == 0 && strstr(out, "UP") &&
			 crowd_ctr_destroy(&b, &err) == 0;
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the forked start failed (%d)", st);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
}
END_TEST

/* Every rung of the clone ladder makes a working container in its cgroup leaf. */
START_TEST(ctr_clone_fallbacks)
{
	if (!root_ready("ctr_clone_fallbacks"))
		return;
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_ctr_spec spec;
	struct crowd_ctr ctr;
	char *argv[] = {"/bin/sh", "-c", "echo $$; sleep 0.3", NULL};
	char path[64], cg[4096];
	int p[2], st;

	ck_assert_int_eq(crowd_cg_run_open(NULL, "ladder", &run, &err), 0);
	for (unsigned skip = 0; skip <= 2; skip++) {
		crowd_spawn_skip = skip;
		crowd_ctr_spec_init(&spec);
		spec.rootfs = rootfs;
		spec.argv = argv;
		ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
		spec.stdio[1] = p[1];
		int r = crowd_ctr_start(run, &spec, &ctr, &err);
		close(p[1]);
		ck_assert_msg(r == 0, "skip %u: %s", skip, err.msg);
		ck_assert_int_ge(ctr.pidfd, 0);
		snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)ctr.pid);
		ck_assert_int_gt(crowd_read_file(path, cg, sizeof(cg), &err), 0);
		ck_assert_msg(strstr(cg, ctr.id), "skip %u: not in its leaf: %s", skip, cg);
		char out[16] = "";
		ck_assert_int_gt(crowd_read_all(p[0], out, sizeof(out) - 1), 0);
		close(p[0]);
		ck_assert_str_eq(out, "1\n");
		ck_assert_int_eq(crowd_ctr_wait(&ctr, &st, &err), 0);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		ck_assert_int_eq(crowd_ctr_destroy(&ctr, &err), 0);
	}
	crowd_spawn_skip = 0;
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
}
END_TEST

struct thread_start {
	struct crowd_cg_run *run;
	struct crowd_ctr ctr;
	int r;
	struct crowd_error err;
};

static void *start_in_thread(void *arg)
{
	struct thread_start *t = arg;
	struct crowd_ctr_spec spec;
	static char *argv[] = {"/bin/sleep", "0.5", NULL};
	crowd_ctr_spec_init(&spec);
	spec.rootfs = rootfs;
	spec.argv = argv;
	t->r = crowd_ctr_start(t->run, &spec, &t->ctr, &t->err);
	return NULL;
}

/* A container started by a thread that ends at once keeps running (PDEATHSIG is per thread:
 * the core clones from a thread that lives as long as the process). */
START_TEST(ctr_survives_thread_exit)
{
	if (!root_ready("ctr_survives_thread_exit"))
		return;
	struct crowd_error err = {0};
	struct thread_start t = {0};
	pthread_t th;
	int st;

	ck_assert_int_eq(crowd_cg_run_open(NULL, "thr", &t.run, &err), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, start_in_thread, &t), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_msg(t.r == 0, "%s", t.err.msg);
	ck_assert_int_eq(crowd_ctr_wait(&t.ctr, &st, &err), 0);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "container ended with status 0x%x",
		      st);
	ck_assert_int_eq(crowd_ctr_destroy(&t.ctr, &err), 0);
	ck_assert_int_eq(crowd_cg_run_close(t.run, &err), 0);
}
END_TEST

/* How a container ended, seen without reaping it: the exit status, then a signal. */
START_TEST(ctr_peek_exit_status)
{
	if (!root_ready("ctr_peek_exit_status"))
		return;
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_ctr ctr;
	struct crowd_ctr_spec spec;
	static char *ex[] = {"/bin/sh", "-c", "exit 3", NULL};
	static char *sl[] = {"/bin/sleep", "30", NULL};
	int st = -1;

	ck_assert_int_eq(crowd_cg_run_open(NULL, "peek", &run, &err), 0);
	crowd_ctr_spec_init(&spec);
	spec.rootfs = rootfs;
	spec.argv = ex;
	ck_assert_msg(crowd_ctr_start(run, &spec, &ctr, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_ctr_peek_exit(&ctr, 5000, &st), 1);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	st = -1;
	ck_assert_int_eq(crowd_ctr_wait(&ctr, &st, &err), 0); /* not reaped by the peek */
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	ck_assert_int_eq(crowd_ctr_destroy(&ctr, &err), 0);

	spec.argv = sl;
	ck_assert_msg(crowd_ctr_start(run, &spec, &ctr, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_ctr_peek_exit(&ctr, 0, &st), 0);
	ck_assert_int_eq(crowd_ctr_signal(&ctr, SIGKILL, &err), 0); /* init ignores TERM */
	ck_assert_int_eq(crowd_ctr_peek_exit(&ctr, 5000, &st), 1);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert_int_eq(crowd_ctr_destroy(&ctr, &err), 0);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
}
END_TEST

static void *start_durable(void *arg)
{
	crowd_spawn_thread_durable(true);
	start_in_thread(arg);
	crowd_spawn_thread_durable(false);
	return NULL;
}

/* A thread that says it outlives its containers clones them itself: proven by the contract's
 * other side, the container dies (PDEATHSIG) when that thread ends first. */
START_TEST(ctr_durable_thread_clones_itself)
{
	if (!root_ready("ctr_durable_thread_clones_itself"))
		return;
	struct crowd_error err = {0};
	struct thread_start t = {0};
	pthread_t th;
	int st;

	ck_assert_int_eq(crowd_cg_run_open(NULL, "dur", &t.run, &err), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, start_durable, &t), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_msg(t.r == 0, "%s", t.err.msg);
	ck_assert_int_eq(crowd_ctr_wait(&t.ctr, &st, &err), 0);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		      "container of an ended durable thread: status 0x%x, not SIGKILL", st);
	ck_assert_int_eq(crowd_ctr_destroy(&t.ctr, &err), 0);
	ck_assert_int_eq(crowd_cg_run_close(t.run, &err), 0);
}
END_TEST

/* Containers on one rootfs share one template mount namespace (one fd, made once) but each
 * gets its own copy: a read-only root, masked /proc files, and a /tmp of its own. */
/* rm -rf of a tree a container could have made: files, directories, a fifo, and symlinks
 * (one to a directory outside, which survives with its file); too deep a tree: -ELOOP. */
START_TEST(rmtree_no_follow)
{
	char base[] = "/tmp/crowd-check-rmtree.XXXXXX", p[PATH_MAX];
	struct stat st;
	ck_assert_ptr_nonnull(mkdtemp(base));
	int b = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(b, 0);
	ck_assert_int_eq(fstat(b, &st), 0);
	ck_assert_int_eq(mkdirat(b, "out", 0755), 0);
	ck_assert_int_eq(mknodat(b, "out/keep", S_IFREG | 0644, 0), 0);
	ck_assert_int_eq(mkdirat(b, "t", 0755), 0);
	ck_assert_int_eq(mkdirat(b, "t/d", 0755), 0);
	ck_assert_int_eq(mknodat(b, "t/d/f", S_IFREG | 0644, 0), 0);
	ck_assert_int_eq(mkfifoat(b, "t/fifo", 0644), 0);
	snprintf(p, sizeof(p), "%s/out", base);
	ck_assert_int_eq(symlinkat(p, b, "t/link"), 0);
	ck_assert_int_eq(symlinkat(p, b, "t/d/link"), 0);
	ck_assert_int_eq(crowd_rmtree_at(b, "t", st.st_dev), 0);
	ck_assert_int_eq(faccessat(b, "t", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	ck_assert_int_eq(faccessat(b, "out/keep", F_OK, 0), 0);
	/* 70 levels: refused below 64, what is above is left */
	char deep[70 * 2 + 8] = "deep";
	size_t n = strlen(deep);
	for (int i = 0; i < 70; i++) {
		ck_assert_int_eq(mkdirat(b, deep, 0755), 0);
		deep[n++] = '/';
		deep[n++] = 'd';
		deep[n] = '\0';
	}
	ck_assert_int_eq(crowd_rmtree_at(b, "deep", st.st_dev), -ELOOP);
	ck_assert_int_eq(crowd_rmtree_at(b, "missing", st.st_dev), 0);
	close(b);
	snprintf(p, sizeof(p), "rm -rf %s", base);
	ck_assert_int_eq(system(p), 0);
}
END_TEST

START_TEST(rootfs_template_private_copies)
{
	if (!root_ready("rootfs_template_private_copies"))
		return;
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_ctr a, b;
	struct crowd_ctr_spec spec;
	char out[256];
	int fd1, fd2, sc1, sc2;
	struct stat st_dir;
	/* /tmp its own (one file), the root and a masked directory read-only, /proc/keys
	 * masked, /tmp without devices, /dev without exec */
	static char *wr[] = {"/bin/sh", "-c",
			     "touch /tmp/mine && ls /tmp; touch /ro 2>/dev/null || echo ro; "
			     "[ -c /proc/keys ] && echo masked; "
			     "[ ! -d /proc/acpi ] || touch /proc/acpi/x 2>/dev/null || echo acpi; "
			     "grep -q ' /tmp .*nodev' /proc/self/mountinfo && echo tmp-nodev; "
			     "grep -q ' /dev .*noexec' /proc/self/mountinfo && echo dev-noexec; "
			     "[ \"$(stat -c %d /dev)\" = \"$(stat -c %d /tmp)\" ] && echo one-dev",
			     NULL};

	bool acpi = access("/proc/acpi", F_OK) == 0;
	char want[128];
	snprintf(want, sizeof(want), "mine\nro\nmasked\n%stmp-nodev\ndev-noexec\none-dev\n",
		 acpi ? "acpi\n" : "");
	ck_assert_int_eq(crowd_rootfs_template(rootfs, &fd1, &sc1, &err), 0);
	ck_assert_int_eq(crowd_rootfs_template(rootfs, &fd2, &sc2, &err), 0);
	ck_assert_int_ge(fd1, 0);
	ck_assert_int_eq(fd1, fd2);
	ck_assert_int_ge(sc1, 0);
	ck_assert_int_eq(sc1, sc2);
	ck_assert_int_eq(crowd_cg_run_open(NULL, "tmpl", &run, &err), 0);
	crowd_ctr_spec_init(&spec);
	spec.rootfs = rootfs;
	spec.argv = wr;
	int st = run_capture(run, &spec, out, sizeof(out), &a);
	ck_assert_msg(st == 0, "status %d: %s", st, out);
	ck_assert_str_eq(out, want);
	st = run_capture(run, &spec, out, sizeof(out), &b);
	ck_assert_msg(st == 0, "status %d: %s", st, out);
	ck_assert_str_eq(out, want); /* not two files: /tmp is private */
	/* each one's /dev and /tmp are a directory of the scratch until it is torn down */
	ck_assert_int_eq(fstatat(sc1, a.id, &st_dir, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_int_eq(crowd_ctr_destroy(&a, &err), 0);
	ck_assert_int_eq(fstatat(sc1, a.id, &st_dir, AT_SYMLINK_NOFOLLOW), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(crowd_ctr_destroy(&b, &err), 0);
	ck_assert_int_eq(fstatat(sc1, b.id, &st_dir, AT_SYMLINK_NOFOLLOW), -1);
	ck_assert_int_eq(crowd_cg_run_close(run, &err), 0);
	/* Nothing of the template is mounted where the host sees it. */
	char mi[65536], abs[PATH_MAX];
	ck_assert_ptr_nonnull(realpath(rootfs, abs));
	ck_assert_int_gt(crowd_read_file("/proc/self/mountinfo", mi, sizeof(mi), &err), 0);
	ck_assert_ptr_null(strstr(mi, abs));
}
END_TEST

struct thread_pod {
	struct crowd_cg_run *run;
	struct crowd_pod *pod;
	int r;
	struct crowd_error err;
};

static void *pod_in_thread(void *arg)
{
	struct thread_pod *t = arg;
	struct crowd_ctr_spec spec;
	crowd_ctr_spec_init(&spec);
	t->r = crowd_pod_create(t->run, &spec, &t->pod, &t->err);
	return NULL;
}

/* A pod made by a thread that ends keeps its infra process: a member can still join. */
START_TEST(pod_survives_thread_exit)
{
	if (!root_ready("pod_survives_thread_exit"))
		return;
	struct crowd_error err = {0};
	struct thread_pod t = {0};
	struct crowd_ctr_spec spec;
	struct crowd_ctr ctr;
	char out[256];
	char *argv[] = {"/bin/hostname", NULL};
	pthread_t th;

	ck_assert_int_eq(crowd_cg_run_open(NULL, "thrpod", &t.run, &err), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, pod_in_thread, &t), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_msg(t.r == 0, "%s", t.err.msg);
	usleep(100000);
	crowd_ctr_spec_init(&spec);
	spec.rootfs = rootfs;
	spec.argv = argv;
	spec.pod = t.pod;
	int st = run_capture(t.run, &spec, out, sizeof(out), &ctr);
	ck_assert_msg(st == 0, "member: %d %s", st, out);
	ck_assert_str_eq(out, "crowd-pod\n");
	ck_assert_int_eq(crowd_ctr_destroy(&ctr, &err), 0);
	ck_assert_int_eq(crowd_pod_destroy(t.pod, &err), 0);
	ck_assert_int_eq(crowd_cg_run_close(t.run, &err), 0);
}
END_TEST

/* --rootless through the library: root inside maps to the caller outside. */
START_TEST(ctr_rootless_maps)
{
	if (!root_ready("ctr_rootless_maps"))
		return;
	struct crowd_error err = {0};
	struct crowd_ctr_spec spec;
	struct crowd_ctr ctr;
	char out[512];
	char *argv[] = {"/bin/sh", "-c", "cat /proc/self/uid_map /proc/self/setgroups; id -u",
			NULL};

	crowd_ctr_spec_init(&spec);
	spec.rootfs = rootfs;
	spec.argv = argv;
	spec.rootless = true;
	int st = run_capture(NULL, &spec, out, sizeof(out), &ctr);
	ck_assert_msg(st == 0, "status %d: %s", st, out);
	ck_assert_msg(strstr(out, "0          0          1") && strstr(out, "deny") &&
			  strstr(out, "\n0\n"),
		      "output: %s", out);
	ck_assert_int_eq(crowd_ctr_destroy(&ctr, &err), 0);
}
END_TEST

static Suite *core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, ns_parse_lists);
	tcase_add_test(tc, ns_parse_bad);
	tcase_add_test(tc, ns_format_roundtrip);
	tcase_add_test(tc, caps_parse_profiles);
	tcase_add_test(tc, uuid_format);
	tcase_add_test(tc, rootfs_check_rejects);
	tcase_add_test(tc, rmtree_no_follow);
	suite_add_tcase(s, tc);
	tc = tcase_create("registry");
	tcase_add_test(tc, registry_sweep_kills);
	tcase_add_test(tc, registry_sweep_spares_reused_pid);
	suite_add_tcase(s, tc);
	tc = tcase_create("containers");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ctr_start_pid1_phases);
	tcase_add_test(tc, ctr_ready_fd);
	tcase_add_test(tc, ctr_child_errors);
	tcase_add_test(tc, pod_members_share);
	tcase_add_test(tc, ctr_netns_own_and_maker_home);
	tcase_add_test(tc, ctr_start_after_fork);
	tcase_add_test(tc, ctr_rootless_maps);
	tcase_add_test(tc, ctr_survives_thread_exit);
	tcase_add_test(tc, ctr_durable_thread_clones_itself);
	tcase_add_test(tc, ctr_peek_exit_status);
	tcase_add_test(tc, rootfs_template_private_copies);
	tcase_add_test(tc, ctr_clone_fallbacks);
	tcase_add_test(tc, pod_survives_thread_exit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run_swept(core_suite(), "core");
}
