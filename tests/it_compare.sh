#!/bin/bash
# crowd compare on synthetic results folders: one run per side is at most "inconclusive" (exit
# 4), never a regression; interleaved rounds give the run-level verdict (a 25% slowdown over
# six drifting rounds regressed, exit 1; drift alone not); the primary metric decides;
# failures regress; --json/--markdown/--benchstat; --history orders by time; bad input exits 2.
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

# 10% slower, one run per side: the samples cannot tell it from drift between the two runs:
# inconclusive, exit 4, never 1
expect_rc 4 "$CROWD" compare "$T/old" "$T/slow"
grep -Eq "^core +spinup_ns .*inconclusive" <<<"$OUT" || fail "10% slowdown, one pair: $OUT"
grep -q "^INCONCLUSIVE: core spinup_ns 1.[01][0-9]*x, but one run per side" <<<"$OUT" || fail "reason: $OUT"
grep -Eq "^core +cgroup_bytes .*no change" <<<"$OUT" || fail "constant memory flagged: $OUT"
expect_rc 4 "$CROWD" compare "$T/old" "$T/slow" --json
python3 - "$OUT" <<'PY' || fail "--json content"
import json, sys
d = json.loads(sys.argv[1])
assert d["regressed"] is False and d["verdict"] == "inconclusive" and d["exit"] == 4, d
assert d["primary_metric"] == "spinup_ns"
c = {x["metric"]: x for x in d["comparisons"]}
s = c["spinup_ns"]
assert s["verdict"] == "inconclusive" and s["primary"] is True, s
assert 1.05 < s["ratio"] < 1.15 and s["ci95"][0] > 1, s
assert s["p"] < 0.001 and s["n_old"] == 100
assert c["rps"]["verdict"] == "no change" and c["rps"]["primary"] is False, c["rps"]
assert c["rps"]["p_adjusted"] >= c["rps"]["p"]
PY
# ... and within a 20% threshold it is no change
expect_rc 0 "$CROWD" compare "$T/old" "$T/slow" --threshold 20
expect_rc 4 "$CROWD" compare "$T/old" "$T/slow" --markdown --metric spinup_ns
grep -q "^| core | spinup_ns | 100 | 100 | .*| inconclusive |$" <<<"$OUT" || fail "markdown: $OUT"
grep -q "^INCONCLUSIVE" <<<"$OUT" || fail "markdown verdict line: $OUT"

# 10% faster, one pair: inconclusive too (exit 4)
expect_rc 4 "$CROWD" compare "$T/old" "$T/fast"
grep -Eq "^core +spinup_ns .*inconclusive" <<<"$OUT" || fail "speed-up, one pair: $OUT"

# rps 10% lower: a secondary metric, flagged but it does not decide; spin-up unchanged
expect_rc 0 "$CROWD" compare "$T/old" "$T/lowrps"
grep -Eq "^core +rps .*inconclusive" <<<"$OUT" || fail "rps drop not flagged: $OUT"
grep -Eq "^core +spinup_ns .*no change" <<<"$OUT" || fail "unchanged spin-up flagged: $OUT"
# unless it is the metric asked for
expect_rc 4 "$CROWD" compare "$T/old" "$T/lowrps" --metric rps

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

# 30 same-distribution pairs (sigma 0.2, n 50): one pair never regresses (0 or 4)
for i in $(seq 1 30); do
	gen "$T/fa" $((100 + i)) 50 1.0 0.2
	gen "$T/fb" $((200 + i)) 50 1.0 0.2
	"$CROWD" compare "$T/fa" "$T/fb" --metric spinup_ns >/dev/null 2>&1
	rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 4 ] || fail "one pair: compare exited $rc"
done

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
expect_rc 4 "$CROWD" compare "$T/r-old1" "$T/r-new1" --metric spinup_ns
expect_rc 0 "$CROWD" compare "${args[@]}" --metric spinup_ns
grep -q "6 interleaved rounds" <<<"$OUT" || fail "rounds not announced: $OUT"
grep -Eq "^core +spinup_ns +600 +600 .*no change" <<<"$OUT" || fail "drift flagged over rounds: $OUT"
expect_rc 1 "$CROWD" compare "${slow[@]}" --metric spinup_ns --json
python3 - "$OUT" <<'PY' || fail "rounds --json: $OUT"
import json, sys
d = json.loads(sys.argv[1])
assert d["rounds"] == 6 and len(d["old_dirs"]) == 6 and d["exit"] == 1
c = d["comparisons"][0]
assert c["verdict"] == "regressed" and 1.15 < c["ratio"] < 1.35, c
assert abs(c["p"] - 2 / 64) < 1e-9, c  # every round slower: the smallest sign-flip p of 6
PY
# all metrics: spin-up decides (exit 1); benchstat's layout, runs as the unit
expect_rc 1 "$CROWD" compare "${slow[@]}"
grep -q "^REGRESSION: core spinup_ns 1.2[0-9]*x over 6 rounds" <<<"$OUT" || fail "verdict line: $OUT"
expect_rc 1 "$CROWD" compare "${slow[@]}" --benchstat
grep -Eq "^core/spinup_ns +[0-9.]+ms ± +[0-9]+% +[0-9.]+ms ± +[0-9]+% +\+2[0-9.]+% +\(p=0.031 n=6\+6\)$" <<<"$OUT" || fail "benchstat: $OUT"
grep -Eq "^core/cgroup_bytes .* ~ +\(p=1.000 n=6\+6\)$" <<<"$OUT" || fail "benchstat ~: $OUT"
# four rounds can never show it: inconclusive
expect_rc 4 "$CROWD" compare "${slow[@]:0:8}" --metric spinup_ns
grep -q "4 rounds cannot show it" <<<"$OUT" || fail "too few rounds: $OUT"
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
expect_rc 2 "$CROWD" compare "$T/old" "$T/same" --rounds 3
grep -q -- "--ab" <<<"$ERR" || fail "--rounds without --ab: $ERR"
expect_rc 2 "$CROWD" compare --ab "$T/nope-crowd" "$CROWD"
grep -q "nope-crowd" <<<"$ERR" || fail "--ab missing binary: $ERR"
expect_rc 2 "$CROWD" compare --ab "$CROWD" "$CROWD" --rounds 0
expect_rc 2 "$CROWD" compare --ab "$CROWD"
expect_rc 2 "$CROWD" compare "$T/old" "$T/same" --json --benchstat
for args in "$T/old /etc/passwd" "$T/old $T/same --threshold -1" "$T/old $T/same --threshold 101"; do
	# shellcheck disable=SC2086 # split into arguments on purpose
	expect_rc 2 "$CROWD" compare $args
	[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "$args: not one line: $ERR"
	last=${args##* }
	case $ERR in *"$last"*) ;; *) fail "$args: message does not name '$last': $ERR" ;; esac
done
echo "ok"
