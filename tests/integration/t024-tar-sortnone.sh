#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t024-tar-sortnone.sh - mkfs.erofs --tar=f --sort=none: file data goes
# into the image in archive order as the tar is read, with no spool file.
# Varied trees (hard links, symlinks, devices, xattrs, long names, empty
# and sparse files), from a file and from a pipe, at 512- and 4096-byte
# blocks, must mount and match the source; our fsck is clean; two builds
# are byte-identical, also exactly as containerd's differ calls mkfs;
# fingerprints, shared xattrs and long prefixes are right; --all-root,
# -T and --exclude-path apply; tar semantics (a later entry wins, hard links,
# --aufs whiteouts); --sort=bogus is refused, --sort=none with -z or --dsunit
# builds what --sort=path does (as erofs-utils); a bad
# archive leaves no image; no temporary file is ever opened.
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP_BUILDDIR TOP_SRCDIR
. "$TOP_SRCDIR/tests/integration/lib.sh"

need_loop
need_tools
need_mkfs
command -v tar >/dev/null 2>&1 || skip_all "GNU tar not installed"
mkfs_has_option -- '--sort' || skip_all "this mkfs has no --sort"
unset SOURCE_DATE_EPOCH

: "${SEEDS:=24 25}"
FILES=150
[ "${HARNESS_QUICK:-0}" = 1 ] && FILES=50
IMG=$T_TMP/img
MNT=$T_TMP/mnt
ERR=$T_TMP/err
FP_KEY=trusted.erofs.fingerprint
UUID=0b9a4c1e-2f3d-4e5f-8a7b-6c5d4e3f2a1b
# containerd's differ: mkfs.erofs --tar=f --aufs --quiet -Enoinline_data
# [mkfs_options...] -U <uuid> LAYER.erofs, the tar on standard input, with
# the recommended mkfs_options
CTRD="--tar=f --aufs --quiet -Enoinline_data -T0 --mkfs-time --sort=none -U $UUID"

# sn_build MKFS-ARGS...: mkfs into $IMG (stdin passes through); T_WHY
sn_build() {
	rm -f "$IMG"
	if ! "$MKFS" --quiet "$@" >"$T_TMP/out" 2>"$ERR"; then
		T_WHY="mkfs failed: $(grep -v '^$' "$ERR" | tail -n 1)"
		return 1
	fi
}

# sn_check NAME SRC DIGEST-OPTS: mount $IMG, compare with SRC, our fsck
sn_check() {
	if ! mount_image "$IMG" "$MNT"; then
		fail "$1" "$T_WHY"
		return
	fi
	# shellcheck disable=SC2086
	if ! compare_trees "$2" "$MNT" $3; then
		fail "$1" "$T_WHY"
	elif ! our_fsck "$IMG"; then
		fail "$1" "$T_WHY"
	else
		pass "$1"
	fi
	umount_image "$MNT"
}

# sn_case NAME SRC DIGEST-OPTS MKFS-ARGS...
sn_case() {
	_sn_name=$1 _sn_src=$2 _sn_dopts=$3
	shift 3
	if sn_build "$@"; then
		sn_check "$_sn_name" "$_sn_src" "$_sn_dopts"
	else
		fail "$_sn_name" "$T_WHY"
	fi
}

# expect_fail NAME PATTERN MKFS-ARGS... (stdin passes through)
expect_fail() {
	_ef_name=$1 _ef_pat=$2
	shift 2
	rm -f "$IMG"
	"$MKFS" "$@" >"$T_TMP/out" 2>"$ERR"
	_ef_rc=$?
	if [ $_ef_rc -ne 1 ]; then
		fail "$_ef_name" "exit $_ef_rc, want 1 ($(head -n 1 "$ERR"))"
	elif ! grep -q -e "$_ef_pat" "$ERR"; then
		fail "$_ef_name" "stderr lacks '$_ef_pat': $(head -n 1 "$ERR")"
	elif [ -e "$IMG" ]; then
		fail "$_ef_name" "image left behind after the failure"
	else
		pass "$_ef_name"
	fi
}

PAX="--format=pax --xattrs --xattrs-include=* --acls --numeric-owner"

