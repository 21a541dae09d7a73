#!/bin/bash
# crowd audit: one probe container per backend, reports read from inside. Facts that must hold
# and differ between core and process (pid namespace, host processes, capabilities), the
# probe's seccomp and device findings present (not their values: the core's change), an
# unavailable backend listed with its reason, the text and Markdown tables, bad input (exit 2),
# no backend able to run (exit 1), and nothing left behind.
# needs: root
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -x "$ROOTFS/bin/probe" ] || skip "build/rootfs/bin/probe missing: run make"
command -v jq >/dev/null || skip "jq missing (apt-get install jq)"
trap '"$CROWD" clean >/dev/null 2>&1; rm -rf "${EMPTY:-}"' EXIT

# Nothing of the probes remains: no process running the probe in this test's cgroups or from
# this tree's rootfs, no scratch directory for device nodes, no cgroup or mount.
assert_clean() {
	assert_nothing_left
	local f p left=""
	left=$(find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$ROOTFS/bin/probe" 2>/dev/null)
	while read -r f; do
		p=${f#/proc/}; p=${p%/cgroup}
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = probe ] && left="$left $p"
	done < <(grep -l "/$CROWD_CGROUP_TOP/" /proc/[0-9]*/cgroup 2>/dev/null)
	[ -z "$left" ] || fail "probe processes left:$left"
	left=$(ls -d /dev/.crowd-probe-* /tmp/.crowd-probe-* /run/.crowd-probe-* 2>/dev/null || true)
	[ -z "$left" ] || fail "device scratch directories left: $left"
}

# Bad input: exit 2 and a message naming what was wrong.
expect_rc 2 "$CROWD" audit --backend nope
[[ "$ERR" == *"--backend 'nope'"*"allowed:"* ]] || fail "bad --backend message: $ERR"
expect_rc 2 "$CROWD" audit --backend core,core
expect_rc 2 "$CROWD" audit --json --markdown
expect_rc 2 "$CROWD" audit extra
expect_rc 0 "$CROWD" audit --help
[[ "$OUT" == *"--backend LIST"* && "$OUT" == *"--markdown"* ]] || fail "audit --help: $OUT"
expect_rc 0 "$CROWD" --help
[[ "$OUT" == *"audit "* ]] || fail "crowd --help does not list audit"

# No backend can run (no probe in this rootfs): exit 1, the reasons named.
EMPTY=$(mktemp -d /tmp/crowd-it-audit.XXXXXX)
expect_rc 1 "$CROWD" audit --backend core,process --rootfs "$EMPTY"
[[ "$ERR" == *"core: workload binary $EMPTY/bin/probe"* ]] || fail "no-backend message: $ERR"
assert_clean

# core and process, and vm asked for with KVM: it runs only where /dev/kvm opens and the VM
# images are built; elsewhere it must be listed as unavailable with its reason.
expect_rc 0 "$CROWD" audit --backend core,process,vm --vm-accel kvm --json
J=$OUT
cell() { jq -r --arg b "$1" --arg k "$2" '.backends[] | select(.name == $b) | .cells[$k]' <<<"$J"; }
rep() { jq -r --arg b "$1" ".backends[] | select(.name == \$b) | .report$2" <<<"$J"; }
for b in core process; do
	[ "$(jq -r --arg b $b '.backends[] | select(.name == $b) | .ran' <<<"$J")" = true ] ||
		fail "$b did not run: $(jq -c --arg b $b '.backends[] | select(.name == $b)' <<<"$J")"
done
vm_ran=$(jq -r '.backends[] | select(.name == "vm") | .ran' <<<"$J")
vm_reason=$(jq -r '.backends[] | select(.name == "vm") | .reason // ""' <<<"$J")
if [ "$vm_ran" = true ]; then
	skip_part unavailable-listed "vm ran with KVM here: no backend was left to list as unavailable"
else
	[ -n "$vm_reason" ] || fail "vm neither ran nor says why"
	if [ ! -w /dev/kvm ]; then
		[ "$(jq -r '.backends[] | select(.name == "vm") | .available' <<<"$J")" = false ] ||
			fail "vm available with --vm-accel kvm and no /dev/kvm"
	fi
fi

# process: the host's pid namespace, its pid 1 and many processes; core: its own, the probe is
# pid 1 and alone.
host_pidns=$(stat -L -c %i /proc/self/ns/pid)
[ "$(cell process ns.pid)" = HOST ] || fail "process pid namespace: $(cell process ns.pid)"
[ "$(rep process .ns.pid)" = "$host_pidns" ] || fail "process pid ns $(rep process .ns.pid)"
[ "$(rep process .pid1)" = "$(cat /proc/1/comm)" ] || fail "process sees pid 1 '$(rep process .pid1)'"
[ "$(rep process .procs)" -gt 3 ] || fail "process sees $(rep process .procs) processes"
[ "$(cell core ns.pid)" = own ] || fail "core pid namespace: $(cell core ns.pid)"
[ "$(rep core .ns.pid)" != "$host_pidns" ] || fail "core in the host's pid namespace"
[ "$(rep core .pid)" = 1 ] || fail "core: the probe is pid $(rep core .pid), not 1"
[ "$(rep core .pid1)" = probe ] || fail "core: pid 1 is '$(rep core .pid1)'"
[ "$(rep core .procs)" -lt "$(rep process .procs)" ] || fail "core sees as many processes as the host"
{ [ "$(cell core kernel)" = HOST ] && [ "$(cell process kernel)" = HOST ]; } || fail "kernel cells"

# Capabilities: core drops to its default profile (no CAP_SYS_ADMIN); process keeps crowd's.
host_eff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
[ "$(rep process .caps.eff)" = "$host_eff" ] || fail "process CapEff $(rep process .caps.eff) != $host_eff"
[ "$(rep core .caps.eff)" != "$host_eff" ] || fail "core kept every capability: $host_eff"
[ "$(cell core cap_sys_admin)" = no ] || fail "core CAP_SYS_ADMIN: $(cell core cap_sys_admin)"
if (( (16#$host_eff >> 21) & 1 )); then
	[ "$(cell process cap_sys_admin)" = 'yes!' ] || fail "process CAP_SYS_ADMIN: $(cell process cap_sys_admin)"
fi
[ "$(cell core no_new_privs)" = on ] || fail "core no_new_privs: $(cell core no_new_privs)"

# Seccomp and devices: reported for both, whatever they are (the core's are changing).
for b in core process; do
	jq -e --arg b $b '.backends[] | select(.name == $b) | .report
		| (.seccomp | type == "number") and (.devices.char.mknod | type == "string")
		and (.devices.block.node | test("^b [0-9]+ [0-9]+$"))' <<<"$J" >/dev/null ||
		fail "$b: seccomp or device findings missing: $(rep $b '')"
	for k in seccomp device.char device.block syscall.bpf userns; do
		[ "$(cell $b $k)" != "?" ] || fail "$b $k: no answer"
	done
done
# Every row answered for both (lsm says "none" where no LSM answers).
n_q=$(jq '[.backends[] | select(.ran) | .cells[] | select(. == "?")] | length' <<<"$J")
[ "$n_q" = 0 ] || fail "$n_q cells without an answer"
assert_clean

# The text table: a header with the backends, rows with their cells, the unavailable listed.
expect_rc 0 "$CROWD" audit --backend process,core,vm --vm-accel kvm
head -1 <<<"$OUT" | grep -Eq '^ +process +core$' || fail "table header: $(head -1 <<<"$OUT")"
grep -Eq '^  pid namespace +HOST +own$' <<<"$OUT" || fail "pid namespace row: $OUT"
if [ "$vm_ran" != true ]; then
	grep -Eq "^(unavailable|failed) vm: .+" <<<"$OUT" || fail "vm not listed with its reason: $OUT"
fi
expect_rc 0 "$CROWD" audit --backend core --markdown
head -2 <<<"$OUT" | tr '\n' ' ' | grep -q '^| feature | core | |---|---| $' ||
	fail "markdown header: $(head -2 <<<"$OUT")"
assert_clean
echo "ok"
