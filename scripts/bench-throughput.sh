#!/usr/bin/env bash
# Benchmark: what containerisation costs in HTTP throughput. N httpd containers (backend core)
# and N plain httpd processes (backend process) start in one run, interleaved, and get HTTP load
# together once all are ready; the ratio of their aggregate requests/s is the cost. Two
# variants, alternating round by round: a network namespace per container (crowd's default
# --ns) and none (--ns pid,mnt,uts,ipc,cgroup).
#
# Environment: N (100), DURATION (3s), ROUNDS (3; medians reported), CONNECTIONS (per
# instance; crowd bench's default when unset), OUT (keep the results folders there; default a
# temporary folder, removed). Needs root (the core backend makes namespaces and cgroups).
set -euo pipefail
cd "$(dirname "$0")/.."
CROWD=build/crowd
N=${N:-100}
DURATION=${DURATION:-3s}
ROUNDS=${ROUNDS:-3}
die() { echo "bench-throughput: $*" >&2; exit 1; }
[ -x "$CROWD" ] || die "build/crowd missing: run make"
[ "$(id -u)" -eq 0 ] || { echo "bench-throughput: skipped, needs root"; exit 0; }
export CROWD_CGROUP_TOP=${CROWD_CGROUP_TOP:-crowd-bench-throughput-$$}
if [ -n "${OUT:-}" ]; then
	mkdir -p "$OUT"; out=$OUT; keep=1
else
	out=$(mktemp -d /tmp/crowd-bench-throughput.XXXXXX); keep=0
fi
trap '[ "$keep" = 1 ] || rm -rf "$out"' EXIT
conn=()
if [ -n "${CONNECTIONS:-}" ]; then conn=(--connections "$CONNECTIONS"); fi
: >"$out/rows"

# One crowd bench run; appends a row: variant round core_ok proc_ok core_rps proc_rps ratio
# core_jain proc_jain client_cpu_per_s
run() {
	local name=$1 round=$2; shift 2
	local dir="$out/$name-$round"
	if ! "$CROWD" bench --backend core,process -n "$N" --workload httpd --duration "$DURATION" \
		"${conn[@]}" --quiet --out "$dir" "$@" >"$dir.log" 2>&1; then
		# Failed instances still leave a results folder: report the round, keep it out of the medians.
		[ -f "$dir/summary.json" ] || die "crowd bench ($name) failed: $(tail -5 "$dir.log")"
		echo "  ($name round $round: $(tail -1 "$dir.log" | sed 's/^crowd bench: //'))"
	fi
	python3 - "$dir/summary.json" "$name" "$round" <<'PY' >>"$out/rows" || die "no load results in $dir"
import json, sys
d = json.load(open(sys.argv[1]))
c, p = d["backends"]["core"], d["backends"]["process"]
lc, lp = c.get("load") or {}, p.get("load") or {}
if not lc or not lp or not lp.get("total_rps"):
    sys.exit(1)
print("%s %s %d %d %.0f %.0f %.3f %.3f %.3f %.2f" % (
    sys.argv[2], sys.argv[3], c["count"] - c["failures"], p["count"] - p["failures"],
    lc["total_rps"], lp["total_rps"], lc["total_rps"] / lp["total_rps"],
    lc["jain_fairness"], lp["jain_fairness"], lc["client_cpu_ns"] / lc["duration_ns"]))
PY
	tail -1 "$out/rows" | awk '{printf "%-14s %5s %7s %7s %11s %11s %7s %9s %9s %10s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}'
}

echo "N=$N httpd per backend; core and process side by side in one run; load $DURATION on all at once"
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %5s %7s %7s %11s %11s %7s %9s %9s %10s\n' variant round core_ok proc_ok \
	core_rps proc_rps ratio core_jain proc_jain client_cpu
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) -eq 1 ]; then
		run netns-per-ctr "$r"
		run no-netns "$r" --ns pid,mnt,uts,ipc,cgroup
	else
		run no-netns "$r" --ns pid,mnt,uts,ipc,cgroup
		run netns-per-ctr "$r"
	fi
done
for v in netns-per-ctr no-netns; do
	awk -v v="$v" '
	function med(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	$1 == v && $3 == n_ && $4 == n_ { n++; c[n] = $5; p[n] = $6; q[n] = $7 }
	$1 == v && ($3 != n_ || $4 != n_) { skipped++ }
	END { printf "median %-13s core %.0f req/s, process %.0f req/s, ratio core/process %.3f (%d rounds%s)\n", v, med(c, n), med(p, n), med(q, n), n, skipped ? sprintf("; %d with failed instances left out", skipped) : "" }' n_="$N" "$out/rows"
done
echo "ratio: aggregate requests/s of the containers over that of the plain processes (1.0: no cost)"
echo "client_cpu: load generator CPU seconds per second of load (near $(nproc): the client is the limit)"
if [ "$keep" = 1 ]; then echo "results: $out/<variant>-<round>"; fi
exit 0
