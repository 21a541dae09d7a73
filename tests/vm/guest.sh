#!/bin/sh
# The cgroup v2 test list, run by the test VM's init (tests/vm/init.sh) on a kernel with only
# cgroup2 mounted. One line per test on the console:
#   CROWD-V2 pass NAME | CROWD-V2 fail NAME: WHY | CROWD-V2 skip NAME: WHY
# then the guest's own closing line "CROWD-V2-END N passed, N failed, N skipped".
# A test is a function t_NAME: exit 0 passes, 77 skips (its reason the last line), anything
# else fails (its last line is the why; its output is shown indented).
cd /crowd || exit 1
crowd=/crowd/build/crowd
export CROWD_CGROUP_TOP=v2test
pass=0 fail=0 skip=0
only=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^crowd.only=//p' | tr ',' ' ')

fail() { echo "$*"; exit 1; }
skip() { echo "$*"; exit 77; }
# The run's cgroup directory of the only container running under <top>.
leaf() {
	for _ in $(seq 100); do
		l=$(find /sys/fs/cgroup/$CROWD_CGROUP_TOP -mindepth 2 -maxdepth 2 -type d 2>/dev/null | head -1)
		[ -n "$l" ] && { echo "$l"; return 0; }
		sleep 0.1
	done
	return 1
}
nothing_left() {
	[ ! -e /sys/fs/cgroup/$CROWD_CGROUP_TOP ] || fail "left behind: $(find /sys/fs/cgroup/$CROWD_CGROUP_TOP)"
}
# pids whose command line starts with PREFIX (the guest has no pgrep), optionally of UID only.
pids_of() { # PREFIX [UID]
	for p in /proc/[0-9]*; do
		c=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		case $c in "$1"*) ;; *) continue ;; esac
		[ -z "${2:-}" ] || [ "$(awk '/^Uid:/ {print $2}' "$p/status" 2>/dev/null)" = "$2" ] || continue
		echo "${p#/proc/}"
	done
}
csv_col() { # FILE NAME: the column's values, one a line
	awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; if (!c) exit 3; next } { print $c }' "$1"
}

t_info() {
	$crowd info | tee /tmp/info
	grep -Eq '^cgroups +unified' /tmp/info || fail "crowd info does not say unified (v2)"
}

# A hog over --memory-max is OOM-killed: exit 137 and the reason (from memory.events).
t_memory_max() {
	$crowd run --memory-max 32M -- /bin/mem --bytes 128M >/tmp/o 2>&1
	rc=$?
	cat /tmp/o
	[ $rc = 137 ] || fail "exit $rc, want 137"
	grep -q 'killed by the OOM killer (memory-max' /tmp/o || fail "no OOM reason"
}

# The limit is in memory.max of the container's own leaf, read from outside while it runs.
t_limits_written() {
	$crowd run --memory-max 48M --pids-max 20 --cpu-max 20ms/100ms --cpuset 0 -- /bin/sleep 3 &
	pid=$!
	l=$(leaf) || fail "no leaf appeared"
	sleep 0.5
	for f in memory.max pids.max cpu.max cpuset.cpus; do echo "$f: $(cat "$l/$f")"; done
	got="$(cat "$l/memory.max") $(cat "$l/pids.max") $(cat "$l/cpu.max") $(cat "$l/cpuset.cpus")"
	wait $pid || fail "crowd run exited $?"
	[ "$got" = "50331648 20 20000 100000 0" ] || fail "limits read '$got'"
	nothing_left
}

# pids.max: the container's shell cannot fork past it.
t_pids_max() {
	$crowd run --pids-max 4 -- /bin/sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; wait' >/tmp/o 2>&1
	rc=$?
	cat /tmp/o
	grep -q "can't fork" /tmp/o || fail "forks past pids.max 4 did not fail (exit $rc)"
}

# cpu.max throttles a spinning container (cpu.stat nr_throttled), read while it runs.
t_cpu_max() {
	$crowd run --cpu-max 10ms/100ms -- /bin/sh -c 'timeout 3 sh -c "while :; do :; done"; true' &
	pid=$!
	l=$(leaf) || fail "no leaf appeared"
	sleep 2
	cat "$l/cpu.max" "$l/cpu.stat"
	thr=$(awk '$1 == "nr_throttled" {print $2}' "$l/cpu.stat")
	use=$(awk '$1 == "usage_usec" {print $2}' "$l/cpu.stat")
	wait $pid
	[ "${thr:-0}" -gt 0 ] || fail "not throttled (nr_throttled ${thr:-none})"
	# 10% of one CPU over ~2 s is 0.2 s; allow the first period and slack.
	[ "${use:-0}" -lt 800000 ] || fail "usage_usec $use over 2 s at 10%"
}

