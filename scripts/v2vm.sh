#!/bin/bash
# The cgroup v2 test VM (docs/cgroups.md "Tested on a real cgroup2 kernel"): boots the Debian
# kernel (linux-image-amd64, never another one) under QEMU with cgroup_no_v1=all and an
# initramfs holding build/crowd, crowd-topo and its libraries, the workloads, the rootfs and
# tests/vm/; the guest runs tests/vm/guest.sh in one boot and prints one line per test on the
# serial console ("CROWD-V2 pass|fail|skip NAME[: why]") and its own closing line
# ("CROWD-V2-END N passed, N failed, N skipped").
#   scripts/v2vm.sh build [OUT]   OUT/vmlinux and OUT/initramfs.cpio.gz (default build/v2vm)
#   scripts/v2vm.sh run [OUT]     build, boot, console on stdout; exit 0 when the guest's
#                                 closing line came and counts no failure
# Environment: V2VM_KERNEL (default: the newest /boot/vmlinuz-*-amd64), V2VM_ACCEL
# (kvm|tcg|auto, default auto: a KVM boot that prints no guest line in V2VM_KVM_TRIAL
# seconds (10) is dropped for TCG), V2VM_TIMEOUT (seconds for the whole run, default 500),
# V2VM_ONLY (space-separated test names to run, default all), V2VM_SMP (2), V2VM_MEM (768M).
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-run}
out=${2:-build/v2vm}
die() { echo "v2vm: $*" >&2; exit 1; }
case $cmd in -h | --help) sed -n '2,15p' "$0"; exit 0 ;; build | run) ;; *) die "usage: $0 build|run [OUT]" ;; esac

kernel=${V2VM_KERNEL:-$(find /boot -maxdepth 1 -name 'vmlinuz-*-amd64' 2>/dev/null | sort -V | tail -1)}
if [ -z "$kernel" ] || [ ! -r "$kernel" ]; then
	die "no readable Debian kernel /boot/vmlinuz-*-amd64 (apt-get install linux-image-amd64)"
