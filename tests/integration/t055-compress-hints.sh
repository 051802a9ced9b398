#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t055-compress-hints - mkfs --compress-hints=FILE: per-file pcluster size
# and algorithm from path rules, several algorithms in one image.
#  - images from -z lists of two and three algorithms (lz4hc:lzma:zstd,
#    lz4:deflate, lzma with two dictionary sizes), alone and with dedupe and
#    fragments, mounted by the kernel and compared with the source, checked
#    by our fsck, extracted, and read by erofs-utils 1.9's fsck when the sid
#    chroot can be made;
#  - each file carries the algorithm and pcluster size its rule picked
#    (dump.erofs -e), files under a size-0 rule stay uncompressed, and the
#    superblock lists exactly the algorithms used;
#  - the image does not depend on --workers;
#  - a malformed hints file fails with FILE:LINE and leaves no image.
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs
[ "$STANDIN" = 1 ] && skip_all "--compress-hints is tested with our mkfs only"
mkfs_has_option 'compress-hints' ||
	skip_all "our mkfs.erofs --help does not list --compress-hints"

src=$T_TMP/src
if ! gentree_run "$src" --seed 55 --files 60 >/dev/null; then
	fail "$T_NAME tree" "$T_WHY"
	finish
fi
h=$src/hinted
mkdir -p "$h/logs" "$h/raw" "$h/big"
for i in 1 2 3; do
	gen_text $((20000 * i + 7)) $i >"$h/logs/log$i.txt"
	gen_text $((9000 * i)) $((i + 10)) >"$h/raw/keep$i.txt"
	gen_text $((400000 * i)) $((i + 20)) >"$h/big/data$i"
done
gen_text 50000 30 >"$h/other.txt"
cp "$h/logs/log2.txt" "$h/copy_of_log2.txt"	# same bytes, other rule

cat >"$T_TMP/hints" <<'EOF'
# raw/ stays as it is; logs get the second algorithm in 16 KiB clusters,
# big/ the third in 64 KiB ones
0 ^hinted/raw/
16384 1 ^hinted/logs/.*\.txt$
65536   2   ^hinted/big/
EOF

DEB_FSCK=/nonexistent/fsck.erofs-1.5-cannot-read-several-algorithms
sid_setup

# ext_of PATH: the first extent line of PATH in dump.erofs -e
ext_of() {
	"$DUMP" -e --path="$1" "$T_TMP/img" 2>/dev/null |
		awk '$1 == "0" && $2 ~ /\.\./ { print; exit }'
}
# expect NAME PATH WORD...: every WORD appears in PATH's first extent line
expect() {
	_n=$1 _p=$2
	shift 2
	_l=$(ext_of "$_p")
	for _w in "$@"; do
		case " $_l " in
		*" $_w "*) ;;
		*) fail "$_n" "$_p: no '$_w' in: ${_l:-(no extent)}"; return ;;
		esac
	done
	pass "$_n"
}
# blocks_of PATH: the block count of PATH's first extent (FIRST+COUNT)
blocks_of() { ext_of "$1" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\+[0-9]+$/) { split($i, b, "+"); print b[2]; exit } }'; }

for case in "lz4hc:lzma:zstd" "lz4hc:lzma:zstd dedupe" \
	    "lz4:deflate:lz4hc fragments" "lzma,dictsize=65536:lzma,dictsize=1048576:lzma,dictsize=32768"; do
	set -- $case
	z=$1 mode=${2:-}
	case $mode in
	dedupe) set -- -z"$z" -Ededupe ;;
	fragments) set -- -z"$z" -Efragments ;;
	*) set -- -z"$z" ;;
	esac
	name="hints $case"
	rm -f "$T_TMP/img"
	roundtrip "$name" "$src" 4096 "$@" --compress-hints="$T_TMP/hints" || continue
	a1=$(echo "$z" | cut -d: -f2 | cut -d, -f1)
	a2=$(echo "$z" | cut -d: -f3 | cut -d, -f1)
	[ "$a1" = lz4hc ] && a1=lz4	# one on-disk id for both
	[ "$a2" = lz4hc ] && a2=lz4
	expect "$name logs use $a1" /hinted/logs/log3.txt "$a1"
	expect "$name big uses $a2 big pclusters" /hinted/big/data2 "$a2" big
	b=$(blocks_of /hinted/big/data2)
	if [ -n "$b" ] && [ "$b" -gt 4 ] && [ "$b" -le 16 ]; then
		pass "$name big pcluster size"
	else
		fail "$name big pcluster size" "first pcluster of big/data2 has '$b' blocks, want 5..16"
	fi
	expect "$name size-0 rule stays uncompressed" /hinted/raw/keep3.txt none
	[ $have_sid = 1 ] && sid_extract "$name" "$src"
done

# the superblock lists what the files use: lz4 (0), lzma (1), zstd (3)
if mkfs_image "$T_TMP/img" "$src" 4096 -zlz4hc:lzma:zstd \
	--compress-hints="$T_TMP/hints"; then
	algs=$(od -An -tu2 -j1108 -N2 "$T_TMP/img" | tr -d ' ')
	if [ "$algs" = 11 ]; then
		pass "available algorithms lz4 lzma zstd"
	else
		fail "available algorithms lz4 lzma zstd" "u1 = $algs, want 11"
	fi
else
	fail "available algorithms lz4 lzma zstd" "$T_WHY"
fi

# the same image for any number of workers
same_for_workers "hints workers 1, 2 same image" "$src" 4096 "1 2" \
	-zlz4hc:lzma:zstd -Ededupe,fragments --compress-hints="$T_TMP/hints" \
	-T 1700000000

# bad files: an error naming FILE:LINE (or the missing file), exit 1, no
# image left
bad_hints() {
	_name=$1 _want=$2 _z=$3 _file=$4
	rm -f "$T_TMP/bimg"
	if "$MKFS" -z"$_z" --compress-hints="$_file" "$T_TMP/bimg" "$src" \
		>"$T_TMP/bad.log" 2>&1; then
		fail "$_name" "mkfs succeeded"
	elif [ -e "$T_TMP/bimg" ]; then
		fail "$_name" "an image was left behind"
	elif grep -q -- "$_want" "$T_TMP/bad.log"; then
		pass "$_name"
	else
		fail "$_name" "no '$_want' in: $(head -n 1 "$T_TMP/bad.log")"
	fi
}
for c in "index past -z|bad:2|lz4hc:lzma|4096 0 a\n4096 2 b\n" \
	 "size not a block multiple|bad:1|lz4hc|1000 x\n" \
	 "bad regex|bad:3|lz4hc|# c\n\n4096 (unclosed\n" \
	 "size not a number|bad:1|lz4hc|4k foo\n"; do
	what=${c%%|*} c=${c#*|}
	want=${c%%|*} c=${c#*|}
	z=${c%%|*} text=${c#*|}
	printf '%b' "$text" >"$T_TMP/bad"
	bad_hints "hints: $what" "$want" "$z" "$T_TMP/bad"
done
rm -f "$T_TMP/hmissing"
bad_hints "hints: missing file" hmissing lz4hc "$T_TMP/hmissing"
finish
