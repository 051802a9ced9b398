#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t020-mkfs-options.sh - mkfs.erofs option parsing and error paths, end to
# end: every bad value or unusable input must give a message naming the
# cause, exit status 1, and leave no image file behind; every accepted
# option must have its effect on the mounted image.
# Failures from the system or the data (full output, over-long names,
# files changing while read) are t022's.
. "$(dirname "$0")/lib.sh"

need_root
need_mkfs
unset SOURCE_DATE_EPOCH	# the cases below set it themselves

S=$T_TMP/src
IMG=$T_TMP/out.img
MNT=$T_TMP/mnt
ERR=$T_TMP/err

mkdir -p "$S/dir/sub" "$S/skip"
echo hello >"$S/file"
echo older >"$S/old"
echo x >"$S/junk.tmp"
echo y >"$S/dir/sub/f"
echo z >"$S/skip/f"
ln "$S/file" "$S/dir/hard"
ln -s file "$S/sym"
setfattr -n user.note -v yes "$S/file"
touch -d @1000000000 "$S/old"
touch -d @4000000000 "$S/file"	# in the future of the epochs used below
chown 1000:1000 "$S/file"

# expect_fail NAME PATTERN ARGS...: exit 1, PATTERN on stderr, no image
expect_fail() {
	name=$1 pat=$2
	shift 2
	rm -f "$IMG"
	"$MKFS" "$@" >"$T_TMP/out" 2>"$ERR"
	rc=$?
	if [ $rc -ne 1 ]; then
		fail "$name" "exit $rc, want 1 ($(head -n 1 "$ERR"))"
	elif ! grep -q -- "$pat" "$ERR"; then
		fail "$name" "stderr lacks '$pat': $(head -n 1 "$ERR")"
	elif [ -e "$IMG" ]; then
		fail "$name" "image left behind after the failure"
	else
		pass "$name"
	fi
}

# build NAME ARGS...: must succeed (quietly) into $IMG
build() {
	name=$1
	shift
	rm -f "$IMG"
	if ! "$MKFS" --quiet "$@" "$IMG" "$S" >"$T_TMP/out" 2>"$ERR"; then
		T_WHY="mkfs failed: $(head -n 1 "$ERR")"
		return 1
	fi
}

# with_mount NAME CHECK: mount $IMG, run the shell CHECK in $MNT, unmount
with_mount() {
	name=$1
	if ! mount_image "$IMG" "$MNT"; then
		fail "$name" "$T_WHY"
		return
	fi
	if (cd "$MNT" && eval "$2") >"$T_TMP/check" 2>&1; then
		pass "$name"
	else
		fail "$name" "check '$2' failed: $(head -n 1 "$T_TMP/check")"
	fi
	umount_image "$MNT"
}

sb_hex() {	# OFFSET LEN: superblock bytes (sb at 1024) as hex
	od -An -tx1 -j $((1024 + $1)) -N "$2" "$IMG" | tr -d ' \n'
}

# ---- usage ----------------------------------------------------------------
if "$MKFS" --help >"$T_TMP/out" 2>&1 && grep -q '^Usage: mkfs.erofs' "$T_TMP/out"; then
	pass help
else
	fail help "--help did not print usage with exit 0"
fi
if "$MKFS" -V 2>&1 | grep -q '^mkfs.erofs (erofs-tools) '; then
	pass version
else
	fail version "-V output: $("$MKFS" -V 2>&1 | head -n 1)"
fi
expect_fail no-args "missing IMAGE or SOURCE"
expect_fail one-arg "missing IMAGE or SOURCE" "$IMG"
expect_fail extra-arg "too many arguments" "$IMG" "$S" "$S"
expect_fail unknown-long "unknown option '--bogus'" --bogus "$IMG" "$S"
expect_fail unknown-short "unknown option '-Q'" -Q "$IMG" "$S"
expect_fail usage-hint "Try '.*--help'" --bogus "$IMG" "$S"
expect_fail missing-value "option '--force-uid' needs a value" "$IMG" "$S" --force-uid

