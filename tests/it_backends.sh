#!/usr/bin/env bash
# needs: root
# Every backend crowd lists: `crowd bench -n 3` on each one available here, checking that its
# rows are ok and carry exactly the phases and memory figures it claims (no invented ones);
# every unavailable one is reported by `crowd info` with a reason. Nothing may be left behind.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || skip "build/crowd missing: run make"
[ -d "$ROOTFS" ] || skip "build/rootfs missing: run make"

tmp=$(mktemp -d /tmp/crowd-it-backends.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# What each backend claims to see. must: non-empty on every ok row; never: always empty.
declare -A MUST NEVER
# crun (cgroup manager disabled) and bwrap run inside a leaf crowd makes in the run's cgroup.
MUST[crun]="t_request_ns t_cgroup_ns t_ready_ns spinup_ns teardown_ns cgroup_bytes pss_bytes rss_bytes"
NEVER[crun]="t_clone_ns t_setup_ns"
MUST[runc]="t_request_ns t_ready_ns spinup_ns teardown_ns pss_bytes rss_bytes cgroup_bytes"
NEVER[runc]="t_cgroup_ns t_clone_ns t_setup_ns"
MUST[bwrap]="t_request_ns t_cgroup_ns t_ready_ns spinup_ns teardown_ns cgroup_bytes pss_bytes rss_bytes"
NEVER[bwrap]="t_clone_ns t_setup_ns"
MUST[vm]="t_request_ns t_ready_ns spinup_ns teardown_ns pss_bytes rss_bytes"
NEVER[vm]="t_cgroup_ns t_clone_ns t_setup_ns cgroup_bytes"

expect_rc 0 "$CROWD" info
info=$OUT
ran=0
for b in crun runc bwrap vm; do
	line=$(grep -E "^  $b +" <<<"$info") || fail "crowd info does not list backend $b"
	if grep -q "unavailable" <<<"$line"; then
		reason=$(sed -E 's/^ +[a-z]+ +unavailable:? *//' <<<"$line")
		[ -n "$reason" ] || fail "backend $b unavailable without a reason: '$line'"
		echo "$b: unavailable here: $reason"
		continue
	fi
	grep -q "available" <<<"$line" || fail "crowd info line for $b says neither: '$line'"
	out=$tmp/$b
	expect_rc 0 "$CROWD" bench -n 3 --backend "$b" --workload httpd --duration 500ms --quiet \
		--out "$out"
	csv=$out/samples.csv
	[ -f "$csv" ] || fail "$b: no samples.csv"
	rows=$(($(wc -l <"$csv") - 1))
	[ "$rows" -eq 3 ] || fail "$b: $rows rows in samples.csv, expected 3"
	[ "$(csv_col "$csv" status | sort -u)" = ok ] || fail "$b: not every row ok: $(csv_col "$csv" error | sort -u)"
	[ "$(csv_col "$csv" backend | sort -u)" = "$b" ] || fail "$b: rows of another backend"
	for c in ${MUST[$b]}; do
		csv_col "$csv" "$c" | grep -qx '' && fail "$b: column $c empty in a row, but $b sees it"
		csv_col "$csv" "$c" | grep -qx -- '-[0-9]*' && fail "$b: column $c negative"
	done
	for c in ${NEVER[$b]}; do
		[ -z "$(csv_col "$csv" "$c" | sort -u)" ] || fail "$b: column $c filled, but $b cannot see it"
	done
	# spin-up is ready - request, and the load reached every httpd
	csv_col "$csv" t_request_ns t_ready_ns spinup_ns |
		awk -F'\t' '$2 - $1 != $3 { exit 1 }' || fail "$b: spinup_ns != t_ready_ns - t_request_ns"
	csv_col "$csv" rps | awk '$1 + 0 <= 0 { exit 1 }' || fail "$b: an httpd served no requests"
	grep -q "\"$b\"" "$out/host.json" || fail "$b: host.json does not name it"
	grep -q '"invocation"' "$out/host.json" || fail "$b: host.json has no invocation"
	[ "$b" != vm ] || grep -Eq -- '-accel (kvm|tcg)' "$out/host.json" ||
		fail "vm: host.json does not say which accelerator ran"
	assert_nothing_left
	[ ! -e "/tmp/crowd-$CROWD_CGROUP_TOP" ] || fail "$b: scratch /tmp/crowd-$CROWD_CGROUP_TOP left"
	if pgrep -f "crowd-$CROWD_CGROUP_TOP" >/dev/null; then fail "$b: processes left"; fi
	echo "$b: 3 ok, spin-up p50 $(csv_col "$csv" spinup_ns | sort -n | sed -n 2p) ns"
	ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || fail "no peer backend could run here"

# Limits: runc applies them itself, crun and bwrap through crowd's cgroup. None is reported
# unapplied, and they bite: the mem workload (16 MiB) cannot get ready under 8M, can under 64M.
peers=crun,runc,bwrap
expect_rc 0 "$CROWD" bench -n 1 --backend $peers --workload mem --memory-max 64M --pids-max 50 \
	--no-load --quiet --out "$tmp/limits"
grep -q '"unapplied": "memory-max' "$tmp/limits/host.json" && fail "a peer left --memory-max unapplied"
[ "$(csv_col "$tmp/limits/samples.csv" status | sort -u)" = ok ] || fail "mem under 64M failed"
expect_rc 1 "$CROWD" bench -n 1 --backend $peers --workload mem --memory-max 8M --no-load --quiet \
	--out "$tmp/oom"
[ "$(csv_col "$tmp/oom/samples.csv" status | sort -u)" = failed ] ||
	fail "mem (16 MiB) got ready under --memory-max 8M on some peer: $(csv_col "$tmp/oom/samples.csv" backend status error)"
assert_nothing_left

# Where nothing is installed next to it (no rootfs, no VM images), every backend says why.
mkdir -p "$tmp/bare"
cp "$CROWD" "$tmp/bare/crowd"
expect_rc 0 env -C "$tmp/bare" CROWD_VM_DIR= ./crowd info
for b in crun runc bwrap vm; do
	line=$(grep -E "^  $b +" <<<"$OUT") || fail "bare: crowd info does not list $b"
	grep -Eq "unavailable:? .+" <<<"$line" || fail "bare: $b not unavailable with a reason: '$line'"
done
grep -E "^  vm +" <<<"$OUT" | grep -q "make vm" || fail "bare: vm reason does not say how to build it"

# Bad input for a peer: exit 2, nothing created.
expect_rc 2 "$CROWD" bench -n 1 --backend crun --rootfs /nonexistent --quiet --out "$tmp/bad"
[ ! -e "$tmp/bad" ] || fail "bad --rootfs created a results folder"
assert_nothing_left
exit 0
