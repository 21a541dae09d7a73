#!/usr/bin/env bash
# make regress / make baseline / make regress-ab: a short core benchmark compared with a
# reference.
#   scripts/regress.sh run        bench into build/regress-run, crowd compare against
#                                 results/reference/baseline; exit 1 on a regression
#   scripts/regress.sh baseline   bench and store the result as the new baseline
#   scripts/regress.sh ab [REV]   build REV (default HEAD) from git into build/regress-ab/,
#                                 then crowd compare --ab it against this tree's build/crowd:
#                                 REGRESS_ROUNDS rounds (default 10) of REGRESS_N_AB (default
#                                 100) containers, run alternately (ABBA) and compared by
#                                 rounds: a busy machine's drift hits both alike, so this
#                                 holds where a stored baseline cannot
#   scripts/regress.sh gate       CI's gate: ab against the commit recorded in
#                                 results/reference/commit (no such commit here: exit 4)
# Environment: REGRESS_N (containers, default 200), REGRESS_ARGS (extra bench options),
# REGRESS_THRESHOLD (percent, default 5), REGRESS_BASE (baseline folder, default
# results/reference/baseline), REGRESS_CROWD (the crowd to run, default build/crowd),
# CI=true or REGRESS_REPORT_ONLY=1: run mode only (a stored baseline came from another
# machine): a regression is reported, exit 0. REGRESS_REPORT_ONLY=1 also makes ab and gate
# report only; CI=true does not: CI gates on the interleaved A/B.
# Exit: 0 no regression (or report only), 1 a regression, and only then; 2 bad input (usage,
# no build, a missing or unreadable baseline, bench options crowd rejects); 3 the measurement
# itself failed (a benchmark or a build failed, compare gave no verdict); 4 inconclusive (the
# rounds do not show a change beyond doubt, one run per side, or no baseline commit to build).
# 2 and 3 are never report-only; 4 does not fail CI.
set -u
cd "$(dirname "$0")/.." || exit 2
CROWD=${REGRESS_CROWD:-build/crowd}
BASE=${REGRESS_BASE:-results/reference/baseline}
OUT=build/regress-run
N=${REGRESS_N:-200}
export CROWD_CGROUP_TOP=${CROWD_CGROUP_TOP:-crowd-regress-$$}
mode=${1:-run}

case $mode in
run | baseline | ab | gate) ;;
*) echo "usage: $0 run|baseline|ab [REV]|gate" >&2; exit 2 ;;
esac
[ -x "$CROWD" ] || { echo "regress: $CROWD missing, run make" >&2; exit 2; }

bench() {
	rm -rf "$1"
	# shellcheck disable=SC2086 # REGRESS_ARGS is a list of options
	"$CROWD" bench -n "$N" --workload idle --backend core --no-load --quiet --out "$1" \
		${REGRESS_ARGS:-} >/dev/null
}

# broken RC WHAT: the measurement failed, not the code measured: exit 2 when crowd called
# it bad input, else 3.
broken() {
	echo "regress: $2 failed (exit $1)" >&2
	[ "$1" -eq 2 ] && exit 2
	exit 3
}

# compared RC REPORT: crowd compare's exit 1 is a verdict only when the report names a
# regressed metric; 4 is inconclusive; anything else from it is a failure to compare.
compared() {
	[ "$1" -le 1 ] || [ "$1" -eq 4 ] || broken "$1" "crowd compare"
	[ "$1" -ne 1 ] || grep -q REGRESSED <<<"$2" || { echo "$2"; broken "$1" "crowd compare (no verdict)"; }
}

report_only() { [ "${CI:-}" = true ] || [ "${REGRESS_REPORT_ONLY:-0}" = 1 ]; }

if [ "$mode" = gate ]; then
	# The commit whose build is the reference, recorded beside the stored baseline.
	rec=${REGRESS_COMMIT_FILE:-results/reference/commit}
	sha=$(sed -n '1{s/[[:space:]].*//;p}' "$rec" 2>/dev/null)
	if [ -z "$sha" ] || ! git cat-file -e "$sha^{commit}" 2>/dev/null; then
		echo "regress: no baseline: ${sha:-no commit recorded in $rec} is not in this clone;" \
			"inconclusive (4), not a failure (a shallow clone? fetch it, or 'make baseline')" >&2
		exit 4
	fi
	mode=ab
	set -- ab "$sha"
fi