# ---- bad values -------------------------------------------------------------
for b in 1000 8192 256 0 abc 4k ""; do
	expect_fail "bad-blocksize-'$b'" "invalid block size" -b "$b" "$IMG" "$S"
done
expect_fail label-too-long "longer than 15 bytes" -L 0123456789abcdef "$IMG" "$S"
expect_fail bad-debug-level "invalid message level" -d 10 "$IMG" "$S"
expect_fail bad-xattr-threshold "invalid xattr sharing threshold" -x 2x "$IMG" "$S"
expect_fail bad-extended "unknown extended option 'bogus'" -E noinline_data,bogus "$IMG" "$S"
expect_fail bad-timestamp "invalid timestamp" -T -5 "$IMG" "$S"
expect_fail bad-timestamp-junk "invalid timestamp" -T 12abc "$IMG" "$S"
export SOURCE_DATE_EPOCH=yesterday
expect_fail bad-source-date-epoch "invalid SOURCE_DATE_EPOCH 'yesterday'" "$IMG" "$S"
unset SOURCE_DATE_EPOCH
expect_fail bad-uuid "invalid UUID" -U 1234 "$IMG" "$S"
expect_fail bad-uuid-hex "invalid UUID" -U c1b9d5a2-f162-11cf-9ece-0020afc76fzz "$IMG" "$S"
expect_fail bad-force-uid "invalid id" --force-uid=-5 "$IMG" "$S"
expect_fail bad-force-gid "invalid id" --force-gid=4294967296 "$IMG" "$S"
expect_fail bad-uid-offset "invalid id offset" --uid-offset=x "$IMG" "$S"
expect_fail bad-root-xattr-isize "invalid root xattr size" --root-xattr-isize=big "$IMG" "$S"
expect_fail bad-xattr-prefix "invalid xattr prefix" --xattr-prefix= "$IMG" "$S"
expect_fail bad-regex "invalid exclude regex" --exclude-regex='(' "$IMG" "$S"
expect_fail uid-offset-range "out of range" --all-root --uid-offset=-1 "$IMG" "$S"
expect_fail missing-file-contexts "/nonexistent/fc" --file-contexts=/nonexistent/fc "$IMG" "$S"

# ---- unusable input and output ----------------------------------------------
expect_fail missing-source "cannot open source directory $T_TMP/nope: No such file" "$IMG" "$T_TMP/nope"
# (a file source means EROFS images to merge, as in erofs-utils)
expect_fail source-is-file "not a directory, nor a usable EROFS image" "$IMG" "$S/file"
expect_fail unwritable-output "cannot open image /proc/x.img" /proc/x.img "$S"
expect_fail output-dir-missing "cannot open image $T_TMP/no/such/dir.img" "$T_TMP/no/such/dir.img" "$S"

# a bad SOURCE must not truncate an existing image
echo precious >"$IMG"
"$MKFS" --quiet "$IMG" "$T_TMP/nope" 2>/dev/null
if [ "$(cat "$IMG" 2>/dev/null)" = precious ]; then
	pass keeps-old-image-on-bad-source
else
	fail keeps-old-image-on-bad-source "existing IMAGE was touched"
fi

# An old image is replaced: the new one is created beside it and renamed
# over it, a large one freed in the background (mkfs_output.c), unless
# other names lead to it: hard links and symbolic links still see the new
# image.  The old one's bytes never show through.  Each case: BIG junk,
# then a build over it.
big_old() {
	rm -f "$1"
	head -c 6000000 /dev/urandom >"$1"
}
# build_over NAME TARGET FILE: mkfs of $S to TARGET must succeed and
# leave FILE a clean image of $S without the old bytes; 0 or 1 (failed)
build_over() {
	if ! "$MKFS" --quiet "$2" "$S" 2>"$ERR"; then
		fail "$1" "mkfs: $(head -n 1 "$ERR")"
	elif [ "$(wc -c <"$3")" -ge 6000000 ]; then
		fail "$1" "the old image's bytes are still there ($(wc -c <"$3") bytes)"
	elif ! "$FSCK" "$3" >"$ERR" 2>&1; then
		fail "$1" "fsck: $(head -n 1 "$ERR")"
	else
		return 0
	fi
	return 1
}
R=$T_TMP/replace.img
big_old "$R"
ino=$(stat -c %i "$R")
if build_over replace-large-old "$R" "$R"; then
	pass "replace-large-old (inode $ino -> $(stat -c %i "$R"))"
