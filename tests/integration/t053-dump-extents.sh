#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t053-dump-extents.sh - dump.erofs -e lists every extent right, for every
# data layout, and -S / fsck.erofs -p give a consistent compression ratio.
#
# Inputs: a small tree this script writes with fixed contents (text that
# compresses, pseudo-random bytes that do not, mixes of both so files get
# compressed and PLAIN lclusters, a sparse file, two files sharing 40000
# bytes for dedupe, a 300-byte file, an empty one).  Images are built by
#   - Debian's mkfs.erofs 1.5 (always here): lz4 compact indexes, lz4hc
#     full indexes, big pclusters + ztailpacking, flat and chunked files;
#   - erofs-utils 1.9.x in the sid chroot (scripts/sid-chroot.sh; its part
#     SKIPs with the reason when the chroot is missing): every algorithm
#     (lz4, lz4hc, lzma, deflate, zstd), full/compact/48-bit encoded
#     extents, big pclusters, ztailpacking, tail fragments, whole-file
#     fragments (-E all-fragments), dedupe with partial references, 1 KiB
#     blocks, chunked files with holes.
# For each image and file:
#   - our -e extents (logical range, physical range, encoded length) equal
#     the image writer's own dump.erofs -e (1.5 or 1.9), fragments aside;
#   - our --cat gives the input file back, so the reader agrees too;
#   - the kernel mounts the image and gives the same files;
#   - our fsck is clean and its -p ratio equals dump -S's ratio, which is
#     stored / original of the -S byte counts.
# Golden files tests/golden/t053-<image>.out hold our full -e output
# (all columns, flags, map header); the 1.9 ones are compared only when
# the chroot's version is the one they were made with
# (tests/golden/t053-sid-version).  UPDATE_GOLDEN=1 rewrites them.
. "$(dirname "$0")/lib.sh"
need_root

GOLDEN=$TOP_SRCDIR/tests/golden
CHROOT_SH=$TOP_SRCDIR/scripts/sid-chroot.sh
UUID=11111111-2222-3333-4444-555555555555
FILES="text rand mixed small dup1 dup2 empty sparse"

[ -x "$DUMP" ] || skip_all "$DUMP not built"
command -v perl >/dev/null 2>&1 || skip_all "perl not installed (makes the inputs)"

# ---- the input tree ------------------------------------------------------
SRC=$T_TMP/src
mkdir -p "$SRC"
perl -e '
use strict;
my $d = shift;
my $s = 12345;
sub rnd { my $n = shift; my $o = "";
  for (1..$n) { $s = ($s * 1103515245 + 12345) & 0x7fffffff;
    $o .= chr(($s >> 16) & 255); } $o }
sub text { my ($n, $tag) = @_; my $o = ""; my $i = 0;
  while (length($o) < $n) {
    $o .= sprintf("%s line %06d the quick brown fox jumps\n", $tag, $i++); }
  substr($o, 0, $n) }
sub put { my ($f, $c) = @_; open(my $h, ">", "$d/$f") or die "$f: $!";
  binmode $h; print $h $c; close $h; }
put("text", text(70000, "T"));
put("rand", rnd(9000));
put("mixed", text(20000, "M") . rnd(12288) . text(15000, "N") . rnd(3000));
put("small", text(300, "S"));
my $dup = text(40000, "D");
put("dup1", $dup);
put("dup2", text(10000, "X") . $dup);
put("empty", "");
' "$SRC" || skip_all "cannot write the input tree"
truncate -s 20000 "$SRC/sparse"
printf 'DATA-IN-THE-MIDDLE' |
	dd of="$SRC/sparse" bs=1 seek=9000 conv=notrunc 2>/dev/null
