#!/usr/bin/env bash
# fleet/ansible/crowd.yml for real: three "hosts" that are network namespaces made here, each
# with its own sshd on its own address (veth pairs, all traffic on this machine), root key auth
# with a key made here. ansible-playbook runs crowd bench on each over SSH (a small idle run,
# each with its own CROWD_CGROUP_TOP and remote folder: the hosts share this kernel and file
# system), fetches the results to <fleet>/<host>/ and merges them: the merged folder must hold
# every host's rows. A fourth host without sshd fails alone, the others go on. --check changes
# nothing. Everything (sshd processes, namespaces, veths, keys) is removed at the end.
# needs: root
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -x "$ROOTFS/bin/idle" ] || skip "rootfs without /bin/idle: run make"
command -v ansible-playbook >/dev/null || skip "ansible-playbook missing (Debian package ansible; scripts/deps.sh installs it)"
[ -x /usr/sbin/sshd ] || skip "sshd missing (Debian package openssh-server; scripts/deps.sh installs it)"
command -v ssh-keygen >/dev/null || skip "ssh-keygen missing (openssh-client)"
command -v ip >/dev/null || skip "ip missing (iproute2)"
command -v nsenter >/dev/null || skip "nsenter missing (util-linux)"
command -v python3 >/dev/null || skip "python3 missing"

