#!/bin/sh
# Install what a fresh Debian 12 machine lacks to build, run and test crowd.
# Quiet when everything is present. Needs root (or sudo) only when something is missing.
set -eu

PKGS="build-essential pkg-config libcap-dev libhwloc-dev hwloc libjansson-dev libseccomp-dev check
libsubunit-dev musl-tools busybox-static gnuplot-nox crun runc bubblewrap iproute2
wrk nginx-light hyperfine qemu-system-x86 linux-image-amd64 cpio xz-utils procps psmisc
docker.io podman curl ansible openssh-server openssh-client prometheus yamllint kubectl
lxc runsc systemd-container
linux-source-6.1 bc flex bison libelf-dev libssl-dev"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# nginx-light's postinst starts nginx on port 80; crowd's benchmarks run their own.
# Lock timeout: another apt (a parallel job, an unattended upgrade) waits instead of failing.
$SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $missing >/dev/null
