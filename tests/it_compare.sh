#!/bin/bash
# crowd compare on synthetic results folders: a 10% slowdown is flagged, an identical run is
# not, the false-positive rate over same-distribution pairs stays low, a noisy n=5 sample gives
# "no change", rps counts higher as better, --history orders by time, bad input exits 2.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
command -v python3 >/dev/null || skip "needs python3 to generate synthetic results"
T=$(mktemp -d /tmp/it_compare.XXXXXX)
trap 'rm -rf "$T"' EXIT

# gen DIR SEED N SCALE SIGMA [WORKLOAD] [STARTED] [RPS_SCALE]: a results folder whose times are
# lognormal around SCALE * base, memory constant, rps around RPS_SCALE * 1000.
gen() {
	python3 - "$@" <<'PY'
import json, math, os, random, sys
d, seed, n, scale, sigma = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
wl = sys.argv[6] if len(sys.argv) > 6 else "idle"
started = sys.argv[7] if len(sys.argv) > 7 else "2026-01-01T00:00:00Z"
rps_scale = float(sys.argv[8]) if len(sys.argv) > 8 else 1.0
rnd = random.Random(seed)
os.makedirs(d, exist_ok=True)
cols = "backend,workload,index,id,status,t_request_ns,t_cgroup_ns,t_clone_ns,t_setup_ns,t_ready_ns,t_first_response_ns,spinup_ns,teardown_ns,cgroup_bytes,pss_bytes,rss_bytes,rps,error"
def ln(base):
    return int(base * scale * math.exp(sigma * rnd.gauss(0, 1)))
with open(os.path.join(d, "samples.csv"), "w") as f:
    f.write(cols + "\n")
    t = 0
    for i in range(n):
        cg, cl, st, rd = ln(200000), ln(700000), ln(1000000), ln(300000)
        tr = t; tc = tr + cg; tk = tc + cl; ts = tk + st; ty = ts + rd
        rps = 1000 * rps_scale * math.exp(sigma * rnd.gauss(0, 1))
        f.write(f"core,{wl},{i},id-{i},ok,{tr},{tc},{tk},{ts},{ty},,{ty-tr},{ln(400000)},77824,12288,45056,{rps:.3f},\"\"\n")
        t = ty + 1000
json.dump({"run": os.path.basename(d), "workload": wl, "started": started, "count": n},
          open(os.path.join(d, "summary.json"), "w"))
PY
}

gen "$T/old" 1 100 1.0 0.05
gen "$T/same" 2 100 1.0 0.05
gen "$T/slow" 3 100 1.10 0.05
gen "$T/fast" 4 100 0.90 0.05
gen "$T/lowrps" 5 100 1.0 0.05 idle 2026-01-01T00:00:00Z 0.9

# identical folder: no change anywhere, exit 0
expect_rc 0 "$CROWD" compare "$T/old" "$T/old"
grep -q "no regression" <<<"$OUT" || fail "identical: $OUT"
grep -Eq "improved|REGRESSED" <<<"$OUT" && fail "identical folders got a verdict: $OUT"

# same distribution, other draw: no regression
expect_rc 0 "$CROWD" compare "$T/old" "$T/same"

# 10% slower: spin-up and its phases regressed, exit 1, marked
expect_rc 1 "$CROWD" compare "$T/old" "$T/slow"
grep -Eq "^core +spinup_ns .*REGRESSED +<<<" <<<"$OUT" || fail "10% slowdown not flagged: $OUT"
grep -Eq "^core +cgroup_bytes .*no change" <<<"$OUT" || fail "constant memory flagged: $OUT"
expect_rc 1 "$CROWD" compare "$T/old" "$T/slow" --json
python3 - "$OUT" <<'PY' || fail "--json content"
import json, sys
d = json.loads(sys.argv[1])
assert d["regressed"] is True
c = {x["metric"]: x for x in d["comparisons"]}
s = c["spinup_ns"]
assert s["verdict"] == "regressed", s
assert 1.05 < s["ratio"] < 1.15 and s["ci95"][0] > 1, s
assert s["p"] < 0.001 and s["n_old"] == 100
assert c["rps"]["verdict"] == "no change", c["rps"]
PY
# ... but not beyond a 20% threshold
expect_rc 0 "$CROWD" compare "$T/old" "$T/slow" --threshold 20
# markdown marks it bold
expect_rc 1 "$CROWD" compare "$T/old" "$T/slow" --markdown --metric spinup_ns
grep -q "^| core | spinup_ns | 100 | 100 | .*| \*\*REGRESSED\*\* |$" <<<"$OUT" || fail "markdown: $OUT"

