/* The CPU topology from the crowd-topo helper (harness/engine/topology.c): the line-format parser
 * on good, truncated, garbage and out-of-range input; running the real helper; a missing, failing
 * or garbling helper is an error with the reason, and host facts and placement then report the
 * topology unavailable. Each test forks (CK_FORK), so each starts with no topology read yet. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/host.h"
#include "engine/placement.h"
#include "testutil.h"
#include "engine/topology.h"

/* Output of the helper on a 2-package, 4-core, 8-PU host with two NUMA nodes. */
static const char good[] = "crowd-topo 1\n"
			   "packages 2\n"
			   "numa_nodes 2\n"
			   "cores 4\n"
			   "pus 8\n"
			   "cache 1 data 49152 4\n"
			   "cache 1 instruction 32768 4\n"
			   "cache 2 unified 2097152 4\n"
			   "cache 3 unified 314572800 2\n"
			   "core 0 0,4\n"
			   "core 0 1,5\n"
			   "core 1 2,6\n"
			   "core 1 3,7\n"
			   "pu 0 0\npu 4 0\npu 1 0\npu 5 0\npu 2 1\npu 6 1\npu 3 1\npu 7 1\n"
			   "end\n";

static struct crowd_topo topo; /* large: not on the stack */

static int parse(const char *text, struct crowd_error *err)
{
	memset(err, 0, sizeof(*err));
	return crowd_topo_parse(text, strlen(text), &topo, err);
}

/* good with the first occurrence of from replaced by to. */
static const char *edit(const char *from, const char *to)
{
	static char buf[2048];
	const char *at = strstr(good, from);
	ck_assert_ptr_nonnull(at);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	return buf;
}

START_TEST(test_parse_good)
{
	struct crowd_error err;
	ck_assert_int_eq(parse(good, &err), 0);
	ck_assert_int_eq(topo.packages, 2);
	ck_assert_int_eq(topo.numa_nodes, 2);
	ck_assert_int_eq(topo.cores, 4);
	ck_assert_int_eq(topo.pus, 8);
	ck_assert_uint_eq(topo.n_caches, 4);
	ck_assert_uint_eq(topo.caches[1].level, 1);
	ck_assert_str_eq(topo.caches[1].kind, "instruction");
	ck_assert_int_eq(topo.caches[3].size_bytes, 314572800);
	ck_assert_uint_eq(topo.caches[3].count, 2);
	ck_assert_int_eq(CPU_COUNT(&topo.core[2].cpus), 2);
	ck_assert(CPU_ISSET(2, &topo.core[2].cpus) && CPU_ISSET(6, &topo.core[2].cpus));
	ck_assert_int_eq(topo.core[2].node, 1);
	ck_assert_int_eq(CPU_COUNT(&topo.pu[1].cpus), 1);
	ck_assert(CPU_ISSET(4, &topo.pu[1].cpus));
	ck_assert_int_eq(topo.pu[7].node, 1);
	/* unknown NUMA node and cache size are -1 */
	ck_assert_int_eq(parse(edit("pu 7 1", "pu 7 -1"), &err), 0);
	ck_assert_int_eq(topo.pu[7].node, -1);
	ck_assert_int_eq(parse(edit("49152", "-1"), &err), 0);
	ck_assert_int_eq(topo.caches[0].size_bytes, -1);
}
END_TEST

START_TEST(test_parse_truncated)
{
	struct crowd_error err;
	/* every proper prefix of good is refused, whole lines or not */
	for (size_t n = 0; n < sizeof(good) - 1; n++) {
		memset(&err, 0, sizeof(err));
		int r = crowd_topo_parse(good, n, &topo, &err);
		ck_assert_msg(r == -EBADMSG, "prefix of %zu bytes: %d", n, r);
		ck_assert_msg(topo.pus == -1 || n > 0, "prefix %zu", n);
	}
	ck_assert_int_eq(crowd_topo_parse(good, sizeof(good) - 5, &topo, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "truncated: no 'end' line"));
	ck_assert_int_eq(crowd_topo_parse(good, sizeof(good) - 3, &topo, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "no newline"));
	/* a missing pu line: the counts disagree */
	ck_assert_int_eq(parse(edit("pu 7 1\n", ""), &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "4 core and 7 pu lines for 4 cores and 8 pus"));
	ck_assert_int_eq(parse(edit("numa_nodes 2\n", ""), &err), -EBADMSG);
	ck_assert_str_eq(err.msg, "no 'numa_nodes' line");
	ck_assert_int_eq(parse("", &err), -EBADMSG);
	ck_assert_str_eq(err.msg, "no output");
}
END_TEST

