#!/bin/bash
# shellcheck disable=SC2015 # "A && B || fail": the test fails when either check does
# The security probes from inside a default core container, every one refused: opening a
# host tty or block device through a node made with mknod (EPERM: device allowlist), a
# seccomp filter in /proc/self/status, no new user namespace, the cgroup-limit escape
# (workloads/cgescape) leaving the limits in force (the memory hog is OOM-killed, the fork
# bomb stops at --pids-max), /sys read-only on the host root, and a registry directory
# someone else made. The same probes with --security none --seccomp none get through, which
# shows each probe can tell.
# needs: root
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -x "$ROOTFS/bin/cgescape" ] || skip "build/rootfs/bin/cgescape missing: run make"
[ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || skip "no memory cgroup"
trap '"$CROWD" clean >/dev/null 2>&1' EXIT

# A block device of this host that root may open here: loop0 (this host refuses even root
# the disk it boots from, whatever the container).
[ -e /sys/block/loop0/dev ] || skip "no loop0 block device for the block probe"
blk=$(cat /sys/block/loop0/dev)
blk_maj=${blk%:*} blk_min=${blk#*:}
OPEN_PROBES="mknod /dev/tty1 c 4 1; mknod /dev/blk b $blk_maj $blk_min
for n in tty1 blk; do if (exec 3</dev/\$n) 2>/dev/null; then echo open-\$n=ok; else echo open-\$n=refused; fi; done
grep '^Seccomp:' /proc/self/status
if unshare -U true 2>/dev/null; then echo userns=ok; else echo userns=refused; fi"

# (Nodes go in /dev: the container's /tmp is nodev and its root read-only.)
# probes SECURITY-ARGS...: the device, seccomp and user namespace probes; output in $OUT.
probes() {
	expect_rc 0 "$CROWD" run "$@" -- /bin/sh -c "$OPEN_PROBES"
}

probes
for want in open-tty1=refused open-blk=refused "Seccomp:	2" userns=refused; do
	grep -qx "$want" <<<"$OUT" || fail "default container: want '$want' in: $OUT"
done
# Each device open was refused by the device rules (EPERM), not by a missing node.
expect_rc 1 "$CROWD" run -- /bin/sh -c 'mknod /dev/t c 4 1 && exec 3</dev/t'
grep -q "Operation not permitted" <<<"$ERR" || fail "tty1 open: want EPERM, got: $ERR"

probes --security none --seccomp none
for want in open-tty1=ok open-blk=ok "Seccomp:	0" userns=ok; do
	grep -qx "$want" <<<"$OUT" || fail "--security none: want '$want' in: $OUT"
done

# The limit escape. Held: cgescape exits 1 saying so, 20 processes at most, and the hog of
# twice the memory limit is OOM-killed (137).
LIM=(--memory-max 64M --pids-max 20)
expect_rc 137 "$CROWD" run "${LIM[@]}" -- /bin/cgescape --forks 40 --hog 128M
grep -q "cgescape: limits held" <<<"$OUT" || fail "default: escape not refused: $OUT"
grep -q "unshare user namespace: Operation not permitted" <<<"$OUT" || fail "default: $OUT"
forks=$(sed -n 's/^cgescape: forks: \([0-9]*\) of 40$/\1/p' <<<"$OUT")
[ -n "$forks" ] && [ "$forks" -lt 20 ] || fail "default: pids limit not in force: $OUT"
! grep -q "cgescape: hog" <<<"$OUT" || fail "default: the hog was not OOM-killed: $OUT"
# Without the security features it escapes, and the same hog and forks get through.
expect_rc 0 "$CROWD" run "${LIM[@]}" --security none --seccomp none -- \
	/bin/cgescape --forks 40 --hog 128M
grep -q "ESCAPED" <<<"$OUT" && grep -q "forks: 40 of 40" <<<"$OUT" &&
	grep -q "cgescape: hog: 134217728 bytes touched" <<<"$OUT" ||
	fail "--security none: the escape probe did not get through: $OUT"

# /sys read-only on the host root (where the host's cgroup file systems are visible).
probe_dir=/sys/fs/cgroup/pids/$CROWD_CGROUP_TOP-sysro
[ -d /sys/fs/cgroup/pids ] || probe_dir=/sys/fs/cgroup/$CROWD_CGROUP_TOP-sysro
expect_rc 1 "$CROWD" run --rootfs host -- /bin/sh -c "mkdir $probe_dir"
grep -q "Read-only file system" <<<"$ERR" || fail "/sys on host root: want EROFS: $ERR"
expect_rc 0 "$CROWD" run --rootfs host --security none --seccomp none -- \
	/bin/sh -c "mkdir $probe_dir && rmdir $probe_dir"

# A registry directory someone else made (too wide a mode): refused, naming it.
if [ "$(stat -f -c %T /run)" = tmpfs ]; then REG=/run/crowd/$CROWD_CGROUP_TOP; else REG=/dev/shm/crowd/$CROWD_CGROUP_TOP; fi
install -d -m 0700 "$(dirname "$REG")"
install -d -m 0777 "$REG"
expect_rc 1 "$CROWD" run -- /bin/true
grep -q "registry directory $REG" <<<"$ERR" || fail "forged registry: $ERR"
rmdir "$REG"
expect_rc 0 "$CROWD" run -- /bin/true
# Bad input: exit 2, naming the file or the name and what is allowed.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; "$CROWD" clean >/dev/null 2>&1' EXIT
expect_rc 2 "$CROWD" run --seccomp "$tmp/missing.json" -- /bin/true
grep -q "seccomp profile $tmp/missing.json" <<<"$ERR" || fail "--seccomp missing file: $ERR"
printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]}' >"$tmp/bad.json"
expect_rc 2 "$CROWD" run --seccomp "$tmp/bad.json" -- /bin/true
grep -q "bad.json: syscalls\[0\]: action 'SCMP_ACT_NOPE' unknown" <<<"$ERR" || fail "--seccomp bad: $ERR"
expect_rc 2 "$CROWD" run --security nnp,bogus -- /bin/true
grep -q "unknown feature 'bogus'" <<<"$ERR" || fail "--security bogus: $ERR"
# A good profile is what the container runs with.
printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}' >"$tmp/good.json"
expect_rc 1 "$CROWD" run --seccomp "$tmp/good.json" -- /bin/mkdir /tmp/x
grep -q "Permission denied" <<<"$ERR" || fail "--seccomp FILE not applied: $ERR"

# host.json says what the run used.
expect_rc 0 "$CROWD" bench -n 2 --workload idle --quiet --out "$tmp/on"
expect_rc 0 "$CROWD" bench -n 2 --workload idle --quiet --security none --seccomp none --out "$tmp/off"
python3 - "$tmp" <<'PY' || fail "host.json security records"
import json, sys
on = json.load(open(sys.argv[1] + "/on/host.json"))["security"]
off = json.load(open(sys.argv[1] + "/off/host.json"))["security"]
assert on["features"] == "nnp,masks,devices,seccomp,sys-ro", on
assert on["seccomp"]["profile"] == "default" and len(on["seccomp"]["hash"]) == 16, on
assert "c 1:3 rwm" in on["devices"] and on["devices"][0] == "deny a *:* rwm", on
assert off == {"features": "none"}, off
PY
assert_nothing_left
echo ok