# 10% faster: improved, exit 0
expect_rc 0 "$CROWD" compare "$T/old" "$T/fast"
grep -Eq "^core +spinup_ns .*improved" <<<"$OUT" || fail "speed-up not improved: $OUT"

# rps 10% lower is a regression (higher is better), times unchanged
expect_rc 1 "$CROWD" compare "$T/old" "$T/lowrps"
grep -Eq "^core +rps .*REGRESSED" <<<"$OUT" || fail "rps drop not flagged: $OUT"
grep -Eq "^core +spinup_ns .*REGRESSED" <<<"$OUT" && fail "unchanged spin-up flagged: $OUT"

# failures: 30 of 100 rows failing in NEW is a regression even though the ok rows match
cp -r "$T/same" "$T/failing"
csv_map "$T/same/samples.csv" status 'row <= 30 ? "failed" : v' >"$T/failing/samples.csv"
expect_rc 1 "$CROWD" compare "$T/old" "$T/failing"
grep -Eq "^core +failures +100 +100 +0/100 +30/100 .*REGRESSED" <<<"$OUT" || fail "failures not flagged: $OUT"
grep -Eq "^core +spinup_ns .*REGRESSED" <<<"$OUT" && fail "spin-up of the ok rows flagged: $OUT"
expect_rc 0 "$CROWD" compare "$T/failing" "$T/old"
grep -Eq "^core +failures .*improved" <<<"$OUT" || fail "fewer failures not improved: $OUT"

# one value per run from summary.json is shown without a verdict; a readiness kind that
# differs is noted
python3 - "$T/old/summary.json" fd 1000 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["backends"] = {"core": {"ready_kind": sys.argv[2], "host": {"mem_available_delta_bytes_per_instance": float(sys.argv[3]), "slab_delta_bytes_per_instance": -2048.0}}}
json.dump(d, open(sys.argv[1], "w"))
PY
python3 - "$T/same/summary.json" tcp 4096 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["backends"] = {"core": {"ready_kind": sys.argv[2], "host": {"mem_available_delta_bytes_per_instance": float(sys.argv[3]), "slab_delta_bytes_per_instance": 0.0}}}
json.dump(d, open(sys.argv[1], "w"))
PY
expect_rc 0 "$CROWD" compare "$T/old" "$T/same"
grep -Eq "^core +host_mem_available_per_instance +1000B? +4.00KiB$" <<<"$OUT" || fail "run values: $OUT"
grep -Eq "^core +host_slab_per_instance +-2.00KiB +0B?$" <<<"$OUT" || fail "negative run value: $OUT"
grep -q "^note: core: readiness seen differently: OLD fd, NEW tcp$" <<<"$OUT" || fail "ready kind note: $OUT"

# noisy n=5 with a 10% shift: no verdict the data cannot support
gen "$T/n5old" 6 5 1.0 0.5
gen "$T/n5new" 7 5 1.10 0.5
expect_rc 0 "$CROWD" compare "$T/n5old" "$T/n5new" --metric spinup_ns
grep -Eq "^core +spinup_ns .*no change" <<<"$OUT" || fail "n=5 gave a verdict: $OUT"

# false positives over 30 same-distribution pairs (sigma 0.2, n 50): at most 3 flagged
fp=0
for i in $(seq 1 30); do
	gen "$T/fa" $((100 + i)) 50 1.0 0.2
	gen "$T/fb" $((200 + i)) 50 1.0 0.2
	"$CROWD" compare "$T/fa" "$T/fb" --metric spinup_ns >/dev/null 2>&1
	rc=$?
	[ $rc -le 1 ] || fail "compare exited $rc"
	fp=$((fp + rc))
done
echo "false positives: $fp of 30"
[ $fp -le 3 ] || fail "false-positive rate too high: $fp of 30"

# interleaved rounds: each round's NEW half ran under a different load than its OLD half
# (+-7%, alternating), with no change of the code. One pair alone is flagged; the six rounds
# together are not. A true 25% slowdown on top is still caught.
args=() slow=()
i=0
for d in 1.07 0.93 1.06 0.94 1.08 0.92; do
	i=$((i + 1))
	lvl=$(awk -v i=$i 'BEGIN {print 1 + i / 10}')
	gen "$T/r-old$i" $((300 + i)) 100 "$lvl" 0.05
	gen "$T/r-new$i" $((400 + i)) 100 "$(awk -v a="$lvl" -v b="$d" 'BEGIN {print a * b}')" 0.05
	gen "$T/r-slow$i" $((500 + i)) 100 "$(awk -v a="$lvl" -v b="$d" 'BEGIN {print a * b * 1.25}')" 0.05
	args+=("$T/r-old$i" "$T/r-new$i")
	slow+=("$T/r-old$i" "$T/r-slow$i")
