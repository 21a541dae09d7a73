#!/usr/bin/env bash
# needs: root
# The engines lxc, runsc (gVisor) and nspawn (systemd-nspawn): `crowd bench -n 3 --workload
# httpd` on each one available here (rows ok, the phases and memory it claims, engine_bytes
# filled where samples.csv has the column, HTTP answers), and nothing left after the run,
# after SIGINT of a bench, and after `crowd clean` of a bench killed with SIGKILL. `crowd
# info` lists each, and without a rootfs next to it says why each is unavailable.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || skip "build/crowd missing: run make"
[ -d "$ROOTFS/usr" ] || skip "build/rootfs missing (or without /usr): run make"

tmp=$(mktemp -d /tmp/crowd-it-engines-b.XXXXXX)
SCR=/tmp/crowd-$CROWD_CGROUP_TOP
trap '"$CROWD" clean >/dev/null 2>&1; rm -rf "$tmp"' EXIT

MUST="t_request_ns t_ready_ns spinup_ns teardown_ns cgroup_bytes pss_bytes rss_bytes"
declare -A NEVER
NEVER[lxc]="t_cgroup_ns t_clone_ns t_setup_ns"
NEVER[runsc]="t_cgroup_ns t_clone_ns t_setup_ns"
NEVER[nspawn]="t_clone_ns t_setup_ns"

# nspawn's lock file on the image (the rootfs), left by a killed nspawn unless crowd removes it
LOCK=/run/systemd/nspawn/locks/inode-$(stat -c %d:%i "$ROOTFS")
# Nothing of this test's runs: cgroups, mounts, scratch, engine processes, nspawn's per-machine
# directory, and the containers an engine could still list.
nothing_left() {
	assert_nothing_left
	[ ! -e "$SCR" ] || fail "$1: scratch $SCR left: $(ls "$SCR")"
	if pgrep -f -- "$SCR" >/dev/null; then fail "$1: processes left: $(pgrep -af -- "$SCR")"; fi
	if compgen -G "/run/systemd/nspawn/propagate/crowd-run-*" >/dev/null; then
		fail "$1: nspawn machine directory left in /run/systemd/nspawn/propagate"
	fi
	[ ! -e "$LOCK" ] || fail "$1: nspawn's image lock $LOCK left"
}

# CROWD_IT_ENGINES: a subset, for working on one engine.
engines=${CROWD_IT_ENGINES:-lxc runsc nspawn}
expect_rc 0 "$CROWD" info
info=$OUT
avail=""
for b in $engines; do
	line=$(grep -E "^  $b +" <<<"$info") || fail "crowd info does not list backend $b"
	if grep -q "unavailable" <<<"$line"; then
		reason=$(sed -E 's/^ +[a-z]+ +unavailable:? *//' <<<"$line")
		[ -n "$reason" ] || fail "backend $b unavailable without a reason: '$line'"
		skip_part "$b" "unavailable here: $reason"
		continue
	fi
	avail="$avail $b"
done

# Where nothing is installed next to it (no rootfs), each says why it cannot run.
mkdir -p "$tmp/bare"
cp "$CROWD" "$tmp/bare/crowd"
expect_rc 0 env -C "$tmp/bare" ./crowd info
for b in lxc runsc nspawn; do
	line=$(grep -E "^  $b +" <<<"$OUT") || fail "bare: crowd info does not list $b"
	grep -Eq "unavailable:? .+" <<<"$line" || fail "bare: $b not unavailable with a reason: '$line'"
done

for b in $avail; do
	out=$tmp/$b
	expect_rc 0 "$CROWD" bench -n 3 --backend "$b" --workload httpd --duration 500ms --quiet \
		--out "$out"
	csv=$out/samples.csv
	[ "$(($(wc -l <"$csv") - 1))" -eq 3 ] || fail "$b: not 3 rows in samples.csv"
	[ "$(csv_col "$csv" status | sort -u)" = ok ] || fail "$b: not every row ok: $(csv_col "$csv" error | sort -u)"
	for c in $MUST; do
		csv_col "$csv" "$c" | grep -qx '' && fail "$b: column $c empty in a row"
		csv_col "$csv" "$c" | grep -qx -- '-[0-9]*' && fail "$b: column $c negative"
	done
	for c in ${NEVER[$b]}; do
		[ -z "$(csv_col "$csv" "$c" | sort -u)" ] || fail "$b: column $c filled, but $b cannot see it"
	done
	csv_col "$csv" t_request_ns t_ready_ns spinup_ns |
		awk -F'\t' '$2 - $1 != $3 { exit 1 }' || fail "$b: spinup_ns != t_ready_ns - t_request_ns"
	csv_col "$csv" rps | awk '$1 + 0 <= 0 { exit 1 }' || fail "$b: an httpd served no requests"
	if head -1 "$csv" | tr , '\n' | grep -qx engine_bytes; then
		csv_col "$csv" engine_bytes | awk '$1 == "" || $1 + 0 <= 0 { exit 1 }' ||
			fail "$b: engine_bytes not filled: $(csv_col "$csv" engine_bytes | tr '\n' ' ')"
	else
		skip_part "$b-engine_bytes" "samples.csv has no engine_bytes column on this branch"
	fi
	grep -q '"invocation"' "$out/host.json" || fail "$b: host.json has no invocation"
	nothing_left "$b"
	echo "$b: 3 ok, spin-up p50 $(csv_col "$csv" spinup_ns | sort -n | sed -n 2p) ns"

	# Ctrl-C mid-run (500 asked, so starts are still going after 0.5 s): exit 130, what was
	# started torn down.
	"$CROWD" bench -n 500 --backend "$b" --workload httpd --no-load --quiet --out "$tmp/$b-int" \
		>"$tmp/int.out" 2>&1 &
	pid=$!
	for _ in $(seq 200); do pgrep -f -- "$SCR" >/dev/null && break; sleep 0.05; done
	sleep 0.5
	kill -INT $pid
	rc=0
	wait $pid || rc=$?
	[ "$rc" -eq 130 ] || fail "$b: SIGINT: exit $rc, expected 130: $(cat "$tmp/int.out")"
	csv_col "$tmp/$b-int/samples.csv" status | grep -qx interrupted || fail "$b: SIGINT: no interrupted rows"
	nothing_left "$b after SIGINT"

	# SIGKILL while containers serve: crowd clean removes what the engine keeps running.
	"$CROWD" bench -n 2 --backend "$b" --workload httpd --duration 60s --quiet \
		--out "$tmp/$b-kill" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 300); do
		[ "$(find "$SCR" -name '*.run' 2>/dev/null | wc -l)" -ge 2 ] && break
		sleep 0.05
	done
	sleep 1.5
	kill -KILL $pid
	wait $pid 2>/dev/null
	pgrep -f -- "$SCR" >/dev/null || fail "$b: SIGKILL left no engine process to sweep"
	expect_rc 0 "$CROWD" clean
	grep -q "scratch dir" <<<"$OUT" || fail "$b: clean output: $OUT"
	nothing_left "$b after crowd clean"
	echo "$b: SIGINT and SIGKILL+clean leave nothing"
done
exit 0