if [ "$mode" = ab ]; then
	rev=${2:-${REGRESS_REV:-HEAD}}
	sha=$(git rev-parse --short "$rev^{commit}" 2>/dev/null) ||
		{ echo "regress: '$rev' is not a commit of this repository" >&2; exit 2; }
	ref=build/regress-ab/$sha
	if [ ! -x "$ref/build/crowd" ] || [ ! -d "$ref/build/rootfs" ]; then
		echo "regress: building $sha in $ref" >&2
		rm -rf "$ref"
		mkdir -p "$ref"
		git archive "$sha" | tar -x -C "$ref" || broken 3 "exporting $sha"
		make -C "$ref" build/crowd workloads rootfs >"$ref.log" 2>&1 ||
			broken 3 "building $sha (see $ref.log)"
	fi
	rounds=${REGRESS_ROUNDS:-10}
	N=${REGRESS_N_AB:-100}
	runs=build/regress-ab/runs
	rm -rf "$runs"
	# crowd compare --ab: odd rounds run REV first, even ones the tree first (ABBA), each
	# binary with the rootfs built beside it; the rounds decide (docs/compare.md).
	# shellcheck disable=SC2086 # REGRESS_ARGS is a list of options
	report=$("$CROWD" compare --ab "$ref/build/crowd" "$CROWD" --rounds "$rounds" -n "$N" \
		--out "$runs" --threshold "${REGRESS_THRESHOLD:-5}" ${REGRESS_ARGS:+-- $REGRESS_ARGS})
	rc=$?
	echo "$report"
	case $rc in
	0 | 4) exit $rc ;;
	1) grep -q "^REGRESSION" <<<"$report" || broken 1 "the benchmarks (no verdict)" ;;
	2) broken 2 "crowd compare --ab" ;;
	*) broken "$rc" "crowd compare --ab" ;;
	esac
	if [ "${REGRESS_REPORT_ONLY:-0}" = 1 ]; then
		echo "regress: report only (REGRESS_REPORT_ONLY=1): not failing"
		exit 0
	fi
	exit 1
fi

if [ "$mode" = baseline ]; then
	tmp=build/regress-baseline
	bench "$tmp" || broken $? "the benchmark"
	rm -rf "$BASE"
	mkdir -p "$BASE"
	cp "$tmp"/samples.csv "$tmp"/summary.json "$tmp"/host.json "$BASE"/
	rm -rf "$tmp"
	# the gate builds this commit as the reference (a tree with changes: its last commit)
	git rev-parse HEAD >results/reference/commit 2>/dev/null ||
		echo "regress: not a git checkout: results/reference/commit not written" >&2
	echo "baseline written to $BASE ($N idle containers, core backend) and" \
		"results/reference/commit; commit them"
	exit 0
fi

[ -f "$BASE/samples.csv" ] || { echo "regress: no baseline in $BASE; run 'make baseline'" >&2; exit 2; }
# A baseline crowd cannot read is bad input, found before minutes of benchmarks.
"$CROWD" compare "$BASE" "$BASE" >/dev/null ||
	{ echo "regress: baseline $BASE: crowd compare cannot read it" >&2; exit 2; }

# A shared or busy machine drifts between runs minutes apart. A real slowdown persists, a
# passing load does not: a metric counts as regressed only when it regressed in each of up to
# REGRESS_RUNS fresh benchmarks (the first one that clears it ends the check).
runs=${REGRESS_RUNS:-3}
suspects=""
for i in $(seq 1 "$runs"); do
	bench "$OUT" || broken $? "the benchmark"
	report=$("$CROWD" compare "$BASE" "$OUT" --threshold "${REGRESS_THRESHOLD:-5}")
	rc=$?
	compared $rc "$report"
	now=$(awk '/REGRESSED/ {print $1 "/" $2}' <<<"$report" | sort)
	if [ "$i" -eq 1 ]; then
		suspects=$now
	else
		suspects=$(comm -12 <(echo "$suspects") <(echo "$now"))
	fi
	if [ -z "$suspects" ]; then
		echo "$report"
		[ "$i" -eq 1 ] || echo "regress: run $i: no metric regressed in every run so far: drift, not a regression"
		# one run per side: crowd compare says at most inconclusive (4)
		[ $rc -eq 4 ] && exit 4
		exit 0
	fi
	[ "$i" -lt "$runs" ] && echo "regress: run $i flags: ${suspects//$'\n'/ }; confirming with another run" >&2
done
echo "$report"
echo "regress: regressed in all $runs runs: ${suspects//$'\n'/ }"
if report_only; then
	echo "regress: report only (CI=${CI:-} REGRESS_REPORT_ONLY=${REGRESS_REPORT_ONLY:-0}): not failing"
	exit 0
fi
exit 1