T=$(mktemp -d /tmp/it_fleet.XXXXXX)
chmod 755 "$T"
N=3
ID=$(($$ % 10000))
NET="10.$((200 + $$ % 50)).$(($$ % 250))" # 10.x.y.{1..2N}: /31-like pairs below
PIDS=()
NSS=()
cleanup() {
	local p n
	# ansible's ssh connection masters, then the sessions and the sshd listeners started here
	for p in "$T"/cp/*; do
		[ -S "$p" ] && ssh -q -o ControlPath="$p" -O exit x 2>/dev/null
	done
	for p in "${PIDS[@]}"; do pkill -P "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for n in "${NSS[@]}"; do ip netns del "$n" 2>/dev/null; done
	for i in $(seq 1 $N); do ip link del "cf${ID}h$i" 2>/dev/null; done
	[ -z "${RM_RUN_SSHD:-}" ] || rmdir /run/sshd 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# the hosts: netns cf<ID>-<i>, veth cf<ID>h<i> (here) <-> eth0 (there), 10.x.y.(4i+1)/30 here,
# .(4i+2) there
ssh-keygen -q -t ed25519 -N '' -f "$T/id" || fail "ssh-keygen"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" || fail "ssh-keygen host key"
cp "$T/id.pub" "$T/authorized_keys"
[ -d /run/sshd ] || { mkdir -p /run/sshd && RM_RUN_SSHD=1; }
for i in $(seq 1 $N); do
	ns="cf${ID}-$i"
	ip netns add "$ns" || fail "ip netns add $ns"
	NSS+=("$ns")
	ip link add "cf${ID}h$i" type veth peer name eth0 netns "$ns" || fail "veth $i"
	ip addr add "$NET.$((4 * i + 1))/30" dev "cf${ID}h$i"
	ip link set "cf${ID}h$i" up
	ip -n "$ns" addr add "$NET.$((4 * i + 2))/30" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	cat >"$T/sshd_config.$i" <<CFG
ListenAddress $NET.$((4 * i + 2))
Port 22
HostKey $T/hostkey
PidFile $T/sshd.$i.pid
AuthorizedKeysFile $T/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
Subsystem sftp internal-sftp
CFG
	# nsenter, not ip netns exec: that one remounts /sys, hiding the cgroup file systems
	nsenter --net="/run/netns/$ns" /usr/sbin/sshd -D -e -f "$T/sshd_config.$i" 2>"$T/sshd.$i.log" &
	PIDS+=($!)
done
# a fourth host: an address on the last veth where nothing listens (connection refused)
cat >"$T/inventory.ini" <<INV
[crowd]
$(for i in $(seq 1 $N); do echo "host$i ansible_host=$NET.$((4 * i + 2)) crowd_remote_dir=$T/remote/host$i crowd_cgroup_top=crowd-test-$$-host$i"; done)
nosshd ansible_host=$NET.$((4 * N + 1)) ansible_port=2 crowd_remote_dir=$T/remote/nosshd crowd_cgroup_top=crowd-test-$$-nosshd

[crowd:vars]
ansible_user=root
ansible_python_interpreter=/usr/bin/python3
ansible_ssh_private_key_file=$T/id
ansible_ssh_common_args=-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5
INV
echo "hosts up: ${SECONDS}s"
for i in $(seq 1 $N); do # sshd up?
	for _ in $(seq 50); do
		ssh -q -i "$T/id" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
			-o BatchMode=yes -o ConnectTimeout=2 "root@$NET.$((4 * i + 2))" true && break
		sleep 0.1
	done || fail "sshd $i not reachable: $(cat "$T/sshd.$i.log")"
done

printf '[defaults]\n' >"$T/ansible.cfg"
export ANSIBLE_CONFIG="$T/ansible.cfg" ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_RETRY_FILES_ENABLED=False
export ANSIBLE_LOCAL_TEMP="$T/ansible-local" ANSIBLE_REMOTE_TEMP="$T/ansible-remote"
export ANSIBLE_ASYNC_DIR="$T/ansible-async" ANSIBLE_SSH_CONTROL_PATH_DIR="$T/cp"
export ANSIBLE_PIPELINING=True ANSIBLE_NOCOLOR=1 ANSIBLE_FORKS=5 ANSIBLE_DEPRECATION_WARNINGS=False
export ANSIBLE_HOME="$T/ansible-home" ANSIBLE_COLLECTIONS_PATH="$T/collections" ANSIBLE_GALAXY_CACHE_DIR="$T/galaxy"
PLAY="$TOP/fleet/ansible/crowd.yml"
FLEET="$T/fleet"

# check mode (on two hosts, to keep the test short): the hosts are reachable and can run crowd,
# nothing is copied or run
ansible-playbook -i "$T/inventory.ini" "$PLAY" --check --limit host1,nosshd -e crowd_fleet_dir="$FLEET" \
	-e '{"crowd_options": ["-n", "2", "--workload", "idle"]}' >"$T/check.log" 2>&1
rc=$?
echo "check mode: ${SECONDS}s"
[ "$rc" -eq 4 ] || fail "--check: exit $rc (want 4: the host without sshd is unreachable): $(tail -30 "$T/check.log")"
grep -Eq "^host1 +: ok=[0-9]+ .*failed=0" "$T/check.log" || fail "--check host1: $(tail -20 "$T/check.log")"
grep -Eq "^nosshd +: .*unreachable=1" "$T/check.log" || fail "--check nosshd: $(tail -20 "$T/check.log")"
[ ! -e "$T/remote" ] || fail "--check created $T/remote"
[ ! -e "$FLEET/host1" ] || fail "--check fetched results"

# the real run: three hosts deliver, one fails alone, the merge holds every delivered row
ansible-playbook -i "$T/inventory.ini" "$PLAY" -e crowd_fleet_dir="$FLEET" \
	-e '{"crowd_options": ["-n", "3", "--workload", "idle"]}' >"$T/run.log" 2>&1
rc=$?
echo "run: ${SECONDS}s"
[ "$rc" -eq 4 ] || fail "playbook: exit $rc (want 4: one host unreachable): $(tail -40 "$T/run.log")"
grep -Eq "^nosshd +: .*unreachable=1" "$T/run.log" || fail "nosshd not reported: $(tail -20 "$T/run.log")"
grep -q "no results from: nosshd (" "$T/run.log" || fail "no per-host failure report: $(cat "$T/run.log")"
for i in $(seq 1 $N); do
	grep -Eq "^host$i +: ok=[0-9]+ .*failed=0" "$T/run.log" || fail "host$i: $(tail -20 "$T/run.log")"
	[ -f "$FLEET/host$i/samples.csv" ] || fail "no $FLEET/host$i/samples.csv"
	[ "$(csv_col "$FLEET/host$i/samples.csv" host | sort -u)" = "host$i" ] || fail "host$i rows' host"
done
[ -f "$FLEET/merged/samples.csv" ] || fail "no merged folder: $(tail -30 "$T/run.log")"
for i in $(seq 1 $N); do
	[ "$(csv_col "$FLEET/merged/samples.csv" host | grep -c "^host$i\$")" = 3 ] ||
		fail "merged: host$i rows: $(csv_col "$FLEET/merged/samples.csv" host status | sort | uniq -c)"
done
[ "$(csv_col "$FLEET/merged/samples.csv" run_id | sort -u | wc -l)" = "$N" ] || fail "merged: run ids"
[ "$(csv_col "$FLEET/merged/samples.csv" status | sort -u)" = ok ] || fail "merged: rows not ok"
if command -v promtool >/dev/null; then
	promtool check metrics <"$FLEET/merged.prom" || fail "promtool: merged.prom"
	promtool check metrics <"$T/remote/host1/crowd.prom" || fail "promtool: host1 crowd.prom"
else
	skip_part promtool "promtool missing (Debian package prometheus)"
fi
for i in $(seq 1 $N); do
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "crowd-test-$$-host$i" 2>/dev/null)" ] ||
		fail "host$i left cgroups"
done
assert_nothing_left
