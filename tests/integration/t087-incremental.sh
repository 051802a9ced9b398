#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t087-incremental - mkfs --incremental: an existing image (ours, with
# several layouts, or erofs-utils 1.9's) is extended by a layer, a tar
# with aufs whiteouts and an opaque directory (--aufs --ovlfs-strip), or a
# directory, and then by a second layer.  Each result is checked by our
# fsck, the kernel, erofsfuse and erofs-utils' fsck, and must equal the
# overlay of the layers (made here with cp and rm); the old image's bytes
# stay as they were but for the superblock, the root's slot and the ".."
# of kept directories, and the image grows by about the layer's size.
# --incremental=rvsp reserves the new files' blocks for a block list.
# Fingerprints stay checkable.  erofs-utils' own --incremental image of
# the same layers reads back as the same tree in our fsck and the kernel.  What an existing image cannot take (other
# block size, algorithm, fragments, fingerprint key, not an image) is
# refused, leaving the image as it was.
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs
sid_setup

B=$T_TMP/base
mkdir -p "$B/etc/conf.d" "$B/usr/lib/mod" "$B/var/cache" "$B/opq/old" "$B/gone-dir/sub"
gen_noise 3000000 1 >"$B/usr/lib/big"		# past 2 MiB: the root stays in place
gen_text 200000 2 >"$B/usr/lib/text"
gen_noise 5000 3 >"$B/usr/lib/mod/small"
echo one >"$B/etc/conf.d/a.conf"
echo keep >"$B/etc/keep"
echo old >"$B/etc/changed"
echo bye >"$B/etc/deleted"
echo x >"$B/opq/old/file"
echo y >"$B/opq/old-top"
echo z >"$B/gone-dir/sub/f"
ln "$B/usr/lib/text" "$B/etc/text-link"
ln -s ../usr/lib/big "$B/etc/big-link"
mkfifo "$B/var/fifo"
setfattr -n user.note -v base "$B/etc/keep"
touch -d '2021-03-04 05:06:07' "$B/etc" "$B/etc/keep"

# layer 1, as an aufs tar: changes, additions, deletions, an opaque dir
L1=$T_TMP/l1
mkdir -p "$L1/etc/conf.d" "$L1/new/deep" "$L1/opq" "$L1/usr/lib"
echo new-content >"$L1/etc/changed"
echo two >"$L1/etc/conf.d/b.conf"
gen_noise 70000 4 >"$L1/new/deep/blob"
gen_text 10000 5 >"$L1/usr/lib/added"
echo fresh >"$L1/opq/inside"
: >"$L1/etc/.wh.deleted"
: >"$L1/.wh.gone-dir"
: >"$L1/opq/.wh..wh..opq"
setfattr -n user.note -v layer1 "$L1/new"
tar --numeric-owner --sort=name --format=pax --xattrs --xattrs-include='*' \
	-C "$L1" -cf "$T_TMP/l1.tar" . ||
	fail "tar l1" "cannot make the tar"

# the expected tree: base, then layer 1 applied as overlayfs would
E1=$T_TMP/e1
cp -a "$B" "$E1"
rm -rf "$E1/etc/deleted" "$E1/gone-dir" "$E1/opq"
mkdir -p "$E1/opq"
(cd "$L1" && find . -name '.wh.*' -prune -o -print) | while read -r p; do
	if [ -d "$L1/$p" ]; then
		mkdir -p "$E1/$p"
		touch -r "$L1/$p" "$E1/$p"
		chmod --reference="$L1/$p" "$E1/$p"
	else
		rm -f "$E1/$p"
		cp -a "$L1/$p" "$E1/$p"
	fi
done
# directories' times last, deepest first (creating "new/deep" touched "new")
(cd "$L1" && find . -depth -type d) | while read -r p; do
	touch -r "$L1/$p" "$E1/$p"
done
setfattr -n user.note -v layer1 "$E1/new"

# layer 2, a directory: more changes over the result
L2=$T_TMP/l2
mkdir -p "$L2/new/deep" "$L2/etc"
gen_noise 90000 6 >"$L2/new/deep/blob"
echo third >"$L2/etc/changed"
echo later >"$L2/later"
E2=$T_TMP/e2
cp -a "$E1" "$E2"
cp -a "$L2/." "$E2/"
setfattr -x user.note "$E2/new"		# the upper directory's attributes win
touch -r "$L2" "$E2"
chmod --reference="$L2" "$E2"

