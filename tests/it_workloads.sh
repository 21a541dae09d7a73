#!/usr/bin/env bash
# Integration test of the workloads as programs: readiness byte, HTTP behaviour of the real
# httpd on loopback (pipelining, status codes, slow clients, timeouts, SIGTERM), idle/mem/cpu
# lifecycles, bad arguments, a valgrind run of the httpd, and the rootfs contents.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

W=$TOP/build/workloads
for w in httpd idle cpu mem; do
	[ -x "$W/$w" ] || fail "$W/$w missing: run make"
done
T=$(mktemp -d /tmp/crowd-it-workloads.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# Local ports of every TCP socket (any state): bind() would clash with any of them.
used_ports() { ss -Htan 2>/dev/null | awk '{n=split($4,a,":"); print a[n]}' | sort -u; }
listening() { ss -Htln 2>/dev/null | awk '{n=split($4,a,":"); print a[n]}' | grep -qx "$1"; }
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((10000 + RANDOM % 20000)) # below the ephemeral range
		used_ports | grep -qx "$p" || { echo "$p"; return; }
	done
	fail "no free port"
}

# start_ready NAME CMD...: start CMD with CROWD_READY_FD on a fifo; wait for the byte.
# Sets PID. Fails unless exactly the ready byte arrives within 5 s.
start_ready() {
	local name=$1 byte=""
	shift
	rm -f "$T/ready.$name"
	mkfifo "$T/ready.$name"
	exec 7<>"$T/ready.$name"
	CROWD_READY_FD=7 "$@" >"$T/$name.out" 2>"$T/$name.err" &
	PID=$!
	PIDS+=("$PID")
	read -r -t 5 -N 1 -u 7 byte || fail "$name: no ready byte within 5s ($(cat "$T/$name.err"))"
	[ -n "$byte" ] || fail "$name: empty ready byte"
	sleep 0.05
	[ ! -e "/proc/$PID/fd/7" ] || fail "$name: kept CROWD_READY_FD open after signalling"
	exec 7<&-
}

# stop PID SIG WANT_RC: signal and reap; fail unless it exits WANT_RC within 5 s.
stop() {
	local rc st=""
	kill -"$2" "$1"
	for _ in $(seq 100); do
		st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
		{ [ -z "$st" ] || [ "$st" = Z ]; } && break
		sleep 0.05
	done
	if [ -n "$st" ] && [ "$st" != Z ]; then
		kill -KILL "$1"
		fail "pid $1 still running 5s after SIG$2"
	fi
	wait "$1"
	rc=$?
	[ "$rc" -eq "$3" ] || fail "pid $1 exited $rc after SIG$2, want $3"
}

# exchange PORT BYTES: send BYTES (printf format) on a new connection, print everything
# the server sends until it closes (at most 5 s).
exchange() {
	exec 3<>"/dev/tcp/127.0.0.1/$1" || fail "connect to $1"
	# shellcheck disable=SC2059
	printf "$2" >&3
	timeout 5 cat <&3
	exec 3<&-
}
# Status codes of every response in a stream (bodies may run into the next status line).
statuses() { grep -ao 'HTTP/1\.1 [0-9][0-9][0-9] ' | awk '{printf "%s ", $2}'; }

# ---------------------------------------------------------------- httpd
port=$(free_port)
start_ready httpd "$W/httpd" --bind 127.0.0.1 --port "$port" --timeout 1500ms
HP=$PID
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$HP/status")
echo "httpd idle VmRSS: ${rss} KiB"
[ "$rss" -le 256 ] || fail "httpd idle RSS ${rss} KiB > 256 KiB"

