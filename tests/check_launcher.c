/* The launcher through the process backend, with tiny shell "workloads" in a scratch rootfs:
 * readiness and phase order, the -j window, timeouts, early exits, stop on failure, interrupt,
 * teardown leaving no process; and the placement and argv helpers. */
#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/launcher.h"
#include "engine/ports.h"
#include "engine/placement.h"
#include "testutil.h"

static char base[64];

/* <base>/<name>/bin/idle holding a shell script. */
static void make_rootfs(const char *name, const char *script)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", base, name);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s/bin", base, name);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s/bin/idle", base, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n%s\n", script);
	fclose(f);
	chmod(p, 0755);
}

static void setup(void)
{
	snprintf(base, sizeof(base), "/tmp/crowd-check-launcher.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	make_rootfs("ok", "echo x >&3\nexec sleep 30");
	make_rootfs("never", "exec sleep 30");
	make_rootfs("dies", "exit 3");
	char top[64];
	snprintf(top, sizeof(top), "crowd-check-launcher-%d", (int)getpid());
	setenv("CROWD_CGROUP_TOP", top, 1);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	ck_assert_int_eq(system(cmd), 0);
}

static char rootfs_path[128];

static void config(struct crowd_config *cfg, const char *rootfs, unsigned n, unsigned j)
{
	struct crowd_error err = {0};
	crowd_config_init(cfg);
	ck_assert_int_eq(crowd_workload_parse("idle", &cfg->workload, &err), 0);
	snprintf(rootfs_path, sizeof(rootfs_path), "%s/%s", base, rootfs);
	cfg->rootfs = rootfs_path;
	cfg->backends[0] = "process";
	cfg->n_backends = 1;
	cfg->count = n;
	cfg->concurrency = j;
	cfg->load = false;
}

START_TEST(ready_and_phases)
{
	struct crowd_config cfg;
	struct crowd_launch *l = NULL;
	struct crowd_error err = {0};
	config(&cfg, "ok", 6, 2);
	ck_assert_int_eq(crowd_launch_open(&cfg, 6, &l, &err), 0);
	ck_assert_int_eq(crowd_launch_grow(l, 6, false, &err), 0);
	ck_assert_uint_eq(l->n_insts, 6);
	ck_assert_uint_eq(l->n_ready, 6);
	ck_assert_uint_eq(l->n_failed, 0);
	pid_t pids[6];
	for (size_t k = 0; k < 6; k++) {
		const struct crowd_sample *s = &l->insts[k].sample;
		ck_assert_int_eq(s->index, (int)k);
		ck_assert_str_eq(s->backend, "process");
		ck_assert_str_eq(s->workload, "idle");
		ck_assert_int_eq(s->status, CROWD_STATUS_OK);
		ck_assert_int_ge(s->t_request_ns, 0);
		ck_assert_int_gt(s->t_clone_ns, s->t_request_ns);
		ck_assert_int_gt(s->t_ready_ns, s->t_clone_ns);
		ck_assert_int_eq(s->t_cgroup_ns, -1);
		ck_assert_int_eq(s->spinup_ns, s->t_ready_ns - s->t_request_ns);
		pids[k] = l->insts[k].pid;
		ck_assert_int_gt(pids[k], 0);
		ck_assert_int_eq(kill(pids[k], 0), 0);
	}
	ck_assert_int_eq(crowd_launch_measure(l, 0, &err), 0);
	ck_assert(l->have_mem_after);
	for (size_t k = 0; k < 6; k++)
		ck_assert_int_gt(l->insts[k].sample.rss_bytes, 0);
	ck_assert_int_eq(crowd_launch_teardown(l, &err), 0);
	for (size_t k = 0; k < 6; k++) {
		ck_assert_int_ge(l->insts[k].sample.teardown_ns, 0);
		ck_assert_int_eq(kill(pids[k], 0), -1);
		ck_assert_int_eq(errno, ESRCH);
	}
	crowd_launch_free(l);
}
END_TEST

/* At most -j instances between request and ready at any request time. */
static void check_window(unsigned j)
{
	struct crowd_config cfg;
	struct crowd_launch *l = NULL;
	struct crowd_error err = {0};
	config(&cfg, "ok", 8, j);
	ck_assert_int_eq(crowd_launch_open(&cfg, 8, &l, &err), 0);
	ck_assert_int_eq(crowd_launch_grow(l, 8, false, &err), 0);
	ck_assert_uint_eq(l->n_ready, 8);
	for (size_t k = 0; k < 8; k++) {
		unsigned busy = 0;
		int64_t t = l->insts[k].sample.t_request_ns;
		for (size_t m = 0; m < 8; m++)
			busy += l->insts[m].sample.t_request_ns <= t && t < l->insts[m].sample.t_ready_ns;
		ck_assert_uint_le(busy, j);
	}
	ck_assert_int_eq(crowd_launch_teardown(l, &err), 0);
	crowd_launch_free(l);
}

START_TEST(window_one)
{
	check_window(1);
}
END_TEST

START_TEST(window_three)
{
	check_window(3);
}
END_TEST

START_TEST(timeout_is_a_failed_row)
{
	struct crowd_config cfg;
	struct crowd_launch *l = NULL;
	struct crowd_error err = {0};
	config(&cfg, "never", 2, 2);
	ck_assert_int_eq(crowd_launch_open(&cfg, 2, &l, &err), 0);
	l->timeout_ns = 300000000;
	ck_assert_int_eq(crowd_launch_grow(l, 2, false, &err), 0);
	ck_assert_uint_eq(l->n_failed, 2);
	ck_assert_uint_eq(l->n_ready, 0);
	for (size_t k = 0; k < 2; k++) {
		ck_assert_int_eq(l->insts[k].sample.status, CROWD_STATUS_FAILED);
		ck_assert_ptr_nonnull(strstr(l->insts[k].sample.error, "not ready after 300 ms"));
	}
	ck_assert_int_eq(crowd_launch_teardown(l, &err), 0);
	crowd_launch_free(l);
}
END_TEST

START_TEST(early_exit_is_a_failed_row)
{
	struct crowd_config cfg;
	struct crowd_launch *l = NULL;
	struct crowd_error err = {0};
	config(&cfg, "dies", 3, 1);
	ck_assert_int_eq(crowd_launch_open(&cfg, 3, &l, &err), 0);
	ck_assert_int_eq(crowd_launch_grow(l, 3, false, &err), 0);
	ck_assert_uint_eq(l->n_failed, 3);
	ck_assert_ptr_nonnull(strstr(l->insts[0].sample.error, "exited 3"));
	ck_assert_int_eq(crowd_launch_teardown(l, &err), 0);
	crowd_launch_free(l);
}
END_TEST

/* core: a workload that exits before ready leaves its exit status in the row's error. */
START_TEST(core_exit_status)
{
	if (geteuid() != 0)
		CROWD_SKIP("needs root");
	const char *top = getenv("CROWD_TOP");
	char rfs[256];
	snprintf(rfs, sizeof(rfs), "%s/build/rootfs", top ? top : ".");
	char mem[300];
	snprintf(mem, sizeof(mem), "%s/bin/mem", rfs);
	if (access(mem, X_OK) < 0)
		CROWD_SKIP("%s missing (make)", mem);
	struct crowd_config cfg;
	struct crowd_launch *l = NULL;
	struct crowd_error err = {0};
	crowd_config_init(&cfg);
	ck_assert_int_eq(crowd_workload_parse("mem", &cfg.workload, &err), 0);
	/* An unknown option: mem exits 2 (usage) before writing to its ready fd. */
	for (size_t i = 1; cfg.workload.argv[i]; i++) {
		free(cfg.workload.argv[i]);
		cfg.workload.argv[i] = NULL;
	}
	cfg.workload.argv[1] = strdup("--no-such-option");
	cfg.rootfs = rfs;
	cfg.backends[0] = "core";
	cfg.n_backends = 1;
	cfg.count = 2;
	cfg.concurrency = 1;
	cfg.load = false;
	ck_assert_int_eq(crowd_launch_open(&cfg, 2, &l, &err), 0);
	ck_assert_int_eq(crowd_launch_grow(l, 2, false, &err), 0);
	ck_assert_uint_eq(l->n_failed, 2);
	ck_assert_msg(strstr(l->insts[0].sample.error, "exited with status 2 before ready"),
		      "error: %s", l->insts[0].sample.error);
	ck_assert_int_eq(crowd_launch_teardown(l, &err), 0);
	crowd_launch_free(l);
	crowd_workload_inst_free(&cfg.workload);
}
END_TEST

/* A workload whose port is taken by another program before it binds: the row says so. The
 * fake httpd starts such a program on its --port (in its process group, so stop kills it)
 * and exits 1. */
START_TEST(port_taken_blamed)
{
	if (access("/usr/bin/python3", X_OK) < 0)
		CROWD_SKIP("no /usr/bin/python3");
	char p[256];
	snprintf(p, sizeof(p), "%s/race/bin/httpd", base);
	make_rootfs("race", "");
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
		"#!/bin/sh\n"
		"/usr/bin/python3 -c 'import socket, sys, time\n"
		"s = socket.socket(); s.bind((\"0.0.0.0\", int(sys.argv[1]))); s.listen(1)\n"
		"open(sys.argv[2], \"w\").close(); time.sleep(30)' \"$2\" %s/race/held.$2 3>&- &\n"
		"while [ ! -e %s/race/held.$2 ]; do sleep 0.05; done\n"
		"exit 1\n",
		base, base);
	fclose(f);
	chmod(p, 0755);
	struct crowd_config cfg;
	struct crowd_launch *l = NULL;
	struct crowd_error err = {0};
	config(&cfg, "race", 1, 1);
	crowd_workload_inst_free(&cfg.workload);
	ck_assert_int_eq(crowd_workload_parse("httpd", &cfg.workload, &err), 0);
	ck_assert_int_eq(crowd_launch_open(&cfg, 1, &l, &err), 0);
	ck_assert_int_eq(crowd_launch_grow(l, 1, false, &err), 0);
	ck_assert_uint_eq(l->n_failed, 1);
	ck_assert_msg(strstr(l->insts[0].sample.error, "is taken by another program"), "error: %s",
		      l->insts[0].sample.error);
	ck_assert_int_eq(crowd_launch_teardown(l, &err), 0);
	crowd_launch_free(l);
	crowd_workload_inst_free(&cfg.workload);
}
END_TEST