# check NAME IMG EXPECTED: our fsck, erofs-utils' fsck, kernel, erofsfuse
check() {
	multidev_check "$1" "$3" "$2"
	[ "$have_sid" = 1 ] && sid_extract "$1" "$3" "$2"
}
# unchanged NAME OLD NEW: OLD's bytes are NEW's but for a few (the
# superblock, the root slot, ".." entries): at most 512 differ
unchanged() {
	_n=$(cmp -l "$2" "$3" 2>/dev/null | awk -v s="$(stat -c %s "$2")" '$1 <= s' | wc -l)
	if [ "$_n" -le 512 ]; then
		pass "$1: the old image's bytes stay ($_n changed)"
	else
		fail "$1: the old image's bytes stay" "$_n bytes changed"
	fi
}
# grew NAME OLD NEW MAX: NEW is at most MAX bytes longer than OLD
grew() {
	_g=$(($(stat -c %s "$3") - $(stat -c %s "$2")))
	if [ "$_g" -le "$4" ]; then
		pass "$1: grew by $_g bytes (<= $4)"
	else
		fail "$1: grew by $_g bytes" "more than $4"
	fi
}
L1MAX=$((200 * 1024))

for cfg in "plain" "lz4hc:-zlz4hc" "lzma:-zlzma -C65536 -Eztailpacking" "48bit:-E48bit -zlz4" "b1024:-b1024" \
	   "erofs-utils lz4hc:-zlz4hc"; do
	name=${cfg%%:*}
	opts=
	case $cfg in *:*) opts=${cfg#*:} ;; esac
	img=$T_TMP/base.img
	rm -f "$img"
	case $name in
	erofs-utils*)
		[ "$have_sid" = 1 ] || continue
		# shellcheck disable=SC2086
		"$CHROOT_SH" run --bind "$T_TMP" -- mkfs.erofs --quiet $opts "$img" "$B" \
			>"$T_TMP/sid.log" 2>&1 ||
			{ fail "$name base" "$(tail -n 1 "$T_TMP/sid.log")"; continue; }
		opts=${opts:+$opts }
		;;
	*)
		# shellcheck disable=SC2086
		"$MKFS" --quiet $opts "$img" "$B" >"$T_TMP/mkfs.log" 2>&1 ||
			{ fail "$name base" "$(head -n 1 "$T_TMP/mkfs.log")"; continue; }
		;;
	esac
	inc=$T_TMP/inc.img
	cp "$img" "$inc"
	# shellcheck disable=SC2086
	if ! "$MKFS" --quiet $opts --incremental=data --aufs --ovlfs-strip --tar=f \
		"$inc" "$T_TMP/l1.tar" >"$T_TMP/mkfs.log" 2>&1; then
		fail "$name + layer 1" "$(head -n 1 "$T_TMP/mkfs.log")"
		continue
	fi
	check "$name + layer 1" "$inc" "$E1"
	# the superblock counts what is reachable (erofs-utils' count is not)
	case $name in
	erofs-utils*) ;;
	*)	if "$FSCK" "$inc" 2>&1 | grep -q W_SB_INOS; then
			fail "$name + layer 1: the inode count is exact" "$("$FSCK" "$inc" 2>&1 | grep W_SB_INOS)"
		else
			pass "$name + layer 1: the inode count is exact"
		fi ;;
	esac
	unchanged "$name + layer 1" "$img" "$inc"
	grew "$name + layer 1" "$img" "$inc" $L1MAX
	cp "$inc" "$T_TMP/inc1.img"
	# shellcheck disable=SC2086
	if ! "$MKFS" --quiet $opts --incremental "$inc" "$L2" >"$T_TMP/mkfs.log" 2>&1; then
		fail "$name + layer 2 (a directory)" "$(head -n 1 "$T_TMP/mkfs.log")"
		continue
	fi
	check "$name + layer 2 (a directory)" "$inc" "$E2"
	unchanged "$name + layer 2" "$T_TMP/inc1.img" "$inc"
done

# ---- erofs-utils' own --incremental image: the same tree, read by us -----------
if [ "$have_sid" = 1 ]; then
	if "$CHROOT_SH" run --bind "$T_TMP" -- sh -c "mkfs.erofs --quiet -zlz4hc '$T_TMP/eu.img' '$B' &&
		mkfs.erofs --quiet -zlz4hc --incremental=data --aufs --ovlfs-strip --tar=f '$T_TMP/eu.img' '$T_TMP/l1.tar'" \
		>"$T_TMP/sid.log" 2>&1; then
		multidev_check "erofs-utils' --incremental image" "$E1" "$T_TMP/eu.img"
	else
		fail "erofs-utils' --incremental image" "$(tail -n 1 "$T_TMP/sid.log")"
	fi