done
expect_rc 1 "$CROWD" compare "$T/r-old1" "$T/r-new1" --metric spinup_ns
expect_rc 0 "$CROWD" compare "${args[@]}" --metric spinup_ns
grep -q "6 interleaved rounds" <<<"$OUT" || fail "rounds not announced: $OUT"
grep -Eq "^core +spinup_ns +600 +600 .*no change" <<<"$OUT" || fail "drift flagged over rounds: $OUT"
expect_rc 1 "$CROWD" compare "${slow[@]}" --metric spinup_ns --json
python3 - "$OUT" <<'PY' || fail "rounds --json: $OUT"
import json, sys
d = json.loads(sys.argv[1])
assert d["rounds"] == 6 and len(d["old_dirs"]) == 6
c = d["comparisons"][0]
assert c["verdict"] == "regressed" and 1.15 < c["ratio"] < 1.35, c
PY
expect_rc 2 "$CROWD" compare "$T/r-old1" "$T/r-new1" "$T/r-old2"
grep -q "in pairs" <<<"$ERR" || fail "odd folder count: $ERR"

# history: folders given out of order come back oldest first; --data for plot
gen "$T/h1" 11 20 1.0 0.05 idle 2026-01-03T00:00:00Z
gen "$T/h2" 12 20 1.2 0.05 idle 2026-01-01T00:00:00Z
gen "$T/h3" 13 20 1.4 0.05 idle 2026-01-02T00:00:00Z
expect_rc 0 "$CROWD" compare --history "$T/h1" "$T/h2" "$T/h3" --data "$T/h.dat"
order=$(awk '$2 ~ /^2026/ {print $3}' <<<"$OUT" | tr '\n' ' ')
[ "$order" = "h2 h3 h1 " ] || fail "history order: '$order' in $OUT"
[ "$(grep -vc '^#' "$T/h.dat")" = 3 ] || fail "data file rows: $(cat "$T/h.dat")"
awk '!/^#/ && NF != 10 {exit 1}' "$T/h.dat" || fail "data file columns"

# bad input: exit 2 with the reason, nothing printed to stdout
expect_rc 2 "$CROWD" compare "$T/old" "$T/nope"
grep -q "nope" <<<"$ERR" || fail "missing folder not named: $ERR"
gen "$T/httpd" 8 20 1.0 0.05 httpd
expect_rc 2 "$CROWD" compare "$T/old" "$T/httpd"
grep -q "workloads differ" <<<"$ERR" || fail "mismatch reason: $ERR"
expect_rc 2 "$CROWD" compare "$T/old"
expect_rc 2 "$CROWD" compare "$T/old" "$T/same" --threshold 5x
grep -q -- "--threshold '5x'" <<<"$ERR" || fail "threshold message: $ERR"
expect_rc 2 "$CROWD" compare "$T/old" "$T/same" --metric bogus
grep -q "spinup_ns" <<<"$ERR" || fail "metric message lacks the allowed names: $ERR"
mkdir "$T/empty"
expect_rc 2 "$CROWD" compare "$T/old" "$T/empty"
grep -q "samples.csv" <<<"$ERR" || fail "empty folder: $ERR"
cp -r "$T/old" "$T/corrupt"
echo "core,idle,zz" >>"$T/corrupt/samples.csv"
expect_rc 2 "$CROWD" compare "$T/old" "$T/corrupt"
grep -q "samples.csv:102" <<<"$ERR" || fail "corrupt line not named: $ERR"
[ -z "$OUT" ] || fail "bad input printed to stdout: $OUT"
expect_rc 2 "$CROWD" compare --bogus "$T/old" "$T/same"
for args in "$T/old /etc/passwd" "$T/old $T/same --threshold -1" "$T/old $T/same --threshold 101"; do
	# shellcheck disable=SC2086 # split into arguments on purpose
	expect_rc 2 "$CROWD" compare $args
	[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "$args: not one line: $ERR"
	last=${args##* }
	case $ERR in *"$last"*) ;; *) fail "$args: message does not name '$last': $ERR" ;; esac
done
echo "ok"
