#!/usr/bin/env bash
# make regress / make baseline / make regress-ab: a short core benchmark compared with a
# reference.
#   scripts/regress.sh run        bench into build/regress-run, crowd compare against
#                                 results/reference/baseline; exit 1 on a regression
#   scripts/regress.sh baseline   bench and store the result as the new baseline
#   scripts/regress.sh ab [REV]   build REV (default HEAD) from git into build/regress-ab/,
#                                 then run it and this tree's build/crowd alternately (ABBA),
#                                 REGRESS_ROUNDS rounds (default 6) of REGRESS_N (default
#                                 100), and compare all rounds: a busy machine's drift hits
#                                 both alike, so this holds where a stored baseline cannot
# Environment: REGRESS_N (containers, default 200), REGRESS_ARGS (extra bench options),
# REGRESS_THRESHOLD (percent, default 5), REGRESS_BASE (baseline folder, default
# results/reference/baseline), REGRESS_CROWD (the crowd to run, default build/crowd),
# CI=true or REGRESS_REPORT_ONLY=1: a regression is reported, exit 0 (CI machines differ from
# the one the baseline came from).
# Exit: 0 no regression (or report only), 1 a regression, and only then; 2 bad input (usage,
# no build, a missing or unreadable baseline, bench options crowd rejects); 3 the measurement
# itself failed (a benchmark or a build failed, compare gave no verdict). 2 and 3 are never
# report-only.
set -u
cd "$(dirname "$0")/.." || exit 2
CROWD=${REGRESS_CROWD:-build/crowd}
BASE=${REGRESS_BASE:-results/reference/baseline}
OUT=build/regress-run
N=${REGRESS_N:-200}
export CROWD_CGROUP_TOP=${CROWD_CGROUP_TOP:-crowd-regress-$$}
mode=${1:-run}

case $mode in
run | baseline | ab) ;;
*) echo "usage: $0 run|baseline|ab [REV]" >&2; exit 2 ;;
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
# regressed metric; anything else from it is a failure to compare.
compared() {
	[ "$1" -le 1 ] || broken "$1" "crowd compare"
	[ "$1" -eq 0 ] || grep -q REGRESSED <<<"$2" || { echo "$2"; broken "$1" "crowd compare (no verdict)"; }
}

report_only() { [ "${CI:-}" = true ] || [ "${REGRESS_REPORT_ONLY:-0}" = 1 ]; }

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
	rounds=${REGRESS_ROUNDS:-6}
	N=${REGRESS_N_AB:-${REGRESS_N:-100}}
	runs=build/regress-ab/runs
	rm -rf "$runs"
	pairs=()
	for i in $(seq 1 "$rounds"); do
		# Each binary uses the rootfs built beside it. Odd rounds run REV first, even ones
		# second (ABBA): whatever favours the first (or second) run of a pair cancels out.
		for side in $((i % 2)) $(((i + 1) % 2)); do
			if [ "$side" = 1 ]; then
				CROWD="$ref/build/crowd" bench "$runs/$sha-$i" || broken $? "the $sha benchmark"
			else
				bench "$runs/tree-$i" || broken $? "the benchmark"
			fi
		done
		pairs+=("$runs/$sha-$i" "$runs/tree-$i")
	done
	report=$("$CROWD" compare "${pairs[@]}" --threshold "${REGRESS_THRESHOLD:-5}")
	rc=$?
	compared $rc "$report"
	echo "$report"
	if [ $rc -eq 1 ] && report_only; then
		echo "regress: report only (CI=${CI:-} REGRESS_REPORT_ONLY=${REGRESS_REPORT_ONLY:-0}): not failing"
		exit 0
	fi
	exit $rc
fi

if [ "$mode" = baseline ]; then
	tmp=build/regress-baseline
	bench "$tmp" || broken $? "the benchmark"
	rm -rf "$BASE"
	mkdir -p "$BASE"
	cp "$tmp"/samples.csv "$tmp"/summary.json "$tmp"/host.json "$BASE"/
	rm -rf "$tmp"
	echo "baseline written to $BASE ($N idle containers, core backend); commit it"
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
