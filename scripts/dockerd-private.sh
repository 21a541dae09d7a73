#!/bin/sh
# A private dockerd for tests and benchmark scripts: its own data root, exec root, pid file and
# unix socket under DIR, no iptables rules and no bridge (crowd runs containers with network
# "none"). crowd never starts a daemon itself; it finds this one through DOCKER_HOST.
#   dockerd-private.sh start DIR   start it (waits until it answers), prints DOCKER_HOST=...
#   dockerd-private.sh stop DIR    stop it (and its containerd), remove DIR's state
#   dockerd-private.sh host DIR    print the DOCKER_HOST value for DIR
# DIR must be short (unix socket paths are limited to 107 bytes) and is made when missing.
set -eu

usage() {
	echo "usage: $0 start|stop|host DIR" >&2
	exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case "$dir" in
/*) ;;
*) dir=$(pwd)/$dir ;;
esac
sock=$dir/docker.sock
pidfile=$dir/dockerd.pid
# The containers' cgroups go under this parent (in every hierarchy), removed on stop.
cgparent=crowd-dockerd-$(basename "$dir")

case "$cmd" in
host)
	echo "unix://$sock"
	;;
start)
	command -v dockerd >/dev/null || {
		echo "$0: dockerd not found (apt-get install docker.io)" >&2
		exit 1
	}
	mkdir -p "$dir/data" "$dir/exec"
	if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		echo "DOCKER_HOST=unix://$sock"
		exit 0
	fi
	# setsid: the daemon outlives the calling shell's job control; stop kills it by pid.
	setsid dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$pidfile" \
		-H "unix://$sock" --iptables=false --ip6tables=false --bridge=none \
		--ip-masq=false --storage-driver=overlay2 --log-level=warn \
		--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/$cgparent" \
		--containerd-namespace "crowd-$(basename "$dir")" \
		--containerd-plugins-namespace "crowd-$(basename "$dir")-plugins" \
		>"$dir/dockerd.log" 2>&1 </dev/null &
	i=0
	while ! curl -fsS --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 300 ]; then
			echo "$0: dockerd did not answer within 30 s; tail of $dir/dockerd.log:" >&2
			tail -n 5 "$dir/dockerd.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "DOCKER_HOST=unix://$sock"
	;;
stop)
	[ -d "$dir" ] || exit 0
	if [ -f "$pidfile" ]; then
		pid=$(cat "$pidfile")
		# Its own containerd (a child) stops with it; wait for both.
		kids=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)
		kill -TERM "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null; do
			i=$((i + 1))
			if [ $i -gt 200 ]; then kill -KILL "$pid" 2>/dev/null || true; fi
			[ $i -gt 250 ] && break
			sleep 0.1
		done
		for k in $kids; do
			kill -KILL "$k" 2>/dev/null || true
		done
	fi
	# Mounts dockerd left under the data root (overlay layers, netns files).
	awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	for cg in /sys/fs/cgroup/*/"$cgparent" /sys/fs/cgroup/"$cgparent"; do
		if [ -d "$cg" ]; then rmdir "$cg" 2>/dev/null || true; fi
	done
	rm -rf "$dir/data" "$dir/exec" "$sock" "$pidfile" "$dir/dockerd.log" "$dir/containerd"
	rmdir "$dir" 2>/dev/null || true
	;;
*) usage ;;
esac