chmod 0644 "$SRC"/*
chmod 0755 "$SRC"

# ---- checks ----------------------------------------------------------------

# "LSTART LEND PSTART PEND" per extent of our -e output; fragments give
# "0 0" (what erofs-utils prints for them), holes "hole"
norm_ours() {
	awk '/^ +[0-9]+ +[0-9]+\.\./ {
		split($2, l, "\\.\\.")
		if ($3 ~ /^P:/) print l[1], l[2], 0, 0
		else if ($3 == "-") print l[1], l[2], "hole"
		else { split($3, p, "\\.\\."); print l[1], l[2], p[1], p[2] }
	}' "$1"
}

# the same from erofs-utils' dump.erofs -e; it does not clamp the last
# chunk of a chunked file at i_size and gives holes the null address
norm_ref() {
	awk -F'[|:]' -v size="$2" '/^ +[0-9]+:/ {
		gsub(/ /, "", $2); gsub(/ /, "", $4)
		split($2, l, "\\.\\."); split($4, p, "\\.\\.")
		if (p[1] + 0 >= 2 ^ 40) {
			e = l[2] + 0 > size + 0 ? size : l[2]
			print l[1], e, "hole"
			next
		}
		if (l[2] + 0 > size + 0 && p[2] - p[1] == l[2] - l[1]) {
			p[2] -= l[2] - size; l[2] = size
		}
		print l[1], l[2], p[1], p[2]
	}' "$1"
}

# check_image TAG IMG REFDUMP... : every file's extents against REFDUMP,
# --cat, kernel mount, fsck, ratio, golden
check_image() {
	tag=$1 img=$2
	shift 2
	out=$T_TMP/$tag.all
	: >"$out"
	bad=
	for f in $FILES; do
		size=$(wc -c <"$SRC/$f")
		"$DUMP" -e --path="/$f" "$img" >"$T_TMP/ours" 2>&1 ||
			bad="$bad $f(exit $?)"
		{ echo "## /$f"; awk '/^(Map header|Extents)/ { p = 1 } p' "$T_TMP/ours"; } >>"$out"
		norm_ours "$T_TMP/ours" >"$T_TMP/ours.n"
		"$@" -e --path="/$f" "$img" >"$T_TMP/ref" 2>&1
		norm_ref "$T_TMP/ref" "$size" >"$T_TMP/ref.n"
		[ "$size" = 0 ] && [ ! -s "$T_TMP/ours.n" ] && continue
		if [ ! -s "$T_TMP/ours.n" ] || ! cmp -s "$T_TMP/ours.n" "$T_TMP/ref.n"; then
			bad="$bad $f"
			diff "$T_TMP/ref.n" "$T_TMP/ours.n" | sed -n '2,7s/^/    /p'
		fi
	done
	if [ -z "$bad" ]; then
		pass "$tag: extents equal the writer's dump.erofs -e"
	else
		fail "$tag: extents" "differ for:$bad"
	fi

	bad=
	for f in $FILES; do
		"$DUMP" --cat --path="/$f" "$img" 2>/dev/null | cmp -s - "$SRC/$f" ||
			bad="$bad $f"
	done
	if [ -z "$bad" ]; then
		pass "$tag: --cat gives the inputs back"
	else
		fail "$tag: --cat" "differs for:$bad"
	fi

	if [ "$HAVE_MOUNT" = 1 ]; then
		mnt=$T_TMP/mnt
		if mount_image "$img" "$mnt"; then
			if diff -r "$SRC" "$mnt" >"$T_TMP/kdiff" 2>&1; then
				pass "$tag: kernel reads the same files"
			else
				fail "$tag: kernel" "$(head -n 1 "$T_TMP/kdiff")"
			fi
			umount_image "$mnt"
		else
			fail "$tag: kernel" "$T_WHY"
		fi
	fi

	if [ -x "$FSCK" ]; then
		"$FSCK" -p "$img" >"$T_TMP/fsck.out" 2>&1
		rc=$?
		"$DUMP" -S "$img" >"$T_TMP/stats.out" 2>&1
		r1=$(sed -n 's/^Compression ratio: \([0-9.]*\)(%)$/\1/p' "$T_TMP/fsck.out")
		r2=$(sed -n 's/^Filesystem compression ratio: *\([0-9.]*\)%$/\1/p' "$T_TMP/stats.out")
		orig=$(sed -n 's/^Filesystem total original file size: *\([0-9]*\) Bytes$/\1/p' "$T_TMP/stats.out")
		stored=$(sed -n 's/^Filesystem total file size: *\([0-9]*\) Bytes$/\1/p' "$T_TMP/stats.out")
		want=$(awk -v o="$orig" -v s="$stored" 'BEGIN { if (o + 0 > 0) printf "%.2f", 100 * s / o; else print "100.00" }')
		if [ "$rc" != 0 ]; then
			fail "$tag: fsck -p" "exit $rc: $(grep -v '^$' "$T_TMP/fsck.out" | head -n 1)"
		elif [ -z "$r1" ] || [ "$r1" != "$r2" ] || [ "$r2" != "$want" ]; then
			fail "$tag: ratio" "fsck -p '$r1', dump -S '$r2', stored/original '$want'"
		else
			pass "$tag: fsck clean, ratio $r1% in fsck -p and dump -S"
		fi
	fi

	if [ "$GOLD" = skip ]; then
		skip "$tag: golden" "$GOLD_WHY"
	elif [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$out" "$GOLDEN/t053-$tag.out"
		pass "$tag: golden (updated)"
	elif [ ! -f "$GOLDEN/t053-$tag.out" ]; then
		fail "$tag: golden" "no t053-$tag.out (run with UPDATE_GOLDEN=1)"
	elif diff -u "$GOLDEN/t053-$tag.out" "$out" >"$T_TMP/$tag.diff"; then
		pass "$tag: golden"
	else
		fail "$tag: golden" "output differs: $(sed -n 4,5p "$T_TMP/$tag.diff" | tr '\n' ' ')"
		sed -n '1,20p' "$T_TMP/$tag.diff" | sed 's/^/    /'
	fi
}

HAVE_MOUNT=0
if grep -qw erofs /proc/filesystems 2>/dev/null && [ -e /dev/loop-control ]; then
	HAVE_MOUNT=1
else
	skip "kernel" "no erofs or loop devices: images are not mounted"
fi

# ---- images by Debian's erofs-utils 1.5 -------------------------------------
if [ -x "$DEB_MKFS" ] && [ -x /usr/bin/dump.erofs ] &&
   "$DEB_MKFS" 2>&1 | grep -q 'mkfs.erofs 1.5'; then
	GOLD=compare
	deb() {
		tag=$1
		shift
		img=$T_TMP/$tag.img
		if "$DEB_MKFS" -T0 -U$UUID --all-root "$@" "$img" "$SRC" \
			>"$T_TMP/mkfs.log" 2>&1; then
			check_image "$tag" "$img" /usr/bin/dump.erofs
		else
			fail "$tag: mkfs" "$(tail -n 1 "$T_TMP/mkfs.log")"
		fi
	}
	deb deb-plain
	deb deb-chunk --chunksize=4096
	deb deb-lz4 -zlz4
	deb deb-lz4hc-full -zlz4hc -E legacy-compress
	deb deb-lz4hc-big-ztail -zlz4hc -C16384 -E ztailpacking
else
	skip "debian-1.5" "$DEB_MKFS is not erofs-utils 1.5"
fi

# ---- images by erofs-utils 1.9 in the sid chroot ----------------------------
"$CHROOT_SH" setup >"$T_TMP/chroot.log" 2>&1
rc=$?
if [ "$rc" = 77 ]; then
	skip "sid" "sid chroot unavailable: $(tail -n 1 "$T_TMP/chroot.log")"
	finish
elif [ "$rc" != 0 ]; then
	fail "sid" "sid-chroot.sh setup failed: $(tail -n 1 "$T_TMP/chroot.log")"
	finish
fi
sid() {
	"$CHROOT_SH" run --bind "$T_TMP" -- "$@"
}
ver=$(sid mkfs.erofs -V 2>/dev/null | head -n 1)
case $ver in
*" 1.9"*|*" 1.1"[0-9]*|*" 2."*) ;;
*)
	skip "sid" "sid's erofs-utils is '$ver', need 1.9+ (fragments, dedupe, 48bit)"
	finish ;;
esac
GOLD=compare
want_ver=$(cat "$GOLDEN/t053-sid-version" 2>/dev/null)
if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
	echo "$ver" >"$GOLDEN/t053-sid-version"
elif [ "$ver" != "$want_ver" ]; then
	GOLD=skip
	GOLD_WHY="goldens made with '$want_ver', the chroot has '$ver'"
fi
s19() {
	tag=$1
	shift
	img=$T_TMP/$tag.img
	if sid mkfs.erofs --quiet -T0 -U$UUID --all-root "$@" "$img" "$SRC" \
		>"$T_TMP/mkfs.log" 2>&1; then
		check_image "$tag" "$img" sid dump.erofs
	else
		fail "$tag: mkfs" "$(tail -n 1 "$T_TMP/mkfs.log")"
	fi
}
s19 sid-plain
s19 sid-chunk --chunksize=4096
s19 sid-lz4 -zlz4
s19 sid-lz4hc-full -zlz4hc -E legacy-compress
s19 sid-lzma-big -zlzma -C16384
s19 sid-lzma-b1k-ztail -b1024 -zlzma -E ztailpacking
s19 sid-deflate-ztail -zdeflate -E ztailpacking
s19 sid-zstd-frag -zzstd -E fragments
s19 sid-lz4hc-allfrag -zlz4hc -E all-fragments
s19 sid-lz4-dedupe -zlz4 -E dedupe
s19 sid-zstd-dedupe-frag -zzstd -C16384 -E dedupe,fragments,ztailpacking
s19 sid-lz4-48bit -zlz4 -E 48bit
finish
