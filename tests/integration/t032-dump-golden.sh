#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t032-dump-golden.sh - dump.erofs output is stable: a deterministic image
# (Debian's mkfs.erofs 1.5 with -T and a fixed -U over a tree this script
# makes with fixed contents, owners and modes) is dumped with every view
# and compared byte for byte with tests/golden/t032-*.out; a second image
# (-zlz4hc) covers compressed extents (t032-z-*.out).
# UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
. "$(dirname "$0")/lib.sh"
need_root

GOLDEN=$TOP_SRCDIR/tests/golden
[ -x "$DEB_MKFS" ] || skip_all "$DEB_MKFS not installed"
"$DEB_MKFS" --help 2>&1 | grep -q '^mkfs.erofs 1.5' ||
	"$DEB_MKFS" 2>&1 | grep -q 'mkfs.erofs 1.5' ||
	skip_all "golden files were made with mkfs.erofs 1.5"

umask 022
SRC=$T_TMP/src
mkdir -p "$SRC/dir/sub" "$SRC/many"
cd "$SRC" || exit 1
printf 'hello\n' >hello
seq 1 3000 >dir/numbers
: >empty
printf 'inline data' >dir/sub/inl
ln hello dir/hardlink
ln -s hello link
ln -s ../../hello dir/sub/uplink
mkfifo fifo
mknod cdev c 1 3
for i in $(seq 1 120); do printf '%s\n' "$i" >"many/entry-$i"; done
chown 1000:1000 hello
chown 100000:100000 dir/numbers
chmod 0600 dir/numbers
chmod 0755 . dir dir/sub many
setfattr -n user.greeting -v "hi there" hello
setfattr -n trusted.bin -v 0x0001fe dir
setfacl -m u:1000:rw dir/sub/inl
cd - >/dev/null || exit 1

IMG=$T_TMP/golden.img
"$DEB_MKFS" -T1700000000 -U11111111-2222-3333-4444-555555555555 "$IMG" "$SRC" \
	>"$T_TMP/mkfs.log" 2>&1 || skip_all "mkfs failed: $(tail -n 1 "$T_TMP/mkfs.log")"

ZIMG=$T_TMP/golden-lz4.img
"$DEB_MKFS" -zlz4hc -T1700000000 -U11111111-2222-3333-4444-555555555555 "$ZIMG" "$SRC" \
	>"$T_TMP/mkfs.log" 2>&1 || skip_all "mkfs -zlz4hc failed: $(tail -n 1 "$T_TMP/mkfs.log")"

golden() {
	name=$1
	shift
	img=$IMG
	case $name in z-*) img=$ZIMG ;; esac
	"$DUMP" "$@" "$img" >"$T_TMP/$name.out" 2>&1
	echo "exit $?" >>"$T_TMP/$name.out"
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$T_TMP/$name.out" "$GOLDEN/t032-$name.out"
		pass "$name (updated)"
	elif [ ! -f "$GOLDEN/t032-$name.out" ]; then
		fail "$name" "no golden file t032-$name.out (run with UPDATE_GOLDEN=1)"
	elif diff -u "$GOLDEN/t032-$name.out" "$T_TMP/$name.out" >"$T_TMP/$name.diff"; then
		pass "$name"
	else
		fail "$name" "output differs: $(sed -n 4,5p "$T_TMP/$name.diff" | tr '\n' ' ')"
		sed -n '1,20p' "$T_TMP/$name.diff" | sed 's/^/    /'
	fi
}

golden super -s
golden stats -S
golden ls-root --ls
golden ls-many --ls --path=/many
golden inode-hello --path=/hello
golden inode-numbers -e --path=/dir/numbers
golden inode-inl -e --path=/dir/sub/inl
golden inode-dir --path=/dir
golden inode-link -e --path=/link
golden inode-cdev --path=/cdev
golden inode-root --nid=36
golden cat-hello --cat --path=/hello
golden cat-uplink --cat --path=/dir/sub/uplink
golden missing-path --path=/no/such/file
golden z-super -s
golden z-stats -S
golden z-inode-numbers -e --path=/dir/numbers
golden z-cat-hello --cat --path=/hello
finish
