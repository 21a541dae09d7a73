/* crowd merge (harness/results/merge.c) and the OpenMetrics text: rows keep host and run_id,
 * pooled percentiles come from the raw samples of every host (checked against a hand
 * computation, and against the average of the hosts' medians it must not be), per-host
 * statistics sit beside them, bad input is refused naming the folder with nothing created. */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results/results.h"
#include "testutil.h"

static char tmpdir[64];

static void setup(void)
{
	crowd_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_merge");
}

static void teardown(void)
{
	crowd_test_rmtree(tmpdir);
}

/* A run folder tmpdir/name: n core/idle samples with spin-up v[i] microseconds, written as
 * host `host`, run `run_id`. */
static void write_run(const char *name, const char *host, const char *run_id, const double *v,
		      size_t n)
{
	struct crowd_sample s[8];
	char dir[128];
	struct crowd_error err = {0};
	ck_assert_uint_le(n, 8);
	for (size_t i = 0; i < n; i++) {
		crowd_sample_init(&s[i]);
		snprintf(s[i].backend, sizeof(s[i].backend), "core");
		snprintf(s[i].workload, sizeof(s[i].workload), "idle");
		s[i].index = (int)i;
		snprintf(s[i].id, sizeof(s[i].id), "%s-%zu", name, i);
		s[i].t_request_ns = 0;
		s[i].t_ready_ns = s[i].spinup_ns = (int64_t)(v[i] * 1000);
		s[i].pss_bytes = 4096;
	}
	struct crowd_run_output out = {.samples = s, .n = n, .host = host, .run_id = run_id};
	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, name);
	ck_assert_msg(crowd_results_write(dir, &out, NULL, &err) == 0, "%s", err.msg);
}

static const double va[] = {1, 2, 3}, vb[] = {10, 20}, vc[] = {100};

static void three_runs(void)
{
	write_run("a", "host-a", "run-a", va, 3);
	write_run("b", "host-b", "run-b", vb, 2);
	write_run("c", "host-c", "run-c", vc, 1);
}

static int merge3(const char *a, const char *b, const char *c, const char *out,
		  struct crowd_summary *sum, struct crowd_error *err)
{
	char d[3][128], o[128];
	snprintf(d[0], sizeof(d[0]), "%s/%s", tmpdir, a);
	snprintf(d[1], sizeof(d[1]), "%s/%s", tmpdir, b);
	snprintf(d[2], sizeof(d[2]), "%s/%s", tmpdir, c);
	snprintf(o, sizeof(o), "%s/%s", tmpdir, out);
	const char *dirs[] = {d[0], d[1], d[2]};
	return crowd_results_merge(dirs, 3, o, sum, err);
}

