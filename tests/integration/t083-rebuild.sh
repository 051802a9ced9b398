#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t083-rebuild - rebuild mode: EROFS images as mkfs sources, merged as
# overlayfs stacks layers (the last on top).  Three layer trees with
# whiteouts, an opaque directory, a file replaced by a directory and the
# other way round, hard links (one of them broken by an upper layer),
# symlinks, devices and xattrs become layer images (ours and erofs-utils
# 1.9's, -Enoinline_data as containerd builds them); the merged image is
# compared with the kernel's own overlayfs mount of the layer trees:
#   - containerd's fsmerge call (--aufs --ovlfs-strip=1 --quiet OUT L1 L2
#     L3), each layer an extra device: our fsck with and without them,
#     erofsfuse, the kernel with device= loops, erofs-utils' fsck; the
#     device table equals erofs-utils' for the same command;
#   - --clean=data: a self-contained image;
#   - layers with inline tails, compressed layers (copied: erofs-utils
#     refuses them);
#   - tar-index layers (their tars become the devices);
#   - fingerprints kept from the layers;
#   - erofs-utils' own merge read by our fsck;
#   - without --ovlfs-strip the whiteouts stay;
#   - bad sources and options are refused, leaving no image.
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs
sid_setup
grep -qw overlay /proc/filesystems 2>/dev/null ||
	modprobe overlay 2>/dev/null
grep -qw overlay /proc/filesystems 2>/dev/null ||
	skip_all "the expected result is the kernel's overlayfs, which is not available"

L=$T_TMP/layers
mkdir -p "$L/s1/a" "$L/s1/b" "$L/s1/opq/sub" "$L/s1/dir2file/in" "$L/s2/a" \
	"$L/s2/b" "$L/s2/opq" "$L/s2/rep" "$L/s3"
# bottom layer
echo one >"$L/s1/a/1"
echo two >"$L/s1/a/2"
echo x >"$L/s1/b/x"
gen_noise 200000 1 >"$L/s1/big"
gen_text 50000 2 >"$L/s1/h1"
ln "$L/s1/h1" "$L/s1/h2"
gen_text 9000 3 >"$L/s1/l1"
ln "$L/s1/l1" "$L/s1/a/l1-link"
echo old >"$L/s1/opq/old"
echo deep >"$L/s1/opq/sub/deep"
echo inner >"$L/s1/dir2file/in/f"
echo file >"$L/s1/rep"
ln -s big "$L/s1/sym"
mkfifo "$L/s1/fifo"
mknod "$L/s1/null" c 1 3
setfattr -n user.layer -v one "$L/s1/big"
# middle layer: whiteouts, an opaque dir, type changes, a broken hard link
mknod "$L/s2/a/1" c 0 0
echo y >"$L/s2/b/y"
setfattr -n trusted.overlay.opaque -v y "$L/s2/opq"
echo new >"$L/s2/opq/new"
echo now-a-dir >"$L/s2/rep/x"
echo now-a-file >"$L/s2/dir2file"
gen_text 7000 4 >"$L/s2/h1"
chmod 0600 "$L/s2/h1"
# top layer: the whole of b/ whited out, a new file
mknod "$L/s3/b" c 0 0
gen_noise 70000 5 >"$L/s3/top"
for d in s1 s2 s3; do touch -d '2024-01-01 00:00:00' "$L/$d"; done

# the expected tree: the kernel's overlayfs of the layer trees
mkdir -p "$T_TMP/ovl"
if ! mount -t overlay overlay -o "ro,lowerdir=$L/s3:$L/s2:$L/s1" "$T_TMP/ovl" 2>"$T_TMP/ovl.err"; then
	skip_all "overlayfs mount failed: $(head -n 1 "$T_TMP/ovl.err")"
fi
echo "$T_TMP/ovl" >>"$T_TMP/.mounts"
E=$T_TMP/expect
cp -a "$T_TMP/ovl/." "$E"
umount_image "$T_TMP/ovl"
# overlayfs reports a lower file's own nlink; h2 lost its partner h1
DIGEST_IGNORE="--ignore nlink"

