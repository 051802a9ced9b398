# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# lib.sh - shared helpers for the integration scripts (tests/integration/
# tNNN-*.sh).  Source it first:  . "$(dirname "$0")/lib.sh"
#
# Functions: pass fail skip skip_all finish; need_root need_loop need_tools
# need_mkfs have_fsck mkfs_has_option; tar_tree apply_blocklist;
# mount_image umount_image (every
# mount is undone by the exit trap, whatever happens); mkfs_image digest
# compare_trees our_fsck deb_fsck gentree_run; roundtrip ishare_roundtrip
# (a whole mkfs/mount/compare/fsck/extract cycle).  Helpers that fail set
# T_WHY to a one-line reason.  Variables inside these functions start with
# "_xx_" so that they never clobber a calling script's own (sh has no
# local variables).  $T_TMP is the script's temporary directory.
#
# Every case reports exactly one line: "PASS: name", "FAIL: name: why" or
# "SKIP: name: why" (run-suite.sh counts them).  A script that cannot run at
# all calls skip_all, which prints one SKIP line and exits 77.  Cases that
# use random trees put the seed in the case name, so every FAIL line says
# how to reproduce it (gentree --seed N --files M DIR).
#
# Tools (override through the environment):
#   MKFS FSCK DUMP     ours, default $TOP_BUILDDIR/{mkfs,fsck,dump}/*.erofs
#   DEB_MKFS DEB_FSCK  Debian's erofs-utils, a second writer/reader
#   GENTREE TREEDIGEST tests/tools helpers in $TOP_BUILDDIR
# Knobs:
#   BLOCK_SIZES  block sizes to test (default "512 1024 2048 4096")
#   SEEDS        random-tree seeds (default set per script)
#   HARNESS_QUICK=1  smaller trees (sanitizer runs)
#   KEEP_TMP=1   keep the temporary directory (it is printed)
#
# Stand-in mode: with MKFS=/usr/bin/mkfs.erofs (Debian's 1.5, used while our
# mkfs was being written) the scripts adapt to what 1.5 can do: 4096-byte
# blocks only, no -b option, no 255-byte names (1.5 truncates them), no
# reproducibility options beyond -T/-U.  STANDIN=1 marks that mode; these
# relaxations never apply to our mkfs.  (STANDIN=1 forces the mode for a
# wrapper script around 1.5.)

set -u

T_NAME=$(basename "$0" .sh)
T_SRCDIR=$(cd "$(dirname "$0")" && pwd)
: "${TOP_SRCDIR:=$(cd "$T_SRCDIR/../.." && pwd)}"
if [ -z "${TOP_BUILDDIR:-}" ]; then
	# run by hand: prefer the build directory scripts/setup.sh makes
	if [ -x "$TOP_SRCDIR/build/tests/tools/gentree" ]; then
		TOP_BUILDDIR=$TOP_SRCDIR/build
	else
		TOP_BUILDDIR=$TOP_SRCDIR
	fi
fi
export TOP_SRCDIR TOP_BUILDDIR

: "${MKFS:=$TOP_BUILDDIR/mkfs/mkfs.erofs}"
: "${FSCK:=$TOP_BUILDDIR/fsck/fsck.erofs}"
: "${DUMP:=$TOP_BUILDDIR/dump/dump.erofs}"
: "${DEB_MKFS:=/usr/bin/mkfs.erofs}"
: "${DEB_FSCK:=/usr/bin/fsck.erofs}"
: "${GENTREE:=$TOP_BUILDDIR/tests/tools/gentree}"
: "${TREEDIGEST:=$TOP_BUILDDIR/tests/tools/treedigest}"
: "${BLOCK_SIZES:=512 1024 2048 4096}"
: "${HARNESS_QUICK:=0}"
: "${KEEP_TMP:=0}"
# a build time from the caller would change every mtime in the images
unset SOURCE_DATE_EPOCH

if [ -z "${STANDIN:-}" ]; then
	STANDIN=0
	[ "$MKFS" = "$DEB_MKFS" ] && STANDIN=1
fi
[ "$STANDIN" = 1 ] && BLOCK_SIZES=4096
# extra gentree options (stand-in: 1.5 cannot store 255-byte names)
GENTREE_OPTS=
[ "$STANDIN" = 1 ] && GENTREE_OPTS="--name-max 254"

