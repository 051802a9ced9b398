#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# make-corpus.sh OUTDIR - build the corrupted-image corpus: two valid base
# images (Debian's mkfs.erofs 1.5: flat and chunk-based) of a small tree,
# then one small mutation per case.  With MKFS (our mkfs.erofs) more bases
# follow, built from a second tree with the layouts 1.5 cannot write
# (compressed indexes of both forms, configuration records of every
# algorithm, fragments, long xattr prefixes): the cases of the fsck
# policy (man fsck.erofs, WHAT COUNTS AS CORRUPTION).  Writes
# OUTDIR/NAME.img, the list of bases OUTDIR/bases (each must check clean)
# and the manifest OUTDIR/cases, one line per case:
#     NAME EXPECTED_CODE EXPECTED_EXIT [FSCK OPTIONS...]
# EXPECTED_CODE "-" means a legal image: no [E_] or [U_] line at all.
# Offsets are found with dump.erofs ($DUMP), so the mutations follow the
# base images if mkfs changes its layout.
# Environment: DEB_MKFS, DUMP (dump.erofs to locate things), MKFS
# (optional).
set -eu
OUT=$1
: "${DEB_MKFS:=/usr/bin/mkfs.erofs}"
: "${DUMP:?DUMP must name dump.erofs}"
mkdir -p "$OUT"
SRC=$OUT/src
rm -rf "$SRC"
mkdir -p "$SRC/dir/sub" "$SRC/many"
printf 'first\n' >"$SRC/aa"
printf 'second\n' >"$SRC/bb"
seq 1 5000 >"$SRC/big"
printf 'f\n' >"$SRC/dir/sub/f"
ln -s aa "$SRC/ln"
i=0
while [ $i -lt 300 ]; do echo $i >"$SRC/many/file-$i"; i=$((i + 1)); done
printf 'x\n' >"$SRC/x"
seq 1 3000 >"$SRC/zz"
setfattr -n user.one -v 1 "$SRC/x"
setfattr -n user.two -v 2 "$SRC/x"
UUID=00000000-0000-0000-0000-000000000000
"$DEB_MKFS" -T1000 -U$UUID "$OUT/base.img" "$SRC" >/dev/null 2>&1
"$DEB_MKFS" -T1000 -U$UUID --chunksize=4096 "$OUT/chunk.img" "$SRC" >/dev/null 2>&1
"$DEB_MKFS" -T1000 -U$UUID -zlz4hc "$OUT/z.img" "$SRC" >/dev/null 2>&1
rm -rf "$SRC"
: >"$OUT/cases"
echo "base chunk z" >"$OUT/bases"

