#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t041-ishare-superblock - the superblock side of page cache sharing, read
# byte by byte from images our mkfs builds (docs/ishare.md):
#   - feature_compat (sb 0x08) has ISHARE_XATTRS 0x20, feature_incompat
#     (sb 0x50) has XATTR_PREFIXES 0x40;
#   - ishare_xattr_prefix_id (sb 0x69) < xattr_prefix_count (sb 0x5B), the
#     0x80 bit not stored, bytes 0x6A..0x6B zero;
#   - the prefix table record #id (le16 len, u8 base_index, infix, records
#     4-byte aligned from xattr_prefix_start * 4) spells the key: base 4 +
#     "erofs.fingerprint" for trusted.erofs.fingerprint, base 0 + the whole
#     name for the hidden default erofs.fingerprint.v1;
#   - the same with extra --xattr-prefix options before and after the key,
#     and with the key also given as --xattr-prefix;
#   - without the option: compat bit clear, byte 0x69 zero.
. "$(dirname "$0")/lib.sh"

need_tools
need_mkfs

SB=1024

u8() { od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' \n'; }
le16() { od -An -tu2 --endian=little -j "$2" -N 2 "$1" | tr -d ' \n'; }
le32() { od -An -tu4 --endian=little -j "$2" -N 4 "$1" | tr -d ' \n'; }
le64() { od -An -tu8 --endian=little -j "$2" -N 8 "$1" | tr -d ' \n'; }
str_at() { dd if="$1" bs=1 skip="$2" count="$3" 2>/dev/null; }

# record IMG ID: sets R_LEN R_BASE R_INFIX of long prefix #ID (raw device)
record() {
	pos=$(( $(le32 "$1" $((SB + 0x5C))) * 4 ))
	i=0
	while :; do
		R_LEN=$(le16 "$1" "$pos")
		[ "$R_LEN" -ge 1 ] || return 1
		if [ "$i" -eq "$2" ]; then
			R_BASE=$(u8 "$1" $((pos + 2)))
			R_INFIX=$(str_at "$1" $((pos + 3)) $((R_LEN - 1)))
			return 0
		fi
		pos=$(( (pos + 2 + R_LEN + 3) / 4 * 4 ))
		i=$((i + 1))
	done
}

