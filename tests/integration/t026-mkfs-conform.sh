#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t026-mkfs-conform - the layout options erofs-utils 1.9 has and we take
# with the same meaning: --fsalignblks, --dsunit, --offset,
# --async-queue-limit, -E fragdedupe=inode|full / ^fragdedupe,
# -E plain-xattr-prefixes, -E 48bit and -E dot-omitted.  Each image is mounted by the kernel and
# compared with the source (content and metadata), checked by our fsck,
# extracted, read by erofs-utils 1.9's fsck.erofs --extract (sid chroot),
# and checked to do what the option says: the block count is a multiple
# of the alignment, every file's data starts on a multiple of dsunit
# (FIEMAP through the kernel mount), the image starts N bytes into the
# file, deduplicated fragments make the image smaller (off >= inode >=
# full), and the prefix table sits on the raw device (PLAIN_XATTR_PFX).
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs
[ "$STANDIN" = 1 ] && skip_all "these options are tested with our mkfs only"
mkfs_has_option 'fsalignblks' ||
	skip_all "our mkfs.erofs --help does not list --fsalignblks"

src=$T_TMP/src
gentree_run "$src" --manifest "$T_SRCDIR/manifests/alltypes.manifest" >/dev/null ||
	{ fail "$T_NAME tree" "$T_WHY"; finish; }
z=$src/zdup
mkdir -p "$z/a" "$z/b"
gen_text 300000 5 >"$z/a/doc"
cp "$z/a/doc" "$z/b/doc"			# whole-file duplicate
for i in 1 2 3 4 5 6; do			# small files: whole fragments
	gen_noise 3000 $((20 + i)) >"$z/a/s$i"
	cp "$z/a/s$i" "$z/b/s$i"
done
gen_noise 40000 30 >"$z/a/big"			# equal 20000-byte tails
{ gen_noise 20000 31; tail -c 20000 "$z/a/big"; } >"$z/b/big2"
setfattr -n user.long.prefix.test -v v1 "$z/a/doc"

T_OPTS="-T 1000000 --mkfs-time"
DEB_FSCK=/nonexistent/fsck.erofs-1.5-predates-these-options
sid_setup

sb_u32() { od -An -tu4 -j"$2" -N4 "$1" | tr -d ' '; }
sb_blocks() { sb_u32 "$1" 1060; }		# blocks_lo, le32 at 1024+36
sb_compat() { sb_u32 "$1" 1032; }		# feature_compat, le32 at 1024+8

# check NAME [mkfs options]: the roundtrip, then erofs-utils 1.9's fsck
check() {
	_c_name=$1
	shift
	roundtrip "$_c_name" "$src" 4096 $T_OPTS "$@" || return 1
	[ "$have_sid" = 1 ] && sid_extract "$_c_name" "$src" "$T_TMP/img"
	return 0
}

# ---- --fsalignblks -----------------------------------------------------
check "fsalignblks=5" --fsalignblks=5 && {
	blocks=$(sb_blocks "$T_TMP/img")
	size=$(stat -c %s "$T_TMP/img")
	if [ $((blocks % 8)) = 0 ] && [ "$size" = $((blocks * 4096)) ]; then
		pass "fsalignblks=5 rounds to 8 blocks"
	else
		fail "fsalignblks=5 rounds to 8 blocks" "blocks $blocks, file $size bytes"
	fi
}
mkfs_image "$T_TMP/plain.img" "$src" 4096 $T_OPTS &&
mkfs_image "$T_TMP/aligned1.img" "$src" 4096 $T_OPTS --fsalignblks=1 &&
if cmp -s "$T_TMP/plain.img" "$T_TMP/aligned1.img"; then
	pass "fsalignblks=1 changes nothing"
else
	fail "fsalignblks=1 changes nothing" "images differ"
fi

