/* Statistics of raw samples (see stats.h for the percentile rule). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "core/util.h"

uint64_t crowd_rng_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void crowd_rng_seed(struct crowd_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = crowd_rng_splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t crowd_rng_next(struct crowd_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t crowd_rng_below(struct crowd_rng *r, uint64_t n)
{
	/* Reject the top partial block so every residue is equally likely. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t v;
	do
		v = crowd_rng_next(r);
	while (v >= limit);
	return v % n;
}

double crowd_rng_uniform(struct crowd_rng *r)
{
	return (double)(crowd_rng_next(r) >> 11) * 0x1.0p-53;
}

double crowd_rng_normal(struct crowd_rng *r)
{
	double u1;
	do
		u1 = crowd_rng_uniform(r);
	while (u1 <= 0.0);
	double u2 = crowd_rng_uniform(r);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void crowd_stats_sort(double *x, size_t n)
{
	qsort(x, n, sizeof(*x), cmp_double);
}

double crowd_stats_percentile_sorted(const double *sorted, size_t n, double p)
{
	if (n == 0)
		return NAN;
	if (p <= 0)
		return sorted[0];
	if (p >= 100)
		return sorted[n - 1];
	double h = (double)(n - 1) * p / 100.0;
	size_t lo = (size_t)floor(h);
	if (lo + 1 >= n)
		return sorted[n - 1];
	double frac = h - (double)lo;
	return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

double crowd_stats_percentile(const double *x, size_t n, double p)
{
	if (n == 0)
		return NAN;
	_cleanup_free_ double *c = malloc(n * sizeof(*c));
	if (!c)
		return NAN;
	memcpy(c, x, n * sizeof(*c));
	crowd_stats_sort(c, n);
	return crowd_stats_percentile_sorted(c, n, p);
}

double crowd_stats_median(const double *x, size_t n)
{
	return crowd_stats_percentile(x, n, 50);
}

double crowd_stats_mean(const double *x, size_t n)
{
	if (n == 0)
		return NAN;
	/* Kahan-free but in long double: samples are at most a few 1e5 values of ~1e9. */
	long double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	return (double)(sum / n);
}

double crowd_stats_stddev(const double *x, size_t n)
{
	if (n == 0)
		return NAN;
	if (n == 1)
		return 0;
	double m = crowd_stats_mean(x, n);
	long double ss = 0;
	for (size_t i = 0; i < n; i++)
		ss += (long double)(x[i] - m) * (x[i] - m);
	return sqrt((double)(ss / (n - 1)));
}

/* Put the k-th smallest of a[0..n-1] at a[k], smaller ones before, larger after
 * (quickselect, median-of-three pivot): O(n) on average where a sort is O(n log n). */
