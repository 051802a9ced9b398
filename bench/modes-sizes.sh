#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# modes-sizes.sh - image (and blob) sizes of the modes that keep data
# elsewhere or extend an image, ours against erofs-utils 1.9 (the sid
# chroot) with the same command lines, on the rootfs pair of
# bench/rootfs-pair.sh: v1 as a tar for --tar=i, --tar=i,MAPFILE,
# --clean=rvsp and --chunksize/--blobdev; v1 and the v1->v2 layer
# (bench/layer-diff.py) merged as images; and v1's image extended by that
# layer with --incremental.  Each of our results is checked by our fsck.
#
#   bench/modes-sizes.sh [PAIR_DIR]   (default /var/cache/erofs-tools/rootfs-pair)
#
# Not part of the suite.  Prints a table: mode, ours, erofs-utils', ratio.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
PAIR=${1:-/var/cache/erofs-tools/rootfs-pair}
B=${BUILD:-$TOP/build}
MKFS=$B/mkfs/mkfs.erofs
FSCK=$B/fsck/fsck.erofs
SID=/var/cache/erofs-tools/sid-chroot
[ -d "$PAIR/v1" ] && [ -d "$PAIR/v2" ] || { echo "no pair in $PAIR: run bench/rootfs-pair.sh" >&2; exit 2; }
W=$(mktemp -d /var/tmp/modes-sizes.XXXXXX)
trap 'rm -rf "$W"' EXIT
sidrun() { "$TOP/scripts/sid-chroot.sh" run --bind "$W" --bind "$PAIR" -- "$@" >"$W/sid.log" 2>&1; }
size() { stat -c %s "$1"; }
row() { awk -v m="$1" -v a="$2" -v b="$3" 'BEGIN { printf "| %s | %d | %d | %.3f |\n", m, a, b, a / b }'; }
check() { "$FSCK" "$@" >"$W/fsck.log" 2>&1 || { echo "our fsck fails on $*: $(tail -n 1 "$W/fsck.log")" >&2; exit 1; }; }

tar --numeric-owner -C "$PAIR/v1" -cf "$W/v1.tar" .
python3 "$TOP/bench/layer-diff.py" "$PAIR/v1" "$PAIR/v2" "$W/layer.tar"

echo "| mode | ours (bytes) | erofs-utils 1.9 | ratio |"
echo "|---|---|---|---|"
# --tar=i: the index (the tar is the device)
"$MKFS" --quiet -T0 --tar=i "$W/o.img" "$W/v1.tar"; check --device="$W/v1.tar" "$W/o.img"
sidrun mkfs.erofs --quiet -T0 --tar=i "$W/e.img" "$W/v1.tar"
row "--tar=i (index)" "$(size "$W/o.img")" "$(size "$W/e.img")"
# --tar=i,MAPFILE: blocks reserved in the image
"$MKFS" --quiet -T0 --tar=i,"$W/o.map" "$W/o.img" "$W/v1.tar"; check "$W/o.img"
sidrun mkfs.erofs --quiet -T0 --tar=i,"$W/e.map" "$W/e.img" "$W/v1.tar"
row "--tar=i,MAPFILE (image)" "$(size "$W/o.img")" "$(size "$W/e.img")"
row "--tar=i,MAPFILE (list lines)" "$(wc -l <"$W/o.map")" "$(wc -l <"$W/e.map")"
# --clean=rvsp
"$MKFS" --quiet -T0 --clean=rvsp --tar=f "$W/o.img" "$W/v1.tar"; check "$W/o.img"
sidrun mkfs.erofs --quiet -T0 --clean=rvsp --tar=f "$W/e.img" "$W/v1.tar"
row "--tar=f --clean=rvsp" "$(size "$W/o.img")" "$(size "$W/e.img")"
# chunk dedupe into a blob
"$MKFS" --quiet -T0 --chunksize=4096 --blobdev="$W/o.blob" "$W/o.img" "$PAIR/v1"
check --device="$W/o.blob" "$W/o.img"
sidrun mkfs.erofs --quiet -T0 --chunksize=4096 --blobdev="$W/e.blob" "$W/e.img" "$PAIR/v1"
row "--chunksize=4096 --blobdev (image)" "$(size "$W/o.img")" "$(size "$W/e.img")"
row "--chunksize=4096 --blobdev (blob)" "$(size "$W/o.blob")" "$(size "$W/e.blob")"
# two layers merged (the sources built with -Enoinline_data, as containerd)
"$MKFS" --quiet -T0 -Enoinline_data "$W/l1.img" "$PAIR/v1"
"$MKFS" --quiet -T0 -Enoinline_data --tar=f --aufs "$W/l2.img" "$W/layer.tar"
"$MKFS" --quiet -T0 --aufs --ovlfs-strip=1 "$W/o.img" "$W/l1.img" "$W/l2.img"
check --device="$W/l1.img" --device="$W/l2.img" "$W/o.img"
sidrun mkfs.erofs --quiet -T0 --aufs --ovlfs-strip=1 "$W/e.img" "$W/l1.img" "$W/l2.img"
row "merge of v1 and the layer (metadata)" "$(size "$W/o.img")" "$(size "$W/e.img")"
# --incremental: v1's image extended by the layer, -zlz4hc
# (no -T0 here: it would clamp v1's mtimes, which v2 then differs from)
"$MKFS" --quiet -zlz4hc "$W/o.img" "$PAIR/v1"
sidrun mkfs.erofs --quiet -zlz4hc "$W/e.img" "$PAIR/v1"
row "-zlz4hc v1 (before the layer)" "$(size "$W/o.img")" "$(size "$W/e.img")"
"$MKFS" --quiet -zlz4hc --incremental --aufs --ovlfs-strip --tar=f "$W/o.img" "$W/layer.tar"
check "$W/o.img"
sidrun mkfs.erofs --quiet -zlz4hc --incremental=data --aufs --ovlfs-strip --tar=f "$W/e.img" "$W/layer.tar"
row "-zlz4hc v1 + layer (--incremental)" "$(size "$W/o.img")" "$(size "$W/e.img")"
"$FSCK" --extract="$W/x" "$W/o.img" >/dev/null 2>&1
if "$B/tests/tools/treedigest" --ignore root,mtime-nsec "$PAIR/v2" >"$W/a" &&
   "$B/tests/tools/treedigest" --ignore root,mtime-nsec "$W/x" >"$W/b" && cmp -s "$W/a" "$W/b"; then
	echo "(our --incremental image extracts equal to v2)"
else
	echo "(our --incremental image does NOT extract equal to v2)"
fi
rm -rf "$W/x"
"$MKFS" --quiet -T0 -zlz4hc "$W/full.img" "$PAIR/v2"
echo "(a full -zlz4hc build of v2: $(size "$W/full.img") bytes; layer tar: $(size "$W/layer.tar") bytes)"