fi
kver=${kernel##*/vmlinuz-}
for f in build/crowd build/crowd-topo build/rootfs/.stamp; do
	[ -e "$f" ] || die "$f missing: run make first"
done
command -v cpio >/dev/null || die "cpio missing (apt-get install cpio)"
[ -x /bin/busybox ] || die "/bin/busybox missing (apt-get install busybox-static)"
mkdir -p "$out"

# --- the kernel: the ELF vmlinux inside the bzImage (QEMU microvm boots it through PVH).
unpack() { # MAGIC TOOL...
	local magic=$1 off
	shift
	for off in $(LC_ALL=C grep -obUaP "$magic" "$kernel" | cut -d: -f1 | head -5); do
		tail -c +$((off + 1)) "$kernel" | "$@" >"$out/vmlinux.tmp" 2>/dev/null || true
		if [ "$(head -c 4 "$out/vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
			mv "$out/vmlinux.tmp" "$out/vmlinux"
			return 0
		fi
	done
	return 1
}
if [ ! -s "$out/vmlinux" ] || [ "$(cat "$out/kernel-version" 2>/dev/null)" != "$kver" ]; then
	unpack '\xfd\x37\x7a\x58\x5a\x00' xz -dc || unpack '\x28\xb5\x2f\xfd' zstd -dc ||
		unpack '\x1f\x8b\x08' gzip -dc || die "$kernel: no payload unpacks to an ELF vmlinux"
	echo "$kver" >"$out/kernel-version"
fi
rm -f "$out/vmlinux.tmp"

# --- the initramfs, rebuilt when any input is newer.
inputs=(build/crowd build/crowd-topo build/rootfs/.stamp tests/vm/init.sh tests/vm/guest.sh "$0")
stale=1
if [ -s "$out/initramfs.cpio.gz" ]; then
	stale=0
	for f in "${inputs[@]}"; do [ "$f" -nt "$out/initramfs.cpio.gz" ] && stale=1; done
fi
if [ $stale = 1 ]; then
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/crowd-v2vm.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	r=$tmp/root
	mkdir -p "$r"/{bin,dev,proc,sys,tmp,etc,newroot,crowd/build,crowd/tests/vm}
	cp /bin/busybox "$r/bin/"
	ln -s busybox "$r/bin/sh"
	install -m 755 tests/vm/init.sh "$r/init"
	cp tests/vm/guest.sh "$r/crowd/tests/vm/"
	cp build/crowd build/crowd-topo "$r/crowd/build/"
	cp -a build/rootfs "$r/crowd/build/"
	# util-linux setpriv (busybox's cannot change uids) for the rootless tests.
	command -v setpriv >/dev/null || die "setpriv missing (apt-get install util-linux)"
	mkdir -p "$r/usr/bin"
	cp "$(command -v setpriv)" "$r/usr/bin/setpriv"
	# crowd-topo's and setpriv's shared libraries, at their own paths.
	for lib in $(ldd build/crowd-topo "$(command -v setpriv)" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^\// && $i !~ /:$/) print $i}' | sort -u); do
		mkdir -p "$r$(dirname "$lib")"
		cp -L "$lib" "$r$lib"
	done
	printf 'root:x:0:0:root:/:/bin/sh\ncrowd:x:1000:1000:crowd:/tmp:/bin/sh\n' >"$r/etc/passwd"
	printf 'root:x:0:\ncrowd:x:1000:\n' >"$r/etc/group"
	(cd "$r" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) |
		gzip -1 -n >"$tmp/initramfs.cpio.gz"
	mv "$tmp/initramfs.cpio.gz" "$out/initramfs.cpio.gz"
fi
[ "$cmd" = build ] && { echo "v2vm: $out/vmlinux ($kver), $out/initramfs.cpio.gz"; exit 0; }

# --- boot
qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
only=${V2VM_ONLY:-all}
append="console=ttyS0 panic=-1 quiet cgroup_no_v1=all crowd.only=${only// /,}"
# Under TCG the guest's TSC calibration against an emulated PIT stalls on a busy host: give
# it the host's constant TSC rate (as harness/backends/backend_vm.c does).
tsc=""
if grep -qw constant_tsc /proc/cpuinfo; then
	mhz=$(awk -F: '/^cpu MHz/ {print $2; exit}' /proc/cpuinfo)
	khz=$(awk -v m="$mhz" 'BEGIN {printf "%d", m * 1000 + 0.5}')
	[ "$khz" -gt 100000 ] && tsc="tsc_early_khz=$khz lpj=$((khz * 1000 / 250))"
fi
boot() { # ACCEL SECONDS LOG
	local cpu=max a=$append
	[ "$1" = kvm ] && cpu=host
	[ "$1" = tcg ] && a="$a $tsc"
	exec timeout -k 5 "$2" "$qemu" -M microvm -accel "$1" -cpu "$cpu" -smp "${V2VM_SMP:-2}" \
		-m "${V2VM_MEM:-768M}" -nodefaults -no-user-config -display none -no-reboot \
		-serial stdio -kernel "$out/vmlinux" -initrd "$out/initramfs.cpio.gz" -append "$a" \
		</dev/null >"$3" 2>&1
}
accel=${V2VM_ACCEL:-auto}
limit=${V2VM_TIMEOUT:-500}
log=$out/console.log
start=$(date +%s)
if [ "$accel" = auto ]; then
	accel=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		# A trial: the whole run under KVM, dropped if the guest prints nothing in time.
		(boot kvm "$limit" "$log") &
		pid=$!
		trial=${V2VM_KVM_TRIAL:-10}
		for _ in $(seq $((trial * 5))); do
			grep -q '^CROWD-V2' "$log" 2>/dev/null && break
			grep -q 'KVM internal error' "$log" 2>/dev/null && break
			kill -0 $pid 2>/dev/null || break
			sleep 0.2
		done
		if grep -q '^CROWD-V2' "$log" 2>/dev/null; then
			accel=kvm
			wait $pid || true
		else
			kill $pid 2>/dev/null || true
			wait $pid 2>/dev/null || true
			echo "v2vm: a KVM trial boot failed ($(grep -a -m1 -i error "$log" || echo "no guest line in ${trial}s")): TCG" >&2
		fi
	fi
	[ $accel = tcg ] && { (boot tcg "$limit" "$log") || true; }
else
	(boot "$accel" "$limit" "$log") || true
fi
tr -d '\r' <"$log"
secs=$(($(date +%s) - start))
end=$(tr -d '\r' <"$log" | grep '^CROWD-V2-END ' | tail -1 || true)
if [ -z "$end" ]; then
	echo "v2vm: no closing line from the guest after ${secs}s ($accel; timeout ${limit}s); console tail above" >&2
	exit 1
fi
echo "v2vm: $accel, ${secs}s, guest: ${end#CROWD-V2-END }"
case $end in *" 0 failed"*) exit 0 ;; *) exit 1 ;; esac
