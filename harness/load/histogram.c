#include "histogram.h"

#include <math.h>
#include <string.h>

#define SUB ((int64_t)1 << CROWD_HIST_SUB_BITS)

void crowd_hist_init(struct crowd_hist *h)
{
	memset(h, 0, sizeof(*h));
}

/* Values below 2*SUB map to themselves; above, shift = msb - SUB_BITS keeps SUB_BITS+1
 * significant bits, and each shift owns SUB consecutive buckets. */
size_t crowd_hist_index(int64_t ns)
{
	if (ns < 0)
		ns = 0;
	if (ns < 2 * SUB)
		return (size_t)ns;
	int msb = 63 - __builtin_clzll((unsigned long long)ns);
	if (msb >= CROWD_HIST_MAX_BITS)
		return CROWD_HIST_BUCKETS - 1;
	int shift = msb - CROWD_HIST_SUB_BITS;
	return (size_t)(shift + 1) * SUB + (size_t)((ns >> shift) - SUB);
}

int64_t crowd_hist_bucket_low(size_t idx)
{
	if (idx < 2 * SUB)
		return (int64_t)idx;
	int shift = (int)(idx / SUB) - 1;
	return ((int64_t)(idx % SUB) + SUB) << shift;
}

int64_t crowd_hist_bucket_high(size_t idx)
{
	if (idx >= CROWD_HIST_BUCKETS - 1)
		return INT64_MAX;
	return crowd_hist_bucket_low(idx + 1) - 1;
}

void crowd_hist_record(struct crowd_hist *h, int64_t ns)
{
	if (ns < 0)
		ns = 0;
	if (h->n == 0 || ns < h->min_ns)
		h->min_ns = ns;
	if (h->n == 0 || ns > h->max_ns)
		h->max_ns = ns;
	h->n++;
	h->sum_ns += (double)ns;
	h->sumsq_ns += (double)ns * (double)ns;
	h->counts[crowd_hist_index(ns)]++;
}

void crowd_hist_merge(struct crowd_hist *dst, const struct crowd_hist *src)
{
	if (src->n == 0)
		return;
	if (dst->n == 0 || src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (dst->n == 0 || src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	dst->n += src->n;
	dst->sum_ns += src->sum_ns;
	dst->sumsq_ns += src->sumsq_ns;
	for (size_t i = 0; i < CROWD_HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
}

/* The value of rank ceil(p/100 * n) (1-based, at least 1): the highest value of its bucket,
 * clamped to the recorded range. */
int64_t crowd_hist_percentile(const struct crowd_hist *h, double p)
{
	if (h->n == 0)
		return 0;
	if (p <= 0)
		return h->min_ns;
	if (p >= 100)
		return h->max_ns;
	uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->n);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (size_t i = 0; i < CROWD_HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			int64_t v = crowd_hist_bucket_high(i);
			if (v > h->max_ns)
				v = h->max_ns;
			if (v < h->min_ns)
				v = h->min_ns;
			return v;
		}
	}
	return h->max_ns;
}

double crowd_hist_mean(const struct crowd_hist *h)
{
	return h->n ? h->sum_ns / (double)h->n : 0.0;
}

double crowd_hist_stddev(const struct crowd_hist *h)
{
	if (h->n < 2)
		return 0.0;
	double mean = h->sum_ns / (double)h->n;
	double var = (h->sumsq_ns - (double)h->n * mean * mean) / (double)(h->n - 1);
	return var > 0 ? sqrt(var) : 0.0;
}
