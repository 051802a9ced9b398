#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t054: the check engine on images with a packed inode (-E fragments,
# -E all-fragments) and shared pclusters (-E dedupe).
#
#   - fsck is clean on every image and its -p ratio equals dump -S's
#     "compression ratio", which equals "total file size" / "total
#     original file size" of the same output (one figure, packed inode's
#     stored bytes included, every shared pcluster counted once);
#   - independent expectation for dedupe: adding an exact copy of a file
#     adds its size to the original bytes and nothing to the stored bytes;
#   - for -E all-fragments every file lives in the packed inode, so the
#     stored bytes are exactly the packed inode's stored bytes;
#   - erofs-utils 1.9 (sid chroot, when available) accepts the images; its
#     -p ratio is printed for information only: it counts whole blocks per
#     file and counts a shared pcluster once per file using it;
#   - corruptions of the packed inode are reported with a non-zero exit:
#     a zeroed pcluster of the packed inode (decode error), a file's
#     fragment offset past the packed inode's size; a wrong i_u of the
#     packed inode gives a warning naming it.

. "$(dirname "$0")/lib.sh"

need_mkfs
[ -x "$FSCK" ] && [ -x "$DUMP" ] || skip_all "our fsck.erofs/dump.erofs not built"
command -v od >/dev/null 2>&1 || skip_all "od missing"

src=$T_TMP/src
mkdir -p "$src/a" "$src/b"
gen_text 70000 1 >"$src/a/big"
gen_text 30000 2 >"$T_TMP/prefix"
{ cat "$T_TMP/prefix"; gen_text 5000 3; } >"$src/a/prefix1"
{ cat "$T_TMP/prefix"; gen_text 7000 4; } >"$src/b/prefix2"
i=0
while [ $i -lt 8 ]; do
	gen_text $((100 + i * 900)) $((10 + i)) >"$src/a/small$i"
	i=$((i + 1))
done
cp "$src/a/small3" "$src/b/dupsmall"
gen_noise 9000 5 >"$src/b/noise"
: >"$src/empty"
# the same tree plus an exact copy of a/big
cp -a "$src" "$T_TMP/src2"
cp "$src/a/big" "$T_TMP/src2/b/big.copy"

# write an unsigned little-endian 32-bit value at a byte offset
put_le32() {
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($2 & 255)) \
		$(($2 >> 8 & 255)) $(($2 >> 16 & 255)) $(($2 >> 24 & 255)))" |
		dd of="$1" bs=1 seek="$3" conv=notrunc 2>/dev/null
}

# stats IMG: sets r_fsck, r_dump, orig, stored (dump -S), pstored
stats() {
	r_fsck=$("$FSCK" -p "$1" 2>&1 | sed -n 's/^Compression ratio: \([0-9.]*\)(%)$/\1/p')
	"$DUMP" -S "$1" >"$T_TMP/stats.out" 2>&1
	r_dump=$(sed -n 's/^Filesystem compression ratio: *\([0-9.]*\)%$/\1/p' "$T_TMP/stats.out")
	orig=$(sed -n 's/^Filesystem total original file size: *\([0-9]*\) Bytes$/\1/p' "$T_TMP/stats.out")
	stored=$(sed -n 's/^Filesystem total file size: *\([0-9]*\) Bytes$/\1/p' "$T_TMP/stats.out")
	pstored=$(sed -n 's/^Filesystem packed inode size: *[0-9]* Bytes, \([0-9]*\) stored$/\1/p' "$T_TMP/stats.out")
}

SID=0
CHROOT_SH=$TOP_SRCDIR/scripts/sid-chroot.sh
if [ "$(id -u)" = 0 ] && [ -x "$CHROOT_SH" ] &&
   "$CHROOT_SH" setup >"$T_TMP/chroot.log" 2>&1; then
	case $("$CHROOT_SH" run --bind "$T_TMP" -- fsck.erofs -V 2>/dev/null | head -n 1) in
	*" 1.9"*|*" 1.1"[0-9]*|*" 2."*) SID=1 ;;
	esac
