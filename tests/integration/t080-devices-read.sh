#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t080-devices-read - multi-device images written by erofs-utils 1.9 (sid
# chroot), read by our fsck and dump: --blobdev with --chunksize, chunk
# dedupe inside the image (block map and chunk indexes), --tar=i (the tar
# is device 1), containerd's tar-index layer (the tar appended to the
# index: the kernel's flat view, no device needed), and a merge of two
# layer images (each an extra device).  For each: without the devices
# fsck checks the metadata, says once per device that it was not given
# (U_DEVICE_MISSING) and exits 8, never 4; with --device it is clean and
# --extract equals the source; the kernel mounts the image with its
# devices (loop devices, device=) and reads the same tree, and so does
# erofsfuse --device when it is built.  A wrong number of --device is
# refused.
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
sid_setup
[ "$have_sid" = 1 ] || skip_all "these images are made by erofs-utils 1.9 (sid chroot)"

S=$T_TMP/src
# every tree here is what the image holds: an extraction without the
# devices must name each file it leaves unwritten (multidev_check)
MULTIDEV_NAMED=1
mkdir -p "$S/sub" "$S/empty"
for i in 1 2 3 4 5; do
	gen_noise $((i * 30000 + 123)) $i >"$S/f$i"
done
cp "$S/f3" "$S/sub/f3copy"			# chunk dedupe
gen_text 200000 9 >"$S/text"
echo hello >"$S/small"
: >"$S/zero"
ln -s f1 "$S/link"
chmod 0640 "$S/f2"
tar --numeric-owner -C "$S" -cf "$T_TMP/src.tar" .

[ -x "$EROFSFUSE" ] && [ -c /dev/fuse ] ||
	skip "erofsfuse cases" "erofsfuse not built or /dev/fuse missing"

sid() { "$CHROOT_SH" run --bind "$T_TMP" -- "$@" >"$T_TMP/sid.log" 2>&1; }

# ---- blob device -------------------------------------------------------
if sid mkfs.erofs --quiet --blobdev="$T_TMP/blob" --chunksize=65536 "$T_TMP/blob.img" "$S"; then
	multidev_check "blobdev" "$S" "$T_TMP/blob.img" "$T_TMP/blob"
	"$FSCK" --device="$T_TMP/blob" --device="$T_TMP/blob" "$T_TMP/blob.img" >"$T_TMP/out" 2>&1
	rc=$?
	if [ $rc = 8 ] && grep -q '1 extra device(s), 2 --device given' "$T_TMP/out"; then
		pass "wrong --device count refused"
	else
		fail "wrong --device count refused" "exit $rc: $(head -n 1 "$T_TMP/out")"
	fi
	if "$DUMP" --device="$T_TMP/blob" --path=/f4 --cat "$T_TMP/blob.img" | cmp -s - "$S/f4"; then
		pass "dump --cat with --device"
	else
		fail "dump --cat with --device" "content differs"
	fi
else
	fail "blobdev" "erofs-utils: $(tail -n 1 "$T_TMP/sid.log")"
fi

# ---- chunks inside the image ----------------------------------------------
for e in "" "-Eforce-inode-blockmap" "-Eforce-chunk-indexes"; do
	# shellcheck disable=SC2086
	if sid mkfs.erofs --quiet --chunksize=4096 $e "$T_TMP/chunk.img" "$S"; then
		multidev_check "chunksize=4096${e:+ $e}" "$S" "$T_TMP/chunk.img"
	else
		fail "chunksize=4096 $e" "erofs-utils: $(tail -n 1 "$T_TMP/sid.log")"
	fi
done

# ---- tar index, and containerd's index with the tar appended ------------------
if sid mkfs.erofs --quiet --tar=i --aufs "$T_TMP/tari.img" "$T_TMP/src.tar"; then
	multidev_check "tar=i" "$S" "$T_TMP/tari.img" "$T_TMP/src.tar"
	cat "$T_TMP/tari.img" "$T_TMP/src.tar" >"$T_TMP/layer.erofs"
	multidev_check "tar index + appended tar (containerd)" "$S" "$T_TMP/layer.erofs"
else
	fail "tar=i" "erofs-utils: $(tail -n 1 "$T_TMP/sid.log")"
fi

# ---- a merge of two layers ------------------------------------------------
L1=$T_TMP/l1 L2=$T_TMP/l2 M=$T_TMP/merged
mkdir -p "$L1/d" "$L2/d" "$M/d"
gen_noise 50000 11 >"$L1/big"
echo one >"$L1/d/a"
gen_noise 70000 12 >"$L2/big2"
echo two >"$L2/d/b"
cp -a "$L1/." "$M/" && cp -a "$L2/." "$M/"
if sid mkfs.erofs --quiet -Enoinline_data "$T_TMP/l1.img" "$L1" &&
   sid mkfs.erofs --quiet -Enoinline_data "$T_TMP/l2.img" "$L2" &&
   sid mkfs.erofs --quiet "$T_TMP/merged.img" "$T_TMP/l1.img" "$T_TMP/l2.img"; then
	multidev_check "merged layers" "$M" "$T_TMP/merged.img" "$T_TMP/l1.img" "$T_TMP/l2.img"
else
	fail "merged layers" "erofs-utils: $(tail -n 1 "$T_TMP/sid.log")"
fi

finish
