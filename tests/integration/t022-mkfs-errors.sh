#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t022-mkfs-errors.sh - mkfs.erofs failures that come from the system or
# the data rather than from the command line: a full output (file system,
# /dev/full, a block device too small), a name longer than 255 bytes (a
# tar archive can carry one even though ext4 cannot), a source file whose
# size changes while it is read, and a source file whose read fails.  Each
# must exit 1 with a message naming the image or the entry and the cause,
# and leave no image behind (a block device keeps no valid superblock).
# Option errors are t020's.
. "$(dirname "$0")/lib.sh"

need_loop
need_mkfs
command -v python3 >/dev/null 2>&1 || skip_all "python3 not installed (makes the tar archives)"

S=$T_TMP/src
ERR=$T_TMP/err
FULL=$T_TMP/full
MNT=$T_TMP/mnt

# a tree of about 800 KiB that does not compress (random bytes)
mkdir -p "$S/d"
i=0
while [ $i -lt 8 ]; do
	head -c 100000 /dev/urandom >"$S/d/f$i"
	i=$((i + 1))
done
echo small >"$S/small"
mkdir -p "$T_TMP/one"
echo small >"$T_TMP/one/small"

# judge NAME IMG RC PATTERN...: the failed mkfs (exit RC, messages in
# $ERR) must have exited 1, said every PATTERN (grep -E) and left no IMG
judge() {
	_name=$1 _img=$2 _rc=$3
	shift 3
	if [ "$_rc" -ne 1 ]; then
		fail "$_name" "exit $_rc, want 1 ($(head -n 1 "$ERR"))"
		return
	fi
	if [ -e "$_img" ]; then
		fail "$_name" "image $_img left behind after: $(head -n 1 "$ERR")"
		return
	fi
	for _p in "$@"; do
		if ! grep -qE -- "$_p" "$ERR"; then
			fail "$_name" "messages lack '$_p': $(head -n 1 "$ERR")"
			return
		fi
	done
	pass "$_name"
}

# expect_err NAME IMG PATTERN... -- MKFS-ARGS...: run mkfs, then judge
expect_err() {
	_en=$1 _ei=$2
	shift 2
	_ep=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_ep="$_ep$1
"
		shift
	done
	shift
	"$MKFS" "$@" >"$T_TMP/out" 2>"$ERR"
	_erc=$?
	# the patterns hold no newline: split $_ep on it alone
	_oldifs=$IFS
	IFS='
'
	# shellcheck disable=SC2086
	set -- $_ep
	IFS=$_oldifs
	judge "$_en" "$_ei" "$_erc" "$@"
}

# ---- a full output ---------------------------------------------------------
mkdir -p "$FULL"
if mount -t tmpfs -o size=256k tmpfs "$FULL" 2>"$ERR"; then
	echo "$FULL" >>"$T_TMP/.mounts"
	tar -C "$S" -cf "$T_TMP/src.tar" .
	expect_err enospc-tmpfs "$FULL/o.img" \
		"$FULL/o.img" "No space left on device" -- "$FULL/o.img" "$S"
	expect_err enospc-tmpfs-lz4hc "$FULL/o.img" \
		"$FULL/o.img" "No space left on device" -- -zlz4hc "$FULL/o.img" "$S"
	expect_err enospc-tmpfs-fingerprints "$FULL/o.img" \
		"$FULL/o.img" "No space left on device" -- --ishare_key=trusted.fp "$FULL/o.img" "$S"
	expect_err enospc-tmpfs-tar "$FULL/o.img" \
		"$FULL/o.img" "No space left on device" -- --tar=f "$FULL/o.img" "$T_TMP/src.tar"
	expect_err enospc-tmpfs-tar-stdin "$FULL/o.img" \
		"$FULL/o.img" "No space left on device" -- --tar=f "$FULL/o.img" <"$T_TMP/src.tar"
	# the failures left the file system empty, so a small tree still fits
	if "$MKFS" --quiet "$FULL/o.img" "$T_TMP/one" 2>"$ERR"; then
		pass enospc-tmpfs-space-released
	else
		fail enospc-tmpfs-space-released "a small build failed afterwards: $(head -n 1 "$ERR")"
	fi
	umount_image "$FULL"
else
	skip enospc-tmpfs "cannot mount a tmpfs: $(head -n 1 "$ERR")"
fi

# /dev/full: every write fails; the device must of course stay
if [ -c /dev/full ]; then
	"$MKFS" /dev/full "$S" >/dev/null 2>"$ERR"
	rc=$?
	if [ $rc -eq 1 ] && grep -q '/dev/full.*No space left on device' "$ERR" &&
	   [ -c /dev/full ]; then
		pass enospc-dev-full
	else
		fail enospc-dev-full "exit $rc: $(head -n 1 "$ERR")"
	fi
else
	skip enospc-dev-full "no /dev/full"