START_TEST(test_parse_garbage)
{
	static const struct {
		const char *from, *to, *why;
	} cases[] = {
	    {"crowd-topo 1", "hello world", "line 1: not crowd-topo output: starts with 'hello'"},
	    {"crowd-topo 1", "crowd-topo 2", "line 1: format version (crowd reads 1): '2'"},
	    {"cores 4", "cores four", "line 4: not a number: 'four'"},
	    {"cores 4", "cores 4x", "line 4: not a number: '4x'"},
	    {"cores 4", "cores 4 4", "line 4: expected one number after 'cores'"},
	    {"cores 4", "cores 0", "line 10: more core lines than cores"},
	    {"packages 2", "packages 2\npackages 2", "line 3: repeated 'packages'"},
	    {"cache 1 data", "cache 1 wet", "line 6: unknown cache kind 'wet'"},
	    {"cache 1 data 49152 4", "cache 1 data 49152", "line 6: expected 'cache LEVEL"},
	    {"core 0 0,4", "core 0 0,,", "line 10: bad PU list: '0,,'"},
	    {"core 0 0,4", "core 0 a,4", "line 10: not a number: 'a'"},
	    {"core 0 0,4", "core 0 ,4", "line 10: bad PU list: ',4'"},
	    {"pu 0 0", "pu 0", "line 14: expected 'pu OS NODE'"},
	    {"pu 0 0", "gpu 0 0", "line 14: unknown record 'gpu'"},
	    {"end\n", "end\nmore\n", "line 23: text after 'end'"},
	    {"end\n", "end\n\n", "line 23: text after 'end'"},
	    {"cores 4\n", "cores 4\n\n", "line 5: empty line"},
	    {"packages 2\n", "core 0 0\n", "line 2: before the cores and pus counts: 'core'"},
	    {"core 0 0,4\n", "pus 8\ncore 0 0,4\n", "line 10: repeated 'pus'"},
	};
	struct crowd_error err;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse(edit(cases[i].from, cases[i].to), &err);
		ck_assert_msg(r == -EBADMSG, "case %zu: %d %s", i, r, err.msg);
		ck_assert_msg(strstr(err.msg, cases[i].why) == err.msg, "case %zu: '%s', want '%s'",
			      i, err.msg, cases[i].why);
		ck_assert_int_eq(err.code, EBADMSG);
	}
	/* a NUL byte, and text that is not lines at all */
	static const char nul[] = "crowd-topo 1\n\0pus 1\nend\n";
	ck_assert_int_eq(crowd_topo_parse(nul, sizeof(nul) - 1, &topo, &err), -EBADMSG);
	ck_assert_str_eq(err.msg, "a NUL byte in the output");
	ck_assert_int_eq(parse("\x7f"
			       "ELF\x02\x01\x01",
			       &err),
			 -EBADMSG);
}
END_TEST

