/* Statistics against known inputs, CI coverage and false-positive rate on synthetic data. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/stats.h"
#include "testutil.h"

#define EPS 1e-9

START_TEST(percentile_type7)
{
	double x[] = {10, 1, 4, 3, 2}; /* sorted: 1 2 3 4 10 */
	ck_assert_double_eq_tol(crowd_stats_percentile(x, 5, 0), 1, EPS);
	ck_assert_double_eq_tol(crowd_stats_percentile(x, 5, 50), 3, EPS);
	ck_assert_double_eq_tol(crowd_stats_percentile(x, 5, 90), 7.6, EPS);  /* 4 + .6*6 */
	ck_assert_double_eq_tol(crowd_stats_percentile(x, 5, 99), 9.76, EPS); /* 4 + .96*6 */
	ck_assert_double_eq_tol(crowd_stats_percentile(x, 5, 100), 10, EPS);
	double e[] = {4, 1, 3, 2};
	ck_assert_double_eq_tol(crowd_stats_median(e, 4), 2.5, EPS);
	ck_assert_double_eq_tol(crowd_stats_percentile(e, 4, 25), 1.75, EPS);
	double one[] = {42};
	ck_assert_double_eq_tol(crowd_stats_percentile(one, 1, 99), 42, EPS);
	ck_assert(isnan(crowd_stats_percentile(one, 0, 50)));
	/* the input is not reordered */
	ck_assert_double_eq(x[0], 10);
}
END_TEST

START_TEST(mean_stddev_summary)
{
	double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
	struct crowd_stats s;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_stats_summarize(x, 8, 1, &s, &err), 0);
	ck_assert_uint_eq(s.n, 8);
	ck_assert_double_eq_tol(s.mean, 5, EPS);
	ck_assert_double_eq_tol(s.stddev, sqrt(32.0 / 7), EPS);
	ck_assert_double_eq_tol(s.min, 2, EPS);
	ck_assert_double_eq_tol(s.max, 9, EPS);
	ck_assert_double_eq_tol(s.p50, 4.5, EPS);
	ck_assert(s.ci95_lo <= s.p50 && s.p50 <= s.ci95_hi);
	ck_assert(s.ci95_lo >= 2 && s.ci95_hi <= 9);
	ck_assert_double_eq_tol(crowd_stats_stddev(x, 1), 0, EPS);
	ck_assert_int_eq(crowd_stats_summarize(x, 0, 1, &s, &err), -EINVAL);
}
END_TEST

START_TEST(jain)
{
	double eq[] = {5, 5, 5, 5}, one[] = {1, 0, 0, 0}, abc[] = {1, 2, 3};
	ck_assert_double_eq_tol(crowd_stats_jain(eq, 4), 1, EPS);
	ck_assert_double_eq_tol(crowd_stats_jain(one, 4), 0.25, EPS);
	ck_assert_double_eq_tol(crowd_stats_jain(abc, 3), 36.0 / 42, EPS);
	ck_assert(isnan(crowd_stats_jain(abc, 0)));
}
END_TEST

START_TEST(mwu_exact_hand)
{
	struct crowd_mwu m;
	struct crowd_error err = {0};
	double a[] = {1, 2, 3}, b[] = {4, 5, 6};
	ck_assert_int_eq(crowd_stats_mann_whitney(a, 3, b, 3, &m, &err), 0);
	ck_assert_int_eq(m.exact, 1);
	ck_assert_double_eq_tol(m.u, 0, EPS);
	ck_assert_double_eq_tol(m.p, 0.1, EPS); /* 2 * 1/C(6,3) */
	double c[] = {1, 2, 4}, d[] = {3, 5, 6};
	ck_assert_int_eq(crowd_stats_mann_whitney(c, 3, d, 3, &m, &err), 0);
	ck_assert_double_eq_tol(m.u, 1, EPS);
	ck_assert_double_eq_tol(m.p, 0.2, EPS); /* 2 * 2/20 */
	/* symmetric: U of the other side is m*n - U, same p */
	ck_assert_int_eq(crowd_stats_mann_whitney(d, 3, c, 3, &m, &err), 0);
	ck_assert_double_eq_tol(m.u, 8, EPS);
	ck_assert_double_eq_tol(m.p, 0.2, EPS);
}
END_TEST

