#!/bin/bash
# crowd info: the table names every fact and every backend; --json parses and holds the keys
# with values that match this host; bad input exits 2.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
command -v python3 >/dev/null || skip "needs python3 to parse JSON"

expect_rc 0 "$CROWD" info
for k in kernel cpu topology memory cgroups namespaces "user ns" capabilities backends; do
	grep -q "^$k" <<<"$OUT" || fail "crowd info lacks '$k': $OUT"
done
for b in core process crun runc bwrap vm; do
	grep -Eq "^  $b +(available|unavailable: .+)$" <<<"$OUT" || fail "backend $b not listed with a state"
done
grep -q "^kernel .*$(uname -r)" <<<"$OUT" || fail "kernel is not $(uname -r)"

expect_rc 0 "$CROWD" info --json
python3 - "$OUT" "$(uname -r)" "$(nproc --all)" <<'PY' || fail "crowd info --json: bad content"
import json, sys
d = json.loads(sys.argv[1])
for k in ["kernel", "kernel_release", "cpu_model", "topology", "memory", "cgroup_layout",
          "namespaces", "user_namespaces", "capabilities", "backends", "crowd_version", "git"]:
    assert k in d, "missing " + k
assert d["kernel_release"] == sys.argv[2], d["kernel_release"]
t = d["topology"]
for k in ["packages", "numa_nodes", "cores", "pus", "caches"]:
    assert k in t, "topology lacks " + k
assert t["pus"] == int(sys.argv[3]), ("pus", t["pus"], sys.argv[3])
assert t["packages"] >= 1 and t["cores"] >= 1
mem = open("/proc/meminfo").read().split("\n")[0].split()
assert d["memory"]["total_bytes"] == int(mem[1]) * 1024, d["memory"]
assert d["cgroup_layout"] in ("unified", "legacy", "hybrid")
assert "pid" in d["namespaces"] and "mnt" in d["namespaces"]
names = ["core", "process", "crun", "runc", "bwrap", "vm"]
for b in names:
    e = d["backends"][b]
    assert isinstance(e["available"], bool)
    assert e["available"] or e["reason"], b + " unavailable without a reason"
PY
# hybrid here: v1 hierarchies plus cgroup2 at /sys/fs/cgroup/unified
if [ -d /sys/fs/cgroup/memory ] && mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
	grep -q '"cgroup_layout": "hybrid"' <<<"$OUT" || fail "layout should be hybrid on this host"
fi

expect_rc 2 "$CROWD" info --bogus
grep -q -- "--bogus" <<<"$ERR" || fail "bad option not named: $ERR"
expect_rc 2 "$CROWD" info extra

# valgrind: no error and no leak in crowd's own code for info, compare and plot
# (tests/valgrind.supp holds the one library suppression, libcap's). build/crowd is static
# and valgrind cannot see malloc in it, so the same objects linked dynamically are checked:
# build/tests/crowd-dynamic (make tests). The topology helper is checked the same way.
if command -v valgrind >/dev/null; then
	DYN="$TOP/build/tests/crowd-dynamic"
	[ -x "$DYN" ] || fail "$DYN missing: run make tests"
	vg=(valgrind -q --suppressions="$TOP/tests/valgrind.supp" --leak-check=full
		"--show-leak-kinds=definite,indirect,possible"
		"--errors-for-leak-kinds=definite,indirect,possible" --error-exitcode=99)
	vgtmp=$(mktemp -d /tmp/crowd-it-info-vg.XXXXXX)
	trap 'rm -rf "$vgtmp"' EXIT
	# The leak check means something only if valgrind sees the allocations.
	valgrind "$DYN" info --json >/dev/null 2>"$vgtmp/err"
	grep -Eq 'total heap usage: [1-9][0-9,]* allocs' "$vgtmp/err" ||
		fail "valgrind sees no allocation in $DYN: $(grep 'heap usage' "$vgtmp/err")"
	for cmd in "info" "info --json" \
		"compare $TOP/tests/data/results-small $TOP/tests/data/results-small-after" \
		"compare $TOP/tests/data/results-small $TOP/tests/data/results-small-after $TOP/tests/data/results-small $TOP/tests/data/results-small-after --benchstat" \
		"plot --out $vgtmp $TOP/tests/data/results-small"; do
		# shellcheck disable=SC2086 # word splitting of cmd is wanted
		# (crowd plot finds its gnuplot scripts beside build/crowd, not build/tests/)
		CROWD_DATADIR="$TOP/scripts" "${vg[@]}" "$DYN" $cmd >"$vgtmp/out" 2>"$vgtmp/err"
		rc=$?
		[ "$rc" != 99 ] || fail "valgrind crowd $cmd: $(grep '==' "$vgtmp/err" | head -20)"
		# compare of one pair (or two rounds) of different runs: inconclusive, 4
		[ "$rc" = 0 ] || { [ "$rc" = 4 ] && [ "${cmd%% *}" = compare ]; } ||
			fail "crowd-dynamic $cmd exited $rc: $(head -5 "$vgtmp/err")"
	done
	# info under valgrind still read the topology through the helper.
	"$DYN" info --json | grep -q '"pus": [1-9]' || fail "crowd-dynamic info: no topology"
	"${vg[@]}" "$TOP/build/crowd-topo" >"$vgtmp/out" 2>"$vgtmp/err"
	rc=$?
	[ "$rc" != 99 ] || fail "valgrind crowd-topo: $(grep '==' "$vgtmp/err" | head -20)"
	[ "$rc" = 0 ] || fail "crowd-topo under valgrind exited $rc: $(head -5 "$vgtmp/err")"
	[ "$(tail -1 "$vgtmp/out")" = end ] || fail "crowd-topo under valgrind: output incomplete"
else
	echo "valgrind not installed: valgrind part not run"
fi
echo "ok"
