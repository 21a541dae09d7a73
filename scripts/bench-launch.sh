#!/usr/bin/env bash
# Sustained launch rate of the core: 1000 idle containers at -j 1 and -j 2 with every namespace
# but net and user, in containers ready per second (ready ones / (last t_ready - first
# t_request)); and the ratio of the core's median spin-up to the process floor's, measured
# side by side (interleaved) in one run. Targets (issue 4): core median <= 3x process;
# >= 500 containers/s at -j 2.
# Usage: scripts/bench-launch.sh [N]   (N default 1000). Needs root. CROWD: the binary.
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000}
NS=pid,mnt,uts,ipc,cgroup
CROWD=${CROWD:-build/crowd}
[ -x "$CROWD" ] || { echo "bench-launch: build/crowd missing: run make" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench-launch: needs root" >&2; exit 77; }
export CROWD_CGROUP_TOP=${CROWD_CGROUP_TOP:-crowd-bench-launch}
out=results/runs/bench-launch-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"

# rate CSV BACKEND: "<ready> <rate/s> <p50 spin-up ms>"
rate() {
	local nr med
	# Columns by name (docs/architecture.md): appended columns move nothing.
	nr=$(awk -F, -v b="$2" '
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["backend"] == b && $c["status"] == "ok" {
		n++; if (lo == "" || $c["t_request_ns"] < lo) lo = $c["t_request_ns"]
		if ($c["t_ready_ns"] > hi) hi = $c["t_ready_ns"]
	}
	END { if (!n) print "0 0"; else printf "%d %.1f\n", n, n / ((hi - lo) / 1e9) }' "$1")
	med=$(awk -F, -v b="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$c["backend"] == b && $c["status"] == "ok" { print $c["spinup_ns"] }' "$1" | sort -n |
		awk '{ s[NR] = $1 } END { if (!NR) print 0; else printf "%.3f\n", ((NR % 2) ? s[(NR + 1) / 2] : (s[NR / 2] + s[NR / 2 + 1]) / 2) / 1e6 }')
	echo "$nr $med"
}

for j in 1 2; do
	"$CROWD" bench -n "$N" -j "$j" --backend core --workload idle --ns "$NS" --quiet \
		--out "$out/core-j$j" >/dev/null
	read -r n r m < <(rate "$out/core-j$j/samples.csv" core)
	echo "core -j $j: $n/$N ready, $r containers/s sustained, spin-up p50 $m ms"
done
"$CROWD" bench -n "$N" -j 1 --backend core,process --workload idle --ns "$NS" --quiet \
	--out "$out/core+process" >/dev/null
read -r nc _ mc < <(rate "$out/core+process/samples.csv" core)
read -r np _ mp < <(rate "$out/core+process/samples.csv" process)
echo "interleaved -j 1: core p50 $mc ms ($nc ready), process p50 $mp ms ($np ready)"
awk -v c="$mc" -v p="$mp" 'BEGIN { printf "ratio core/process median spin-up: %.2f (target <= 3)\n", c / p }'
echo "results: $out"