for seed in $SEEDS; do
	S=$T_TMP/src$seed
	gentree_run "$S" --seed "$seed" --files "$FILES" >/dev/null ||
		{ fail "gentree seed $seed" "$T_WHY"; continue; }
	find "$S" -type s -exec rm -f {} +	# tar cannot archive sockets
	# an empty file and a sparse one (holes, data in the middle, a hole
	# at the end), archived as GNU sparse entries
	: >"$S/empty-file"
	truncate -s 3M "$S/sparse"
	printf 'middle' | dd of="$S/sparse" bs=1 seek=1500000 conv=notrunc 2>/dev/null
	touch -d @1600000000.5 "$S/sparse" "$S/empty-file" "$S"
	T=$T_TMP/t$seed
	# shellcheck disable=SC2086
	tar $PAX --sparse -C "$S" -cf "$T.pax" . 2>"$ERR" ||
		{ fail "tar pax seed $seed" "$(head -n 1 "$ERR")"; continue; }

	for b in 4096 512; do
		sn_case "sort=none file -b$b seed $seed" "$S" "" \
			--tar=f --sort=none -b $b "$IMG" "$T.pax"
	done
	# a pipe (not seekable), exactly as containerd calls it
	# shellcheck disable=SC2086
	if cat "$T.pax" | "$MKFS" $CTRD "$IMG.ctrd" 2>"$ERR"; then
		cp "$IMG.ctrd" "$IMG"
		sn_check "containerd options, pipe seed $seed" "$S" ""
		# shellcheck disable=SC2086
		if sn_build $CTRD "$IMG" <"$T.pax" && cmp -s "$IMG" "$IMG.ctrd"; then
			pass "two builds byte-identical seed $seed"
		else
			fail "two builds byte-identical seed $seed" "${T_WHY:-images differ}"
		fi
	else
		fail "containerd options, pipe seed $seed" "mkfs failed: $(head -n 1 "$ERR")"
	fi
	rm -f "$IMG.ctrd"
	# without -Enoinline_data: tails still go into blocks
	sn_case "sort=none inline allowed seed $seed" "$S" "" \
		--tar=f --sort=none "$IMG" "$T.pax"
	IMG_DIGEST_OPTS="--check-fingerprint $FP_KEY"
	sn_case "sort=none fingerprints seed $seed" "$S" "" \
		--tar=f --sort=none --ishare_key=$FP_KEY "$IMG" <"$T.pax"
	IMG_DIGEST_OPTS=
done

# shared xattrs (ids count from meta_blkaddr) and a long prefix table
X=$T_TMP/xa
mkdir -p "$X"
for i in 1 2 3 4 5; do
	echo "$i" >"$X/f$i"
	setfattr -n user.shared -v samevalue "$X/f$i" &&
		setfattr -n trusted.overlay.x -v "v$i" "$X/f$i"