# ---- --dsunit ------------------------------------------------------------
# every regular file with data blocks starts on a multiple of 16 blocks,
# as the kernel reports it (FIEMAP physical offsets, in bytes)
dsunit_ok() {
	_d_bad=
	for _d_f in $(cd "$1" && find . -type f -size +4k); do
		_d_pe=$(filefrag -e -b4096 "$1/$_d_f" 2>/dev/null |
			awk '/^ *0:/ { sub(/\.\..*/, "", $4); print $4; exit }')
		[ -n "$_d_pe" ] || continue
		[ $((_d_pe % 16)) = 0 ] || _d_bad="$_d_f at block $_d_pe"
	done
	[ -z "$_d_bad" ] || { T_WHY=$_d_bad; return 1; }
}
for z in "" "-zlz4hc"; do
	name="dsunit=16${z:+ $z}"
	# shellcheck disable=SC2086
	check "$name" --dsunit=16 $z || continue
	if mount_image "$T_TMP/img" "$T_TMP/mnt"; then
		if dsunit_ok "$T_TMP/mnt"; then
			pass "$name data aligned"
		else
			fail "$name data aligned" "$T_WHY"
		fi
		umount_image "$T_TMP/mnt"
	else
		fail "$name data aligned" "$T_WHY"
	fi
done
# ---- --offset ----------------------------------------------------------
off=$((3 * 4096 + 512))
if mkfs_image "$T_TMP/off.img" "$src" 4096 $T_OPTS --offset=$off; then
	tail -c +$((off + 1)) "$T_TMP/off.img" >"$T_TMP/noff.img"
	if cmp -s "$T_TMP/noff.img" "$T_TMP/plain.img" &&
	   [ "$(head -c $off "$T_TMP/off.img" | tr -d '\0' | wc -c)" = 0 ]; then
		pass "offset: the image follows $off zero bytes"
	else
		fail "offset: the image follows $off zero bytes" "bytes differ from the plain image"
	fi
	if "$FSCK" --offset=$off "$T_TMP/off.img" >"$T_TMP/fsck.log" 2>&1; then
		pass "offset: fsck --offset"
	else
		fail "offset: fsck --offset" "$(tail -n 1 "$T_TMP/fsck.log")"
	fi
	mkdir -p "$T_TMP/mnt"
	if mount -t erofs -o loop,ro,offset=$off "$T_TMP/off.img" "$T_TMP/mnt" 2>"$T_TMP/mount.err"; then
		echo "$T_TMP/mnt" >>"$T_TMP/.mounts"
		if compare_trees "$src" "$T_TMP/mnt"; then
			pass "offset: kernel mount at the offset"
		else
			fail "offset: kernel mount at the offset" "$T_WHY"
		fi
		umount_image "$T_TMP/mnt"
	else
		fail "offset: kernel mount at the offset" "$(head -n 1 "$T_TMP/mount.err")"
	fi
else
	fail "offset" "$T_WHY"
fi

# ---- --async-queue-limit ---------------------------------------------------
if mkfs_image "$T_TMP/aq.img" "$src" 4096 $T_OPTS --async-queue-limit=4 &&
   cmp -s "$T_TMP/aq.img" "$T_TMP/plain.img"; then
	pass "async-queue-limit accepted, same image"
else
	fail "async-queue-limit accepted, same image" "${T_WHY:-images differ}"
fi

# ---- -E fragdedupe -------------------------------------------------------
prev=
for mode in ^fragdedupe fragdedupe=inode fragdedupe=full; do
	check "$mode" -zlz4hc -Efragments,$mode || continue
	size=$(stat -c %s "$T_TMP/img")
	echo "    $mode: $size bytes"
	if [ -n "$prev" ] && [ "$size" -ge "$prev" ]; then
		fail "$mode smaller" "$size >= $prev bytes"
	elif [ -n "$prev" ]; then
		pass "$mode smaller"
	fi
	prev=$size
done
if mkfs_image "$T_TMP/fd.img" "$src" 4096 $T_OPTS -zlz4hc -Efragments &&
   cmp -s "$T_TMP/fd.img" "$T_TMP/img"; then
	pass "fragdedupe=full is the default"
