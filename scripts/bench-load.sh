#!/usr/bin/env bash
# Benchmark: crowd's load generator against wrk on the same server (crowd's httpd, or
# nginx-light with a temporary config when httpd is not built), same connections, threads and
# duration, interleaved in one run (the order alternates each round). Prints requests/s, errors
# and client CPU (CPU seconds per second of load) of each round, the medians and the ratio
# crowd/wrk (target: >= 0.90).
#
# Environment: CONNECTIONS (10), DURATION (5s), THREADS (online CPUs), ROUNDS (3),
# SERVER (httpd|nginx, default httpd when built), STRICT=1 exits 1 when the ratio is below 0.90.
set -euo pipefail
cd "$(dirname "$0")/.."
CROWD=build/crowd
HTTPD=build/workloads/httpd
CONNECTIONS=${CONNECTIONS:-10}
DURATION=${DURATION:-5s}
THREADS=${THREADS:-$(nproc)}
ROUNDS=${ROUNDS:-3}
TARGET=0.90

die() { echo "bench-load: $*" >&2; exit 1; }
[ -x "$CROWD" ] || die "build/crowd missing: run make"
command -v wrk >/dev/null || die "wrk not installed (scripts/deps.sh installs it)"
if [ -z "${SERVER:-}" ]; then
	if [ -x "$HTTPD" ]; then SERVER=httpd; else SERVER=nginx; fi
fi

tmp=$(mktemp -d /tmp/crowd-bench-load.XXXXXX)
server_pid=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port: ask the kernel for one.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

case $SERVER in
httpd)
	"$HTTPD" --bind 127.0.0.1 --port "$port" >"$tmp/server.log" 2>&1 &
	server_pid=$!
	server_desc="crowd httpd ($HTTPD)"
	;;
nginx)
	command -v nginx >/dev/null || die "neither $HTTPD nor nginx available"
	mkdir -p "$tmp/www"
	printf 'Hello from crowd\n' >"$tmp/www/index.html"
	cat >"$tmp/nginx.conf" <<-CONF
	worker_processes 1;
	daemon off;
	pid $tmp/nginx.pid;
	error_log $tmp/error.log;
	events { worker_connections 4096; }
	http {
		access_log off;
		keepalive_requests 100000000;
		client_body_temp_path $tmp/t1; proxy_temp_path $tmp/t2; fastcgi_temp_path $tmp/t3;
		uwsgi_temp_path $tmp/t4; scgi_temp_path $tmp/t5;
		server { listen 127.0.0.1:$port; root $tmp/www; }
	}
	CONF
	nginx -c "$tmp/nginx.conf" -e "$tmp/error.log" &
	server_pid=$!
	server_desc="nginx-light, 1 worker"
	;;
*) die "SERVER='$SERVER': allowed httpd, nginx" ;;
esac

url="http://127.0.0.1:$port/"
for _ in $(seq 100); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
	sleep 0.05
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || die "server did not start: $(cat "$tmp/server.log" 2>/dev/null)"

run_wrk() {
	local TIMEFORMAT='%U %S'
	{ time wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" "$url" >"$tmp/wrk.out" 2>&1; } \
		2>"$tmp/wrk.time" || die "wrk failed: $(cat "$tmp/wrk.out")"
	# requests/s, errors ("Socket errors" and non-2xx lines), CPU seconds per second of load
	awk -v t="$(cat "$tmp/wrk.time")" '
		/^Requests\/sec:/ { rps = $2 }
		/requests in/ { d = $4; sub(/s,?$/, "", d) }
		/Socket errors:/ { gsub(/[^0-9 ]/, " "); n = split($0, a, " "); for (i = 1; i <= n; i++) e += a[i] }
		/Non-2xx or 3xx responses:/ { e += $NF }
		END { split(t, c, " "); printf "%s %d %.2f\n", rps, e, (d > 0) ? (c[1] + c[2]) / d : 0 }' "$tmp/wrk.out"
}
run_crowd() {
	"$CROWD" load "$url" --threads "$THREADS" --connections "$CONNECTIONS" --duration "$DURATION" \
		--json >"$tmp/crowd.json" 2>"$tmp/crowd.err" || die "crowd load failed: $(cat "$tmp/crowd.err")"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.2f %d %.2f" % (d["rps"], d["errors"], d["client_cpu_per_s"]))' "$tmp/crowd.json"
}

echo "server: $server_desc at $url"
echo "load:   $CONNECTIONS connections, $THREADS threads, $DURATION per run, $ROUNDS rounds (order alternates)"
echo "host:   $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %12s %12s %7s %10s %12s %8s %9s\n' round wrk_rps crowd_rps ratio wrk_errors crowd_errors wrk_cpu crowd_cpu
wrk_all=() crowd_all=()
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) -eq 1 ]; then
		read -r w we wcpu <<<"$(run_wrk)"; read -r c e cpu <<<"$(run_crowd)"
	else
		read -r c e cpu <<<"$(run_crowd)"; read -r w we wcpu <<<"$(run_wrk)"
	fi
	wrk_all+=("$w") crowd_all+=("$c")
	printf '%-6s %12s %12s %7s %10s %12s %8s %9s\n' "$r" "$w" "$c" \
		"$(awk -v a="$c" -v b="$w" 'BEGIN{printf "%.3f", (b > 0) ? a / b : 0}')" "$we" "$e" "$wcpu" "$cpu"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mw=$(median "${wrk_all[@]}")
mc=$(median "${crowd_all[@]}")
ratio=$(awk -v a="$mc" -v b="$mw" 'BEGIN{printf "%.3f", (b > 0) ? a / b : 0}')
echo "median requests/s: wrk $mw, crowd $mc"
if awk -v x="$ratio" -v t="$TARGET" 'BEGIN{exit !(x >= t)}'; then
	echo "ratio crowd/wrk: $ratio (target >= $TARGET: met)"
else
	echo "ratio crowd/wrk: $ratio (target >= $TARGET: NOT met)"
	[ "${STRICT:-0}" = 1 ] && exit 1
fi
exit 0
