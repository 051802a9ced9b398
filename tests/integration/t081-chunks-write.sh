#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t081-chunks-write - chunk-based files written by our mkfs: --chunksize
# (4K, 64K, 1M) with the automatic index form, -E force-inode-blockmap and
# -E force-chunk-indexes, --blobdev (chunk data on extra device 1), and
# -E dedupe without -z (chunk dedupe in blocks, as erofs-utils).  Each
# image is checked by our fsck (with and without the blob), erofsfuse,
# the kernel (device= a loop of the blob) and erofs-utils 1.9's fsck
# --extract; the tree has files equal to others, a file made of one
# chunk repeated (stored once), zero runs and a sparse file (holes),
# hard links, xattrs and fingerprints.  Image and blob sizes are at most
# erofs-utils' for the same command; the bytes do not depend on
# --workers; bad option combinations are refused.
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs
sid_setup

S=$T_TMP/src
mkdir -p "$S/sub" "$S/empty"
gen_noise 300000 1 >"$S/a"
cp "$S/a" "$S/sub/a-copy"
cat "$S/a" "$S/a" >"$S/aa"
gen_noise 65536 2 >"$T_TMP/blk"
for i in 1 2 3 4 5 6 7 8; do cat "$T_TMP/blk"; done >"$S/repeat"
{ gen_noise 70000 3; head -c 140000 /dev/zero; gen_noise 5000 4; } >"$S/mixed"
truncate -s 3M "$S/sparse"
printf 'tail' >>"$S/sparse"
gen_text 200000 5 >"$S/text"
echo hello >"$S/small"
: >"$S/zero"
ln "$S/text" "$S/sub/text-link"
ln -s a "$S/link"
setfattr -n user.note -v chunked "$S/a"
chmod 0640 "$S/mixed"

sid() { "$CHROOT_SH" run --bind "$T_TMP" -- "$@" >"$T_TMP/sid.log" 2>&1; }
size() { stat -c %s "$1"; }

# ---- chunks in the image ---------------------------------------------------
for cs in 4096 65536 1048576; do
	for e in "" "-Eforce-inode-blockmap" "-Eforce-chunk-indexes"; do
		name="chunksize=$cs${e:+ $e}"
		# shellcheck disable=SC2086
		if ! "$MKFS" --quiet -T0 --mkfs-time --chunksize=$cs $e "$T_TMP/c.img" "$S" \
			>"$T_TMP/mkfs.log" 2>&1; then
			fail "$name mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
			continue
		fi
		multidev_check "$name" "$S" "$T_TMP/c.img"
		[ "$have_sid" = 1 ] || continue
		sid_extract "$name" "$S" "$T_TMP/c.img"
		[ -z "$e" ] || continue
		# shellcheck disable=SC2086
		if sid mkfs.erofs --quiet -T0 --mkfs-time --chunksize=$cs "$T_TMP/e.img" "$S"; then
			no_larger "$name image" "$(size "$T_TMP/c.img")" "$(size "$T_TMP/e.img")"
		else
			fail "$name erofs-utils mkfs" "$(tail -n 1 "$T_TMP/sid.log")"
		fi
	done
done

# size suffixes, which erofs-utils' --chunksize lacks, mean the same
if "$MKFS" --quiet -T0 --mkfs-time --chunksize=1M "$T_TMP/m1.img" "$S" &&
   "$MKFS" --quiet -T0 --mkfs-time --chunksize=1048576 "$T_TMP/m2.img" "$S" &&
   cmp -s "$T_TMP/m1.img" "$T_TMP/m2.img"; then
	pass "--chunksize=1M is --chunksize=1048576"
else
	fail "--chunksize=1M is --chunksize=1048576" "images differ"
fi

# a chunk repeated eight times, a zero run and a sparse file cost nothing
R=$T_TMP/rep
mkdir -p "$R"
cp "$S/repeat" "$R/"
head -c 1048576 /dev/zero >"$R/zeros"
truncate -s 8M "$R/sparse"
if "$MKFS" --quiet -T0 --mkfs-time --chunksize=64K "$T_TMP/r.img" "$R" >"$T_TMP/mkfs.log" 2>&1; then
	rs=$(size "$T_TMP/r.img")
	if [ "$rs" -le $((65536 + 8192)) ]; then
		pass "identical chunks stored once, zero chunks as holes ($rs bytes for 9 MiB of files)"
	else
		fail "identical chunks stored once, zero chunks as holes" "$rs bytes"
	fi
	multidev_check "dedupe tree" "$R" "$T_TMP/r.img"
