#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t010-roundtrip - mkfs, then let the kernel mount the image and compare it
# with the source on content and every piece of metadata (type, mode, uid,
# gid, size, mtime with nanoseconds, nlink, rdev, symlink target, xattrs
# including POSIX ACLs, hard link groups); our fsck and Debian's fsck.erofs
# must accept every image.  Trees x block sizes 512..4096:
#   - seeded random trees (SEEDS, default "1 2 3"; the seed is in every
#     case name: rebuild with "gentree --seed N --files M DIR")
#   - manifests/alltypes.manifest: every file type, size boundary, name and
#     xattr kind by hand
#   - manifests/names255.manifest: 255-byte names and targets
# each also with --ishare_key (fingerprints checked against the content the
# kernel reads) and, once our mkfs has -z, with every compressor at the
# smallest and largest block size.
# Big directories and deep nesting are in t012-bigtrees.
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs

: "${SEEDS:=1 2 3}"
files=${FILES:-250}
[ "$HARNESS_QUICK" = 1 ] && files=${FILES:-80}

# fingerprints (--ishare_key) at every block size, when our mkfs has them
ishare=false
if [ "$STANDIN" = 0 ] && mkfs_has_option -- --ishare_key; then
	ishare=true
fi
# every compressor our mkfs offers (-z), at the smallest and largest block
# size; COMPRESSORS overrides the list
compressors=
if [ "$STANDIN" = 0 ] && mkfs_has_option '^ *-z'; then
	compressors=${COMPRESSORS:-lz4 lz4hc zstd lzma deflate}
	probe=$T_TMP/probe
	mkdir -p "$probe" && echo probe >"$probe/f"
	ok=
	for z in $compressors; do
		if "$MKFS" --quiet -z "$z" "$T_TMP/probe.img" "$probe" >"$T_TMP/probe.log" 2>&1; then
			ok="$ok $z"
		else
			skip "compressor $z" "mkfs -z $z: $(head -n 1 "$T_TMP/probe.log")"
		fi
	done
	compressors=$ok
fi
z_sizes=$(echo "$BLOCK_SIZES" | tr ' ' '\n' | sed -n '1p;$p' | sort -un | tr '\n' ' ')
echo "block sizes: $BLOCK_SIZES; seeds: $SEEDS; files per tree: $files"
echo "fingerprints: $ishare; compressors:${compressors:- none}"

src=$T_TMP/src
for seed in $SEEDS; do
	if ! gentree_run "$src" --seed "$seed" --files "$files"; then
		fail "random seed=$seed" "$T_WHY"
		continue
	fi
	for bs in $BLOCK_SIZES; do
		roundtrip "random seed=$seed files=$files bs=$bs" "$src" "$bs"
		$ishare && ishare_roundtrip "random seed=$seed files=$files bs=$bs ishare" "$src" "$bs"
	done
	for z in $compressors; do
		for bs in $z_sizes; do
			roundtrip "random seed=$seed files=$files bs=$bs z=$z" "$src" "$bs" -z "$z"
		done
	done
done

for m in alltypes names255; do
	if [ "$m" = names255 ] && [ "$STANDIN" = 1 ]; then
		skip "manifest $m" "erofs-utils 1.5 truncates 255-byte names"
		continue
	fi
	if ! gentree_run "$src" --manifest "$T_SRCDIR/manifests/$m.manifest"; then
		fail "manifest $m" "$T_WHY"
		continue
	fi
	for bs in $BLOCK_SIZES; do
		roundtrip "manifest $m bs=$bs" "$src" "$bs"
		$ishare && ishare_roundtrip "manifest $m bs=$bs ishare" "$src" "$bs"
	done
	for z in $compressors; do
		for bs in $z_sizes; do
			roundtrip "manifest $m bs=$bs z=$z" "$src" "$bs" -z "$z"
		done
	done
done

finish