fi

# a 256 KiB block device that held a valid image: the failed build must
# not leave that (or a new half-written) superblock looking valid
truncate -s 256k "$T_TMP/blk.raw"
if "$MKFS" --quiet "$T_TMP/old.img" "$T_TMP/one" 2>"$ERR" &&
   dd if="$T_TMP/old.img" of="$T_TMP/blk.raw" conv=notrunc status=none &&
   LOOP=$(losetup -f --show "$T_TMP/blk.raw" 2>"$ERR"); then
	"$MKFS" "$LOOP" "$S" >/dev/null 2>"$ERR"
	rc=$?
	losetup -d "$LOOP"
	magic=$(od -An -tx1 -j 1024 -N 4 "$T_TMP/blk.raw" | tr -d ' ')
	if [ $rc -ne 1 ]; then
		fail enospc-blockdev "exit $rc, want 1 ($(head -n 1 "$ERR"))"
	elif ! grep -q "$LOOP.*No space left on device" "$ERR"; then
		fail enospc-blockdev "message lacks the device and ENOSPC: $(head -n 1 "$ERR")"
	elif [ "$magic" = e2e1f5e0 ]; then
		fail enospc-blockdev "the device still has an EROFS superblock"
	else
		pass enospc-blockdev
	fi
else
	skip enospc-blockdev "cannot set up a loop device: $(head -n 1 "$ERR")"
fi

# a block device holding a mounted image: mkfs must refuse it (exclusive
# open, as mke2fs does), or the mounted file system starts failing reads
# (EUCLEAN) under the new bytes; the image stays mounted and readable
truncate -s 1M "$T_TMP/busy.raw"
if ! "$MKFS" --quiet "$T_TMP/busy.img" "$T_TMP/one" 2>"$ERR" ||
   ! dd if="$T_TMP/busy.img" of="$T_TMP/busy.raw" conv=notrunc status=none ||
   ! LOOP=$(losetup -f --show "$T_TMP/busy.raw" 2>"$ERR"); then
	skip mounted-blockdev "cannot set up a loop device: $(head -n 1 "$ERR")"
elif ! mkdir -p "$T_TMP/busy.mnt" ||
     ! mount -t erofs -o ro "$LOOP" "$T_TMP/busy.mnt" 2>"$ERR"; then
	losetup -d "$LOOP"
	skip mounted-blockdev "cannot mount our image: $(head -n 1 "$ERR")"
else
	echo "$T_TMP/busy.mnt" >>"$T_TMP/.mounts"
	before=$(sha256sum <"$T_TMP/busy.raw")
	"$MKFS" "$LOOP" "$S" >/dev/null 2>"$ERR"
	rc=$?
	after=$(sha256sum <"$T_TMP/busy.raw")
	if [ $rc -ne 1 ]; then
		fail mounted-blockdev "exit $rc, want 1 ($(head -n 1 "$ERR"))"
	elif ! grep -q "$LOOP.*busy" "$ERR"; then
		fail mounted-blockdev "message lacks the device and 'busy': $(head -n 1 "$ERR")"
	elif [ "$before" != "$after" ]; then
		fail mounted-blockdev "the mounted device was written"
	elif ! find "$T_TMP/busy.mnt" -type f -exec cat {} + >/dev/null 2>"$ERR"; then
		fail mounted-blockdev "the mounted image no longer reads: $(head -n 1 "$ERR")"
	else
		pass mounted-blockdev
	fi
	umount_image "$T_TMP/busy.mnt"
	losetup -d "$LOOP"
fi

# ---- a name longer than 255 bytes (only a tar archive can carry one) --------
# mklongtar FILE FORMAT NAMELEN: dir/, dir/ok and dir/<NAMELEN x "n">
mklongtar() {
	python3 - "$@" <<'EOF'
import io, sys, tarfile
out, fmt, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
fmt = {"pax": tarfile.PAX_FORMAT, "gnu": tarfile.GNU_FORMAT}[fmt]
with tarfile.open(out, "w", format=fmt) as t:
    d = tarfile.TarInfo("dir")
    d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, 1000000000
    t.addfile(d)
    for name in ("ok", "n" * n):
        data = name[:8].encode() + b"\n"
        f = tarfile.TarInfo("dir/" + name)
        f.size, f.mode, f.mtime = len(data), 0o644, 1000000000
        t.addfile(f, io.BytesIO(data))
EOF
}
LONG256=$(printf '%256s' '' | tr ' ' n)
for fmt in pax gnu; do
	if ! mklongtar "$T_TMP/long-$fmt.tar" $fmt 256 2>"$ERR"; then
		fail "name-over-255-$fmt" "python3 could not write the archive: $(tail -n 1 "$ERR")"
		continue
	fi
	expect_err "name-over-255-$fmt" "$T_TMP/o.img" \
		"dir/$LONG256" "longer than 255 bytes" -- \
		--tar=f "$T_TMP/o.img" "$T_TMP/long-$fmt.tar"