T_FAILED=0
T_PASSED=0

pass() { echo "PASS: $1"; T_PASSED=$((T_PASSED + 1)); }
# (cat -v: messages may quote raw file names; keep the log plain ASCII)
fail() { echo "FAIL: $1: $2" | cat -v; T_FAILED=1; }
skip() { echo "SKIP: $1: $2"; }

# the whole script cannot run: one SKIP line, exit 77
skip_all() {
	echo "SKIP: $T_NAME: $1"
	exit 77
}

# end of a script: non-zero if any case failed
finish() {
	exit "$T_FAILED"
}

# ---- environment checks --------------------------------------------------

need_root() {
	[ "$(id -u)" = 0 ] || skip_all "needs root (mknod, chown, trusted.* xattrs, mount)"
}

need_loop() {
	need_root
	grep -qw erofs /proc/filesystems 2>/dev/null ||
		modprobe erofs 2>/dev/null
	grep -qw erofs /proc/filesystems 2>/dev/null ||
		skip_all "kernel has no erofs (not in /proc/filesystems)"
	[ -e /dev/loop-control ] || modprobe loop 2>/dev/null
	[ -e /dev/loop-control ] || skip_all "no loop device support (/dev/loop-control missing)"
	losetup -f >/dev/null 2>&1 || skip_all "no free loop device (losetup -f failed)"
}

need_tools() {
	for t in "$GENTREE" "$TREEDIGEST"; do
		[ -x "$t" ] || skip_all "$t not built (run make check)"
	done
}

# our mkfs must exist and answer --help; anything else is a failure of
# the product, not a reason to skip
need_mkfs() {
	if [ ! -x "$MKFS" ]; then
		fail "$T_NAME" "$MKFS is missing"
		finish
	fi
	if ! "$MKFS" --help >/dev/null 2>&1; then
		fail "$T_NAME" "$MKFS --help fails: $("$MKFS" --help 2>&1 | head -n 1)"
		finish
	fi
}

# is our fsck usable?  (it is optional for the round trip while unwritten)
have_fsck() {
	[ "$STANDIN" = 0 ] && [ -x "$FSCK" ] && "$FSCK" --help >/dev/null 2>&1
}

# ---- temporary directory, mounts, cleanup ---------------------------------

T_TMP=$(mktemp -d "/tmp/erofs-$T_NAME.XXXXXX") || { echo "FAIL: $T_NAME: mktemp"; exit 1; }
: >"$T_TMP/.mounts"

cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	# always unmount, newest first, even if a case died half-way
	if [ -s "$T_TMP/.mounts" ]; then
		tac "$T_TMP/.mounts" | while IFS= read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
		done
	fi
	# and the loop devices of images with extra devices
	for l in ${LOOPS:-}; do losetup -d "$l" 2>/dev/null; done
	if [ "$KEEP_TMP" = 1 ]; then
		echo "(kept $T_TMP)"
	else
		rm -rf "$T_TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# mount_image IMG DIR: read-only loop mount by the kernel
mount_image() {
	mkdir -p "$2"
	mount -t erofs -o loop,ro "$1" "$2" 2>"$T_TMP/mount.err" || {
		T_WHY="kernel refused to mount: $(head -n 1 "$T_TMP/mount.err"); dmesg: $(dmesg 2>/dev/null | grep -i erofs | tail -n 1)"
		return 1
	}
	echo "$2" >>"$T_TMP/.mounts"
}

umount_image() {
	umount "$1" || umount -l "$1"
	grep -vxF "$1" "$T_TMP/.mounts" >"$T_TMP/.mounts.new"
	mv "$T_TMP/.mounts.new" "$T_TMP/.mounts"
}

# ---- building and checking -------------------------------------------------

# mkfs_image IMG SRC BLKSZ [options...]: our mkfs (or the stand-in) with
# the block size; output in $T_TMP/mkfs.log, first error line in T_WHY
mkfs_image() {
	_mi_img=$1 _mi_src=$2 _mi_bs=$3
	shift 3
	rm -f "$_mi_img"
	if [ "$STANDIN" = 1 ]; then
		set -- --quiet "$@"
	else
		set -- -b "$_mi_bs" "$@"
	fi
	if ! "$MKFS" "$@" "$_mi_img" "$_mi_src" >"$T_TMP/mkfs.log" 2>&1; then
		T_WHY="mkfs failed: $(grep -v '^$' "$T_TMP/mkfs.log" | tail -n 1)"
		return 1
	fi
}