START_TEST(mwu_ties_normal)
{
	/* By hand: ranks 1,3,3,6 for a (the three 2s share rank 3); U = 13 - 10 = 3; mu = 8;
	 * var = 16/12 * (9 - 24/56); z = (3 - 8 + .5)/sqrt(var) = -1.33112; p = 0.18315. */
	double a[] = {1, 2, 2, 4}, b[] = {2, 3, 5, 6};
	struct crowd_mwu m;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_stats_mann_whitney(a, 4, b, 4, &m, &err), 0);
	ck_assert_int_eq(m.exact, 0);
	ck_assert_double_eq_tol(m.u, 3, EPS);
	ck_assert_double_eq_tol(m.z, -1.3311179511974136, 1e-9);
	ck_assert_double_eq_tol(m.p, 0.183150203156622, 1e-9);
	double s[] = {7, 7, 7};
	ck_assert_int_eq(crowd_stats_mann_whitney(s, 3, s, 3, &m, &err), 0);
	ck_assert_double_eq_tol(m.p, 1, EPS);
}
END_TEST

/* 200 draws of 101 N(0,1) values: the 95% CI of the median covers 0 in ~90-99% of them. */
START_TEST(median_ci_coverage)
{
	struct crowd_rng r;
	struct crowd_error err = {0};
	double x[101];
	unsigned covered = 0, draws = 200;
	crowd_rng_seed(&r, 12345);
	for (unsigned d = 0; d < draws; d++) {
		for (unsigned i = 0; i < 101; i++)
			x[i] = crowd_rng_normal(&r);
		double lo, hi;
		ck_assert_int_eq(crowd_stats_median_ci(x, 101, 1000, 0.95, d, &lo, &hi, &err), 0);
		ck_assert(lo <= hi);
		covered += lo <= 0 && 0 <= hi;
	}
	double cov = (double)covered / draws;
	printf("median CI coverage: %.3f\n", cov);
	ck_assert_msg(cov >= 0.88 && cov <= 0.995, "coverage %.3f", cov);
}
END_TEST

START_TEST(rng_reproducible)
{
	struct crowd_rng a, b;
	crowd_rng_seed(&a, 7);
	crowd_rng_seed(&b, 7);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(crowd_rng_next(&a), crowd_rng_next(&b));
	double mean = 0;
	for (int i = 0; i < 100000; i++)
		mean += crowd_rng_uniform(&a);
	ck_assert_double_eq_tol(mean / 100000, 0.5, 0.01);
}
END_TEST

static void lognormal(struct crowd_rng *r, double *x, size_t n, double median, double sigma)
{
	for (size_t i = 0; i < n; i++)
		x[i] = median * exp(sigma * crowd_rng_normal(r));
}

START_TEST(compare_verdicts)
{
	struct crowd_rng r;
	struct crowd_error err = {0};
	struct crowd_stats_cmp c;
	double old[100], new_[100];
	crowd_rng_seed(&r, 99);
	/* 10% slower: regressed; for rps (higher is better) the same shift is an improvement */
	lognormal(&r, old, 100, 1e6, 0.1);
	lognormal(&r, new_, 100, 1.1e6, 0.1);
	ck_assert_int_eq(crowd_stats_compare(old, 100, new_, 100, false, 0.05, 1, &c, &err), 0);
	ck_assert_str_eq(crowd_verdict_name(c.verdict), "regressed");
	ck_assert(c.ratio_lo > 1 && c.ratio > 1.05 && c.ratio < 1.15);
	ck_assert(c.p < 0.01);
	ck_assert_int_eq(crowd_stats_compare(old, 100, new_, 100, true, 0.05, 1, &c, &err), 0);
	ck_assert_int_eq(c.verdict, CROWD_VERDICT_IMPROVED);
	/* 10% faster: improved */
	ck_assert_int_eq(crowd_stats_compare(new_, 100, old, 100, false, 0.05, 1, &c, &err), 0);
	ck_assert_int_eq(c.verdict, CROWD_VERDICT_IMPROVED);
	/* identical samples: no change, ratio exactly 1 */
	ck_assert_int_eq(crowd_stats_compare(old, 100, old, 100, false, 0.05, 1, &c, &err), 0);
	ck_assert_int_eq(c.verdict, CROWD_VERDICT_NO_CHANGE);
	ck_assert_double_eq_tol(c.ratio, 1, EPS);
	/* a 3% shift is real but under the 5% threshold: no change */
	lognormal(&r, new_, 100, 1.03e6, 0.01);
	lognormal(&r, old, 100, 1e6, 0.01);
	ck_assert_int_eq(crowd_stats_compare(old, 100, new_, 100, false, 0.05, 1, &c, &err), 0);
	ck_assert(c.ratio_lo > 1);
	ck_assert_int_eq(c.verdict, CROWD_VERDICT_NO_CHANGE);
	/* noisy n=5 with a 10% shift: the data cannot support a verdict */
	lognormal(&r, old, 5, 1e6, 0.5);
	lognormal(&r, new_, 5, 1.1e6, 0.5);
	ck_assert_int_eq(crowd_stats_compare(old, 5, new_, 5, false, 0.05, 1, &c, &err), 0);
	ck_assert_int_eq(c.verdict, CROWD_VERDICT_NO_CHANGE);
	ck_assert(c.ratio_lo < 1 && c.ratio_hi > 1);
}
END_TEST

