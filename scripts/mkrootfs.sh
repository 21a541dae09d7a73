#!/bin/sh
# Build crowd's default container rootfs: busybox (Debian's busybox-static) with every applet
# linked in /bin, the workloads in /bin (they win over same-named applets such as httpd), a
# minimal /etc and empty mount points. Deterministic: nothing copied from the host's /etc,
# fixed modes and timestamps. Idempotent and fast: files are replaced (by rename, so a
# running workload binary is never written to) only when their content changed, and entries
# this script did not make are removed.
#
# usage: scripts/mkrootfs.sh DIR [WORKLOAD_BINARY...]
#   BUSYBOX=/path/to/static/busybox  (default: /bin/busybox from busybox-static)
#   SOURCE_DATE_EPOCH=N              timestamp given to every entry (default 0)
set -eu

usage() { echo "usage: $0 DIR [WORKLOAD_BINARY...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in -h | --help) echo "usage: $0 DIR [WORKLOAD_BINARY...]"; exit 0 ;; esac
root=$1
shift
busybox=${BUSYBOX:-/bin/busybox}
epoch=${SOURCE_DATE_EPOCH:-0}

[ -x "$busybox" ] || { echo "mkrootfs: $busybox: not found (apt-get install busybox-static)" >&2; exit 1; }
# A dynamic busybox would need the host's libc inside the rootfs.
if LC_ALL=C readelf -l "$busybox" 2>/dev/null | grep -q 'Requesting program interpreter'; then
	echo "mkrootfs: $busybox is dynamically linked; need busybox-static" >&2
	exit 1
fi
wls=""
for w in "$@"; do
	if [ ! -f "$w" ] || [ ! -x "$w" ]; then
		echo "mkrootfs: workload '$w': not an executable file" >&2
		exit 2
	fi
	case "$w" in /*) ;; *) w="$PWD/$w" ;; esac
	case "$w" in *[[:space:]]*) echo "mkrootfs: workload '$w': no spaces in paths, please" >&2; exit 2 ;; esac
	wls="$wls $w"
done
case "$busybox" in /*) ;; *) busybox="$PWD/$busybox" ;; esac

mkdir -p "$root"
cd "$root"

# put SRC DEST MODE: install SRC's content at DEST unless identical; atomic by rename.
put() {
	if [ -f "$2" ] && [ ! -L "$2" ] && cmp -s "$1" "$2"; then
		chmod "$3" "$2"
		return
	fi
	cp "$1" "$2.mkrootfs.$$"
	chmod "$3" "$2.mkrootfs.$$"
	mv -f "$2.mkrootfs.$$" "$2"
}
# text DEST MODE: like put, with the content on stdin.
text() {
	cat >"$1.mkrootfs.txt.$$"
	put "$1.mkrootfs.txt.$$" "$1" "$2"
	rm -f "$1.mkrootfs.txt.$$"
}

# usr and var: systemd-nspawn refuses a tree without /usr and makes /var itself otherwise.
for d in bin dev etc proc root run sys tmp usr var; do
	[ -d "$d" ] || mkdir "$d"
	chmod 755 "$d"
done
chmod 1777 tmp
# run/crowd: where engines bind the readiness FIFO's folder (CROWD_READY_PATH); made here so
# that no engine creates it in the shared tree at run time (nspawn would).
[ -d run/crowd ] || mkdir run/crowd
chmod 755 run/crowd
chmod 700 root

put "$busybox" bin/busybox 755

# Workload names (basenames) take precedence over busybox applets.
wl_names=" "
for w in $wls; do
	wl_names="$wl_names$(basename "$w") "
done

keep=" busybox$wl_names"
for a in $("$busybox" --list); do
	case "$wl_names busybox " in *" $a "*) continue ;; esac
	keep="$keep$a "
	[ "$(readlink "bin/$a" 2>/dev/null || true)" = busybox ] && continue
	rm -rf "bin/$a"
	ln -s busybox "bin/$a"
done
for w in $wls; do
	n=$(basename "$w")
	[ -L "bin/$n" ] && rm -f "bin/$n"
	put "$w" "bin/$n" 755
done
# Drop whatever an older run (or anyone) left in bin/ that is neither applet nor workload.
for f in bin/* bin/.[!.]*; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	case "$keep" in *" ${f#bin/} "*) ;; *) rm -rf "$f" ;; esac
done

text etc/passwd 644 <<'END'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
END
text etc/group 644 <<'END'
root:x:0:
nogroup:x:65534:
END
text etc/hostname 644 <<'END'
crowd
END
text etc/hosts 644 <<'END'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
END
# Anything else in etc/ is not ours.
for f in etc/* etc/.[!.]*; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	case "$f" in etc/passwd | etc/group | etc/hostname | etc/hosts) ;; *) rm -rf "$f" ;; esac
done

# Fixed timestamps, so two builds of the same inputs are byte-identical as an archive.
find . -path ./.stamp -prune -o -exec touch -h -d "@$epoch" {} + 2>/dev/null || true
