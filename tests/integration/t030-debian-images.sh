#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t030-debian-images.sh - our reader against images we did not write:
# Debian's mkfs.erofs 1.5 builds images of a varied tree (every file
# type, hard links, xattrs incl. POSIX ACLs, shared xattrs, long names,
# big, sparse and multi-block-directory content) in several layouts
# (flat, inline, extended inodes, chunks, and lz4/lz4hc compression with
# big pclusters, ztailpacking, fragments, dedupe, legacy indexes); our
# fsck must find them clean (exit 0) and "fsck.erofs --extract=DIR" must
# recreate the source exactly: contents (diff -r), metadata (stat -c
# '%f %u %g %s %Y %h %t %T'), xattrs (getfattr) and symlink targets.
# Our own mkfs (when built) adds the block sizes 1.5 cannot write.
. "$(dirname "$0")/lib.sh"
need_root

SRC=$T_TMP/src
make_tree() {
	mkdir -p "$SRC/dir/sub" "$SRC/many" "$SRC/acl"
	cd "$SRC" || exit 1
	: >empty
	printf a >one
	head -c 4095 /dev/urandom >b4095
	head -c 4096 /dev/urandom >b4096
	head -c 4097 /dev/urandom >b4097
	head -c 1100000 /dev/urandom >big
	truncate -s 10M sparse && printf end >>sparse
	seq 1 50000 >dir/text
	echo linked >dir/hl1
	ln dir/hl1 hl2 && ln dir/hl1 dir/sub/hl3
	ln -s one rel-link
	ln -s /nonexistent/absolute abs-link
	ln -s "$(printf 'T%.0s' $(seq 1 300))" long-link
	mkfifo fifo
	mknod cdev c 4 5
	mknod bdev b 259 300000
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sock 2>/dev/null ||
		mknod sock p
	long=$(printf 'n%.0s' $(seq 1 200))
	echo long >"$long"
	echo spaced >" space !bang"
	for i in $(seq 1 300); do echo "$i" >"many/file-$i"; done
	chown 100000:200000 b4095
	chown 1234:5678 dir/text
	chmod 4755 one; chmod 2711 b4096; chmod 1777 dir/sub; chmod 0 b4097
	setfattr -n user.small -v v one
	setfattr -n user.big -v "$(head -c 1000 /dev/zero | tr '\0' x)" b4096
	setfattr -n trusted.bin -v 0x00ff00ff dir
	for f in one b4095 dir/text many/file-1; do
		setfattr -n user.shared -v same "$f"
	done
	# chown clears file capabilities: extraction must restore them after
	echo cap >capfile
	chown 4321:4321 capfile
	command -v setcap >/dev/null && setcap cap_net_raw+ep capfile 2>/dev/null
	setfacl -m u:1000:rw,g:7:r,m:rwx acl 2>/dev/null
	setfacl -d -m u:1000:rx acl 2>/dev/null
	echo x >acl/f
	setfacl -m u:33:r acl/f 2>/dev/null
	touch -h -d @1500000000 rel-link
	touch -d @1600000000 dir/sub
	cd - >/dev/null || exit 1
}

# one line per path: type/mode, owner, size, mtime, links, device numbers;
# then symlink targets; then every xattr as "path name=value" (sorted, so
# the order listxattr happens to return does not matter).  A few processes
# per tree, not a few per file.
meta() {
	(cd "$1" && {
		find . -print0 | LC_ALL=C sort -z |
			xargs -0 stat -c '%n %f %u %g %s %Y %h %t %T'
		find . -type l -printf '%p -> %l\n' | LC_ALL=C sort
		getfattr -R -h -d -m- -e hex . 2>/dev/null |
			awk '/^# file: / { f = substr($0, 9); next }
			     /=/ { print f " " $0 }' | LC_ALL=C sort
	})
}

make_tree
meta "$SRC" >"$T_TMP/meta.src"

check_image() {
	name=$1 img=$2
	if ! "$FSCK" "$img" >"$T_TMP/fsck.out" 2>&1; then
		fail "$name-fsck-clean" "exit $?: $(head -n 3 "$T_TMP/fsck.out" | tr '\n' ' ')"
		return
	fi
	pass "$name-fsck-clean"
	out=$T_TMP/out-$name
	rm -rf "$out"
	if ! "$FSCK" --extract="$out" "$img" >"$T_TMP/fsck.out" 2>&1; then
		fail "$name-extract" "exit $?: $(head -n 3 "$T_TMP/fsck.out" | tr '\n' ' ')"
		return
	fi
	if ! diff -r --no-dereference "$SRC" "$out" 2>&1 |
	     grep -v -E '^File .* is a (fifo|socket|character special file|block special file) while file .* is a' \
	     >"$T_TMP/diff"; then
		:
	fi
	if [ -s "$T_TMP/diff" ]; then
		fail "$name-extract-content" "$(head -n 2 "$T_TMP/diff" | tr '\n' ' ')"
		return
	fi
	meta "$out" >"$T_TMP/meta.out"
	if ! diff "$T_TMP/meta.src" "$T_TMP/meta.out" >"$T_TMP/meta.diff"; then
		fail "$name-extract-metadata" "$(sed -n 2,3p "$T_TMP/meta.diff" | cut -c1-200 | tr '\n' ' ')"
		return
	fi
	pass "$name-extract"
}