# poke IMG OFFSET HEXBYTES: overwrite bytes in place
poke() {
	bytes=$(echo "$3" | sed 's/../& /g')
	esc=
	for b in $bytes; do esc="$esc\\$(printf %03o "0x$b")"; done
	# shellcheck disable=SC2059
	printf "$esc" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
le32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) \
	$((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
le16() { printf '%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)); }
u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
nid_of() { "$DUMP" --path="$2" "$1" | sed -n 's/^NID: //p'; }
field() { "$DUMP" --path="$2" "$1" | sed -n "s/^$3: \([0-9]*\).*/\1/p"; }
# byte address of the first extent of PATH (its data or inline dirents)
data_of() { "$DUMP" -e --path="$2" "$1" | awk '$1 == "0" { sub(/[.][.].*/, "", $3); print $3; exit }'; }

# new NAME BASE CODE EXIT [OPTS]: copy BASE and register the case
new() {
	name=$1 base=$2 code=$3 rc=$4
	shift 4
	cp "$OUT/$base.img" "$OUT/$name.img"
	echo "$name $code $rc $*" >>"$OUT/cases"
	IMG=$OUT/$name.img
}

B=$OUT/base.img
ROOT=$(data_of "$B" /)
AA=$(nid_of "$B" /aa)
BB=$(nid_of "$B" /bb)
BIG=$(nid_of "$B" /big)
X=$(nid_of "$B" /x)
DIRN=$(nid_of "$B" /dir)
SUBN=$(nid_of "$B" /dir/sub)
SUB=$(data_of "$B" /dir/sub)
DIRD=$(data_of "$B" /dir)
MANY=$(data_of "$B" /many)
ZZ=$(nid_of "$B" /zz)
# root dirents in order: . .. aa bb big dir ln many x zz
ROOTNAMES=$((ROOT + 12 * 10))

new bad-magic base E_SB_MAGIC 8
poke "$IMG" 1024 00000000
new bad-checksum base E_SB_CHECKSUM 4
poke "$IMG" $((1024 + 64)) 41
new unknown-incompat base E_SB_INCOMPAT 4 --no-sbcrc
poke "$IMG" $((1024 + 80)) 00020000
new bad-blkszbits base E_SB_BLKSZBITS 4 --no-sbcrc
poke "$IMG" $((1024 + 12)) 0d
new bad-dirblkbits base E_SB_DIRBLKBITS 4 --no-sbcrc
poke "$IMG" $((1024 + 90)) 01
new bad-extslots base E_SB_EXTSLOTS 4 --no-sbcrc
poke "$IMG" $((1024 + 13)) ff
new ishare-prefix-id base E_SB_ISHARE_PREFIX 4 --no-sbcrc
poke "$IMG" $((1024 + 8)) 23000000
new root-not-dir base E_SB_ROOT 4 --no-sbcrc
poke "$IMG" $((1024 + 14)) "$(le16 "$AA")"
new truncated-tail base E_IMAGE_TRUNCATED 4
truncate -s $(($(stat -c %s "$IMG") - 4096)) "$IMG"
new truncated-head base E_IMAGE_TRUNCATED 4
truncate -s 2000 "$IMG"
new inode-past-end base E_INODE_RANGE 4 --no-sbcrc
poke "$IMG" $((ROOT + 12 * 2)) 00000001
new block-past-end base E_DATA_RANGE 4 --no-sbcrc
poke "$IMG" $((BIG * 32 + 16)) 00ffff00
# a second name for that file: extraction copies it (a link to a file it
# could not write), and the check's row is still the only one
new hardlink-past-end base E_DATA_RANGE 4 --no-sbcrc
poke "$IMG" $((BIG * 32 + 16)) 00ffff00
poke "$IMG" $((ROOT + 9 * 12)) "$(le32 "$BIG")00000000"
new overlap base E_DATA_OVERLAP 4 --no-sbcrc
poke "$IMG" $((BIG * 32 + 16)) "$(le32 $((MANY / 4096)))"
# legal: file data may be shared by any inodes (code "-": clean)
new shared-data base - 0 --no-sbcrc
poke "$IMG" $((ZZ * 32 + 16)) "$(le32 $(($(data_of "$B" /big) / 4096)))"
new nameoff-past-block base E_DIR_NAMEOFF 4
poke "$IMG" $((MANY + 12 + 8)) 9413
new nameoff0-bad base E_DIR_NAMEOFF 4 --no-sbcrc
poke "$IMG" $((SUB + 8)) 0d00
new unsorted base E_DIR_UNSORTED 4 --no-sbcrc
poke "$IMG" $((ROOTNAMES + 3)) 62626161
new duplicate base E_DIR_DUPLICATE 4 --no-sbcrc
poke "$IMG" $((ROOTNAMES + 3)) 6262
new dotdot-elsewhere base E_DIR_DOTDOT 4 --no-sbcrc
poke "$IMG" $((DIRD + 12)) "$(le32 "$SUBN")"
new dot-elsewhere base E_DIR_DOT 4 --no-sbcrc
poke "$IMG" "$DIRD" "$(le32 "$SUBN")"
new dir-cycle base E_DIR_LOOP 4 --no-sbcrc
poke "$IMG" $((SUB + 24)) "$(le32 "$DIRN")"
poke "$IMG" $((SUB + 24 + 10)) 02
new ftype-mismatch base E_DIR_FTYPE 4 --no-sbcrc
poke "$IMG" $((ROOT + 12 * 2 + 10)) 07
new name-with-slash base E_DIR_BADNAME 4 --no-sbcrc
poke "$IMG" $((ROOTNAMES + 3)) 612f
new name-dotdot-file base E_DIR_DUPLICATE 4 --no-sbcrc
poke "$IMG" $((ROOTNAMES + 3)) 2e2e
new name-escape base E_DIR_BADNAME 4 --no-sbcrc
# "many" -> "../e": would climb out of the extraction directory
poke "$IMG" $((ROOTNAMES + 3 + 2 + 2 + 3 + 3 + 2)) 2e2e2f65
# "aa" -> "a\0": the kernel refuses the link (EFSCORRUPTED); found by the
# campaign (an xattr count edit moved an inline target onto a NUL)
new symlink-nul base E_SYMLINK_NUL 4 --no-sbcrc
poke "$IMG" $(($(data_of "$B" /ln) + 1)) 00
# legal but odd: the kernel shows the count stored (an --incremental
# layer that removes one name of a hard-linked file leaves it so, with
# erofs-utils too)
new nlink-wrong base W_NLINK 0 --no-sbcrc
poke "$IMG" $((AA * 32 + 6)) 0500
new iformat-bits base E_INODE_FORMAT 4 --no-sbcrc
poke "$IMG" $((BB * 32)) "$(printf %02x $(( $(u8 "$IMG" $((BB * 32))) | 0x20 )))"
new bad-mode base E_INODE_MODE 4 --no-sbcrc
poke "$IMG" $((BB * 32 + 5)) f1
new xattr-count-past-area base E_XATTR_SHARED_COUNT 4 --no-sbcrc
XISIZE=$(field "$B" /x "Inode version" | head -n 1)
poke "$IMG" $((X * 32 + 32 + 4)) c8
new xattr-icount-1 base E_XATTR_ICOUNT 4 --no-sbcrc
poke "$IMG" $((X * 32 + 2)) 0100
new xattr-bad-prefix base E_XATTR_PREFIX 4 --no-sbcrc
poke "$IMG" $((X * 32 + 32 + 12 + 1)) 09
# a name that is only a namespace ("user."): listed, but getxattr refuses
# it (EINVAL), so that value can never be read
new xattr-empty-name base E_XATTR_EMPTY_NAME 4 --no-sbcrc
poke "$IMG" $((X * 32 + 32 + 12)) 00
# "user.one" -> "user.\0ne": listxattr cuts the name at the NUL, and no
# getxattr finds it (found by the campaign on Debian 1.5 images)
new xattr-name-nul base E_XATTR_NAME_NUL 4 --no-sbcrc
poke "$IMG" $((X * 32 + 32 + 12 + 4)) 00

# after_inode IMG PATH ALIGN: byte address just past PATH's inode and
# inline xattrs, rounded up to ALIGN (where its chunk table or compressed
# map header starts)
after_inode() {
	_nid=$(nid_of "$1" "$2")
	_ver=$("$DUMP" --path="$2" "$1" | sed -n 's/^Inode version: .*(\([0-9]*\) bytes)/\1/p')
	_xs=$(field "$1" "$2" "Xattr size")
	echo $(( (_nid * 32 + _ver + _xs + $3 - 1) / $3 * $3 ))
}

C=$OUT/chunk.img
CBIG=$(nid_of "$C" /big)
CTAB=$(after_inode "$C" /big 4)
new chunk-past-end chunk E_DATA_RANGE 4 --no-sbcrc
poke "$IMG" "$CTAB" 0000ff00
new chunk-bad-format chunk E_CHUNK_FORMAT 4 --no-sbcrc
poke "$IMG" $((CBIG * 32 + 16)) 8000

ZHDR=$(after_inode "$OUT/z.img" /big 8)
# the kernel: "inconsistent algorithmtype", EFSCORRUPTED -- not unsupported
new z-undeclared-alg z E_Z_ALGORITHM 4 --no-sbcrc
poke "$IMG" $((ZHDR + 6)) 11

# ---- the fsck policy, on images of our mkfs ----------------------------
[ -n "${MKFS:-}" ] && [ -x "$MKFS" ] || exit 0
SRC=$OUT/src2
rm -rf "$SRC"
mkdir -p "$SRC"
seq 1 3000 >"$SRC/p1"
seq 1 4000 >"$SRC/p2"
seq 1 20000 >"$SRC/zbig"
printf 'hello\n' >"$SRC/small"
printf 'x\n' >"$SRC/px"
mkfifo "$SRC/fifo"
setfattr -n user.policy.a -v 1 "$SRC/px"
# a POSIX ACL whose named user has the id "ABCD", easy to find in the image
printf 'acl\n' >"$SRC/pacl"
ACLV=0x0200000001000600ffffffff020004004142434404000400ffffffff10000400ffffffff20000400ffffffff
setfattr -n system.posix_acl_access -v $ACLV "$SRC/pacl" 2>/dev/null || rm -f "$SRC/pacl"
printf '0 ^/?p[12]$\n' >"$OUT/hints"
# our NAME [MKFS OPTIONS]: a base image of SRC, left out if mkfs cannot
# (an algorithm not built in)
our() {
	name=$1
	shift
	if "$MKFS" -T0 -Uclear "$@" "$OUT/$name.img" "$SRC" >/dev/null 2>&1; then
		echo "$name" >>"$OUT/bases"
	else
		rm -f "$OUT/$name.img"
	fi
}
our our-plain
our our-mixed -zlz4hc --compress-hints="$OUT/hints"
our our-lz4 -zlz4hc
our our-lz4full -zlz4hc -Elegacy-compress
our our-lz4big -zlz4hc -C65536
our our-lz4bigfull -zlz4hc -C16384 -Elegacy-compress
our our-lzma -zlzma
our our-deflate -zdeflate
our our-zstd -zzstd
our our-frag -zlz4hc -Efragments
our our-prefix --xattr-prefix=user.policy.
our our-ext -E force-inode-extended
# a tar-index layer with its tar appended (containerd's form): the tar is
# device 1, mapped right behind the index, so no --device is needed
if tar -C "$SRC" -cf "$OUT/src2.tar" . 2>/dev/null &&
   "$MKFS" -T0 -Uclear --tar=i "$OUT/our-tari.img" "$OUT/src2.tar" >/dev/null 2>&1; then
	cat "$OUT/src2.tar" >>"$OUT/our-tari.img"
	echo our-tari >>"$OUT/bases"
else
	rm -f "$OUT/our-tari.img"
fi
rm -f "$OUT/src2.tar"
rm -rf "$SRC" "$OUT/hints"
has() { [ -f "$OUT/$1.img" ]; }
# byte address of PATH's inode (meta_blkaddr is 0, as after_inode says),
# and of its compressed map header
iloc() { echo $(( $(nid_of "$1" "$2") * 32 )); }
zhdr() { after_inode "$1" "$2" 8; }
# the first block of PATH's first extent
blk_of() { "$DUMP" -e --path="$2" "$1" | awk '$1 == "0" { split($5, b, "+"); print b[1]; exit }'; }
CFG=$((1024 + 128 + 2))	# payload of the first configuration record

# 1. data may be shared between files, metadata may not (E_DATA_OVERLAP
# of a data block over a directory: the "overlap" case above)
if has our-mixed; then
	M=$OUT/our-mixed.img
	new share-plain our-mixed - 0 --no-sbcrc
	poke "$IMG" $(($(iloc "$M" /p1) + 16)) "$(le32 "$(blk_of "$M" /p2)")"
	new share-pcluster our-mixed - 0 --no-sbcrc
	poke "$IMG" $(($(iloc "$M" /p1) + 16)) "$(le32 "$(blk_of "$M" /zbig)")"
fi
# 2. map headers the kernel refuses: algorithms, lcluster size, fragments
if has our-lz4; then
	H=$(zhdr "$OUT/our-lz4.img" /zbig)
	new z-alg-undeclared our-lz4 E_Z_ALGORITHM 4 --no-sbcrc
	poke "$IMG" $((H + 6)) 01
	new z-alg-unknown our-lz4 E_Z_ALGORITHM 4 --no-sbcrc
	poke "$IMG" $((H + 6)) 07
	new z-alg-unknown-head2 our-lz4 E_Z_ALGORITHM 4 --no-sbcrc
	poke "$IMG" $((H + 6)) 50
	new z-clusterbits our-lz4 E_Z_HEADER 4 --no-sbcrc
	poke "$IMG" $((H + 7)) 03
	new z-fragment-no-feature our-lz4 E_Z_HEADER 4 --no-sbcrc
	poke "$IMG" $((H + 4)) "$(printf %02x $(( $(u8 "$IMG" $((H + 4))) | 0x20 )))"
	# compact indexes: the leading 4-byte packs hold le16 entries (lo,
	# type << 12) from H + 8; lcn 2 is a HEAD1, lcn 4 the HEAD1 before
	# a NONHEAD
	new zc-head-made-plain our-lz4 E_Z_INDEX 4 --no-sbcrc
	poke "$IMG" $((H + 8 + 2 * 4)) "$(le16 $(( $(u8 "$IMG" $((H + 16))) | ($(u8 "$IMG" $((H + 17))) & 15) << 8 )))"
	new zc-lookback-zero our-lz4 E_Z_INDEX 4 --no-sbcrc
	poke "$IMG" $((H + 8 + 4 * 4)) 0020
fi
if has our-frag; then
	new z-fragment-no-packed our-frag E_Z_HEADER 4 --no-sbcrc
	poke "$IMG" $((1024 + 0x60)) 0000000000000000
	new z-fragment-past-packed our-frag E_Z_HEADER 4 --no-sbcrc
	poke "$IMG" "$(zhdr "$OUT/our-frag.img" /zbig)" ffffff7f
fi
if has our-plain; then
	P=$OUT/our-plain.img
	new inline-to-compressed our-plain E_Z_HEADER 4 --no-sbcrc
	poke "$IMG" "$(iloc "$P" /small)" 0200
	# 3. an inline file's blocks at the null address: EIO in the kernel
	new inline-null-start our-plain E_DATA_RANGE 4 --no-sbcrc
	poke "$IMG" $(($(iloc "$P" /p1) + 16)) ffffffff
	# 6. the kernel loads the prefix table whatever the feature bit says
	new prefix-count-no-table our-plain E_SB_XATTR_PREFIX 4 --no-sbcrc
	poke "$IMG" $((1024 + 0x5b)) 01
	# 8. POSIX ACL values the kernel cannot decode: getxattr fails
	# (EINVAL); the value starts 16 bytes before the id "ABCD", its
	# e_value_size 2 bytes before the value (the name suffix is empty)
	ABCD=$(LC_ALL=C grep -obUa ABCD "$P" | head -n 1 | cut -d: -f1)
	if [ -n "$ABCD" ]; then
		V=$((ABCD - 16))
		new acl-size our-plain E_XATTR_ACL 4 --no-sbcrc
		poke "$IMG" $((V - 2)) "$(le16 27)"
		new acl-tag our-plain E_XATTR_ACL 4 --no-sbcrc
		poke "$IMG" $((V + 4)) 0300
		new acl-version our-plain E_XATTR_ACL 4 --no-sbcrc
		poke "$IMG" "$V" 01000000
		new acl-user-minus-1 our-plain E_XATTR_ACL 4 --no-sbcrc
		poke "$IMG" $((V + 16)) ffffffff
		# a named user with another id is fine
		new acl-user-other our-plain - 0 --no-sbcrc
		poke "$IMG" $((V + 16)) e8030000
	fi
fi
# 9. an extended inode's uid -1: "no id", even root is refused (EACCES)
if has our-ext; then
	new uid-minus-1 our-ext E_INODE_ID 4 --no-sbcrc
	poke "$IMG" $(($(iloc "$OUT/our-ext.img" /p2) + 24)) ffffffff
	new gid-minus-2 our-ext - 0 --no-sbcrc
	poke "$IMG" $(($(iloc "$OUT/our-ext.img" /p2) + 28)) feffffff
fi
if has our-prefix; then
	new prefix-no-feature our-prefix W_SB_PREFIX_FEATURE 0 --no-sbcrc
	poke "$IMG" $((1024 + 0x50)) "$(printf %02x $(( $(u8 "$IMG" $((1024 + 0x50))) & ~0x40 )))"
fi
# 4. configuration records the kernel refuses to mount with
if has our-lzma; then
	new cfg-lzma-dict0 our-lzma E_SB_COMPR_CFGS 4 --no-sbcrc
	poke "$IMG" $CFG 00000000
	new cfg-lzma-dict-big our-lzma E_SB_COMPR_CFGS 4 --no-sbcrc
	poke "$IMG" $CFG 01008000
	new cfg-lzma-dict-8m our-lzma - 0 --no-sbcrc
	poke "$IMG" $CFG 00008000
	# Linux 7.2 fails (EUCLEAN) on an extent at least as long as a
	# dictionary size that is not a multiple of 4, and reads the same
	# data with 4100 or with an odd size past every extent (QEMU, 40
	# images: see the note of this change)
	new cfg-lzma-dict-odd our-lzma E_Z_LZMA_DICT 4 --no-sbcrc
	poke "$IMG" $CFG 01100000
	new cfg-lzma-dict-4100 our-lzma - 0 --no-sbcrc
	poke "$IMG" $CFG 04100000
	new cfg-lzma-dict-odd-big our-lzma W_SB_LZMA_DICT 0 --no-sbcrc
	poke "$IMG" $CFG ffff7f00
fi
if has our-deflate; then
	new cfg-deflate-windowbits our-deflate E_SB_COMPR_CFGS 4 --no-sbcrc
	poke "$IMG" $CFG 10
fi
if has our-zstd; then
	new cfg-zstd-windowlog our-zstd E_SB_COMPR_CFGS 4 --no-sbcrc
	poke "$IMG" $((CFG + 1)) 0b
fi
if has our-lz4big; then
	new cfg-lz4-pclusterblks our-lz4big E_SB_COMPR_CFGS 4 --no-sbcrc
	poke "$IMG" $((CFG + 2)) 0101
fi
# 5. lcluster indexes (FULL form: 8 bytes each, from map header + 16)
if has our-lz4full; then
	I=$(( $(zhdr "$OUT/our-lz4full.img" /zbig) + 16 ))
	new zi-lcn0-clusterofs our-lz4full E_Z_INDEX 4 --no-sbcrc
	poke "$IMG" $((I + 2)) 6400
	new zi-clusterofs-beyond our-lz4full E_Z_INDEX 4 --no-sbcrc
	poke "$IMG" $((I + 8 + 2)) 0010
	new zi-lookback-zero our-lz4full E_Z_INDEX 4 --no-sbcrc
	poke "$IMG" $((I + 8)) 0200
	poke "$IMG" $((I + 8 + 4)) 00000000
	new zi-lookback-past-0 our-lz4full E_Z_INDEX 4 --no-sbcrc
	poke "$IMG" $((I + 8)) 0200
	poke "$IMG" $((I + 8 + 4)) 09000000
	new zi-cblkcnt-not-big our-lz4full E_Z_INDEX 4 --no-sbcrc
	poke "$IMG" $((I + 8)) 0200
	poke "$IMG" $((I + 8 + 4)) 01080000
	new zi-blkaddr-past-end our-lz4full E_DATA_RANGE 4 --no-sbcrc
	poke "$IMG" $((I + 8 + 4)) 00ffff00
fi
# a fifo with the inline, compressed or chunk-based data layout: Linux
# never reads its data
if has our-plain; then
	new special-inline-layout our-plain W_INODE_LAYOUT_SPECIAL 0 --no-sbcrc
	poke "$IMG" "$(iloc "$IMG" /fifo)" 0400
	new special-compressed-layout our-plain W_INODE_LAYOUT_SPECIAL 0 --no-sbcrc
	poke "$IMG" "$(iloc "$IMG" /fifo)" 0600
	new special-chunk-layout our-plain W_INODE_LAYOUT_SPECIAL 0 --no-sbcrc
	poke "$IMG" "$(iloc "$IMG" /fifo)" 0800
fi
# 6. big pclusters in FULL indexes (zbig: 4-block pclusters; lcluster 1
# holds CBLKCNT|4, lclusters 2..4 look back 2..4).  Linux takes the
# count of a CBLKCNT it meets on a lookback (not only the head's next
# lcluster) as the pcluster's size when a read starts there: the same
# count reads right, another one decodes a cut pcluster.
if has our-lz4bigfull; then
	I=$(( $(zhdr "$OUT/our-lz4bigfull.img" /zbig) + 16 ))
	new zi-cblkcnt-middle-same our-lz4bigfull - 0 --no-sbcrc
	poke "$IMG" $((I + 24 + 4)) 0408
	new zi-cblkcnt-middle-other our-lz4bigfull E_Z_INDEX 4 --no-sbcrc
	poke "$IMG" $((I + 24 + 4)) 0208
	# 6 blocks for 20754 decoded bytes: "too much compressed data"
	new zi-more-compressed our-lz4bigfull E_Z_INDEX 4 --no-sbcrc
	poke "$IMG" $((I + 8 + 4)) 0608
	# p1's one-block pcluster moved onto zbig's first (4 blocks): one
	# pcluster start, two sizes (Linux decodes it one way for both)
	new z-shared-size our-lz4bigfull E_Z_SHARED 4 --no-sbcrc
	poke "$IMG" $(( $(zhdr "$OUT/our-lz4bigfull.img" /p1) + 16 + 4 )) "$(le32 "$(blk_of "$OUT/our-lz4bigfull.img" /zbig)")"
	# Linux 7.2's holes: HOLE on a FULL head, CBLKCNT 0
	new zi-hole-bit our-lz4bigfull - 0 --no-sbcrc
	poke "$IMG" $((I + 1)) 40
	new zi-hole-cblkcnt our-lz4bigfull - 0 --no-sbcrc
	poke "$IMG" $((I + 8 + 4)) 0008
	# HOLE on lcluster 5's head, which starts 0x112 bytes in: a read of
	# those first bytes maps the extent before it with 0 blocks, and
	# Linux 7.2 returns zeros for all of that extent
	new zi-hole-mid-lcluster our-lz4bigfull E_Z_INDEX 4 --no-sbcrc
	poke "$IMG" $((I + 40 + 1)) 40
fi
# 7. the device table and chunk indexes (device_id is masked to the
# table's power of two, as the kernel does: what masks to 0 is the
# primary device)
if has our-tari; then
	T=$OUT/our-tari.img
	DEVT=$(( $(od -An -tu2 -j $((1024 + 0x58)) -N2 "$T" | tr -d ' ') * 128 ))
	IX=$(after_inode "$T" /p1 8)
	new devt-past-end our-tari E_SB_DEVICE_TABLE 4 --no-sbcrc
	poke "$IMG" $((1024 + 0x58)) ff7f
	new devt-unmapped our-tari U_DEVICE_MISSING 8 --no-sbcrc
	poke "$IMG" $((DEVT + 68)) 00000000
	new chunk-devid-masked our-tari - 0 --no-sbcrc
	poke "$IMG" $((IX + 2)) 0300
	new chunk-devid-masked-0 our-tari - 0 --no-sbcrc
	poke "$IMG" $((IX + 2)) 0200
	new chunk-past-device our-tari E_DATA_RANGE 4 --no-sbcrc
	poke "$IMG" $((IX + 4)) 00ffff00
	new devt-none-but-chunks our-tari E_DATA_RANGE 4 --no-sbcrc
	poke "$IMG" $((1024 + 0x56)) 0000
fi
