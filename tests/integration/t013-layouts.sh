#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t013-layouts - round trips (as in t010: kernel mount + full comparison,
# our fsck, extraction) of one seeded random tree and the alltypes manifest
# under the mkfs options that change the on-disk layout:
#   -E noinline_data, -E force-inode-compact, -E force-inode-extended,
#   -E ^xattr-name-filter, -x 0 (share every xattr), -x 1000 (share none),
#   --xattr-prefix (long xattr name prefixes), -x -1 (no xattrs: compared
#   without them) and a root with reserved inline xattr space,
# (force-inode-compact is compared without mtimes: it implies
# --ignore-mtime),
# at the smallest and largest block size.  Options our mkfs does not list
# in --help are skipped with a SKIP line.
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs
[ "$STANDIN" = 1 ] && skip_all "layout options are ours (erofs-utils 1.5 differs)"

: "${SEEDS:=21}"
files=200
[ "$HARNESS_QUICK" = 1 ] && files=60
sizes=$(echo "$BLOCK_SIZES" | tr ' ' '\n' | sed -n '1p;$p' | sort -un | tr '\n' ' ')

# "label|helpgrep|options"
layouts='noinline|noinline_data|-E noinline_data
compact|force-inode-compact|-E force-inode-compact
extended|force-inode-extended|-E force-inode-extended
nofilter|xattr-name-filter|-E ^xattr-name-filter
share-all|^ *-x|-x 0
share-none|^ *-x|-x 1000
prefixes|--xattr-prefix|--xattr-prefix=user.shared --xattr-prefix=trusted.overlay. --xattr-prefix=user.
root-isize|--root-xattr-isize|--root-xattr-isize=256
no-xattrs|^ *-x|-x -1'

run_layouts() {
	label=$1 src=$2
	# fd 3, not a pipe: the loop must run in this shell to record failures
	while IFS='|' read -r name pattern opts <&3; do
		if ! mkfs_has_option "$pattern"; then
			skip "$label $name" "mkfs --help does not offer $pattern"
			continue
		fi
		DIGEST_OPTS=
		# documented losses: -x -1 drops xattrs; force-inode-compact
		# implies --ignore-mtime (a compact inode has no per-file time)
		[ "$name" = no-xattrs ] && DIGEST_OPTS="--ignore xattrs"
		[ "$name" = compact ] && DIGEST_OPTS="--ignore mtime"
		for bs in $sizes; do
			# shellcheck disable=SC2086
			roundtrip "$label $name bs=$bs" "$src" "$bs" $opts
		done
		DIGEST_OPTS=
	done 3<<EOF
$layouts
EOF
}

for seed in $SEEDS; do
	if gentree_run "$T_TMP/src" --seed "$seed" --files "$files"; then
		run_layouts "random seed=$seed files=$files" "$T_TMP/src"
	else
		fail "random seed=$seed" "$T_WHY"
	fi
done
if gentree_run "$T_TMP/src" --manifest "$T_SRCDIR/manifests/alltypes.manifest"; then
	run_layouts "manifest alltypes" "$T_TMP/src"
else
	fail "manifest alltypes" "$T_WHY"
fi

finish