else
	fail "dedupe tree mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
fi

# ---- --blobdev: metadata in the image, data in the blob ----------------------
if "$MKFS" --quiet -T0 --mkfs-time --chunksize=4096 --blobdev="$T_TMP/blob" \
	--ishare_key=trusted.erofs.fingerprint "$T_TMP/b.img" "$S" >"$T_TMP/mkfs.log" 2>&1; then
	IMG_DIGEST_OPTS="--check-fingerprint trusted.erofs.fingerprint"
	multidev_check "blobdev" "$S" "$T_TMP/b.img" "$T_TMP/blob"
	IMG_DIGEST_OPTS=
	if "$FSCK" --device="$T_TMP/blob" --check-ishare "$T_TMP/b.img" >"$T_TMP/out" 2>&1; then
		pass "blobdev fingerprints check"
	else
		fail "blobdev fingerprints check" "$(head -n 1 "$T_TMP/out")"
	fi
	if [ "$have_sid" = 1 ]; then
		sid_extract "blobdev" "$S" "$T_TMP/b.img" "$T_TMP/blob"
		if sid mkfs.erofs --quiet -T0 --mkfs-time --chunksize=4096 --blobdev="$T_TMP/eblob" "$T_TMP/eb.img" "$S"; then
			if [ "$(size "$T_TMP/blob")" = "$(size "$T_TMP/eblob")" ] &&
			   [ "$(size "$T_TMP/b.img")" -le "$(size "$T_TMP/eb.img")" ]; then
				pass "blobdev sizes: blob equal to erofs-utils', image no larger"
			else
				fail "blobdev sizes" "blob $(size "$T_TMP/blob") vs $(size "$T_TMP/eblob"), image $(size "$T_TMP/b.img") vs $(size "$T_TMP/eb.img")"
			fi
		else
			fail "blobdev erofs-utils mkfs" "$(tail -n 1 "$T_TMP/sid.log")"
		fi
	fi
	if "$DUMP" -s "$T_TMP/b.img" | grep -q 'device 1: blocks '; then
		pass "dump -s shows the device table"
	else
		fail "dump -s shows the device table" "$("$DUMP" -s "$T_TMP/b.img" | grep -i device)"
	fi
	# the same bytes whatever the number of workers
	if "$MKFS" --quiet -T0 --mkfs-time --workers=1 --chunksize=4096 --blobdev="$T_TMP/blob1" \
		--ishare_key=trusted.erofs.fingerprint "$T_TMP/b1.img" "$S" &&
	   cmp -s "$T_TMP/b.img" "$T_TMP/b1.img" && cmp -s "$T_TMP/blob" "$T_TMP/blob1"; then
		pass "blobdev image and blob do not depend on --workers"
	else
		fail "blobdev image and blob do not depend on --workers" "differ"
	fi
else
	fail "blobdev mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
fi

# ---- -E dedupe without -z: chunk dedupe, as erofs-utils --------------------
if "$MKFS" -T0 --mkfs-time -Ededupe "$T_TMP/d.img" "$S" >"$T_TMP/mkfs.log" 2>&1 &&
   "$DUMP" -s "$T_TMP/d.img" | grep -q chunked_file; then
	pass "-E dedupe without -z writes chunk-based files"
	multidev_check "-E dedupe without -z" "$S" "$T_TMP/d.img"
else
	fail "-E dedupe without -z writes chunk-based files" "$(head -n 1 "$T_TMP/mkfs.log")"
fi

# ---- refused ---------------------------------------------------------------
mkfs_refused "--blobdev without --chunksize" 'chunk\|blob' --blobdev="$T_TMP/x" "$T_TMP/bad.img" "$S"
mkfs_refused "chunk size not a power of 2" 'chunk\|blob' --chunksize=3000 "$T_TMP/bad.img" "$S"
mkfs_refused "chunk size below the block size" 'chunk\|blob' -b4096 --chunksize=512 "$T_TMP/bad.img" "$S"
mkfs_refused "--blobdev with a block map" 'chunk\|blob' --chunksize=4096 -Eforce-inode-blockmap --blobdev="$T_TMP/x" "$T_TMP/bad.img" "$S"

# every loop device multidev_check attached is released again
if losetup -a 2>/dev/null | grep -qF "$T_TMP/"; then
	fail "loop devices released" "$(losetup -a | grep -cF "$T_TMP/") still attached"
else
	pass "loop devices released"
fi

finish