/* Same distribution, many pairs: with threshold 0 the CI alone decides, so the false-positive
 * rate must stay near 5%; with the default 5% threshold it must be lower still. */
START_TEST(compare_false_positive_rate)
{
	struct crowd_rng r;
	struct crowd_error err = {0};
	struct crowd_stats_cmp c;
	double old[50], new_[50];
	unsigned pairs = 300, flagged0 = 0, flagged5 = 0;
	crowd_rng_seed(&r, 2026);
	for (unsigned i = 0; i < pairs; i++) {
		lognormal(&r, old, 50, 1e6, 0.2);
		lognormal(&r, new_, 50, 1e6, 0.2);
		ck_assert_int_eq(crowd_stats_compare(old, 50, new_, 50, false, 0, i, &c, &err), 0);
		flagged0 += c.verdict != CROWD_VERDICT_NO_CHANGE;
		ck_assert_int_eq(crowd_stats_compare(old, 50, new_, 50, false, 0.05, i, &c, &err),
				 0);
		flagged5 += c.verdict != CROWD_VERDICT_NO_CHANGE;
	}
	double fp0 = (double)flagged0 / pairs, fp5 = (double)flagged5 / pairs;
	printf("false positives: threshold 0: %.3f, threshold 5%%: %.3f\n", fp0, fp5);
	ck_assert_msg(fp0 <= 0.10, "false-positive rate %.3f at threshold 0", fp0);
	ck_assert(fp5 <= fp0);
}
END_TEST

START_TEST(compare_zero_medians)
{
	struct crowd_error err = {0};
	struct crowd_stats_cmp c;
	double z[] = {0, 0, 0, 0, 0, 0}, nz[] = {5, 6, 7, 8, 9, 10};
	ck_assert_int_eq(crowd_stats_compare(z, 6, z, 6, false, 0.05, 1, &c, &err), 0);
	ck_assert_int_eq(c.verdict, CROWD_VERDICT_NO_CHANGE);
	ck_assert_double_eq(c.ratio, 1);
	ck_assert_int_eq(crowd_stats_compare(z, 6, nz, 6, false, 0.05, 1, &c, &err), 0);
	ck_assert_int_eq(c.verdict, CROWD_VERDICT_REGRESSED);
	ck_assert(isinf(c.ratio));
}
END_TEST

/* Difference of medians: a sample shifted by 300 gives 300, inside the CI and the CI excludes 0;
 * two samples from one distribution give a CI holding 0 in ~95% of 100 draws; no samples is
 * -EINVAL. */
START_TEST(diff_ci_shift_and_null)
{
	struct crowd_rng r;
	struct crowd_error err = {0};
	double a[200], b[200], d, lo, hi;
	crowd_rng_seed(&r, 99);
	lognormal(&r, a, 200, 1000, 0.1);
	for (int i = 0; i < 200; i++)
		b[i] = a[i] + 300;
	ck_assert_int_eq(crowd_stats_diff_ci(a, 200, b, 200, 2000, 0.95, 1, &d, &lo, &hi, &err), 0);
	ck_assert_double_eq_tol(d, 300, 1e-9);
	ck_assert_msg(lo <= 300 && 300 <= hi && lo > 0, "shift 300: %.1f [%.1f, %.1f]", d, lo, hi);
	unsigned covered = 0, draws = 100;
	for (unsigned k = 0; k < draws; k++) {
		lognormal(&r, a, 101, 1000, 0.2);
		lognormal(&r, b, 101, 1000, 0.2);
		ck_assert_int_eq(
		    crowd_stats_diff_ci(a, 101, b, 101, 1000, 0.95, k, &d, &lo, &hi, &err), 0);
		ck_assert(lo <= d && d <= hi);
		covered += lo <= 0 && 0 <= hi;
	}
	printf("difference CI holds 0 in %u of %u null draws\n", covered, draws);
	ck_assert_msg(covered >= 85, "null coverage %u/%u", covered, draws);
	ck_assert_int_eq(crowd_stats_diff_ci(a, 0, b, 10, 100, 0.95, 1, &d, &lo, &hi, &err),
			 -EINVAL);
}
END_TEST

