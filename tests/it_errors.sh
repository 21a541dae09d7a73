#!/usr/bin/env bash
# Errors are reported, never dropped: when the launcher cannot start a single starter thread
# (crowd itself in a pids cgroup that allows one more task), bench and density say why on
# stderr and exit 1; density does not pass that off as "stopped by max-count".
# needs: root
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -d "$ROOTFS" ] || skip "build/rootfs missing: run make"
if [ -d /sys/fs/cgroup/pids ]; then
	G=/sys/fs/cgroup/pids/$CROWD_CGROUP_TOP-lim
elif grep -qw pids /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
	G=/sys/fs/cgroup/$CROWD_CGROUP_TOP-lim
else
	skip "no pids controller to limit crowd's own threads"
fi
T=$(mktemp -d /tmp/crowd-it-errors.XXXXXX)
trap 'rmdir "$G" 2>/dev/null; rm -rf "$T"; "$CROWD" clean >/dev/null 2>&1' EXIT
mkdir "$G" || fail "mkdir $G"
# The main thread and the readiness observer fit; the first starter thread does not.
echo 2 >"$G/pids.max"

# in_limit ARGS...: crowd ARGS run inside $G; exit code in $rc, stderr in $ERR.
in_limit() {
	bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$G" "$CROWD" "$@" \
		>"$T/out" 2>"$T/err"
	rc=$?
	ERR=$(cat "$T/err")
}

in_limit bench -n 2 --backend process --workload idle --quiet --out "$T/bench"
[ "$rc" = 1 ] || fail "bench without starter threads exited $rc, want 1: $ERR"
grep -q "no starter thread" <<<"$ERR" || fail "bench did not say why nothing started: $ERR"

in_limit density --max-count 20 --backend process --workload idle --quiet --out "$T/density"
[ "$rc" = 1 ] || fail "density without starter threads exited $rc, want 1: $ERR"
grep -q "no starter thread" <<<"$ERR" || fail "density did not say why nothing started: $ERR"
grep -q "stopped by max-count" "$T/out" && fail "density called a failed launcher max-count: $(cat "$T/out")"
grep -q '"stopped_by": *"failure"' "$T/density/summary.json" ||
	fail "density summary.json does not say failure: $(grep stopped_by "$T/density/summary.json")"
rmdir "$G" || fail "pids cgroup $G still busy"
assert_nothing_left
echo ok
