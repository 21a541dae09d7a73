#!/bin/sh
# Build crowd's microVM images:
#   OUT/vmlinux           the Debian kernel (linux-image-amd64), unpacked from its bzImage to the
#                         ELF inside, so QEMU boots it directly through PVH (no decompression)
#   OUT/initramfs.cpio.gz vminit as /init, the static workloads in /bin, busybox, and the
#                         virtio modules the microvm machine needs (virtio_mmio, virtio_net)
# usage: scripts/mkvm.sh [OUT]   (default build/vm)
#   KERNEL=/boot/vmlinuz-X  the kernel to use (default: the newest /boot/vmlinuz-*)
#   KERNEL=none             only the initramfs, without modules (scripts/mkkernel.sh: the
#                           minimal kernel has its drivers built in)
#   WORKLOADS=DIR           the static workloads (default build/workloads)
#   BUSYBOX=0               leave busybox out (a smaller initramfs unpacks faster)
set -eu

out=${1:-build/vm}
wl=${WORKLOADS:-build/workloads}
case "${1:-}" in -h | --help) sed -n '2,12p' "$0"; exit 0 ;; esac

die() { echo "mkvm: $*" >&2; exit 1; }

kernel=${KERNEL:-$(find /boot -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | sort -V | tail -1)}
if [ "$kernel" = none ]; then
	kver="" moddir=""
elif [ -z "$kernel" ] || [ ! -r "$kernel" ]; then
	die "no kernel in /boot (apt-get install linux-image-amd64)"
else
	kver=${kernel##*/vmlinuz-}
	moddir=/lib/modules/$kver
fi
[ -x "$wl/vminit" ] || die "$wl/vminit missing: run make first"
command -v cpio >/dev/null || die "cpio missing (apt-get install cpio)"
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/crowd-mkvm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# --- vmlinux: find the compressed payload inside the bzImage by its magic, unpack it, and keep
# the first candidate that unpacks to an ELF file.
unpack() { # MAGIC (grep -P bytes) TOOL...
	magic=$1; shift
	for off in $(LC_ALL=C grep -obUaP "$magic" "$kernel" | cut -d: -f1 | head -5); do
		tail -c +$((off + 1)) "$kernel" | "$@" >"$tmp/vmlinux" 2>/dev/null || true
		if [ "$(head -c 4 "$tmp/vmlinux" | od -An -tx1 | tr -d ' ')" = "7f454c46" ]; then
			return 0
		fi
	done
	return 1
}
if [ -n "$kver" ] && { [ ! -s "$out/vmlinux" ] || [ -n "$(find "$kernel" -newer "$out/vmlinux")" ]; }; then
	unpack "\\xfd\\x37\\x7a\\x58\\x5a\\x00" xz -dc ||
		unpack "\\x1f\\x8b\\x08" gzip -dc ||
		unpack "\\x28\\xb5\\x2f\\xfd" zstd -dc ||
		die "$kernel: found no xz, gzip or zstd payload that unpacks to an ELF vmlinux"
	mv "$tmp/vmlinux" "$out/vmlinux"
fi

# --- initramfs
r=$tmp/root
mkdir -p "$r/bin" "$r/dev" "$r/proc" "$r/sys" "$r/tmp" "$r/lib/modules" "$r/etc"
cp "$wl/vminit" "$r/init"
for w in "$wl"/*; do
	[ -x "$w" ] && [ "${w##*/}" != vminit ] && cp "$w" "$r/bin/"
done
if [ "${BUSYBOX:-1}" != 0 ] && [ -x /bin/busybox ]; then
	cp /bin/busybox "$r/bin/busybox"
	for a in sh ls cat ip ps mount sleep; do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
fi
for m in kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko \
	kernel/drivers/virtio/virtio_mmio.ko kernel/net/core/failover.ko \
	kernel/drivers/net/net_failover.ko kernel/drivers/net/virtio_net.ko; do
	[ -n "$moddir" ] || break
	f=$moddir/$m
	for c in "$f" "$f.xz" "$f.zst"; do
		[ -f "$c" ] || continue
		case "$c" in
		*.xz) xz -dc "$c" >"$r/lib/modules/$(basename "$m")" ;;
		*.zst) zstd -dcq "$c" >"$r/lib/modules/$(basename "$m")" ;;
		*) cp "$c" "$r/lib/modules/" ;;
		esac
		break
	done
done
echo "root:x:0:0:root:/:/bin/sh" >"$r/etc/passwd"
(cd "$r" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) |
	gzip -6 -n >"$tmp/initramfs.cpio.gz"
mv "$tmp/initramfs.cpio.gz" "$out/initramfs.cpio.gz"
if [ -n "$kver" ]; then
	echo "$kver" >"$out/kernel-version"
	echo "mkvm: $out/vmlinux ($kver), $out/initramfs.cpio.gz"
else
	echo "mkvm: $out/initramfs.cpio.gz"
fi
