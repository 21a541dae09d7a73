/* One units table, wrk-style, used both to parse ("64M", "2s", "10k") and to print. */
#ifndef CROWD_UNITS_H
#define CROWD_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Sizes: bytes with optional K, M, G, T (powers of 1024; "KiB", "k", "KB" accepted).
 * 0 on success, -EINVAL when text is not a size, -ERANGE when it overflows. */
int crowd_units_parse_size(const char *text, uint64_t *ret_bytes);
/* Times: a number with ns, us, ms, s, m, h (a bare number is seconds). */
int crowd_units_parse_time(const char *text, int64_t *ret_ns);
/* Counts: a number with optional k, M (powers of 1000). */
int crowd_units_parse_count(const char *text, uint64_t *ret);
/* Unsigned integer in [min, max], no suffix. */
int crowd_units_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *ret);

/* "1.50MiB", "12.3ms", "10.2k": 3 significant digits. Return buf. */
const char *crowd_units_format_size(double bytes, char *buf, size_t len);
const char *crowd_units_format_time(double ns, char *buf, size_t len);
const char *crowd_units_format_count(double n, char *buf, size_t len);
/* A value in a metric's unit: "ns" as a time, "bytes" as a size (negative ones with a minus
 * sign: host deltas), anything else as a count; "-" for NAN. */
const char *crowd_units_format(double v, const char *unit, char *buf, size_t len);

#endif
