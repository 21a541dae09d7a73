#!/bin/bash
# needs: root
# --rootless bench as an unprivileged user on THIS host, which delegates no cgroup (hybrid,
# or cgroup2 with the caller's parent owned by root): the bench still runs, through the core,
# without cgroups; every cgroup figure is empty (never 0), the reason is said once, and
# limits are refused with exit 2 naming why. (With delegation: the cgroup v2 VM,
# tests/it_cgroup_v2_vm.sh, rootless_delegated.)
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
nobody test -x "$CROWD" || skip "build/crowd is not reachable by uid 65534 (checkout under a private directory)"
nobody test -d "$ROOTFS/bin" || skip "build/rootfs is not reachable by uid 65534"
out=$(mktemp -d /tmp/crowd-it-rootless.XXXXXX)
chmod 777 "$out"
trap 'rm -rf "$out"' EXIT

# Skip where this host delegates the caller's parent cgroup (then the VM test's case holds).
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
parent=/sys/fs/cgroup${own%/*}
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && nobody test -w "$parent/cgroup.procs" 2>/dev/null; then
	skip "uid 65534 may write $parent: delegated here"
fi

cd "$out" || fail "cd $out"
nobody "$CROWD" bench --rootless -n 3 --workload idle --out "$out/r" >"$out/o" 2>&1
rc=$?
cat "$out/o"
[ $rc = 0 ] || fail "rootless bench exited $rc"
n=$(grep -c 'no cgroups for this run' "$out/o")
[ "$n" = 1 ] || fail "the reason was said $n times, want once"
f=$out/r/samples.csv
[ "$(csv_col "$f" status | grep -c '^ok$')" = 3 ] || fail "not 3 ok rows"
[ "$(csv_col "$f" cgroup_bytes | grep -vc '^$')" = 0 ] || fail "cgroup_bytes filled without a cgroup"
[ "$(csv_col "$f" t_cgroup_ns | grep -vc '^$')" = 0 ] || fail "t_cgroup_ns filled without a cgroup"
[ "$(csv_col "$f" pss_bytes | awk '$1 > 0' | wc -l)" = 3 ] || fail "pss_bytes missing"

# httpd under load: the load generator reaches the containers' network namespaces, which
# their user namespaces own, through a forked child (harness/load/load.c socket_via_child).
nobody "$CROWD" bench --rootless -n 3 --workload httpd --duration 1s --out "$out/h" >"$out/o" 2>&1
rc=$?
tail -5 "$out/o"
[ $rc = 0 ] || fail "rootless httpd bench exited $rc"
[ "$(csv_col "$out/h/samples.csv" rps | awk '$1 > 0' | wc -l)" = 3 ] || fail "rps missing: $(grep -i 'load' "$out/o")"

nobody "$CROWD" bench --rootless -n 1 --workload idle --memory-max 64M --out "$out/r2" >"$out/o" 2>&1
rc=$?
cat "$out/o"
[ $rc = 2 ] || fail "--rootless --memory-max without delegation exited $rc, want 2"
grep -q 'delegated cgroup (' "$out/o" || fail "the refusal does not say why"
[ ! -e "$out/r2" ] || fail "a refused run made $out/r2"
assert_nothing_left
