#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t082-tar-index - tar index images written by our mkfs (--tar=i): the
# file data stays in the tar, which is extra device 1, in 512-byte blocks.
# Tars in GNU, pax and sparse (-S, GNU and pax 1.0) form, from a file and
# from standard input; each image is checked by our fsck (without the tar:
# exit 8 and one missing-device line; with it: --extract equals the
# source), erofsfuse, the kernel (device= a loop of the tar) and
# erofs-utils 1.9's fsck.  containerd's enable_tar_index layer is built as
# containerd builds it (its exact options, the tar on standard input, then
# appended to the index) and mounts without any device.  Fingerprints are
# the content's.  Sizes and the device's block count match erofs-utils'
# for the same tar.  A 2 TiB sparse tar puts a file past 2^32 records:
# refused without -E 48bit, and with it 48-bit chunk indexes that the
# kernel and erofsfuse follow.  --tar=headerball (headers only) gives the tree with
# zero-filled files.  -z compresses nothing of an index (its files' data is
# the tar's).  A compressed tar, a truncated tar and index mode with
# --chunksize are refused, leaving no image.  (Block lists, ",MAPFILE":
# t086.)
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs
sid_setup

S=$T_TMP/src
tar_tree "$S"
ln -s "$(printf 'x%.0s' $(seq 1 300))" "$S/longlink"
long=$(printf 'n%.0s' $(seq 1 200))
gen_noise 777 4 >"$S/sub/$long"
setfattr -n trusted.overlay.opaque -v y "$S/sub"
touch -d '2020-02-02 02:02:02' "$S/sub"

sid() { "$CHROOT_SH" run --bind "$T_TMP" -- "$@" >"$T_TMP/sid.log" 2>&1; }
size() { stat -c %s "$1"; }
# devblocks IMG: device 1's block count as dump -s shows it
devblocks() { "$DUMP" -s "$1" | sed -n 's/.*device 1: blocks \([0-9]*\).*/\1/p'; }

tar_of() {	# tar_of OUT [tar options]: the source tree as a tar
	_o=$1
	shift
	tar --numeric-owner --sort=name "$@" -C "$S" -cf "$_o" . ||
		fail "tar $*" "cannot make the tar"
}
# GNU format cannot hold xattrs; pax can
XA="--xattrs --xattrs-include=*"
tar_of "$T_TMP/gnu.tar" --format=gnu
tar_of "$T_TMP/pax.tar" --format=pax $XA
tar_of "$T_TMP/sparse.tar" --format=gnu -S
tar_of "$T_TMP/pax-sparse.tar" --format=pax -S --sparse-version=1.0 $XA

for t in gnu pax sparse pax-sparse; do
	name="tar=i $t"
	case $t in
	pax*)	XD= ;;
	*)	XD="--ignore xattrs" ;;	# treedigest: the tar has none
	esac
	if ! "$MKFS" --quiet -T0 --mkfs-time -U clear --tar=i "$T_TMP/$t.img" "$T_TMP/$t.tar" \
		>"$T_TMP/mkfs.log" 2>&1; then
		fail "$name mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
		continue
	fi
	if "$DUMP" -s "$T_TMP/$t.img" | grep -q 'blocksize: *512$'; then
		pass "$name: 512-byte blocks"
	else
		fail "$name: 512-byte blocks" "$("$DUMP" -s "$T_TMP/$t.img" | grep blocksize)"
	fi
	MULTIDEV_DIGEST_OPTS=$XD multidev_check "$name" "$S" "$T_TMP/$t.img" "$T_TMP/$t.tar"
	[ "$have_sid" = 1 ] || continue
	sid_extract "$name" "$S" "$T_TMP/$t.img" "$T_TMP/$t.tar"
	case $t in
	*sparse)	# erofs-utils 1.9 leaves sparse entries out: nothing to compare
		continue ;;
	esac
	if sid mkfs.erofs --quiet -T0 --mkfs-time -U clear --tar=i "$T_TMP/e$t.img" "$T_TMP/$t.tar"; then
		no_larger "$name image" "$(size "$T_TMP/$t.img")" "$(size "$T_TMP/e$t.img")"
		ours=$(devblocks "$T_TMP/$t.img") theirs=$(devblocks "$T_TMP/e$t.img")
		if [ -n "$ours" ] && [ "$ours" = "$theirs" ]; then
			pass "$name: the tar device has erofs-utils' block count ($ours)"
		else
			fail "$name: the tar device has erofs-utils' block count" "$ours vs $theirs"
		fi
	else
		fail "$name erofs-utils mkfs" "$(tail -n 1 "$T_TMP/sid.log")"
	fi
