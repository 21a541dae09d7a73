#!/usr/bin/env bash
# needs: root
# The engines people run (issue 15, part A): docker (a private dockerd this test starts and
# stops, scripts/dockerd-private.sh) and podman. For each one available here: `crowd bench -n 3
# --workload httpd` rows are ok with the phases, memory (cgroup, PSS and engine_bytes) and HTTP
# answers; nothing is left after the run (no container, no layer mount, no cgroup, no netns),
# after SIGINT, and after `crowd clean` of a crowd killed with SIGKILL.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || skip "build/crowd missing: run make"
[ -d "$ROOTFS" ] || skip "build/rootfs missing: run make"

tmp=$(mktemp -d /tmp/crowd-it-engines.XXXXXX)
# A short directory: the daemon's unix socket path must fit in 107 bytes.
dk=/tmp/cdk-$$
cleanup() {
	"$CROWD" clean >/dev/null 2>&1
	"$TOP/scripts/dockerd-private.sh" stop "$dk" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# check_rows BACKEND CSV: 3 ok rows with what an engine backend sees.
check_rows() {
	local b=$1 csv=$2
	[ "$(($(wc -l <"$csv") - 1))" -eq 3 ] || fail "$b: not 3 rows in $csv"
	[ "$(csv_col "$csv" status | sort -u)" = ok ] || fail "$b: not every row ok: $(csv_col "$csv" error | sort -u)"
	local must="t_request_ns t_clone_ns t_ready_ns spinup_ns teardown_ns cgroup_bytes pss_bytes rss_bytes engine_bytes"
	# docker: create returned (t_cgroup), start returned (t_clone); podman run -d is one step.
	[ "$b" = docker ] && must="$must t_cgroup_ns"
	[ "$b" = podman ] && { [ -z "$(csv_col "$csv" t_cgroup_ns | sort -u)" ] || fail "podman: t_cgroup_ns filled"; }
	for c in $must; do
		csv_col "$csv" "$c" | awk -v c="$c" -v b="$b" '$1 == "" || $1 + 0 <= 0 { print "FAIL: " b ": " c " empty or not positive" > "/dev/stderr"; exit 1 }' || exit 1
	done
	[ -z "$(csv_col "$csv" t_setup_ns | sort -u)" ] || fail "$b: t_setup_ns filled, but $b cannot see it"
	csv_col "$csv" t_request_ns t_clone_ns t_ready_ns |
		awk -F'\t' '!($1 <= $2 && $2 <= $3) { exit 1 }' || fail "$b: phases out of order"
	# The load reached every httpd inside its network namespace.
	csv_col "$csv" rps | awk '$1 + 0 <= 0 { exit 1 }' || fail "$b: an httpd served no requests"
	# The engine costs more than nothing beside the container: the shim/monitor alone is
	# hundreds of KiB.
	csv_col "$csv" engine_bytes | awk '$1 < 102400 { exit 1 }' || fail "$b: engine_bytes below 100 KiB"
}

# wait_fifos N: until N instances have their readiness FIFO (are being started), at most 10 s.
wait_fifos() {
	local _
	for _ in $(seq 200); do
		[ "$(find "/tmp/crowd-$CROWD_CGROUP_TOP" -name '*.ready' 2>/dev/null | wc -l)" -ge "$1" ] && return
		sleep 0.05
	done
}

# SIGINT during a bench: exit 130, started ones torn down.
check_sigint() {
	local b=$1
	"$CROWD" bench -n 40 --backend "$b" --workload httpd --no-load --quiet --out "$tmp/$b-int" \
		>/dev/null 2>"$tmp/$b-int.err" &
	local pid=$!
	wait_fifos 2
	kill -INT "$pid"
	wait "$pid"
	local rc=$?
	[ "$rc" -eq 130 ] || fail "$b: SIGINT: exit $rc, expected 130: $(cat "$tmp/$b-int.err")"
	csv_col "$tmp/$b-int/samples.csv" status | grep -qx interrupted || fail "$b: no interrupted row"
}

# crowd killed with SIGKILL leaves running containers; crowd clean removes them.
check_clean() {
	local b=$1
	"$CROWD" bench -n 40 --backend "$b" --workload httpd --no-load --quiet --out "$tmp/$b-kill" \
		>/dev/null 2>&1 &
	local pid=$!
	wait_fifos 2
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	[ -n "$(ours "$b")" ] || fail "$b: expected containers of the killed run to remain"
	expect_rc 0 "$CROWD" clean
	grep -Eq "[1-9][0-9]* peer containers?" <<<"$OUT" || fail "$b: crowd clean removed no container: $OUT"
	expect_rc 0 "$CROWD" clean
	grep -q " 0 peer containers, 0 scratch dirs" <<<"$OUT" || fail "$b: second crowd clean not empty: $OUT"
}

# nothing_left BACKEND: no container of ours, no mount or cgroup of it, no scratch.
nothing_left() {
	local b=$1
	[ -z "$(ours "$b")" ] || fail "$b: containers left: $(ours "$b")"
	assert_nothing_left
	[ ! -e "/tmp/crowd-$CROWD_CGROUP_TOP" ] || fail "$b: scratch /tmp/crowd-$CROWD_CGROUP_TOP left"
	engine_left "$b"
}

ours() {
	case $1 in
	docker) docker ps -aq --filter "label=crowd.top=$CROWD_CGROUP_TOP" ;;
	podman) podman ps -aq --filter "label=crowd.top=$CROWD_CGROUP_TOP" ;;
	esac
}

