#!/usr/bin/env bash
# crowd merge on three real small runs (three "hosts" named through CROWD_HOST): the fleet
# folder holds every run's rows with host and run_id, the pooled spin-up p50 is the p50 of all
# raw rows, each host has its own statistics; --openmetrics (bench and merge) passes
# `promtool check metrics`; bad input exits 2 naming the folder and creates nothing.
# needs: root
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -x "$ROOTFS/bin/idle" ] || skip "rootfs without /bin/idle: run make"
command -v python3 >/dev/null || skip "needs python3 to read summary.json"
T=$(mktemp -d /tmp/it_merge.XXXXXX)
trap 'rm -rf "$T"' EXIT

for h in alpha beta gamma; do
	CROWD_HOST=$h expect_rc 0 "$CROWD" bench -n 3 --workload idle --quiet --out "$T/$h" \
		--openmetrics "$T/$h.prom"
	[ "$(csv_col "$T/$h/samples.csv" host | sort -u)" = "$h" ] || fail "$h: host column"
	[ "$(csv_col "$T/$h/samples.csv" run_id | sort -u | wc -l)" = 1 ] || fail "$h: run_id column"
done
assert_nothing_left

expect_rc 0 "$CROWD" merge "$T/alpha" "$T/beta" "$T/gamma" --out "$T/fleet" \
	--openmetrics "$T/fleet.prom"
grep -q "9 rows from 3 hosts" <<<"$OUT" || fail "merge printout: $OUT"
for h in alpha beta gamma; do
	grep -Eq "^  $h +core +3 " <<<"$OUT" || fail "no row for $h: $OUT"
	[ "$(csv_col "$T/fleet/samples.csv" host | grep -c "^$h\$")" = 3 ] || fail "fleet: $h rows"
done
[ "$(csv_col "$T/fleet/samples.csv" run_id | sort -u | wc -l)" = 3 ] || fail "fleet: run ids"
python3 - "$T" <<'PY' || fail "fleet summary.json / host.json"
import csv, json, sys
t = sys.argv[1]
rows = list(csv.DictReader(open(f"{t}/fleet/samples.csv")))
v = sorted(int(r["spinup_ns"]) for r in rows if r["status"] == "ok")
h = (len(v) - 1) * 0.5
p50 = v[int(h)] + (h - int(h)) * (v[min(int(h) + 1, len(v) - 1)] - v[int(h)])
s = json.load(open(f"{t}/fleet/summary.json"))
got = s["backends"]["core"]["metrics"]["spinup_ns"]["p50"]
assert s["fleet"] is True and s["count"] == 9, s
assert abs(got - p50) < 1e-6 * p50, (got, p50)
for name in ("alpha", "beta", "gamma"):
    run = json.load(open(f"{t}/{name}/summary.json"))
    hs = s["hosts"][name]
    assert hs["runs"] == [run["run_id"]], hs["runs"]
    assert hs["backends"]["core"]["count"] == 3
    assert hs["backends"]["core"]["metrics"]["spinup_ns"]["p50"] == run["backends"]["core"]["metrics"]["spinup_ns"]["p50"]
hj = json.load(open(f"{t}/fleet/host.json"))
assert hj["fleet"] is True and sorted(hj["hosts"]) == ["alpha", "beta", "gamma"], hj.keys()
assert hj["hosts"]["beta"]["run_id"] == json.load(open(f"{t}/beta/host.json"))["run_id"]
PY

# OpenMetrics: valid for promtool, one series per host
if command -v promtool >/dev/null; then
	for f in "$T/alpha.prom" "$T/fleet.prom"; do
		promtool check metrics <"$f" || fail "promtool check metrics $f"
	done
else
	skip_part promtool "promtool missing (Debian package prometheus)"
fi
for h in alpha beta gamma; do
	grep -q "^crowd_spinup_seconds{backend=\"core\",workload=\"idle\",host=\"$h\",quantile=\"0.5\"} " \
		"$T/fleet.prom" || fail "fleet.prom: no spin-up p50 of $h"
done

# a density run: its answer in OpenMetrics and, merged, in its host's summary
CROWD_HOST="delta" expect_rc 0 "$CROWD" density --max-count 2 --step 2 --workload idle --quiet \
	--out "$T/delta" --openmetrics "$T/delta.prom"
grep -q '^crowd_density_max_containers{workload="idle",host="delta",stopped_by="max-count"} 2$' \
	"$T/delta.prom" || fail "density.prom: $(cat "$T/delta.prom")"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/delta.prom" || fail "promtool check metrics delta.prom"
fi
expect_rc 0 "$CROWD" merge "$T/alpha" "$T/delta" --out "$T/fleet2" --quiet
python3 - "$T/fleet2/summary.json" <<'PY' || fail "density in the merged summary"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["hosts"]["delta"]["density"]["max_count"] == 2, s["hosts"]["delta"]
assert "density" not in s["hosts"]["alpha"] and "density" not in s
PY

# compare --by host: one row per host; plot: one series per host
expect_rc 0 "$CROWD" compare --by host "$T/fleet" --metric spinup_ns
for h in alpha beta gamma; do
	grep -Eq "^  $h +3 " <<<"$OUT" || fail "compare --by host: no row for $h: $OUT"
done
expect_rc 0 "$CROWD" compare --by host "$T/fleet" --json
python3 -c 'import json,sys; d=json.load(sys.stdin); assert sorted({r["host"] for r in d["hosts"]}) == ["alpha","beta","gamma"], d' <<<"$OUT" ||
	fail "compare --by host --json: $OUT"
expect_rc 2 "$CROWD" compare --by backend "$T/fleet"
expect_rc 2 "$CROWD" compare --by host "$T/fleet" "$T/alpha"
if command -v gnuplot >/dev/null; then
	expect_rc 0 "$CROWD" plot "$T/fleet" --out "$T/plot"
	for h in alpha beta gamma; do
		grep -rq "$h:core" "$T/plot/plot-data" || fail "plot: no series $h:core"
	done
else
	skip_part plot "gnuplot missing"
fi

# bad input: exit 2 naming the folder, nothing created
cp -a "$T/beta" "$T/beta-again"
expect_rc 2 "$CROWD" merge "$T/alpha" "$T/beta" "$T/beta-again" --out "$T/bad"
grep -q "beta-again: run id .* is also in .*beta" <<<"$ERR" || fail "duplicate run id: $ERR"
sed -i 's/"results_version": 1/"results_version": 7/' "$T/gamma/summary.json"
expect_rc 2 "$CROWD" merge "$T/alpha" "$T/gamma" --out "$T/bad"
grep -q "gamma: results version 7, but .*alpha has 1" <<<"$ERR" || fail "versions: $ERR"
expect_rc 2 "$CROWD" merge "$T/alpha" "$T/nothing" --out "$T/bad"
grep -q "nothing" <<<"$ERR" || fail "missing folder: $ERR"
expect_rc 2 "$CROWD" merge "$T/alpha"
expect_rc 2 "$CROWD" merge --out "$T/bad"
expect_rc 2 "$CROWD" merge "$T/alpha" --out "$T/bad" --openmetrics "$T/no/such/dir/x.prom"
[ ! -e "$T/bad" ] || fail "bad input created $T/bad"
expect_rc 2 "$CROWD" bench -n 1 --out "$T/bad" --openmetrics "$T/no/x.prom"
[ ! -e "$T/bad" ] || fail "bad --openmetrics created $T/bad"
assert_nothing_left
