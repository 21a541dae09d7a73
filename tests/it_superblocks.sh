#!/bin/bash
# Superblocks per core container. Every superblock takes a memcg-aware shrinker id, and every
# memory cgroup's shrinker_info grows with the highest id (docs/density.md), so each one a
# container makes costs all containers memory. A new tmpfs gets the lowest free anonymous
# device number (fs/super.c, get_anon_bdev), so the minor a probe tmpfs gets before, and
# while N containers run, tells how many each made: want 2 (its /proc and its IPC namespace's
# mqueue, both the kernel's), since /dev, /tmp and the masked /proc directories are bind
# mounts of the rootfs template's one scratch tmpfs (5 when each was a tmpfs of its own).
# (tests/check_core.c rootfs_template_private_copies: inside, /dev and /tmp on one device.)
# needs: root
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
tmp=$(mktemp -d)
mkdir "$tmp/m"
trap '"$CROWD" clean >/dev/null 2>&1; umount "$tmp/m" 2>/dev/null; rm -rf "$tmp"' EXIT

minor() { # the minor of a fresh tmpfs's anonymous device
	mount -t tmpfs crowd-probe "$tmp/m" || fail "mounting a probe tmpfs"
	local d
	d=$(stat -c %d "$tmp/m")
	umount "$tmp/m"
	echo $(((d & 0xff) | ((d >> 12) & 0xfff00)))
}

n=60
m0=$(minor)
"$CROWD" bench --workload httpd -n $n --duration 8s --quiet --out "$tmp/b" >"$tmp/out" 2>&1 &
pid=$!
up=0
for _ in $(seq 300); do
	up=$(pgrep -c -x httpd || true)
	[ "$up" -ge $n ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
m1=$(minor)
wait $pid || fail "crowd bench exited $?: $(tail -3 "$tmp/out")"
[ "$up" -ge $n ] || fail "only $up of $n httpd containers were seen running"
per=$(awk -v a="$m0" -v b="$m1" -v n=$n 'BEGIN {printf "%.2f", (b - a) / n}')
echo "anonymous device minor $m0 before, $m1 with $n containers: $per superblocks per container"
# More than 2 only if other mounts of the host sit among the ids the containers took.
awk -v p="$per" 'BEGIN {exit !(p >= 1.5 && p <= 3.0)}' ||
	fail "$per superblocks per container, want 2 (1.5..3.0)"

assert_nothing_left
echo "ok: $per superblocks per container"
