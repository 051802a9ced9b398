#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t086-reserve - images whose file blocks are reserved, not written, as
# erofs-utils 1.9 makes them: --tar=i,MAPFILE and --tar=f,MAPFILE
# --clean=rvsp (the block list says which archive bytes fill which
# blocks), and --clean=rvsp when merging images (sizes only).  Each block
# list is applied by a small script to the image, which must then equal
# the source for our fsck --extract, the kernel, erofsfuse and erofs-utils'
# fsck; erofs-utils' own --tar=i,MAPFILE image and list, applied the same
# way, must read back equal in our fsck.  Fingerprints are of the content
# the list fills in: fsck --check-ishare fails before and passes after.
# A compressed archive gives the same list (offsets in the uncompressed
# stream), ",MAPFILE" without a reservation leaves an empty list and the
# same image, builds are reproducible, and what cannot combine is refused
# leaving neither image nor list.
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs
command -v python3 >/dev/null 2>&1 ||
	skip_all "python3 (to apply the block lists) not installed"
sid_setup

S=$T_TMP/src
tar_tree "$S"
gen_noise 4096 6 >"$S/one-block"
touch -d '2020-02-02 02:02:02' "$S/sub"

XA="--xattrs --xattrs-include=*"
for f in gnu pax pax-sparse; do
	case $f in
	gnu)		o="--format=gnu" ;;
	pax)		o="--format=pax $XA" ;;
	pax-sparse)	o="--format=pax -S --sparse-version=1.0 $XA" ;;
	esac
	# shellcheck disable=SC2086
	tar --numeric-owner --sort=name $o -C "$S" -cf "$T_TMP/$f.tar" . ||
		fail "tar $f" "cannot make the tar"
done

# fill IMG TAR MAP: apply a block list
fill() { apply_blocklist "$@"; }
sid() { "$CHROOT_SH" run --bind "$T_TMP" -- "$@" >"$T_TMP/sid.log" 2>&1; }
build() {	# build NAME ARGS...: our mkfs, reproducibly
	_b_name=$1
	shift
	"$MKFS" --quiet -T0 --mkfs-time -U clear "$@" >"$T_TMP/mkfs.log" 2>&1 ||
		{ fail "$_b_name mkfs" "$(head -n 1 "$T_TMP/mkfs.log")"; return 1; }
}

# ---- --tar=i,MAPFILE -------------------------------------------------------
for t in gnu pax pax-sparse; do
	name="tar=i,MAPFILE $t"
	case $t in
	pax*)	XD= ;;
	*)	XD="--ignore xattrs" ;;	# the gnu tar has none
	esac
	build "$name" --tar=i,"$T_TMP/$t.map" "$T_TMP/$t.img" "$T_TMP/$t.tar" || continue
	if [ -s "$T_TMP/$t.map" ] &&
	   "$DUMP" -s "$T_TMP/$t.img" | grep -q 'blocksize: *4096$' &&
	   ! "$DUMP" -s "$T_TMP/$t.img" | grep -q 'device 1'; then
		pass "$name: 4096-byte blocks, no device, a block list"
	else
		fail "$name: 4096-byte blocks, no device, a block list" \
			"$("$DUMP" -s "$T_TMP/$t.img" | grep -E 'blocksize|device' | tr '\n' ' ')"
	fi
	cp "$T_TMP/$t.img" "$T_TMP/$t.filled"
	fill "$T_TMP/$t.filled" "$T_TMP/$t.tar" "$T_TMP/$t.map"
	MULTIDEV_DIGEST_OPTS=$XD multidev_check "$name, filled" "$S" "$T_TMP/$t.filled"
	[ "$have_sid" = 1 ] && sid_extract "$name, filled" "$S" "$T_TMP/$t.filled"
done

# the same list from the same input, however often; a second build is
# byte-identical
if build "tar=i,MAPFILE again" --tar=i,"$T_TMP/again.map" "$T_TMP/again.img" "$T_TMP/pax.tar" &&
   cmp -s "$T_TMP/again.img" "$T_TMP/pax.img" && cmp -s "$T_TMP/again.map" "$T_TMP/pax.map"; then
	pass "tar=i,MAPFILE reproducible (image and list)"
else
	fail "tar=i,MAPFILE reproducible (image and list)" "the bytes differ"
fi

# erofs-utils' image and list, applied the same way, read back in our fsck
if [ "$have_sid" = 1 ]; then
	if sid mkfs.erofs --quiet -T0 --mkfs-time --tar=i,"$T_TMP/e.map" "$T_TMP/e.img" "$T_TMP/pax.tar"; then
		fill "$T_TMP/e.img" "$T_TMP/pax.tar" "$T_TMP/e.map"
		rm -rf "$T_TMP/x"
		if "$FSCK" --extract="$T_TMP/x" "$T_TMP/e.img" >"$T_TMP/out" 2>&1 &&
		   compare_trees "$S" "$T_TMP/x" --ignore root,mtime-nsec; then
			pass "erofs-utils' tar=i,MAPFILE image, filled: our fsck --extract"
		else
			fail "erofs-utils' tar=i,MAPFILE image, filled: our fsck --extract" \
				"${T_WHY:-$(head -n 1 "$T_TMP/out")}"
		fi
		no_larger "tar=i,MAPFILE image" "$(stat -c %s "$T_TMP/pax.img")" "$(stat -c %s "$T_TMP/e.img")"
	else
		fail "erofs-utils tar=i,MAPFILE mkfs" "$(tail -n 1 "$T_TMP/sid.log")"
	fi
fi