# digest DIR OUT [treedigest options]
digest() {
	_dg_dir=$1 _dg_out=$2
	shift 2
	"$TREEDIGEST" "$@" "$_dg_dir" >"$_dg_out" 2>"$_dg_out.err" || {
		T_WHY="treedigest $_dg_dir: $(head -n 1 "$_dg_out.err")"
		return 1
	}
}

# compare_trees SRC MNT [treedigest options]: identical canonical digests
# (IMG_DIGEST_OPTS: extra treedigest options for the MNT side only);
# on a mismatch T_WHY names the first differing path and the diff's first
# lines are printed (indented, so they are not counted as results)
compare_trees() {
	_ct_src=$1 _ct_mnt=$2
	shift 2
	digest "$_ct_src" "$T_TMP/digest.src" "$@" || return 1
	# shellcheck disable=SC2086
	digest "$_ct_mnt" "$T_TMP/digest.mnt" "$@" ${IMG_DIGEST_OPTS:-} || return 1
	if ! diff -u "$T_TMP/digest.src" "$T_TMP/digest.mnt" >"$T_TMP/digest.diff"; then
		_ct_first=$(grep -m 1 '^[-+][^-+]' "$T_TMP/digest.diff" | cut -c2- | cut -d' ' -f1)
		T_WHY="trees differ ($(grep -c '^-[^-]' "$T_TMP/digest.diff") source lines), first at \"$_ct_first\""
		# the first few source (-) and image (+) lines: for a wholesale
		# change a plain diff head would show only "-" lines
		{ grep '^-[^-]' "$T_TMP/digest.diff" | head -n 8
		  grep '^+[^+]' "$T_TMP/digest.diff" | head -n 8; } |
			cut -c1-300 | sed 's/^/    /'
		return 1
	fi
}

# our_fsck IMG: 0 ok, 1 failed (T_WHY), 2 our fsck not usable yet
our_fsck() {
	have_fsck || return 2
	if ! "$FSCK" "$1" >"$T_TMP/fsck.log" 2>&1; then
		T_WHY="our fsck.erofs rejects it: $(grep -v '^$' "$T_TMP/fsck.log" | tail -n 1)"
		return 1
	fi
}

# deb_fsck IMG BLKSZ: Debian's fsck.erofs (1.5); 0 ok, 1 failed (T_WHY),
# 2 cannot judge (absent, or the image uses something 1.5 cannot read)
deb_fsck() {
	[ -x "$DEB_FSCK" ] || { T_WHY="$DEB_FSCK not installed"; return 2; }
	if [ "${2:-4096}" != 4096 ]; then
		T_WHY="erofs-utils 1.5 reads 4096-byte blocks only"
		return 2
	fi
	if ! "$DEB_FSCK" "$1" >"$T_TMP/debfsck.log" 2>&1; then
		# 1.5 predates zstd/deflate (it calls them "unknown compression
		# format", then "corruption") and several feature bits
		if grep -qiE "unsupported|not supported|isn't supported|unknown feature|unidentified incompatible feature|unknown compression format" "$T_TMP/debfsck.log"; then
			T_WHY="1.5 cannot read it: $(grep -iE "support|unknown|unidentified" "$T_TMP/debfsck.log" | head -n 1)"
			return 2
		fi
		T_WHY="Debian fsck.erofs rejects it: $(grep -v '^$' "$T_TMP/debfsck.log" | tail -n 1)"
		return 1
	fi
}

# gentree_run NAME ARGS...: build a tree; prints gentree's seed line
gentree_run() {
	_gt_dir=$1
	shift
	rm -rf "$_gt_dir"
	# shellcheck disable=SC2086
	if ! "$GENTREE" $GENTREE_OPTS "$@" "$_gt_dir" >"$T_TMP/gentree.log" 2>&1; then
		T_WHY="gentree $*: $(tail -n 1 "$T_TMP/gentree.log")"
		return 1
	fi
	cat "$T_TMP/gentree.log"
}

