#!/usr/bin/env bash
# What loading a seccomp filter costs the kernel, per container: each round forks a child that
# sets no_new_privs and loads a filter (seccomp(SECCOMP_SET_MODE_FILTER)), timing that call
# alone. Filters, interleaved round by round: crowd's default (its own binary search over call
# numbers, as a container gets it), the same table all through libseccomp, and a
# one-instruction allow-all filter (the kernel's fixed cost: it converts and JIT-compiles every
# filter it is given, then walks it once per call number of both ABIs). Prints the p10 and p50
# of each in microseconds (docs/security.md, Cost).
# Usage: scripts/bench-seccomp.sh [ROUNDS] (default 300).
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-300}
if ! [[ $ROUNDS =~ ^[0-9]+$ ]] || [ "$ROUNDS" -lt 10 ] || [ "$ROUNDS" -gt 100000 ]; then
	echo "bench-seccomp: ROUNDS '$ROUNDS': want 10..100000" >&2
	exit 2
fi
[ -f build/libcrowd.a ] || { echo "bench-seccomp: build/libcrowd.a missing: run make" >&2; exit 1; }
work=$(mktemp -d /tmp/crowd-bench-seccomp.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat >"$work/load.c" <<'C'
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/seccomp.h"

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

struct filt {
	const char *name;
	struct sock_fprog prog;
	long long *t;
};

/* One child: no_new_privs, then time the seccomp() call alone. */
static long long load_once(const struct sock_fprog *prog)
{
	int p[2];
	long long d = -1;
	if (pipe(p) < 0)
		exit(1);
	pid_t c = fork();
	if (c == 0) {
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		long long a = now_ns();
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
			_exit(1);
		d = now_ns() - a;
		_exit(write(p[1], &d, sizeof(d)) == sizeof(d) ? 0 : 1);
	}
	if (c < 0 || read(p[0], &d, sizeof(d)) != sizeof(d))
		exit(1);
	close(p[0]);
	close(p[1]);
	waitpid(c, NULL, 0);
	return d;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300;
	const struct crowd_seccomp *sc;
	struct crowd_seccomp *lib;
	struct crowd_error err = {0};
	/* The same table all through libseccomp: what crowd's own program saves. */
	if (crowd_seccomp_default(&sc, &err) < 0 || crowd_seccomp_table_compile(false, &lib, &err) < 0) {
		fprintf(stderr, "bench-seccomp: %s\n", err.msg);
		return 1;
	}
	struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	struct filt f[] = {
	    {"crowd default filter", {sc->len, sc->insns}, NULL},
	    {"same, all libseccomp", {lib->len, lib->insns}, NULL},
	    {"allow-all filter", {1, allow}, NULL},
	};
	const int nf = (int)(sizeof(f) / sizeof(f[0]));
	for (int k = 0; k < nf; k++)
		f[k].t = calloc((size_t)n, sizeof(long long));
	/* Interleaved: a drift of the machine hits every filter alike. */
	for (int i = 0; i < n; i++)
		for (int k = 0; k < nf; k++)
			f[k].t[i] = load_once(&f[k].prog);
	for (int k = 0; k < nf; k++) {
		qsort(f[k].t, (size_t)n, sizeof(long long), cmp);
		printf("%-22s %4u insns  p10 %7.1f us  p50 %7.1f us\n", f[k].name, f[k].prog.len,
		       f[k].t[n / 10] / 1e3, f[k].t[n / 2] / 1e3);
	}
	return 0;
}
C
# shellcheck disable=SC2046 # pkg-config prints several flags
cc -D_GNU_SOURCE -O2 -Iharness -Ibuild -o "$work/load" "$work/load.c" build/libcrowd.a \
	$(pkg-config --libs libseccomp libcap jansson) -lm -lpthread
echo "seccomp filter load, $ROUNDS rounds each, kernel $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg)"
"$work/load" "$ROUNDS"
