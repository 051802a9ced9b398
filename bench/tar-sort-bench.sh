#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# tar-sort-bench.sh - mkfs.erofs --tar=f with --sort=path against
# --sort=none on one generated ~1 GB layer (not part of the test suite):
# peak RSS (GNU time), peak temporary bytes (the unlinked spool, sampled
# every 0.1 s through /proc/PID/fd, allocated size) and wall/CPU time.
#
#   bench/tar-sort-bench.sh [--outdir DIR] [--ishare] [--keep]
#
# The layer: one 400 MiB file, forty 10 MiB files and 20000 small files
# (1..9000 bytes) of random data, pax format (about 965 MB).  Options as
# containerd's differ: --tar=f --quiet -Enoinline_data -T0 --mkfs-time -U,
# the tar on standard input; --ishare adds --ishare_key (fingerprints).
# Both images must pass our fsck and mount to the same tree.
#
# Measured on the 2-CPU build VM (ext4, Linux 6.18), 5 Dec 2026 (wall
# times on this VM vary by 2x from run to run with writeback):
#                 peak RSS  peak temp  wall        CPU (user+sys)
#   --sort=path   18 MB     929 MB     9.9-10.8 s  2.5-4.0 s
#   --sort=none   18 MB     0          2.1-3.2 s   0.8-1.0 s
#   with --ishare:
#   --sort=path   22 MB     929 MB     5.5 s       2.3 s
#   --sort=none   22 MB     0          4.8 s       1.5 s
# Memory is the tree (about 1 KB per entry) either way; the spool of
# --sort=path is the whole archive's file data, --sort=none has none (and
# writes each byte once instead of twice: spool, then image).
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
MKFS=${MKFS:-$REPO/build/mkfs/mkfs.erofs}
FSCK=${FSCK:-$REPO/build/fsck/fsck.erofs}
OUT=/tmp/erofs-tar-sort-bench
keep=0 extra=
while [ $# -gt 0 ]; do
	case $1 in
	--outdir) OUT=$2; shift ;;
	--ishare) extra=--ishare_key=trusted.erofs.fingerprint ;;
	--keep) keep=1 ;;
	*) echo "usage: $0 [--outdir DIR] [--ishare] [--keep]" >&2; exit 2 ;;
	esac
	shift
done
mkdir -p "$OUT"
cd "$OUT"
if [ ! -f layer.tar ]; then
	rm -rf src && mkdir -p src/big src/small
	head -c 400M /dev/urandom >src/big/one
	for i in $(seq 1 40); do head -c 10M /dev/urandom >src/big/f$i; done
	for i in $(seq 1 20000); do
		head -c $((i * 37 % 9000 + 1)) /dev/urandom >src/small/s$i
	done
	tar --format=pax -C src -cf layer.tar .
	rm -rf src
fi
echo "layer.tar: $(stat -c %s layer.tar) bytes"
for mode in path none; do
	rm -rf "tmp.$mode" && mkdir "tmp.$mode"
	sync
	# shellcheck disable=SC2086
	TMPDIR=$OUT/tmp.$mode /usr/bin/time -v "$MKFS" --tar=f --quiet \
		-Enoinline_data -T0 --mkfs-time --sort=$mode $extra \
		-U 01234567-89ab-cdef-0123-456789abcdef "img.$mode" \
		<layer.tar 2>"time.$mode" &
	tp=$!
	peak=0 pid=
	while kill -0 $tp 2>/dev/null; do
		[ -n "$pid" ] || pid=$(pgrep -P $tp | head -n 1) || true
		for fd in /proc/${pid:-0}/fd/*; do
			l=$(readlink "$fd" 2>/dev/null) || continue
			case $l in
			"$OUT/tmp.$mode"/*)
				s=$(($(stat -L -c %b "$fd" 2>/dev/null || echo 0) * 512))
				[ "$s" -gt "$peak" ] && peak=$s ;;
			esac
		done
		sleep 0.1
	done
	wait $tp
	echo "--sort=$mode: peak temp $peak bytes, image $(stat -c %s "img.$mode") bytes"
	grep -E "Maximum resident|Elapsed|User time|System time" "time.$mode"
	"$FSCK" "img.$mode" >/dev/null
done
mkdir -p m1 m2
mount -o loop,ro img.none m1
if mount -o loop,ro img.path m2; then
	diff -r m1 m2 >/dev/null && echo "same tree" || echo "TREES DIFFER"
	umount m2
fi
umount m1
[ $keep = 1 ] || rm -rf "$OUT"