# ---- --tar=f,MAPFILE --clean=rvsp, compressed, with fingerprints -------------
name="tar=f,MAPFILE --clean=rvsp"
FP=trusted.erofs.fingerprint
if build "$name" -zlz4hc --ishare_key=$FP --clean=rvsp --tar=f,"$T_TMP/r.map" \
	"$T_TMP/r.img" "$T_TMP/pax.tar"; then
	if "$FSCK" --check-ishare "$T_TMP/r.img" >"$T_TMP/out" 2>&1; then
		fail "$name: unfilled, --check-ishare fails" "exit 0"
	elif grep -q E_ISHARE_MISMATCH "$T_TMP/out"; then
		pass "$name: unfilled, --check-ishare fails"
	else
		fail "$name: unfilled, --check-ishare fails" "$(head -n 1 "$T_TMP/out")"
	fi
	if "$DUMP" -s "$T_TMP/r.img" | grep -q 'features:.*lz4'; then
		fail "$name: reserved files are never compressed" \
			"$("$DUMP" -s "$T_TMP/r.img" | grep features)"
	else
		pass "$name: reserved files are never compressed"
	fi
	fill "$T_TMP/r.img" "$T_TMP/pax.tar" "$T_TMP/r.map"
	if "$FSCK" --check-ishare "$T_TMP/r.img" >"$T_TMP/out" 2>&1; then
		pass "$name: filled, --check-ishare clean"
	else
		fail "$name: filled, --check-ishare clean" "$(head -n 1 "$T_TMP/out")"
	fi
	IMG_DIGEST_OPTS="--check-fingerprint $FP"
	multidev_check "$name, filled" "$S" "$T_TMP/r.img"
	IMG_DIGEST_OPTS=
	[ "$have_sid" = 1 ] && sid_extract "$name, filled" "$S" "$T_TMP/r.img"
fi

# the offsets are the uncompressed stream's
gzip -c "$T_TMP/pax.tar" >"$T_TMP/pax.tar.gz"
if build "tar.gz --clean=rvsp" -zlz4hc --ishare_key=$FP --clean=rvsp --tar=f,"$T_TMP/z.map" \
	"$T_TMP/z.img" "$T_TMP/pax.tar.gz" && cmp -s "$T_TMP/z.map" "$T_TMP/r.map"; then
	pass "a gzip-compressed tar: the same block list"
else
	fail "a gzip-compressed tar: the same block list" "$(diff "$T_TMP/z.map" "$T_TMP/r.map" | head -n 2 | tr '\n' ' ')"
fi

# ,MAPFILE without a reservation: data copied, the list empty
if build "tar=f,MAPFILE" --tar=f,"$T_TMP/f.map" "$T_TMP/f.img" "$T_TMP/pax.tar" &&
   build "tar=f" --tar=f "$T_TMP/f2.img" "$T_TMP/pax.tar" &&
   [ -f "$T_TMP/f.map" ] && [ ! -s "$T_TMP/f.map" ] && cmp -s "$T_TMP/f.img" "$T_TMP/f2.img"; then
	pass "tar=f,MAPFILE: an empty list, the image of --tar=f"
else
	fail "tar=f,MAPFILE: an empty list, the image of --tar=f" "list or image differ"
fi

# ---- merging images with --clean=rvsp: sizes and metadata, zero data ---------
Z=$T_TMP/zeroed
cp -a "$S" "$Z"
find "$Z" -type f | while read -r f; do
	s=$(stat -c %s "$f")
	touch -r "$f" "$T_TMP/stamp"
	: >"$f"
	truncate -s "$s" "$f"
	touch -r "$T_TMP/stamp" "$f"
done
if build "merge source" "$T_TMP/layer.img" "$S" &&
   build "merge --clean=rvsp" --clean=rvsp "$T_TMP/m.img" "$T_TMP/layer.img"; then
	multidev_check "merge --clean=rvsp" "$Z" "$T_TMP/m.img"
	[ "$have_sid" = 1 ] && sid_extract "merge --clean=rvsp" "$Z" "$T_TMP/m.img"
	if [ "$have_sid" = 1 ] && sid mkfs.erofs --quiet -T0 --mkfs-time --clean=rvsp "$T_TMP/em.img" "$T_TMP/layer.img"; then
		no_larger "merge --clean=rvsp image" "$(stat -c %s "$T_TMP/m.img")" "$(stat -c %s "$T_TMP/em.img")"
	fi
fi

# ---- refused ------------------------------------------------------------------
rm -f "$T_TMP/bad.map"
mkfs_refused "--clean=rvsp with --chunksize" "chunksize" --clean=rvsp --chunksize=4096 \
	--tar=f,"$T_TMP/bad.map" "$T_TMP/bad.img" "$T_TMP/pax.tar"
if [ -e "$T_TMP/bad.map" ]; then
	fail "refused: no block list left behind" "$T_TMP/bad.map exists"
else
	pass "refused: no block list left behind"
fi
mkfs_refused "--clean=rvsp of a directory" "needs --tar" --clean=rvsp "$T_TMP/bad.img" "$S"
mkfs_refused "--clean=other" "invalid --clean" --clean=other --tar=f "$T_TMP/bad.img" "$T_TMP/pax.tar"
head -c 200000 "$T_TMP/pax.tar" >"$T_TMP/cut.tar"
mkfs_refused "--tar=i,MAPFILE of a truncated tar" "cut.tar" --tar=i,"$T_TMP/bad.map" "$T_TMP/bad.img" "$T_TMP/cut.tar"
if [ -e "$T_TMP/bad.map" ]; then
	fail "refused (truncated tar): no block list left behind" "$T_TMP/bad.map exists"
else
	pass "refused (truncated tar): no block list left behind"
fi

finish