START_TEST(pooled_from_raw_samples)
{
	struct crowd_error err = {0};
	struct crowd_summary sum;
	three_runs();
	ck_assert_msg(merge3("a", "b", "c", "fleet", &sum, &err) == 0, "%s", err.msg);

	/* by hand: sorted spin-ups 1 2 3 10 20 100 us; type 7: p50 at h=2.5 -> 3+0.5*7 = 6.5,
	 * p90 at h=4.5 -> 20+0.5*80 = 60, p99 at h=4.95 -> 20+0.95*80 = 96 */
	const struct crowd_metric *m = crowd_metric_find("spinup_ns");
	const struct crowd_stats *st = crowd_summary_stats(crowd_summary_backend(&sum, "core"), m);
	ck_assert_ptr_nonnull(st);
	ck_assert_uint_eq(st->n, 6);
	ck_assert_double_eq_tol(st->p50, 6500, 1e-6);
	ck_assert_double_eq_tol(st->p90, 60000, 1e-6);
	ck_assert_double_eq_tol(st->p99, 96000, 1e-6);
	/* not the average of the hosts' medians (2, 15, 100 us) */
	ck_assert(fabs(st->p50 - (2000 + 15000 + 100000) / 3.0) > 1000);
	ck_assert(sum.fleet);

	/* read back: every row with its host and run id, the pooled summary */
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/fleet", tmpdir);
	struct crowd_results r;
	ck_assert_msg(crowd_results_read(dir, &r, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(r.n, 6);
	ck_assert_str_eq(r.extra[0].host, "host-a");
	ck_assert_str_eq(r.extra[0].run_id, "run-a");
	ck_assert_str_eq(r.extra[4].host, "host-b");
	ck_assert_str_eq(r.extra[5].run_id, "run-c");
	const char *hosts[8];
	ck_assert_uint_eq(crowd_results_hosts(&r, hosts, 8), 3);
	ck_assert_str_eq(hosts[2], "host-c");
	ck_assert(r.summary.fleet);
	ck_assert(r.host.fleet);
	st = crowd_summary_stats(crowd_summary_backend(&r.summary, "core"), m);
	ck_assert_double_eq_tol(st->p50, 6500, 1e-6);
	crowd_results_free(&r);

	/* per host: its own statistics and runs in summary.json, its host.json in host.json */
	char path[160];
	snprintf(path, sizeof(path), "%s/fleet/summary.json", tmpdir);
	json_t *j = json_load_file(path, 0, NULL);
	ck_assert_ptr_nonnull(j);
	json_t *hb = json_object_get(json_object_get(j, "hosts"), "host-b");
	json_t *p50 = json_object_get(
	    json_object_get(
		json_object_get(json_object_get(json_object_get(hb, "backends"), "core"),
				"metrics"),
		"spinup_ns"),
	    "p50");
	ck_assert_double_eq_tol(json_number_value(p50), 15000, 1e-6);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(hb, "runs"), 0)),
			 "run-b");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "results_version")),
			 CROWD_RESULTS_VERSION);
	json_decref(j);
	snprintf(path, sizeof(path), "%s/fleet/host.json", tmpdir);
	j = json_load_file(path, 0, NULL);
	json_t *ha = json_object_get(json_object_get(j, "hosts"), "host-a");
	ck_assert_str_eq(json_string_value(json_object_get(ha, "run_id")), "run-a");
	ck_assert_ptr_nonnull(json_object_get(ha, "kernel_release"));
	json_decref(j);

	/* a merge of merges keeps the rows; merging into an earlier merge replaces it */
	write_run("d", "host-d", "run-d", va, 2);
	ck_assert_msg(merge3("fleet", "d", "d", "fleet2", NULL, &err) == -EINVAL, "%s", err.msg);
	char d0[128], d1[128], o[128];
	snprintf(d0, sizeof(d0), "%s/fleet", tmpdir);
	snprintf(d1, sizeof(d1), "%s/d", tmpdir);
	snprintf(o, sizeof(o), "%s/fleet2", tmpdir);
	const char *dirs[] = {d0, d1};
	ck_assert_msg(crowd_results_merge(dirs, 2, o, &sum, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(sum.count, 8);
	ck_assert_msg(crowd_results_merge(dirs + 1, 1, o, &sum, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(sum.count, 2);
}
END_TEST

/* 0 when path does not exist. */
static int exists(const char *name)
{
	char path[160];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return stat(path, &st) == 0;
}

START_TEST(bad_input)
{
	struct crowd_error err = {0};
	three_runs();

	/* the same run twice */
	write_run("a2", "host-a", "run-a", va, 1);
	ck_assert_int_eq(merge3("a", "b", "a2", "out", NULL, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "/a2: run id run-a is also in ") != NULL, "%s", err.msg);
	ck_assert(!exists("out"));

	/* results versions that differ */
	char path[160];
	snprintf(path, sizeof(path), "%s/c/summary.json", tmpdir);
	json_t *j = json_load_file(path, 0, NULL);
	json_object_set_new(j, "results_version", json_integer(CROWD_RESULTS_VERSION + 1));
	json_dump_file(j, path, 0);
	json_decref(j);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(merge3("a", "b", "c", "out", NULL, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "/c: results version 2, but ") != NULL, "%s", err.msg);
	ck_assert(!exists("out"));

	/* a folder from before host and run_id (results version 0) */
	j = json_load_file(path, 0, NULL);
	json_object_del(j, "results_version");
	json_dump_file(j, path, 0);
	json_decref(j);
	ck_assert_int_eq(merge3("c", "a", "b", "out", NULL, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "/c: results version 0 has no host") != NULL, "%s", err.msg);

	/* not a results folder */
	ck_assert_int_eq(merge3("a", "b", "nope", "out", NULL, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "/nope") != NULL, "%s", err.msg);
	ck_assert(!exists("out"));

	/* --out: a folder that is not an earlier merge, or one of the inputs */
	ck_assert_int_eq(merge3("a", "b", "a2", "b", NULL, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "exists and is not an earlier merge") != NULL, "%s", err.msg);
	ck_assert_int_eq(crowd_results_merge(NULL, 0, tmpdir, NULL, &err), -EINVAL);
}
END_TEST

START_TEST(openmetrics_text)
{
	struct crowd_error err = {0};
	struct crowd_summary sum;
	three_runs();
	ck_assert_msg(merge3("a", "b", "c", "fleet", &sum, &err) == 0, "%s", err.msg);
	snprintf(sum.workload, sizeof(sum.workload), "id\"le\\");
	struct crowd_om_host h[] = {{"host-\"x\"", &sum}};
	char path[160];
	snprintf(path, sizeof(path), "%s/m.prom", tmpdir);
	ck_assert_msg(crowd_results_write_openmetrics(path, h, 1, &err) == 0, "%s", err.msg);
	FILE *f = fopen(path, "r");
	char buf[8192];
	size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	buf[len] = '\0';
	fclose(f);
	ck_assert_msg(strstr(buf, "# TYPE crowd_spinup_seconds summary\n"), "%s", buf);
	ck_assert_msg(strstr(buf, "crowd_spinup_seconds{backend=\"core\",workload=\"id\\\"le\\\\\","
				  "host=\"host-\\\"x\\\"\",quantile=\"0.5\"} 6.5e-06\n"),
		      "%s", buf);
	ck_assert_msg(strstr(buf, "quantile=\"0.9\"} 6e-05\n"), "%s", buf);
	ck_assert_msg(strstr(buf, "_count{backend=\"core\",workload=\"id\\\"le\\\\\",host=\"host-"
				  "\\\"x\\\"\"} 6\n"),
		      "%s", buf);
	ck_assert_msg(strstr(buf, "kind=\"pss\"} 4096\n"), "%s", buf);
	ck_assert_msg(strstr(buf, "status=\"ok\"} 6\n"), "%s", buf);
	ck_assert_msg(!strstr(buf, "crowd_density_max_containers"), "%s", buf);
	ck_assert_str_eq(buf + len - 6, "# EOF\n");
}
END_TEST

static Suite *merge_suite(void)
{
	Suite *s = suite_create("merge");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pooled_from_raw_samples);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, openmetrics_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(merge_suite());
}
