#!/bin/bash
# cgroup v2 on a real kernel: scripts/v2vm.sh boots the Debian kernel with cgroup_no_v1=all
# (only cgroup2 mounted, controllers enabled in the subtree) and runs tests/vm/guest.sh in
# one boot. Each guest test is one case here (part_result, "it_cgroup_v2_vm/NAME"); a guest
# test that never reported, a boot that never reached the guest, or a missing closing line
# fails with the console tail. Hard timeout: V2VM_TIMEOUT (500 s, under the runner's 600 s per script) for the boot.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || skip "no Debian kernel in /boot (apt-get install linux-image-amd64)"
[ -x /bin/busybox ] || skip "/bin/busybox missing (apt-get install busybox-static)"

root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/v2vm
con=$(mktemp)
trap 'rm -f "$con"' EXIT
"$root/scripts/v2vm.sh" run "$out" >"$con" 2>&1
rc=$?
grep -v '^\[' "$con" | grep -v '^  | ' | tail -40
# The tests the guest should have run, from its source: one that never reported failed.
want=$(sed -n 's/^t_\([a-z0-9_]*\)() *{.*/\1/p' "$root/tests/vm/guest.sh")
for t in $want; do
	line=$(grep -a -m1 -E "^CROWD-V2 (pass|fail|skip) $t( |:|$)" "$con" | tr -d '\r')
	case $line in
	"CROWD-V2 pass $t"*) part_result pass "$t" ;;
	"CROWD-V2 skip $t"*) part_result skip "$t" "${line#*: }" ;;
	"CROWD-V2 fail $t"*)
		grep -a -B25 -F "$line" "$con" | grep -a '^  | ' | sed 's/^  | /    /'
		part_result fail "$t" "${line#*: }" ;;
	*) part_result fail "$t" "no result: the guest stopped before it" ;;
	esac
done
end=$(grep -a '^CROWD-V2-END ' "$con" | tr -d '\r' | tail -1)
if [ -z "$end" ]; then
	echo "console tail:"
	tail -30 "$con"
	fail "the guest never printed its closing line (v2vm exit $rc)"
fi
n=$(wc -w <<<"$want")
total=$(awk '{print $1 + $3 + $5}' <<<"${end#CROWD-V2-END }")
[ "$total" = "$n" ] || fail "the guest counted $total tests, tests/vm/guest.sh has $n"
[ $rc = 0 ] || fail "guest: ${end#CROWD-V2-END } (v2vm exit $rc)"
echo "guest: ${end#CROWD-V2-END }; $(grep -a '^v2vm: ' "$con" | tail -1)"