UUID=00000000-0000-0000-0000-000000000000
if [ -x "$DEB_MKFS" ]; then
	for variant in default noinline extended chunk4k chunk64k lz4 lz4hc-big \
		       ztailpacking fragments dedupe legacy; do
		case $variant in
		default) opts= ;;
		noinline) opts=-Enoinline_data ;;
		extended) opts=-Eforce-inode-extended ;;
		chunk4k) opts=--chunksize=4096 ;;
		chunk64k) opts=--chunksize=65536 ;;
		lz4) opts=-zlz4 ;;
		lz4hc-big) opts="-zlz4hc -C65536" ;;
		ztailpacking) opts="-zlz4 -Eztailpacking" ;;
		fragments) opts="-zlz4hc -Efragments" ;;
		dedupe) opts="-zlz4 -Ededupe" ;;
		legacy) opts="-zlz4 -Elegacy-compress" ;;
		esac
		img=$T_TMP/deb-$variant.img
		# shellcheck disable=SC2086
		if ! "$DEB_MKFS" -U$UUID $opts "$img" "$SRC" >"$T_TMP/mkfs.log" 2>&1; then
			fail "deb-$variant-mkfs" "$(tail -n 1 "$T_TMP/mkfs.log")"
			continue
		fi
		check_image "deb-$variant" "$img"
	done
else
	skip debian-images "$DEB_MKFS not installed"
fi

# our mkfs covers the block sizes 1.5 cannot write
if [ "$STANDIN" = 0 ] && [ -x "$MKFS" ]; then
	for bs in $BLOCK_SIZES; do
		img=$T_TMP/ours-$bs.img
		if ! "$MKFS" -b "$bs" "$img" "$SRC" >"$T_TMP/mkfs.log" 2>&1; then
			skip "ours-$bs" "our mkfs failed: $(tail -n 1 "$T_TMP/mkfs.log")"
			continue
		fi
		check_image "ours-$bs" "$img"
	done
fi

# --offset: the same image behind 4096 bytes of junk
if [ -f "$T_TMP/deb-default.img" ]; then
	{ head -c 4096 /dev/urandom; cat "$T_TMP/deb-default.img"; } >"$T_TMP/off.img"
	if "$FSCK" --offset=4096 "$T_TMP/off.img" >/dev/null 2>&1; then
		pass offset
	else
		fail offset "fsck --offset=4096 rejects a shifted image"
	fi
	# a subtree check and a path that does not exist
	if "$FSCK" --path=/dir "$T_TMP/deb-default.img" >/dev/null 2>&1 &&
	   ! "$FSCK" --path=/nope "$T_TMP/deb-default.img" >/dev/null 2>&1; then
		pass subtree-path
	else
		fail subtree-path "--path=/dir not clean or --path=/nope accepted"
	fi
	# extraction refuses to overwrite unless told to
	out=$T_TMP/out-deb-default
	if "$FSCK" --extract="$out" "$T_TMP/deb-default.img" >/dev/null 2>&1; then
		fail no-overwrite "extracting over an existing tree succeeded"
	elif "$FSCK" --extract="$out" --overwrite "$T_TMP/deb-default.img" >"$T_TMP/ow" 2>&1 &&
	     meta "$out" | diff -q "$T_TMP/meta.src" - >/dev/null; then
		pass overwrite
	else
		fail overwrite "$(head -n 1 "$T_TMP/ow")"
	fi
	# -p prints a ratio; usage errors exit 16
	if "$FSCK" -p "$T_TMP/deb-default.img" | grep -q 'ratio'; then
		pass print-ratio
	else
		fail print-ratio "no ratio line"
	fi
	"$FSCK" --bogus "$T_TMP/deb-default.img" >/dev/null 2>&1
	rc=$?
	[ $rc = 16 ] && pass usage-exit-16 || fail usage-exit-16 "exit $rc"
	"$FSCK" "$T_TMP/nonexistent.img" >/dev/null 2>&1
	rc=$?
	[ $rc = 8 ] && pass missing-image-exit-8 || fail missing-image-exit-8 "exit $rc"
fi
finish