fi

# ---- reproducible: the same image and layer, the same bytes, any --workers ----
"$MKFS" --quiet -zlz4hc "$T_TMP/r1.img" "$B" >/dev/null 2>&1
cp "$T_TMP/r1.img" "$T_TMP/r2.img"
if "$MKFS" --quiet -zlz4hc --workers=1 --incremental --aufs --ovlfs-strip --tar=f \
	"$T_TMP/r1.img" "$T_TMP/l1.tar" >/dev/null 2>&1 &&
   "$MKFS" --quiet -zlz4hc --workers=3 --incremental --aufs --ovlfs-strip --tar=f \
	"$T_TMP/r2.img" "$T_TMP/l1.tar" >/dev/null 2>&1 &&
   cmp -s "$T_TMP/r1.img" "$T_TMP/r2.img"; then
	pass "reproducible: one and three workers give the same bytes"
else
	fail "reproducible: one and three workers give the same bytes" "$(cmp "$T_TMP/r1.img" "$T_TMP/r2.img" 2>&1)"
fi

# ---- without --ovlfs-strip the whiteouts stay, as 0:0 devices -----------------
"$MKFS" --quiet "$T_TMP/ws.img" "$B" >/dev/null 2>&1
if "$MKFS" --quiet --incremental --aufs --tar=f "$T_TMP/ws.img" "$T_TMP/l1.tar" \
	>"$T_TMP/mkfs.log" 2>&1 && rm -rf "$T_TMP/x" &&
   "$FSCK" --extract="$T_TMP/x" "$T_TMP/ws.img" >"$T_TMP/out" 2>&1 &&
   [ "$(stat -c '%F %t:%T' "$T_TMP/x/etc/deleted")" = "character special file 0:0" ] &&
   [ ! -e "$T_TMP/x/gone-dir/sub" ] && [ ! -e "$T_TMP/x/opq/old" ]; then
	pass "no --ovlfs-strip: whiteouts stay and hide the old names"
else
	fail "no --ovlfs-strip: whiteouts stay and hide the old names" \
		"$(head -n 1 "$T_TMP/mkfs.log") $(head -n 1 "$T_TMP/out")"
fi

# ---- --incremental=rvsp: the new files' blocks reserved for a block list -------
if command -v python3 >/dev/null 2>&1; then
	"$MKFS" --quiet "$T_TMP/rv.img" "$B" >/dev/null 2>&1
	if "$MKFS" --quiet --incremental=rvsp --aufs --ovlfs-strip --tar=f,"$T_TMP/rv.map" \
		"$T_TMP/rv.img" "$T_TMP/l1.tar" >"$T_TMP/mkfs.log" 2>&1 && [ -s "$T_TMP/rv.map" ]; then
		apply_blocklist "$T_TMP/rv.img" "$T_TMP/l1.tar" "$T_TMP/rv.map"
		check "--incremental=rvsp, filled" "$T_TMP/rv.img" "$E1"
	else
		fail "--incremental=rvsp" "$(head -n 1 "$T_TMP/mkfs.log")"
	fi
else
	skip "--incremental=rvsp" "python3 (to apply the block list) not installed"
fi

# ---- fingerprints ---------------------------------------------------------------
FP=trusted.erofs.fingerprint
"$MKFS" --quiet -zlz4hc --ishare_key=$FP "$T_TMP/fp.img" "$B" >/dev/null 2>&1
if "$MKFS" --quiet -zlz4hc --ishare_key=$FP --incremental --aufs --ovlfs-strip --tar=f \
	"$T_TMP/fp.img" "$T_TMP/l1.tar" >"$T_TMP/mkfs.log" 2>&1 &&
   "$FSCK" --check-ishare "$T_TMP/fp.img" >"$T_TMP/out" 2>&1; then
	pass "fingerprints: fsck --check-ishare clean after a layer"
else
	fail "fingerprints: fsck --check-ishare clean after a layer" \
		"$(head -n 1 "$T_TMP/mkfs.log") $(grep -m1 '<E>' "$T_TMP/out")"
fi