fi
big_old "$R"
ln "$R" "$T_TMP/replace.link"
if build_over hardlinked-old-truncated-in-place "$R" "$R"; then
	if cmp -s "$R" "$T_TMP/replace.link"; then
		pass hardlinked-old-truncated-in-place
	else
		fail hardlinked-old-truncated-in-place "the other link kept the old bytes"
	fi
fi
rm -f "$T_TMP/replace.link"
big_old "$R"
ln -s replace.img "$T_TMP/replace.sym"
if build_over symlinked-old-written-through "$T_TMP/replace.sym" "$R"; then
	if [ -L "$T_TMP/replace.sym" ]; then
		pass symlinked-old-written-through
	else
		fail symlinked-old-written-through "the symbolic link was replaced by a file"
	fi
fi
rm -f "$T_TMP/replace.sym"
# an image the kernel still has mounted keeps reading the old file (as
# the man page says); the new one mounts and reads as $S.  Only with our
# mkfs, which never truncates a single-link file in a writable directory:
# a mkfs that did would rewrite a mounted image under the kernel.
KS=$T_TMP/kept
mkdir -p "$KS"
head -c 5000000 /dev/urandom >"$KS/big"
if [ "$STANDIN" = 1 ]; then
	skip mounted-old-keeps-reading "a stand-in mkfs may truncate a mounted image"
elif ! "$MKFS" --quiet "$R" "$KS" 2>"$ERR"; then
	fail mounted-old-keeps-reading "mkfs: $(head -n 1 "$ERR")"
elif ! mount_image "$R" "$T_TMP/mnt.old" 2>/dev/null; then
	skip mounted-old-keeps-reading "$T_WHY"
else
	if build_over mounted-old-keeps-reading "$R" "$R"; then
		if ! cmp -s "$T_TMP/mnt.old/big" "$KS/big"; then
			fail mounted-old-keeps-reading "the old mount no longer reads the old image"
		elif ! mount_image "$R" "$T_TMP/mnt.new"; then
			fail mounted-old-keeps-reading "$T_WHY"
		else
			if diff -r "$S" "$T_TMP/mnt.new" >"$ERR" 2>&1; then
				pass mounted-old-keeps-reading
			else
				fail mounted-old-keeps-reading "the new image differs from its source: $(head -n 1 "$ERR")"
			fi
			umount_image "$T_TMP/mnt.new"
		fi
	fi
	umount_image "$T_TMP/mnt.old"
fi
rm -rf "$KS"
big_old "$R"
cp "$R" "$T_TMP/replace.orig"
"$MKFS" --quiet "$R" "$T_TMP/nope" 2>/dev/null
if cmp -s "$R" "$T_TMP/replace.orig"; then
	pass keeps-large-old-image-on-bad-source
else
	fail keeps-large-old-image-on-bad-source "existing IMAGE was touched"
fi
rm -f "$R" "$T_TMP/replace.orig"
# an image the user may not write is refused, not replaced (removing it
# needs only the directory): as with O_TRUNC, and as in erofs-utils
if command -v setpriv >/dev/null 2>&1; then
	U=$T_TMP/rosrc
	mkdir -p "$U"
	chmod 755 "$T_TMP"
	chmod 777 "$U"
	echo x >"$U/a"
	echo precious >"$U/ro.img"
	chmod 444 "$U/ro.img"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$MKFS" --quiet "$U/ro.img" "$U" >/dev/null 2>"$ERR"
	rc=$?
	if [ $rc -ne 0 ] && grep -q "cannot open image $U/ro.img: Permission denied" "$ERR" &&
	   [ "$(cat "$U/ro.img")" = precious ] &&
	   [ "$(stat -c '%a %u' "$U/ro.img")" = "444 0" ]; then
		pass readonly-old-image-refused
	else
		fail readonly-old-image-refused "exit $rc, $(stat -c '%a %u' "$U/ro.img"): $(head -n 1 "$ERR")"
	fi
	rm -rf "$U"
