#!/usr/bin/env bash
# scripts/regress.sh exits 1 for a regression verdict and for nothing else: bad input is 2,
# a measurement that failed (benchmark crashed, compare without a verdict) is 3, so CI can
# keep only the verdict report-only. A stand-in crowd (REGRESS_CROWD) plays the benchmark and
# the comparison; the baseline checks use the real build/crowd.
# shellcheck source=/dev/null
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$CROWD" ] || skip "build/crowd missing: run make"
T=$(mktemp -d /tmp/crowd-it-regress.XXXXXX)
trap 'rm -rf "$T"' EXIT
BASE="$TOP/tests/data/results-small"
export CROWD_REAL="$CROWD" CALLS="$T/calls"
unset CI REGRESS_REPORT_ONLY REGRESS_ARGS
export REGRESS_RUNS=2 REGRESS_N=3

# The stand-in: FAKE_BENCH ok|fail|crash, FAKE_COMPARE same|regressed|noverdict; comparing a
# folder with itself (the baseline check) goes to the real crowd.
cat >"$T/crowd" <<'EOF'
#!/usr/bin/env bash
echo "$1" >>"$CALLS"
case $1 in
bench)
	while [ $# -gt 1 ] && [ "$1" != --out ]; do shift; done
	case ${FAKE_BENCH:-ok} in
	ok) mkdir -p "$2" && cp "$REGRESS_BASE"/samples.csv "$2"/ ;;
	fail) echo "crowd bench: 3 of 3 containers failed" >&2; exit 1 ;;
	crash) kill -s SEGV $$ ;;
	esac ;;
compare)
	[ "$2" != "$3" ] || exec "$CROWD_REAL" "$@"
	case ${FAKE_COMPARE:-same} in
	same) echo "core     spinup_ns   1.0 ms   1.0 ms   +0.1%   same" ;;
	regressed) echo "core     spinup_ns   1.0 ms   1.5 ms   +50%    REGRESSED  <<<"; exit 1 ;;
	noverdict) echo "crowd compare: out of memory" >&2; exit 1 ;;
	esac ;;
esac
EOF
chmod +x "$T/crowd"

# expect WANT WHAT [VAR=VALUE...]: regress.sh run with that environment exits WANT.
expect() {
	local want=$1 what=$2 rc=0
	shift 2
	: >"$CALLS"
	env REGRESS_CROWD="$T/crowd" REGRESS_BASE="$BASE" "$@" "$TOP/scripts/regress.sh" run \
		>"$T/out" 2>&1 || rc=$?
	[ $rc -eq "$want" ] || fail "$what: exit $rc, expected $want: $(cat "$T/out")"
}

# bad input: 2, before any benchmark
expect_rc 2 "$TOP/scripts/regress.sh" bogus
mkdir -p "$T/nobase" "$T/badbase"
expect 2 "no baseline" REGRESS_BASE="$T/nobase"
grep -q "no baseline in $T/nobase" "$T/out" || fail "no reason for a missing baseline: $(cat "$T/out")"
echo 'not,a,results,file' >"$T/badbase/samples.csv"
expect 2 "unreadable baseline" REGRESS_BASE="$T/badbase"
grep -q "baseline $T/badbase: crowd compare cannot read it" "$T/out" || fail "no reason: $(cat "$T/out")"
grep -qx bench "$CALLS" && fail "a benchmark ran against an unreadable baseline"
expect 2 "bench options crowd rejects" REGRESS_CROWD="$CROWD" REGRESS_ARGS=--no-such-option
expect 2 "the report-only switch does not hide bad input" REGRESS_BASE="$T/badbase" CI=true

# the measurement failed: 3, in CI too
expect 3 "a failing benchmark" FAKE_BENCH=fail
expect 3 "a crashing benchmark" FAKE_BENCH=crash CI=true
expect 3 "compare failing without a verdict" FAKE_COMPARE=noverdict CI=true
grep -q "crowd compare (no verdict) failed" "$T/out" || fail "no reason: $(cat "$T/out")"

# verdicts: 1 only for a regression seen in every run, 0 when report-only
expect 0 "no regression"
expect 1 "a regression" FAKE_COMPARE=regressed
[ "$(grep -cx bench "$CALLS")" -eq 2 ] || fail "a regression not confirmed by REGRESS_RUNS=2 runs"
expect 0 "a regression, report only" FAKE_COMPARE=regressed CI=true
grep -q "report only" "$T/out" || fail "report-only run does not say so: $(cat "$T/out")"
# the CI gate: no baseline commit in this clone is inconclusive (4), which CI does not fail
echo 0000000000000000000000000000000000000000 >"$T/commit"
rc=0
REGRESS_COMMIT_FILE="$T/commit" REGRESS_CROWD="$T/crowd" "$TOP/scripts/regress.sh" gate >"$T/out" 2>&1 || rc=$?
[ $rc -eq 4 ] || fail "gate without the baseline commit: exit $rc, expected 4: $(cat "$T/out")"
grep -q "no baseline" "$T/out" || fail "gate: no reason: $(cat "$T/out")"
rc=0
REGRESS_COMMIT_FILE="$T/none" REGRESS_CROWD="$T/crowd" "$TOP/scripts/regress.sh" gate >"$T/out" 2>&1 || rc=$?
[ $rc -eq 4 ] || fail "gate without a commit file: exit $rc, expected 4"
# the recorded commit exists in this repository
git -C "$TOP" cat-file -e "$(cat "$TOP/results/reference/commit")^{commit}" 2>/dev/null ||
	echo "note: results/reference/commit is not in this clone (shallow?): the gate would say inconclusive"
# run mode: one run per side can only be inconclusive, passed through as 4
cat >"$T/crowd4" <<'SH'
#!/usr/bin/env bash
case $1 in
bench) while [ $# -gt 1 ] && [ "$1" != --out ]; do shift; done; mkdir -p "$2" && cp "$REGRESS_BASE"/samples.csv "$2"/ ;;
compare) [ "$2" != "$3" ] || exec "$CROWD_REAL" "$@"; echo "INCONCLUSIVE: core spinup_ns 1.2x"; exit 4 ;;
esac
SH
chmod +x "$T/crowd4"
expect 4 "inconclusive passes through" REGRESS_CROWD="$T/crowd4"
echo "it_regress: ok"