fi
[ $SID = 1 ] || skip "$T_NAME: sid fsck.erofs" "sid chroot (erofs-utils 1.9+) unavailable"

for bs in 4096 512; do
for z in lz4hc lzma; do
for e in fragments all-fragments dedupe dedupe,fragments dedupe,all-fragments; do
	tag="bs $bs -z$z -E$e"
	img=$T_TMP/img
	rm -f "$img"
	if ! "$MKFS" -T0 -z$z -b$bs -E$e "$img" "$src" >"$T_TMP/mkfs.log" 2>&1; then
		fail "$tag: mkfs" "$(tail -n 1 "$T_TMP/mkfs.log")"
		continue
	fi
	if ! "$FSCK" "$img" >"$T_TMP/fsck.log" 2>&1; then
		fail "$tag: fsck" "$(grep -v '^$' "$T_TMP/fsck.log" | tail -n 1)"
		continue
	fi
	stats "$img"
	want=$(awk -v s="$stored" -v o="$orig" 'BEGIN { if (s == "" || !o) print "?"; else printf "%.2f", 100 * s / o }')
	if [ -z "$r_fsck" ] || [ "$r_fsck" != "$r_dump" ] || [ "$r_fsck" != "$want" ]; then
		fail "$tag: ratio" "fsck -p '$r_fsck', dump -S '$r_dump', stored/original '$want'"
	else
		pass "$tag: fsck clean, ratio $r_fsck% in fsck -p and dump -S"
	fi
	case $e in
	*all-fragments)
		if [ "$stored" = "$pstored" ]; then
			pass "$tag: stored bytes = packed inode's ($pstored)"
		else
			fail "$tag: stored bytes" "$stored, packed inode stores '$pstored'"
		fi ;;
	esac
	if [ $SID = 1 ]; then
		if "$CHROOT_SH" run --bind "$T_TMP" -- fsck.erofs -d3 -p "$img" \
		   >"$T_TMP/sid.log" 2>&1; then
			pass "$tag: sid fsck.erofs clean (its block-based ratio $(sed -n 's/.*Compression ratio: //p' "$T_TMP/sid.log"), ours $r_fsck%)"
		else
			fail "$tag: sid fsck.erofs" "$(grep -v '^$' "$T_TMP/sid.log" | tail -n 1)"
		fi
	fi
	case $e in
	dedupe*)
		o1=$orig s1=$stored
		rm -f "$img"
		"$MKFS" -T0 -z$z -b$bs -E$e "$img" "$T_TMP/src2" >/dev/null 2>&1 &&
			stats "$img"
		bigsz=$(wc -c <"$src/a/big")
		if [ "$r_fsck" = "$r_dump" ] && [ "$stored" = "$s1" ] &&
		   [ "$orig" = $((o1 + bigsz)) ]; then
			pass "$tag: a duplicate file adds $bigsz original bytes, 0 stored"
		else
			fail "$tag: duplicate file" "original $o1 -> $orig (+$bigsz expected), stored $s1 -> $stored (same expected), ratios '$r_fsck'/'$r_dump'"
		fi ;;
	esac
done
done
done

# ---- corruptions of the packed inode --------------------------------------
# expect NAME CODE IMG [FSCK OPTIONS]: fsck must print [CODE] and exit 4
expect() {
	"$FSCK" ${4:-} "$3" >"$T_TMP/out" 2>&1
	rc=$?
	if ! grep -qF "[$2]" "$T_TMP/out"; then
		fail "$1" "no [$2] (exit $rc): $(grep -o '\[[EW]_[A-Z0-9_]*\]' "$T_TMP/out" | sort -u | tr '\n' ' ')"
	elif [ $rc -ne 4 ]; then
		fail "$1" "[$2] found but exit $rc, expected 4"
	else
		pass "$1"
	fi
}