else
	skip readonly-old-image-refused "setpriv not installed"
fi
# a directory that takes no new file (no inode left): the old image is
# truncated and written in place, as before, not lost
TM=$T_TMP/tmpfs
mkdir -p "$TM"
if mount -t tmpfs -o size=32m,nr_inodes=4 none "$TM" 2>/dev/null; then
	echo "$TM" >>"$T_TMP/.mounts"	# cleanup() unmounts it on any exit
	big_old "$TM/img"
	i=0
	# (touch: a failed redirection of ':' would end the script)
	while [ $i -lt 16 ] && touch "$TM/fill$i" 2>/dev/null; do
		i=$((i + 1))
	done
	if build_over no-inode-left-truncates "$TM/img" "$TM/img"; then
		if ls "$TM" | grep -q erofs-new; then
			fail no-inode-left-truncates "a temporary file was left: $(ls "$TM")"
		else
			pass no-inode-left-truncates
		fi
	fi
	umount_image "$TM"
else
	skip no-inode-left-truncates "cannot mount a tmpfs"
fi

# an unreadable subdirectory: root reads everything, so drop privileges
if command -v setpriv >/dev/null 2>&1; then
	U=$T_TMP/unpriv
	mkdir -p "$U/locked"
	chmod 755 "$T_TMP"
	chmod 000 "$U/locked"
	chmod 777 "$U"
	rm -f "$U/out.img"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$MKFS" --quiet "$U/out.img" "$U" >/dev/null 2>"$ERR"
	rc=$?
	if [ $rc -eq 1 ] && grep -q "$U/locked.*Permission denied" "$ERR" &&
	   [ ! -e "$U/out.img" ]; then
		pass unreadable-subdir
	else
		fail unreadable-subdir "exit $rc: $(head -n 1 "$ERR")"
	fi
	chmod 700 "$U/locked"
	rm -rf "$U"
else
	skip unreadable-subdir "setpriv not installed"
fi

# a regular file whose read fails: bind a write-only sysfs attribute (size
# 4096, but open for reading gives EACCES even to root) into the tree
WO=$(find /sys/bus /sys/class -maxdepth 3 -type f -perm 0200 2>/dev/null | head -n 1)
if [ -n "$WO" ]; then
	R=$T_TMP/rsrc
	mkdir -p "$R"
	echo ok >"$R/a"
	: >"$R/wo"
	if mount --bind "$WO" "$R/wo" 2>/dev/null; then
		echo "$R/wo" >>"$T_TMP/.mounts"
		rm -f "$IMG"
		"$MKFS" --quiet "$IMG" "$R" >/dev/null 2>"$ERR"
		rc=$?
		if [ $rc -eq 1 ] && grep -q "$R/wo" "$ERR" && [ ! -e "$IMG" ]; then
			pass unreadable-file
		else
			fail unreadable-file "exit $rc, image $([ -e "$IMG" ] && echo left || echo gone): $(head -n 1 "$ERR")"
		fi
		umount_image "$R/wo"
	else
		skip unreadable-file "cannot bind-mount $WO"
	fi
else
	skip unreadable-file "no write-only sysfs attribute to bind"
fi

# (a name over 255 bytes: ext4 cannot hold one; t022 feeds one through --tar)

# interrupted while writing (a 512 MiB sparse file takes seconds): the
# signal handler removes the partial image
B=$T_TMP/bigsrc
mkdir -p "$B"
truncate -s 512M "$B/sparse"
rm -f "$IMG"
"$MKFS" --quiet "$IMG" "$B" 2>"$ERR" &
pid=$!
sleep 1
if kill -TERM $pid 2>/dev/null; then
	{ wait $pid; } 2>/dev/null	# no "Terminated" from the shell
	rc=$?
	if [ $rc -eq 143 ] && [ ! -e "$IMG" ]; then
		pass interrupted-build-removes-image
	else
		fail interrupted-build-removes-image "exit $rc, image $([ -e "$IMG" ] && echo left || echo gone)"
	fi
else
	wait $pid
	skip interrupted-build-removes-image "the build finished within a second"