sid() { "$CHROOT_SH" run --bind "$T_TMP" -- "$@" >"$T_TMP/sid.log" 2>&1; }
size() { stat -c %s "$1"; }

layers() {	# layers PREFIX [mkfs options]: PREFIX1..3.img from s1..s3
	_p=$1
	shift
	for _n in 1 2 3; do
		"$MKFS" --quiet -T0 --mkfs-time "$@" "$_p$_n.img" "$L/s$_n" \
			>"$T_TMP/mkfs.log" 2>&1 || {
			fail "layer $_p$_n mkfs $*" "$(head -n 1 "$T_TMP/mkfs.log")"
			return 1
		}
	done
}

# ---- containerd's fsmerge ------------------------------------------------
if layers "$T_TMP/c" -Enoinline_data; then
	M=$T_TMP/fsmeta.tmp
	if "$MKFS" --aufs --ovlfs-strip=1 --quiet "$M" "$T_TMP/c1.img" "$T_TMP/c2.img" \
		"$T_TMP/c3.img" >"$T_TMP/mkfs.log" 2>&1; then
		MULTIDEV_DIGEST_OPTS=$DIGEST_IGNORE multidev_check "fsmerge" "$E" "$M" \
			"$T_TMP/c1.img" "$T_TMP/c2.img" "$T_TMP/c3.img"
		if [ "$have_sid" = 1 ]; then
			MULTIDEV_DIGEST_OPTS= sid_extract "fsmerge" "$E" "$M" \
				"$T_TMP/c1.img" "$T_TMP/c2.img" "$T_TMP/c3.img"
			if sid mkfs.erofs --aufs --ovlfs-strip=1 --quiet "$T_TMP/e.img" \
				"$T_TMP/c1.img" "$T_TMP/c2.img" "$T_TMP/c3.img"; then
				if [ "$("$DUMP" -s "$M" | grep 'device [0-9]*:')" = \
				     "$("$DUMP" -s "$T_TMP/e.img" | grep 'device [0-9]*:')" ]; then
					pass "fsmerge: the device table is erofs-utils'"
				else
					fail "fsmerge: the device table is erofs-utils'" \
						"$("$DUMP" -s "$M" | grep -m1 'device 1')"
				fi
				no_larger "fsmerge image" "$(size "$M")" "$(size "$T_TMP/e.img")"
				# erofs-utils' merge goes on below a non-directory
				# (dir2file's "in"): compare what both agree on
				if "$FSCK" --device="$T_TMP/c1.img" --device="$T_TMP/c2.img" \
					--device="$T_TMP/c3.img" "$T_TMP/e.img" >"$T_TMP/out" 2>&1; then
					pass "erofs-utils' merge checks clean with our fsck"
				else
					fail "erofs-utils' merge checks clean with our fsck" \
						"$(grep -m1 '<E>' "$T_TMP/out")"
				fi
			else
				fail "fsmerge erofs-utils mkfs" "$(tail -n 1 "$T_TMP/sid.log")"
			fi
		fi
		# reproducible: the same bytes again
		"$MKFS" --aufs --ovlfs-strip=1 --quiet -T0 --mkfs-time -Uclear "$T_TMP/r1.img" \
			"$T_TMP/c1.img" "$T_TMP/c2.img" "$T_TMP/c3.img" &&
		"$MKFS" --aufs --ovlfs-strip=1 --quiet -T0 --mkfs-time -Uclear --workers=1 \
			"$T_TMP/r2.img" "$T_TMP/c1.img" "$T_TMP/c2.img" "$T_TMP/c3.img" &&
		if cmp -s "$T_TMP/r1.img" "$T_TMP/r2.img"; then
			pass "fsmerge: the same bytes twice"
		else
			fail "fsmerge: the same bytes twice" "images differ"
		fi
	else
		fail "fsmerge mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
	fi
	# without --ovlfs-strip the whiteouts stay in the result
	if "$MKFS" --quiet "$T_TMP/ws.img" "$T_TMP/c1.img" "$T_TMP/c2.img" "$T_TMP/c3.img" \
		>"$T_TMP/mkfs.log" 2>&1 &&
	   "$FSCK" --device="$T_TMP/c1.img" --device="$T_TMP/c2.img" \
		--device="$T_TMP/c3.img" --extract="$T_TMP/wx" "$T_TMP/ws.img" >/dev/null 2>&1 &&
	   [ -c "$T_TMP/wx/b" ] && [ -c "$T_TMP/wx/a/1" ]; then
		pass "without --ovlfs-strip the whiteouts stay"
	else
		fail "without --ovlfs-strip the whiteouts stay" "$(head -n 1 "$T_TMP/mkfs.log")"
	fi

	# ---- --clean=data: a self-contained image ---------------------------
	if "$MKFS" --quiet --ovlfs-strip --clean=data "$T_TMP/clean.img" "$T_TMP/c1.img" \
		"$T_TMP/c2.img" "$T_TMP/c3.img" >"$T_TMP/mkfs.log" 2>&1; then
		MULTIDEV_DIGEST_OPTS=$DIGEST_IGNORE multidev_check "--clean=data" "$E" "$T_TMP/clean.img"
	else
		fail "--clean=data mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
	fi