START_TEST(stop_on_failure)
{
	struct crowd_config cfg;
	struct crowd_launch *l = NULL;
	struct crowd_error err = {0};
	config(&cfg, "dies", 5, 1);
	ck_assert_int_eq(crowd_launch_open(&cfg, 5, &l, &err), 0);
	l->stop_on_failure = true;
	ck_assert_int_eq(crowd_launch_grow(l, 5, false, &err), -ECANCELED);
	ck_assert_uint_eq(l->n_insts, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "exited 3"));
	ck_assert_int_eq(crowd_launch_teardown(l, &err), 0);
	crowd_launch_free(l);
}
END_TEST

START_TEST(interrupt_marks_rows)
{
	struct crowd_config cfg;
	struct crowd_launch *l = NULL;
	struct crowd_error err = {0};
	config(&cfg, "ok", 5, 1);
	ck_assert_int_eq(crowd_launch_open(&cfg, 5, &l, &err), 0);
	crowd_launch_interrupt(l);
	ck_assert_int_eq(crowd_launch_grow(l, 5, true, &err), -EINTR);
	ck_assert(l->interrupted);
	ck_assert_uint_eq(l->n_insts, 5);
	for (size_t k = 0; k < 5; k++)
		ck_assert_int_eq(l->insts[k].sample.status, CROWD_STATUS_INTERRUPTED);
	ck_assert_uint_eq(l->be[0].interrupted, 5);
	ck_assert_int_eq(crowd_launch_teardown(l, &err), 0);
	crowd_launch_free(l);
}
END_TEST