out=$(exchange "$port" 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
[ "$(statuses <<<"$out")" = "200 " ] || fail "GET /: $out"
grep -q '^Hello from crowd$' <<<"$out" || fail "GET / body: $out"

# Pipelining: four requests in one write, answered in order, the last closes.
out=$(exchange "$port" 'GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /bytes/10 HTTP/1.1\r\nHost: t\r\n\r\nPOST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhelloHEAD /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
[ "$(statuses <<<"$out")" = "200 200 405 404 " ] || fail "pipelined statuses: $(statuses <<<"$out")"
grep -q 'xxxxxxxxxxHTTP/1.1 405' <<<"$out" || fail "pipelined /bytes/10 body not exactly 10 bytes"
grep -q '^Allow: GET, HEAD' <<<"$(tr -d '\r' <<<"$out")" || fail "405 without Allow"

# Forty pipelined requests: more answers than one output buffer holds, all in order.
req=""
for i in $(seq 40); do req+="GET /bytes/$i HTTP/1.1\r\nHost: t\r\n\r\n"; done
out=$(exchange "$port" "${req}GET /bytes/41 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
[ "$(grep -ac 'Content-Length: ' <<<"$out")" -eq 41 ] || fail "41 pipelined: $(statuses <<<"$out")"
[ "$(tr -d '\r' <<<"$out" | awk '/^Content-Length: / {printf "%s,", $2}')" = \
	"$(seq -s, 41)," ] || fail "41 pipelined answers out of order"

big=$(head -c 5000 /dev/zero | tr '\0' a)
out=$(exchange "$port" "GET / HTTP/1.1\r\nHost: t\r\nX-Big: $big\r\n\r\n")
[ "$(statuses <<<"$out")" = "431 " ] || fail "oversized header: $(statuses <<<"$out")"
out=$(exchange "$port" 'garbage\r\n\r\n')
[ "$(statuses <<<"$out")" = "400 " ] || fail "garbage: $(statuses <<<"$out")"
out=$(exchange "$port" 'GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n')
[ "$(statuses <<<"$out")" = "501 " ] || fail "chunked: $(statuses <<<"$out")"
n=$(exchange "$port" 'GET /bytes/300000 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' |
	sed '1,/^\r$/d' | wc -c)
[ "$n" -eq 300000 ] || fail "/bytes/300000 gave $n body bytes"
out=$(exchange "$port" 'GET /bytes/2000000 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
[ "$(statuses <<<"$out")" = "400 " ] || fail "/bytes above the cap: $(statuses <<<"$out")"

# Slowloris: a connection with a never-finished request does not hold up another client,
# and is closed by the server once the timeout (1.5 s) passes.
exec 4<>"/dev/tcp/127.0.0.1/$port"
printf 'GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ' >&4
t0=$(date +%s%N)
out=$(exchange "$port" 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
[ "$(statuses <<<"$out")" = "200 " ] || fail "second client blocked by a slow one"
[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1000 ] || fail "second client waited a second or more"
printf 'a' >&4
timeout 5 cat <&4 >"$T/slow.out"
el=$(( ($(date +%s%N) - t0) / 1000000 ))
exec 4<&-
{ [ "$el" -ge 1000 ] && [ "$el" -lt 4500 ]; } || fail "slow connection closed after ${el} ms, want ~1500"
[ ! -s "$T/slow.out" ] || fail "slow connection got an answer: $(cat "$T/slow.out")"
# An idle keep-alive connection times out the same way.
exec 4<>"/dev/tcp/127.0.0.1/$port"
printf 'GET / HTTP/1.1\r\nHost: t\r\n\r\n' >&4
t0=$(date +%s%N)
timeout 5 cat <&4 >"$T/idle.out"
el=$(( ($(date +%s%N) - t0) / 1000000 ))
exec 4<&-
[ "$(statuses <"$T/idle.out")" = "200 " ] || fail "keep-alive answer: $(cat "$T/idle.out")"
{ [ "$el" -ge 1000 ] && [ "$el" -lt 4500 ]; } || fail "idle keep-alive closed after ${el} ms, want ~1500"

# Dual stack: the default listener takes IPv4 and IPv6.
if [ -e /proc/net/if_inet6 ] && ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
	p6=$(free_port)
	start_ready httpd6 "$W/httpd" --port "$p6"
	exec 5<>"/dev/tcp/::1/$p6" || fail "IPv6 connect"
	printf 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' >&5
	[ "$(timeout 5 cat <&5 | statuses)" = "200 " ] || fail "GET over IPv6"
	exec 5<&-
	[ "$(exchange "$p6" 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' | statuses)" = "200 " ] ||
		fail "GET over IPv4 on the dual-stack listener"
	stop "$PID" INT 0
else
	echo "note: no IPv6 loopback; dual stack not checked"
fi

# --max-conns: at the limit accept() pauses; the next client is served once one closes.
pm=$(free_port)
start_ready httpd-mc "$W/httpd" --bind 127.0.0.1 --port "$pm" --max-conns 1
exec 4<>"/dev/tcp/127.0.0.1/$pm"
printf 'GET / HTTP/1.1\r\nHost: t\r\n\r\n' >&4
[ "$(timeout 2 head -c 15 <&4)" = "HTTP/1.1 200 OK" ] || fail "max-conns: first client"
exec 5<>"/dev/tcp/127.0.0.1/$pm"
printf 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' >&5
timeout 0.5 cat <&5 >"$T/mc.out"
[ ! -s "$T/mc.out" ] || fail "max-conns 1: a second connection was served while the first was open"
exec 4<&-
[ "$(timeout 3 cat <&5 | statuses)" = "200 " ] || fail "max-conns: second client not served after the first left"
exec 5<&-
stop "$PID" TERM 0

# SIGTERM with a client connected: clean exit 0.
exec 4<>"/dev/tcp/127.0.0.1/$port"
printf 'GET / HTTP/1.1\r\nHost: t\r\n' >&4
stop "$HP" TERM 0
exec 4<&-
[ ! -s "$T/httpd.err" ] || fail "httpd wrote to stderr: $(cat "$T/httpd.err")"

# Port from the environment; a busy port is a runtime failure (1), not bad input.
port2=$(free_port)
PORT=$port2 start_ready httpd-env "$W/httpd" --bind 127.0.0.1
[ "$(exchange "$port2" 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' | statuses)" = "200 " ] ||
	fail "PORT env not honoured"
expect_rc 1 "$W/httpd" --bind 127.0.0.1 --port "$port2"
grep -q 'bind' <<<"$ERR" || fail "busy port message: $ERR"
stop "$PID" TERM 0

# ---------------------------------------------------------------- idle, mem, cpu
start_ready idle "$W/idle"
stop "$PID" TERM 0
start_ready idle2 "$W/idle"
stop "$PID" INT 0

start_ready mem "$W/mem" --bytes 8M
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID/status")
[ "$rss" -ge 8192 ] || fail "mem --bytes 8M: VmRSS only ${rss} KiB"
stop "$PID" TERM 0
start_ready mem0 "$W/mem" --bytes=0
stop "$PID" INT 0

expect_rc 0 "$W/cpu" --duration 300ms
[[ $OUT =~ ^units=([0-9]+)\ elapsed_ms=([0-9]+)\ units_per_s=([0-9.]+) ]] || fail "cpu output: $OUT"
[ "${BASH_REMATCH[1]}" -gt 0 ] || fail "cpu did no work: $OUT"
{ [ "${BASH_REMATCH[2]}" -ge 300 ] && [ "${BASH_REMATCH[2]}" -lt 3000 ]; } || fail "cpu ran ${BASH_REMATCH[2]} ms for 300ms"
start_ready cpu "$W/cpu"
sleep 0.3
stop "$PID" TERM 0
grep -Eq '^units=[1-9][0-9]* elapsed_ms=[0-9]+ units_per_s=' "$T/cpu.out" ||
	fail "cpu on SIGTERM: $(cat "$T/cpu.out")"

# ---------------------------------------------------------------- arguments
for w in httpd idle cpu mem; do
	expect_rc 0 "$W/$w" --help
	grep -q "^usage: $w" <<<"$OUT" || fail "$w --help: $OUT"
done
bad() { # bad WORD CMD...: exit 2, one line on stderr naming WORD, nothing on stdout
	local word=$1
	shift
	expect_rc 2 "$@"
	[ "$(wc -l <<<"$ERR")" -eq 1 ] || fail "'$*': want one line, got: $ERR"
	grep -qF -- "$word" <<<"$ERR" || fail "'$*': message does not name '$word': $ERR"
	[ -z "$OUT" ] || fail "'$*' printed on stdout: $OUT"
}
bad --port "$W/httpd" --port 0
bad 70000 "$W/httpd" --port 70000
bad --port "$W/httpd" --port
bad --bogus "$W/httpd" --bogus
bad nowhere "$W/httpd" --bind nowhere
bad 1x "$W/httpd" --timeout 1x
bad --max-conns "$W/httpd" --max-conns 0
bad PORT env PORT=http "$W/httpd"
bad 12X "$W/mem" --bytes 12X
bad 2T "$W/mem" --bytes 2T
bad -1 "$W/cpu" --duration -1
bad extra "$W/idle" extra
expect_rc 1 env CROWD_READY_FD=999 "$W/idle"
grep -q CROWD_READY_FD <<<"$ERR" || fail "bad CROWD_READY_FD message: $ERR"

# ---------------------------------------------------------------- pid 1
if [ "$(id -u)" -eq 0 ] && unshare --pid --fork true 2>/dev/null; then
	# idle as pid 1 of a new pid namespace: reaps an orphan, exits 0 on SIGTERM from outside.
	unshare --pid --fork --kill-child -- "$ROOTFS/bin/busybox" sh -c \
		"(\"$ROOTFS/bin/busybox\" sleep 0.3 &); exec \"$W/idle\"" &
	UP=$!
	PIDS+=("$UP")
	sleep 1
	ip=$(pgrep -P "$UP" -x idle) || fail "idle not running as the namespace's pid 1"
	grep -q '^NSpid:.*[[:space:]]1$' "/proc/$ip/status" || fail "idle is not pid 1 in its namespace"
	# shellcheck disable=SC2009 # pgrep cannot select by state
	z=$(ps --ppid "$ip" -o stat= | grep -c Z || true)
	[ "$z" -eq 0 ] || fail "idle as pid 1 left $z zombies"
	kill -TERM "$ip"
	wait "$UP"
	rc=$?
	[ "$rc" -eq 0 ] || fail "idle as pid 1 exited $rc on SIGTERM"
	# httpd as pid 1 of its own pid and network namespaces: SIGTERM from outside, exit 0.
	unshare --pid --net --fork --kill-child -- "$W/httpd" --port 8080 &
	UP=$!
	PIDS+=("$UP")
	sleep 0.5
	hp=$(pgrep -P "$UP" -x httpd) || fail "httpd not running as a namespace's pid 1"
	kill -TERM "$hp"
	wait "$UP"
	rc=$?
	[ "$rc" -eq 0 ] || fail "httpd as pid 1 exited $rc on SIGTERM"
else
	echo "note: not root or no pid namespaces; pid-1 behaviour not checked"
fi

# ---------------------------------------------------------------- valgrind
if command -v valgrind >/dev/null; then
	# The static musl binary hides malloc from valgrind: build the same sources with the host
	# libc for this run.
	cc -std=gnu11 -O1 -g -D_GNU_SOURCE -I"$TOP/workloads/common" -o "$T/httpd-vg" \
		"$TOP"/workloads/httpd/*.c "$TOP"/workloads/common/*.c || fail "host build for valgrind"
	vport=$(free_port)
	start_ready vg valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
		--error-exitcode=9 "$T/httpd-vg" --bind 127.0.0.1 --port "$vport" --timeout 500ms
	exchange "$vport" 'GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /bytes/100000 HTTP/1.1\r\nHost: t\r\n\r\nPUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nokGET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' >/dev/null
	exchange "$vport" "GET / HTTP/1.1\r\nHost: t\r\nX-Big: $big\r\n\r\n" >/dev/null
	exec 4<>"/dev/tcp/127.0.0.1/$vport"
	printf 'GET / HTTP/1.1\r\n' >&4
	exec 6<>"/dev/tcp/127.0.0.1/$vport"
	printf 'GET / HTTP/1.1\r\nHost: t\r\n\r\n' >&6
	sleep 1 # one times out, the other is still open (and freed) at SIGTERM
	exec 6<>"/dev/tcp/127.0.0.1/$vport"
	stop "$PID" TERM 0
	exec 4<&- 6<&-
	[ ! -s "$T/vg.err" ] || fail "valgrind: $(cat "$T/vg.err")"
	# The other three, same way: ready, work, signal, exit 0 with nothing reported.
	vg=(valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=9)
	for w in idle mem cpu; do
		cc -std=gnu11 -O1 -g -D_GNU_SOURCE -I"$TOP/workloads/common" -o "$T/$w-vg" \
			"$TOP"/workloads/$w/*.c "$TOP"/workloads/common/*.c || fail "host build of $w"
	done
	start_ready vg-idle "${vg[@]}" "$T/idle-vg"
	stop "$PID" TERM 0
	start_ready vg-mem "${vg[@]}" "$T/mem-vg" --bytes 1M
	stop "$PID" INT 0
	start_ready vg-cpu "${vg[@]}" "$T/cpu-vg" --duration 200ms
	wait "$PID" || fail "cpu under valgrind exited $?"
	for w in idle mem cpu; do
		[ ! -s "$T/vg-$w.err" ] || fail "valgrind $w: $(cat "$T/vg-$w.err")"
	done
else
	echo "note: valgrind not installed; leak check skipped"
fi

# ---------------------------------------------------------------- rootfs
[ -d "$ROOTFS" ] || fail "$ROOTFS missing: run make"
hdr=$(LC_ALL=C readelf -lh "$ROOTFS/bin/busybox" 2>&1) || fail "rootfs bin/busybox is not ELF: $hdr"
! grep -q "program interpreter" <<<"$hdr" || fail "busybox in rootfs is not static"
[ "$(readlink "$ROOTFS/bin/sh")" = busybox ] || fail "bin/sh is not a busybox link"
[ "$(readlink "$ROOTFS/bin/ls")" = busybox ] || fail "bin/ls is not a busybox link"
for w in httpd idle cpu mem; do
	cmp -s "$ROOTFS/bin/$w" "$W/$w" || fail "rootfs bin/$w is not build/workloads/$w"
done
n_links=$(find "$ROOTFS/bin" -type l | wc -l)
n_applets=$("$ROOTFS/bin/busybox" --list | grep -cvxE 'busybox|httpd|idle|cpu|mem')
[ "$n_links" -eq "$n_applets" ] || fail "rootfs has $n_links applet links, busybox has $n_applets"
[ "$(find "$ROOTFS" -mindepth 1 -maxdepth 1 ! -name .stamp -printf '%f\n' | sort | tr '\n' ' ')" = "bin dev etc proc root run sys tmp usr var " ] ||
	fail "rootfs top level: $(ls -A "$ROOTFS")"
[ "$(find "$ROOTFS/etc" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" = "group hostname hosts passwd " ] ||
	fail "rootfs etc: $(ls "$ROOTFS/etc")"
[ "$(cat "$ROOTFS/etc/hostname")" = crowd ] || fail "hostname"
grep -qx 'root:x:0:0:root:/root:/bin/sh' "$ROOTFS/etc/passwd" || fail "passwd"
for d in dev proc sys run/crowd; do
	[ -z "$(ls -A "$ROOTFS/$d")" ] || fail "rootfs $d not empty"
done
[ "$(ls -A "$ROOTFS/run")" = crowd ] || fail "rootfs run: $(ls -A "$ROOTFS/run")"
# Deterministic and idempotent: two fresh builds and a rebuild are the same archive.
mk() { "$TOP/scripts/mkrootfs.sh" "$1" "$W/httpd" "$W/idle" "$W/cpu" "$W/mem" || fail "mkrootfs $1"; }
digest() { tar -C "$1" --sort=name --numeric-owner --owner=0 --group=0 -cf - . | sha256sum; }
mk "$T/r1"
mk "$T/r2"
[ "$(digest "$T/r1")" = "$(digest "$T/r2")" ] || fail "two rootfs builds differ"
touch "$T/r1/bin/stray"
rm -f "$T/r1/bin/ls"
s=$(date +%s%N)
mk "$T/r1"
echo "mkrootfs rebuild: $(( ($(date +%s%N) - s) / 1000000 )) ms"
[ "$(digest "$T/r1")" = "$(digest "$T/r2")" ] || fail "rebuild did not restore the same rootfs"
expect_rc 2 "$TOP/scripts/mkrootfs.sh" "$T/r3" /nonexistent/wl
[ ! -e "$T/r3" ] || fail "mkrootfs created a rootfs for bad input"
if [ "$(id -u)" -eq 0 ]; then
	[ "$(chroot "$T/r1" /bin/sh -c 'cat /etc/hostname; /bin/idle --help | head -1')" = \
		"crowd
usage: idle [--help]" ] || fail "chroot into the rootfs"
fi

# ---------------------------------------------------------------- benchmark script
if command -v wrk >/dev/null && [ -x "$(command -v nginx || echo /usr/sbin/nginx)" ]; then
	mkdir "$T/benchtmp"
	TMPDIR=$T/benchtmp expect_rc 0 "$TOP/scripts/bench-httpd.sh" --rounds 1 --duration 1 --connections 4
	grep -Eq '^ratio crowd/nginx: requests/s [0-9.]+' <<<"$OUT" || fail "bench-httpd: no ratio: $OUT"
	grep -Eq '^idle RSS: crowd httpd [0-9]+ KiB' <<<"$OUT" || fail "bench-httpd: no RSS: $OUT"
	[ -z "$(ls -A "$T/benchtmp")" ] || fail "bench-httpd left its temporary folder"
	! pgrep -f "$T/benchtmp" >/dev/null || fail "bench-httpd left a server running"
	expect_rc 2 "$TOP/scripts/bench-httpd.sh" --rounds 0
else
	echo "note: wrk or nginx missing; bench-httpd not checked"
fi

echo "it_workloads: all checks passed"
