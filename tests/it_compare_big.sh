#!/bin/bash
# crowd compare on big runs (issue 20 item 6): two 600,000-row samples.csv (a density run to
# 100,000 containers is a real use) compare within 200 MB of memory (max RSS, measured by
# getrusage of the child), with the right verdict. The time it takes is printed, not
# asserted (timing belongs in a bench: scripts/bench-verdicts.sh, docs/compare.md).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
command -v python3 >/dev/null || skip "needs python3 to generate synthetic results"
T=$(mktemp -d /tmp/it_compare_big.XXXXXX)
trap 'rm -rf "$T"' EXIT
ROWS=${CROWD_TEST_BIG_ROWS:-600000}

# gen DIR SEED N SCALE: N rows of core/idle, phases lognormal (sigma 0.2) around SCALE * base
gen() {
	python3 - "$@" <<'PY'
import math, os, random, sys
d, seed, n, scale = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
rnd = random.Random(seed)
g = rnd.gauss
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, "samples.csv"), "w") as f:
    f.write("backend,workload,index,id,status,t_request_ns,t_cgroup_ns,t_clone_ns,t_setup_ns,"
            "t_ready_ns,t_first_response_ns,spinup_ns,teardown_ns,cgroup_bytes,pss_bytes,"
            "rss_bytes,rps,error\n")
    t, out = 0, []
    for i in range(n):
        cg, cl, st, rd = (int(b * scale * math.exp(0.2 * g(0, 1))) for b in (2e5, 7e5, 1e6, 3e5))
        tr = t; tc = tr + cg; tk = tc + cl; ts = tk + st; ty = ts + rd
        status = "failed" if i % 1000 == 999 else "ok"
        out.append(f'core,idle,{i},crowd-{seed}-{i:07d},{status},{tr},{tc},{tk},{ts},{ty},,{ty - tr},'
                   f'{int(4e5 * math.exp(0.3 * g(0, 1)))},77824,12288,45056,,""\n')
        t = ty + 1000
        if len(out) >= 10000:
            f.write("".join(out))
            out = []
    f.write("".join(out))
PY
}
gen "$T/old" 1 "$ROWS" 1.0 &
gen "$T/new" 2 "$ROWS" 1.1 &
wait
[ "$(wc -l <"$T/new/samples.csv")" -eq $((ROWS + 1)) ] || fail "generator wrote $(wc -l <"$T/new/samples.csv") lines"

# run CMD...: OUT, RC, and MAXRSS_KB (the child's peak resident memory)
python3 - "$T" "$CROWD" compare "$T/old" "$T/new" --json <<'PY' || fail "could not run crowd compare"
import resource, subprocess, sys, time
t = sys.argv[1]
start = time.monotonic()
p = subprocess.run(sys.argv[2:], stdout=open(t + "/out", "w"), stderr=open(t + "/err", "w"))
wall = time.monotonic() - start
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
open(t + "/measure", "w").write(f"{p.returncode} {ru.ru_maxrss} {wall:.1f} {ru.ru_utime + ru.ru_stime:.1f}\n")
PY
read -r rc rss wall cpu <"$T/measure"
echo "crowd compare of two $ROWS-row runs: exit $rc, max RSS $((rss / 1024)) MiB, $wall s wall, $cpu s CPU"
# one run per side, 10% slower: inconclusive (4), not a crash or an out-of-memory
[ "$rc" -eq 4 ] || fail "exit $rc, expected 4 (inconclusive): $(cat "$T/err")"
python3 - "$T/out" "$ROWS" <<'PY' || fail "--json content: $(head -c 2000 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
c = {x["metric"]: x for x in d["comparisons"]}
s = c["spinup_ns"]
assert s["n_old"] == n - n // 1000 and s["verdict"] == "inconclusive", s
assert 1.095 < s["ratio"] < 1.105 and s["ci95"][0] > 1.09, s
f = c["failures"]
assert f["failed_old"] == n // 1000 and f["verdict"] == "no change", f
PY
[ "$rss" -le $((200 * 1024)) ] || fail "max RSS $((rss / 1024)) MiB > 200 MiB"
echo "ok"