START_TEST(grow_in_steps)
{
	struct crowd_config cfg;
	struct crowd_launch *l = NULL;
	struct crowd_error err = {0};
	config(&cfg, "ok", 6, 2);
	ck_assert_int_eq(crowd_launch_open(&cfg, 6, &l, &err), 0);
	ck_assert_int_eq(crowd_launch_grow(l, 2, false, &err), 0);
	ck_assert_uint_eq(l->n_ready, 2);
	ck_assert_int_eq(crowd_launch_grow(l, 6, false, &err), 0);
	ck_assert_uint_eq(l->n_ready, 6);
	ck_assert_int_eq(l->insts[5].sample.index, 5);
	/* Capacity bounds the rows. */
	ck_assert_int_eq(crowd_launch_grow(l, 9, false, &err), 0);
	ck_assert_uint_eq(l->n_insts, 6);
	ck_assert_int_eq(crowd_launch_teardown(l, &err), 0);
	crowd_launch_free(l);
}
END_TEST

START_TEST(unknown_backends_only)
{
	struct crowd_config cfg;
	struct crowd_launch *l = NULL;
	struct crowd_error err = {0};
	config(&cfg, "ok", 1, 1);
	snprintf(rootfs_path, sizeof(rootfs_path), "%s/nothing-here", base);
	ck_assert_int_eq(crowd_launch_open(&cfg, 1, &l, &err), -ENODEV);
	ck_assert_ptr_nonnull(strstr(err.msg, "process: workload binary"));
	ck_assert_ptr_null(l);
}
END_TEST