t_cpuset() {
	[ "$(nproc)" -ge 2 ] || skip "one CPU in the guest"
	$crowd run --cpuset 1 -- /bin/grep Cpus_allowed_list /proc/self/status >/tmp/o 2>&1
	cat /tmp/o
	grep -Eq 'Cpus_allowed_list:[[:space:]]+1$' /tmp/o || fail "cpuset 1 not applied"
}

# The device allowlist is a cgroup BPF program on v2: mknod of any node is allowed (as
# Docker), opening one outside the list (5:1, /dev/console) is refused; with the devices
# switch off the same open works, so the refusal is the program's.
t_devices_bpf() {
	cmd='mknod /dev/c5 c 5 1 || exit 10; true >/dev/c5 && echo opened; cat /dev/null && echo null-ok'
	$crowd run -- /bin/sh -c "$cmd" >/tmp/o 2>&1
	rc=$?
	cat /tmp/o
	grep -q null-ok /tmp/o || fail "/dev/null not usable (exit $rc)"
	grep -q opened /tmp/o && fail "a disallowed device (c 5:1) was opened"
	grep -q 'Operation not permitted' /tmp/o || fail "the open was not refused with EPERM"
	$crowd run --security nnp,masks,seccomp,sys-ro -- /bin/sh -c "$cmd" >/tmp/o2 2>&1
	cat /tmp/o2
	grep -q opened /tmp/o2 || fail "control: without the devices switch the open failed too"
}

t_seccomp_default() {
	$crowd run -- /bin/grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status >/tmp/o 2>&1
	cat /tmp/o
	grep -Eq '^Seccomp:[[:space:]]+2' /tmp/o || fail "no seccomp filter by default"
}

# bench -n 20: the memory columns come from the v2 files (memory.peak / memory.current).
bench_check() { # WORKLOAD [OPTS...]
	w=$1
	shift
	$crowd bench -n 20 --workload "$w" --out "/tmp/b-$w" "$@" >/tmp/o 2>&1
	rc=$?
	tail -15 /tmp/o
	[ $rc = 0 ] || fail "crowd bench $w exited $rc"
	f=/tmp/b-$w/samples.csv
	ok=$(csv_col "$f" status | grep -c '^ok$')
	[ "$ok" = 20 ] || fail "$ok of 20 ok"
	csv_col "$f" cgroup_bytes | head -3
	bad=$(csv_col "$f" cgroup_bytes | awk '!($1 > 0)' | wc -l)
	[ "$bad" = 0 ] || fail "$bad rows without cgroup_bytes"
	nothing_left
}
t_bench_idle() { bench_check idle; }
t_bench_httpd() { bench_check httpd --duration 1s; }

t_density_budget() {
	$crowd density --workload idle --memory-budget 24M --max-count 100 --out /tmp/d >/tmp/o 2>&1
	rc=$?
	tail -12 /tmp/o
	[ $rc = 0 ] || fail "crowd density exited $rc"
	grep -q 'stopped by memory-budget' /tmp/o || fail "the ramp was not stopped by the memory budget"
	nothing_left
}

# SIGKILL of a running bench leaves containers and cgroups; crowd clean removes them all
# (cgroup.kill, cgroup.events).
t_kill_clean() {
	$crowd bench -n 200 --workload idle --out /tmp/k >/tmp/o 2>&1 &
	pid=$!
	for _ in $(seq 300); do
		n=$(find /sys/fs/cgroup/$CROWD_CGROUP_TOP -mindepth 2 -maxdepth 2 -type d 2>/dev/null | wc -l)
		[ "$n" -ge 5 ] && break
		sleep 0.1
	done
	kill -9 $pid
	wait $pid 2>/dev/null
	left=$(find /sys/fs/cgroup/$CROWD_CGROUP_TOP -mindepth 2 -maxdepth 2 -type d | wc -l)
	echo "killed with $left containers' cgroups"
	[ "$left" -ge 1 ] || fail "nothing was running when bench was killed"
	$crowd clean || fail "crowd clean exited $?"
	nothing_left
	[ -z "$(pids_of /bin/idle)" ] || fail "idle processes remain: $(pids_of /bin/idle)"
}

