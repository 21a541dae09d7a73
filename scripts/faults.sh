#!/usr/bin/env bash
# The fault matrix (issue 20): crowd bench under faults, each scenario in its own
# CROWD_CGROUP_TOP, each checked for its exit code and for leftovers (cgroups, registry
# records, mounts, processes) before anything cleans up. Not part of make check: at N=500 it
# takes several minutes.
#
#   scripts/faults.sh [-n N] [SCENARIO...]     (root; N instances per bench, default 500)
#
# Scenarios: kill-ramp kill-load kill-teardown (SIGKILL, then crowd clean twice: the first
# removes everything, the second finds nothing), int-ramp int-load int-teardown term-load
# (exit 130/143, the phase in summary.json, nothing left), crash exit42 oom, forkbomb (under
# --pids-max 64), emfile (ulimit -n 8..40), nslimit (clone3 ENOSPC inside a user namespace
# with user.max_pid_namespaces lowered: the host's may not be changed), foreign (a process
# pinned in a container's cgroup), concurrent (3 benches at once), clean (crowd clean during
# a bench). The last line: "faults: P/S scenarios passed, L leftovers found".
# shellcheck disable=SC2016 # conditions and sh -c programs are evaluated later, on purpose
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CROWD=$ROOT/build/crowd
N=500
if [ "${1:-}" = -n ]; then
	N=$2
	shift 2
