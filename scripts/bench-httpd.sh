#!/usr/bin/env bash
# Requests/s of crowd's httpd against Debian's nginx-light (one worker, same body), side by
# side: wrk on loopback, rounds interleaved A B B A A B ... so drift hits both alike. Prints
# requests/s and the server's CPU time per request (utime+stime from /proc/PID/stat over the
# run divided by requests served: steadier than requests/s on a shared, busy host), the
# ratios of the medians, and each server's resident memory when idle (VmRSS).
#
# usage: scripts/bench-httpd.sh [--rounds N] [--duration S] [--connections C] [--threads T]
#                               [--no-pin]
# Defaults: 3 rounds, 5s per run, 50 connections, 1 wrk thread; servers pinned to the last
# CPU and wrk to the others when there are at least 2 (--no-pin: no pinning).
# Needs: build/workloads/httpd (make), wrk, nginx (nginx-light). Leaves nothing behind: own
# config, pid file and logs in a temporary folder; the system nginx service is not touched.
set -euo pipefail

rounds=3 duration=5 conns=50 threads=1 pin=1
die2() { echo "bench-httpd: $*" >&2; exit 2; }
isnum() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) isnum "${2:-}" 1 100 || die2 "--rounds '${2:-}': want 1..100"; rounds=$2; shift ;;
	--duration) isnum "${2%s}" 1 3600 2>/dev/null || die2 "--duration '${2:-}': want 1..3600 seconds"; duration=${2%s}; shift ;;
	--connections) isnum "${2:-}" 1 10000 || die2 "--connections '${2:-}': want 1..10000"; conns=$2; shift ;;
	--threads) isnum "${2:-}" 1 64 || die2 "--threads '${2:-}': want 1..64"; threads=$2; shift ;;
	--no-pin) pin=0 ;;
	-h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die2 "unknown argument '$1' (try --help)" ;;
	esac
	shift
done
[ "$conns" -ge "$threads" ] || die2 "--connections $conns: must be >= --threads $threads"

