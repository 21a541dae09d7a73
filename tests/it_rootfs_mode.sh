#!/usr/bin/env bash
# needs: root
# --rootfs-mode of the core: ro (default) keeps the rootfs read-only and shared; overlay gives
# each container a writable overlayfs (lower: the rootfs, upper on a tmpfs of the container):
# writes succeed, stay private to that container and never reach the rootfs on the host.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || skip "build/crowd missing: run make"
[ -x "$ROOTFS/bin/sh" ] || skip "build/rootfs missing: run make"
tmp=$(mktemp -d /tmp/crowd-it-rootfs-mode.XXXXXX)
trap 'rm -rf "$tmp"; rm -f "$ROOTFS/etc/crowd-it-written"' EXIT

expect_rc 2 "$CROWD" bench --rootfs-mode rw -n 1 --out "$tmp/bad"
grep -q "allowed: ro, overlay" <<<"$ERR" || fail "bad --rootfs-mode message: $ERR"
[ ! -e "$tmp/bad" ] || fail "bad input created $tmp/bad"

# ro: the root is read-only.
expect_rc 1 "$CROWD" run -- /bin/sh -c 'echo x > /etc/crowd-it-written'
# overlay: writable, the write is the container's own.
expect_rc 0 "$CROWD" run --rootfs-mode overlay -- /bin/sh -c \
	'echo x > /etc/crowd-it-written && cat /etc/crowd-it-written && grep "^overlay / overlay" /proc/mounts'
grep -q '^x$' <<<"$OUT" || fail "overlay: write not read back: $OUT"
grep -q "lowerdir=$ROOTFS" <<<"$OUT" || fail "overlay: / is not an overlay over the rootfs: $OUT"
[ ! -e "$ROOTFS/etc/crowd-it-written" ] || fail "overlay: the write reached the rootfs on the host"
# A second container does not see the first one's write.
expect_rc 0 "$CROWD" run --rootfs-mode overlay -- /bin/sh -c '[ ! -e /etc/crowd-it-written ]'

# bench: every httpd ready and answering; host.json says the mode.
expect_rc 0 "$CROWD" bench -n 3 --backend core --rootfs-mode overlay --workload httpd \
	--duration 300ms --quiet --out "$tmp/run"
[ "$(csv_col "$tmp/run/samples.csv" status | sort -u)" = ok ] || fail "overlay bench rows not ok"
csv_col "$tmp/run/samples.csv" rps | awk '$1 + 0 <= 0 { exit 1 }' || fail "an httpd served nothing"
grep -q '"rootfs_mode": "overlay"' "$tmp/run/host.json" || fail "host.json lacks rootfs_mode overlay"
grep -c "$ROOTFS/tmp" /proc/self/mounts | grep -qx 0 || fail "overlay mounts visible on the host"
assert_nothing_left
echo "it_rootfs_mode: ok"
