#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# fuse-bench.sh - reading a mounted image through our erofsfuse, through
# erofs-utils 1.9's erofsfuse (Debian sid's package, in the sid chroot) and
# through the kernel's erofs, on the same image: wall time, medians of
# alternating runs (ours, theirs, kernel, ours, ...), as ratios.
# Not part of the test suite: timings are never tested, only measured.
#
#   bench/fuse-bench.sh [--src DIR] [--runs N] [--keep] [--outdir DIR]
#
# --src DIR   the tree (default: the sid chroot itself, a Debian minbase
#             root file system)
# --runs N    runs of each reader per row (default 5)
# Rows, for an uncompressed and a -zlz4hc image of the tree (built once by
# our mkfs): "tar" is `tar c` of the whole mount into a pipe (one reader:
# every file's data, attributes and xattrs), "cat -P4" reads every
# regular file with four parallel readers (xargs -P4), which is where a
# multi-threaded daemon can help.  Each run mounts afresh, so the mount's
# page cache starts cold; the image file itself stays in the host's page
# cache (read once first), so the rows measure the readers, not the disk.
# Needs root (kernel mount), GNU time, erofsfuse built (configure found
# libfuse3) and the sid chroot with erofsfuse (installed on demand).
set -u

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build}
MKFS=${MKFS:-$BUILD/mkfs/mkfs.erofs}
OURS=${EROFSFUSE:-$BUILD/fuse/erofsfuse}
SID_CHROOT=${SID_CHROOT:-/var/cache/erofs-tools/sid-chroot}
GNU_TIME=/usr/bin/time

src="" runs=5 keep=0 outdir=""
while [ $# -gt 0 ]; do
	case $1 in
	--src) src=$2; shift ;;
	--runs) runs=$2; shift ;;
	--keep) keep=1 ;;
	--outdir) outdir=$2; shift ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "fuse-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

die() { echo "fuse-bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (the kernel mount)"
[ -x "$GNU_TIME" ] || die "needs GNU time ($GNU_TIME; apt-get install time)"
[ -x "$MKFS" ] && [ -x "$OURS" ] || die "mkfs.erofs or erofsfuse not built in $BUILD"
[ -f "$SID_CHROOT/.erofs-tools-ready" ] ||
	die "no sid chroot at $SID_CHROOT (scripts/sid-chroot.sh setup)"
if [ ! -x "$SID_CHROOT/usr/bin/erofsfuse" ]; then
	"$REPO/scripts/sid-chroot.sh" run -- sh -c \
		'DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false install -y -q erofsfuse' \
		>/dev/null 2>&1 || die "cannot install erofsfuse in the sid chroot"
fi
src=${src:-$SID_CHROOT}
src=$(cd "$src" && pwd) || die "no directory $src"
if [ -z "$outdir" ]; then
	outdir=$(mktemp -d /tmp/erofs-fuse-bench.XXXXXX)
	[ "$keep" = 1 ] || trap 'cleanup; rm -rf "$outdir"' EXIT
else
	trap cleanup EXIT
fi
mkdir -p "$outdir/mnt"
MNT=$outdir/mnt

# erofs-utils' erofsfuse through the chroot's loader and libraries
LD=$(ls "$SID_CHROOT"/lib64/ld-linux-x86-64.so.2 2>/dev/null)
[ -n "$LD" ] || die "no dynamic loader in $SID_CHROOT"
THEIRS="$LD --library-path $SID_CHROOT/lib/x86_64-linux-gnu:$SID_CHROOT/usr/lib/x86_64-linux-gnu $SID_CHROOT/usr/bin/erofsfuse"

cleanup() {
	mountpoint -q "$MNT" 2>/dev/null && umount "$MNT" 2>/dev/null
	return 0
}

# do_mount READER IMG: mount IMG on $MNT the reader's way
# (erofs-utils' prints its version on standard output)
do_mount() {
	# shellcheck disable=SC2086
	case $1 in
	ours) "$OURS" "$2" "$MNT" ;;
	theirs) $THEIRS "$2" "$MNT" >/dev/null 2>&1 ;;
	kernel) mount -t erofs -o loop,ro "$2" "$MNT" ;;
	esac || die "$1: cannot mount $2"
	i=0
	while ! mountpoint -q "$MNT"; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "$1: no mount of $2"
		sleep 0.05
	done
}

# do_umount: unmount, and wait for a FUSE daemon to go
do_umount() {
	umount "$MNT" || die "cannot unmount $MNT"
	i=0
	while pgrep -f "erofsfuse .*$MNT" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "a daemon still runs after unmounting $MNT"
		sleep 0.05
	done
}

# what one run times, a script of its own so that GNU time measures it
# whole: workload.sh ROW MNT
cat >"$outdir/workload.sh" <<'EOF'
case $1 in
tar) tar -C "$2" -cf - . | cat >/dev/null ;;
cat-P4) find "$2" -type f -print0 | xargs -0 -r -n 32 -P 4 cat >/dev/null ;;
esac
EOF

# one_run READER IMG ROW: seconds of wall time of one fresh-mount run
one_run() {
	do_mount "$1" "$2"
	"$GNU_TIME" -f %e -o "$outdir/t" sh "$outdir/workload.sh" "$3" "$MNT" \
		>/dev/null 2>"$outdir/err" || die "$1 $3: $(tail -n 1 "$outdir/err")"
	do_umount
	tail -n 1 "$outdir/t"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "fuse-bench: tree $src, $runs runs per reader and row" >&2
printf '| image | workload | ours (s) | erofs-utils (s) | kernel (s) | ours/erofs-utils | ours/kernel |\n'
printf '|---|---|---|---|---|---|---|\n'
for layout in plain lz4hc; do
	img=$outdir/$layout.img
	opts=
	[ "$layout" = lz4hc ] && opts=-zlz4hc
	# shellcheck disable=SC2086
	"$MKFS" --quiet $opts "$img" "$src" >/dev/null 2>&1 || die "mkfs $opts failed"
	cat "$img" >/dev/null
	for row in tar cat-P4; do
		: >"$outdir/ours" ; : >"$outdir/theirs" ; : >"$outdir/kernel"
		r=0
		while [ $r -lt "$runs" ]; do
			for reader in ours theirs kernel; do
				one_run $reader "$img" $row >>"$outdir/$reader"
			done
			r=$((r + 1))
		done
		o=$(median <"$outdir/ours") t=$(median <"$outdir/theirs") k=$(median <"$outdir/kernel")
		awk -v l="$layout" -v w="$row" -v o="$o" -v t="$t" -v k="$k" 'BEGIN {
			printf "| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f |\n", l, w, o, t, k,
				(t > 0 ? o / t : 0), (k > 0 ? o / k : 0) }'
	done
done
