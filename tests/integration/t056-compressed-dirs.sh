#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t056-compressed-dirs - mkfs --zD: directories stored whole in the packed
# inode (compressed after every other inode is placed, since directory
# data holds the children's nids), as erofs-utils 1.9 does.
#  - a seeded tree plus a directory of 3000 long names (several blocks at
#    both block sizes), nested and empty directories, for several
#    algorithms and with fragments, all-fragments, dedupe, ztailpacking,
#    big pclusters and long xattr prefixes: mounted by the kernel and
#    compared with the source (content and metadata), checked by our
#    fsck, extracted, and extracted by erofs-utils 1.9's fsck when the sid
#    chroot can be made;
#  - every directory is COMPRESSED_FULL with no blocks of its own, and
#    the image is smaller than without --zD;
#  - the image does not depend on --workers, fingerprints still verify;
#  - --zD=0 keeps plain directories, --zD=2 is refused, --zD without -z
#    warns; with the sid chroot, our image is no larger than 1.9's.
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs
[ "$STANDIN" = 1 ] && skip_all "--zD is tested with our mkfs only"
mkfs_has_option 'zD' || skip_all "our mkfs.erofs --help does not list --zD"

files=80
[ "$HARNESS_QUICK" = 1 ] && files=30
src=$T_TMP/src
if ! gentree_run "$src" --seed 56 --files $files >/dev/null; then
	fail "$T_NAME tree" "$T_WHY"
	finish
fi
d=$src/many
mkdir -p "$d" "$src/empty" "$src/n1/n2/n3"
i=0
while [ $i -lt 3000 ]; do
	: >"$d/entry_with_a_rather_long_name_number_$i"
	i=$((i + 1))
done
gen_text 70000 3 >"$src/n1/n2/n3/doc"
cp "$src/n1/n2/n3/doc" "$src/n1/doc_copy"
ln -s n2/n3/doc "$src/n1/link"
setfattr -n user.long.prefix.test -v v1 "$src/n1/n2" 2>/dev/null || true

DEB_FSCK=/nonexistent/fsck.erofs-1.5-does-not-know-compressed-directories
sid_setup

# every directory of the image at $1 is COMPRESSED_FULL, blocks 0
dirs_compressed() {
	for _p in / /many /empty /n1 /n1/n2 /n1/n2/n3; do
		"$DUMP" --path="$_p" "$1" >"$T_TMP/dump.log" 2>&1 || {
			T_WHY="dump.erofs --path=$_p failed: $(tail -n 1 "$T_TMP/dump.log")"
			return 1
		}
		grep -q '^Layout: COMPRESSED_FULL' "$T_TMP/dump.log" &&
		grep -q '^Blocks: 0' "$T_TMP/dump.log" || {
			T_WHY="$_p: $(grep -e '^Layout' -e '^Blocks' "$T_TMP/dump.log" | tr '\n' ' ')"
			return 1
		}
	done
}

for c in "lz4hc 4096" "lz4hc 512" "lzma 4096 -Efragments" \
	 "zstd 512 -Ededupe,ztailpacking -C16384" \
	 "deflate 4096 -Eall-fragments,legacy-compress" \
	 "lz4 512 -Efragments=2048,dedupe"; do
	set -- $c
	alg=$1 bs=$2
	shift 2
	name="zD $alg bs$bs $*"
	rm -f "$T_TMP/img"
	roundtrip "$name" "$src" "$bs" -z"$alg" --zD "$@" \
		--xattr-prefix=user.long.prefix. || continue
	if dirs_compressed "$T_TMP/img"; then
		pass "$name dirs compressed"
	else
		fail "$name dirs compressed" "$T_WHY"
	fi
	if [ $have_sid = 1 ] && [ "$bs" = 4096 ]; then
		sid_extract "$name" "$src"
	fi
done