START_TEST(mwu_stratified)
{
	/* One round is the plain test without continuity correction: same |z| up to it. */
	double a[] = {1, 2, 2, 4}, b[] = {2, 3, 5, 6};
	const double *as[] = {a}, *bs[] = {b};
	size_t na[] = {4}, nb[] = {4};
	struct crowd_mwu m;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_stats_mann_whitney_strat(as, na, bs, nb, 1, &m, &err), 0);
	ck_assert_double_eq_tol(m.z, -5 / sqrt(16.0 / 12 * (9 - 24.0 / 56)), 1e-9);
	/* Two rounds far apart in level but the same order inside: the pooled test sees
	 * nothing (the levels mix), the stratified one sees b above a in both. */
	double a1[20], b1[20], a2[20], b2[20];
	for (int i = 0; i < 20; i++) {
		a1[i] = i;
		b1[i] = i + 10.5;
		a2[i] = 1000 + i + 10.5;
		b2[i] = 1000 + i;
	}
	const double *A[] = {a1, b2}, *B[] = {b1, a2};
	size_t n20[] = {20, 20};
	ck_assert_int_eq(crowd_stats_mann_whitney_strat(A, n20, B, n20, 2, &m, &err), 0);
	ck_assert(m.p < 0.001);
	ck_assert(m.z < 0);
}
END_TEST

/* Interleaved rounds where the machine's load shifts each side of each round by its own
 * factor (sd 10%), and no true change: pooling every round into one sample makes those
 * shifts look like evidence; the rounds comparison must keep false positives near 5%,
 * and still catch a true 30% slowdown. */
START_TEST(compare_rounds_drift)
{
	enum { K = 8, N = 40, EXP = 40 };
	static double o[K][N], nw[K][N], po[K * N], pn[K * N];
	const double *op[K], *np[K];
	size_t no[K], nn[K];
	struct crowd_rng r;
	struct crowd_error err = {0};
	struct crowd_stats_cmp c;
	unsigned fp_pool = 0, fp_rounds = 0, caught = 0;

	crowd_rng_seed(&r, 77);
	for (int i = 0; i < K; i++) {
		op[i] = o[i];
		np[i] = nw[i];
		no[i] = nn[i] = N;
	}
	for (int e = 0; e < 2 * EXP; e++) {
		double effect = e < EXP ? 1.0 : 1.3;
		for (int i = 0; i < K; i++) {
			double fo = exp(0.1 * crowd_rng_normal(&r)),
			       fn = exp(0.1 * crowd_rng_normal(&r));
			lognormal(&r, o[i], N, 1e6 * fo, 0.2);
			lognormal(&r, nw[i], N, 1e6 * fn * effect, 0.2);
			memcpy(po + i * N, o[i], sizeof(o[i]));
			memcpy(pn + i * N, nw[i], sizeof(nw[i]));
		}
		ck_assert_int_eq(
		    crowd_stats_compare_rounds(op, no, np, nn, K, false, 0.05, e, &c, &err), 0);
		if (e < EXP) {
			/* inconclusive is not a false alarm: it does not fail a gate */
			fp_rounds += c.verdict == CROWD_VERDICT_REGRESSED ||
				     c.verdict == CROWD_VERDICT_IMPROVED;
			ck_assert_int_eq(
			    crowd_stats_compare(po, K * N, pn, K * N, false, 0.05, e, &c, &err), 0);
			fp_pool += c.verdict != CROWD_VERDICT_NO_CHANGE;
		} else {
			caught += c.verdict == CROWD_VERDICT_REGRESSED;
		}
	}
	printf("drifting rounds: false positives pooled %u/%d, rounds %u/%d; 30%% caught %u/%d\n",
	       fp_pool, EXP, fp_rounds, EXP, caught, EXP);
	ck_assert_msg(fp_rounds <= EXP / 10, "rounds false positives %u/%d", fp_rounds, EXP);
	ck_assert_msg(fp_pool > fp_rounds, "pooling should suffer from the drift (%u vs %u)",
		      fp_pool, fp_rounds);
	ck_assert_msg(caught >= EXP * 8 / 10, "30%% slowdown caught only %u/%d", caught, EXP);
}
END_TEST