fi
rm -rf "$B" "$IMG"

# ---- accepted options and their effect ----------------------------------------
for b in 512 1024 2048 4096; do
	if build "blocksize-$b" -b "$b"; then
		with_mount "blocksize-$b" '[ "$(cat file)" = hello ] && [ "$(cat dir/sub/f)" = y ]'
	else
		fail "blocksize-$b" "$T_WHY"
	fi
done

if build label -L 0123456789abcde &&
   [ "$(sb_hex 0x40 16)" = 30313233343536373839616263646500 ]; then
	pass label-15-bytes
else
	fail label-15-bytes "${T_WHY:-volume_name bytes $(sb_hex 0x40 16)}"
fi

U1=c1b9d5a2-f162-11cf-9ece-0020afc76f16
if build uuid -U $U1 && [ "$(sb_hex 0x30 16)" = "$(echo $U1 | tr -d -)" ]; then
	pass uuid-given
else
	fail uuid-given "${T_WHY:-uuid bytes $(sb_hex 0x30 16)}"
fi
if build uuid -U clear && [ "$(sb_hex 0x30 16)" = 00000000000000000000000000000000 ]; then
	pass uuid-clear
else
	fail uuid-clear "${T_WHY:-uuid bytes $(sb_hex 0x30 16)}"
fi
build uuid-random && u1=$(sb_hex 0x30 16) && build uuid-random && u2=$(sb_hex 0x30 16)
if [ "${u1:-x}" != "${u2:-x}" ] && [ "$u1" != 00000000000000000000000000000000 ]; then
	pass uuid-random-default
else
	fail uuid-random-default "two builds without -T gave UUID ${u1:-?} and ${u2:-?}"
fi

# reproducible: fixed time => same bytes, also from a copy of the tree made
# in another order (other inode numbers, other readdir order)
mkdir "$T_TMP/copy2"
cp -a "$S/." "$T_TMP/copy2/"
for mode in "-T 1234567890" "SDE"; do
	ok=1
	for src in "$S" "$S" "$T_TMP/copy2"; do
		rm -f "$IMG"
		if [ "$mode" = SDE ]; then
			env SOURCE_DATE_EPOCH=1234567890 "$MKFS" --quiet "$IMG" "$src" 2>"$ERR" || ok=0
		else
			"$MKFS" --quiet $mode "$IMG" "$src" 2>"$ERR" || ok=0
		fi
		sha256sum <"$IMG" >>"$T_TMP/sums.$mode" 2>/dev/null
	done
	if [ $ok = 1 ] && [ "$(sort -u "$T_TMP/sums.$mode" | wc -l)" = 1 ]; then
		pass "reproducible-$(echo "$mode" | tr -d ' ')"
	else
		fail "reproducible-$(echo "$mode" | tr -d ' ')" "$(sort -u "$T_TMP/sums.$mode" | wc -l) different images ($(head -n 1 "$ERR"))"
	fi
done

if build time-all -T 1234; then
	with_mount "T-sets-all-mtimes" '[ "$(stat -c %Y file)" = 1234 ] && [ "$(stat -c %Y old)" = 1234 ] && [ "$(stat -c %Y dir)" = 1234 ]'
else
	fail T-sets-all-mtimes "$T_WHY"
fi
if build time-mkfs -T 1234 --mkfs-time; then
	with_mount "mkfs-time-keeps-mtimes" '[ "$(stat -c %Y file)" = 4000000000 ] && [ "$(stat -c %Y old)" = 1000000000 ]'
else
	fail mkfs-time-keeps-mtimes "$T_WHY"
fi
export SOURCE_DATE_EPOCH=2000000000
if build sde; then
	with_mount "sde-clamps-mtimes" '[ "$(stat -c %Y file)" = 2000000000 ] && [ "$(stat -c %Y old)" = 1000000000 ]'
else
	fail sde-clamps-mtimes "$T_WHY"
fi
if build sde-T -T 5; then
	with_mount "T-wins-over-sde" '[ "$(stat -c %Y old)" = 5 ]'
else
	fail T-wins-over-sde "$T_WHY"