# --- rootless, as uid 1000 (crowd in /etc/passwd): user NAME -- CMD runs CMD as that user
# from cgroup /sys/fs/cgroup/NAME/session, moved there first by root (as a login would).
as_user() { # CGROUP CMD...
	cg=$1
	shift
	/usr/bin/setpriv --reuid=1000 --regid=1000 --clear-groups true || fail "setpriv cannot drop to uid 1000"
	sh -c 'echo $$ >/sys/fs/cgroup/'"$cg"'/cgroup.procs && exec /usr/bin/setpriv --reuid=1000 --regid=1000 --clear-groups --reset-env "$@"' as_user "$@"
}
# A subtree delegated as systemd does it: directory, cgroup.procs, cgroup.subtree_control and
# cgroup.threads owned by the user; the user's processes in a leaf below (session).
delegate() { # NAME
	d=/sys/fs/cgroup/$1
	mkdir -p "$d/session"
	for x in "$d" "$d/session"; do
		chown 1000:1000 "$x" "$x/cgroup.procs" "$x/cgroup.subtree_control" "$x/cgroup.threads"
	done
}
undelegate() { # NAME: what crowd left under it is a failure
	d=/sys/fs/cgroup/$1
	extra=$(find "$d" -mindepth 1 -type d ! -path "$d/session")
	rmdir "$d/session" "$d" 2>/dev/null
	[ -z "$extra" ] || fail "left in the delegated subtree: $extra"
}

# SIGKILL of a running rootless bench in a delegated subtree, then the user's own crowd clean:
# exit 0, nothing left in the subtree, no workload left running.
t_rootless_kill_clean() {
	delegate user-1000
	as_user user-1000/session env PATH=/bin HOME=/tmp CROWD_CGROUP_TOP="$CROWD_CGROUP_TOP" $crowd bench --rootless -n 200 --workload httpd \
		--duration 5s --out /tmp/rl-k >/tmp/o 2>&1 &
	job=$!
	n=0 pid=""
	for _ in $(seq 300); do
		# as_user runs crowd as a grandchild of the job: the bench itself is killed
		pid=$(pids_of "$crowd bench" 1000 | head -1)
		n=$(find /sys/fs/cgroup/user-1000/$CROWD_CGROUP_TOP -mindepth 2 -maxdepth 2 -type d 2>/dev/null | wc -l)
		[ -n "$pid" ] && [ "$n" -ge 5 ] && break
		kill -0 $job 2>/dev/null || break
		sleep 0.05
	done
	[ -n "$pid" ] || fail "the rootless bench was not seen running"
	kill -9 "$pid"
	wait $job 2>/dev/null
	echo "killed crowd (pid $pid) with $n containers' cgroups"
	[ "$n" -ge 1 ] || { tail -5 /tmp/o; fail "nothing was running when bench was killed"; }
	as_user user-1000/session env PATH=/bin HOME=/tmp CROWD_CGROUP_TOP="$CROWD_CGROUP_TOP" $crowd clean >/tmp/o 2>&1
	rc=$?
	cat /tmp/o
	[ $rc = 0 ] || fail "the user's crowd clean exited $rc: $(tail -1 /tmp/o)"
	[ -z "$(pids_of /bin/httpd)" ] || fail "httpd processes remain: $(pids_of /bin/httpd)"
	undelegate user-1000
}

