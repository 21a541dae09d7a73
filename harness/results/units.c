#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit {
	const char *suffix;
	double scale;
};

/* Longest suffixes first so "ms" is not read as "m". Printing walks from the largest scale. */
static const struct unit size_units[] = {
    {"TiB", 1099511627776.0},
    {"GiB", 1073741824.0},
    {"MiB", 1048576.0},
    {"KiB", 1024.0},
    {"TB", 1099511627776.0},
    {"GB", 1073741824.0},
    {"MB", 1048576.0},
    {"KB", 1024.0},
    {"T", 1099511627776.0},
    {"G", 1073741824.0},
    {"M", 1048576.0},
    {"K", 1024.0},
    {"B", 1.0},
    {"", 1.0},
};
static const struct unit time_units[] = {
    {"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}, {"", 1e9},
};
static const struct unit count_units[] = {
    {"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"", 1.0},
};

static int parse_units(const char *text, const struct unit *units, size_t n, bool ci, double *ret)
{
	if (!text || !*text)
		return -EINVAL;
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (end == text || errno || v < 0 || !isfinite(v) || text[0] == '-' || text[0] == '+')
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int same = ci ? !strcasecmp(end, units[i].suffix) : !strcmp(end, units[i].suffix);
		if (same) {
			*ret = v * units[i].scale;
			return 0;
		}
	}
	return -EINVAL;
}

int crowd_units_parse_size(const char *text, uint64_t *ret_bytes)
{
	double v;
	int r = parse_units(text, size_units, sizeof(size_units) / sizeof(size_units[0]), true, &v);
	if (r < 0)
		return r;
	if (v >= 18446744073709551615.0)
		return -ERANGE;
	*ret_bytes = (uint64_t)v;
	return 0;
}

int crowd_units_parse_time(const char *text, int64_t *ret_ns)
{
	double v;
	int r =
	    parse_units(text, time_units, sizeof(time_units) / sizeof(time_units[0]), false, &v);
	if (r < 0)
		return r;
	if (v >= 9.2e18)
		return -ERANGE;
	*ret_ns = (int64_t)v;
	return 0;
}

int crowd_units_parse_count(const char *text, uint64_t *ret)
{
	double v;
	int r =
	    parse_units(text, count_units, sizeof(count_units) / sizeof(count_units[0]), false, &v);
	if (r < 0)
		return r;
	if (v >= 1.8e19 || v != floor(v))
		return v != floor(v) ? -EINVAL : -ERANGE;
	*ret = (uint64_t)v;
	return 0;
}

int crowd_units_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *ret)
{
	if (!text || !*text || text[0] == '-' || text[0] == '+')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (*end || end == text)
		return -EINVAL;
	if (errno || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

static const char *format_units(double v, const struct unit *units, size_t n, char *buf, size_t len)
{
	const struct unit *best = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!units[i].suffix[0] && units[i].scale != 1.0)
			continue;
		if (fabs(v) >= units[i].scale && (!best || units[i].scale > best->scale))
			best = &units[i];
	}
	if (!best) {
		snprintf(buf, len, "%.3g%s", v, units[0].scale == 1.0 ? units[0].suffix : "");
		return buf;
	}
	double x = v / best->scale;
	snprintf(buf, len, x >= 100 ? "%.0f%s" : x >= 10 ? "%.1f%s" : "%.2f%s", x, best->suffix);
	return buf;
}

const char *crowd_units_format_size(double bytes, char *buf, size_t len)
{
	/* Print with the IEC names only. */
	static const struct unit out[] = {
	    {"B", 1.0},
	    {"KiB", 1024.0},
	    {"MiB", 1048576.0},
	    {"GiB", 1073741824.0},
	    {"TiB", 1099511627776.0},
	};
	return format_units(bytes, out, sizeof(out) / sizeof(out[0]), buf, len);
}

const char *crowd_units_format_time(double ns, char *buf, size_t len)
{
	static const struct unit out[] = {
	    {"ns", 1.0},
	    {"us", 1e3},
	    {"ms", 1e6},
	    {"s", 1e9},
	};
	return format_units(ns, out, sizeof(out) / sizeof(out[0]), buf, len);
}

const char *crowd_units_format_count(double n, char *buf, size_t len)
{
	static const struct unit out[] = {
	    {"", 1.0},
	    {"k", 1e3},
	    {"M", 1e6},
	    {"G", 1e9},
	};
	return format_units(n, out, sizeof(out) / sizeof(out[0]), buf, len);
}

const char *crowd_units_format(double v, const char *unit, char *buf, size_t len)
{
	char tmp[24];
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (!strcmp(unit, "ns"))
		crowd_units_format_time(v, buf, len);
	else if (!strcmp(unit, "bytes"))
		snprintf(buf, len, "%s%s", v < 0 ? "-" : "",
			 crowd_units_format_size(fabs(v), tmp, sizeof(tmp)));
	else
		crowd_units_format_count(v, buf, len);
	return buf;
}