fi
unset SOURCE_DATE_EPOCH
if build ignore -T 77 --mkfs-time --ignore-mtime; then
	with_mount "ignore-mtime" '[ "$(stat -c %Y old)" = 77 ]'
else
	fail ignore-mtime "$T_WHY"
fi

if build owners --all-root; then
	with_mount all-root '[ "$(stat -c %u:%g file)" = 0:0 ]'
else
	fail all-root "$T_WHY"
fi
if build owners --force-uid=7 --uid-offset=10 --gid-offset=3; then
	with_mount force-uid-offsets '[ "$(stat -c %u:%g file)" = 17:1003 ] && [ "$(stat -c %u dir)" = 17 ]'
else
	fail force-uid-offsets "$T_WHY"
fi
if build excl --exclude-path=skip --exclude-path=/dir/sub --exclude-regex='\.tmp$'; then
	with_mount excludes '[ ! -e skip ] && [ ! -e dir/sub ] && [ ! -e junk.tmp ] && [ -e dir/hard ] && [ -e old ]'
else
	fail excludes "$T_WHY"
fi
if build hard; then
	with_mount hard-links '[ "$(stat -c %i file)" = "$(stat -c %i dir/hard)" ] && [ "$(stat -c %h file)" = 2 ]'
else
	fail hard-links "$T_WHY"
fi
if build deref --hard-dereference; then
	with_mount hard-dereference '[ "$(stat -c %i file)" != "$(stat -c %i dir/hard)" ] && [ "$(stat -c %h file)" = 1 ]'
else
	fail hard-dereference "$T_WHY"
fi
if build xattrs; then
	with_mount xattrs-kept '[ "$(getfattr --only-values -n user.note file)" = yes ]'
else
	fail xattrs-kept "$T_WHY"
fi
if build noxattrs -x -1; then
	with_mount xattrs-dropped '! getfattr -n user.note file'
else
	fail xattrs-dropped "$T_WHY"
fi
if build ext -E force-inode-extended,nosbcrc,noinline_data,^xattr-name-filter; then
	with_mount extended-options '[ "$(cat file)" = hello ]'
else
	fail extended-options "$T_WHY"
fi
# -E noinline_data is about regular files only (as in erofs-utils, and as
# containerd's differ passes it for every layer): directories and symlinks
# keep their inline tails, a small file goes to a block of its own
if build noinline -E noinline_data &&
   layouts=$("$DUMP" --path=/dir "$IMG" && "$DUMP" --path=/sym "$IMG" &&
	     "$DUMP" --path=/file "$IMG") 2>"$ERR"; then
	got=$(echo "$layouts" | sed -n 's/^Layout: \([A-Z_]*\).*/\1/p' | tr '\n' ' ')
	if [ "$got" = "FLAT_INLINE FLAT_INLINE FLAT_PLAIN " ]; then
		with_mount noinline-data-regular-only '[ "$(cat file)" = hello ] && [ "$(readlink sym)" = file ] && [ -f dir/sub/f ]'
	else
		fail noinline-data-regular-only "layouts of dir, sym, file: $got"
	fi
else
	fail noinline-data-regular-only "${T_WHY:-dump failed: $(head -n 1 "$ERR")}"
fi
# sizes with erofs-utils' K/M suffixes equal the byte counts
if build k -T 0 -U 1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9 -zlz4hc -C64k -Efragments=16k --max-extent-bytes=1M &&
   cp "$IMG" "$T_TMP/k.img" &&
   build bytes -T 0 -U 1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9 -zlz4hc -C65536 -Efragments=16384 --max-extent-bytes=1048576; then
	if cmp -s "$IMG" "$T_TMP/k.img"; then
		pass size-suffixes
	else
		fail size-suffixes "-C64k -Efragments=16k --max-extent-bytes=1M differs from the byte counts"
	fi
else
	fail size-suffixes "$T_WHY"
fi
# lzma's extreme levels and literal/position bits (erofs-utils' spelling)
if build lzmaopts -zlzma,level=109,lc=1,lp=2,pb=0; then
	with_mount lzma-extreme-lclppb '[ "$(cat file)" = hello ] && [ "$(cat dir/sub/f)" = y ]'