# roundtrip CASE SRC BLKSZ [mkfs options...]: mkfs, kernel mount + compare,
# our fsck and Debian's fsck; one result line per checker:
#   CASE                 mkfs + mount + full metadata/content comparison
#   CASE fsck            our fsck.erofs accepts the image
#   CASE extract         our fsck --extract=DIR gives the source tree back
#                        (when our fsck offers --extract)
#   CASE deb-fsck        Debian's fsck.erofs accepts the image
# DIGEST_OPTS (treedigest options) applies to the comparisons,
# EXTRACT_DIGEST_OPTS to the extracted tree only.
# gen_text N SEED: N bytes of compressible text (words and newlines from a
# seeded awk generator)
gen_text() {
	LC_ALL=C awk -v n="$1" -v s="$2" 'BEGIN { srand(s); split("erofs kernel block cluster extent compress the of data image", w, " ");
		out = 0; while (out < n) { t = w[int(rand() * 10) + 1] (rand() < 0.1 ? "\n" : " ");
			if (out + length(t) > n) t = substr(t, 1, n - out); printf "%s", t; out += length(t) } }'
}

# gen_noise N SEED: N incompressible bytes (AES-CTR keystream of the seed,
# or awk without openssl)
gen_noise() {
	if command -v openssl >/dev/null 2>&1; then
		head -c "$1" /dev/zero | openssl enc -aes-128-ctr -nosalt \
			-K "$(printf '%032x' "$2")" -iv 0 2>/dev/null
	else
		LC_ALL=C awk -v n="$1" -v s="$2" 'BEGIN { srand(s);
			for (i = 0; i < n; i++) printf "%c", int(rand() * 255) + 1 }'
	fi
}

# sid_setup: make the Debian sid chroot with erofs-utils 1.9
# (scripts/sid-chroot.sh) if it can be; sets have_sid to 1, or to 0 with a
# visible SKIP line naming the reason
sid_setup() {
	CHROOT_SH=$TOP_SRCDIR/scripts/sid-chroot.sh
	have_sid=0
	if [ "$(id -u)" = 0 ] && "$CHROOT_SH" setup >"$T_TMP/chroot.log" 2>&1; then
		have_sid=1
	else
		skip "sid fsck" "sid chroot unavailable: $(tail -n 1 "$T_TMP/chroot.log" 2>/dev/null)"
	fi
}

