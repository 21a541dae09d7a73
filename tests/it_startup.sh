#!/bin/bash
# build/crowd is linked fully static (no dynamic loader at exec, docs/run.md) and reads the CPU
# topology through build/crowd-topo, a helper linked with libhwloc, run only by commands that
# need a topology (info, host.json, --placement), never by `crowd --version` or `crowd run`.
# A missing, failing or garbling helper leaves the topology unavailable with the reason
# (exit 0); --placement without a topology is bad input (exit 2) and creates nothing.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -x "$TOP/build/crowd-topo" ] || fail "build/crowd-topo missing: run make"
command -v readelf >/dev/null || skip "needs readelf (binutils)"
command -v python3 >/dev/null || skip "needs python3 to parse JSON"
tmp=$(mktemp -d /tmp/crowd-it-startup.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Static: no program interpreter, no NEEDED entry.
readelf -h "$CROWD" | grep -q 'Type:.*EXEC\|Type:.*DYN' || fail "readelf cannot read $CROWD"
needed=$(readelf -d "$CROWD" | grep '(NEEDED)')
[ -z "$needed" ] || fail "build/crowd has NEEDED entries: $needed"
! readelf -l "$CROWD" | grep -q 'INTERP' || fail "build/crowd asks for a program interpreter"
# The helper is the one that links libhwloc.
readelf -d "$TOP/build/crowd-topo" | grep -q 'NEEDED.*libhwloc' || fail "crowd-topo does not link libhwloc"

# A helper that leaves a marker, then does the real work.
marker=$tmp/helper-ran
cat >"$tmp/marking-helper" <<EOF
#!/bin/sh
echo ran >>"$marker"
exec "$TOP/build/crowd-topo"
EOF
chmod +x "$tmp/marking-helper"
export CROWD_TOPO_HELPER="$tmp/marking-helper"

expect_rc 0 "$CROWD" --version
[ ! -e "$marker" ] || fail "crowd --version ran the topology helper"
if [ "$(id -u)" -eq 0 ] && [ -x "$ROOTFS/bin/true" ]; then
	expect_rc 0 "$CROWD" run --rootfs "$ROOTFS" -- /bin/true
	[ ! -e "$marker" ] || fail "crowd run ran the topology helper"
	expect_rc 3 "$CROWD" run --rootfs "$ROOTFS" -- /bin/sh -c 'exit 3'
	[ ! -e "$marker" ] || fail "crowd run ran the topology helper"
	if command -v strace >/dev/null; then
		# Nothing at all is executed besides the container's program.
		expect_rc 0 strace -f -qq -e trace=execve -o "$tmp/strace" "$CROWD" run --rootfs "$ROOTFS" -- /bin/true
		! grep -q 'crowd-topo\|marking-helper' "$tmp/strace" || fail "crowd run executed: $(grep execve "$tmp/strace")"
		grep -q 'execve("/bin/true"' "$tmp/strace" || fail "strace did not see the container's exec: $(cat "$tmp/strace")"
	fi
	assert_nothing_left
else
	echo "not root or no build/rootfs: the crowd run part not run"
fi
# ... and info does run it, once.
expect_rc 0 "$CROWD" info --json
[ "$(cat "$marker" 2>/dev/null)" = ran ] || fail "crowd info did not run the helper exactly once: $(cat "$marker" 2>/dev/null)"

# The topology is the one the host has.
python3 - "$OUT" "$(nproc --all)" <<'PY' || fail "crowd info --json: topology wrong: $OUT"
import json, sys
t = json.loads(sys.argv[1])["topology"]
assert "error" not in t, t
assert t["pus"] == int(sys.argv[2]) and t["cores"] >= 1 and t["packages"] >= 1, t
assert t["caches"] and all(c["count"] >= 1 for c in t["caches"]), t
PY

# Missing, failing, garbling, truncating helpers: exit 0, counts null, the reason given.
printf '#!/bin/sh\necho "crowd-topo: hwloc_topology_load: broken on purpose" >&2\nexit 3\n' >"$tmp/failing"
printf '#!/bin/sh\necho "<html>not a topology</html>"\n' >"$tmp/garbage"
printf '#!/bin/sh\nprintf "crowd-topo 1\\npackages 1\\nnuma_nodes 1\\ncores 1\\npus 1\\ncore 0 0\\n"\n' >"$tmp/truncated"
chmod +x "$tmp/failing" "$tmp/garbage" "$tmp/truncated"
declare -A why=(
	[/nonexistent/crowd-topo]="topology helper /nonexistent/crowd-topo: No such file or directory"
	[$tmp/failing]="topology helper $tmp/failing: exit status 3: crowd-topo: hwloc_topology_load: broken on purpose"
	[$tmp/garbage]="topology helper $tmp/garbage: bad output: line 1: not crowd-topo output: starts with '<html>not'"
	[$tmp/truncated]="topology helper $tmp/truncated: bad output: truncated: no 'end' line after line 6"
)
for helper in "${!why[@]}"; do
	expect_rc 0 env CROWD_TOPO_HELPER="$helper" "$CROWD" info --json
	python3 - "$OUT" "${why[$helper]}" <<'PY' || fail "CROWD_TOPO_HELPER=$helper: topology not reported unavailable: $OUT"
import json, sys
t = json.loads(sys.argv[1])["topology"]
for k in ("packages", "numa_nodes", "cores", "pus"):
    assert t[k] is None, (k, t[k])
assert t["caches"] == [], t
assert t["error"] == sys.argv[2], (t["error"], sys.argv[2])
PY
	expect_rc 0 env CROWD_TOPO_HELPER="$helper" "$CROWD" info
	grep '^topology ' <<<"$OUT" | grep -qF " unavailable: ${why[$helper]}" || fail "crowd info table: $OUT"
done

# --placement without a topology: exit 2 naming the reason, before anything is created.
if [ "$(id -u)" -eq 0 ] && [ -x "$ROOTFS/bin/sh" ]; then
	for p in spread compact; do
		for cmd in bench density; do
			expect_rc 2 env CROWD_TOPO_HELPER="$tmp/failing" "$CROWD" $cmd -n 2 --workload idle \
				--placement $p --quiet --out "$tmp/out-$cmd"
			[ "$ERR" = "crowd $cmd: --placement $p: no CPU topology: ${why[$tmp/failing]}" ] ||
				fail "crowd $cmd --placement $p: $ERR"
			[ ! -e "$tmp/out-$cmd" ] || fail "crowd $cmd --placement $p created $tmp/out-$cmd"
		done
	done
	# --placement none needs no topology: the run goes on, host.json says why it is missing.
	expect_rc 0 env CROWD_TOPO_HELPER="$tmp/failing" "$CROWD" bench -n 1 --workload idle \
		--placement none --quiet --out "$tmp/none"
	python3 - "$tmp/none/host.json" "${why[$tmp/failing]}" <<'PY' || fail "host.json topology: $(cat "$tmp/none/host.json")"
import json, sys
t = json.load(open(sys.argv[1]))["topology"]
assert t["pus"] is None and t["error"] == sys.argv[2], t
PY
	assert_nothing_left
fi
echo "ok"
