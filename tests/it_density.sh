#!/usr/bin/env bash
# crowd density on small numbers: stops on --max-count, on a tiny --memory-budget and on a
# pids.max set on the run's parent cgroup, each naming its reason; density.csv has a row per
# step; Ctrl-C exits 130; nothing is left behind after each. Bad options exit 2 with one line.
# needs: root
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
tmp=$(mktemp -d /tmp/crowd-it-density.XXXXXX)
trap 'rmdir /sys/fs/cgroup/pids/"$CROWD_CGROUP_TOP" 2>/dev/null; rm -rf "$tmp"' EXIT

# json DIR EXPR: evaluate a python expression on summary.json's "density" object (d).
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1]+'/summary.json'))['density']; print($2)" "$1"; }

# 1. --max-count: steps of 10 up to 25 -> 10, 20, 25.
expect_rc 0 "$CROWD" density --workload idle --step 10 --max-count 25 --quiet --out "$tmp/max"
[ "$(json "$tmp/max" 'd["stopped_by"]')" = max-count ] || fail "not stopped by max-count: $OUT"
[ "$(json "$tmp/max" 'd["max_count"]')" -eq 25 ] || fail "max_count != 25"
[ "$(csv_col "$tmp/max/density.csv" count | tr '\n' ' ')" = "10 20 25 " ] ||
	fail "density.csv counts: $(cat "$tmp/max/density.csv")"
[ "$(csv_col "$tmp/max/samples.csv" status teardown_ns | awk -F'\t' '$1 == "ok" && $2 > 0' | wc -l)" -eq 25 ] ||
	fail "25 ok rows with a teardown time expected"
echo "$OUT" | grep -q "stopped by max-count" || fail "printed answer lacks the reason: $OUT"
assert_nothing_left

# 2. A 1-byte memory budget: the first step that costs memory stops the ramp.
expect_rc 0 "$CROWD" density --workload idle --step 50 --max-count 1000 --memory-budget 1 \
	--quiet --out "$tmp/mem"
[ "$(json "$tmp/mem" 'd["stopped_by"]')" = memory-budget ] ||
	fail "not stopped by memory-budget: $(json "$tmp/mem" 'd')"
json "$tmp/mem" 'd["detail"]' | grep -q "budget 1 bytes" || fail "detail: $(json "$tmp/mem" 'd["detail"]')"
[ "$(json "$tmp/mem" 'd["max_count"]')" -lt 1000 ] || fail "ran to max-count"
assert_nothing_left

# 3. pids.max on the run's parent cgroup (<top> in the pids hierarchy): stops at the limit.
[ -d /sys/fs/cgroup/pids ] || skip "no v1 pids hierarchy here for the pids.max case"
mkdir /sys/fs/cgroup/pids/"$CROWD_CGROUP_TOP" || fail "mkdir pids top"
echo 25 >/sys/fs/cgroup/pids/"$CROWD_CGROUP_TOP"/pids.max
expect_rc 0 "$CROWD" density --workload idle --step 10 --max-count 100 --quiet --out "$tmp/pids"
[ "$(json "$tmp/pids" 'd["stopped_by"]')" = kernel-limit ] ||
	fail "not stopped by kernel-limit: $(json "$tmp/pids" 'd')"
json "$tmp/pids" 'd["detail"]' | grep -q "pids.max=25" || fail "detail: $(json "$tmp/pids" 'd["detail"]')"
n=$(json "$tmp/pids" 'd["max_count"]')
{ [ "$n" -le 25 ] && [ "$n" -ge 20 ]; } || fail "max_count $n, expected 20..25 under pids.max=25"
rmdir /sys/fs/cgroup/pids/"$CROWD_CGROUP_TOP" 2>/dev/null || true
assert_nothing_left

# Out of file descriptors: EMFILE is a kernel limit, named with its value.
(ulimit -n 60 && ulimit -Hn 60 && "$CROWD" density --workload idle --step 10 --max-count 500 \
	--quiet --out "$tmp/fds" >"$tmp/fds.out" 2>&1) || fail "EMFILE run failed: $(cat "$tmp/fds.out")"
[ "$(json "$tmp/fds" 'd["stopped_by"]')" = kernel-limit ] || fail "EMFILE: $(json "$tmp/fds" 'd')"
json "$tmp/fds" 'd["detail"]' | grep -q "RLIMIT_NOFILE=60" || fail "EMFILE detail: $(json "$tmp/fds" 'd["detail"]')"
assert_nothing_left

# Ctrl-C mid-ramp: exit 130, the steps so far written, every container torn down.
"$CROWD" density --workload idle --step 100 --max-count 100000 --quiet --out "$tmp/int" \
	>"$tmp/int.out" 2>&1 &
pid=$!
sleep 1.5
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 130 ] || fail "interrupted density exited $rc: $(cat "$tmp/int.out")"
[ "$(json "$tmp/int" 'd["detail"]')" = interrupted ] || fail "interrupted run: $(json "$tmp/int" 'd')"
[ -s "$tmp/int/density.csv" ] || fail "no density.csv after an interrupt"
assert_nothing_left

# Bad input.
for args in "--memory-budget lots" "--memory-budget 0%" "--step 0" "--slo-throughput-drop 10" \
	"--slo-spinup-p99 fast" "--max-count 0"; do
	# shellcheck disable=SC2086
	expect_rc 2 "$CROWD" density --workload idle $args --out "$tmp/bad"
	[ "$(echo "$ERR" | wc -l)" -eq 1 ] || fail "'$args': more than one line: $ERR"
	[ ! -e "$tmp/bad" ] || fail "'$args' created the results folder"
done
assert_nothing_left
echo "it_density: ok"
