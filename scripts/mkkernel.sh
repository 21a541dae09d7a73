#!/bin/sh
# Build crowd's minimal guest kernel from Debian's linux-source package: `make tinyconfig`,
# then vm/kernel/crowd-guest.config merged on top, then vmlinux (an ELF QEMU microvm boots
# through PVH). Also the initramfs that goes with it (no modules, no busybox).
#   OUT/minimal/vmlinux, OUT/minimal/initramfs.cpio.gz, OUT/minimal/kernel-version
# Cached: OUT/kernel-<key>/vmlinux, key = hash of the fragment, the build recipe and the source
# package's version, so an unchanged config is not rebuilt. The source is unpacked once to
# OUT/linux-source-<version>, objects go to OUT/kobj (kept, so a config change rebuilds
# incrementally).
# usage: scripts/mkkernel.sh [OUT]   (default build/vm)
#   LINUX_TARBALL=/usr/src/linux-source-6.1.tar.xz   the source (default: newest in /usr/src)
#   JOBS=N                                           make -j (default: nproc)
set -eu

out=${1:-build/vm}
case "${1:-}" in -h | --help) sed -n '2,13p' "$0"; exit 0 ;; esac
here=$(cd "$(dirname "$0")/.." && pwd)
frag=$here/vm/kernel/crowd-guest.config

die() { echo "mkkernel: $*" >&2; exit 1; }

tarball=${LINUX_TARBALL:-$(find /usr/src -maxdepth 1 -name 'linux-source-*.tar.xz' 2>/dev/null |
	sort -V | tail -1)}
if [ -z "$tarball" ] || [ ! -r "$tarball" ]; then
	die "no /usr/src/linux-source-*.tar.xz (apt-get install linux-source-6.1)"
fi
for t in flex bison bc gcc make; do
	command -v "$t" >/dev/null || die "$t missing (scripts/deps.sh installs it)"
done
[ -r "$frag" ] || die "$frag missing"
ver=$(basename "$tarball" .tar.xz)
ver=${ver#linux-source-}
pkgver=$(dpkg-query -W -f='${Version}' "linux-source-$ver" 2>/dev/null || true)
[ -n "$pkgver" ] || pkgver=$(stat -c '%s-%Y' "$tarball")
# Bump recipe when the way the kernel is built changes (not for edits that build the same).
recipe="tinyconfig+merge_config+olddefconfig vmlinux x86_64 v1"
key=$( (cat "$frag"; echo "$recipe $ver $pkgver") | sha256sum | cut -c1-16)

mkdir -p "$out/minimal"
out=$(cd "$out" && pwd)
cache=$out/kernel-$key
if [ ! -s "$cache/vmlinux" ]; then
	src=$out/linux-source-$ver # the tarball's top directory
	if [ ! -f "$src/Makefile" ]; then
		echo "mkkernel: unpacking $tarball"
		rm -rf "$src"
		tar -xJf "$tarball" -C "$out" || die "unpacking $tarball failed"
		[ -f "$src/Makefile" ] || die "$tarball has no linux-source-$ver/Makefile"
	fi
	obj=$out/kobj
	log=$out/kernel-build.log
	mkdir -p "$obj"
	jobs=${JOBS:-$(nproc)}
	echo "mkkernel: building linux $ver ($pkgver) with vm/kernel/crowd-guest.config, -j$jobs" \
		"(log: $log)"
	t0=$(date +%s)
	k() { make -C "$src" O="$obj" ARCH=x86_64 "$@"; }
	if ! {
		k tinyconfig &&
			"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" &&
			k olddefconfig &&
			k -j"$jobs" vmlinux
	} >"$log" 2>&1; then
		echo "mkkernel: kernel build failed; the end of $log:" >&2
		tail -n 30 "$log" >&2
		exit 1
	fi
	# Every option the fragment sets must have survived olddefconfig (a missing dependency
	# drops it silently).
	lost=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | while read -r l; do
		grep -qxF "$l" "$obj/.config" || printf ' %s' "$l"
	done)
	[ -z "$lost" ] || die "options of $frag not in the built config:$lost"
	mkdir -p "$cache.tmp"
	cp "$obj/vmlinux" "$cache.tmp/vmlinux"
	cp "$obj/.config" "$cache.tmp/config"
	rm -rf "$cache"
	mv "$cache.tmp" "$cache"
	echo "mkkernel: built in $(($(date +%s) - t0)) s"
fi

# The images crowd boots, replaced only when they changed.
if ! cmp -s "$cache/vmlinux" "$out/minimal/vmlinux"; then
	cp "$cache/vmlinux" "$out/minimal/vmlinux.tmp"
	mv "$out/minimal/vmlinux.tmp" "$out/minimal/vmlinux"
fi
cp "$cache/config" "$out/minimal/config"
echo "crowd-minimal $ver ($pkgver) $key" >"$out/minimal/kernel-version"
KERNEL=none BUSYBOX=0 "$here/scripts/mkvm.sh" "$out/minimal" >/dev/null
echo "mkkernel: $out/minimal/vmlinux (linux $ver, config $key), $out/minimal/initramfs.cpio.gz"
