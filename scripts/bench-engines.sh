#!/usr/bin/env bash
# The systems people run, side by side with crowd's core, measured the same way (issue 15):
#   1. --backend core,docker,podman,lxc,runsc,nspawn,crun -n N --workload httpd, interleaved
#      (backends this build lacks or this host cannot run are reported as such and left out);
#   2. the same engines beside the core with --rootfs-mode overlay (a writable layer per
#      container, as every engine gives), interleaved;
#   3. with DENSITY=1: crowd density --backend docker --max-count MAX (and the core beside it).
# Prints per backend: spin-up p50/p99, memory per instance (cgroup charge, PSS of the
# container's processes, engine overhead outside it: shim/monitor + daemon growth), req/s per
# instance, and the ratios to the core of that run. A docker daemon: DOCKER_HOST, else
# /var/run/docker.sock, else a private one started here (scripts/dockerd-private.sh) and
# stopped at the end.
# usage: scripts/bench-engines.sh [N [MAX]]   (defaults 50 and 500). Needs root.
set -eu
cd "$(dirname "$0")/.."
N=${1:-50}
MAX=${2:-500}
CROWD=${CROWD:-build/crowd}
[ -x "$CROWD" ] || { echo "bench-engines: build/crowd missing: run make" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench-engines: needs root" >&2; exit 77; }
export CROWD_CGROUP_TOP=${CROWD_CGROUP_TOP:-crowd-bench-engines}
out=results/runs/bench-engines-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"

dk=""
if [ -z "${DOCKER_HOST:-}" ] && [ ! -S /var/run/docker.sock ] && command -v dockerd >/dev/null; then
	dk=/tmp/cdk-bench-$$
	trap 'scripts/dockerd-private.sh stop "$dk" >/dev/null 2>&1 || true' EXIT
	if scripts/dockerd-private.sh start "$dk" >"$out/dockerd.txt" 2>&1; then
		export DOCKER_HOST=unix://$dk/docker.sock
		echo "docker: a private dockerd ($(dockerd --version | cut -d, -f1)) on $DOCKER_HOST"
	else
		echo "docker: a private dockerd did not start: $(tail -n 1 "$out/dockerd.txt")"
	fi
fi

# The wanted backends this build has and this host can run; the others said once.
info=$("$CROWD" info 2>&1)
avail=""
for b in core docker podman lxc runsc nspawn crun; do
	line=$(grep -E "^  $b +" <<<"$info" || true)
	if [ -z "$line" ]; then
		echo "  $b: not in this build"
	elif grep -q unavailable <<<"$line"; then
		echo "  $b: $(sed -E 's/^ +[a-z]+ +//' <<<"$line")"
	else
		avail="$avail${avail:+,}$b"
	fi
done
engines=$(tr , '\n' <<<"$avail" | grep -vx -e core -e crun | paste -sd, -)

# report DIR: one line per backend from samples.csv (ok rows), ratios to the run's core.
report() {
	awk -F, '
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["status"] == "ok" {
		b = $c["backend"]; if (!(b in n)) order[++nb] = b
		k = ++n[b]; sp[b, k] = $c["spinup_ns"]; ps[b, k] = $c["pss_bytes"]
		cg[b, k] = $c["cgroup_bytes"]; rp[b, k] = $c["rps"]
		en[b, k] = ("engine_bytes" in c) ? $c["engine_bytes"] : ""
	}
	$c["status"] != "ok" { bad[$c["backend"]]++; if (!($c["backend"] in n)) { order[++nb] = $c["backend"]; n[$c["backend"]] = 0 } }
	function size(v) { return v < 0 ? "-" : v >= 10485760 ? sprintf("%.1fM", v / 1048576) : sprintf("%.0fK", v / 1024) }
	function pct(arr, b, k, q,   v, m, i, j, t) {
		m = 0
		for (i = 1; i <= k; i++) if (arr[b, i] != "") v[++m] = arr[b, i] + 0
		if (!m) return -1
		for (i = 2; i <= m; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
		i = int(q * (m - 1) + 0.5) + 1
		return v[i]
	}
	function ratio(a, b) { return (a >= 0 && b > 0) ? sprintf("%.1fx", a / b) : "-" }
	END {
		if ("core" in n) {
			cs = pct(sp, "core", n["core"], 0.5); cg0 = pct(cg, "core", n["core"], 0.5)
			cr = pct(rp, "core", n["core"], 0.5)
		} else { cs = cg0 = cr = -1 }
		printf "  %-7s %4s %4s %9s %9s %7s %8s %7s %8s %10s %8s %7s\n", "backend", "ok", "fail",
			"spin p50", "spin p99", "xcore", "cgroup", "PSS", "engine", "mem xcore", "req/s", "xcore"
		for (k = 1; k <= nb; k++) {
			b = order[k]; m = n[b]
			s = pct(sp, b, m, 0.5); s9 = pct(sp, b, m, 0.99); g = pct(cg, b, m, 0.5)
			p = pct(ps, b, m, 0.5); e = pct(en, b, m, 0.5); r = pct(rp, b, m, 0.5)
			tot = (g >= 0 ? g : p) + (e > 0 ? e : 0)
			printf "  %-7s %4d %4d %8.1fms %8.1fms %7s %8s %7s %8s %10s %8s %7s\n", b, m, bad[b] + 0,
				s / 1e6, s9 / 1e6, ratio(s, cs), size(g), size(p), size(e),
				ratio(tot, cg0), (r >= 0 ? sprintf("%.0f", r) : "-"), ratio(r, cr)
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
	grep -E "error \(#" "$out/$name.txt" | head -5 || true
}

echo "memory per instance: cgroup charge and PSS of the container; engine: outside it (mem xcore:"
echo "(cgroup + engine) / core's cgroup). Spin-up: request to the workload's readiness byte."
run engines --backend "$avail" -n "$N"
if [ -n "$engines" ]; then
	run overlay --backend "core,$engines" -n "$N" --rootfs-mode overlay
fi
if [ "${DENSITY:-0}" = 1 ] && grep -qw docker <<<"$engines"; then
	for b in docker core; do
		rc=0
		"$CROWD" density --backend "$b" --max-count "$MAX" --no-load --quiet \
			--out "$out/density-$b" >"$out/density-$b.txt" 2>&1 || rc=$?
		echo "== crowd density --backend $b --max-count $MAX --no-load (exit $rc)"
		grep -iE "stopped|fit|per instance|reason|limit" "$out/density-$b.txt" | head -8 || true
	done
fi
echo "results: $out"