done

# the same index from standard input, whatever -b says (as erofs-utils)
if "$MKFS" --quiet -T0 --mkfs-time -U clear --tar=i -b4096 "$T_TMP/stdin.img" \
	<"$T_TMP/pax.tar" >"$T_TMP/mkfs.log" 2>&1 &&
   cmp -s "$T_TMP/stdin.img" "$T_TMP/pax.img"; then
	pass "tar=i from standard input, -b4096 overridden: the same bytes"
else
	fail "tar=i from standard input, -b4096 overridden: the same bytes" \
		"$(head -n 1 "$T_TMP/mkfs.log")"
fi

# ---- containerd's enable_tar_index layer -----------------------------------
# GenerateTarIndexAndAppendTar: mkfs.erofs --tar=i --aufs --quiet
# [mkfs_options, with -b4096 in front] -U UUID LAYER, tar on stdin, then the
# tar appended to LAYER; the snapshotter mounts LAYER alone
L=$T_TMP/layer.erofs
if "$MKFS" --tar=i --aufs --quiet -b4096 -T0 --mkfs-time \
	-U 6ba7b810-9dad-51d1-80b4-00c04fd430c8 "$L" <"$T_TMP/pax.tar" >"$T_TMP/mkfs.log" 2>&1; then
	cat "$T_TMP/pax.tar" >>"$L"
	# (erofs-utils 1.9's fsck cannot read this form: "invalid device id 1")
	multidev_check "containerd tar-index layer (tar appended)" "$S" "$L"
else
	fail "containerd tar-index layer mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
fi

# -z: the files stay in the tar (mkfs once tried to compress them, reading
# a source they do not have)
if "$MKFS" --quiet -T0 --mkfs-time -zlz4hc --tar=i "$T_TMP/z.img" "$T_TMP/gnu.tar" \
	>"$T_TMP/mkfs.log" 2>&1; then
	MULTIDEV_DIGEST_OPTS="--ignore xattrs" multidev_check "tar=i -zlz4hc" "$S" "$T_TMP/z.img" "$T_TMP/gnu.tar"
else
	fail "tar=i -zlz4hc mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
fi

# ---- fingerprints -------------------------------------------------------------
if "$MKFS" --quiet -T0 --mkfs-time --tar=i --ishare_key=trusted.erofs.fingerprint \
	"$T_TMP/fp.img" "$T_TMP/pax-sparse.tar" >"$T_TMP/mkfs.log" 2>&1; then
	IMG_DIGEST_OPTS="--check-fingerprint trusted.erofs.fingerprint"
	multidev_check "tar=i fingerprints" "$S" "$T_TMP/fp.img" "$T_TMP/pax-sparse.tar"
	IMG_DIGEST_OPTS=
	if "$FSCK" --device="$T_TMP/pax-sparse.tar" --check-ishare "$T_TMP/fp.img" >"$T_TMP/out" 2>&1; then
		pass "tar=i fsck --check-ishare"
	else
		fail "tar=i fsck --check-ishare" "$(head -n 1 "$T_TMP/out")"
	fi
else
	fail "tar=i fingerprints mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
fi

