#!/usr/bin/env bash
# Ctrl-C during crowd bench: stops starting, tears down what was started, writes the results
# with "interrupted" rows, exits 130, leaves nothing behind.
# needs: root
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
tmp=$(mktemp -d /tmp/crowd-it-int.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

"$CROWD" bench -n 3000 -j 1 --backend core --workload idle --quiet --out "$tmp/run" \
	>"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 130 ] || fail "exit $rc, expected 130; stderr: $(cat "$tmp/err")"
csv="$tmp/run/samples.csv"
[ -f "$csv" ] || fail "no samples.csv after an interrupt"
rows=$(tail -n +2 "$csv" | wc -l)
[ "$rows" -eq 3000 ] || fail "$rows rows, expected 3000 (unstarted ones as interrupted)"
ok=$(csv_col "$csv" status | grep -cx ok)
int=$(csv_col "$csv" status | grep -cx interrupted)
[ "$int" -gt 0 ] || fail "no interrupted rows"
[ "$ok" -gt 0 ] || fail "nothing measured before the interrupt (ok=$ok)"
[ $((ok + int)) -eq 3000 ] || fail "ok $ok + interrupted $int != 3000"
# Every started one was torn down (timed); the interrupted summary says so.
csv_col "$csv" status teardown_ns | awk -F'\t' '$1 == "ok" && ($2 == "" || $2 <= 0) { exit 1 }' ||
	fail "an ok row without teardown time"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["backends"]["core"]; assert c["interrupted"]>0, c' \
	"$tmp/run/summary.json" || fail "summary.json does not count interrupted rows"
grep -q INTERRUPTED "$tmp/out" || fail "printed summary does not say INTERRUPTED"
assert_nothing_left
echo "it_bench_interrupt: ok ($ok ok, $int interrupted)"
