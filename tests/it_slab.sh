#!/bin/bash
# Kernel memory by object: a small density ramp writes slab.csv (per step the meminfo rows
# and every slab cache that changed, per added instance) and summary.json "kernel" (top
# caches); per step and for the whole ramp, the caches' growth sums to within 10% of
# /proc/meminfo's Slab growth; bench prints the top caches and writes the same.
# needs: root (/proc/slabinfo is root only)
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -r /proc/slabinfo ] || skip "/proc/slabinfo not readable here"
tmp=$(mktemp -d)
trap '"$CROWD" clean >/dev/null 2>&1; rm -rf "$tmp"' EXIT

expect_rc 0 "$CROWD" density --workload idle --step 40 --max-count 120 --quiet --out "$tmp/d"
[ -f "$tmp/d/slab.csv" ] || fail "no slab.csv in $tmp/d"
python3 - "$tmp/d" <<'PY' || fail "slab.csv/summary.json kernel"
import csv, json, sys, collections
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/slab.csv")))
assert rows, "slab.csv empty"
steps = collections.OrderedDict()
for r in rows:
    st = steps.setdefault(r["step"], {"slab": None, "sum": 0.0, "caches": 0, "meta": set()})
    if r["kind"] == "meminfo":
        st["meta"].add(r["cache"])
        if r["cache"] == "meminfo:Slab":
            st["slab"] = float(r["bytes_per_instance"])
    else:
        st["sum"] += float(r["bytes_per_instance"])
        st["caches"] += 1
assert list(steps) == ["1", "2", "3"], list(steps)
for k, st in steps.items():
    assert st["meta"] == {"meminfo:Slab", "meminfo:PageTables", "meminfo:KernelStack"}, st
    assert st["caches"] > 0, (k, st)
    # only checked where the growth is not lost in the machine's noise (other processes
    # allocate between the reads; 40 instances of ~300 KiB each are ~12 MiB)
    if st["slab"] > 64 * 1024:
        assert abs(st["sum"] - st["slab"]) <= 0.10 * st["slab"], (k, st)
s = json.load(open(d + "/summary.json"))
k = s["kernel"]
assert k["slabinfo_readable"] is True, k
assert k["instances_added"] == 120, k
assert abs(k["attributed_per_instance"] - k["slab_delta_per_instance"]) <= \
    0.10 * abs(k["slab_delta_per_instance"]), k
top = k["top"]
assert 1 <= len(top) <= 8, top
b = [t["bytes_per_instance"] for t in top]
assert b == sorted(b, reverse=True) and b[0] > 0, top
assert all(t["cache"] and t["kind"] for t in top), top
PY
grep -q "^kernel memory per instance (120 added)" <<<"$OUT" || fail "no kernel line: $OUT"
if command -v gnuplot >/dev/null; then
	expect_rc 0 "$CROWD" plot "$tmp/d" --out "$tmp/p" --quiet
	[ -s "$tmp/p/kernel-objects.png" ] || fail "crowd plot drew no kernel-objects.png"
	head -1 "$tmp/p/plot-data/kernel-objects.dat" | grep -q '^count "' ||
		fail "kernel-objects.dat header: $(head -1 "$tmp/p/plot-data/kernel-objects.dat")"
	[ "$(grep -vc '^count' "$tmp/p/plot-data/kernel-objects.dat")" -eq 3 ] ||
		fail "kernel-objects.dat: want 3 steps"
else
	skip_part "plot" "gnuplot not installed"
fi

expect_rc 0 "$CROWD" bench --workload idle -n 20 --quiet --out "$tmp/b"
grep -q "^  top slab caches" <<<"$OUT" || fail "bench: no top caches printed: $OUT"
python3 - "$tmp/b" <<'PY' || fail "bench summary.json kernel"
import json, sys
k = json.load(open(sys.argv[1] + "/summary.json"))["kernel"]
assert k["instances_added"] == 20 and k["top"], k
PY
[ "$(head -1 "$tmp/b/slab.csv")" = "step,count,added,cache,kind,bytes_per_instance,objs_per_instance" ] ||
	fail "bench slab.csv header: $(head -1 "$tmp/b/slab.csv")"
assert_nothing_left
echo "ok: slab.csv per step sums to meminfo Slab within 10%, summary kernel top caches, bench too"