# ---- headerball: the headers only ----------------------------------------------
# headerball TAR OUT: each member's header blocks, no data, two zero blocks
headerball() {
	python3 - "$1" "$2" <<'EOF'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t, open(sys.argv[2], 'wb') as o:
    for m in t:
        o.write(m.tobuf(t.format, t.encoding, t.errors))
    o.write(b'\0' * 1024)
EOF
}
if ! command -v python3 >/dev/null 2>&1; then
	skip "headerball" "python3 (to strip a tar's data) not installed"
else
	Z=$T_TMP/zeroed
	rm -rf "$Z"
	cp -a "$S" "$Z"
	find "$Z" -type f | while read -r f; do
		s=$(size "$f")
		touch -r "$f" "$T_TMP/stamp"
		: >"$f"
		truncate -s "$s" "$f"
		touch -r "$T_TMP/stamp" "$f"
	done
	for t in gnu pax; do
		headerball "$T_TMP/$t.tar" "$T_TMP/$t.hb"
		[ $t = pax ] && XD= || XD="--ignore xattrs"
		if "$MKFS" --quiet -T0 --mkfs-time --tar=headerball "$T_TMP/hb.img" "$T_TMP/$t.hb" \
			>"$T_TMP/mkfs.log" 2>&1; then
			MULTIDEV_DIGEST_OPTS=$XD multidev_check "headerball $t" "$Z" "$T_TMP/hb.img"
		else
			fail "headerball $t mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
		fi
	done
	if [ "$have_sid" = 1 ]; then
		sid_extract "headerball" "$Z" "$T_TMP/hb.img"
	fi
fi