# sid_extract NAME SRC [IMG [DEVICE...]]: erofs-utils 1.9's fsck.erofs
# --extract of IMG (default $T_TMP/img; its extra devices given with
# --device) holds SRC's content, sizes and symlink targets
sid_extract() {
	_se_name=$1 _se_src=$2 _se_img=${3:-$T_TMP/img}
	[ $# -ge 3 ] && shift 3 || shift $#
	_se_devs=
	for _se_d in "$@"; do _se_devs="$_se_devs --device=$_se_d"; done
	set -- "$_se_name" "$_se_src"
	rm -rf "$T_TMP/sidext"
	# shellcheck disable=SC2086
	if ! "$CHROOT_SH" run --bind "$T_TMP" -- fsck.erofs $_se_devs \
		--extract="$T_TMP/sidext" "$_se_img" >"$T_TMP/sid.log" 2>&1; then
		fail "$1 sid-fsck" "$(grep -v '^$' "$T_TMP/sid.log" | tail -n 1)"
	elif compare_trees "$2" "$T_TMP/sidext" \
		--ignore mtime,mtime-nsec,uid,gid,mode,nlink,dir-nlink,xattrs,hardlinks,root; then
		pass "$1 sid-fsck"
	else
		fail "$1 sid-fsck" "$T_WHY"
	fi
	rm -rf "$T_TMP/sidext"
}

# mkfs_refused NAME PATTERN ARGS...: our mkfs with --quiet ARGS (writing
# $T_TMP/bad.img) exits non-zero, says something matching PATTERN (grep
# -i) and leaves no image behind
mkfs_refused() {
	_mr_name=$1 _mr_pat=$2
	shift 2
	rm -f "$T_TMP/bad.img"
	if "$MKFS" --quiet "$@" >"$T_TMP/refused.out" 2>&1; then
		fail "refused: $_mr_name" "exit 0"
	elif [ -e "$T_TMP/bad.img" ]; then
		fail "refused: $_mr_name" "an image was left behind"
	elif ! grep -qi -- "$_mr_pat" "$T_TMP/refused.out"; then
		fail "refused: $_mr_name" "$(head -n 1 "$T_TMP/refused.out")"
	else
		pass "refused: $_mr_name"
	fi
}

# no_larger NAME OURS THEIRS: our image (bytes) is at most erofs-utils'
no_larger() {
	if [ "$2" -le "$3" ]; then
		pass "$1 no larger than erofs-utils 1.9 ($2 <= $3 bytes)"
	else
		fail "$1 no larger than erofs-utils 1.9" "$2 > $3 bytes"
	fi
}

# ---- trees for tar input ------------------------------------------------
# tar_tree DIR: a small tree for the tar modes: noise and text, a copy, a
# sparse file with a tail, a hard link, symlinks, an empty file and
# directory, a device, a fifo, an xattr, modes, owners and old mtimes
tar_tree() {
	mkdir -p "$1/sub/deeper" "$1/empty"
	gen_noise 300000 1 >"$1/a"
	cp "$1/a" "$1/sub/a-copy"
	gen_text 200000 5 >"$1/text"
	gen_noise 5000 2 >"$1/sub/deeper/small"
	echo hello >"$1/hello"
	: >"$1/zero"
	truncate -s 2M "$1/sparse"
	gen_noise 8192 3 | dd of="$1/sparse" bs=4096 seek=200 conv=notrunc 2>/dev/null
	printf 'tail' >>"$1/sparse"
	ln "$1/text" "$1/sub/text-link"
	ln -s a "$1/link"
	mknod "$1/chr" c 1 3
	mkfifo "$1/fifo"
	setfattr -n user.note -v tar "$1/a"
	chmod 0640 "$1/text"
	chown 1234:5678 "$1/hello"
	touch -d '2020-02-02 02:02:02' "$1/a" "$1/sub"
}

# apply_blocklist IMG ARCHIVE LIST: copy the archive's bytes into IMG
# where the block list of mkfs --tar=X,MAPFILE says (python3)
apply_blocklist() {
	python3 - "$@" <<'EOF'
import sys
img, tar, lst = sys.argv[1:4]
with open(img, 'r+b') as o, open(tar, 'rb') as t, open(lst) as m:
    o.seek(1024 + 12)
    bs = 1 << o.read(1)[0]
    for line in m:
        f = line.split()
        blk, nblk, src = int(f[0], 16), int(f[1], 16), int(f[2], 16)
        zeroed = int(f[3]) if len(f) > 3 else 0
        t.seek(src)
        o.seek(blk * bs)
        o.write(t.read(nblk * bs - zeroed))
EOF
}

# ---- images with extra devices (blobs, tars, layers) -------------------
EROFSFUSE=$TOP_BUILDDIR/fuse/erofsfuse
# loop_of FILE: a loop device of FILE in LOOP_DEV, remembered in LOOPS
# for cleanup_loops (not in a $(...) subshell: LOOPS would forget it, and
# the device would outlive the test, as hundreds once did)
LOOPS=
cleanup_loops() {
	for l in $LOOPS; do losetup -d "$l" 2>/dev/null; done
	LOOPS=
}
loop_of() {
	LOOP_DEV=$(losetup -f --show "$1") || return 1
	LOOPS="$LOOPS $LOOP_DEV"
}

# multidev_check NAME SRC IMG [DEVICE...]: our fsck without the devices
# (exit 8, one U_DEVICE_MISSING line per device; clean when there are
# none) and with them (--extract equals SRC), erofsfuse with them when it
# is built, and the kernel mount with device= loop devices
# (MULTIDEV_DIGEST_OPTS: extra treedigest options for the comparisons;
# MULTIDEV_UNUSED_DEVS=1: a device may hold no file's data)
multidev_check() {
	_name=$1 _src=$2 _img=$3
	shift 3
	"$FSCK" "$_img" >"$T_TMP/fsck.out" 2>&1
	rc=$?
	if [ $# = 0 ]; then
		[ $rc = 0 ] && pass "$_name fsck" ||
			fail "$_name fsck" "exit $rc: $(grep -v '^$' "$T_TMP/fsck.out" | head -n 1)"
	elif [ $rc = 8 ] && [ "$(grep -c 'U_DEVICE_MISSING' "$T_TMP/fsck.out")" = $# ] &&
	     ! grep -q '<E>' "$T_TMP/fsck.out"; then
		pass "$_name fsck without devices: exit 8, one line per device"
	elif [ "${MULTIDEV_UNUSED_DEVS:-0}" = 1 ] && { [ $rc = 0 ] || [ $rc = 8 ]; } &&
	     ! grep -q '<E>' "$T_TMP/fsck.out"; then
		pass "$_name fsck without devices: exit $rc (some devices hold no data)"
	else
		fail "$_name fsck without devices: exit 8, one line per device" \
			"exit $rc: $(grep -v '^$' "$T_TMP/fsck.out" | head -n 2 | tr '\n' ' ')"
	fi
	# without them, extraction writes what it can and names every file
	# it could not write (once per device is the check's row; the rest
	# are E_EXTRACT); for callers whose SRC is the tree as extracted
	# (MULTIDEV_NAMED=1), not an overlay's merged view
	if [ $# != 0 ] && [ "${MULTIDEV_NAMED:-0}" = 1 ]; then
		rm -rf "$T_TMP/x"
		"$FSCK" --extract="$T_TMP/x" "$_img" >"$T_TMP/fsck.out" 2>&1
		rc=$? _silent=
		for _f in $(cd "$_src" && find . -type f -size +0 | sed 's|^\./||'); do
			cmp -s "$_src/$_f" "$T_TMP/x/$_f" ||
				grep -qF "$_f (nid" "$T_TMP/fsck.out" ||
				_silent="$_silent $_f"
		done
		if [ $rc = 8 ] && [ -z "$_silent" ]; then
			pass "$_name fsck --extract without devices: every file not written is named"
		else
			fail "$_name fsck --extract without devices: every file not written is named" \
				"exit $rc; not written and not named:$_silent"
		fi
	fi
	_devs=
	for _d in "$@"; do _devs="$_devs --device=$_d"; done
	rm -rf "$T_TMP/x"
	# shellcheck disable=SC2086
	if "$FSCK" $_devs --extract="$T_TMP/x" "$_img" >"$T_TMP/fsck.out" 2>&1; then
		if compare_trees "$_src" "$T_TMP/x" --ignore root,mtime-nsec ${MULTIDEV_DIGEST_OPTS:-}; then
			pass "$_name fsck --extract with devices"
		else
			fail "$_name fsck --extract with devices" "$T_WHY"
		fi
	else
		fail "$_name fsck --extract with devices" "$(grep -v '^$' "$T_TMP/fsck.out" | head -n 1)"
	fi
	# erofsfuse, when built: the same devices, the same tree
	if [ -x "$EROFSFUSE" ] && [ -c /dev/fuse ]; then
		mkdir -p "$T_TMP/fmnt"
		# shellcheck disable=SC2086
		if "$EROFSFUSE" $_devs "$_img" "$T_TMP/fmnt" 2>"$T_TMP/fuse.err"; then
			if compare_trees "$_src" "$T_TMP/fmnt" --ignore root,mtime-nsec ${MULTIDEV_DIGEST_OPTS:-}; then
				pass "$_name erofsfuse"
			else
				fail "$_name erofsfuse" "$T_WHY"
			fi
			fusermount3 -u "$T_TMP/fmnt" 2>/dev/null || umount -l "$T_TMP/fmnt"
		else
			fail "$_name erofsfuse" "$(head -n 1 "$T_TMP/fuse.err")"
		fi
	fi
	_opt=
	for _d in "$@"; do
		loop_of "$_d" || { fail "$_name kernel" "losetup $_d"; cleanup_loops; return; }
		_l=$LOOP_DEV
		_opt="$_opt,device=$_l"
	done
	loop_of "$_img" || { fail "$_name kernel" "losetup"; cleanup_loops; return; }
	_p=$LOOP_DEV
	mkdir -p "$T_TMP/mnt"
	if mount -t erofs -o "ro$_opt" "$_p" "$T_TMP/mnt" 2>"$T_TMP/mount.err"; then
		echo "$T_TMP/mnt" >>"$T_TMP/.mounts"
		if compare_trees "$_src" "$T_TMP/mnt" --ignore root,mtime-nsec ${MULTIDEV_DIGEST_OPTS:-}; then
			pass "$_name kernel mount"
		else
			fail "$_name kernel mount" "$T_WHY"
		fi
		umount_image "$T_TMP/mnt"
	else
		fail "$_name kernel mount" "$(head -n 1 "$T_TMP/mount.err")"
	fi
	cleanup_loops
}


roundtrip() {
	_rt_name=$1 _rt_src=$2 _rt_bs=$3
	shift 3
	_rt_img=$T_TMP/img
	_rt_mnt=$T_TMP/mnt
	if ! mkfs_image "$_rt_img" "$_rt_src" "$_rt_bs" "$@"; then
		fail "$_rt_name" "$T_WHY"
		tail -n 5 "$T_TMP/mkfs.log" | cat -v | sed 's/^/    /'
		return 1
	fi
	if mount_image "$_rt_img" "$_rt_mnt"; then
		# shellcheck disable=SC2086
		if compare_trees "$_rt_src" "$_rt_mnt" ${DIGEST_OPTS:-}; then
			pass "$_rt_name"
		else
			fail "$_rt_name" "$T_WHY"
		fi
		umount_image "$_rt_mnt"
	else
		fail "$_rt_name" "$T_WHY"
	fi
	our_fsck "$_rt_img"
	case $? in
	0) pass "$_rt_name fsck" ;;
	1) fail "$_rt_name fsck" "$T_WHY" ;;
	2) [ -z "${T_FSCK_NOTED:-}" ] && skip "$_rt_name fsck" "our fsck.erofs is not usable yet"
	   T_FSCK_NOTED=1 ;;
	esac
	if have_fsck && "$FSCK" --help 2>&1 | grep -q -- '--extract'; then
		rm -rf "$T_TMP/ext"
		# shellcheck disable=SC2086
		if ! "$FSCK" --extract="$T_TMP/ext" "$_rt_img" >"$T_TMP/extract.log" 2>&1; then
			fail "$_rt_name extract" "fsck --extract failed: $(grep -v '^$' "$T_TMP/extract.log" | tail -n 1)"
		elif compare_trees "$_rt_src" "$T_TMP/ext" ${DIGEST_OPTS:-} ${EXTRACT_DIGEST_OPTS:-}; then
			pass "$_rt_name extract"
		else
			fail "$_rt_name extract" "$T_WHY"
		fi
		rm -rf "$T_TMP/ext"
	fi
	deb_fsck "$_rt_img" "$_rt_bs"
	case $? in
	0) pass "$_rt_name deb-fsck" ;;
	1) fail "$_rt_name deb-fsck" "$T_WHY" ;;
	esac
	return 0
}

