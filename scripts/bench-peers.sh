#!/usr/bin/env bash
# crowd's core against its peers on this host, measured the same way in one run each:
#   1. --backend core,process,crun,runc,bwrap -n N -j 1 --workload httpd (interleaved)
#   2. --backend core,vm -n M --workload httpd (the VM under whichever accelerator ran)
# Prints, per backend, the median spin-up (t_ready - t_request), its ratio to core's, and the
# median memory per instance (PSS of the instance's processes; cgroup charge where the peer
# has a cgroup crowd can read); for the VM, the accelerator from host.json.
# usage: scripts/bench-peers.sh [N [M]]   (defaults 200 and 5). Needs root; make vm for the VM.
set -eu
cd "$(dirname "$0")/.."
N=${1:-200}
M=${2:-5}
CROWD=${CROWD:-build/crowd}
[ -x "$CROWD" ] || { echo "bench-peers: build/crowd missing: run make" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench-peers: needs root" >&2; exit 77; }
export CROWD_CGROUP_TOP=${CROWD_CGROUP_TOP:-crowd-bench-peers}
out=results/runs/bench-peers-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"

# report DIR: one line per backend from samples.csv (median of ok rows)
report() {
	awk -F, '
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["status"] == "ok" {
		b = $c["backend"]; if (!(b in n)) order[++nb] = b
		n[b]++; sp[b, n[b]] = $c["spinup_ns"]; ps[b, n[b]] = $c["pss_bytes"]
		cg[b, n[b]] = $c["cgroup_bytes"]; rp[b, n[b]] = $c["rps"]
	}
	$c["status"] != "ok" { bad[$c["backend"]]++ }
	function size(v) { return v < 0 ? "-" : v >= 10485760 ? sprintf("%.1fMiB", v / 1048576) : sprintf("%.1fKiB", v / 1024) }
	function med(arr, b, k,   v, m, i, j, t) {
		m = 0
		for (i = 1; i <= k; i++) if (arr[b, i] != "") v[++m] = arr[b, i] + 0
		if (!m) return -1
		for (i = 2; i <= m; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
		return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	END {
		core = ("core" in n) ? med(sp, "core", n["core"]) : -1
		printf "  %-8s %5s %6s %12s %9s %11s %11s %10s\n", "backend", "ok", "failed", "spin-up p50", "vs core", "PSS p50", "cgroup p50", "req/s p50"
		for (k = 1; k <= nb; k++) {
			b = order[k]; s = med(sp, b, n[b]); p = med(ps, b, n[b]); g = med(cg, b, n[b]); r = med(rp, b, n[b])
			printf "  %-8s %5d %6d %10.2fms %8s %11s %11s %10s\n", b, n[b], bad[b] + 0, s / 1e6,
				(core > 0 ? sprintf("%.2fx", s / core) : "-"), size(p),
				(g >= 0 ? size(g) : "-"), (r >= 0 ? sprintf("%.0f", r) : "-")
		}
	}' "$1/samples.csv"
}

run() { # NAME ARGS...
	local name=$1 rc=0
	shift
	"$CROWD" bench "$@" --workload httpd --quiet --out "$out/$name" >"$out/$name.txt" 2>&1 || rc=$?
	echo "== crowd bench $* --workload httpd (exit $rc)"
	if [ ! -f "$out/$name/samples.csv" ]; then
		tail -5 "$out/$name.txt"
		return
	fi
	report "$out/$name"
	grep -E "unavailable|error \(#" "$out/$name.txt" | head -5 || true
}

run peers --backend core,process,crun,runc,bwrap -n "$N" -j 1
run vm --backend core,vm -n "$M"
if [ -f "$out/vm/host.json" ]; then
	accel=$(grep -oE -- '-accel (kvm|tcg)' "$out/vm/host.json" | head -1 | cut -d' ' -f2)
	why=$(grep -oE '\[auto:[^]]*\]|\[--vm-accel [a-z]+\]' "$out/vm/host.json" | head -1)
	echo "  vm accelerator: ${accel:-unknown} $why"
fi
echo "results: $out"
