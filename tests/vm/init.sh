#!/bin/sh
# /init of the cgroup v2 test VM (scripts/v2vm.sh). Stage 1 (on the initramfs): copy
# everything to a tmpfs and switch_root there, because pivot_root, which crowd's core uses,
# cannot leave the initramfs. Stage 2: mount proc, sysfs, devtmpfs and ONLY cgroup2 at
# /sys/fs/cgroup (the kernel runs with cgroup_no_v1=all), enable the controllers in the
# subtree, run tests/vm/guest.sh, power off.
PATH=/bin
export PATH
if [ "$$" = 1 ] && [ ! -e /.stage2 ]; then
	/bin/busybox mount -t tmpfs -o mode=0755 tmpfs /newroot
	/bin/busybox cp -a /bin /crowd /etc /lib* /usr /newroot/ 2>/dev/null
	/bin/busybox mkdir -p /newroot/proc /newroot/sys /newroot/dev /newroot/tmp /newroot/run
	/bin/busybox cp /init /newroot/init
	: >/newroot/.stage2
	exec /bin/busybox switch_root /newroot /init
fi
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
echo "+memory +pids +cpu +cpuset +io" >/sys/fs/cgroup/cgroup.subtree_control
ip link set lo up 2>/dev/null
echo "CROWD-V2-BOOT $(uname -r) uptime $(cut -d' ' -f1 /proc/uptime)s cgroup2: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
sh /crowd/tests/vm/guest.sh </dev/null 2>&1
sync
poweroff -f