done
# 255 bytes is the limit, not beyond it
if mklongtar "$T_TMP/long255.tar" pax 255 2>"$ERR" &&
   "$MKFS" --quiet --tar=f "$T_TMP/o.img" "$T_TMP/long255.tar" 2>"$ERR"; then
	if mount_image "$T_TMP/o.img" "$MNT"; then
		if [ "$(cat "$MNT/dir/$(printf '%255s' '' | tr ' ' n)")" = nnnnnnnn ]; then
			pass name-255-accepted
		else
			fail name-255-accepted "the 255-byte name does not read back"
		fi
		umount_image "$MNT"
	else
		fail name-255-accepted "$T_WHY"
	fi
else
	fail name-255-accepted "$(head -n 1 "$ERR")"
fi
rm -f "$T_TMP/o.img"

# ---- a source file whose size changes while mkfs reads it -------------------
# shrinks: a sysfs attribute claims 4096 bytes but reads as a few; bind one
# into the tree (-b 1024 -z sends its 4 blocks through the compressor)
ATTR=
for a in /sys/kernel/mm/transparent_hugepage/enabled /sys/kernel/uevent_seqnum \
	 /sys/kernel/profiling /sys/power/state; do
	if [ -f "$a" ] && [ "$(stat -c %s "$a")" = 4096 ] &&
	   [ "$(wc -c <"$a" 2>/dev/null || echo 4096)" -lt 4096 ]; then
		ATTR=$a
		break
	fi
done
R=$T_TMP/shrink
mkdir -p "$R"
echo ok >"$R/a"
: >"$R/attr"
if [ -n "$ATTR" ] && mount --bind "$ATTR" "$R/attr" 2>/dev/null; then
	echo "$R/attr" >>"$T_TMP/.mounts"
	expect_err file-shrank "$T_TMP/o.img" "/attr" "shrank" -- \
		"$T_TMP/o.img" "$R"
	expect_err file-shrank-lz4 "$T_TMP/o.img" "/attr" "shrank" -- \
		-b 1024 -zlz4 "$T_TMP/o.img" "$R"
	expect_err file-shrank-fingerprints "$T_TMP/o.img" "/attr" "shrank" -- \
		--ishare_key=trusted.fp "$T_TMP/o.img" "$R"
	umount_image "$R/attr"
else
	skip file-shrank "no 4096-byte sysfs text attribute to bind (also unit/test_mkfs test_size_changed)"
fi

# grows: a shell loop appends one byte at a time for as long as mkfs runs,
# so the file is normally longer than the size the import saw by the time
# the writer reaches its end.  On a loaded machine the loop can be starved
# for the whole read, and then a build rightly succeeds: try up to five
# times, and judge the first build that failed (or the last one)
G=$T_TMP/grow
mkdir -p "$G"
head -c 16M /dev/urandom >"$G/growing"
echo ok >"$G/a"
: >"$T_TMP/grow.run"
(while [ -e "$T_TMP/grow.run" ]; do printf x >>"$G/growing"; done) 2>/dev/null &
appender=$!
sleep 0.2
for z in "" -zlz4; do
	n=0
	while [ $n -lt 5 ]; do
		n=$((n + 1))
		rm -f "$T_TMP/o.img"
		"$MKFS" --quiet $z "$T_TMP/o.img" "$G" 2>"$ERR"
		rc=$?
		[ $rc -ne 0 ] && break
	done
	judge "file-grew${z:+-lz4}" "$T_TMP/o.img" "$rc" "/growing" "grew"
done
rm -f "$T_TMP/grow.run"
wait $appender

# ---- a source file whose read fails -------------------------------------------
# a write-only sysfs attribute (open for reading gives EACCES even to root);
# t020 covers the plain build, this one the compressor and fingerprint paths
WO=$(find /sys/bus /sys/class -maxdepth 3 -type f -perm 0200 2>/dev/null | head -n 1)
U=$T_TMP/unread
mkdir -p "$U"
echo ok >"$U/a"
: >"$U/wo"
if [ -n "$WO" ] && mount --bind "$WO" "$U/wo" 2>/dev/null; then
	echo "$U/wo" >>"$T_TMP/.mounts"
	expect_err unreadable-file-lz4 "$T_TMP/o.img" "$U/wo" "Permission denied" -- \
		-b 1024 -zlz4 "$T_TMP/o.img" "$U"
	expect_err unreadable-file-fingerprints "$T_TMP/o.img" "$U/wo" "Permission denied" -- \
		--ishare_key=trusted.fp "$T_TMP/o.img" "$U"
	umount_image "$U/wo"
else
	skip unreadable-file-lz4 "no write-only sysfs attribute to bind"
fi

finish
