#!/usr/bin/env bash
# crowd load as a user runs it: bad input exits 2 and names it; a refused port counts connect
# errors and exits 1 without hanging; a real server (crowd's httpd, else nginx) gets load with
# no errors; SIGINT stops early with a summary.
# shellcheck disable=SC1091
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$CROWD" ] || skip "build/crowd not built"
command -v python3 >/dev/null || skip "python3 needed to pick a free port"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Bad input: exit 2, one line naming what was wrong.
expect_rc 2 "$CROWD" load http://10.1.2.3:80/
case $ERR in *10.1.2.3*loopback*) ;; *) fail "non-loopback message: $ERR" ;; esac
expect_rc 2 "$CROWD" load http://example.com/
expect_rc 2 "$CROWD" load https://127.0.0.1/
expect_rc 2 "$CROWD" load
expect_rc 2 "$CROWD" load http://127.0.0.1:8080/ --connections 0
case $ERR in *--connections*) ;; *) fail "connections message: $ERR" ;; esac
expect_rc 2 "$CROWD" load http://127.0.0.1:8080/ --duration soon
case $ERR in *--duration*) ;; *) fail "duration message: $ERR" ;; esac
expect_rc 2 "$CROWD" load http://127.0.0.1:8080/ --pipeline 0
expect_rc 2 "$CROWD" load http://127.0.0.1:8080/ --bogus
[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "usage error is not one line: $ERR"
# Each names the input it refuses, on one line.
for args in "http://127.0.0.1:0/" "http://127.0.0.1:99999/" "http://127.0.0.1:8080/ --threads 0" \
	"http://127.0.0.1:8080/ --timeout x" "http://127.0.0.1:8080/ extra" "notaurl"; do
	# shellcheck disable=SC2086 # split into arguments on purpose
	expect_rc 2 "$CROWD" load $args
	[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "$args: not one line: $ERR"
	last=${args##* }
	case $ERR in *"$last"*) ;; *) fail "$args: message does not name '$last': $ERR" ;; esac
done

# Nothing listens: connect errors counted, exit 1, and it ends on time.
port=$(free_port)
start=$(date +%s%N)
expect_rc 1 timeout 10 "$CROWD" load "http://127.0.0.1:$port/" -d 300ms -c 2 --json
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$took_ms" -lt 5000 ] || fail "refused run took ${took_ms} ms"
python3 - "$OUT" <<'PY' || fail "refused run JSON: $OUT"
import json, sys
d = json.loads(sys.argv[1])
assert d["requests"] == 0, d
assert d["errors_by_kind"]["connect"] > 0, d
assert "first_response_ns" not in d, d
PY

# A real server on loopback.
port=$(free_port)
tmp=$(mktemp -d)
pid=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
if [ -x "$TOP/build/workloads/httpd" ]; then
	"$TOP/build/workloads/httpd" --bind 127.0.0.1 --port "$port" >"$tmp/log" 2>&1 &
	pid=$!
elif command -v nginx >/dev/null; then
	mkdir -p "$tmp/www"; echo hi >"$tmp/www/index.html"
	printf 'daemon off; pid %s/pid; error_log %s/err; events {} http { access_log off; client_body_temp_path %s/t; server { listen 127.0.0.1:%s; root %s/www; } }\n' \
		"$tmp" "$tmp" "$tmp" "$port" "$tmp" >"$tmp/conf"
	nginx -c "$tmp/conf" -e "$tmp/err" &
	pid=$!
else
	skip "no HTTP server to test against (build/workloads/httpd or nginx)"
fi
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

expect_rc 0 "$CROWD" load "http://127.0.0.1:$port/" -d 1s -c 4 -t 1 --json
python3 - "$OUT" <<'PY' || fail "load JSON: $OUT"
import json, sys
d = json.loads(sys.argv[1])
assert d["requests"] > 100, d
assert d["errors"] == 0, d
assert d["connections"] == 4 and d["threads"] == 1, d
assert abs(d["rps"] - d["requests"] / (d["duration_ns"] / 1e9)) < 1e-3 * d["rps"], d
assert 0 < d["latency_p50_ns"] <= d["latency_p90_ns"] <= d["latency_p99_ns"] <= d["latency_max_ns"], d
assert d["bytes"] > d["requests"] * 17, d   # at least a status line per response
assert d["client_cpu_ns"] > 0, d
PY

expect_rc 0 "$CROWD" load "http://localhost:$port/" -d 500ms
for want in "Requests/sec:" "Transfer/sec:" "Latency" "p99" "Client CPU:" "requests in"; do
	case $OUT in *"$want"*) ;; *) fail "summary lacks '$want': $OUT" ;; esac
done

# SIGINT ends a long run early, still with a summary.
"$CROWD" load "http://127.0.0.1:$port/" -d 60s -c 2 >"$tmp/int.out" 2>&1 &
lp=$!
sleep 0.7
kill -INT "$lp"
start=$(date +%s)
wait "$lp"; rc=$?
[ $(( $(date +%s) - start )) -le 3 ] || fail "SIGINT did not stop the load promptly"
[ "$rc" -eq 0 ] || fail "interrupted load exited $rc: $(cat "$tmp/int.out")"
grep -q "Requests/sec:" "$tmp/int.out" || fail "no summary after SIGINT: $(cat "$tmp/int.out")"
exit 0