static double select_kth(double *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (hi > lo) {
		size_t mid = lo + (hi - lo) / 2;
		double x = a[lo], y = a[mid], z = a[hi];
		double pivot =
		    x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		size_t i = lo, j = hi;
		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				double t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return a[k];
}

/* The type 7 median of a (reordered), without sorting. */
static double median_select(double *a, size_t n)
{
	if (n % 2)
		return select_kth(a, n, n / 2);
	double lo = select_kth(a, n, n / 2 - 1), hi = a[n / 2];
	for (size_t i = n / 2 + 1; i < n; i++)
		if (a[i] < hi)
			hi = a[i];
	return lo + (hi - lo) / 2;
}

/* Median of a bootstrap resample of x, using tmp (n slots). Above CROWD_STATS_BOOT_EXACT_MAX
 * samples, when x is sorted, the draw is O(1) instead of O(n): the median of n values drawn
 * from x is x's quantile at the median U of n uniforms, U ~ Beta((n+1)/2, (n+1)/2), which for
 * such n is normal with mean 1/2 and variance 1/(4(n+2)). */
static double resample_median(struct crowd_rng *r, const double *x, size_t n, double *tmp,
			      bool sorted)
{
	if (sorted) {
		double u = 0.5 + crowd_rng_normal(r) * 0.5 / sqrt((double)n + 2);
		return crowd_stats_percentile_sorted(x, n, 100 * fmin(1, fmax(0, u)));
	}
	for (size_t i = 0; i < n; i++)
		tmp[i] = x[crowd_rng_below(r, n)];
	return median_select(tmp, n);
}

/* x, or (above CROWD_STATS_BOOT_EXACT_MAX samples) a sorted copy of it in tmp, for
 * resample_median; *ret_sorted says which. */
static const double *boot_input(const double *x, size_t n, double *tmp, bool *ret_sorted)
{
	*ret_sorted = n > CROWD_STATS_BOOT_EXACT_MAX;
	if (!*ret_sorted)
		return x;
	memcpy(tmp, x, n * sizeof(double));
	crowd_stats_sort(tmp, n);
	return tmp;
}

/* The central `level` interval of k bootstrap draws (sorted in place): percentile method. */
static void percentile_interval(double *draws, size_t k, double level, double *ret_lo,
				double *ret_hi)
{
	crowd_stats_sort(draws, k);
	double a = (1 - level) / 2 * 100;
	*ret_lo = crowd_stats_percentile_sorted(draws, k, a);
	*ret_hi = crowd_stats_percentile_sorted(draws, k, 100 - a);
}

int crowd_stats_median_ci(const double *x, size_t n, unsigned resamples, double level,
			  uint64_t seed, double *ret_lo, double *ret_hi, struct crowd_error *err)
{
	if (n == 0 || resamples == 0 || !(level > 0 && level < 1))
		return crowd_error_set(err, EINVAL,
				       "median CI: need samples, resamples and 0<level<1");
	/* tmp: n for a resample, then n for the sorted copy of a big sample */
	_cleanup_free_ double *tmp = malloc(2 * n * sizeof(*tmp));
	_cleanup_free_ double *med = malloc(resamples * sizeof(*med));
	if (!tmp || !med)
		return crowd_error_errno(err, ENOMEM, "median CI");
	struct crowd_rng r;
	crowd_rng_seed(&r, seed);
	bool sorted;
	const double *in = boot_input(x, n, tmp + n, &sorted);
	for (unsigned i = 0; i < resamples; i++)
		med[i] = resample_median(&r, in, n, tmp, sorted);
	percentile_interval(med, resamples, level, ret_lo, ret_hi);
	return 0;
}

/* The bootstrap interval of combine(median of a resample of old, median of one of new), the
 * two sides resampled independently; a draw combine makes NAN is left out (-EDOM when all
 * are). `what` names the statistic in errors. */
static int two_sample_ci(const double *old, size_t n_old, const double *new_, size_t n_new,
			 unsigned resamples, double level, uint64_t seed,
			 double (*combine)(double o, double n), const char *what, double *ret_lo,
			 double *ret_hi, struct crowd_error *err)
{
	if (n_old == 0 || n_new == 0 || resamples == 0 || !(level > 0 && level < 1))
		return crowd_error_set(err, EINVAL, "%s CI: need samples on both sides", what);
	_cleanup_free_ double *t_old = malloc(n_old * sizeof(double));
	_cleanup_free_ double *t_new = malloc(n_new * sizeof(double));
	_cleanup_free_ double *draws = malloc(resamples * sizeof(double));
	if (!t_old || !t_new || !draws)
		return crowd_error_errno(err, ENOMEM, "%s CI", what);
	struct crowd_rng r;
	crowd_rng_seed(&r, seed);
	unsigned k = 0;
	bool so, sn;
	/* big samples: t_old/t_new hold sorted copies instead of resamples */
	const double *in_old = boot_input(old, n_old, t_old, &so),
		     *in_new = boot_input(new_, n_new, t_new, &sn);
	for (unsigned i = 0; i < resamples; i++) {
		double a = resample_median(&r, in_old, n_old, t_old, so);
		double v = combine(a, resample_median(&r, in_new, n_new, t_new, sn));
		if (!isnan(v))
			draws[k++] = v;
	}
	if (k == 0)
		return crowd_error_set(err, EDOM, "%s CI: every resampled old median is 0", what);
	percentile_interval(draws, k, level, ret_lo, ret_hi);
	return 0;
}

/* A resampled old median of 0 has no ratio: that draw is left out. */
static double ratio_of(double o, double n)
{
	return o > 0 ? n / o : NAN;
}

static double diff_of(double o, double n)
{
	return n - o;
}

int crowd_stats_ratio_ci(const double *old, size_t n_old, const double *new_, size_t n_new,
			 unsigned resamples, double level, uint64_t seed, double *ret_ratio,
			 double *ret_lo, double *ret_hi, struct crowd_error *err)
{
	if (n_old == 0 || n_new == 0)
		return crowd_error_set(err, EINVAL, "ratio CI: need samples on both sides");
	double m_old = crowd_stats_median(old, n_old), m_new = crowd_stats_median(new_, n_new);
	if (!(m_old > 0) || !(m_new >= 0))
		return crowd_error_set(err, EDOM, "ratio CI: median of the old sample is not > 0");
	int r = two_sample_ci(old, n_old, new_, n_new, resamples, level, seed, ratio_of, "ratio",
			      ret_lo, ret_hi, err);
	if (r == 0)
		*ret_ratio = m_new / m_old;
	return r;
}

int crowd_stats_diff_ci(const double *old, size_t n_old, const double *new_, size_t n_new,
			unsigned resamples, double level, uint64_t seed, double *ret_diff,
			double *ret_lo, double *ret_hi, struct crowd_error *err)
{
	int r = two_sample_ci(old, n_old, new_, n_new, resamples, level, seed, diff_of,
			      "difference", ret_lo, ret_hi, err);
	if (r == 0)
		*ret_diff = crowd_stats_median(new_, n_new) - crowd_stats_median(old, n_old);
	return r;
}

int crowd_stats_summarize(const double *x, size_t n, uint64_t seed, struct crowd_stats *ret,
			  struct crowd_error *err)
{
	if (n == 0)
		return crowd_error_set(err, EINVAL, "statistics of an empty sample");
	_cleanup_free_ double *c = malloc(n * sizeof(*c));
	if (!c)
		return crowd_error_errno(err, ENOMEM, "statistics");
	memcpy(c, x, n * sizeof(*c));
	crowd_stats_sort(c, n);
	ret->n = n;
	ret->min = c[0];
	ret->max = c[n - 1];
	ret->p50 = crowd_stats_percentile_sorted(c, n, 50);
	ret->p90 = crowd_stats_percentile_sorted(c, n, 90);
	ret->p99 = crowd_stats_percentile_sorted(c, n, 99);
	ret->mean = crowd_stats_mean(c, n);
	ret->stddev = crowd_stats_stddev(c, n);
	return crowd_stats_median_ci(c, n, CROWD_STATS_RESAMPLES, 0.95, seed, &ret->ci95_lo,
				     &ret->ci95_hi, err);
}

double crowd_stats_norm_cdf(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

struct ranked {
	double v;
	int from_a;
};

static int cmp_ranked(const void *a, const void *b)
{
	return cmp_double(&((const struct ranked *)a)->v, &((const struct ranked *)b)->v);
}

/* Exact two-sided p of U for sizes (m, n) without ties: T(i, j, k) counts the orderings of
 * i values of a and j of b with U = k. The largest value is either b's (U unchanged) or a's
 * (beats all j of b): T(i, j, k) = T(i, j-1, k) + T(i-1, j, k-j). */
static double mwu_exact_p(size_t m, size_t n, double u)
{
	size_t umax = m * n;
	size_t W = umax + 1;
	double *tab = calloc((m + 1) * (n + 1) * W, sizeof(double));
	if (!tab)
		return NAN;
#define T(i, j, k) tab[((i) * (n + 1) + (j)) * W + (k)]
	for (size_t i = 0; i <= m; i++)
		for (size_t j = 0; j <= n; j++) {
			if (i == 0 || j == 0) {
				T(i, j, 0) = 1;
				continue;
			}
			for (size_t k = 0; k <= i * j; k++) {
				double v = T(i, j - 1, k); /* largest value from b: adds nothing */
				if (k >= j)
					v += T(i - 1, j,
					       k - j); /* largest from a: beats all j of b */
				T(i, j, k) = v;
			}
		}
	double total = 0, le = 0, ge = 0;
	for (size_t k = 0; k <= umax; k++) {
		double c = T(m, n, k);
		total += c;
		if ((double)k <= u + 1e-9)
			le += c;
		if ((double)k >= u - 1e-9)
			ge += c;
	}
#undef T
	free(tab);
	double p = 2 * fmin(le, ge) / total;
	return p > 1 ? 1 : p;
}

/* U of a, its mean and tie-corrected variance under "no difference"; ret_ties is the sum
 * of t^3 - t over tie groups. */
static int mwu_parts(const double *a, size_t n_a, const double *b, size_t n_b, double *ret_u,
		     double *ret_mu, double *ret_var, double *ret_ties, struct crowd_error *err)
{
	if (n_a == 0 || n_b == 0)
		return crowd_error_set(err, EINVAL, "Mann-Whitney: empty sample");
	size_t N = n_a + n_b;
	_cleanup_free_ struct ranked *r = malloc(N * sizeof(*r));
	if (!r)
		return crowd_error_errno(err, ENOMEM, "Mann-Whitney");
	for (size_t i = 0; i < n_a; i++)
		r[i] = (struct ranked){a[i], 1};
	for (size_t i = 0; i < n_b; i++)
		r[n_a + i] = (struct ranked){b[i], 0};
	qsort(r, N, sizeof(*r), cmp_ranked);

	/* Midranks for ties; sum of t^3 - t for the variance correction. */
	double rank_a = 0, ties = 0;
	for (size_t i = 0; i < N;) {
		size_t j = i;
		while (j + 1 < N && r[j + 1].v == r[i].v)
			j++;
		double mid = (double)(i + j) / 2 + 1;
		for (size_t k = i; k <= j; k++)
			if (r[k].from_a)
				rank_a += mid;
		double t = (double)(j - i + 1);
		ties += t * t * t - t;
		i = j + 1;
	}
	double m = (double)n_a, n = (double)n_b;
	*ret_u = rank_a - m * (m + 1) / 2;
	*ret_mu = m * n / 2;
	*ret_var = N > 1 ? m * n / 12 * ((m + n + 1) - ties / ((m + n) * (m + n - 1))) : 0;
	*ret_ties = ties;
	return 0;
}

/* Two-sided p of a standardized sum d with variance var, continuity-corrected by cc. */
static void normal_p(double d, double var, double cc, struct crowd_mwu *ret)
{
	ret->exact = 0;
	if (var <= 0) { /* every value equal: no evidence of a difference */
		ret->z = 0;
		ret->p = 1;
		return;
	}
	double c = d > 0 ? -cc : (d < 0 ? cc : 0);
	if (fabs(d) <= cc)
		c = -d;
	ret->z = (d + c) / sqrt(var);
	double p = 2 * (1 - crowd_stats_norm_cdf(fabs(ret->z)));
	ret->p = p > 1 ? 1 : p;
}

int crowd_stats_mann_whitney(const double *a, size_t n_a, const double *b, size_t n_b,
			     struct crowd_mwu *ret, struct crowd_error *err)
{
	double u, mu, var, ties;
	int r = mwu_parts(a, n_a, b, n_b, &u, &mu, &var, &ties, err);
	if (r < 0)
		return r;
	ret->u = u;
	if (ties == 0 && n_a <= 20 && n_b <= 20) {
		ret->p = mwu_exact_p(n_a, n_b, u);
		ret->z = 0;
		ret->exact = 1;
		if (isnan(ret->p))
			return crowd_error_errno(err, ENOMEM, "Mann-Whitney exact");
		return 0;
	}
	normal_p(u - mu, var, 0.5, ret);
	return 0;
}

int crowd_stats_mann_whitney_strat(const double *const *a, const size_t *n_a,
				   const double *const *b, const size_t *n_b, size_t rounds,
				   struct crowd_mwu *ret, struct crowd_error *err)
{
	double sum = 0, var = 0, usum = 0;
	size_t used = 0;
	for (size_t i = 0; i < rounds; i++) {
		double u, mu, v, ties;
		if (!n_a[i] || !n_b[i])
			continue;
		int r = mwu_parts(a[i], n_a[i], b[i], n_b[i], &u, &mu, &v, &ties, err);
		if (r < 0)
			return r;
		/* van Elteren: weight 1/(N_i + 1) so big rounds do not drown small ones */
		double w = 1.0 / (double)(n_a[i] + n_b[i] + 1);
		sum += w * (u - mu);
		var += w * w * v;
		usum += u;
		used++;
	}
	if (!used)
		return crowd_error_set(err, EINVAL, "Mann-Whitney: no round has both samples");
	ret->u = usum;
	normal_p(sum, var, 0, ret);
	return 0;
}

double crowd_stats_jain(const double *x, size_t n)
{
	if (n == 0)
		return NAN;
	long double s = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		s += x[i];
		s2 += (long double)x[i] * x[i];
	}
	if (s2 == 0)
		return NAN;
	return (double)(s * s / (n * s2));
}

static const char *const verdict_names[] = {
    [CROWD_VERDICT_NO_CHANGE] = "no change",
    [CROWD_VERDICT_IMPROVED] = "improved",
    [CROWD_VERDICT_REGRESSED] = "regressed",
    [CROWD_VERDICT_INCONCLUSIVE] = "inconclusive",
};

const char *crowd_verdict_name(enum crowd_verdict v)
{
	return (unsigned)v < CROWD_ARRAY_SIZE(verdict_names) ? verdict_names[v] : "?";
}

/* The verdict from p, the ratio and its CI: a change counts when the rank test is
 * significant, the CI excludes 1 and the ratio moved by more than threshold (an infinite
 * ratio, old median 0, needs only the rank test). */
static void set_verdict(struct crowd_stats_cmp *ret, bool higher_is_better, double threshold)
{
	bool sig = ret->p < CROWD_STATS_ALPHA;
	bool up = sig && (isinf(ret->ratio) || (ret->ratio_lo > 1 && ret->ratio - 1 > threshold));
	bool down = sig && ret->ratio_hi < 1 && 1 - ret->ratio > threshold;
	if (up)
		ret->verdict = higher_is_better ? CROWD_VERDICT_IMPROVED : CROWD_VERDICT_REGRESSED;
	else if (down)
		ret->verdict = higher_is_better ? CROWD_VERDICT_REGRESSED : CROWD_VERDICT_IMPROVED;
}

int crowd_stats_compare(const double *old, size_t n_old, const double *new_, size_t n_new,
			bool higher_is_better, double threshold, uint64_t seed,
			struct crowd_stats_cmp *ret, struct crowd_error *err)
{
	struct crowd_mwu mwu;
	int r;

	if (n_old == 0 || n_new == 0)
		return crowd_error_set(err, EINVAL, "compare: a side has no samples");
	*ret = (struct crowd_stats_cmp){.n_old = n_old, .n_new = n_new};
	ret->median_old = crowd_stats_median(old, n_old);
	ret->median_new = crowd_stats_median(new_, n_new);
	r = crowd_stats_mann_whitney(new_, n_new, old, n_old, &mwu, err);
	if (r < 0)
		return r;
	ret->p = mwu.p;
	ret->verdict = CROWD_VERDICT_NO_CHANGE;
	if (ret->median_old == 0) {
		ret->ratio = ret->median_new == 0 ? 1 : INFINITY;
		ret->ratio_lo = ret->ratio_hi = ret->ratio;
		set_verdict(ret, higher_is_better, threshold);
		return 0;
	}
	r = crowd_stats_ratio_ci(old, n_old, new_, n_new, CROWD_STATS_RESAMPLES, 0.95, seed,
				 &ret->ratio, &ret->ratio_lo, &ret->ratio_hi, err);
	if (r < 0)
		return r;
	/* The bootstrap CI of a median can be too narrow on lumpy (multi-modal, tied) data;
	 * asking the rank test to agree keeps such cases at "no change". */
	set_verdict(ret, higher_is_better, threshold);
	return 0;
}

/* Two-sided 95% quantile of Student's t with df degrees of freedom. */
static double t975(size_t df)
{
	static const double t[] = {0,	  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
				   2.306, 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
				   2.120, 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
				   2.064, 2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
	if (df < CROWD_ARRAY_SIZE(t))
		return t[df];
	return df <= 60 ? 2.000 : df <= 120 ? 1.980 : 1.960;
}

/* Log of the ratio of medians of one bootstrap draw of round (o, n); NAN when the old median
 * is not > 0 or the new one < 0. */
static double draw_log_ratio(struct crowd_rng *r, const double *o, size_t no, const double *n,
			     size_t nn, double *t_o, double *t_n)
{
	double a = resample_median(r, o, no, t_o, no > CROWD_STATS_BOOT_ROUND_EXACT_MAX),
	       b = resample_median(r, n, nn, t_n, nn > CROWD_STATS_BOOT_ROUND_EXACT_MAX);
	return a > 0 && b > 0 ? log(b / a) : NAN;
}

static int compare_rounds_sorted(const double *const *old, const size_t *n_old,
				 const double *const *new_, const size_t *n_new, size_t rounds,
				 const double *po, size_t to, const double *pn, size_t tn,
				 bool higher_is_better, double threshold, uint64_t seed,
				 double *t_o, double *t_n, double *draws,
				 struct crowd_stats_cmp *ret, struct crowd_error *err);

int crowd_stats_compare_rounds(const double *const *old, const size_t *n_old,
			       const double *const *new_, const size_t *n_new, size_t rounds,
			       bool higher_is_better, double threshold, uint64_t seed,
			       struct crowd_stats_cmp *ret, struct crowd_error *err)
{
	size_t to = 0, tn = 0, maxn = 0;
	int r;

	if (rounds == 0)
		return crowd_error_set(err, EINVAL, "compare: no rounds");
	for (size_t i = 0; i < rounds; i++) {
		if (!n_old[i] || !n_new[i])
			return crowd_error_set(
			    err, EINVAL, "compare: round %zu has no samples on a side", i + 1);
		to += n_old[i];
		tn += n_new[i];
		maxn = n_old[i] > maxn ? n_old[i] : maxn;
		maxn = n_new[i] > maxn ? n_new[i] : maxn;
	}
	_cleanup_free_ double *po = malloc(to * sizeof(double));
	_cleanup_free_ double *pn = malloc(tn * sizeof(double));
	_cleanup_free_ double *t_o = malloc(maxn * sizeof(double));
	_cleanup_free_ double *t_n = malloc(maxn * sizeof(double));
	_cleanup_free_ double *draws = malloc(CROWD_STATS_RESAMPLES * sizeof(double));
	if (!po || !pn || !t_o || !t_n || !draws)
		return crowd_error_errno(err, ENOMEM, "compare");
	/* po/pn: the rounds one after the other, each sorted (big rounds bootstrap from that) */
	const double **so = malloc(rounds * sizeof(*so)), **sn = malloc(rounds * sizeof(*sn));
	if (!so || !sn) {
		free(so);
		free(sn);
		return crowd_error_errno(err, ENOMEM, "compare");
	}
	for (size_t i = 0, ko = 0, kn = 0; i < rounds; i++) {
		memcpy(po + ko, old[i], n_old[i] * sizeof(double));
		memcpy(pn + kn, new_[i], n_new[i] * sizeof(double));
		crowd_stats_sort(po + ko, n_old[i]);
		crowd_stats_sort(pn + kn, n_new[i]);
		so[i] = po + ko;
		sn[i] = pn + kn;
		ko += n_old[i];
		kn += n_new[i];
	}
	r = compare_rounds_sorted(so, n_old, sn, n_new, rounds, po, to, pn, tn, higher_is_better,
				  threshold, seed, t_o, t_n, draws, ret, err);
	free(so);
	free(sn);
	return r;
}

/* compare_rounds on rounds old[i] / new_[i], each sorted, all of them also in po / pn. */
static int compare_rounds_sorted(const double *const *old, const size_t *n_old,
				 const double *const *new_, const size_t *n_new, size_t rounds,
				 const double *po, size_t to, const double *pn, size_t tn,
				 bool higher_is_better, double threshold, uint64_t seed,
				 double *t_o, double *t_n, double *draws,
				 struct crowd_stats_cmp *ret, struct crowd_error *err)
{
	int r;
	/* Without a positive median in every round there is no log ratio to average: compare
	 * the pooled samples instead (the rank test below still stratifies). */
	double sum = 0;
	bool logs = true;
	for (size_t i = 0; i < rounds && logs; i++) {
		double a = crowd_stats_median(old[i], n_old[i]),
		       b = crowd_stats_median(new_[i], n_new[i]);
		logs = a > 0 && b > 0;
		if (logs)
			sum += log(b / a);
	}
	if (!logs || rounds == 1) {
		r = crowd_stats_compare(po, to, pn, tn, higher_is_better, threshold, seed, ret,
					err);
		if (r < 0 || rounds == 1)
			return r;
	} else {
		*ret = (struct crowd_stats_cmp){.n_old = to, .n_new = tn};
		ret->median_old = crowd_stats_median(po, to);
		ret->median_new = crowd_stats_median(pn, tn);
		ret->ratio = exp(sum / (double)rounds);
		/* two levels: rounds with replacement, then samples within each drawn round */
		struct crowd_rng rng;
		crowd_rng_seed(&rng, seed);
		unsigned k = 0;
		for (unsigned d = 0; d < CROWD_STATS_RESAMPLES; d++) {
			double s = 0;
			bool ok = true;
			for (size_t i = 0; i < rounds && ok; i++) {
				size_t j = crowd_rng_below(&rng, rounds);
				double l = draw_log_ratio(&rng, old[j], n_old[j], new_[j], n_new[j],
							  t_o, t_n);
				ok = !isnan(l);
				s += l;
			}
			if (ok)
				draws[k++] = exp(s / (double)rounds);
		}
		if (k == 0)
			return crowd_error_set(err, EDOM,
					       "compare: no bootstrap draw had positive medians");
		crowd_stats_sort(draws, k);
		ret->ratio_lo = crowd_stats_percentile_sorted(draws, k, 2.5);
		ret->ratio_hi = crowd_stats_percentile_sorted(draws, k, 97.5);
		/* A bootstrap over a handful of rounds cannot see how much rounds differ (two
		 * rounds give three possible draws), so the interval is also never narrower than
		 * Student's t on the rounds' log ratios, k-1 degrees of freedom. */
		double mean = sum / (double)rounds, ss = 0;
		for (size_t i = 0; i < rounds; i++) {
			double d = log(crowd_stats_median(new_[i], n_new[i]) /
				       crowd_stats_median(old[i], n_old[i])) -
				   mean;
			ss += d * d;
		}
		double half = t975(rounds - 1) * sqrt(ss / (double)(rounds - 1) / (double)rounds);
		ret->ratio_lo = fmin(ret->ratio_lo, exp(mean - half));
		ret->ratio_hi = fmax(ret->ratio_hi, exp(mean + half));
	}
	/* The run is the unit: p from a sign-flip permutation test over the rounds' log ratios
	 * of medians (or differences of medians where a median is not > 0), not from the
	 * samples, which share their round's drift. */
	_cleanup_free_ double *d = malloc(rounds * sizeof(double));
	if (!d)
		return crowd_error_errno(err, ENOMEM, "compare");
	for (size_t i = 0; i < rounds; i++) {
		double a = crowd_stats_median(old[i], n_old[i]),
		       b = crowd_stats_median(new_[i], n_new[i]);
		d[i] = logs ? log(b / a) : b - a;
	}
	ret->p = crowd_stats_signflip_p(d, rounds, seed);
	ret->rounds = rounds;
	crowd_stats_verdict(ret, higher_is_better, threshold, ret->p, CROWD_STATS_ALPHA);
	return 0;
}

double crowd_stats_signflip_p(const double *d, size_t k, uint64_t seed)
{
	double obs = 0;
	if (k == 0)
		return 1;
	for (size_t i = 0; i < k; i++)
		obs += d[i];
	obs = fabs(obs);
	/* a tolerance so that patterns equal to the observed one count as "as extreme" */
	double tol = 1e-9 * (obs + 1e-300);
	uint64_t hits = 0, total;
	if (k <= CROWD_STATS_SIGNFLIP_EXACT) {
		total = (uint64_t)1 << k;
		for (uint64_t m = 0; m < total; m++) {
			double s = 0;
			for (size_t i = 0; i < k; i++)
				s += (m >> i) & 1 ? -d[i] : d[i];
			hits += fabs(s) >= obs - tol;
		}
	} else {
		struct crowd_rng r;
		crowd_rng_seed(&r, seed);
		total = CROWD_STATS_SIGNFLIP_DRAWS;
		for (uint64_t m = 0; m < total; m++) {
			double s = 0;
			for (size_t i = 0; i < k; i++)
				s += crowd_rng_next(&r) >> 63 ? -d[i] : d[i];
			hits += fabs(s) >= obs - tol;
		}
		/* the observed pattern counts once (a valid Monte Carlo p is never 0) */
		hits++;
		total++;
	}
	return (double)hits / (double)total;
}

void crowd_stats_holm(const double *p, size_t n, double *ret)
{
	/* order by p, adjusted p_(i) = max over j <= i of min(1, (n - j) p_(j)) */
	size_t *idx = malloc((n ? n : 1) * sizeof(size_t));
	if (!idx) { /* no room to sort: Bonferroni, which Holm never exceeds */
		for (size_t i = 0; i < n; i++)
			ret[i] = fmin(1, p[i] * (double)n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (size_t i = 1; i < n; i++) /* insertion sort: n is a handful of metrics */
		for (size_t j = i; j > 0 && p[idx[j]] < p[idx[j - 1]]; j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	double run = 0;
	for (size_t j = 0; j < n; j++) {
		double a = fmin(1, (double)(n - j) * p[idx[j]]);
		run = fmax(run, a);
		ret[idx[j]] = run;
	}
	free(idx);
}

void crowd_stats_verdict(struct crowd_stats_cmp *c, bool higher_is_better, double threshold,
			 double p, double alpha)
{
	bool up = isinf(c->ratio) ? c->ratio > 0 : c->ratio - 1 > threshold;
	bool down = !isinf(c->ratio) && 1 - c->ratio > threshold;
	bool bad = higher_is_better ? down : up, good = higher_is_better ? up : down;
	bool sig = p < alpha;
	if (bad)
		c->verdict = sig ? CROWD_VERDICT_REGRESSED : CROWD_VERDICT_INCONCLUSIVE;
	else if (good && sig)
		c->verdict = CROWD_VERDICT_IMPROVED;
	else
		c->verdict = CROWD_VERDICT_NO_CHANGE;
}