# ---- one name of a hard-linked file removed: the kept inode keeps its count ----
# (legal, as erofs-utils leaves it too: our fsck warns, W_NLINK, exit 0)
mkdir -p "$T_TMP/l3/etc"
: >"$T_TMP/l3/etc/.wh.text-link"
tar --numeric-owner -C "$T_TMP/l3" -cf "$T_TMP/l3.tar" .
"$MKFS" --quiet "$T_TMP/hl.img" "$B" >/dev/null 2>&1
if "$MKFS" --quiet --incremental --aufs --ovlfs-strip --tar=f "$T_TMP/hl.img" "$T_TMP/l3.tar" \
	>"$T_TMP/mkfs.log" 2>&1; then
	"$FSCK" "$T_TMP/hl.img" >"$T_TMP/out" 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -q W_NLINK "$T_TMP/out" && ! grep -q '<E>' "$T_TMP/out"; then
		pass "a hard link's name whited out: fsck warns (W_NLINK), exit 0"
	else
		fail "a hard link's name whited out: fsck warns (W_NLINK), exit 0" \
			"exit $rc: $(head -n 1 "$T_TMP/out")"
	fi
else
	fail "a hard link's name whited out" "$(head -n 1 "$T_TMP/mkfs.log")"
fi

# ---- a build that fails leaves the image as it was ------------------------------
# (the base is past 2 MiB: the new root would go into the old one's place)
mkdir -p "$T_TMP/l5"
gen_noise 5000000 7 >"$T_TMP/l5/huge"
"$MKFS" --quiet "$T_TMP/f.img" "$B" >/dev/null 2>&1
cp "$T_TMP/f.img" "$T_TMP/f.orig"
( trap '' XFSZ; ulimit -f $((($(stat -c %s "$T_TMP/f.img") + 1000000) / 1024))
  "$MKFS" --quiet --incremental "$T_TMP/f.img" "$T_TMP/l5" ) >"$T_TMP/out" 2>&1
if [ $? != 0 ] && cmp -s "$T_TMP/f.img" "$T_TMP/f.orig"; then
	pass "a failed build (file size limit) leaves the image as it was"
else
	fail "a failed build (file size limit) leaves the image as it was" \
		"$(head -n 1 "$T_TMP/out"); $(cmp "$T_TMP/f.img" "$T_TMP/f.orig" 2>&1 | head -n 1)"
fi
# the same with --offset: the image starts 64 KiB into the file
head -c 65536 /dev/zero >"$T_TMP/o.img"
"$MKFS" --quiet --offset=65536 "$T_TMP/o.img" "$B" >/dev/null 2>&1
cp "$T_TMP/o.img" "$T_TMP/o.orig"
( trap '' XFSZ; ulimit -f $((($(stat -c %s "$T_TMP/o.img") + 1000000) / 1024))
  "$MKFS" --quiet --offset=65536 --incremental "$T_TMP/o.img" "$T_TMP/l5" ) >"$T_TMP/out" 2>&1
if [ $? != 0 ] && cmp -s "$T_TMP/o.img" "$T_TMP/o.orig"; then
	pass "a failed build with --offset leaves the file as it was"
else
	fail "a failed build with --offset leaves the file as it was" \
		"$(head -n 1 "$T_TMP/out"); $(cmp "$T_TMP/o.img" "$T_TMP/o.orig" 2>&1 | head -n 1)"
fi

# ---- an image on a block device: new blocks after the image, not the device --
"$MKFS" --quiet "$T_TMP/bd.img" "$B" >/dev/null 2>&1
truncate -s $(($(stat -c %s "$T_TMP/bd.img") + 4 * 1048576)) "$T_TMP/bd.img"
if loop_of "$T_TMP/bd.img"; then
	if "$MKFS" --quiet --incremental --aufs --ovlfs-strip --tar=f "$LOOP_DEV" "$T_TMP/l1.tar" \
		>"$T_TMP/out" 2>&1; then
		losetup -d "$LOOP_DEV"
		LOOPS=
		check "--incremental on a block device" "$T_TMP/bd.img" "$E1"
	else
		fail "--incremental on a block device" "$(head -n 1 "$T_TMP/out")"
	fi
	cleanup_loops
else
	fail "--incremental on a block device" "losetup"
fi

# ---- images with extra devices ------------------------------------------------
# a device mapped right after the image (--tar=i) would collide: refused;
# with the tar appended (containerd's tar-index layer) there is room after it
tar --numeric-owner --format=pax --xattrs --xattrs-include='*' -C "$B" -cf "$T_TMP/b.tar" .
"$MKFS" --quiet --tar=i "$T_TMP/ti.img" "$T_TMP/b.tar" >/dev/null 2>&1
cp "$T_TMP/ti.img" "$T_TMP/ti.orig"
if "$MKFS" --quiet --incremental "$T_TMP/ti.img" "$L2" >"$T_TMP/out" 2>&1; then
	fail "refused: an image with a device mapped after it" "exit 0"