for z in lz4hc lzma; do
	img=$T_TMP/c.img
	rm -f "$img"
	"$MKFS" -T0 -z$z -Eall-fragments "$img" "$src" >/dev/null 2>&1 ||
		{ fail "corrupt -z$z: mkfs" "failed"; continue; }
	pnid=$("$DUMP" "$img" | sed -n 's/^Filesystem packed nid: *\([0-9]*\)$/\1/p')
	meta=$("$DUMP" "$img" | sed -n 's/^Filesystem inode metadata start block: *\([0-9]*\)$/\1/p')
	# 1. zero the packed inode's first pcluster
	cp "$img" "$T_TMP/c1.img"
	pa=$("$DUMP" --nid="$pnid" -e "$img" | awk '$1 == "0" && $3 ~ /\.\./ { split($3, p, "\\.\\."); print p[1]; exit }')
	if [ -z "$pa" ]; then
		fail "corrupt -z$z: packed pcluster" "no extent 0 in dump -e of nid $pnid"
	else
		dd if=/dev/zero of="$T_TMP/c1.img" bs=1 seek="$pa" count=4096 \
			conv=notrunc 2>/dev/null
		expect "corrupt -z$z: zeroed pcluster of the packed inode" \
			E_COMPRESSED "$T_TMP/c1.img"
		if grep -q "(packed inode)" "$T_TMP/out"; then
			pass "corrupt -z$z: report names the packed inode"
		else
			fail "corrupt -z$z: report names the packed inode" "$(head -n 2 "$T_TMP/out")"
		fi
	fi
	# 3. the packed inode's i_u (le32 at byte 16 of both inode forms) no
	#    longer counts its pcluster blocks: a warning naming it
	cp "$img" "$T_TMP/c3.img"
	bsz0=$("$DUMP" "$img" | sed -n 's/^Filesystem blocksize: *\([0-9]*\)$/\1/p')
	put_le32 "$T_TMP/c3.img" 999 $((meta * bsz0 + pnid * 32 + 16))
	"$FSCK" --no-sbcrc "$T_TMP/c3.img" >"$T_TMP/out" 2>&1
	if grep -qF "[W_INODE_BLOCKS] (packed inode)" "$T_TMP/out"; then
		pass "corrupt -z$z: packed inode i_u reported"
	else
		fail "corrupt -z$z: packed inode i_u" "$(head -n 2 "$T_TMP/out")"
	fi
	# 2. a whole-file fragment's offset past the packed inode's end (a bad
	#    map header): the header (h_fragmentoff, le32) follows the inode
	#    body at 8 bytes;
	#    the inode may sit in block 0, so the superblock checksum is off
	cp "$img" "$T_TMP/c2.img"
	"$DUMP" --path=/a/small3 "$img" >"$T_TMP/d.out"
	nid=$(sed -n 's/^NID: *\([0-9]*\)$/\1/p' "$T_TMP/d.out")
	isz=$(sed -n 's/^Inode version: .*(\([0-9]*\) bytes)$/\1/p' "$T_TMP/d.out")
	xsz=$(sed -n 's/^Xattr size: *\([0-9]*\)$/\1/p' "$T_TMP/d.out")
	bsz=$("$DUMP" "$img" | sed -n 's/^Filesystem blocksize: *\([0-9]*\)$/\1/p')
	if [ -z "$nid" ] || [ -z "$isz" ] || [ -z "$xsz" ] || [ -z "$meta" ]; then
		fail "corrupt -z$z: fragment offset" "cannot locate /a/small3's map header"
		continue
	fi
	pos=$(( (meta * bsz + nid * 32 + isz + xsz + 7) / 8 * 8 ))
	put_le32 "$T_TMP/c2.img" $((0x7fff0000)) "$pos"
	expect "corrupt -z$z: fragment offset past the packed inode" \
		E_Z_HEADER "$T_TMP/c2.img" --no-sbcrc
	if grep -qF "[E_Z_HEADER] /a/small3 " "$T_TMP/out"; then
		pass "corrupt -z$z: report names /a/small3"
	else
		fail "corrupt -z$z: report names /a/small3" "$(head -n 2 "$T_TMP/out")"
	fi
done

finish
