/* Latency histogram, log-linear (HDR-style): values below 2^(CROWD_HIST_SUB_BITS+1) ns are
 * exact; above, each power-of-two range is split into 2^CROWD_HIST_SUB_BITS equal buckets, so a
 * bucket is never wider than 1/128 of the values it holds. Fixed size, no allocation inside:
 * zero-fill (calloc or crowd_hist_init) and record. Values in nanoseconds.
 *
 * Error bound: crowd_hist_percentile() returns the highest value of the bucket holding the
 * requested rank, clamped to [min, max]. So for the exact percentile v of the recorded data,
 * v <= reported <= v + v/128 (and reported == v for v < 256 ns, and for p100 == max). */
#ifndef CROWD_HISTOGRAM_H
#define CROWD_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define CROWD_HIST_SUB_BITS 7
#define CROWD_HIST_MAX_BITS 40 /* values >= 2^40 ns (~18 min) land in the last bucket */
#define CROWD_HIST_BUCKETS ((CROWD_HIST_MAX_BITS - CROWD_HIST_SUB_BITS + 1) << CROWD_HIST_SUB_BITS)

struct crowd_hist {
	uint64_t n;
	int64_t min_ns, max_ns; /* valid when n > 0 */
	double sum_ns, sumsq_ns;
	uint64_t counts[CROWD_HIST_BUCKETS];
};

void crowd_hist_init(struct crowd_hist *h);
/* Negative values are recorded as 0. */
void crowd_hist_record(struct crowd_hist *h, int64_t ns);
/* dst += src */
void crowd_hist_merge(struct crowd_hist *dst, const struct crowd_hist *src);
/* p in [0, 100]; 0 when the histogram is empty. */
int64_t crowd_hist_percentile(const struct crowd_hist *h, double p);
double crowd_hist_mean(const struct crowd_hist *h);
double crowd_hist_stddev(const struct crowd_hist *h);

/* Bucket arithmetic, exported for the tests: index of a value, and the lowest/highest value a
 * bucket holds. */
size_t crowd_hist_index(int64_t ns);
int64_t crowd_hist_bucket_low(size_t idx);
int64_t crowd_hist_bucket_high(size_t idx);

#endif