# ---- a tar past 2^32 records: 48-bit chunk addresses (-E 48bit) -------------
# A sparse 2 TiB tar: "head", a 2 TiB "big" (a hole in the tar file) and
# "small" after it, at record 2^32 + 2k.  Its data is not read back in
# full (that is 2 TiB of zeros): the kernel and erofsfuse read "small" and
# the end of "big", our fsck checks the metadata.
BT=$T_TMP/big.tar
if ! python3 - "$BT" "$T_TMP/small.want" <<'EOF' 2>"$T_TMP/big.err"
import os, sys, tarfile
small = bytes(range(256)) * 39 + b'0123456789abcdef'
open(sys.argv[2], 'wb').write(small)
with open(sys.argv[1], 'wb') as o:
    def member(name, size, data=None):
        ti = tarfile.TarInfo(name)
        ti.size, ti.mode, ti.mtime = size, 0o644, 1600000000
        o.write(ti.tobuf(tarfile.PAX_FORMAT))
        if data is None:
            o.seek((size + 511) // 512 * 512, os.SEEK_CUR)
        else:
            o.write(data + b'\0' * (-len(data) % 512))
    member('head', 5, b'first')
    member('big', (1 << 41) + (1 << 20) + 123)
    member('small', len(small), small)
    o.write(b'\0' * 1024)
EOF
then
	skip "tar=i past 2^32 records" "cannot make a 2 TiB sparse tar here: $(tail -n 1 "$T_TMP/big.err")"
else
	mkfs_refused "tar=i past 2^32 records without -E 48bit" "-E 48bit" --tar=i "$T_TMP/bad.img" "$BT"
	B48=$T_TMP/big48.img
	if "$MKFS" --quiet -T0 --mkfs-time -E48bit --tar=i "$B48" "$BT" >"$T_TMP/mkfs.log" 2>&1; then
		fmt=$("$DUMP" -e --path=/small "$B48" | sed -n 's/^Chunk format: 0x\([0-9a-f]*\).*/\1/p')
		if [ -n "$fmt" ] && [ $((0x$fmt & 0x40)) != 0 ] &&
		   "$DUMP" -e --path=/small "$B48" | grep -q ' 4294969[0-9]*+20 .*device 1'; then
			pass "tar=i past 2^32 records: /small has 48-bit chunk indexes"
		else
			fail "tar=i past 2^32 records: /small has 48-bit chunk indexes" "format 0x$fmt"
		fi
		"$FSCK" "$B48" >"$T_TMP/out" 2>&1
		rc=$?
		if [ $rc = 8 ] && [ "$(grep -c U_DEVICE_MISSING "$T_TMP/out")" = 1 ] &&
		   grep -q '4294969373 blocks' "$T_TMP/out" && ! grep -q '<E>' "$T_TMP/out"; then
			pass "tar=i past 2^32 records: fsck (metadata), the device's 48-bit block count"
		else
			fail "tar=i past 2^32 records: fsck (metadata), the device's 48-bit block count" \
				"exit $rc: $(head -n 2 "$T_TMP/out" | tr '\n' ' ')"
		fi
		# big_end DIR: DIR/big has its size and its last 4 KiB are zeros
		big_end() {
			[ "$(stat -c %s "$1/big")" = $(((1 << 41) + (1 << 20) + 123)) ] &&
			[ "$(tail -c 4096 "$1/big" | tr -d '\0' | wc -c)" = 0 ]
		}
		if loop_of "$BT" && _l=$LOOP_DEV && loop_of "$B48"; then
			mkdir -p "$T_TMP/mnt"
			if mount -t erofs -o "ro,device=$_l" "$LOOP_DEV" "$T_TMP/mnt" 2>"$T_TMP/mount.err"; then
				echo "$T_TMP/mnt" >>"$T_TMP/.mounts"
				if cmp -s "$T_TMP/mnt/small" "$T_TMP/small.want" &&
				   [ "$(cat "$T_TMP/mnt/head")" = first ] && big_end "$T_TMP/mnt"; then
					pass "tar=i past 2^32 records: kernel mount"
				else
					fail "tar=i past 2^32 records: kernel mount" "content differs"
				fi
				umount_image "$T_TMP/mnt"
			else
				fail "tar=i past 2^32 records: kernel mount" "$(head -n 1 "$T_TMP/mount.err")"
			fi
		else
			fail "tar=i past 2^32 records: kernel mount" "losetup"
		fi
		cleanup_loops
		if [ -x "$EROFSFUSE" ] && [ -c /dev/fuse ]; then
			mkdir -p "$T_TMP/fmnt"
			if "$EROFSFUSE" --device="$BT" "$B48" "$T_TMP/fmnt" 2>"$T_TMP/fuse.err"; then
				if cmp -s "$T_TMP/fmnt/small" "$T_TMP/small.want" && big_end "$T_TMP/fmnt"; then
					pass "tar=i past 2^32 records: erofsfuse"
				else
					fail "tar=i past 2^32 records: erofsfuse" "content differs"
				fi
				fusermount3 -u "$T_TMP/fmnt" 2>/dev/null || umount -l "$T_TMP/fmnt"
			else
				fail "tar=i past 2^32 records: erofsfuse" "$(head -n 1 "$T_TMP/fuse.err")"
			fi
		fi
	else
		fail "tar=i past 2^32 records mkfs -E48bit" "$(head -n 1 "$T_TMP/mkfs.log")"
	fi
	rm -f "$BT"
fi

# ---- refused ----------------------------------------------------------------
gzip -c "$T_TMP/gnu.tar" >"$T_TMP/gnu.tar.gz"
mkfs_refused "--tar=i of a gzip-compressed tar" "uncompressed" --tar=i "$T_TMP/bad.img" "$T_TMP/gnu.tar.gz"
mkfs_refused "--tar=i with --chunksize" "chunksize" --tar=i --chunksize=4096 "$T_TMP/bad.img" "$T_TMP/gnu.tar"
head -c 200000 "$T_TMP/gnu.tar" >"$T_TMP/cut.tar"
mkfs_refused "--tar=i of a truncated tar" "cut.tar" --tar=i "$T_TMP/bad.img" "$T_TMP/cut.tar"

finish
