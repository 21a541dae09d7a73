# shellcheck shell=bash disable=SC2034 # sourced: the variables are for the tests
# Helpers for integration tests (tests/it_*.sh). Source it; each test exits 0 on pass,
# 77 to skip (last line says why), anything else on failure.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CROWD="$TOP/build/crowd"
ROOTFS="$TOP/build/rootfs"
# Keep each test's cgroups apart from anything else on the machine.
export CROWD_CGROUP_TOP="crowd-test-$$"

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root"; }

# expect_rc RC CMD...: run CMD, fail unless it exits RC. Output in $OUT, stderr in $ERR.
expect_rc() {
	local want=$1; shift
	OUT=$("$@" 2>/tmp/crowd-it-err.$$); local rc=$?
	ERR=$(cat /tmp/crowd-it-err.$$); rm -f /tmp/crowd-it-err.$$
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, expected $want; stderr: $ERR"
}

# No cgroup, mount or process of this test's CROWD_CGROUP_TOP remains.
assert_nothing_left() {
	local left
	left=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$CROWD_CGROUP_TOP" 2>/dev/null | head -5)
	[ -z "$left" ] || fail "cgroups left behind: $left"
	left=$(grep -c "$CROWD_CGROUP_TOP" /proc/self/mountinfo || true)
	[ "$left" = 0 ] || fail "mounts left behind"
}
