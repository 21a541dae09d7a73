#!/usr/bin/env bash
# How often crowd compare's verdict is wrong (issue 16). Runs COUNT A/A comparisons of one
# build against itself and COUNT A/B comparisons against the same build slowed down by the
# core's debug switch (CROWD_DEBUG_EXTRA_MOUNTS=MOUNTS: every container mounts and unmounts a
# tmpfs MOUNTS times during setup), each the way the README tells users to compare:
#   crowd compare --ab OLD_CROWD NEW_CROWD --rounds ROUNDS -n N
# and, for the single-pair case, the first round of each A/A comparison alone
# (crowd compare old-1 new-1), which must never say "regressed".
# Prints one line per comparison (verdict, exit, primary ratio) and a summary:
#   A/A: F of C flagged regressed (I inconclusive); A/B: F of C flagged (...);
#   single pair: R of C regressed; A/B median spin-up ratio.
# Targets (issue 16): A/A at most 1 of 20 flagged, A/B at least 19 of 20.
# Usage: scripts/bench-verdicts.sh [COUNT] (default 20). Environment: ROUNDS (10), N (100),
# MOUNTS (5), CROWD (build/crowd; copied first, so rebuilding meanwhile does not matter),
# LOG (a file that gets every line too). A bench script, not a test: it takes
# 2 * COUNT * 2 * ROUNDS benchmark runs (about 15-60 minutes for COUNT 20 on 2 busy cores).
set -u
cd "$(dirname "$0")/.." || exit 2
COUNT=${1:-20}
ROUNDS=${ROUNDS:-10}
N=${N:-100}
MOUNTS=${MOUNTS:-5}
for v in COUNT ROUNDS N MOUNTS; do
	if ! [[ ${!v} =~ ^[0-9]+$ ]] || [ "${!v}" -lt 1 ]; then
		echo "bench-verdicts: $v '${!v}': want a whole number >= 1" >&2
		exit 2
	fi
done
[ -x "${CROWD:-build/crowd}" ] || { echo "bench-verdicts: ${CROWD:-build/crowd} missing: run make" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench-verdicts: needs python3 (reads --json)" >&2; exit 2; }
export CROWD_CGROUP_TOP=${CROWD_CGROUP_TOP:-crowd-verdicts-$$}
work=$(mktemp -d /tmp/crowd-bench-verdicts.XXXXXX)
trap 'rm -rf "$work"' EXIT
# a copy, with what it finds beside itself (rootfs, workloads) linked
src=$(dirname "$(realpath "${CROWD:-build/crowd}")")
for f in "$src"/*; do ln -s "$f" "$work/$(basename "$f")"; done
rm -f "$work/crowd"
cp "$src/crowd" "$work/crowd"
# The slowed build: the same binary with the debug switch set (what a commit adding mount
# steps to the core would do).
printf '#!/bin/sh\nCROWD_DEBUG_EXTRA_MOUNTS=%s exec %s "$@"\n' "$MOUNTS" "$work/crowd" >"$work/crowd-slow"
chmod +x "$work/crowd-slow"
LOG=${LOG:-/dev/null}

say() { echo "$*" | tee -a "$work/log" >>"$LOG"; echo "$*"; }

# one KIND I NEW: one --ab comparison; prints "KIND I verdict exit ratio", keeps the runs
# of round 1 for the single-pair case.
one() {
	local out=$work/$1-$2 json rc
	json=$("$work/crowd" compare --ab "$work/crowd" "$3" --rounds "$ROUNDS" -n "$N" --out "$out" \
		--metric spinup_ns --json 2>"$work/err")
	rc=$?
	ratio=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.3f" % d["comparisons"][0]["ratio"])' "$json" 2>/dev/null || echo "-")
	verdict=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["verdict"].replace(" ", "_"))' "$json" 2>/dev/null || echo "error")
	single=-
	if [ -d "$out/old-1" ]; then
		"$work/crowd" compare "$out/old-1" "$out/new-1" --metric spinup_ns >/dev/null 2>&1
		single=$?
	fi
	say "$1 $2 verdict=$verdict exit=$rc ratio=$ratio single_pair_exit=$single"
	[ $rc -le 1 ] || [ $rc -eq 4 ] || cat "$work/err" >&2
	find "$out" -mindepth 1 -maxdepth 1 -type d ! -name old-1 ! -name new-1 -exec rm -rf {} +
}

say "bench-verdicts: COUNT=$COUNT ROUNDS=$ROUNDS N=$N MOUNTS=$MOUNTS $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$COUNT"); do
	one aa "$i" "$work/crowd"
	one ab "$i" "$work/crowd-slow"
done
say "bench-verdicts: done $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)"
# the summary of this run's lines
med=$(awk '/^ab / { split($5, r, "="); print r[2] }' "$work/log" | sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }')
awk -v med="$med" '
/^aa / { aa++; if ($3 == "verdict=regressed") aaf++; if ($3 == "verdict=inconclusive") aai++; if ($6 == "single_pair_exit=1") sp1++; if ($6 ~ /=(0|4)$/) spok++ }
/^ab / { ab++; if ($3 == "verdict=regressed") abf++; if ($3 == "verdict=inconclusive") abi++ }
END {
	printf "A/A: %d of %d flagged regressed (%d inconclusive); A/B: %d of %d flagged regressed (%d inconclusive); single pair (A/A round 1 alone): %d of %d regressed, %d no change or inconclusive; A/B median spin-up ratio %s\n", aaf, aa, aai, abf, ab, abi, sp1, aa, spok, med
}' "$work/log" | tee -a "$LOG"