fi

# ---- layers built by erofs-utils --------------------------------------------
if [ "$have_sid" = 1 ]; then
	ok=1
	for n in 1 2 3; do
		sid mkfs.erofs --quiet -Enoinline_data "$T_TMP/u$n.img" "$L/s$n" || {
			fail "erofs-utils layer $n" "$(tail -n 1 "$T_TMP/sid.log")"
			ok=0
		}
	done
	if [ $ok = 1 ]; then
		if "$MKFS" --quiet --aufs --ovlfs-strip=1 "$T_TMP/um.img" "$T_TMP/u1.img" \
			"$T_TMP/u2.img" "$T_TMP/u3.img" >"$T_TMP/mkfs.log" 2>&1; then
			MULTIDEV_DIGEST_OPTS=$DIGEST_IGNORE multidev_check "merge of erofs-utils layers" \
				"$E" "$T_TMP/um.img" "$T_TMP/u1.img" "$T_TMP/u2.img" "$T_TMP/u3.img"
		else
			fail "merge of erofs-utils layers mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
		fi
	fi
fi

# ---- layers with inline tails: copied ----------------------------------------
if layers "$T_TMP/i"; then
	if "$MKFS" --ovlfs-strip=1 -d3 "$T_TMP/im.img" "$T_TMP/i1.img" "$T_TMP/i2.img" \
		"$T_TMP/i3.img" >"$T_TMP/mkfs.log" 2>&1; then
		if grep -q 'copied' "$T_TMP/mkfs.log"; then
			pass "inline tails: those files are copied (and said so)"
		else
			fail "inline tails: those files are copied (and said so)" "no message"
		fi
		MULTIDEV_UNUSED_DEVS=1 MULTIDEV_DIGEST_OPTS=$DIGEST_IGNORE \
			multidev_check "inline-tail layers" "$E" \
			"$T_TMP/im.img" "$T_TMP/i1.img" "$T_TMP/i2.img" "$T_TMP/i3.img"
	else
		fail "inline-tail layers mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
	fi
fi

# ---- compressed layers: decoded and copied --------------------------------------
if layers "$T_TMP/z" -zlz4hc -Enoinline_data; then
	if "$MKFS" --quiet --ovlfs-strip=1 "$T_TMP/zm.img" "$T_TMP/z1.img" "$T_TMP/z2.img" \
		"$T_TMP/z3.img" >"$T_TMP/mkfs.log" 2>&1; then
		MULTIDEV_UNUSED_DEVS=1 MULTIDEV_DIGEST_OPTS=$DIGEST_IGNORE \
			multidev_check "compressed layers" "$E" \
			"$T_TMP/zm.img" "$T_TMP/z1.img" "$T_TMP/z2.img" "$T_TMP/z3.img"
	else
		fail "compressed layers mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
	fi