START_TEST(argv_port)
{
	struct crowd_config cfg;
	struct crowd_error err = {0};
	crowd_config_init(&cfg);
	ck_assert_int_eq(crowd_workload_parse("httpd", &cfg.workload, &err), 0);
	char *argv[8], buf[256];
	ck_assert_int_eq(
	    crowd_workload_argv(&cfg.workload, "/r", 20007, argv, 8, buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(argv[0], "/r/bin/httpd");
	ck_assert_str_eq(argv[1], "--port");
	ck_assert_str_eq(argv[2], "20007");
	ck_assert_ptr_null(argv[3]);
	ck_assert_int_eq(
	    crowd_workload_argv(&cfg.workload, NULL, 0, argv, 8, buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(argv[0], "/bin/httpd");
	ck_assert_str_eq(argv[2], "8080");
	crowd_workload_inst_free(&cfg.workload);
}
END_TEST

/* Claims are distinct while held, and skip a port someone else has bound. */
START_TEST(port_claims)
{
	unsigned first = crowd_ports_claim();
	ck_assert_uint_ge(first, 20000);
	crowd_ports_release(first);
	/* Bind the next port the cursor would try, as another service would. */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
	unsigned busy = 0;
	for (unsigned p = first + 1; p < first + 50 && !busy; p++) {
		a.sin_port = htons((uint16_t)p);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			busy = p;
	}
	ck_assert_uint_ne(busy, 0);
	ck_assert(!crowd_ports_unbound(busy));
	unsigned got[64];
	for (unsigned i = 0; i < 64; i++) {
		got[i] = crowd_ports_claim();
		ck_assert_uint_ge(got[i], 20000);
		ck_assert_uint_ne(got[i], busy);
		for (unsigned j = 0; j < i; j++)
			ck_assert_uint_ne(got[i], got[j]);
	}
	for (unsigned i = 0; i < 64; i++)
		crowd_ports_release(got[i]);
	close(fd);
}
END_TEST

START_TEST(placement)
{
	struct crowd_config cfg;
	crowd_config_init(&cfg);
	cpu_set_t a, b;
	ck_assert_int_eq(crowd_place_cpus(&cfg, 0, &a), 0); /* none */
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cfg.placement = CROWD_PLACE_SPREAD;
	cfg.count = 8;
	int c0 = crowd_place_cpus(&cfg, 0, &a);
	ck_assert_int_ge(c0, 1);
	/* Round-robin over cores: i and i + cores share a core; with 2+ cores, 0 and 1 do not. */
	int cores = 0;
	for (int i = 1; i < 64 && !cores; i++) {
		crowd_place_cpus(&cfg, i, &b);
		if (CPU_EQUAL(&a, &b))
			cores = i;
	}
	ck_assert_int_ge(cores, 1);
	ck_assert_int_le(cores, n);
	struct crowd_cg_limits lim = CROWD_CG_LIMITS_NONE;
	ck_assert_int_eq(crowd_place_limits(&cfg, 0, &lim), c0);
	ck_assert_str_ne(lim.cpuset_cpus, "");
	ck_assert_str_ne(lim.cpuset_mems, "");
	/* Compact: ceil(8 / PUs) consecutive instances on one PU. */
	cfg.placement = CROWD_PLACE_COMPACT;
	ck_assert_int_eq(crowd_place_cpus(&cfg, 0, &a), 1);
	crowd_place_cpus(&cfg, 1, &b);
	if (n <= 4)
		ck_assert(CPU_EQUAL(&a, &b));
	crowd_place_cpus(&cfg, 7, &b);
	if (n >= 2)
		ck_assert(!CPU_EQUAL(&a, &b));
	ck_assert_str_eq(crowd_place_name(CROWD_PLACE_COMPACT), "compact");
}
END_TEST


/* Teardown runs on a pool of workers: every instance stopped and reaped, each timed on its own
 * within the whole teardown's wall time, the count of stopped ones exact. */
START_TEST(parallel_teardown)
{
	struct crowd_config cfg;
	struct crowd_launch *l = NULL;
	struct crowd_error err = {0};
	enum { N = 40 };
	config(&cfg, "ok", N, 4);
	ck_assert_int_eq(crowd_launch_open(&cfg, N, &l, &err), 0);
	ck_assert_int_eq(crowd_launch_grow(l, N, false, &err), 0);
	ck_assert_uint_eq(l->n_ready, N);
	pid_t pids[N];
	for (size_t k = 0; k < N; k++)
		pids[k] = l->insts[k].pid;
	ck_assert_int_eq(crowd_launch_teardown(l, &err), 0);
	ck_assert_uint_eq(l->n_stopped, N);
	ck_assert_uint_gt(l->teardown_workers, 1);
	ck_assert_uint_le(l->teardown_workers, N);
	ck_assert_int_gt(l->teardown_wall_ns, 0);
	for (size_t k = 0; k < N; k++) {
		ck_assert(l->insts[k].stopped);
		ck_assert_int_ge(l->insts[k].sample.teardown_ns, 0);
		ck_assert_int_le(l->insts[k].sample.teardown_ns, l->teardown_wall_ns);
		ck_assert_int_eq(kill(pids[k], 0), -1);
		ck_assert_int_eq(errno, ESRCH);
	}
	/* a second teardown finds nothing to stop */
	ck_assert_int_eq(crowd_launch_teardown(l, &err), 0);
	ck_assert_uint_eq(l->n_stopped, N);
	crowd_launch_free(l);
}
END_TEST

static Suite *launcher_suite(void)
{
	Suite *s = suite_create("launcher");
	TCase *tc = tcase_create("process");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ready_and_phases);
	tcase_add_test(tc, window_one);
	tcase_add_test(tc, window_three);
	tcase_add_test(tc, timeout_is_a_failed_row);
	tcase_add_test(tc, early_exit_is_a_failed_row);
	tcase_add_test(tc, stop_on_failure);
	tcase_add_test(tc, core_exit_status);
	tcase_add_test(tc, port_taken_blamed);
	tcase_add_test(tc, interrupt_marks_rows);
	tcase_add_test(tc, grow_in_steps);
	tcase_add_test(tc, unknown_backends_only);
	tcase_add_test(tc, parallel_teardown);
	suite_add_tcase(s, tc);
	TCase *h = tcase_create("helpers");
	tcase_add_test(h, argv_port);
	tcase_add_test(h, port_claims);
	tcase_add_test(h, placement);
	suite_add_tcase(s, h);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(launcher_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