else
	fail lzma-extreme-lclppb "$T_WHY"
fi
# erofs-utils' name for the libdeflate backend
if build libdeflate -zlibdeflate; then
	with_mount zlibdeflate-alias '[ "$(cat file)" = hello ]'
else
	fail zlibdeflate-alias "$T_WHY"
fi
if build compact -E force-inode-compact -T 99 --mkfs-time; then
	with_mount force-inode-compact '[ "$(stat -c %Y old)" = 99 ]'
else
	fail force-inode-compact "$T_WHY"
fi
if build pfx --xattr-prefix=user.no --root-xattr-isize=64; then
	with_mount xattr-prefix-root-isize '[ "$(getfattr --only-values -n user.note file)" = yes ]'
else
	fail xattr-prefix-root-isize "$T_WHY"
fi
if build digest --xattr-inode-digest && grep -q erofs.fingerprint.v1 "$IMG"; then
	pass xattr-inode-digest-default
else
	fail xattr-inode-digest-default "${T_WHY:-key name not in the image}"
fi
if build key --ishare_key=trusted.fp && grep -q fp "$IMG"; then
	with_mount ishare-key 'getfattr --only-values -n trusted.fp file | head -c 7 | grep -q sha256:'
else
	fail ishare-key "${T_WHY:-key name not in the image}"
fi

# the image inside its own source (a rebuild) is left out, not read
SAVED_IMG=$IMG
IMG=$S/self.img
rm -f "$IMG"
if "$MKFS" --quiet "$IMG" "$S" 2>"$ERR" && "$MKFS" --quiet "$IMG" "$S" 2>>"$ERR"; then
	with_mount image-inside-source '[ ! -e self.img ]'
else
	fail image-inside-source "$(head -n 1 "$ERR")"
fi
rm -f "$IMG"
IMG=$SAVED_IMG

# ---- output channels ----------------------------------------------------------
rm -f "$IMG"
"$MKFS" --quiet "$IMG" "$S" >"$T_TMP/out" 2>"$ERR"
if [ ! -s "$T_TMP/out" ] && [ ! -s "$ERR" ]; then
	pass quiet
else
	fail quiet "output with --quiet: $(head -c 80 "$T_TMP/out" "$ERR")"
fi
rm -f "$IMG"
"$MKFS" "$IMG" "$S" >"$T_TMP/out" 2>"$ERR"
if grep -q '^Filesystem UUID: ' "$T_TMP/out" && ! grep -q "$(printf '\r')" "$ERR"; then
	pass summary-no-progress-off-tty
else
	fail summary-no-progress-off-tty "stdout $(head -n 1 "$T_TMP/out"), stderr $(head -c 60 "$ERR")"
fi
if command -v script >/dev/null 2>&1; then
	rm -f "$IMG"
	script -qec "'$MKFS' '$IMG' '$S' >/dev/null" "$T_TMP/tty" >/dev/null 2>&1
	if grep -q 'inodes' "$T_TMP/tty" && grep -q "$(printf '\033')\[K" "$T_TMP/tty"; then
		pass progress-on-tty
	else
		fail progress-on-tty "no progress line on a terminal: $(head -c 80 "$T_TMP/tty")"
	fi
	rm -f "$IMG"
	script -qec "'$MKFS' --quiet '$IMG' '$S'" "$T_TMP/tty" >/dev/null 2>&1
	if ! grep -q 'inodes' "$T_TMP/tty"; then
		pass no-progress-when-quiet
	else
		fail no-progress-when-quiet "progress printed with --quiet"
	fi
else
	skip progress-on-tty "script(1) not installed"
fi
if "$MKFS" -d 7 --exclude-path=skip "$IMG" "$S" 2>&1 >/dev/null |
   grep -q '^<D> mkfs.erofs: .*/skip: excluded'; then
	pass log-prefix
else
	fail log-prefix "no '<D> mkfs.erofs: ...' line at -d 7"
fi
expect_fail error-prefix "^<E> mkfs.erofs: cannot open source directory" "$IMG" "$T_TMP/nope"

finish
