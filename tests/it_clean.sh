#!/bin/bash
# shellcheck disable=SC2015 # "A && B || fail": the test fails when either check does
# crowd clean: removes what a killed harness left (cgroups, registry records, processes that
# escaped PDEATHSIG, crun/runc containers and the peers' scratch dirs), prints what it removed,
# is idempotent, and exits 3 when something could not be removed.
# needs: root
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -x "$ROOTFS/bin/sh" ] || skip "build/rootfs missing: run make"
# The registry lives on tmpfs: /run/crowd, or /dev/shm/crowd when /run is on a disk.
if [ "$(stat -f -c %T /run)" = tmpfs ]; then REG=/run/crowd/$CROWD_CGROUP_TOP; else REG=/dev/shm/crowd/$CROWD_CGROUP_TOP; fi

trap 'rmdir "$REG/not-a-record" 2>/dev/null; pkill -KILL -f -- "-pidfile /tmp/crowd-$CROWD_CGROUP_TOP-other/"; "$CROWD" clean >/dev/null 2>&1; rm -rf "/tmp/crowd-$CROWD_CGROUP_TOP-out" "/tmp/crowd-$CROWD_CGROUP_TOP-other"' EXIT

EMPTY="crowd clean: killed 0 processes, removed 0 registry records, 0 cgroups, 0 mounts, 0 peer containers, 0 scratch dirs"
# Nothing there: exit 0, nothing removed.
expect_rc 0 "$CROWD" clean
[ "$OUT" = "$EMPTY" ] ||
	fail "empty clean: $OUT"

# A harness killed mid-run leaves its cgroups and record; clean removes them.
"$CROWD" run --memory-max 64M -- /bin/sh -c 'sleep 979' &
pid=$!
for _ in $(seq 100); do pgrep -x -f "sleep 979" >/dev/null && break; sleep 0.05; done
kill -KILL $pid
wait $pid 2>/dev/null
[ -d "/sys/fs/cgroup/memory/$CROWD_CGROUP_TOP" ] || fail "expected the killed run's cgroups to remain"
[ "$(find "$REG" -mindepth 1 -maxdepth 1 | wc -l)" = 1 ] || fail "expected one registry record in $REG"
expect_rc 0 "$CROWD" clean
grep -Eq "removed 1 registry record, [1-9][0-9]* cgroups" <<<"$OUT" || fail "clean output: $OUT"
assert_nothing_left
[ ! -e "$REG" ] || fail "registry directory left"

# A container process outside any cgroup (its record says where): clean finds it by record.
# (The registry directory is crowd's: 0700, its owner's; a wider one is refused below.)
install -d -m 0700 "$(dirname "$REG")" "$REG"
setsid sleep 978 </dev/null >/dev/null 2>&1 &
sp=$!
sleep 0.1
start=$(awk '{print $22}' "/proc/$sp/stat")
printf 'id=00000000-0000-4000-8000-000000000000\npid=%d\nstart=%s\npidns=0\n' "$sp" "$start" \
	>"$REG/00000000-0000-4000-8000-000000000000"
expect_rc 0 "$CROWD" clean
grep -q "killed 1 process, removed 1 registry record" <<<"$OUT" || fail "clean output: $OUT"
wait $sp 2>/dev/null
kill -0 $sp 2>/dev/null && fail "recorded process $sp survived clean"

# A forged registry: a directory another user could have made (mode 0777, or owned by
# nobody) with a record naming a process of their choosing. clean refuses it (exit 1,
# naming the directory) and the process lives.
for forge in mode owner; do
	install -d -m 0700 "$(dirname "$REG")"
	install -d -m 0777 "$REG"
	[ $forge = owner ] && chmod 0700 "$REG" && chown 65534:65534 "$REG"
	setsid sleep 977 </dev/null >/dev/null 2>&1 &
	vp=$!
	sleep 0.1
	printf 'id=00000000-0000-4000-8000-000000000001\npid=%d\nstart=%s\npidns=0\n' "$vp" \
		"$(awk '{print $22}' "/proc/$vp/stat")" >"$REG/00000000-0000-4000-8000-000000000001"
	expect_rc 1 "$CROWD" clean
	grep -q "registry directory $REG" <<<"$ERR" || fail "forged registry ($forge): stderr $ERR"
	kill -0 $vp 2>/dev/null || fail "forged registry ($forge): clean killed process $vp"
	kill $vp
	wait $vp 2>/dev/null
	rm -rf "$REG"
done

# A harness killed while crun/runc containers and a VM serve: their runtime state, bundles and
# QEMU pid files stay in /tmp/crowd-<top>/ and the containers and QEMU keep running; clean
# deletes the containers through the runtime, kills QEMU by its -pidfile, and removes the
# scratch dirs and runc's cgroups (also in name=systemd, blkio, devices).
SCR=/tmp/crowd-$CROWD_CGROUP_TOP
peers=""
# OCI containers with state, and QEMUs with a pid file
instances() {
	{ find "$SCR" -mindepth 3 -maxdepth 3 -path '*/state/*'
	  find "$SCR" -mindepth 2 -maxdepth 2 -path '*-vm/*.pid'; } 2>/dev/null | wc -l
}
"$CROWD" info >/tmp/crowd-it-clean-info.$$ 2>&1
for b in crun runc vm; do
	grep -Eq "^  $b +available" /tmp/crowd-it-clean-info.$$ && peers="$peers${peers:+,}$b"