# smaller than plain directories; --zD=0 is plain directories
if mkfs_image "$T_TMP/plain" "$src" 4096 -zlz4hc -T 1700000000 &&
   mkfs_image "$T_TMP/zd0" "$src" 4096 -zlz4hc --zD=0 -T 1700000000 &&
   mkfs_image "$T_TMP/zd" "$src" 4096 -zlz4hc --zD=1 -T 1700000000; then
	a=$(stat -c %s "$T_TMP/plain") b=$(stat -c %s "$T_TMP/zd")
	if [ "$b" -lt "$a" ]; then
		pass "zD saves ($a -> $b bytes)"
	else
		fail "zD saves" "$a -> $b bytes"
	fi
	if cmp -s "$T_TMP/plain" "$T_TMP/zd0"; then
		pass "zD=0 is the default"
	else
		fail "zD=0 is the default" "the images differ"
	fi
	if [ $have_sid = 1 ]; then
		# same options, same tree, erofs-utils 1.9
		rm -f "$T_TMP/sid.img"
		if "$CHROOT_SH" run --bind "$T_TMP" -- mkfs.erofs -d0 -zlz4hc \
			--zD -T 1700000000 "$T_TMP/sid.img" "$src" \
			>"$T_TMP/sidmk.log" 2>&1; then
			no_larger "zD" "$b" "$(stat -c %s "$T_TMP/sid.img")"
		else
			fail "zD no larger than erofs-utils 1.9" "sid mkfs.erofs failed: $(tail -n 1 "$T_TMP/sidmk.log")"
		fi
	fi
else
	fail "zD saves" "$T_WHY"
fi
rm -f "$T_TMP/plain" "$T_TMP/zd0" "$T_TMP/zd" "$T_TMP/sid.img"

# the same image for any number of workers
for mode in "" "-Efragments,dedupe"; do
	# shellcheck disable=SC2086
	same_for_workers "zD${mode:+ $mode} workers 1, 2, 3 same image" "$src" 4096 \
		"1 2 3" -zlz4hc --zD $mode -T 1700000000 \
		--ishare_key="$ISHARE_KEY"
done

# fingerprints with directories in the packed inode
IMG_DIGEST_OPTS="--check-fingerprint $ISHARE_KEY"
roundtrip "zD lz4hc ishare" "$src" 4096 -zlz4hc --zD \
	--ishare_key="$ISHARE_KEY"
IMG_DIGEST_OPTS=
if "$FSCK" --check-ishare "$T_TMP/img" >"$T_TMP/ck.log" 2>&1; then
	pass "zD --check-ishare"
else
	fail "zD --check-ishare" "$(tail -n 1 "$T_TMP/ck.log")"
fi

# a tree of one tiny directory: the packed inode stays one plain block
mkdir -p "$T_TMP/tiny"
echo hello >"$T_TMP/tiny/f"
roundtrip "zD tiny tree" "$T_TMP/tiny" 4096 -zlz4hc --zD

# bad values and useless use
rm -f "$T_TMP/bad"
if "$MKFS" -zlz4hc --zD=2 "$T_TMP/bad" "$src" >"$T_TMP/bad.log" 2>&1; then
	fail "zD=2 refused" "mkfs succeeded"
elif [ -e "$T_TMP/bad" ]; then
	fail "zD=2 refused" "an image was left behind"
elif grep -q "invalid --zD '2'" "$T_TMP/bad.log"; then
	pass "zD=2 refused"
else
	fail "zD=2 refused" "$(head -n 1 "$T_TMP/bad.log")"
fi
if mkfs_image "$T_TMP/nz" "$src" 4096 --zD &&
   grep -q 'only apply to compressed files' "$T_TMP/mkfs.log"; then
	if "$DUMP" --path=/many "$T_TMP/nz" 2>&1 | grep -q '^Layout: FLAT'; then
		pass "zD without -z warns"
	else
		fail "zD without -z warns" "/many is not a plain directory"
	fi
else
	fail "zD without -z warns" "$T_WHY $(tail -n 1 "$T_TMP/mkfs.log")"
fi
rm -f "$T_TMP/nz"

# a bad -E value says what is wrong with it
if "$MKFS" -zlz4hc -Efragments=abc "$T_TMP/bad" "$src" >"$T_TMP/bad.log" 2>&1; then
	fail "-E fragments=abc refused" "mkfs succeeded"
elif grep -q "invalid value in extended option 'fragments=abc'" "$T_TMP/bad.log"; then
	pass "-E fragments=abc refused"
else
	fail "-E fragments=abc refused" "$(head -n 1 "$T_TMP/bad.log")"
fi
finish