START_TEST(signflip_exact)
{
	double same[] = {1, 2, 1, 3, 1, 2}, few[] = {1, 2, 3}, mixed[] = {1, -1, 2, -2};
	/* all six the same sign: only the pattern and its mirror are as extreme */
	ck_assert_double_eq_tol(crowd_stats_signflip_p(same, 6, 1), 2.0 / 64, EPS);
	/* three rounds can never be significant */
	ck_assert_double_eq_tol(crowd_stats_signflip_p(few, 3, 1), 2.0 / 8, EPS);
	/* a sum of 0 is matched by every pattern */
	ck_assert_double_eq_tol(crowd_stats_signflip_p(mixed, 4, 1), 1, EPS);
	/* Monte Carlo above the exact limit: 20 rounds all positive, p tiny but not 0 */
	double many[20];
	for (int i = 0; i < 20; i++)
		many[i] = 1 + i % 3;
	double p = crowd_stats_signflip_p(many, 20, 1);
	ck_assert(p > 0 && p < 0.001);
	ck_assert_double_eq(crowd_stats_signflip_p(many, 0, 1), 1);
}
END_TEST

START_TEST(holm_adjust)
{
	double p[] = {0.01, 0.04, 0.03, 0.005}, a[4];
	crowd_stats_holm(p, 4, a);
	/* sorted 0.005*4, 0.01*3, 0.03*2, 0.04*1 -> 0.02, 0.03, 0.06, max(0.06, 0.04) */
	ck_assert_double_eq_tol(a[3], 0.02, EPS);
	ck_assert_double_eq_tol(a[0], 0.03, EPS);
	ck_assert_double_eq_tol(a[2], 0.06, EPS);
	ck_assert_double_eq_tol(a[1], 0.06, EPS);
	double one = 0.7;
	crowd_stats_holm(&one, 1, a);
	ck_assert_double_eq_tol(a[0], 0.7, EPS);
}
END_TEST

/* The run is the unit (issue 16). Each round's level drifts by its own factor (sd 15%, as
 * this host drifts between runs), hitting both sides of an interleaved round alike, plus
 * a smaller drift of each side (sd 4%). Drift alone must not be flagged as regressed -- also
 * at threshold 0, where only the statistics decide (a test on the samples, which share their
 * side's drift, flags it often); drift plus a true 10% slowdown must be. */
