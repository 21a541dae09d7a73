#!/usr/bin/env bash
# Port allocation when instances share the host's network (core without net, process): with
# ports around the start of the range already taken by someone else, no two instances of a
# run are handed the same port and none collides with the taken ones: every row is ok.
# Before the launcher-wide allocator, instance i landed on i+1's port and exited before ready.
# needs: root
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -x "$ROOTFS/bin/httpd" ] || skip "rootfs without /bin/httpd: run make"
command -v python3 >/dev/null || skip "python3 missing (holds the busy ports)"
tmp=$(mktemp -d /tmp/crowd-it-ports.XXXXXX)
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

# Hold 10 ports in 20010..20055 (every 5th) on the wildcard address, as another service would.
python3 -c '
import socket, sys, time
held = []
for p in range(20010, 20056, 5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("0.0.0.0", p)); s.listen(1); held.append(s)
    except OSError:
        pass
open(sys.argv[1], "w").write(" ".join(str(s.getsockname()[1]) for s in held))
time.sleep(600)
' "$tmp/held" &
holder=$!
for _ in $(seq 50); do [ -s "$tmp/held" ] && break; sleep 0.1; done
[ -s "$tmp/held" ] || fail "port holder did not start"
[ "$(wc -w < "$tmp/held")" -ge 5 ] || skip "could not hold 5+ ports in 20010..20055 (busy machine)"

expect_rc 0 "$CROWD" bench -n 60 -j 2 --backend core,process --workload httpd \
	--ns pid,mnt,uts,ipc,cgroup --duration 1s --quiet --out "$tmp/run"
csv="$tmp/run/samples.csv"
[ -f "$csv" ] || fail "samples.csv missing"
rows=$(tail -n +2 "$csv" | wc -l)
[ "$rows" -eq 120 ] || fail "$rows rows, expected 120"
bad=$(csv_col "$csv" status error | grep -v $'^ok\t' | head -3)
[ -z "$bad" ] || fail "rows not ok: $bad"
assert_nothing_left
echo "it_ports: ok"
