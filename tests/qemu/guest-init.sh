#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# /init of the QEMU test guest (busybox-static initramfs).  Loads the two
# modules the kernel keeps outside its image (virtio_blk, erofs), then runs
# /cases.sh, which the host appends to the initramfs for each run, and
# powers off.  Everything meant for the host is printed on the serial console
# as lines starting with "@@ " (key=value words), so that the host can pick
# them out of the kernel's own messages.
mount -t devtmpfs dev /dev 2>/dev/null
# the initramfs has no /dev/console node before devtmpfs is mounted
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
dmesg -n 1		# keep kernel messages off the console; read them with dmesg
echo "@@ init-start kernel=$(uname -r)"
for m in virtio_blk erofs; do
	insmod /lib/modules/$m.ko || echo "@@ error insmod $m"
done
# wait for the virtio disks to appear
n=0
while [ ! -b /dev/vda ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done

# cached_kb: page cache and block device cache, in KiB, from /proc/meminfo
cached_kb() {
	awk '/^Cached:/ { c = $2 } /^Buffers:/ { b = $2 } END { print c, b }' /proc/meminfo
}

drop_caches() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
}

# read_tree DIR [cat]: read every file, as a workload that touches all data
# would.  dd uses read(2), which the kernel serves from the shared inode.
# busybox cat copies with sendfile(2), i.e. splice, which (in 7.2) fills the
# page cache of the image's own inode instead: "cat" measures that path.
read_tree() {
	if [ "${2:-}" = cat ]; then
		find "$1" -type f -exec cat {} + > /dev/null
		return
	fi
	find "$1" -type f | while IFS= read -r f; do
		dd if="$f" of=/dev/null bs=1M 2>/dev/null
	done
}

# report_dmesg CASE: the kernel's EROFS lines since the last call
report_dmesg() {
	dmesg -c 2>/dev/null | grep -i erofs | while IFS= read -r l; do
		echo "@@ dmesg case=$1 $l"
	done
}

# measure CASE DEV_A OPTS_A DEV_B OPTS_B [cat]: mount A (mount options
# OPTS_A, which include "ro") and read it, then
# mount B and read it (A stays mounted, as two running containers would), and
# print how much Cached: and Buffers: grew in each step.
measure() {
	name=$1 how=${6:-dd}
	set -- "$1" "$2" "$3" "$4" "$5"
	umount /mnt/a /mnt/b 2>/dev/null
	drop_caches
	dmesg -c > /dev/null
	# shellcheck disable=SC2046 # cached_kb prints two words
	set -- "$@" $(cached_kb)
	c0=$6 b0=$7
	if ! mount -t erofs -o "$3" "$2" /mnt/a; then
		echo "@@ result case=$name status=mount-a-failed"
		report_dmesg "$name"
		return
	fi
	read_tree /mnt/a $how
	# shellcheck disable=SC2046 # cached_kb prints two words
	set -- "$@" $(cached_kb)
	c1=$8 b1=$9
	if ! mount -t erofs -o "$5" "$4" /mnt/b; then
		echo "@@ result case=$name status=mount-b-failed"
		umount /mnt/a
		report_dmesg "$name"
		return
	fi
	read_tree /mnt/b $how
	# shellcheck disable=SC2046 # cached_kb prints two words
	set -- "$@" $(cached_kb)
	c2=${10} b2=${11}
	echo "@@ result case=$name status=ok a_cached_kb=$((c1 - c0)) a_buffers_kb=$((b1 - b0)) b_cached_kb=$((c2 - c1)) b_buffers_kb=$((b2 - b1))"
	report_dmesg "$name"
	umount /mnt/b
	umount /mnt/a
	drop_caches
}

# try_mount CASE DEV OPTS: only whether the mount (options OPTS) is accepted
try_mount() {
	umount /mnt/a 2>/dev/null
	dmesg -c > /dev/null
	if err=$(mount -t erofs -o "$3" "$2" /mnt/a 2>&1); then
		echo "@@ result case=$1 status=mounted"
		umount /mnt/a
	else
		echo "@@ result case=$1 status=refused err=$(echo "$err" | tr ' ' '_')"
	fi
	report_dmesg "$1"
}

mkdir -p /mnt/a /mnt/b
if [ -f /cases.sh ]; then
	. /cases.sh
else
	echo "@@ error no /cases.sh"
fi
echo "@@ done"
sync
poweroff -f
