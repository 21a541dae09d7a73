#!/usr/bin/env bash
# Issue 20's findings, one function per item: an interrupt after the ramp is honoured (exit
# 128+signal, phase in summary.json, partial load marked); why an instance ended is recorded
# (crash, exit 42, OOM kill) and fails the run; EMFILE while making the run's cgroups leaves
# nothing; a concurrent crowd clean is no false leftover; limit errors name the limit; plot
# and compare agree on a samples.csv that is a directory. (The teardown's run-wide kill and
# the registry's one path per cgroup are check_cgroup's real_run_kill and registry_one_path.)
# needs: root
# shellcheck disable=SC2016 # the sh -c program gets its arguments as $0 and $1
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -x "$ROOTFS/bin/sh" ] || skip "build/rootfs missing: run make"
tmp=$(mktemp -d /tmp/crowd-it-faults.XXXXXX)
trap '"$CROWD" clean >/dev/null 2>&1; rm -rf "$tmp"' EXIT

# summary.json key path ("interrupted.phase") of run folder $1 key $2, "" when absent.
jget() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]+"/summary.json"))
for k in sys.argv[2].split("."):
    d=d.get(k) if isinstance(d,dict) else None
print("" if d is None else d)' "$1" "$2"
}

# Wait until $1 instances of this test's run hold a process (the ramp is done), at most 60 s.
wait_ramped() {
	local want=$1 n=0 h=/sys/fs/cgroup/pids
	[ -d $h ] || h=/sys/fs/cgroup # cgroup2 alone
	for _ in $(seq 600); do
		n=$(cat "$h/$CROWD_CGROUP_TOP"/run-*/*/cgroup.procs 2>/dev/null | wc -l)
		[ "$n" -ge "$want" ] && return 0
		sleep 0.1
	done
	fail "the ramp did not finish: $n of $want instances running"
}

# 1. SIGINT and SIGTERM during the load: 130 / 143, rows and summary say "load", load partial.
item1() {
	local sig rc want
	for sig in INT TERM; do
		want=$([ $sig = INT ] && echo 130 || echo 143)
		"$CROWD" bench -n 4 --duration 30s --quiet --out "$tmp/i1-$sig" >"$tmp/out" 2>"$tmp/err" &
		local pid=$!
		wait_ramped 4
		sleep 1.5
		kill -$sig $pid
		wait $pid
		rc=$?
		[ $rc -eq "$want" ] || fail "item1: SIG$sig during the load: exit $rc, expected $want: $(cat "$tmp/err")"
		[ "$(jget "$tmp/i1-$sig" interrupted.phase)" = load ] ||
			fail "item1: summary.json interrupted.phase is '$(jget "$tmp/i1-$sig" interrupted.phase)', expected load"
		[ "$(jget "$tmp/i1-$sig" backends.core.load.partial)" = True ] ||
			fail "item1: the cut load is not marked partial in summary.json"
		[ "$(jget "$tmp/i1-$sig" backends.core.interrupted)" = 4 ] ||
			fail "item1: $(jget "$tmp/i1-$sig" backends.core.interrupted) interrupted rows, expected 4"
		csv_col "$tmp/i1-$sig/samples.csv" error | grep -q "interrupted during load" ||
			fail "item1: rows do not say 'interrupted during load'"
		grep -q "INTERRUPTED during load" "$tmp/out" || fail "item1: the printout does not say so"
	done
	assert_nothing_left
}

# 2. A workload that segfaults, exits 42 or is OOM-killed: failed rows with how it ended, the
# summary counts each kind, exit 1.
item2() {
	local rc
	printf '#!/bin/sh\nexit 42\n' >"$tmp/exit42" && chmod +x "$tmp/exit42"
	"$CROWD" bench -n 5 --rootfs host --workload "cmd:$tmp/exit42" --quiet --out "$tmp/i2-exit" >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 1 ] || fail "item2: a workload exiting 42: exit $rc, expected 1"
	csv_col "$tmp/i2-exit/samples.csv" status end_reason exit_code | grep -qP '^failed\texit\t42$' ||
		fail "item2: no failed row with end_reason exit, exit_code 42: $(csv_col "$tmp/i2-exit/samples.csv" status end_reason exit_code | sort | uniq -c)"
	[ "$(jget "$tmp/i2-exit" backends.core.ends.exit)" -ge 1 ] || fail "item2: summary.json ends.exit missing"
	if command -v cc >/dev/null; then
		printf 'int main(void) { volatile int *p = 0; return *p; }\n' >"$tmp/crash.c"
		cc -static -O0 -o "$tmp/crash" "$tmp/crash.c" 2>/dev/null || cc -O0 -o "$tmp/crash" "$tmp/crash.c"
		"$CROWD" bench -n 5 --rootfs host --workload "cmd:$tmp/crash" --quiet --out "$tmp/i2-crash" >/dev/null 2>&1
		rc=$?
		[ $rc -eq 1 ] || fail "item2: a segfaulting workload: exit $rc, expected 1"
		csv_col "$tmp/i2-crash/samples.csv" status end_reason end_signal | grep -qP '^failed\tsignal\t11$' ||
			fail "item2: no failed row ended by signal 11"
	else
		skip_part "item2 segfault" "no C compiler to build a crashing workload"
	fi
	"$CROWD" bench -n 2 --workload mem --memory-max 8M --quiet --out "$tmp/i2-oom" >/dev/null 2>&1
	rc=$?
	[ $rc -eq 1 ] || fail "item2: OOM-killed instances: exit $rc, expected 1"
	csv_col "$tmp/i2-oom/samples.csv" end_reason end_signal | grep -qP '^oom\t9$' || fail "item2: no row with end_reason oom"
	csv_col "$tmp/i2-oom/samples.csv" error | grep -q "killed by the OOM killer (memory-max 8.00MiB" ||
		fail "item2: the OOM row does not say so as crowd run does: $(csv_col "$tmp/i2-oom/samples.csv" error | head -1)"
	assert_nothing_left
}

# 3. EMFILE while the run's cgroups are made: nothing left (or exit 3), no "core: core:".
item3() {
	local rc
	(ulimit -n 8; "$CROWD" bench -n 10 --workload idle --quiet --out "$tmp/i3" >/dev/null 2>"$tmp/err")
	rc=$?
	grep -q "core: core:" "$tmp/err" && fail "item3: message repeats 'core: core:': $(cat "$tmp/err")"
	if [ $rc -ne 3 ]; then
		assert_nothing_left
	fi
	"$CROWD" clean >/dev/null 2>&1
}

# 4. crowd clean during a bench: the bench's killed instances are failed rows, exit 1, not a
# false leftover (3); nothing is left.
item4() {
	local rc
	"$CROWD" bench -n 20 -j 4 --duration 20s --quiet --out "$tmp/i4" >/dev/null 2>"$tmp/err" &
	local pid=$!
	wait_ramped 20
	sleep 1
	"$CROWD" clean >"$tmp/clean" 2>&1
	wait $pid
	rc=$?
	[ $rc -eq 1 ] || fail "item4: bench under a concurrent clean: exit $rc, expected 1: $(cat "$tmp/err")"
	grep -q "left behind" "$tmp/err" && fail "item4: a false leftover: $(cat "$tmp/err")"
	local bad
	bad=$(csv_col "$tmp/i4/samples.csv" status end_reason | awk -F'\t' '$1 == "ok" && $2 != "running-at-teardown"')
	[ -z "$bad" ] || fail "item4: rows killed by the clean are ok: $bad"
	csv_col "$tmp/i4/samples.csv" status end_reason | grep -qP '^failed\t(vanished|signal)$' ||
		fail "item4: no failed row says vanished or signal"
	assert_nothing_left
}

# 5. Limit errnos name the limit: EMFILE per row, clone3 ENOSPC inside a user namespace whose
# user.max_pid_namespaces is lowered (the host's may not be changed here).
item5() {
	(ulimit -n 26; "$CROWD" bench -n 3 --workload idle --quiet --out "$tmp/i5" >/dev/null 2>&1)
	if [ -f "$tmp/i5/samples.csv" ] && csv_col "$tmp/i5/samples.csv" error | grep -q "Too many open files"; then
		csv_col "$tmp/i5/samples.csv" error | grep "Too many open files" | grep -vq "RLIMIT_NOFILE=26" &&
			fail "item5: an EMFILE row does not name RLIMIT_NOFILE: $(csv_col "$tmp/i5/samples.csv" error | head -1)"
	else
		skip_part "item5 EMFILE" "26 descriptors did not end in EMFILE on a row here"
	fi
	"$CROWD" clean >/dev/null 2>&1
	if unshare -U --map-root-user true 2>/dev/null; then
		unshare -U --map-root-user sh -c 'echo 2 >/proc/sys/user/max_pid_namespaces &&
			"$0" bench -n 4 --ns pid --rootfs host --security none --workload "cmd:/bin/sleep 1000" \
				--quiet --out "$1" >/dev/null 2>&1' "$CROWD" "$tmp/i5ns"
		csv_col "$tmp/i5ns/samples.csv" error | grep -q "user.max_pid_namespaces=2" ||
			fail "item5: clone3 ENOSPC does not name user.max_pid_namespaces=2: $(csv_col "$tmp/i5ns/samples.csv" error | sort -u)"
	else
		skip_part "item5 ENOSPC" "no user namespace here"
	fi
	"$CROWD" clean >/dev/null 2>&1
	assert_nothing_left
}

# 8. A samples.csv that is a directory is bad input (2) for plot as for compare.
item8() {
	mkdir -p "$tmp/i8/samples.csv"
	echo '{}' >"$tmp/i8/summary.json"
	expect_rc 2 "$CROWD" plot "$tmp/i8" --out "$tmp/i8-plot"
	expect_rc 2 "$CROWD" compare "$tmp/i8" "$tmp/i8"
}

for item in ${FAULTS_ITEMS:-item1 item2 item3 item4 item5 item8}; do
	"$item"
done
echo "it_faults: ok"
