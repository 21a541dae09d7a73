#!/bin/bash
# crowd run: real containers asserted from inside (pid 1, hostname, no_new_privs, capability
# profiles, masked and read-only paths, fds, memory.max and pids.max, rootless maps), exit
# codes and forwarded signals, bad input, and nothing left behind, also after SIGKILL.
# needs: root
# shellcheck disable=SC2016 # the single-quoted scripts are for the container's shell
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -x "$ROOTFS/bin/sh" ] || skip "build/rootfs missing: run make"
# The registry lives on tmpfs: /run/crowd, or /dev/shm/crowd when /run is on a disk.
if [ "$(stat -f -c %T /run)" = tmpfs ]; then REG=/run/crowd/$CROWD_CGROUP_TOP; else REG=/dev/shm/crowd/$CROWD_CGROUP_TOP; fi
trap '"$CROWD" clean >/dev/null 2>&1' EXIT

run_in() { expect_rc 0 "$CROWD" run "$@"; }

# No process of this test's cgroups, no registry record, nothing mounted.
assert_clean() {
	assert_nothing_left
	local p f left=""
	# Zombies do not count: their parent died and this host's pid 1 reaps them late.
	while read -r f; do
		p=${f#/proc/}; p=${p%/cgroup}
		[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] || left="$left $p"
	done < <(grep -l "/$CROWD_CGROUP_TOP/" /proc/[0-9]*/cgroup 2>/dev/null)
	[ -z "$left" ] || fail "processes left in crowd cgroups:$left"
	[ ! -e "$REG" ] || fail "registry $REG left: $(ls "$REG")"
}

# pid 1 in a new pid namespace, own hostname, no_new_privs, only fds 0-2 (seen in a process
# the init started: the shell itself holds its own pipes while it runs ls).
run_in -- /bin/sh -c 'echo $$; hostname; grep NoNewPrivs /proc/self/status; sleep 5 & sleep 0.2; echo $(ls /proc/$!/fd); kill $!; readlink /proc/self/ns/pid'
mapfile -t L <<<"$OUT"
[ "${L[0]}" = 1 ] || fail "init is pid ${L[0]}, not 1"
{ [ "${L[1]}" = crowd ] && [ "${L[1]}" != "$(hostname)" ]; } || fail "hostname '${L[1]}'"
[[ "${L[2]}" =~ NoNewPrivs:[[:space:]]+1 ]] || fail "no_new_privs: ${L[2]}"
[ "${L[3]}" = "0 1 2" ] || fail "fds open in the container: '${L[3]}' (want 0 1 2)"
[ "${L[4]}" != "$(readlink /proc/self/ns/pid)" ] || fail "same pid namespace as the host"
assert_clean

# Capability profiles: CapEff and CapBnd equal the profile.
def=0
for c in 0 1 3 4 5 6 7 8 10 13 18 27 29 31; do def=$((def | (1 << c))); done
host_bnd=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
for prof in default none all; do
	case $prof in
	default) want=$(printf '%016x' $def) ;;
	none) want=0000000000000000 ;;
	all) want=$host_bnd ;;
	esac
	run_in --caps $prof -- /bin/sh -c 'grep -E "^Cap(Eff|Bnd|Inh|Amb|Prm)" /proc/self/status'
	for k in CapEff CapBnd CapPrm; do
		got=$(awk "/^$k/ {print \$2}" <<<"$OUT")
		[ "$got" = "$want" ] || fail "--caps $prof: $k $got, want $want"
	done
	for k in CapInh CapAmb; do
		got=$(awk "/^$k/ {print \$2}" <<<"$OUT")
		[ "$got" = 0000000000000000 ] || fail "--caps $prof: $k $got, want 0"
	done
done

# Masked and read-only paths, read-only root, private /tmp, minimal /dev.
run_in -- /bin/sh -c '
	[ ! -e /proc/kcore ] || [ "$(wc -c </proc/kcore)" = 0 ] || echo "kcore readable"
	grep -q " /proc/keys " /proc/self/mountinfo || echo "keys not masked"
	[ "$(wc -c </proc/timer_list)" = 0 ] || echo "timer_list readable"
	echo 1 2>/dev/null >/proc/sys/kernel/ns_last_pid && echo "proc/sys writable"
	touch /crowd-x 2>/dev/null && echo "root writable"
	touch /tmp/x || echo "tmp not writable"
	echo hi >/dev/null || echo "no /dev/null"
	[ "$(head -c 4 /dev/zero | wc -c)" = 4 ] || echo "no /dev/zero"
	[ ! -e /dev/sda ] && [ ! -e /dev/vda ] || echo "host disks visible"
	echo done'
[ "$OUT" = "done" ] || fail "rootfs setup: $OUT"

# --rootfs host: no pivot, still a fresh /proc (pid 1 is the container init).
run_in --rootfs host -- /bin/sh -c 'echo $$; cat /proc/1/comm; test -e /usr/bin/test && echo hostroot'
[ "$OUT" = "$(printf '1\nsh\nhostroot')" ] || fail "--rootfs host: $OUT"