else
	fail "fragdedupe=full is the default" "${T_WHY:-images differ}"
fi
check "all-fragments,fragdedupe=inode (kiwi)" -zlz4hc -Eall-fragments,fragdedupe=inode

# ---- -E 48bit, -E dot-omitted ---------------------------------------------
# 48BIT: compact inodes keep any mtime near the epoch, so files whose mtime
# is not the build time no longer need extended inodes; DOT_OMITTED: no
# "." entries.  Both no larger than erofs-utils' and than without them.
mkfs_image "$T_TMP/n48.img" "$src" 4096 $T_OPTS
# erofs-utils 1.9's fsck extracts a file without blocks (null start, all
# holes) empty, from its own images too: its expected tree says so
sidsrc=$T_TMP/src-sid
cp -a "$src" "$sidsrc"
touch -r "$sidsrc/sizes/hole-only" "$T_TMP/stamp"
: >"$sidsrc/sizes/hole-only"
touch -r "$T_TMP/stamp" "$sidsrc/sizes/hole-only"
for e in 48bit dot-omitted "48bit -zlz4hc"; do
	name="-E $e"
	# shellcheck disable=SC2086
	roundtrip "$name" "$src" 4096 $T_OPTS -E${e% *} $(echo "$e" | sed -n 's/^[^ ]* //p') ||
		continue
	case $e in
	*-z*) [ "$have_sid" = 1 ] && sid_extract "$name" "$src" "$T_TMP/img" ;;
	*) [ "$have_sid" = 1 ] && sid_extract "$name" "$sidsrc" "$T_TMP/img" ;;
	esac
	cp "$T_TMP/img" "$T_TMP/e48.img"
	if "$DUMP" -s "$T_TMP/e48.img" | grep -q 'features:.* 48bit'; then
		pass "$name sets 48bit"
	else
		fail "$name sets 48bit" "$("$DUMP" -s "$T_TMP/e48.img" | grep features)"
	fi
	case $e in
	48bit)
			no_larger "$name against no 48bit" "$(stat -c %s "$T_TMP/e48.img")" \
			"$(stat -c %s "$T_TMP/n48.img")"
		# the all-hole file has no blocks
		if "$DUMP" --path=/sizes/hole-only "$T_TMP/e48.img" | grep -q '^Start block: none'; then
			pass "$name: an all-hole file has no blocks"
		else
			fail "$name: an all-hole file has no blocks" \
				"$("$DUMP" --path=/sizes/hole-only "$T_TMP/e48.img" | grep -i 'block')"
		fi ;;
	dot-omitted)
		if "$DUMP" --ls --path=/ "$T_TMP/e48.img" | awk '$3 == "."' | grep -q .; then
			fail "$name: no . entries" "the root lists one"
		else
			pass "$name: no . entries"
		fi ;;
	esac
	[ "$have_sid" = 1 ] || continue
	# shellcheck disable=SC2086
	if "$CHROOT_SH" run --bind "$T_TMP" -- mkfs.erofs --quiet $T_OPTS \
		-E${e% *} $(echo "$e" | sed -n 's/^[^ ]* //p') "$T_TMP/s48.img" "$src" \
		>"$T_TMP/sid.log" 2>&1; then
		no_larger "$name image" "$(stat -c %s "$T_TMP/e48.img")" "$(stat -c %s "$T_TMP/s48.img")"
	else
		fail "$name erofs-utils mkfs" "$(tail -n 1 "$T_TMP/sid.log")"
	fi
done

# ---- -E plain-xattr-prefixes ---------------------------------------------
name="plain-xattr-prefixes"
if check "$name" -zlz4hc -Efragments,plain-xattr-prefixes --xattr-prefix=user.long.; then
	if [ $(($(sb_compat "$T_TMP/img") & 0x10)) != 0 ]; then
		pass "$name sets PLAIN_XATTR_PFX"
	else
		fail "$name sets PLAIN_XATTR_PFX" "compat $(sb_compat "$T_TMP/img")"
	fi
fi

finish
