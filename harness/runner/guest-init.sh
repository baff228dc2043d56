#!/bin/busybox sh
# /init of an mph guest (built into the initramfs by harness/vm.c). Mounts what mph
# needs, loads the run's kernel modules, sets up swap, runs the scenario with the same
# `mph run` as on a host, writing into the host's 9p share, and powers off.
# The host trusts the run only when it sees MPH-GUEST-DONE on the serial console and
# qemu exited 0; a setup failure prints MPH-GUEST-FAIL and exits through isa-debug-exit.
# Settings arrive as kernel command-line words: mph_repeat, mph_cgroup, mph_swap (none,
# disk, zram:BYTES), mph_disk (none, ext4: the scratch disk, mounted at /var/tmp where
# the pagecache workload's files go). The scenario is /mph/scenario.ini.

/bin/busybox mkdir -p /bin /proc /sys /dev /run /tmp /host
/bin/busybox --install -s /bin
export PATH=/bin

# /dev/vdX of the virtio disk whose serial the host set (qemu -device ...,serial=NAME)
disk_by_serial() {
	for b in /sys/block/vd*; do
		[ "$(cat "$b/serial" 2>/dev/null)" = "$1" ] && echo "/dev/${b##*/}" && return 0
	done
	return 1
}

fail() {
	echo "MPH-GUEST-FAIL: $*"
	# isa-debug-exit at port 0xf4: qemu exits with status (1 << 1) | 1 = 3
	printf '\001' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	poweroff -f
}

mount -t proc proc /proc || fail "cannot mount /proc"
mount -t sysfs sysfs /sys || fail "cannot mount /sys"
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /run/lock /var/lib/mph /tmp
mount -t tmpfs tmpfs /run && mkdir -p /run/lock
# /dev/shm is a tmpfs on every distribution: shm workloads (backing = tmpfs) need one
mkdir -p /dev/shm && mount -t tmpfs -o mode=1777 tmpfs /dev/shm || fail "cannot mount /dev/shm"

if [ -s /modules/order ]; then
	for m in $(cat /modules/order); do
		insmod "/modules/$m" || fail "insmod $m"
	done
fi
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 host /host || fail "cannot mount the host's share (9p)"

# the scratch disk: a real block device, so its files' pages are page cache (the root
# is RAM, the share 9p)
if [ "$mph_disk" = ext4 ]; then
	scratch=$(disk_by_serial mph-scratch) || fail "no scratch disk (virtio serial mph-scratch)"
	mount -t ext4 "$scratch" /var/tmp || fail "cannot mount the scratch disk $scratch (ext4) at /var/tmp"
fi

case "$mph_cgroup" in
v1)
	mount -t tmpfs cgroup /sys/fs/cgroup && mkdir /sys/fs/cgroup/memory &&
		mount -t cgroup -o memory memory /sys/fs/cgroup/memory ||
		fail "cannot mount the cgroup v1 memory controller (this kernel may lack it)"
	;;
*)
	mount -t cgroup2 cgroup2 /sys/fs/cgroup && echo +memory >/sys/fs/cgroup/cgroup.subtree_control ||
		fail "cannot enable the memory controller on cgroup2"
	;;
esac

case "$mph_swap" in
disk)
	sw=$(disk_by_serial mph-swap) || fail "no swap disk (virtio serial mph-swap)"
	mkswap "$sw" >/dev/null && swapon "$sw" || fail "cannot swap on $sw"
	;;
zram:*)
	echo "${mph_swap#zram:}" >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null &&
		swapon /dev/zram0 || fail "cannot swap on zram"
	;;
esac

echo "MPH-GUEST-BOOTED uptime $(cut -d' ' -f1 /proc/uptime)"
/mph/mph run --run-dir /host --repeat "$mph_repeat" --state-dir /var/lib/mph /mph/scenario.ini
rc=$?
sync
umount /host
echo "MPH-GUEST-DONE rc=$rc"
poweroff -f
