#!/usr/bin/env bash
# make regress / make baseline: a short core benchmark compared with the committed baseline.
#   scripts/regress.sh run        bench into build/regress-run, crowd compare against
#                                 results/reference/baseline; exit 1 on a regression
#   scripts/regress.sh baseline   bench and store the result as the new baseline
# Environment: REGRESS_N (containers, default 200), REGRESS_ARGS (extra bench options),
# REGRESS_THRESHOLD (percent, default 5), CI=true or REGRESS_REPORT_ONLY=1: report, exit 0
# (CI machines differ from the one the baseline came from).
set -u
cd "$(dirname "$0")/.." || exit 2
CROWD=build/crowd
BASE=results/reference/baseline
OUT=build/regress-run
N=${REGRESS_N:-200}
export CROWD_CGROUP_TOP=${CROWD_CGROUP_TOP:-crowd-regress-$$}
mode=${1:-run}

case $mode in
run | baseline) ;;
*) echo "usage: $0 run|baseline" >&2; exit 2 ;;
esac
[ -x "$CROWD" ] || { echo "regress: $CROWD missing, run make" >&2; exit 2; }

bench() {
	rm -rf "$1"
	# shellcheck disable=SC2086 # REGRESS_ARGS is a list of options
	"$CROWD" bench -n "$N" --workload idle --backend core --no-load --quiet --out "$1" \
		${REGRESS_ARGS:-} >/dev/null
}

if [ "$mode" = baseline ]; then
	tmp=build/regress-baseline
	bench "$tmp" || { echo "regress: benchmark failed" >&2; exit 1; }
	rm -rf "$BASE"
	mkdir -p "$BASE"
	cp "$tmp"/samples.csv "$tmp"/summary.json "$tmp"/host.json "$BASE"/
	rm -rf "$tmp"
	echo "baseline written to $BASE ($N idle containers, core backend); commit it"
	exit 0
fi

[ -f "$BASE/samples.csv" ] || { echo "regress: no baseline in $BASE; run 'make baseline'" >&2; exit 2; }

# A shared or busy machine drifts between runs minutes apart. A real slowdown persists, a
# passing load does not: a metric counts as regressed only when it regressed in each of up to
# REGRESS_RUNS fresh benchmarks (the first one that clears it ends the check).
runs=${REGRESS_RUNS:-3}
suspects=""
for i in $(seq 1 "$runs"); do
	bench "$OUT" || { echo "regress: benchmark failed" >&2; exit 1; }
	report=$("$CROWD" compare "$BASE" "$OUT" --threshold "${REGRESS_THRESHOLD:-5}")
	rc=$?
	[ $rc -le 1 ] || { echo "$report"; exit $rc; }
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
if [ "${CI:-}" = true ] || [ "${REGRESS_REPORT_ONLY:-0}" = 1 ]; then
	echo "regress: report only (CI=${CI:-} REGRESS_REPORT_ONLY=${REGRESS_REPORT_ONLY:-0}): not failing"
	exit 0
fi
exit 1