START_TEST(test_parse_overflow)
{
	static const struct {
		const char *from, *to, *why;
	} cases[] = {
	    {"pus 8", "pus 99999999999999999999", "line 5: out of range: '99999999999999999999'"},
	    {"pus 8", "pus 1025", "line 5: out of range: '1025'"},
	    {"pus 8", "pus 0", "line 5: out of range: '0'"},
	    {"cores 4", "cores -2", "line 4: out of range: '-2'"},
	    {"pu 7 1", "pu 1024 1", "line 21: out of range: '1024'"},
	    {"pu 7 1", "pu 7 4096", "line 21: out of range: '4096'"},
	    {"core 1 3,7", "core 1 3,70000", "line 13: out of range: '70000'"},
	    {"cache 1 data 49152", "cache 9 data 49152", "line 6: out of range: '9'"},
	    {"49152", "9223372036854775808", "line 6: out of range:"},
	    {"cache 1 data 49152 4", "cache 1 data 49152 0", "line 6: out of range: '0'"},
	};
	struct crowd_error err;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse(edit(cases[i].from, cases[i].to), &err);
		ck_assert_msg(r == -ERANGE, "case %zu: %d %s", i, r, err.msg);
		ck_assert_msg(strstr(err.msg, cases[i].why) == err.msg, "case %zu: '%s', want '%s'",
			      i, err.msg, cases[i].why);
	}
	/* more cache lines than the table holds */
	char many[4096];
	snprintf(many, sizeof(many), "%s", "crowd-topo 1\n");
	for (int i = 0; i < CROWD_TOPO_MAX_CACHES + 1; i++)
		strcat(many, "cache 2 unified 1024 1\n");
	ck_assert_int_eq(parse(many, &err), -ERANGE);
	ck_assert_str_eq(err.msg, "line 10: too many cache lines");
	/* a line longer than any the helper writes */
	static char longline[20000];
	memset(longline, '1', sizeof(longline) - 2);
	longline[sizeof(longline) - 2] = '\n';
	ck_assert_int_eq(parse(longline, &err), -EBADMSG);
	ck_assert_str_eq(err.msg, "line 1: line too long");
}
END_TEST

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The helper is found beside the test program (build/tests/crowd-topo -> ../crowd-topo). */
START_TEST(test_run_real_helper)
{
	char path[4096];
	struct crowd_error err = {0};
	unsetenv("CROWD_TOPO_HELPER");
	ck_assert_int_eq(crowd_topo_helper_path(path, sizeof(path), &err), 0);
	ck_assert_msg(access(path, X_OK) == 0, "%s: run make", path);
	ck_assert_ptr_nonnull(strstr(path, "/crowd-topo"));
	int fds = count_fds();
	ck_assert_int_eq(crowd_topo_run(path, &topo, &err), 0);
	ck_assert_int_eq(count_fds(), fds); /* pipes closed */
	ck_assert_int_eq(topo.pus, (int)sysconf(_SC_NPROCESSORS_CONF));
	ck_assert_int_ge(topo.cores, 1);
	ck_assert_int_ge(topo.packages, 1);
	int in_cores = 0;
	for (int i = 0; i < topo.cores; i++)
		in_cores += CPU_COUNT(&topo.core[i].cpus);
	ck_assert_int_eq(in_cores, topo.pus);
	/* crowd_topo_get: once, the same object */
	const struct crowd_topo *a = crowd_topo_get(&err), *b = crowd_topo_get(NULL);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_eq(a, b);
	ck_assert_int_eq(a->pus, topo.pus);
	setenv("CROWD_TOPO_HELPER", "/x/y", 1);
	ck_assert_int_eq(crowd_topo_helper_path(path, sizeof(path), &err), 0);
	ck_assert_str_eq(path, "/x/y");
}
END_TEST

static char dir[256];

/* An executable script dir/name with body; its path in a static buffer. */
static const char *script(const char *name, const char *body)
{
	char text[4096];
	ck_assert_int_lt(snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body), (int)sizeof(text));
	return crowd_test_write(dir, name, text, 0755);
}

START_TEST(test_run_broken_helpers)
{
	static const struct {
		const char *name, *body, *why;
	} cases[] = {
	    {"fails", "echo 'crowd-topo: hwloc_topology_load: nope' >&2; exit 3",
	     "exit status 3: crowd-topo: hwloc_topology_load: nope"},
	    {"silent-fail", "exit 1", "exit status 1"},
	    {"killed", "kill -9 $$", "killed by signal 9"},
	    {"empty", "exit 0", "bad output: no output"},
	    {"garbage", "echo hello",
	     "bad output: line 1: not crowd-topo output: starts with 'hello'"},
	    {"truncated", "printf 'crowd-topo 1\\npackages 1\\nnuma_nodes 1\\ncores 1\\npus 1\\n'",
	     "bad output: truncated: no 'end' line after line 5"},
	    {"zeros",
	     "printf 'crowd-topo 1\\npackages 0\\nnuma_nodes 0\\ncores 0\\npus 0\\nend\\n'",
	     "bad output: line 5: out of range: '0'"},
	    {"huge", "yes crowd-topo", "bad output: "}, /* stopped at 1 MiB, killed */
	};
	struct crowd_error err;
	crowd_test_mkdtemp(dir, sizeof(dir), "crowd-check-topo");
	int fds = count_fds();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = script(cases[i].name, cases[i].body);
		char want[1024];
		snprintf(want, sizeof(want), "topology helper %s: %s", path, cases[i].why);
		memset(&err, 0, sizeof(err));
		ck_assert_int_lt(crowd_topo_run(path, &topo, &err), 0);
		if (!strcmp(cases[i].name, "huge"))
			snprintf(want, sizeof(want), "topology helper %s: more than", path);
		ck_assert_msg(strstr(err.msg, want) == err.msg, "%s: '%s', want '%s'",
			      cases[i].name, err.msg, want);
		ck_assert_int_eq(topo.pus, -1);
		ck_assert_int_eq(topo.cores, -1);
		ck_assert_uint_eq(topo.n_caches, 0);
	}
	ck_assert_int_eq(count_fds(), fds);
	/* missing, and not executable */
	ck_assert_int_eq(crowd_topo_run("/nonexistent/crowd-topo", &topo, &err), -ENOENT);
	ck_assert_str_eq(err.msg,
			 "topology helper /nonexistent/crowd-topo: No such file or directory");
	const char *path = script("not-executable", "exit 0");
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(crowd_topo_run(path, &topo, &err), -EACCES);
	ck_assert_ptr_nonnull(strstr(err.msg, "not-executable: Permission denied"));
	path = script("not-a-program", "");
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("\x7f"
	      "ELF garbage",
	      f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(crowd_topo_run(path, &topo, &err), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err.msg, "not-a-program: Exec format error"));
	ck_assert_int_eq(count_fds(), fds);
	crowd_test_rmtree(dir);
}
END_TEST

