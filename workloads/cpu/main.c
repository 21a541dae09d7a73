/* cpu: burn CPU in fixed work units (a noisy neighbour) and report units/s when stopped by
 * SIGTERM/SIGINT or after --duration. A unit is a fixed integer-only loop, so the count is
 * comparable between runs on one host. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wl.h"

#define CPU_UNIT_ITERS	    (1u << 18)
#define CPU_MAX_DURATION_MS (7ULL * 24 * 3600 * 1000)

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One work unit: xorshift64* steps; the result feeds the next unit so nothing is elided. */
static uint64_t cpu_unit(uint64_t x)
{
	for (unsigned i = 0; i < CPU_UNIT_ITERS; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		x *= 0x2545F4914F6CDD1DULL;
	}
	return x;
}

static const char usage[] =
    "usage: cpu [--duration TIME] [--help]\n"
    "Burn CPU in fixed work units until SIGTERM/SIGINT or TIME elapses, then print\n"
    "'units=N elapsed_ms=T units_per_s=R check=X' on stdout and exit 0.\n"
    "  --duration TIME  stop after TIME (s, ms, m suffixes; default 0 = until a signal)\n"
    "Writes one byte to the fd in $CROWD_READY_FD (if set) before starting.\n";

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_stop};
	uint64_t duration_ms = 0, units = 0, start, end, x = 88172645463325252ULL;
	const char *v;
	int r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		if (wl_opt("cpu", argc, argv, &i, "--duration", &v)) {
			if (wl_parse_duration_ms(v, CPU_MAX_DURATION_MS, &duration_ms) < 0)
				wl_usage_fail(
				    "cpu", "--duration '%s': want a time 0..7d like 10s or 500ms",
				    v);
			continue;
		}
		wl_usage_fail("cpu", "unknown argument '%s'", argv[i]);
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	r = wl_ready_notify();
	if (r < 0)
		wl_die("cpu", r, "CROWD_READY_FD");
	start = now_ms();
	end = start;
	while (!stop_requested) {
		x = cpu_unit(x);
		units++;
		end = now_ms();
		if (duration_ms && end - start >= duration_ms)
			break;
	}
	end = now_ms();
	printf("units=%llu elapsed_ms=%llu units_per_s=%.1f check=%llx\n",
	       (unsigned long long)units, (unsigned long long)(end - start),
	       end > start ? (double)units * 1000.0 / (double)(end - start) : 0.0,
	       (unsigned long long)(x & 0xffff));
	return 0;
}
