#!/usr/bin/env bash
# `crowd run -- /bin/true` against crun and runc running /bin/true in the same rootfs
# (build/rootfs, read-only, from an OCI bundle made with `crun spec`), side by side in one
# hyperfine run. Prints each median and the ratios crowd/crun and crowd/runc.
#
# crun cannot manage cgroups on this hybrid layout; it runs with --cgroup-manager=disabled
# in a private mount namespace with cgroup2 mounted at /sys/fs/cgroup, entered by nsenter.
# That nsenter costs an exec of its own, so it is measured alone too and crun's median is
# also given without it. runc runs as is (it uses the v1 hierarchies). Wall times on a
# shared host are noisy; the CPU time (user+sys, children included) is printed as well.
#
# usage: scripts/bench-run.sh [RUNS]    (default 200; needs root, hyperfine, crun, runc)
# Results: results/runs/bench-run-<time>/hyperfine.json (raw times) and summary.txt.
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-200}
case $RUNS in '' | *[!0-9]*) echo "bench-run: RUNS '$RUNS': not allowed (a number of runs, 10..100000)" >&2; exit 2 ;; esac
[ "$RUNS" -ge 10 ] || { echo "bench-run: RUNS '$RUNS': not allowed (10..100000)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench-run: needs root (crun and runc run rootful here)" >&2; exit 77; }
CROWD=$PWD/build/crowd
ROOTFS=$PWD/build/rootfs
if [ ! -x "$CROWD" ] || [ ! -x "$ROOTFS/bin/true" ]; then echo "bench-run: build/crowd or build/rootfs missing: run make" >&2; exit 1; fi
for t in hyperfine crun runc nsenter unshare python3; do
	command -v $t >/dev/null || { echo "bench-run: $t not installed (scripts/deps.sh)" >&2; exit 1; }
done
export CROWD_CGROUP_TOP=${CROWD_CGROUP_TOP:-crowd-bench-run}
out=results/runs/bench-run-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
work=$(mktemp -d /tmp/crowd-bench-run.XXXXXX)
holder=""
cleanup() {
	# Each step may fail (the holder gone already, wait's 143): none may stop the cleanup
	# under set -e, or the work directory stays behind.
	if [ -n "$holder" ]; then
		kill "$holder" 2>/dev/null || true
		wait "$holder" 2>/dev/null || true
	fi
	crun delete -f "crowd-bench-crun-$$" >/dev/null 2>&1 || true
	runc delete -f "crowd-bench-runc-$$" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

# The OCI bundle: crun's default spec (pid, net, ipc, uts, mnt namespaces; /proc, /dev,
# /dev/pts, /dev/shm, /dev/mqueue, /sys; masked and read-only paths), our rootfs, /bin/true.
(cd "$work" && crun spec)
python3 - "$work/config.json" "$ROOTFS" <<'PY'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["root"] = {"path": rootfs, "readonly": True}
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
c["hostname"] = "crowd"
json.dump(c, open(path, "w"), indent=1)
PY

# A private copy of crowd: `make` in a shared checkout may replace build/crowd mid-run.
cp "$CROWD" "$work/crowd"
CROWD="$work/crowd"
# The same security work as that bundle: crun's default spec sets no_new_privs, masked and
# read-only paths and a read-only /sys, but no seccomp filter, and with its cgroup manager
# disabled crun applies no device rules; so crowd runs with those three features only
# (--security; docs/security.md). BENCH_RUN_SECURITY=all measures crowd's default instead.
crowd_cmd="$CROWD run --rootfs $ROOTFS --security ${BENCH_RUN_SECURITY:-nnp,masks,sys-ro} -- /bin/true"

# A mount namespace where /sys/fs/cgroup is cgroup2, held open by a sleeping process.
unshare -m --propagation private sleep 100000 &
holder=$!
for _ in $(seq 100); do
	[ "$(readlink /proc/$holder/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] && break
	sleep 0.01
done
nsenter -t "$holder" -m mount -t cgroup2 none /sys/fs/cgroup

crun_cmd="nsenter -t $holder -m crun --cgroup-manager=disabled run -b $work crowd-bench-crun-$$"
runc_cmd="runc run -b $work crowd-bench-runc-$$"
# Each must work once before it is timed.
$crun_cmd || { echo "bench-run: crun failed: $crun_cmd" >&2; exit 1; }
$runc_cmd || { echo "bench-run: runc failed: $runc_cmd" >&2; exit 1; }
$crowd_cmd || { echo "bench-run: crowd run failed: $crowd_cmd" >&2; exit 1; }

# Side by side: rounds of 5 runs of each command, one round after another, so that the
# load of this shared host drifts over all of them alike.
per=5
rounds=$(((RUNS + per - 1) / per))
for r in $(seq "$rounds"); do
	hyperfine -N --style none --warmup 1 --runs $per --export-json "$out/round-$r.json" \
		-n crowd "$crowd_cmd" \
		-n crun "$crun_cmd" \
		-n runc "$runc_cmd" \
		-n nsenter "nsenter -t $holder -m /bin/true" \
		-n process "$ROOTFS/bin/true" >>"$out/hyperfine.txt" 2>&1 ||
		{ cat "$out/hyperfine.txt" >&2; exit 1; }
done
python3 - "$out" "$rounds" <<'PY'
import glob, json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
times, cpu = {}, {}
for f in sorted(glob.glob(out + "/round-*.json")):
    for r in json.load(open(f))["results"]:
        times.setdefault(r["command"], []).extend(r["times"])
        cpu.setdefault(r["command"], []).append(r["user"] + r["system"])
json.dump({"rounds": rounds, "times_s": times, "cpu_mean_s_per_round": cpu}, open(out + "/hyperfine.json", "w"))
PY
rm -f "$out"/round-*.json

python3 - "$out/hyperfine.json" "$RUNS" <<'PY' | tee "$out/summary.txt"
import json, statistics, sys
j = json.load(open(sys.argv[1]))
d = j["times_s"]
cpu = {k: statistics.mean(v) * 1e3 for k, v in j["cpu_mean_s_per_round"].items()}
med = {k: statistics.median(v) * 1e3 for k, v in d.items()}
print(f"crowd run vs crun vs runc: /bin/true in build/rootfs, {len(d['crowd'])} runs each (hyperfine -N, rounds of 5 interleaved)")
for k in ["crowd", "crun", "runc", "nsenter", "process"]:
    t = d[k]
    print(f"  {k:8s} median {med[k]:7.2f} ms   mean {statistics.mean(t)*1e3:7.2f} ms   min {min(t)*1e3:6.2f} ms   max {max(t)*1e3:7.2f} ms   cpu {cpu[k]:6.2f} ms")
crun_net = med["crun"] - med["nsenter"]
print(f"  crun without the nsenter wrapper: {crun_net:.2f} ms")
print(f"ratio crowd/crun {med['crowd']/med['crun']:.3f} (without nsenter: {med['crowd']/crun_net:.3f}); target <= 0.333")
print(f"ratio crowd/runc {med['crowd']/med['runc']:.3f}")
print(f"cpu time (user+sys, mean) crowd/crun {cpu['crowd']/cpu['crun']:.3f} (without nsenter: {cpu['crowd']/(cpu['crun']-cpu['nsenter']):.3f}), crowd/runc {cpu['crowd']/cpu['runc']:.3f}")
print(f"ratio crowd/process {med['crowd']/med['process']:.2f}")
PY
echo "raw times: $out/hyperfine.json"