fi

# ---- tar-index layers: the tars are the devices ------------------------------
ok=1
for n in 1 2 3; do
	tar --format=pax --xattrs --xattrs-include='*' --numeric-owner -C "$L/s$n" \
		-cf "$T_TMP/t$n.tar" . &&
	"$MKFS" --quiet --tar=i "$T_TMP/t$n.img" "$T_TMP/t$n.tar" >"$T_TMP/mkfs.log" 2>&1 ||
		{ fail "tar-index layer $n" "$(head -n 1 "$T_TMP/mkfs.log")"; ok=0; }
done
if [ $ok = 1 ]; then
	if "$MKFS" --quiet --ovlfs-strip=1 "$T_TMP/tm.img" "$T_TMP/t1.img" "$T_TMP/t2.img" \
		"$T_TMP/t3.img" >"$T_TMP/mkfs.log" 2>&1; then
		MULTIDEV_DIGEST_OPTS=$DIGEST_IGNORE multidev_check "merge of tar-index layers" \
			"$E" "$T_TMP/tm.img" "$T_TMP/t1.tar" "$T_TMP/t2.tar" "$T_TMP/t3.tar"
	else
		fail "merge of tar-index layers mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
	fi
fi

# ---- fingerprints: kept from the layers -------------------------------------------
if layers "$T_TMP/f" -Enoinline_data --ishare_key=trusted.erofs.fingerprint &&
   "$MKFS" --quiet --ovlfs-strip=1 "$T_TMP/fm.img" "$T_TMP/f1.img" "$T_TMP/f2.img" \
	"$T_TMP/f3.img" >"$T_TMP/mkfs.log" 2>&1; then
	IMG_DIGEST_OPTS="--check-fingerprint trusted.erofs.fingerprint"
	MULTIDEV_DIGEST_OPTS=$DIGEST_IGNORE multidev_check "fingerprints kept" "$E" \
		"$T_TMP/fm.img" "$T_TMP/f1.img" "$T_TMP/f2.img" "$T_TMP/f3.img"
	IMG_DIGEST_OPTS=
	if "$FSCK" --device="$T_TMP/f1.img" --device="$T_TMP/f2.img" --device="$T_TMP/f3.img" \
		--check-ishare "$T_TMP/fm.img" >"$T_TMP/out" 2>&1; then
		pass "merged fingerprints: fsck --check-ishare"
	else
		fail "merged fingerprints: fsck --check-ishare" "$(head -n 1 "$T_TMP/out")"
	fi
else
	fail "fingerprints kept mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"
fi

# ---- refused ----------------------------------------------------------------
echo "not an image" >"$T_TMP/junk"
mkfs_refused "a source that is not an EROFS image" "junk" "$T_TMP/bad.img" "$T_TMP/c1.img" "$T_TMP/junk"
mkfs_refused "a missing source" "nonexistent" "$T_TMP/bad.img" "$T_TMP/c1.img" "$T_TMP/nonexistent.img"
mkfs_refused "--ovlfs-strip with a directory" "needs EROFS images" --ovlfs-strip "$T_TMP/bad.img" "$L/s1"
mkfs_refused "--incremental over merged images" "directory or --tar=f" --incremental=data "$T_TMP/bad.img" "$T_TMP/c1.img"
mkfs_refused "merge with --chunksize" "chunksize" --chunksize=4096 "$T_TMP/bad.img" "$T_TMP/c1.img" "$T_TMP/c2.img"

# every loop device multidev_check attached is released again
if losetup -a 2>/dev/null | grep -qF "$T_TMP/"; then
	fail "loop devices released" "$(losetup -a | grep -cF "$T_TMP/") still attached"
else
	pass "loop devices released"
fi

finish
