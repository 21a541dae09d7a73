/* harness/results/history.c: one metric across results folders in time order, shared by
 * `crowd compare --history` and `crowd plot --history`. Uses the committed folders under
 * tests/data (run from the repository top). */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/history.h"
#include "testutil.h"

static char small[] = "tests/data/results-small";
static char after[] = "tests/data/results-small-after";
static char dens[] = "tests/data/results-small-density";

/* Newest first in, oldest first out; every backend with ok samples gets a row. */
START_TEST(test_order_and_rows)
{
	char *dirs[] = {dens, small, after};
	struct crowd_history h;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_history_compute(dirs, 3, NULL, NULL, &h, &err), 0);
	ck_assert_str_eq(h.metric->name, "spinup_ns");
	ck_assert_uint_eq(h.n_runs, 3);
	ck_assert(strstr(h.runs[0], "050000") != NULL);
	ck_assert(strstr(h.runs[1], "051500") != NULL);
	ck_assert(strstr(h.runs[2], "053000") != NULL);
	/* 6 backends in results-small, 3 in -after, 1 in -density */
	ck_assert_uint_eq(h.n, 10);
	ck_assert_uint_eq(h.n_backends, 6);
	ck_assert_str_eq(h.backends[0], "core");
	for (size_t i = 1; i < h.n; i++)
		ck_assert_uint_ge(h.rows[i].index, h.rows[i - 1].index);
	/* core of results-small: the median of its 8 ok spin-ups is summary.json's p50 */
	ck_assert_str_eq(h.rows[0].backend, "core");
	ck_assert_uint_eq(h.rows[0].st.n, 8);
	ck_assert_double_eq_tol(h.rows[0].st.p50, 3226038, 0.5);
	ck_assert(h.rows[0].st.ci95_lo <= h.rows[0].st.p50 && h.rows[0].st.p50 <= h.rows[0].st.ci95_hi);
	ck_assert(h.rows[0].st.p50 <= h.rows[0].st.p90 && h.rows[0].st.p90 <= h.rows[0].st.p99);
	/* runc has a failed row: 7 ok samples */
	for (size_t i = 0; i < h.n; i++)
		if (!strcmp(h.rows[i].backend, "runc"))
			ck_assert_uint_eq(h.rows[i].st.n, 7);
	crowd_history_free(&h);
	ck_assert_ptr_null(h.rows);
}
END_TEST

START_TEST(test_backend_and_metric)
{
	char *dirs[] = {small, after, dens};
	struct crowd_history h;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_history_compute(dirs, 3, crowd_metric_find("pss_bytes"), "crun", &h,
					       &err), 0);
	ck_assert_uint_eq(h.n, 2); /* crun ran in the first two */
	ck_assert_uint_eq(h.n_backends, 1);
	ck_assert_uint_eq(h.rows[0].index, 0);
	ck_assert_uint_eq(h.rows[1].index, 1);
	crowd_history_free(&h);
}
END_TEST

START_TEST(test_errors)
{
	char missing[] = "tests/data/no-such-folder";
	char *dirs[] = {small, missing};
	struct crowd_history h;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_history_compute(dirs, 2, NULL, NULL, &h, &err), -ENOENT);
	ck_assert(strstr(err.msg, "no-such-folder") != NULL);
	ck_assert_ptr_null(h.rows);
	ck_assert_int_eq(crowd_history_compute(dirs, 1, NULL, "lxc", &h, &err), -ENODATA);
	ck_assert(strstr(err.msg, "lxc") != NULL);
	ck_assert_int_eq(crowd_history_compute(dirs, 0, NULL, NULL, &h, &err), -EINVAL);
}
END_TEST

/* The data file: two header lines, then one row per backend in base units. */
START_TEST(test_write_data)
{
	char *dirs[] = {after};
	struct crowd_history h;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_history_compute(dirs, 1, NULL, NULL, &h, &err), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(crowd_history_write_data(f, &h, "process"), 0);
	fclose(f);
	ck_assert(strncmp(buf, "# crowd compare --history, metric spinup_ns (ns)\n"
			       "# index started run backend n p50 ci95_lo ci95_hi p90 p99\n",
			  strlen("# crowd compare --history, metric spinup_ns (ns)\n"
				 "# index started run backend n p50 ci95_lo ci95_hi p90 p99\n")) == 0);
	char *row = strchr(strchr(buf, '\n') + 1, '\n') + 1;
	unsigned idx;
	char started[64], run[128], backend[32];
	size_t n;
	double v[5];
	ck_assert_int_eq(sscanf(row, "%u %63s %127s %31s %zu %lf %lf %lf %lf %lf", &idx, started,
				run, backend, &n, &v[0], &v[1], &v[2], &v[3], &v[4]),
			 10);
	ck_assert_str_eq(backend, "process");
	ck_assert_str_eq(started, "2026-11-29T05:15:00Z");
	for (size_t i = 0; i < h.n; i++)
		if (!strcmp(h.rows[i].backend, "process"))
			ck_assert_double_eq(v[0], h.rows[i].st.p50);
	ck_assert_str_eq(strchr(row, '\n'), "\n"); /* one row: process only */
	free(buf);
	crowd_history_free(&h);
}
END_TEST

static Suite *history_suite(void)
{
	Suite *s = suite_create("history");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_order_and_rows);
	tcase_add_test(tc, test_backend_and_metric);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_write_data);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(history_suite());
}
