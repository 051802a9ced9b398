#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# make-corpus.sh OUTDIR - build the corrupted-image corpus: two valid base
# images (Debian's mkfs.erofs 1.5: flat and chunk-based) of a small tree,
# then one small mutation per case.  Writes OUTDIR/NAME.img and the
# manifest OUTDIR/cases, one line per case:
#     NAME EXPECTED_CODE EXPECTED_EXIT [FSCK OPTIONS...]
# (EXPECTED_CODE "-": a legal image, no error expected)
# Offsets are found with dump.erofs ($DUMP), so the mutations follow the
# base images if mkfs changes its layout.
# Environment: DEB_MKFS, DUMP (dump.erofs to locate things).
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
new nlink-wrong base E_NLINK 4 --no-sbcrc
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