done
touch -d @1600000000 "$X"/* "$X"
# shellcheck disable=SC2086
tar $PAX -C "$X" -cf "$T_TMP/xa.tar" .
sn_case "shared xattrs and long prefixes" "$X" "--ignore root" --tar=f \
	--sort=none -x 2 --xattr-prefix=trusted.overlay. "$IMG" "$T_TMP/xa.tar"

# ownership, time and exclusion options apply as with --sort=path
ex=$(cd "$S" && find . -mindepth 1 -maxdepth 1 -type d | sort | head -n 1)
ex=${ex#./}
if sn_build --tar=f --sort=none --all-root -T 1000000 --exclude-path="$ex" \
   "$IMG" "$T.pax" && mount_image "$IMG" "$MNT"; then
	odd=$(find "$MNT" \( ! -uid 0 -o ! -gid 0 \) | head -n 1)
	if [ -n "$odd" ]; then
		fail "all-root -T exclude-path" "not root-owned: $odd"
	elif [ -n "$ex" ] && [ -e "$MNT/$ex" ]; then
		fail "all-root -T exclude-path" "$ex is still there"
	elif ! our_fsck "$IMG"; then
		fail "all-root -T exclude-path" "$T_WHY"
	else
		pass "all-root -T exclude-path"
	fi
	umount_image "$MNT"
else
	fail "all-root -T exclude-path" "$T_WHY"
fi

# ---- tar semantics ----------------------------------------------------------
W=$T_TMP/sem
mkdir -p "$W/s/dir/sub"
echo one >"$W/s/x"
echo kept >"$W/s/dir/sub/f"
head -c 100000 /dev/urandom >"$W/s/big"
tar --numeric-owner -C "$W/s" -cf "$W/dup.tar" x big dir
echo two-and-longer >"$W/s/x"
head -c 5000 /dev/urandom >"$W/s/big"
chmod 0700 "$W/s/dir"
tar --numeric-owner --no-recursion -C "$W/s" -rf "$W/dup.tar" x big dir
sn_case "later entry wins (dead data left behind)" "$W/s" \
	"--ignore root,mtime-nsec" --tar=f --sort=none "$IMG" "$W/dup.tar"

mkdir -p "$W/hl"
echo first >"$W/hl/a"
ln "$W/hl/a" "$W/hl/b"
tar --numeric-owner -C "$W/hl" -cf "$W/hl.tar" a b
echo second >"$W/hl/a.new" && mv "$W/hl/a.new" "$W/hl/a"
tar --numeric-owner -C "$W/hl" -rf "$W/hl.tar" a
if sn_build --tar=f --sort=none "$IMG" "$W/hl.tar" && mount_image "$IMG" "$MNT"; then
	if [ "$(cat "$MNT/a")" = second ] && [ "$(cat "$MNT/b")" = first ] &&
	   [ "$(stat -c %h "$MNT/a" "$MNT/b" | tr '\n' ' ')" = "1 1 " ]; then
		pass "hard link then replaced name"
	else
		fail "hard link then replaced name" "a=$(cat "$MNT/a") b=$(cat "$MNT/b")"
	fi
	umount_image "$MNT"
else
	fail "hard link then replaced name" "$T_WHY"
fi

mkdir -p "$W/aufs/d"
: >"$W/aufs/.wh.gone"
: >"$W/aufs/d/.wh..wh..opq"
echo keep >"$W/aufs/d/keep"
tar --numeric-owner -C "$W/aufs" -cf "$W/aufs.tar" .
# shellcheck disable=SC2086
if sn_build $CTRD "$IMG" <"$W/aufs.tar" && mount_image "$IMG" "$MNT"; then
	wh=$(stat -c '%F %t:%T' "$MNT/gone" 2>/dev/null)
	opq=$(getfattr --absolute-names --only-values -n trusted.overlay.opaque "$MNT/d" 2>/dev/null)
	if [ "$wh" != "character special file 0:0" ]; then
		fail "--aufs whiteouts" "gone is '$wh', want a 0:0 char device"
	elif [ "$opq" != y ] || [ "$(cat "$MNT/d/keep")" != keep ]; then
		fail "--aufs whiteouts" "d not opaque or d/keep wrong"
	else
		pass "--aufs whiteouts and opaque directory"
	fi
	umount_image "$MNT"
else
	fail "--aufs whiteouts" "$T_WHY"
fi

# ---- no temporary file --------------------------------------------------------
# openat() of anything under TMPDIR (or an O_TMPFILE) would be a spool;
# --sort=path must show one, or the check proves nothing
if command -v strace >/dev/null 2>&1; then
	mkdir -p "$T_TMP/tmpdir"
	for mode in path none; do
		rm -f "$IMG"
		# LeakSanitizer cannot run under ptrace (the ASan build of
		# the suite); leaks are checked by every other test there
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		TMPDIR=$T_TMP/tmpdir strace -f -qq -e trace=openat,open,creat \
			-o "$T_TMP/strace.$mode" "$MKFS" --quiet --tar=f \
			--sort=$mode "$IMG" <"$W/dup.tar" 2>"$ERR" ||
			fail "strace sort=$mode" "mkfs failed: $(head -n 1 "$ERR")"
	done
	if ! grep -q "$T_TMP/tmpdir" "$T_TMP/strace.path"; then
		fail "no temporary file with --sort=none" "the check sees no spool with --sort=path either"
	elif grep -e "$T_TMP/tmpdir" -e O_TMPFILE "$T_TMP/strace.none" >"$T_TMP/opened"; then
		fail "no temporary file with --sort=none" "$(head -n 1 "$T_TMP/opened")"
	elif [ -n "$(ls -A "$T_TMP/tmpdir")" ]; then
		fail "no temporary file with --sort=none" "left in TMPDIR: $(ls -A "$T_TMP/tmpdir" | head -n 1)"
	else
		pass "no temporary file with --sort=none"
	fi
else
	skip "no temporary file with --sort=none" "strace not installed"
fi

# ---- refused and broken input -------------------------------------------------
B=$T_TMP/bad
mkdir -p "$B/in"
head -c 300000 /dev/zero | tr '\0' 'a' >"$B/in/big"
tar --numeric-owner -C "$B/in" -cf "$B/good.tar" .
head -c 200000 "$B/good.tar" >"$B/trunc.tar"
expect_fail "--sort=bogus refused" "invalid --sort 'bogus'" --tar=f --sort=bogus "$IMG" "$B/good.tar"
# as erofs-utils, with -z (or --dsunit) none falls back to path order
for o in -zlz4 --dsunit=4; do
	# shellcheck disable=SC2086
	if sn_build -T0 --tar=f $o "$IMG" "$B/good.tar" && mv "$IMG" "$IMG.path" &&
	   sn_build -T0 --tar=f --sort=none $o "$IMG" "$B/good.tar" &&
	   cmp -s "$IMG" "$IMG.path" && "$FSCK" "$IMG" >/dev/null 2>&1; then
		pass "--sort=none $o is the path build"
	else
		fail "--sort=none $o is the path build" "${T_WHY:-images differ or fsck failed}"
	fi
done
rm -f "$IMG.path"
expect_fail "truncated tar, sort=none" "big" --tar=f --sort=none "$IMG" <"$B/trunc.tar"
# an existing image is overwritten, then removed: nothing valid-looking stays
sn_build --tar=f "$IMG" "$B/good.tar" && cp "$IMG" "$IMG.old"
cp "$IMG.old" "$IMG.keep"
if "$MKFS" --quiet --tar=f --sort=none "$IMG.keep" "$B/trunc.tar" 2>"$ERR"; then
	fail "failed build over an image" "mkfs accepted a truncated tar"
elif [ -e "$IMG.keep" ]; then
	fail "failed build over an image" "the old image file is still there"
else
	pass "failed build over an image removes it"
fi
rm -f "$IMG.old" "$IMG.keep"
# without --tar, --sort changes nothing (as erofs-utils)
if sn_build --sort=none -T0 "$IMG" "$B/in" && mv "$IMG" "$IMG.none" &&
   sn_build -T0 "$IMG" "$B/in" && cmp -s "$IMG" "$IMG.none"; then
	pass "--sort=none without --tar: same image"
else
	fail "--sort=none without --tar: same image" "${T_WHY:-images differ}"
fi
rm -f "$IMG.none"
finish
