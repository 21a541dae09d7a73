#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl.h"

/* Digits only: no sign, no spaces, no hex. Sets *ret_end to the first non-digit. */
static int parse_digits(const char *text, uint64_t *ret, const char **ret_end)
{
	uint64_t v = 0;
	const char *p = text;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*ret = v;
	*ret_end = p;
	return 0;
}

int wl_parse_uint(const char *text, uint64_t max, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r = parse_digits(text, &v, &end);

	if (r < 0)
		return r;
	if (*end)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

struct unit {
	const char *suffix;
	uint64_t mult;
};

static int parse_with_units(const char *text, const struct unit *units, uint64_t max, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r = parse_digits(text, &v, &end);

	if (r < 0)
		return r;
	for (const struct unit *u = units; u->suffix; u++) {
		if (strcasecmp(end, u->suffix))
			continue;
		if (v > max / u->mult)
			return -ERANGE;
		*ret = v * u->mult;
		return 0;
	}
	return -EINVAL;
}

static const struct unit size_units[] = {
    {"", 1},
    {"b", 1},
    {"k", 1ULL << 10},
    {"kb", 1ULL << 10},
    {"kib", 1ULL << 10},
    {"m", 1ULL << 20},
    {"mb", 1ULL << 20},
    {"mib", 1ULL << 20},
    {"g", 1ULL << 30},
    {"gb", 1ULL << 30},
    {"gib", 1ULL << 30},
    {"t", 1ULL << 40},
    {"tb", 1ULL << 40},
    {"tib", 1ULL << 40},
    {NULL, 0},
};

int wl_parse_size(const char *text, uint64_t max, uint64_t *ret_bytes)
{
	return parse_with_units(text, size_units, max, ret_bytes);
}

static const struct unit time_units[] = {
    {"", 1000}, {"s", 1000}, {"ms", 1}, {"m", 60000}, {"h", 3600000}, {NULL, 0},
};

int wl_parse_duration_ms(const char *text, uint64_t max_ms, uint64_t *ret_ms)
{
	return parse_with_units(text, time_units, max_ms, ret_ms);
}

void wl_usage_fail(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try --help)\n");
	exit(2);
}

void wl_die(const char *prog, int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err < 0 ? -err : err));
	fputc('\n', stderr);
	exit(1);
}

static void on_signal_noop(int sig)
{
	(void)sig;
}

int wl_signals_block(bool with_chld, sigset_t *ret_set)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGCHLD};
	struct sigaction sa = {.sa_handler = on_signal_noop};
	size_t n = with_chld ? 3 : 2;

	sigemptyset(ret_set);
	for (size_t i = 0; i < n; i++) {
		sigaddset(ret_set, sigs[i]);
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	}
	if (sigprocmask(SIG_BLOCK, ret_set, NULL) < 0)
		return -errno;
	return 0;
}

bool wl_opt(const char *prog, int argc, char **argv, int *i, const char *name,
	    const char **ret_value)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n))
		return false;
	if (a[n] == '=') {
		*ret_value = a + n + 1;
		return true;
	}
	if (a[n])
		return false;
	if (*i + 1 >= argc)
		wl_usage_fail(prog, "%s: missing value", name);
	*ret_value = argv[++*i];
	return true;
}
