#!/usr/bin/env bash
# crowd bench end to end: core and process side by side, idle and httpd (with load); every
# sample has its phases in order and memory, httpd rows have req/s, nothing is left; bad
# options exit 2 with one line and create nothing.
# needs: root
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -x "$ROOTFS/bin/httpd" ] || skip "rootfs without /bin/httpd: run make"
tmp=$(mktemp -d /tmp/crowd-it-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# check_samples CSV WORKLOAD N: every row ok, phases ordered, memory > 0 (rps > 0 for httpd).
check_samples() {
	local csv=$1 wl=$2 n=$3
	[ -f "$csv" ] || fail "$csv missing"
	head -1 "$csv" | grep -q '^backend,workload,index,id,status,t_request_ns,t_cgroup_ns,t_clone_ns,t_setup_ns,t_ready_ns,t_first_response_ns,spinup_ns,teardown_ns,cgroup_bytes,pss_bytes,rss_bytes,rps,error' ||
		fail "samples.csv header: $(head -1 "$csv")"
	local rows
	rows=$(tail -n +2 "$csv" | wc -l)
	[ "$rows" -eq $((2 * n)) ] || fail "$csv: $rows rows, expected $((2 * n))"
	# $1..$15 are the columns named here, in this order
	csv_col "$csv" backend workload status t_request_ns t_cgroup_ns t_clone_ns t_setup_ns \
		t_ready_ns t_first_response_ns spinup_ns teardown_ns cgroup_bytes pss_bytes rss_bytes rps |
		awk -F'\t' -v wl="$wl" '
	function bad(m) { print "row " NR ": " m ": " $0; err = 1 }
	{
		if ($2 != wl) bad("workload " $2)
		if ($3 != "ok") bad("status " $3)
		if ($8 == "" || $10 == "" || $10 <= 0) bad("no ready/spinup")
		if ($11 == "" || $11 <= 0) bad("no teardown")
		if ($13 == "" || $13 <= 0 || $14 <= 0) bad("pss/rss not > 0")
		if ($1 == "core") {
			if (!($8 > $7 && $7 > $6 && $6 > $5 && $5 >= $4)) bad("core phases out of order")
			if ($12 == "" || $12 <= 0) bad("cgroup_bytes not > 0")
			core++
		} else if ($1 == "process") {
			if ($5 != "" || $7 != "") bad("process has a cgroup/setup phase")
			if (!($8 > $6 && $6 > $4)) bad("process phases out of order")
			proc++
		} else bad("backend " $1)
		if (wl == "httpd" && ($15 == "" || $15 <= 0)) bad("rps not > 0")
		if (wl == "httpd" && ($9 == "" || $9 < $8)) bad("first response missing or before ready")
		if (wl == "idle" && $15 != "") bad("rps without load")
	}
	END { if (core != proc) { print "core " core " process " proc; err = 1 } exit err }' ||
		fail "$csv: bad samples"
}

for wl in idle httpd; do
	expect_rc 0 "$CROWD" bench -n 20 --backend core,process --workload "$wl" --duration 1s \
		--quiet --out "$tmp/$wl"
	check_samples "$tmp/$wl/samples.csv" "$wl" 20
	grep -q '"spinup_ns"' "$tmp/$wl/summary.json" || fail "summary.json without spinup_ns"
	[ -f "$tmp/$wl/host.json" ] || fail "host.json missing"
	echo "$OUT" | grep -q "^core: 20 $wl, 20 ok, 0 failed" || fail "summary: $OUT"
	echo "$OUT" | grep -q "^results: $tmp/$wl" || fail "summary does not name the folder"
	assert_nothing_left
done
grep -q '"load"' "$tmp/httpd/summary.json" || fail "httpd summary.json without load totals"

# --json prints summary.json and nothing else on stdout.
expect_rc 0 "$CROWD" bench -n 3 --backend process --workload idle --json --out "$tmp/json"
echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["backends"]["process"]["count"]==3' ||
	fail "--json output is not the summary: $OUT"
assert_nothing_left

# Pods started by two starters at once: members of one pod share it, and every pod is torn
# down (two members racing to make their pod once leaked the loser's cgroups).
expect_rc 0 "$CROWD" bench -n 12 -j 2 --pod-size 3 --backend core --workload httpd --duration 200ms \
	--quiet --out "$tmp/pods"
[ "$(csv_col "$tmp/pods/samples.csv" backend status | grep -c $'^core\tok$')" -eq 12 ] ||
	fail "pods: not 12 ok rows: $(cat "$tmp/pods/samples.csv")"
assert_nothing_left

# Placement pins and still runs.
expect_rc 0 "$CROWD" bench -n 4 --backend core,process --workload idle --placement spread --quiet --out "$tmp/place"
check_samples "$tmp/place/samples.csv" idle 4
assert_nothing_left

# Bad input: exit 2, one line naming the option, nothing created.
for args in "-n 0" "--backend nope" "--placement middle" "--timeout 0" "--workload nope" "extra"; do
	# shellcheck disable=SC2086
	expect_rc 2 "$CROWD" bench $args --out "$tmp/bad"
	[ "$(echo "$ERR" | wc -l)" -eq 1 ] || fail "'$args': more than one line: $ERR"
	[ ! -e "$tmp/bad" ] || fail "'$args' created the results folder"
done
assert_nothing_left
echo "it_bench: ok"