# ishare_roundtrip CASE SRC BLKSZ: as roundtrip, with
# --ishare_key=$ISHARE_KEY; the mounted tree must also carry a correct
# fingerprint on exactly the regular files with content (treedigest
# --check-fingerprint recomputes every SHA-256 from what the kernel reads)
: "${ISHARE_KEY:=trusted.erofs.fingerprint}"
ishare_roundtrip() {
	IMG_DIGEST_OPTS="--check-fingerprint $ISHARE_KEY"
	roundtrip "$1" "$2" "$3" --ishare_key="$ISHARE_KEY"
	IMG_DIGEST_OPTS=
}

# same_for_workers NAME SRC BLKSZ "N1 N2..." [mkfs options]: the images
# built with --workers=N1, N2... are byte-identical
same_for_workers() {
	_sw_name=$1 _sw_src=$2 _sw_bs=$3 _sw_ns=$4
	shift 4
	_sw_first=
	for _sw_n in $_sw_ns; do
		if ! mkfs_image "$T_TMP/w$_sw_n" "$_sw_src" "$_sw_bs" "$@" \
			--workers="$_sw_n"; then
			fail "$_sw_name" "workers=$_sw_n: $T_WHY"
			rm -f "$T_TMP"/w[0-9]*
			return 1
		fi
		if [ -z "$_sw_first" ]; then
			_sw_first=$_sw_n
		elif ! cmp "$T_TMP/w$_sw_first" "$T_TMP/w$_sw_n" \
			>"$T_TMP/cmp.log" 2>&1; then
			fail "$_sw_name" "workers=$_sw_n: $(head -n 1 "$T_TMP/cmp.log")"
			rm -f "$T_TMP"/w[0-9]*
			return 1
		fi
	done
	pass "$_sw_name"
	rm -f "$T_TMP"/w[0-9]*
}

# mkfs_has_option OPT: our mkfs lists OPT in --help
mkfs_has_option() {
	"$MKFS" --help 2>&1 | grep -q -e "$1"
}
