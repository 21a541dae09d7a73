#!/usr/bin/env bash
# needs: root
# crowd's minimal guest kernel (make vm-minimal: scripts/mkkernel.sh, vm/kernel/crowd-guest.config):
# booted by the vm backend, its guest's httpd answers HTTP; the results say which
# kernel and accelerator ran; the Debian kernel stays selectable; a guest that cannot boot
# fails with its last console line; --vm-kernel minimal without the build says how to get it.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || skip "build/crowd missing: run make"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing (scripts/deps.sh)"
VMDIR=$TOP/build/vm
if [ ! -s "$VMDIR/minimal/vmlinux" ] || [ ! -s "$VMDIR/minimal/initramfs.cpio.gz" ]; then
	skip "build/vm/minimal missing: run make vm-minimal (make check builds it)"
fi

tmp=$(mktemp -d /tmp/crowd-it-vm-minimal.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The kernel is what the fragment asked for: PVH ELF, no modules, no ACPI.
head -c 4 "$VMDIR/minimal/vmlinux" | od -An -c | grep -q 'E   L   F' || fail "minimal/vmlinux is not an ELF"
cfg=$VMDIR/minimal/config
[ -f "$cfg" ] || fail "minimal/config missing"
grep -qx 'CONFIG_PVH=y' "$cfg" || fail "minimal kernel without PVH"
grep -qx 'CONFIG_VIRTIO_NET=y' "$cfg" || fail "minimal kernel without virtio-net"
grep -q '^CONFIG_MODULES=y' "$cfg" && fail "minimal kernel has modules"

# Boot, ready, HTTP load: the row ok, and the guest's httpd answered and served requests
# (one guest: several emulated guests on a loaded 2-CPU host starve each other, docs/vm.md).
out=$tmp/min
expect_rc 0 "$CROWD" bench -n 1 --backend vm --vm-kernel minimal --workload httpd \
	--duration 1s --quiet --out "$out"
csv=$out/samples.csv
[ "$(csv_col "$csv" status | sort -u)" = ok ] || fail "minimal: not every row ok: $(csv_col "$csv" error | sort -u)"
csv_col "$csv" t_first_response_ns | grep -qx '' && fail "minimal: the guest httpd never answered HTTP"
csv_col "$csv" rps | awk '$1 + 0 <= 0 { exit 1 }' || fail "minimal: the guest httpd served no requests"
grep -q '"guest_kernel": "minimal' "$out/host.json" || fail "host.json does not name the minimal kernel"
grep -Eq '"accel": "(kvm|tcg)"' "$out/host.json" || fail "host.json does not name the accelerator"
grep -Eq '"kernel": "minimal' "$out/summary.json" || fail "summary.json does not name the kernel"
grep -q 'acpi=off' "$out/host.json" || fail "minimal: machine not run without ACPI"
assert_nothing_left
echo "minimal: ok, spin-up $(csv_col "$csv" spinup_ns | sort -n | tr '\n' ' ')ns," \
	"$(grep -oE '"accel": "[a-z]+"' "$out/host.json" | head -1)"

# Default (auto) picks the minimal kernel once built.
expect_rc 0 "$CROWD" bench -n 1 --backend vm --workload idle --no-load --quiet --out "$tmp/auto"
grep -q '"guest_kernel": "minimal' "$tmp/auto/host.json" || fail "--vm-kernel auto did not pick minimal"

# The Debian kernel stays available.
if [ -s "$VMDIR/vmlinux" ] && [ -s "$VMDIR/initramfs.cpio.gz" ]; then
	expect_rc 0 "$CROWD" bench -n 1 --backend vm --vm-kernel debian --workload idle --no-load \
		--quiet --out "$tmp/deb"
	grep -q '"guest_kernel": "debian' "$tmp/deb/host.json" || fail "host.json does not name the debian kernel"
else
	skip_part debian "build/vm/vmlinux missing (make vm-debian)"
fi

# A guest that cannot boot (a kernel file that is no kernel) fails, and says what QEMU said.
mkdir -p "$tmp/bad/minimal"
head -c 4096 /dev/zero >"$tmp/bad/minimal/vmlinux"
cp "$VMDIR/minimal/initramfs.cpio.gz" "$tmp/bad/minimal/"
expect_rc 1 env CROWD_VM_DIR="$tmp/bad" "$CROWD" bench -n 1 --backend vm --vm-kernel minimal \
	--vm-accel tcg --workload idle --no-load --quiet --out "$tmp/badrun"
[ "$(csv_col "$tmp/badrun/samples.csv" status)" = failed ] || fail "a broken kernel did not fail the row"
csv_col "$tmp/badrun/samples.csv" error | grep -qi 'qemu' || fail "the failure does not say what QEMU said: $(csv_col "$tmp/badrun/samples.csv" error)"
assert_nothing_left

# Without the minimal build, --vm-kernel minimal says how to make it (and bad names exit 2):
# a copy of crowd with nothing installed next to it.
mkdir -p "$tmp/bare"
cp "$CROWD" "$tmp/bare/crowd"
expect_rc 1 env -C "$tmp/bare" CROWD_VM_DIR= ./crowd bench -n 1 --backend vm --vm-kernel minimal --rootfs "$ROOTFS" \
	--workload idle --no-load --quiet --out "$tmp/bare/out"
grep -q "make vm-minimal" <<<"$OUT$ERR" || fail "no hint to run make vm-minimal: $OUT$ERR"
expect_rc 2 "$CROWD" bench -n 1 --backend vm --vm-kernel tiny --quiet --out "$tmp/bad2"
[ ! -e "$tmp/bad2" ] || fail "bad --vm-kernel created a results folder"
exit 0
