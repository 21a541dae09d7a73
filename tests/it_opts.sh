#!/bin/bash
# The options bench and density share (bench/opts.c): every bad value exits 2 before anything
# runs, with one line naming the option and what is allowed, and creates nothing.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -d "$ROOTFS" ] || skip "build/rootfs missing: run make"
T=$(mktemp -d /tmp/crowd-it-opts.XXXXXX)
trap 'rm -rf "$T"' EXIT

# "option|args...": the option the message must name, then the arguments.
cases=(
	"--backend|--backend bogus"
	"--backend|--backend core,core"
	"--workload|--workload bogus"
	"--workload|--workload cmd:relative"
	"--workload|--workload cmd:/no/such/program"
	"--count|-n 0"
	"--count|-n 12x"
	"--concurrency|-j 0"
	"--duration|--duration 0"
	"--placement|--placement diagonal"
	"--connections|--connections 0"
	"--pod-size|--pod-size 0"
	"--memory-max|--memory-max 1X"
	"--cpu-max|--cpu-max 0/100000"
	"--cpuset|--cpuset 4095"
	"--cpuset|--cpuset 0,"
	"--caps|--caps some"
	"--ns|--ns pid,bogus"
	"--rootfs|--rootfs $T/none"
	"--out|--out /etc/passwd/sub"
	"--out|--out /etc/passwd"
	"--vm-accel|--vm-accel hvf"
)
for cmd in bench density; do
	for c in "${cases[@]}"; do
		opt=${c%%|*}
		read -r -a args <<<"${c#*|}"
		[ "$cmd" = density ] && [ "$opt" = --backend ] && [ "${args[1]}" = core,core ] && continue
		[ "$opt" = --out ] || args+=(--out "$T/made")
		expect_rc 2 "$CROWD" "$cmd" "${args[@]}"
		[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "$cmd ${args[*]}: not one line: $ERR"
		case $ERR in *"$opt"*) ;; *) fail "$cmd ${args[*]}: message does not name $opt: $ERR" ;; esac
		[ ! -e "$T/made" ] || fail "$cmd ${args[*]}: created $T/made"
	done
done
left=$(find /sys/fs/cgroup -maxdepth 2 -name "$CROWD_CGROUP_TOP" | head -3)
[ -z "$left" ] || fail "cgroups made on bad input: $left"
echo ok