START_TEST(test_host_and_placement_without_topology)
{
	static struct crowd_host h;
	struct crowd_config cfg;
	struct crowd_error err = {0};
	setenv("CROWD_TOPO_HELPER", "/nonexistent/crowd-topo", 1);
	ck_assert_ptr_null(crowd_topo_get(&err));
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_int_eq(crowd_host_probe(&h, NULL), 0);
	ck_assert_int_eq(h.pus, -1);
	ck_assert_int_eq(h.cores, -1);
	ck_assert_int_eq(h.packages, -1);
	ck_assert_uint_eq(h.n_caches, 0);
	ck_assert_str_eq(h.topology_error,
			 "topology helper /nonexistent/crowd-topo: No such file or directory");
	ck_assert_str_ne(h.kernel, ""); /* the rest is still probed */

	crowd_config_init(&cfg);
	ck_assert_int_eq(crowd_place_check(&cfg, &err), 0); /* none needs no topology */
	cfg.placement = CROWD_PLACE_COMPACT;
	cfg.count = 2;
	ck_assert_int_eq(crowd_place_check(&cfg, &err), -ENOENT);
	ck_assert_str_eq(err.msg,
			 "topology helper /nonexistent/crowd-topo: No such file or directory");
	cpu_set_t set;
	ck_assert_int_eq(crowd_place_cpus(&cfg, 0, &set), 0);
	ck_assert_int_eq(CPU_COUNT(&set), 0);
}
END_TEST

START_TEST(test_host_and_placement_with_topology)
{
	static struct crowd_host h;
	struct crowd_config cfg;
	struct crowd_error err = {0};
	unsetenv("CROWD_TOPO_HELPER");
	ck_assert_int_eq(crowd_host_probe(&h, NULL), 0);
	ck_assert_str_eq(h.topology_error, "");
	ck_assert_int_eq(h.pus, (int)sysconf(_SC_NPROCESSORS_CONF));
	ck_assert_int_ge(h.cores, 1);
	ck_assert_uint_ge(h.n_caches, 1);
	crowd_config_init(&cfg);
	cfg.placement = CROWD_PLACE_SPREAD;
	cfg.count = 2;
	ck_assert_int_eq(crowd_place_check(&cfg, &err), 0);
	cpu_set_t set;
	ck_assert_int_ge(crowd_place_cpus(&cfg, 0, &set), 1);
}
END_TEST

static Suite *topology_suite(void)
{
	Suite *s = suite_create("topology");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_parse_good);
	tcase_add_test(tc, test_parse_truncated);
	tcase_add_test(tc, test_parse_garbage);
	tcase_add_test(tc, test_parse_overflow);
	tcase_add_test(tc, test_run_real_helper);
	tcase_add_test(tc, test_run_broken_helpers);
	tcase_add_test(tc, test_host_and_placement_without_topology);
	tcase_add_test(tc, test_host_and_placement_with_topology);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(topology_suite());
}
