#!/usr/bin/env bash
# Density of the core on this host: idle and httpd containers with every namespace but user,
# added in steps until a stop condition (memory budget 80% of MemAvailable, a kernel or cgroup
# limit, or MAX), every httpd checked to answer HTTP at the end of its ramp. Prints the answer
# line of each run and where its results folder is.
# Usage: scripts/bench-density.sh [MAX [STEP]]   (defaults 20000 and 500). Needs root.
# Environment: CROWD (the binary, default build/crowd), WORKLOADS (default "httpd idle").
set -eu
cd "$(dirname "$0")/.."
MAX=${1:-20000}
STEP=${2:-500}
NS=pid,mnt,uts,ipc,net,cgroup
CROWD=${CROWD:-build/crowd}
[ -x "$CROWD" ] || { echo "bench-density: build/crowd missing: run make" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench-density: needs root" >&2; exit 77; }
export CROWD_CGROUP_TOP=${CROWD_CGROUP_TOP:-crowd-bench-density}
out=results/runs/bench-density-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
echo "host: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), RLIMIT_NOFILE hard $(ulimit -Hn), pid_max $(cat /proc/sys/kernel/pid_max)"

for wl in ${WORKLOADS:-httpd idle}; do
	load=()
	[ "$wl" = httpd ] && load=(--load --load-sample 50 --duration 1s)
	start=$(date +%s)
	rc=0
	"$CROWD" density --workload "$wl" --ns "$NS" --step "$STEP" --max-count "$MAX" \
		--memory-budget 80% "${load[@]}" --quiet --out "$out/$wl" >"$out/$wl.txt" 2>&1 || rc=$?
	end=$(date +%s)
	echo "== $wl (exit $rc, $((end - start)) s wall including teardown)"
	grep -E "instances up; stopped by|HTTP at the end" "$out/$wl.txt" || tail -5 "$out/$wl.txt"
	awk '/teardown/ && !t { print "  teardown per container:" $0; t = 1 }' "$out/$wl.txt"
done
echo "results: $out"