fi
case $N in '' | *[!0-9]*) echo "faults.sh: -n $N: need a number of instances (1..)" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "faults.sh: needs root" >&2; exit 2; }
[ -x "$CROWD" ] || { echo "faults.sh: $CROWD missing: run make" >&2; exit 2; }
ALL="kill-ramp kill-load kill-teardown int-ramp int-load int-teardown term-load crash exit42 oom forkbomb emfile nslimit foreign concurrent clean"
SCEN=${*:-$ALL}
TMP=$(mktemp -d /tmp/crowd-faults.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
if [ "$(stat -f -c %T /run)" = tmpfs ]; then REGROOT=/run/crowd; else REGROOT=/dev/shm/crowd; fi
DUR=$((N / 50 + 8)) # load seconds: long enough to be hit mid-load at any N

passed=0 total=0 leftovers=0
note() { printf '  %s\n' "$*"; }

# What the current top left: cgroup directories, registry records, mounts, processes in them.
count_left() {
	local top=$CROWD_CGROUP_TOP n
	n=$(find /sys/fs/cgroup -maxdepth 2 -type d -name "$top" 2>/dev/null | wc -l)
	n=$((n + $(find "$REGROOT/$top" -type f 2>/dev/null | wc -l)))
	n=$((n + $(grep -c "$top" /proc/self/mountinfo)))
	echo "$n"
}

# Instances of the current top holding a process (ramp progress).
running() {
	local h=/sys/fs/cgroup/pids
	[ -d $h ] || h=/sys/fs/cgroup # cgroup2 alone
	cat "$h/$CROWD_CGROUP_TOP"/run-*/*/cgroup.procs 2>/dev/null | wc -l
}

# wait_for COND TIMEOUT_S: poll a shell condition every 50 ms.
wait_for() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		eval "$1" && return 0
		sleep 0.05
	done
	return 1
}

# Wait for phase $1 of the bench in the background, then send signal $2 to pid $3.
hit() {
	local phase=$1 sig=$2 pid=$3
	case $phase in
	ramp) wait_for '[ "$(running)" -ge $((N / 3 > 0 ? N / 3 : 1)) ]' 300 ;;
	load) wait_for '[ "$(running)" -ge "$N" ]' 600 && sleep 2 ;;
	teardown)
		wait_for '[ "$(running)" -ge "$N" ]' 600
		wait_for '[ "$(running)" -lt "$N" ]' $((DUR + 120))
		;;
	esac
	kill -"$sig" "$pid" 2>/dev/null
}

json() { python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d.get(k) if isinstance(d,dict) else None
print("" if d is None else d)' "$1" "$2" 2>/dev/null; }

# A scenario's verdict: $1 ok (0/1), $2 what happened; leftovers are counted, then swept.
verdict() {
	local left
	left=$(count_left)
	leftovers=$((leftovers + left))
	total=$((total + 1))
	if [ "$1" = 0 ] && [ "$left" = 0 ]; then
		passed=$((passed + 1))
		printf 'PASS %-14s %s\n' "$name" "$2"
	else
		printf 'FAIL %-14s %s; %s left\n' "$name" "$2" "$left"
		cat "$TMP/$name".err* "$TMP/$name".out.clean* 2>/dev/null | grep -v '^$' | head -4 | sed 's/^/     /'
	fi
	"$CROWD" clean >/dev/null 2>&1
}

bench() { "$CROWD" bench --quiet --out "$TMP/$name" "$@"; }
# The same in the background, crowd itself (not a subshell) in $BG, so signals reach it.
bench_bg() {
	"$CROWD" bench --quiet --out "$TMP/$name" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	BG=$!
}

scenario() {
	local sig phase rc want out="$TMP/$name.out" err="$TMP/$name.err"
	export CROWD_CGROUP_TOP="faults-$name-$$"
	case $name in
	kill-*)
		phase=${name#kill-}
		bench_bg -n "$N" -j 8 --duration "${DUR}s"
		local pid=$BG
		hit "$phase" KILL $pid
		wait $pid 2>/dev/null
		sleep 2
		local alive
		alive=$(running)
		"$CROWD" clean >"$out.clean1" 2>&1
		rc=$?
		"$CROWD" clean >"$out.clean2" 2>&1
		local rc2=$?
		grep -q "killed 0 processes, removed 0 registry records, 0 cgroups" "$out.clean2"
		local idem=$?
		verdict $((rc != 0 || rc2 != 0 || idem != 0)) \
			"SIGKILL in the $phase: $alive instances alive after 2 s, clean exit $rc ($(cut -c14- "$out.clean1")), second clean idempotent: $([ $idem = 0 ] && echo yes || echo no)"
		;;
	int-* | term-*)
		phase=${name#*-}
		sig=$([ "${name%%-*}" = int ] && echo INT || echo TERM)
		want=$([ "$sig" = INT ] && echo 130 || echo 143)
		bench_bg -n "$N" -j 8 --duration "${DUR}s"
		local pid=$BG
		hit "$phase" "$sig" $pid
		wait $pid
		rc=$?
		local got bad=0
		got=$(json "$TMP/$name/summary.json" interrupted.phase)
		[ "$rc" = "$want" ] && [ "$got" = "$phase" ] || bad=1
		verdict $bad "SIG$sig in the $phase: exit $rc (want $want), summary phase '$got'"
		;;
	crash | exit42)
		if [ "$name" = crash ]; then
			printf 'int main(void) { volatile int *p = 0; return *p; }\n' >"$TMP/crash.c"
			cc -O0 -o "$TMP/w" "$TMP/crash.c" || { verdict 1 "no C compiler"; return; }
		else
			printf '#!/bin/sh\nexit 42\n' >"$TMP/w" && chmod +x "$TMP/w"
		fi
		bench -n 20 --rootfs host --workload "cmd:$TMP/w" >"$out" 2>"$err"
		rc=$?
		local ends
		ends=$(json "$TMP/$name/summary.json" backends.core.ends)
		verdict $((rc != 1)) "exit $rc (want 1), ends $ends"
		;;
	oom)
		bench -n 20 --workload mem --memory-max 8M >"$out" 2>"$err"
		rc=$?
		local ends
		ends=$(json "$TMP/$name/summary.json" backends.core.ends)
		verdict $((rc != 1)) "exit $rc (want 1), ends $ends"
		;;
	forkbomb)
		printf '#!/bin/sh\nb() { b | b & }\nb\nsleep 1000\n' >"$TMP/bomb" && chmod +x "$TMP/bomb"
		timeout 300 "$CROWD" bench -n 10 --ns pid,mnt --pids-max 64 --rootfs host \
			--workload "cmd:$TMP/bomb" --quiet --out "$TMP/$name" >"$out" 2>"$err"
		rc=$?
		verdict $((rc != 0 && rc != 1)) "10 fork bombs under --pids-max 64: exit $rc"
		;;
	emfile)
		local n bad=0 codes=""
		for n in 8 10 12 16 20 24 28 32 40; do
			(
				ulimit -n $n
				"$CROWD" bench -n 10 --workload idle --quiet --out "$TMP/$name-$n" >/dev/null 2>"$err.$n"
			)
			rc=$?
			codes="$codes $n:$rc"
			# 3 only when it names what it left; otherwise nothing may be left
			if [ $rc = 3 ]; then grep -q "left behind" "$err.$n" || bad=1; elif [ "$(count_left)" != 0 ]; then bad=1; fi
			"$CROWD" clean >/dev/null 2>&1
		done
		verdict $bad "ulimit -n:exit$codes"
		;;
	nslimit)
		unshare -U --map-root-user sh -c 'echo 3 >/proc/sys/user/max_pid_namespaces &&
			"$0" bench -n 10 --ns pid --rootfs host --security none --workload "cmd:/bin/sleep 1000" \
				--quiet --out "$1" >/dev/null 2>&1' "$CROWD" "$TMP/$name"
		rc=$?
		local named
		named=$(grep -c "user.max_pid_namespaces=3" "$TMP/$name/samples.csv" 2>/dev/null)
		verdict $((rc != 1 || named == 0)) "user.max_pid_namespaces=3 in a user namespace: exit $rc, $named rows name the limit"
		;;
	foreign)
		bench_bg -n 10 --duration 6s
		local pid=$BG
		wait_for '[ "$(running)" -ge 10 ]' 120
		sleep 1000 &
		local fp=$!
		local leaf
		leaf=$(find /sys/fs/cgroup/pids/"$CROWD_CGROUP_TOP"/run-* -mindepth 1 -maxdepth 1 -type d | head -1)
		echo $fp >"$leaf/cgroup.procs"
		local u=/sys/fs/cgroup/unified/${leaf#/sys/fs/cgroup/pids/}
		[ -d "$u" ] && echo $fp >"$u/cgroup.procs"
		wait $pid
		rc=$?
		local survived=0
		kill -0 $fp 2>/dev/null && survived=1
		kill -KILL $fp 2>/dev/null
		wait $fp 2>/dev/null
		verdict $((rc != 0 || survived)) "a sleep pinned in $(basename "$leaf"): bench exit $rc, it survived: $survived"
		;;
	concurrent)
		local p1 p2 p3 r1 r2 r3
		"$CROWD" bench -n $((N / 3 + 1)) --workload idle --quiet --out "$TMP/$name-1" >/dev/null 2>"$err.1" &
		p1=$!
		"$CROWD" bench -n $((N / 3 + 1)) --workload idle --quiet --out "$TMP/$name-2" >/dev/null 2>"$err.2" &
		p2=$!
		"$CROWD" bench -n $((N / 3 + 1)) --duration 3s --quiet --out "$TMP/$name-3" >/dev/null 2>"$err.3" &
		p3=$!
		wait $p1; r1=$?
		wait $p2; r2=$?
		wait $p3; r3=$?
		verdict $((r1 != 0 || r2 != 0 || r3 != 0)) "3 benches of $((N / 3 + 1)) at once: exits $r1 $r2 $r3"
		;;
	clean)
		bench_bg -n "$N" -j 8 --duration "${DUR}s"
		local pid=$BG
		wait_for '[ "$(running)" -ge "$N" ]' 600
		sleep 1
		"$CROWD" clean >"$out.clean" 2>&1
		local crc=$?
		wait $pid
		rc=$?
		local okbad
		okbad=$(python3 -c 'import csv,sys
print(sum(1 for r in csv.DictReader(open(sys.argv[1])) if r["status"]=="ok" and r["end_reason"]!="running-at-teardown"))' "$TMP/$name/samples.csv" 2>/dev/null)
		verdict $((rc != 1 || okbad != 0)) "crowd clean mid-load: bench exit $rc (want 1: failed rows, no false leftover), clean exit $crc, ok rows killed by it: $okbad"
		;;
	*)
		echo "faults.sh: unknown scenario '$name' (allowed: $ALL)" >&2
		exit 2
		;;
	esac
}

echo "faults.sh: N=$N, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for name in $SCEN; do
	scenario
done
echo "faults: $passed/$total scenarios passed, $leftovers leftovers found (N=$N)"
[ "$passed" = "$total" ] && [ "$leftovers" = 0 ]
