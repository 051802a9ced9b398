#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# make-fields-seeds.sh - how the seeds of tests/fuzz/corpus-fields were
# made: a small tree (text that compresses, a random file, a hard link, a
# symlink, a fifo, a device, xattrs in several namespaces) as images of our
# mkfs in every layout and of erofs-utils 1.9 (sid chroot, when there),
# each wrapped as a "seed + field edits" input with no edits (fuzz_fields.c).
#
#   make-fields-seeds.sh BUILDDIR OUTDIR     (run as root: mknod, trusted.)
set -eu
B=$1 OUT=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
S=$W/src
mkdir -p "$S/d/e" "$W/img" "$OUT"
seq 1 1500 >"$S/d/nums"
i=0
while [ $i -lt 150 ]; do
	i=$((i + 1))
	echo "line $i of a text that compresses well enough"
done >"$S/text"
seq 1 800 | sed 's/^/tail /' >"$S/tailfile"
printf 'short\n' >"$S/d/e/tiny"
: >"$S/empty"
ln -s d/nums "$S/link"
ln "$S/text" "$S/d/hard"
mkfifo "$S/d/fifo"
mknod "$S/d/chr" c 1 3
# fixed "random" bytes: the seeds must not change from run to run
awk 'BEGIN { srand(7); for (i = 0; i < 3000; i++) printf "%c", int(rand() * 255) + 1 }' \
	>"$S/d/rand"
cp "$S/text" "$S/d/e/copy"
setfattr -n user.a -v hello "$S/text"
setfattr -n trusted.t -v "$(seq 1 40 | tr -d '\n')" "$S/d/nums"
setfattr -n user.b -v x "$S/d"
setfattr -n security.selinux -v system_u:object_r:etc_t:s0 "$S/d/e/tiny"
touch -d @1700000000 $(find "$S")
ours() {
	n=$1
	shift
	"$B/mkfs/mkfs.erofs" --quiet -T0 -Uclear "$@" "$W/img/ours-$n.img" "$S" >/dev/null
}
ours plain
ours plain512 -b512
ours z1k -b1024 -zlz4
ours lz4 -zlz4hc
ours lz4full -zlz4hc -Elegacy-compress
ours lz4big -zlz4hc -C16384
ours lzma -zlzma -Eztailpacking
ours zstd -zzstd
ours deflate -zdeflate
ours frag -zlz4hc -Efragments,dedupe
ours allfrag -zlz4hc -Eall-fragments
ours zD -zlz4hc --zD
ours chunk --chunksize=4096
ours chunkidx --chunksize=8192 -Eforce-chunk-indexes
ours b48 -E48bit -zlz4hc
ours prefix --xattr-prefix=user. --xattr-prefix=trusted.
ours fp --ishare_key=trusted.erofs.fingerprint
CHROOT=${SID_CHROOT:-/var/cache/erofs-tools/sid-chroot}
if [ -f "$CHROOT/.erofs-tools-ready" ]; then
	sid() {
		n=$1
		shift
		"$CHROOT/lib64/ld-linux-x86-64.so.2" --library-path \
			"$CHROOT/lib/x86_64-linux-gnu:$CHROOT/usr/lib/x86_64-linux-gnu" \
			"$CHROOT/usr/bin/mkfs.erofs" --quiet -T0 -Uclear "$@" \
			"$W/img/sid-$n.img" "$S" >/dev/null
	}
	sid plain
	sid lz4 -zlz4hc
	sid allfrag -zlz4hc -Eall-fragments,dedupe
	sid b48 -E48bit -zlz4hc
	sid lzma -zlzma -Eztailpacking
fi
for f in "$W"/img/*.img; do
	{ printf 'EFE1\0'; cat "$f"; } >"$OUT/$(basename "$f" .img)"
done
