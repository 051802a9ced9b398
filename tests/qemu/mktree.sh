#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# mktree.sh VERSION DIR - write a deterministic test tree for the QEMU page
# cache sharing test.  VERSION is "a" or "b": the two versions share about
# 80 % of their files byte for byte (like two neighbouring releases of a
# container image), the rest is changed in place (same size or a new size),
# removed, or new.  Each tree also holds a duplicate of one of its own files
# (the kernel shares those within one image too), tiny files that end up
# inline, an empty file (never fingerprinted) and a symlink, so that the
# prediction has to get the kernel's grouping rule right, not just "same
# path, same bytes".
#
# Contents come from an AES-CTR keystream (openssl) keyed by a file label,
# then base64-encoded with every line written twice: the same label always
# gives the same bytes, and LZ4 can halve them (it finds only repeats, so
# plain base64 would be stored uncompressed), which the compressed case
# needs.  About 35 MB per
# tree; set MKTREE_SCALE=N to divide the sizes of the large files by N.
set -eu
ver=$1 dir=$2
scale=${MKTREE_SCALE:-1}
nfiles=160

# content LABEL SIZE > FILE: SIZE bytes derived from LABEL only
content() {
	key=$(printf '%s' "$1" | sha256sum | cut -c1-32)
	openssl enc -aes-128-ctr -nosalt -K "$key" -iv 00000000000000000000000000000000 \
		-in /dev/zero 2>/dev/null | base64 -w 76 | sed p | head -c "$2"
}

# size_of I: a spread of sizes: every 10th file is tiny (inline tail),
# every 10th is 0.5-1.5 MB, the rest 20-300 KB.
size_of() {
	h=$(( ($1 * 2654435761 + 97) % 4294967296 ))
	case $(( $1 % 10 )) in
	0) echo $(( h % 3000 + 1 )) ;;
	1) echo $(( (h % 1048576 + 524288) / scale )) ;;
	*) echo $(( (h % 286720 + 20480) / scale )) ;;
	esac
}

rm -rf "$dir"
mkdir -p "$dir"
i=0
while [ $i -lt $nfiles ]; do
	sub=$dir/d$(( i % 8 ))/s$(( i % 3 ))
	mkdir -p "$sub"
	f=$sub/f$i
	size=$(size_of $i)
	label=base-$i
	if [ "$ver" = b ]; then
		case $(( i % 20 )) in
		3|13) label=b-$i ;;			# changed, same size
		7) label=b-$i; size=$(( size + 4096 + i )) ;;	# changed, new size
		17) i=$((i + 1)); continue ;;		# removed in b
		esac
	fi
	content "$label" "$size" > "$f"
	i=$((i + 1))
done
if [ "$ver" = b ]; then
	# files new in b
	for j in 0 1 2 3 4 5 6 7; do
		mkdir -p "$dir/new"
		content "new-$j" $(( (j * 40000 + 30000) / scale )) > "$dir/new/n$j"
	done
fi
# a duplicate within the tree, an empty file, a symlink
mkdir -p "$dir/extra"
cp "$dir/d5/s2/f5" "$dir/extra/copy-of-f5"
: > "$dir/extra/empty"
ln -s ../d5/s2/f5 "$dir/extra/link"
# fixed times and modes keep the images reproducible
find "$dir" -exec touch -h -d @1700000000 {} +
chmod -R u=rwX,go=rX "$dir"