# Exit status and signals.
expect_rc 3 "$CROWD" run -- /bin/sh -c 'exit 3'
expect_rc 0 "$CROWD" run -- /bin/true
expect_rc 1 "$CROWD" run -- /bin/false
expect_rc 1 "$CROWD" run -- /no/such/command
grep -q "exec /no/such/command" <<<"$ERR" || fail "exec failure not reported: $ERR"
for sig in TERM INT HUP; do
	"$CROWD" run -- /bin/sleep 30 &
	pid=$!
	for _ in $(seq 100); do [ -n "$(ls "$REG" 2>/dev/null)" ] && break; sleep 0.05; done
	sleep 0.1
	kill -$sig $pid
	wait $pid
	rc=$?
	want=$((128 + $(kill -l $sig)))
	[ $rc = $want ] || fail "kill -$sig: crowd run exited $rc, want $want"
done
"$CROWD" run -- /bin/sh -c 'trap "exit 7" TERM; sleep 30 & wait' &
pid=$!
for _ in $(seq 100); do [ -n "$(ls "$REG" 2>/dev/null)" ] && break; sleep 0.05; done
sleep 0.3
kill -TERM $pid
wait $pid
rc=$?
[ $rc = 7 ] || fail "SIGTERM not forwarded to the container's handler: exit $rc, want 7"
assert_clean

# memory.max: a hog is OOM-killed and reported.
expect_rc 137 "$CROWD" run --memory-max 16M -- /bin/sh -c 'a=x; while :; do a=$a$a; done'
grep -q "OOM killer" <<<"$ERR" || fail "OOM kill not reported: $ERR"
# pids.max: forks fail beyond it, and work without it.
expect_rc 0 "$CROWD" run -- /bin/sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait'
OUT=$("$CROWD" run --pids-max 4 -- /bin/sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait' 2>&1)
rc=$?
{ [ $rc -ne 0 ] && grep -q "can't fork" <<<"$OUT"; } || fail "--pids-max 4 did not stop forks (exit $rc): $OUT"
assert_clean

# Rootless, started by an unprivileged user: root inside is the caller outside.
nobody=$(id -u nobody)
OUT=$(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$CROWD" run --rootless -- \
	/bin/sh -c 'id -u; cat /proc/self/uid_map; cat /proc/self/setgroups; echo $$' 2>&1) ||
	fail "rootless run as nobody failed: $OUT"
mapfile -t L <<<"$OUT"
[ "${L[0]}" = 0 ] || fail "rootless: uid inside ${L[0]}, want 0"
read -r a b c <<<"${L[1]}"
[ "$a $b $c" = "0 $nobody 1" ] || fail "rootless uid_map '${L[1]}', want 0 $nobody 1"
[ "${L[2]}" = deny ] || fail "rootless setgroups '${L[2]}'"
[ "${L[3]}" = 1 ] || fail "rootless: not pid 1"
# Rootless without a pid namespace of its own: the host's /proc is bound (a user namespace
# may not mount one), still masked.
OUT=$(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$CROWD" run --rootless --ns user,mnt -- \
	/bin/sh -c 'id -u; grep -c " /proc/keys " /proc/self/mountinfo' 2>&1) || fail "rootless --ns user,mnt: $OUT"
[ "$OUT" = "$(printf '0\n1')" ] || fail "rootless --ns user,mnt: $OUT"
expect_rc 2 setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$CROWD" run --rootless --memory-max 64M -- /bin/true
grep -q "memory-max" <<<"$ERR" || fail "rootless limits: $ERR"
expect_rc 2 setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$CROWD" run -- /bin/true
rmdir "/dev/shm/crowd-$nobody" 2>/dev/null

# Bad input: exit 2, one line naming the option, nothing created.
for args in "--memory-max 5X" "--ns pid,bogus" "--pids-max -1" "--rootfs /etc/passwd" "--caps some" "--cpu-max x" \
	"--cpuset 4095" "--cpuset 1-0" "--cpuset 0," "--cpu-max 0/100000" "--memory-max 0" "--bogus"; do
	# shellcheck disable=SC2086
	expect_rc 2 "$CROWD" run $args -- /bin/true
	[ "$(wc -l <<<"$ERR")" = 1 ] || fail "$args: more than one line: $ERR"
	grep -q -- "${args%% *}" <<<"$ERR" || fail "$args: message does not name the option: $ERR"
done
expect_rc 2 "$CROWD" run
grep -q "missing command" <<<"$ERR" || fail "no command: $ERR"
expect_rc 2 "$CROWD" run --cpuset 4095 -- /bin/true
grep -q "online CPUs here" <<<"$ERR" || fail "--cpuset beyond the online CPUs: $ERR"
assert_clean

# SIGKILL of crowd run mid-run: the container dies with it (PDEATHSIG); clean removes the rest.
"$CROWD" run -- /bin/sh -c 'sleep 987 & sleep 986' &
pid=$!
for _ in $(seq 100); do pgrep -x -f "sleep 986" >/dev/null && break; sleep 0.05; done
pgrep -x -f "sleep 986" >/dev/null || fail "container did not start"
kill -KILL $pid
wait $pid 2>/dev/null
for _ in $(seq 100); do pgrep -x -f "sleep 98[67]" >/dev/null || break; sleep 0.05; done
pgrep -x -f "sleep 98[67]" >/dev/null && fail "container processes survived the harness: $(pgrep -a -f 'sleep 98[67]')"
expect_rc 0 "$CROWD" clean
grep -q "removed 1 registry record" <<<"$OUT" || fail "clean did not remove the record: $OUT"
assert_clean
echo "ok"
