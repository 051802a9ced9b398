#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t040-ishare-mount - images built with --ishare_key carry correct
# page-cache-sharing fingerprints, and a kernel that predates the feature
# (6.18 here) still mounts them and reads them identically.
#   - our mkfs --ishare_key=trusted.erofs.fingerprint on random trees and on
#     the all-types manifest, block sizes BLOCK_SIZES;
#   - the kernel mount equals the source (treedigest, the fingerprint xattr
#     excluded) and every regular file compares equal with cmp (diff -r
#     cannot handle the fifos and newline names of the random trees);
#   - every regular file of size > 0 exposes trusted.erofs.fingerprint =
#     "sha256:" + the raw digest that sha256sum computes from the SOURCE;
#     empty files, directories and symlinks carry none;
#   - the hidden default key (--xattr-inode-digest, erofs.fingerprint.v1)
#     is invisible to listxattr: the mount equals the source with xattrs.
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs

KEY=trusted.erofs.fingerprint
: "${SEEDS:=4 5}"
files=200
[ "$HARNESS_QUICK" = 1 ] && files=60
SHA_HEX_PREFIX=7368613235363a	# "sha256:"

# check_values SRC MNT: prints one line per wrong file, nothing if all good
check_values() {
	src=$1 mnt=$2
	# find -exec keeps names with newlines or odd bytes intact
	(cd "$src" && find . -type f -exec sh -c '
		key=$1 mnt=$2 pfx=$3
		shift 3
		for f; do
			want=
			if [ -s "$f" ]; then
				want=$pfx$(sha256sum <"$f" | cut -d" " -f1)
			fi
			got=$(getfattr --absolute-names --only-values -n "$key" "$mnt/$f" 2>/dev/null |
				od -An -v -tx1 | tr -d " \n")
			if [ "$got" != "$want" ]; then
				printf "%s: want [%s] got [%s]\n" "$f" "$want" "$got" | tr "\n" " "
				echo
			fi
		done' sh "$KEY" "$mnt" "$SHA_HEX_PREFIX" {} +)
	# nothing else may carry one (directories, symlinks)
	(cd "$mnt" && find . ! -type f \( -type d -o -type l \) -exec sh -c '
		key=$1
		shift
		for f; do
			if getfattr -h --absolute-names -n "$key" "$f" >/dev/null 2>&1; then
				echo "$f: non-regular file carries $key"
			fi
		done' sh "$KEY" {} +)
}

# diff -r, restricted to what it can compare and robust to names holding
# newlines: every regular file byte-compared with cmp (treedigest already
# compares types, metadata, links and devices)
diff_r() {
	(cd "$1" && find . -type f -exec sh -c '
		mnt=$1
		shift
		for f; do
			cmp -s "$f" "$mnt/$f" || printf "%s differs\n" "$f" | tr "\n" " "
		done' sh "$2" {} +)
}

case_image() {
	name=$1 src=$2 bs=$3
	shift 3
	img=$T_TMP/img mnt=$T_TMP/mnt
	if ! mkfs_image "$img" "$src" "$bs" "$@"; then
		fail "$name" "$T_WHY"
		return
	fi
	if ! mount_image "$img" "$mnt"; then
		fail "$name" "$T_WHY"
		return
	fi
	if compare_trees "$src" "$mnt" --ignore-xattr "$KEY"; then
		d=$(diff_r "$src" "$mnt")
		if [ -z "$d" ]; then
			pass "$name mount reads identically"
		else
			fail "$name mount reads identically" "$(echo "$d" | cut -c1-200)"
		fi
	else
		fail "$name mount reads identically" "$T_WHY"
	fi
	bad=$(check_values "$src" "$mnt")
	if [ -z "$bad" ]; then
		n=$(cd "$src" && find . -type f -size +0 -printf x | wc -c)
		pass "$name fingerprints ($n files)"
	else
		fail "$name fingerprints" "$(echo "$bad" | wc -l) wrong, first: $(echo "$bad" | head -n 1)"
	fi
	umount_image "$mnt"
}

src=$T_TMP/src
for seed in $SEEDS; do
	if ! gentree_run "$src" --seed "$seed" --files "$files" >/dev/null; then
		fail "random seed=$seed" "$T_WHY"
		continue
	fi
	for bs in $BLOCK_SIZES; do
		case_image "random seed=$seed files=$files bs=$bs" "$src" "$bs" \
			--ishare_key="$KEY"
	done
done

if gentree_run "$src" --manifest "$T_SRCDIR/manifests/alltypes.manifest" >/dev/null; then
	for bs in 4096 512; do
		case_image "manifest alltypes bs=$bs" "$src" "$bs" --ishare_key="$KEY"
	done
	# a fingerprint key next to other long prefixes
	case_image "manifest alltypes extra prefixes" "$src" 4096 \
		--xattr-prefix=trusted.overlay. --ishare_key="$KEY" \
		--xattr-prefix=user.
else
	fail "manifest alltypes" "$T_WHY"
fi

# hidden default key: nothing new visible, tree equal including xattrs
if gentree_run "$src" --seed 6 --files 80 >/dev/null &&
   mkfs_image "$T_TMP/img" "$src" 4096 --xattr-inode-digest; then
	if mount_image "$T_TMP/img" "$T_TMP/mnt"; then
		if compare_trees "$src" "$T_TMP/mnt"; then
			pass "hidden default key invisible to listxattr"
		else
			fail "hidden default key invisible to listxattr" "$T_WHY"
		fi
		umount_image "$T_TMP/mnt"
	else
		fail "hidden default key invisible to listxattr" "$T_WHY"
	fi
else
	fail "hidden default key invisible to listxattr" "$T_WHY"
fi

finish