engine_left() {
	local left
	case $1 in
	docker)
		left=$(awk -v d="$dk/data/" 'index($2, d) == 1 && $2 ~ /merged$/' /proc/self/mounts)
		[ -z "$left" ] || fail "docker: layer mounts left: $left"
		left=$(find /sys/fs/cgroup/*/"crowd-dockerd-cdk-$$" -mindepth 1 -type d 2>/dev/null | head -3)
		[ -z "$left" ] || fail "docker: container cgroups left: $left"
		# A network namespace lives while a process or a bind mount holds it: dockerd
		# unmounts it on removal (and deletes the empty file later, in its own GC).
		left=$(awk -v d="$dk/" 'index($2, d) == 1 && $3 == "nsfs"' /proc/self/mounts)
		[ -z "$left" ] || fail "docker: network namespaces left: $left"
		;;
	podman)
		left=$(awk '$2 ~ "^/var/lib/containers/storage/overlay/.*/merged$"' /proc/self/mounts |
			grep -c . || true)
		[ "$left" -le "$podman_mounts" ] || fail "podman: $((left - podman_mounts)) layer mounts more than before"
		;;
	esac
}

# run_engine BACKEND: the whole check for one engine that crowd info says is available.
run_engine() {
	local b=$1 out=$tmp/$1
	expect_rc 0 "$CROWD" bench -n 3 --backend "$b" --workload httpd --duration 500ms --quiet --out "$out"
	check_rows "$b" "$out/samples.csv"
	grep -q '"invocation"' "$out/host.json" || fail "$b: host.json has no invocation"
	grep -q '"engine_bytes"' "$out/summary.json" || fail "$b: summary.json has no engine_bytes"
	nothing_left "$b"
	# The image is made once: a second run reuses it (same name, no new image).
	local before after
	before=$("$b" images -q "crowd-rootfs" | sort -u | wc -l)
	expect_rc 0 "$CROWD" bench -n 1 --backend "$b" --workload idle --quiet --out "$out-again"
	after=$("$b" images -q "crowd-rootfs" | sort -u | wc -l)
	[ "$before" = "$after" ] || fail "$b: the second run made another image ($before -> $after)"
	check_sigint "$b"
	nothing_left "$b"
	check_clean "$b"
	nothing_left "$b"
	echo "$b: ok (spin-up p50 $(csv_col "$out/samples.csv" spinup_ns | sort -n | sed -n 2p) ns," \
		"engine $(csv_col "$out/samples.csv" engine_bytes | sort -n | sed -n 2p) B)"
}

# docker: unavailable without a daemon, with the reason; then a private one.
unset DOCKER_HOST
if ! command -v dockerd >/dev/null; then
	skip_part docker "dockerd not installed (package docker.io)"
else
	DOCKER_HOST=unix://$dk/none.sock expect_rc 0 "$CROWD" info
	grep -Eq "^  docker +unavailable: no docker daemon at $dk/none.sock" <<<"$OUT" ||
		fail "crowd info without a daemon: $(grep docker <<<"$OUT")"
	if ! "$TOP/scripts/dockerd-private.sh" start "$dk" >"$tmp/dockerd.out" 2>&1; then
		skip_part docker "a private dockerd does not start here: $(tail -n 1 "$tmp/dockerd.out")"
	else
		export DOCKER_HOST=unix://$dk/docker.sock
		expect_rc 0 "$CROWD" info
		grep -Eq "^  docker +available" <<<"$OUT" || fail "docker not available with a daemon: $(grep docker <<<"$OUT")"
		run_engine docker
		"$TOP/scripts/dockerd-private.sh" stop "$dk"
		[ ! -e "$dk" ] || fail "dockerd-private.sh stop left $dk"
		unset DOCKER_HOST
	fi
fi

# podman: daemonless, its own storage (/var/lib/containers).
podman_mounts=$(awk '$2 ~ "^/var/lib/containers/storage/overlay/.*/merged$"' /proc/self/mounts | grep -c . || true)
expect_rc 0 "$CROWD" info
line=$(grep -E "^  podman +" <<<"$OUT") || fail "crowd info does not list podman"
if grep -q unavailable <<<"$line"; then
	skip_part podman "$(sed -E 's/^ +podman +unavailable:? *//' <<<"$line")"
else
	run_engine podman
fi
echo "it_engines: ok"