top=$(cd "$(dirname "$0")/.." && pwd)
httpd=$top/build/workloads/httpd
[ -x "$httpd" ] || { echo "bench-httpd: $httpd missing: run make" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench-httpd: wrk not installed (apt-get install wrk)" >&2; exit 1; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "bench-httpd: nginx not installed (apt-get install nginx-light)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/crowd-bench-httpd.XXXXXX")
httpd_pid="" nginx_pid=""
cleanup() {
	# No step may stop the cleanup under set -e (wait returns the killed server's status).
	if [ -n "$httpd_pid" ]; then
		kill "$httpd_pid" 2>/dev/null || true
		wait "$httpd_pid" 2>/dev/null || true
	fi
	if [ -n "$nginx_pid" ]; then
		kill -QUIT "$nginx_pid" 2>/dev/null || true
		wait "$nginx_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port: not listening now, from a range unlikely to be in use.
# Local ports of every TCP socket (any state): bind() would clash with any of them.
used_ports() { ss -Htan 2>/dev/null | awk '{n=split($4,a,":"); print a[n]}' | sort -u; }
listening() { ss -Htln 2>/dev/null | awk '{n=split($4,a,":"); print a[n]}' | grep -qx "$1"; }
pick_port() {
	local p
	for _ in $(seq 100); do
		p=$((10000 + RANDOM % 20000)) # below the ephemeral range
		used_ports | grep -qx "$p" || [ "$p" = "${1:-}" ] || { echo "$p"; return; }
	done
	echo "bench-httpd: no free port found" >&2
	exit 1
}
port_a=$(pick_port)
port_b=$(pick_port "$port_a")

ncpu=$(nproc)
srv_pin=() wrk_pin=()
if [ "$pin" = 1 ] && [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null; then
	srv_pin=(taskset -c $((ncpu - 1)))
	wrk_pin=(taskset -c 0-$((ncpu - 2)))
fi

body='Hello from crowd\n' # what httpd answers GET / with (workloads/httpd/http.h)
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 100000000;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	server {
		listen 127.0.0.1:$port_b;
		location = / { default_type text/plain; return 200 "$body"; }
	}
}
CONF

wait_port() {
	for _ in $(seq 100); do
		listening "$1" && return 0
		sleep 0.05
	done
	echo "bench-httpd: nothing listens on port $1; see $tmp" >&2
	return 1
}

"${srv_pin[@]}" "$httpd" --bind 127.0.0.1 --port "$port_a" </dev/null >"$tmp/httpd.log" 2>&1 &
httpd_pid=$!
"${srv_pin[@]}" "$nginx" -e "$tmp/error.log" -p "$tmp" -c "$tmp/nginx.conf" -g 'daemon off;' \
	</dev/null >"$tmp/nginx.log" 2>&1 &
nginx_pid=$!
wait_port "$port_a"
wait_port "$port_b"
sleep 0.2

# Both must serve the same bytes before anything is measured.
fetch() {
	exec 3<>"/dev/tcp/127.0.0.1/$1"
	printf 'GET / HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n' >&3
	sed -n '/^\r$/,$p' <&3 | tail -n +2
	exec 3<&-
}
a_body=$(fetch "$port_a") b_body=$(fetch "$port_b")
[ "$a_body" = "$b_body" ] || { echo "bench-httpd: bodies differ: '$a_body' vs '$b_body'" >&2; exit 1; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
nginx_worker=$(pgrep -P "$nginx_pid" | head -1)
httpd_idle_rss=$(rss_kb "$httpd_pid")
nginx_idle_rss=$(( $(rss_kb "$nginx_pid") + $(rss_kb "$nginx_worker") ))

hz=$(getconf CLK_TCK)
cpu_ticks() { # utime+stime of the given pids, in clock ticks
	local t=0 p
	for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
	echo "$t"
}
# run_wrk PORT NAME PID...: "REQUESTS/S CPU_US_PER_REQUEST" of the server (PIDs) on stdout;
# errors wrk saw (timeouts, non-2xx) appended to $tmp/wrk-errors, printed after the round.
run_wrk() {
	local port=$1 who=$2 t0 t1 out
	shift 2
	t0=$(cpu_ticks "$@")
	out=$("${wrk_pin[@]}" wrk -t"$threads" -c"$conns" -d"${duration}s" "http://127.0.0.1:$port/" 2>&1)
	t1=$(cpu_ticks "$@")
	awk -v errs="$tmp/wrk-errors" -v who="$who" -v ticks=$((t1 - t0)) -v hz="$hz" '
		/ requests in / {n = $1}
		/^Requests\/sec:/ {rps = $2}
		/Non-2xx|Socket errors/ {sub(/^ +/, ""); print "  (" who ": " $0 ")" >> errs}
		END {if (n > 0 && rps != "") printf "%s %.2f\n", rps, ticks * 1e6 / hz / n}' <<<"$out"
}

echo "wrk -t$threads -c$conns -d${duration}s, $rounds rounds (interleaved), body $((${#a_body} + 1)) bytes;" \
	"servers on CPU ${srv_pin[2]:-any}, wrk on CPU ${wrk_pin[2]:-any}; $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-6s %14s %14s %16s %16s\n' round crowd-req/s nginx-req/s crowd-cpu-us/req nginx-cpu-us/req
a_all=() b_all=() ac_all=() bc_all=()
for r in $(seq "$rounds"); do
	if [ $((r % 2)) = 1 ]; then
		a=$(run_wrk "$port_a" crowd "$httpd_pid"); b=$(run_wrk "$port_b" nginx "$nginx_pid" "$nginx_worker")
	else
		b=$(run_wrk "$port_b" nginx "$nginx_pid" "$nginx_worker"); a=$(run_wrk "$port_a" crowd "$httpd_pid")
	fi
	if [ -z "$a" ] || [ -z "$b" ]; then
		echo "bench-httpd: wrk gave no result" >&2
		exit 1
	fi
	printf '%-6s %14s %14s %16s %16s\n' "$r" "${a% *}" "${b% *}" "${a#* }" "${b#* }"
	if [ -s "$tmp/wrk-errors" ]; then
		cat "$tmp/wrk-errors"
		rm -f "$tmp/wrk-errors"
	fi
	a_all+=("${a% *}") b_all+=("${b% *}") ac_all+=("${a#* }") bc_all+=("${b#* }")
done

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
ma=$(median "${a_all[@]}") mb=$(median "${b_all[@]}")
mac=$(median "${ac_all[@]}") mbc=$(median "${bc_all[@]}")
printf '%-6s %14.2f %14.2f %16.2f %16.2f\n' median "$ma" "$mb" "$mac" "$mbc"
awk -v a="$ma" -v b="$mb" -v ac="$mac" -v bc="$mbc" 'BEGIN {
	printf "ratio crowd/nginx: requests/s %.3f (higher is better), CPU per request %.3f (lower is better)\n", a / b, ac / bc}'
sleep 0.5
echo "idle RSS: crowd httpd ${httpd_idle_rss} KiB (after load: $(rss_kb "$httpd_pid") KiB);" \
	"nginx master+worker ${nginx_idle_rss} KiB"
