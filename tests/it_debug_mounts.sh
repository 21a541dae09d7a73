#!/usr/bin/env bash
# CROWD_DEBUG_EXTRA_MOUNTS: a bad value fails every core container with an error naming the
# variable (nothing left behind); N > 0 still starts them all, and slows the setup phase
# (median over 15 with 200 extra mounts against 15 without).
# needs: root
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -x "$ROOTFS/bin/idle" ] || skip "rootfs without /bin/idle: run make"
tmp=$(mktemp -d /tmp/crowd-it-dbgmnt.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

for bad in abc -1 100001 12x; do
	CROWD_DEBUG_EXTRA_MOUNTS=$bad expect_rc 1 "$CROWD" bench -n 2 --workload idle --backend core \
		--no-load --quiet --out "$tmp/bad"
	n=$(tail -n +2 "$tmp/bad/samples.csv" | grep -c "CROWD_DEBUG_EXTRA_MOUNTS='$bad': want a count")
	[ "$n" -eq 2 ] || fail "value '$bad': $n of 2 rows name the variable: $(tail -1 "$tmp/bad/samples.csv")"
	rm -rf "$tmp/bad"
	assert_nothing_left
done

# median setup_ns (t_setup_ns minus t_clone_ns: clone to setup done) of the ok core rows
setup_p50() {
	csv_col "$1" status t_clone_ns t_setup_ns | awk -F'\t' '$1 == "ok" { print $3 - $2 }' | sort -n |
		awk '{ s[NR] = $1 } END { print (NR ? s[int((NR + 1) / 2)] : -1) }'
}
CROWD_DEBUG_EXTRA_MOUNTS=0 expect_rc 0 "$CROWD" bench -n 15 --workload idle --backend core \
	--no-load --quiet --out "$tmp/off"
CROWD_DEBUG_EXTRA_MOUNTS=200 expect_rc 0 "$CROWD" bench -n 15 --workload idle --backend core \
	--no-load --quiet --out "$tmp/on"
off=$(setup_p50 "$tmp/off/samples.csv")
on=$(setup_p50 "$tmp/on/samples.csv")
[ "$(tail -n +2 "$tmp/on/samples.csv" | grep -c ',ok,')" -eq 15 ] || fail "not all 15 ok with 200 mounts"
[ "$on" -gt "$off" ] || fail "setup p50 with 200 extra mounts ${on}ns not above without ${off}ns"
assert_nothing_left
echo "it_debug_mounts: ok (setup p50 ${off}ns -> ${on}ns with 200 extra mounts)"