elif grep -q "maps device 1" "$T_TMP/out" && cmp -s "$T_TMP/ti.img" "$T_TMP/ti.orig"; then
	pass "refused: an image with a device mapped after it"
else
	fail "refused: an image with a device mapped after it" "$(head -n 1 "$T_TMP/out")"
fi
cat "$T_TMP/b.tar" >>"$T_TMP/ti.img"
E3=$T_TMP/e3
cp -a "$B" "$E3"
cp -a "$L2/." "$E3/"
touch -r "$L2" "$E3"
chmod --reference="$L2" "$E3"
if "$MKFS" --quiet --incremental "$T_TMP/ti.img" "$L2" >"$T_TMP/out" 2>&1; then
	# (erofs-utils 1.9's fsck cannot read this form: "invalid device id 1")
	multidev_check "--incremental of a tar-index layer with its tar appended" "$E3" "$T_TMP/ti.img"
else
	fail "--incremental of a tar-index layer with its tar appended" "$(head -n 1 "$T_TMP/out")"
fi

# ---- refused, the image left as it was -----------------------------------------
# refused_inc NAME PATTERN BASE-OPTS -- INC-OPTS...
refused_inc() {
	_ri_name=$1 _ri_pat=$2
	shift 2
	_ri_b=
	while [ "$1" != "--" ]; do _ri_b="$_ri_b $1"; shift; done
	shift
	# shellcheck disable=SC2086
	"$MKFS" --quiet $_ri_b "$T_TMP/r.img" "$B" >/dev/null 2>&1
	cp "$T_TMP/r.img" "$T_TMP/r.orig"
	if "$MKFS" --quiet "$@" "$T_TMP/r.img" "$T_TMP/l1.tar" >"$T_TMP/out" 2>&1; then
		fail "refused: $_ri_name" "exit 0"
	elif ! grep -qi -- "$_ri_pat" "$T_TMP/out"; then
		fail "refused: $_ri_name" "$(head -n 1 "$T_TMP/out")"
	elif ! cmp -s "$T_TMP/r.img" "$T_TMP/r.orig"; then
		fail "refused: $_ri_name" "the image changed"
	else
		pass "refused: $_ri_name"
	fi
}
refused_inc "another block size" "block" -- --incremental -b1024 --tar=f
refused_inc "an algorithm the image lacks" "compression" -zlz4hc -- --incremental -zlzma --tar=f
refused_inc "no records for big pclusters" "records" -- --incremental -zlz4hc -C65536 --tar=f
refused_inc "fragments" "packed inode" -zlz4hc -- --incremental -zlz4hc -Efragments --tar=f
# an image with fragments keeps its packed inode (and counts it)
"$MKFS" --quiet -zlz4hc -Efragments "$T_TMP/fr.img" "$B" >/dev/null 2>&1
if "$MKFS" --quiet -zlz4hc --incremental --aufs --ovlfs-strip --tar=f "$T_TMP/fr.img" "$T_TMP/l1.tar" \
	>"$T_TMP/mkfs.log" 2>&1; then
	check "an image with fragments + layer 1" "$T_TMP/fr.img" "$E1"
	if "$FSCK" "$T_TMP/fr.img" 2>&1 | grep -q W_SB_INOS; then
		fail "an image with fragments + layer 1: the inode count is exact" "W_SB_INOS"
	else
		pass "an image with fragments + layer 1: the inode count is exact"
	fi
else
	fail "an image with fragments + layer 1" "$(head -n 1 "$T_TMP/mkfs.log")"
fi
refused_inc "another fingerprint key" "prefix" --ishare_key=$FP -- --incremental --ishare_key=user.other --tar=f
refused_inc "48bit on an image without it" "48-bit" -- --incremental -E48bit --tar=f
refused_inc "--tar=i" "directory or --tar=f" -- --incremental --tar=i
head -c 100000 /dev/urandom >"$T_TMP/notimg"
cp "$T_TMP/notimg" "$T_TMP/notimg.orig"
if "$MKFS" --quiet --incremental --tar=f "$T_TMP/notimg" "$T_TMP/l1.tar" >"$T_TMP/out" 2>&1; then
	fail "refused: not an image" "exit 0"
elif grep -qi "not a valid EROFS image" "$T_TMP/out" && cmp -s "$T_TMP/notimg" "$T_TMP/notimg.orig"; then
	pass "refused: not an image, left as it was"
else
	fail "refused: not an image, left as it was" "$(head -n 1 "$T_TMP/out")"
fi

finish
