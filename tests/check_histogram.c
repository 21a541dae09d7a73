/* Histogram: bucket arithmetic and percentiles against known data within the documented bound
 * (exact percentile v <= reported <= v + v/128). */
#include <check.h>
#include <stdlib.h>

#include "load/histogram.h"
#include "testutil.h"

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Exact percentile by the same rank rule: the value at rank ceil(p/100*n). */
static int64_t exact(const int64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)__builtin_ceil(p / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

START_TEST(test_buckets_contiguous)
{
	for (size_t i = 0; i + 1 < CROWD_HIST_BUCKETS; i++) {
		ck_assert_int_eq(crowd_hist_bucket_high(i) + 1, crowd_hist_bucket_low(i + 1));
		ck_assert_uint_eq(crowd_hist_index(crowd_hist_bucket_low(i)), i);
		ck_assert_uint_eq(crowd_hist_index(crowd_hist_bucket_high(i)), i);
		int64_t lo = crowd_hist_bucket_low(i), hi = crowd_hist_bucket_high(i);
		/* Width bound: a bucket never spans more than 1/128 of its low value. */
		ck_assert_int_le((hi - lo) * 128, lo < 1 ? 0 : lo);
	}
	ck_assert_uint_eq(crowd_hist_index(-5), 0);
	ck_assert_uint_eq(crowd_hist_index(INT64_MAX), CROWD_HIST_BUCKETS - 1);
}
END_TEST

START_TEST(test_small_values_exact)
{
	static struct crowd_hist h;
	crowd_hist_init(&h);
	for (int i = 1; i <= 100; i++)
		crowd_hist_record(&h, i);
	ck_assert_uint_eq(h.n, 100);
	ck_assert_int_eq(crowd_hist_percentile(&h, 50), 50);
	ck_assert_int_eq(crowd_hist_percentile(&h, 90), 90);
	ck_assert_int_eq(crowd_hist_percentile(&h, 99), 99);
	ck_assert_int_eq(crowd_hist_percentile(&h, 100), 100);
	ck_assert_int_eq(crowd_hist_percentile(&h, 0), 1);
	ck_assert_double_eq_tol(crowd_hist_mean(&h), 50.5, 1e-9);
	/* sample stddev of 1..100 */
	ck_assert_double_eq_tol(crowd_hist_stddev(&h), 29.011491975882016, 1e-6);
}
END_TEST

START_TEST(test_random_within_bound)
{
	static struct crowd_hist h;
	enum { N = 100000 };
	static int64_t v[N];
	crowd_hist_init(&h);
	srandom(42);
	for (size_t i = 0; i < N; i++) {
		/* log-uniform between 1 us and 1 s */
		double e = 3.0 + 6.0 * (double)random() / (double)RAND_MAX;
		v[i] = (int64_t)__builtin_pow(10.0, e);
		crowd_hist_record(&h, v[i]);
	}
	qsort(v, N, sizeof(v[0]), cmp64);
	const double ps[] = {1, 10, 25, 50, 75, 90, 99, 99.9, 99.99};
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		int64_t want = exact(v, N, ps[i]);
		int64_t got = crowd_hist_percentile(&h, ps[i]);
		ck_assert_msg(got >= want && got <= want + want / 128, "p%g: got %lld, exact %lld",
			      ps[i], (long long)got, (long long)want);
	}
	ck_assert_int_eq(crowd_hist_percentile(&h, 100), v[N - 1]);
	ck_assert_int_eq(h.min_ns, v[0]);
}
END_TEST

START_TEST(test_merge)
{
	static struct crowd_hist a, b, all;
	crowd_hist_init(&a);
	crowd_hist_init(&b);
	crowd_hist_init(&all);
	for (int64_t i = 0; i < 5000; i++) {
		int64_t x = 1000 + i * 997;
		crowd_hist_record(i % 2 ? &a : &b, x);
		crowd_hist_record(&all, x);
	}
	crowd_hist_merge(&a, &b);
	ck_assert_uint_eq(a.n, all.n);
	ck_assert_int_eq(a.min_ns, all.min_ns);
	ck_assert_int_eq(a.max_ns, all.max_ns);
	for (double p = 1; p <= 100; p += 7)
		ck_assert_int_eq(crowd_hist_percentile(&a, p), crowd_hist_percentile(&all, p));
	static struct crowd_hist empty;
	crowd_hist_init(&empty);
	ck_assert_int_eq(crowd_hist_percentile(&empty, 50), 0);
	crowd_hist_merge(&empty, &all);
	ck_assert_int_eq(crowd_hist_percentile(&empty, 50), crowd_hist_percentile(&all, 50));
}
END_TEST

static Suite *histogram_suite(void)
{
	Suite *s = suite_create("histogram");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_buckets_contiguous);
	tcase_add_test(tc, test_small_values_exact);
	tcase_add_test(tc, test_random_within_bound);
	tcase_add_test(tc, test_merge);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(histogram_suite());
}
