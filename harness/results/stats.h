/* Statistics of raw samples: exact percentiles, mean/stddev, bootstrap confidence intervals
 * (seeded, so a run is reproducible), Mann–Whitney U, Jain's fairness index.
 *
 * Percentile rule: linear interpolation between closest ranks (Hyndman & Fan type 7, the
 * default of R and NumPy): for sorted x[0..n-1] and p in [0,100], h = (n-1)*p/100,
 * value = x[floor(h)] + (h - floor(h)) * (x[floor(h)+1] - x[floor(h)]). p50 of an even-sized
 * sample is the mean of the two middle values. stddev is the sample standard deviation
 * (divides by n-1; 0 when n == 1). */
#ifndef CROWD_STATS_H
#define CROWD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* xoshiro256** seeded through splitmix64: small, fast, reproducible across hosts. */
struct crowd_rng {
	uint64_t s[4];
};
void crowd_rng_seed(struct crowd_rng *r, uint64_t seed);
/* One splitmix64 step: a cheap stream from a 64-bit state (seeding, shuffles). */
uint64_t crowd_rng_splitmix64(uint64_t *state);
uint64_t crowd_rng_next(struct crowd_rng *r);
/* Uniform in [0, n), n > 0, without modulo bias. */
uint64_t crowd_rng_below(struct crowd_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double crowd_rng_uniform(struct crowd_rng *r);
/* Standard normal (Box–Muller). */
double crowd_rng_normal(struct crowd_rng *r);

/* Default bootstrap settings: used by summary.json and compare. */
#define CROWD_STATS_RESAMPLES 2000
#define CROWD_STATS_SEED      0x63726f7764ULL /* "crowd" */
/* Above this many samples a bootstrap median is drawn from the sorted sample in O(1) (the
 * normal approximation of the resample median's order statistic) instead of resampling all
 * n values: compare of runs with 10^5..10^6 rows stays in seconds. */
#define CROWD_STATS_BOOT_EXACT_MAX 5000
/* The same for the per-round draws of the two-level bootstrap over rounds (its interval is
 * widened to Student's t on the rounds anyway, and the verdict rests on the rounds' p). */
#define CROWD_STATS_BOOT_ROUND_EXACT_MAX 30

struct crowd_stats {
	size_t n;
	double min, p50, p90, p99, max, mean, stddev;
	double ci95_lo, ci95_hi; /* bootstrap 95% CI of the median (percentile method) */
};

/* x is left untouched; n >= 1 (else -EINVAL). ci95 uses CROWD_STATS_RESAMPLES. */
int crowd_stats_summarize(const double *x, size_t n, uint64_t seed, struct crowd_stats *ret,
			  struct crowd_error *err);

/* p in [0,100] of an ascending array (the type 7 rule above). n >= 1. */
double crowd_stats_percentile_sorted(const double *sorted, size_t n, double p);
/* Same on unsorted data (copies and sorts). NAN when n == 0 or on allocation failure. */
double crowd_stats_percentile(const double *x, size_t n, double p);
double crowd_stats_median(const double *x, size_t n);
double crowd_stats_mean(const double *x, size_t n);
double crowd_stats_stddev(const double *x, size_t n);
void crowd_stats_sort(double *x, size_t n);

/* Bootstrap CI of the median at confidence `level` (0.95), percentile method. */
int crowd_stats_median_ci(const double *x, size_t n, unsigned resamples, double level,
			  uint64_t seed, double *ret_lo, double *ret_hi, struct crowd_error *err);

/* Ratio of medians new/old with a bootstrap CI (each sample resampled independently).
 * Both medians must be > 0 for a ratio (else -EDOM). */
int crowd_stats_ratio_ci(const double *old, size_t n_old, const double *new_, size_t n_new,
			 unsigned resamples, double level, uint64_t seed, double *ret_ratio,
			 double *ret_lo, double *ret_hi, struct crowd_error *err);

/* Difference of medians new - old with a bootstrap CI (each sample resampled independently,
 * percentile method): what one step of a sweep adds. */
int crowd_stats_diff_ci(const double *old, size_t n_old, const double *new_, size_t n_new,
			unsigned resamples, double level, uint64_t seed, double *ret_diff,
			double *ret_lo, double *ret_hi, struct crowd_error *err);

/* Mann–Whitney U test, two-sided. U is that of sample a (number of pairs a>b, ties 1/2).
 * p from the exact distribution when there are no ties and n_a*n_b is small (both <= 20),
 * otherwise from the normal approximation with tie correction and continuity correction. */
struct crowd_mwu {
	double u;  /* U of a */
	double z;  /* standardized statistic (0 when exact) */
	double p;  /* two-sided p-value */
	int exact; /* 1: p from the exact distribution */
};
int crowd_stats_mann_whitney(const double *a, size_t n_a, const double *b, size_t n_b,
			     struct crowd_mwu *ret, struct crowd_error *err);

/* Stratified Mann–Whitney (van Elteren): samples compared only within their round, the
 * rounds' U statistics combined with weights 1/(N_i+1), normal approximation with ties.
 * A drift that moves a whole round (a busy minute) cancels out. u is the sum of the U's. */
int crowd_stats_mann_whitney_strat(const double *const *a, const size_t *n_a,
				   const double *const *b, const size_t *n_b, size_t rounds,
				   struct crowd_mwu *ret, struct crowd_error *err);

/* Jain's fairness index (sum x)^2 / (n * sum x^2): 1 all equal, 1/n one takes all.
 * NAN when n == 0 or all zero. */
double crowd_stats_jain(const double *x, size_t n);

/* Verdict of comparing one metric between two runs: NEW/OLD ratio of medians with its
 * bootstrap 95% CI, and a Mann–Whitney p. Regressed (or improved) only when the CI excludes 1
 * AND the point change exceeds threshold (0.05 = 5%) in the bad (good) direction AND the
 * Mann–Whitney p is below CROWD_STATS_ALPHA (the bootstrap CI of a median is too narrow on
 * lumpy data; the rank test guards that); anything else is "no change". Medians both 0: ratio 1, no
 * change. Old median 0, new not: ratio INFINITY and, with no CI of a ratio to use, the direction
 * decides when Mann–Whitney p < CROWD_STATS_ALPHA. */
#define CROWD_STATS_ALPHA 0.05
enum crowd_verdict {
	CROWD_VERDICT_NO_CHANGE,
	CROWD_VERDICT_IMPROVED,
	CROWD_VERDICT_REGRESSED,
	/* the change exceeds the threshold in the bad direction, but the runs do not show it
	 * consistently enough (too few rounds, one run per side, or rounds that disagree) */
	CROWD_VERDICT_INCONCLUSIVE,
};
const char *crowd_verdict_name(enum crowd_verdict v);
struct crowd_stats_cmp {
	size_t n_old, n_new;
	double median_old, median_new;
	double ratio, ratio_lo, ratio_hi; /* NEW/OLD */
	double p; /* Mann–Whitney two-sided; rounds: sign-flip over rounds */
	enum crowd_verdict verdict;
	size_t rounds; /* 0: one run per side, p from the samples */
};
int crowd_stats_compare(const double *old, size_t n_old, const double *new_, size_t n_new,
			bool higher_is_better, double threshold, uint64_t seed,
			struct crowd_stats_cmp *ret, struct crowd_error *err);

/* The run-level verdict over interleaved rounds (OLD_1, NEW_1, OLD_2, NEW_2, ... run
 * alternately): ratio = geometric mean over rounds of median(NEW_i)/median(OLD_i); its 95% CI
 * from a two-level bootstrap (rounds with replacement, then samples within each), widened to
 * at least Student's t on the rounds' log ratios (k-1 df), since few rounds cannot show their
 * own spread to a bootstrap. p is a two-sided sign-flip permutation test over the rounds'
 * log ratios (crowd_stats_signflip_p): the round, not the sample, is the unit, so a drift
 * of the machine between rounds is noise, not evidence. Verdict by crowd_stats_verdict with
 * CROWD_STATS_ALPHA: regressed needs p < alpha and the ratio beyond threshold (the minimum
 * effect); a ratio beyond threshold without that p is inconclusive. Fewer than 6 rounds can
 * never reach p < 0.05 (the smallest sign-flip p of k rounds is 2/2^k). median_old/new are
 * of the pooled samples. rounds == 1 is crowd_stats_compare (within-run: the caller must
 * not take it as a run-level verdict). A round without positive medians falls back to the
 * pooled ratio and to differences of medians for p. */
int crowd_stats_compare_rounds(const double *const *old, const size_t *n_old,
			       const double *const *new_, const size_t *n_new, size_t rounds,
			       bool higher_is_better, double threshold, uint64_t seed,
			       struct crowd_stats_cmp *ret, struct crowd_error *err);

/* Two-sided sign-flip permutation p of the mean of d[0..k-1] (paired differences, H0:
 * symmetric about 0): exact over all 2^k patterns for k <= CROWD_STATS_SIGNFLIP_EXACT, else
 * CROWD_STATS_SIGNFLIP_DRAWS random patterns (seeded). k == 0: 1. */
#define CROWD_STATS_SIGNFLIP_EXACT 16
#define CROWD_STATS_SIGNFLIP_DRAWS 20000
double crowd_stats_signflip_p(const double *d, size_t k, uint64_t seed);

/* Holm's step-down adjustment of n p-values (family-wise error rate): ret[i] is p[i]'s
 * adjusted value; compare it with alpha. */
void crowd_stats_holm(const double *p, size_t n, double *ret);

/* Set c->verdict from c->ratio, threshold and a p-value (possibly Holm-adjusted):
 * regressed: ratio beyond threshold in the bad direction and p < alpha; inconclusive: beyond
 * threshold in the bad direction, p >= alpha; improved: beyond threshold in the good
 * direction and p < alpha; else no change. */
void crowd_stats_verdict(struct crowd_stats_cmp *c, bool higher_is_better, double threshold,
			 double p, double alpha);

/* Standard normal CDF. */
double crowd_stats_norm_cdf(double z);

#endif