# Delegated: crowd finds its cgroup's delegated parent, the whole bench runs in it, the
# memory columns come from the leaves' v2 files; a limit works unprivileged.
t_rootless_delegated() {
	delegate user-1000
	rm -rf /tmp/rl-d
	as_user user-1000/session env PATH=/bin HOME=/tmp CROWD_CGROUP_TOP="$CROWD_CGROUP_TOP" $crowd bench --rootless -n 20 --workload httpd \
		--duration 1s --out /tmp/rl-d >/tmp/o 2>&1 &
	pid=$!
	seen=""
	for _ in $(seq 200); do
		seen=$(find /sys/fs/cgroup/user-1000/$CROWD_CGROUP_TOP -mindepth 2 -maxdepth 2 -type d 2>/dev/null | head -1)
		[ -n "$seen" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	wait $pid
	rc=$?
	tail -14 /tmp/o
	echo "a container's cgroup: ${seen:-none seen}"
	[ $rc = 0 ] || fail "rootless bench exited $rc"
	[ -n "$seen" ] || fail "no container cgroup appeared under the delegated user-1000"
	grep -q 'no cgroups for this run' /tmp/o && fail "said no cgroups though delegated"
	f=/tmp/rl-d/samples.csv
	ok=$(csv_col "$f" status | grep -c '^ok$')
	[ "$ok" = 20 ] || fail "$ok of 20 ok"
	bad=$(csv_col "$f" cgroup_bytes | awk '!($1 > 0)' | wc -l)
	[ "$bad" = 0 ] || fail "$bad rows without cgroup_bytes"
	bad=$(csv_col "$f" rps | awk '!($1 > 0)' | wc -l)
	[ "$bad" = 0 ] || fail "$bad rows without rps (the load could not reach the containers)"
	as_user user-1000/session env PATH=/bin HOME=/tmp CROWD_CGROUP_TOP="$CROWD_CGROUP_TOP" $crowd run --rootless --memory-max 32M -- /bin/mem --bytes 128M >/tmp/o 2>&1
	rc=$?
	cat /tmp/o
	[ $rc = 137 ] || fail "rootless --memory-max: exit $rc, want 137"
	undelegate user-1000
}

# Not delegated (the user's cgroup and its parent are root's): the bench still runs, without
# cgroups; every cgroup figure is empty, never 0, and crowd says why once.
t_rootless_undelegated() {
	mkdir -p /sys/fs/cgroup/nodeleg/session
	rm -rf /tmp/rl-n
	as_user nodeleg/session env PATH=/bin HOME=/tmp CROWD_CGROUP_TOP="$CROWD_CGROUP_TOP" $crowd bench --rootless -n 20 --workload httpd \
		--duration 1s --out /tmp/rl-n >/tmp/o 2>&1
	rc=$?
	tail -14 /tmp/o
	rmdir /sys/fs/cgroup/nodeleg/session /sys/fs/cgroup/nodeleg
	[ $rc = 0 ] || fail "rootless bench without delegation exited $rc"
	n=$(grep -c 'no cgroups for this run' /tmp/o)
	[ "$n" = 1 ] || fail "the reason was said $n times, want once"
	f=/tmp/rl-n/samples.csv
	ok=$(csv_col "$f" status | grep -c '^ok$')
	[ "$ok" = 20 ] || fail "$ok of 20 ok"
	filled=$(csv_col "$f" cgroup_bytes | grep -vc '^$')
	[ "$filled" = 0 ] || fail "$filled rows have cgroup_bytes without a cgroup"
	filled=$(csv_col "$f" t_cgroup_ns | grep -vc '^$')
	[ "$filled" = 0 ] || fail "$filled rows have t_cgroup_ns without a cgroup"
	pss=$(csv_col "$f" pss_bytes | awk '$1 > 0' | wc -l)
	[ "$pss" = 20 ] || fail "only $pss rows have pss_bytes"
	rps=$(csv_col "$f" rps | awk '$1 > 0' | wc -l)
	[ "$rps" = 20 ] || fail "only $rps rows have rps"
}

run() {
	name=$1
	if [ "$only" != all ] && ! echo " $only " | grep -q " $name "; then
		return
	fi
	t0=$(cut -d' ' -f1 /proc/uptime)
	out=/tmp/t-$name.out
	(set -u; "t_$name") >"$out" 2>&1
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
	why=$(tail -1 "$out")
	case $rc in
	0) pass=$((pass + 1)); echo "CROWD-V2 pass $name (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "CROWD-V2 skip $name: $why" ;;
	*) fail=$((fail + 1))
		tail -25 "$out" | sed 's/^/  | /'
		echo "CROWD-V2 fail $name: rc=$rc ${why}" ;;
	esac
	# Whatever a test leaves is the next test's problem: clean it here, scoped.
	$crowd clean >/dev/null 2>&1
}

sed -n 's/^t_\([a-z0-9_]*\)() *{.*/\1/p' "$0" >/tmp/tests
while read -r t; do
	run "$t" </dev/null
done </tmp/tests
echo "CROWD-V2-END $pass passed, $fail failed, $skip skipped"