done
rm -f /tmp/crowd-it-clean-info.$$
if [ -n "$peers" ]; then
	n_peers=$(tr , '\n' <<<"$peers" | wc -l)
	"$CROWD" bench --backend "$peers" -n 2 --workload httpd --duration 60s --quiet \
		--out "$SCR-out" >/dev/null 2>&1 &
	bp=$!
	for _ in $(seq 600); do
		[ "$(instances)" -ge $((2 * n_peers)) ] && break
		sleep 0.1
	done
	sleep 1
	kill -KILL $bp
	wait $bp 2>/dev/null
	left=$(instances)
	[ "$left" -ge 1 ] || fail "expected runtime state under $SCR after killing the bench"
	pgrep -f -- "(--root|-pidfile) $SCR/" >/dev/null || fail "expected runtime or QEMU processes of $SCR to run"
	expect_rc 0 "$CROWD" clean
	grep -Eq ", $left peer containers?, $n_peers scratch dirs?\$" <<<"$OUT" || fail "clean output: $OUT"
	[ ! -e "$SCR" ] || fail "$SCR left behind: $(find "$SCR" | head -5)"
	pgrep -f -- "(--root|-pidfile) $SCR/" >/dev/null && fail "runtime or QEMU processes of $SCR survived clean"
	left=$(find /sys/fs/cgroup -maxdepth 2 -name "$CROWD_CGROUP_TOP" | head -3)
	[ -z "$left" ] || fail "cgroups left behind: $left"
	rm -rf "$SCR-out"
	expect_rc 0 "$CROWD" clean
	[ "$OUT" = "$EMPTY" ] || fail "clean after peers: $OUT"
else
	echo "crun, runc and vm unavailable: peer part not run"
fi

# Each backend sweeps its own runs' leftovers through the table: a QEMU-like process still
# started with a vm run's -pidfile is killed, and a crun run's state and scratch removed; the
# same under another top (another crowd's runs) are left alone. A QEMU-like process: sh blocked
# in its `read` builtin on a FIFO this script holds open, its command line ending in
# "-pidfile FILE".
OTHER=/tmp/crowd-$CROWD_CGROUP_TOP-other
mkdir -p "$OTHER" && mkfifo "$OTHER/hold" && exec 7<>"$OTHER/hold"
fake_qemu() {
	mkdir -p "$(dirname "$1")" && : >"$1"
	sh -c 'read x' -pidfile "$1" <&7 7<&- &
}
fake_qemu "$SCR/run-1-vm/vm-0.pid"
mine=$!
fake_qemu "$OTHER/run-1-vm/vm-0.pid"
theirs=$!
mkdir -p "$SCR/run-1-crun/state/ctr-0" "$OTHER/run-1-crun/state/ctr-0"
for _ in $(seq 100); do pgrep -f -- "-pidfile $OTHER/" >/dev/null && pgrep -f -- "-pidfile $SCR/" >/dev/null && break; sleep 0.05; done
expect_rc 0 "$CROWD" clean
grep -q ", 1 peer container, 2 scratch dirs\$" <<<"$OUT" || fail "clean of a fake QEMU and crun state: $OUT"
pgrep -f -- "-pidfile $SCR/" >/dev/null && fail "the vm sweep left the QEMU of $SCR running"
[ ! -e "$SCR" ] || fail "$SCR left behind: $(find "$SCR" | head -5)"
pgrep -f -- "-pidfile $OTHER/" >/dev/null || fail "the sweep killed another top's QEMU"
[ -e "$OTHER/run-1-vm/vm-0.pid" ] && [ -d "$OTHER/run-1-crun/state/ctr-0" ] || fail "the sweep touched $OTHER"
pkill -KILL -f -- "-pidfile $OTHER/"
wait $mine $theirs 2>/dev/null
exec 7<&-
rm -rf "$OTHER"

# Something that cannot be removed: exit 3 and say what.
install -d -m 0700 "$(dirname "$REG")" "$REG" "$REG/not-a-record"
expect_rc 3 "$CROWD" clean
grep -q "left behind: 1 registry record" <<<"$ERR" || fail "exit 3 without saying what: $ERR"
rmdir "$REG/not-a-record"
# Idempotent.
expect_rc 0 "$CROWD" clean
expect_rc 0 "$CROWD" clean
[ "$OUT" = "$EMPTY" ] ||
	fail "second clean: $OUT"
expect_rc 2 "$CROWD" clean --bogus
assert_nothing_left
echo ok
