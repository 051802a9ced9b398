#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t011-reproducible - same input + options = same image bytes:
#   twice        two builds of one tree, a second apart (-T, -U fixed)
#   reordered    a copy of the tree whose entries were created in reverse
#                name order and whose xattrs were set in reverse order
#                (gentree --copy), at another path: readdir and listxattr
#                order must not leak into the image
#   epoch        SOURCE_DATE_EPOCH instead of -T, two builds a second apart
#   ... without -U   the same two checks without a UUID (ours derives it
#                from the tree once the time is fixed)
# for a seeded random tree and the hand-made alltypes manifest, at the
# smallest and the largest block size, and compressed builds with one and
# three compression threads (--workers).  Needs root (gentree), not a mount.
. "$(dirname "$0")/lib.sh"

need_root
need_tools
need_mkfs

UUID=6d7f2a3c-1b2c-4d5e-8f90-a1b2c3d4e5f6
EPOCH=1700000000
: "${SEEDS:=11}"
files=200
[ "$HARNESS_QUICK" = 1 ] && files=60
unset SOURCE_DATE_EPOCH
sizes=$(echo "$BLOCK_SIZES" | tr ' ' '\n' | sed -n '1p;$p' | sort -un | tr '\n' ' ')

# same NAME A B: the two images must be byte-identical
same() {
	if cmp "$2" "$3" >"$T_TMP/cmp.log" 2>&1; then
		pass "$1"
	else
		fail "$1" "images differ: $(head -n 1 "$T_TMP/cmp.log")"
	fi
}

check_tree() {
	label=$1 src=$2
	if ! gentree_run "$T_TMP/copy" --copy "$src"; then
		fail "$label reordered" "$T_WHY"
		return
	fi
	for bs in $sizes; do
		name="$label bs=$bs"
		if ! mkfs_image "$T_TMP/a.img" "$src" "$bs" -T "$EPOCH" -U "$UUID"; then
			fail "$name twice" "$T_WHY"
			continue
		fi
		sleep 1
		if mkfs_image "$T_TMP/b.img" "$src" "$bs" -T "$EPOCH" -U "$UUID"; then
			same "$name twice" "$T_TMP/a.img" "$T_TMP/b.img"
		else
			fail "$name twice" "$T_WHY"
		fi
		if [ "$STANDIN" = 1 ]; then
			skip "$name reordered" "erofs-utils 1.5 follows readdir/listxattr order (known)"
		elif mkfs_image "$T_TMP/c.img" "$T_TMP/copy" "$bs" -T "$EPOCH" -U "$UUID"; then
			same "$name reordered" "$T_TMP/a.img" "$T_TMP/c.img"
		else
			fail "$name reordered" "$T_WHY"
		fi
		# our mkfs derives the UUID from the tree when the time is fixed
		if [ "$STANDIN" = 0 ]; then
			if mkfs_image "$T_TMP/f.img" "$src" "$bs" -T "$EPOCH" &&
			   { sleep 1; mkfs_image "$T_TMP/g.img" "$src" "$bs" -T "$EPOCH"; }; then
				same "$name twice without -U" "$T_TMP/f.img" "$T_TMP/g.img"
			else
				fail "$name twice without -U" "$T_WHY"
			fi
			if SOURCE_DATE_EPOCH=$EPOCH mkfs_image "$T_TMP/f.img" "$src" "$bs" &&
			   { sleep 1; SOURCE_DATE_EPOCH=$EPOCH mkfs_image "$T_TMP/g.img" "$src" "$bs"; }; then
				same "$name epoch without -U" "$T_TMP/f.img" "$T_TMP/g.img"
			else
				fail "$name epoch without -U" "$T_WHY"
			fi
		fi
		if SOURCE_DATE_EPOCH=$EPOCH mkfs_image "$T_TMP/d.img" "$src" "$bs" -U "$UUID" &&
		   { sleep 1; SOURCE_DATE_EPOCH=$EPOCH mkfs_image "$T_TMP/e.img" "$src" "$bs" -U "$UUID"; }; then
			same "$name epoch" "$T_TMP/d.img" "$T_TMP/e.img"
		else
			fail "$name epoch" "$T_WHY"
		fi
	done
}

for seed in $SEEDS; do
	if gentree_run "$T_TMP/src" --seed "$seed" --files "$files"; then
		check_tree "random seed=$seed files=$files" "$T_TMP/src"
	else
		fail "random seed=$seed" "$T_WHY"
	fi
done
if gentree_run "$T_TMP/src" --manifest "$T_SRCDIR/manifests/alltypes.manifest"; then
	check_tree "manifest alltypes" "$T_TMP/src"
else
	fail "manifest alltypes" "$T_WHY"
fi

# compression threads (--workers) never change the image
if [ "$STANDIN" = 0 ] && mkfs_has_option '--workers='; then
	if gentree_run "$T_TMP/src" --seed 12 --files "$files"; then
		for alg in lz4hc zstd; do
			if mkfs_image "$T_TMP/a.img" "$T_TMP/src" 4096 -z$alg \
				--workers=1 -T "$EPOCH" -U "$UUID" &&
			   mkfs_image "$T_TMP/b.img" "$T_TMP/src" 4096 -z$alg \
				--workers=3 -T "$EPOCH" -U "$UUID"; then
				same "random seed=12 $alg workers 1 and 3" \
					"$T_TMP/a.img" "$T_TMP/b.img"
			else
				fail "random seed=12 $alg workers 1 and 3" "$T_WHY"
			fi
		done
	else
		fail "random seed=12" "$T_WHY"
	fi
fi

finish