START_TEST(verdict_run_level_drift)
{
	enum { K = 10, N = 100, EXP = 100 };
	static double o[K][N], nw[K][N], po[K * N], pn[K * N];
	const double *op[K], *np[K];
	size_t no[K], nn[K];
	struct crowd_rng r;
	struct crowd_error err = {0};
	struct crowd_stats_cmp c;
	unsigned fa0 = 0, fa5 = 0, caught = 0, sample_level0 = 0, incon = 0;

	crowd_rng_seed(&r, 16);
	for (int i = 0; i < K; i++) {
		op[i] = o[i];
		np[i] = nw[i];
		no[i] = nn[i] = N;
	}
	for (int e = 0; e < 2 * EXP; e++) {
		double effect = e < EXP ? 1.0 : 1.1;
		for (int i = 0; i < K; i++) {
			double round = exp(0.15 * crowd_rng_normal(&r));
			double fo = round * exp(0.04 * crowd_rng_normal(&r)),
			       fn = round * exp(0.04 * crowd_rng_normal(&r));
			lognormal(&r, o[i], N, 1e6 * fo, 0.2);
			lognormal(&r, nw[i], N, 1e6 * fn * effect, 0.2);
			memcpy(po + i * N, o[i], sizeof(o[i]));
			memcpy(pn + i * N, nw[i], sizeof(nw[i]));
		}
		if (e < EXP) {
			ck_assert_int_eq(
			    crowd_stats_compare_rounds(op, no, np, nn, K, false, 0, e, &c, &err),
			    0);
			fa0 += c.verdict == CROWD_VERDICT_REGRESSED;
			ck_assert_int_eq(
			    crowd_stats_compare_rounds(op, no, np, nn, K, false, 0.05, e, &c, &err),
			    0);
			fa5 += c.verdict == CROWD_VERDICT_REGRESSED;
			incon += c.verdict == CROWD_VERDICT_INCONCLUSIVE;
			/* the samples as the unit, stratified by round: drift looks like evidence
			 */
			struct crowd_mwu m;
			ck_assert_int_eq(
			    crowd_stats_mann_whitney_strat(np, nn, op, no, K, &m, &err), 0);
			sample_level0 += m.p < CROWD_STATS_ALPHA && m.z > 0;
		} else {
			ck_assert_int_eq(
			    crowd_stats_compare_rounds(op, no, np, nn, K, false, 0.05, e, &c, &err),
			    0);
			caught += c.verdict == CROWD_VERDICT_REGRESSED;
		}
	}
	printf("run-level drift: regressed at threshold 0: %u/%d, at 5%%: %u/%d (inconclusive "
	       "%u); sample-level test at 0: %u/%d; 10%% slowdown caught %u/%d\n",
	       fa0, EXP, fa5, EXP, incon, sample_level0, EXP, caught, EXP);
	ck_assert_msg(fa0 <= EXP / 20 + 2, "drift alone flagged %u/%d at threshold 0", fa0, EXP);
	ck_assert_msg(fa5 <= EXP / 50, "drift alone flagged %u/%d at threshold 5%%", fa5, EXP);
	ck_assert_msg(sample_level0 > 2 * fa0 + 5, "sample-level test should suffer (%u vs %u)",
		      sample_level0, fa0);
	ck_assert_msg(caught >= EXP * 9 / 10, "10%% slowdown with drift caught only %u/%d", caught,
		      EXP);
}
END_TEST

/* A big sample bootstraps from the sorted data in O(1) per draw: the interval still covers
 * the truth and is about as wide as the exact resampling's. */
START_TEST(bootstrap_big_sample)
{
	enum { N = 200001 };
	double *x = malloc(N * sizeof(double)), *y = malloc(N * sizeof(double));
	struct crowd_rng r;
	struct crowd_error err = {0};
	struct crowd_stats_cmp c;
	double lo, hi;
	ck_assert(x && y);
	crowd_rng_seed(&r, 5);
	lognormal(&r, x, N, 1e6, 0.3);
	lognormal(&r, y, N, 1.01e6, 0.3);
	ck_assert_int_eq(crowd_stats_median_ci(x, N, 2000, 0.95, 1, &lo, &hi, &err), 0);
	/* sd of the median of a lognormal(0.3) at n = 2e5: about 1.2533 * 0.3e6 / sqrt(n) */
	double half = 1.96 * 1.2533 * 0.3e6 / sqrt((double)N);
	ck_assert_msg(lo < 1e6 + half && hi > 1e6 - half, "[%g, %g]", lo, hi);
	ck_assert_msg(fabs((hi - lo) / (2 * half) - 1) < 0.25, "width %g vs %g", hi - lo, 2 * half);
	ck_assert_int_eq(crowd_stats_compare(x, N, y, N, false, 0, 1, &c, &err), 0);
	ck_assert_msg(c.ratio_lo > 1.0 && c.ratio_lo < 1.01 && c.ratio_hi > 1.01, "[%g, %g]",
		      c.ratio_lo, c.ratio_hi);
	free(x);
	free(y);
}
END_TEST

static Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, percentile_type7);
	tcase_add_test(tc, mean_stddev_summary);
	tcase_add_test(tc, jain);
	tcase_add_test(tc, mwu_exact_hand);
	tcase_add_test(tc, mwu_ties_normal);
	tcase_add_test(tc, median_ci_coverage);
	tcase_add_test(tc, rng_reproducible);
	tcase_add_test(tc, compare_verdicts);
	tcase_add_test(tc, compare_false_positive_rate);
	tcase_add_test(tc, compare_zero_medians);
	tcase_add_test(tc, mwu_stratified);
	tcase_add_test(tc, compare_rounds_drift);
	tcase_add_test(tc, signflip_exact);
	tcase_add_test(tc, holm_adjust);
	tcase_add_test(tc, verdict_run_level_drift);
	tcase_add_test(tc, bootstrap_big_sample);
	tcase_add_test(tc, diff_ci_shift_and_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(stats_suite());
}