# check_sb NAME IMG BASE INFIX: the ishare fields point at that prefix
check_sb() {
	name=$1 img=$2 base=$3 infix=$4
	compat=$(le32 "$img" $((SB + 0x08)))
	incompat=$(le32 "$img" $((SB + 0x50)))
	count=$(u8 "$img" $((SB + 0x5B)))
	id=$(u8 "$img" $((SB + 0x69)))
	rsv=$(le16 "$img" $((SB + 0x6A)))
	packed=$(le64 "$img" $((SB + 0x60)))
	if [ $((compat & 0x20)) = 0 ]; then
		fail "$name" "compat 0x$(printf %x "$compat") lacks ISHARE_XATTRS 0x20"; return
	fi
	if [ $((incompat & 0x40)) = 0 ]; then
		fail "$name" "incompat 0x$(printf %x "$incompat") lacks XATTR_PREFIXES 0x40"; return
	fi
	if [ "$id" -ge "$count" ]; then
		fail "$name" "prefix id byte 0x69 = $id >= xattr_prefix_count $count"; return
	fi
	if [ "$rsv" != 0 ]; then
		fail "$name" "reserved bytes 0x6A..0x6B = $rsv"; return
	fi
	# the table is on the raw device with PLAIN_XATTR_PFX, or when there
	# is neither a metabox nor a packed inode
	if [ $((compat & 0x10)) = 0 ] && { [ $((incompat & 0x100)) != 0 ] || [ "$packed" != 0 ]; }; then
		skip "$name" "prefix table lives in the packed/metabox inode"; return
	fi
	if ! record "$img" "$id"; then
		fail "$name" "prefix record walk failed before #$id"; return
	fi
	if [ "$R_BASE" != "$base" ] || [ "$R_INFIX" != "$infix" ] ||
	   [ "$R_LEN" != $((${#infix} + 1)) ]; then
		fail "$name" "record #$id is len=$R_LEN base=$R_BASE infix='$R_INFIX', want len=$((${#infix} + 1)) base=$base infix='$infix'"
		return
	fi
	pass "$name (id $id of $count)"
}

src=$T_TMP/src
if ! gentree_run "$src" --manifest "$T_SRCDIR/manifests/alltypes.manifest" >/dev/null; then
	fail "tree" "$T_WHY"
	finish
fi
img=$T_TMP/img

for bs in 4096 512; do
	if mkfs_image "$img" "$src" "$bs" --ishare_key=trusted.erofs.fingerprint; then
		check_sb "trusted key bs=$bs" "$img" 4 erofs.fingerprint
	else
		fail "trusted key bs=$bs" "$T_WHY"
	fi
done

# dump -s names the feature, the prefix id and the key
name="dump -s shows the ishare key"
if [ -x "$DUMP" ] && "$DUMP" -s "$img" >"$T_TMP/dump.out" 2>&1; then
	if grep -q '^Filesystem ishare xattr key: *trusted\.erofs\.fingerprint$' "$T_TMP/dump.out" &&
	   grep -q '^Filesystem ishare xattr prefix id: *0$' "$T_TMP/dump.out" &&
	   grep -q '^Filesystem features:.* ishare_xattrs' "$T_TMP/dump.out"; then
		pass "$name"
	else
		fail "$name" "$(grep -i ishare "$T_TMP/dump.out" | tr '\n' ' ')"
	fi
else
	fail "$name" "dump.erofs -s failed: $(head -n 1 "$T_TMP/dump.out")"
fi

if mkfs_image "$img" "$src" 4096 --xattr-inode-digest; then
	check_sb "hidden default key" "$img" 0 erofs.fingerprint.v1
else
	fail "hidden default key" "$T_WHY"
fi

if mkfs_image "$img" "$src" 4096 --xattr-inode-digest=user.fp; then
	check_sb "user key via --xattr-inode-digest=" "$img" 1 fp
else
	fail "user key via --xattr-inode-digest=" "$T_WHY"
fi

if mkfs_image "$img" "$src" 4096 --xattr-prefix=trusted.overlay. \
	--xattr-prefix=user. --ishare_key=trusted.erofs.fingerprint \
	--xattr-prefix=security.x; then
	check_sb "extra prefixes around the key" "$img" 4 erofs.fingerprint
else
	fail "extra prefixes around the key" "$T_WHY"
fi

if mkfs_image "$img" "$src" 4096 --xattr-prefix=trusted.overlay. \
	--xattr-prefix=erofs.hidden --xattr-inode-digest; then
	check_sb "extra prefixes, hidden key" "$img" 0 erofs.fingerprint.v1
else
	fail "extra prefixes, hidden key" "$T_WHY"
fi

if mkfs_image "$img" "$src" 4096 --xattr-prefix=trusted.erofs.fingerprint \
	--ishare_key=trusted.erofs.fingerprint; then
	check_sb "key also given as --xattr-prefix" "$img" 4 erofs.fingerprint
else
	fail "key also given as --xattr-prefix" "$T_WHY"
fi

name="no key: feature off"
if mkfs_image "$img" "$src" 4096; then
	compat=$(le32 "$img" $((SB + 0x08)))
	id=$(u8 "$img" $((SB + 0x69)))
	if [ $((compat & 0x20)) != 0 ] || [ "$id" != 0 ]; then
		fail "$name" "compat 0x$(printf %x "$compat"), byte 0x69 = $id"
	else
		pass "$name"
	fi
else
	fail "$name" "$T_WHY"
fi

finish
