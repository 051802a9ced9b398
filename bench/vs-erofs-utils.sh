#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# vs-erofs-utils.sh - our tools against erofs-utils 1.9 (from the sid
# chroot) with the same options and workers: one table of ratios
# (ours / theirs) of wall time, CPU time, peak RSS and image size, each
# the median of alternating runs (ours, theirs, ours, theirs, ...).
# Not part of the test suite: timings are never tested, only measured.
#
#   bench/vs-erofs-utils.sh [--src DIR] [--runs N] [--workers N]
#                           [--only REGEX] [--usr] [--same-libs] [--keep]
#                           [--outdir DIR] [--reps N]
#
# --src DIR     the tree (default: the sid chroot itself, a Debian minbase
#               root file system; made by scripts/sid-chroot.sh setup)
# --runs N      runs of each tool per row (default 5)
# --workers N   --workers=N for both mkfs and our fsck (default: online
#               CPUs; erofs-utils' fsck has one thread)
# --only REGEX  rows whose name matches (grep -E)
# --usr         add the row "mkfs /usr -zlz4hc" (a larger tree)
# --reps N      each timed run of the fsck rows without extraction, of
#               dump -S and of mkfs --tar=i and the layer merge runs the
#               command N times in a row (default 10): these take 0.01
#               to 0.2 s, and GNU time counts CPU in 10 ms steps, so one
#               run's CPU ratio moved by +-0.3 from series to series.
#               Times are per command (the loop's divided by N); peak
#               RSS is the largest of the N.
# --same-libs   run our tools with the chroot's shared libraries too, so
#               that both use the same liblz4, libzstd, liblzma, libdeflate,
#               libcrypto and libc (sid's are newer than this machine's:
#               zstd 1.5.7 against 1.5.4, liblzma 5.8 against 5.4); the
#               rows then compare the tools, not the compressors' versions
# Rows: mkfs uncompressed, + fingerprints, -zlz4hc + fingerprints,
# -zlz4hc -Ededupe, -zlz4hc -Efragments, -zlz4hc -Eall-fragments,
# -zlz4hc --zD, -zzstd, -zlzma, -zdeflate, --tar=i of the tree's tar, a
# merge of two layer images (--aufs --ovlfs-strip=1); readers on our -zlz4hc image
# with fingerprints: fsck verifying all data (ours: plain fsck, which
# decodes everything; theirs: --extract without DIR, since their plain
# fsck does not decompress data), fingerprint verification (ours:
# --check-ishare; theirs: fsck --xattr-inode-digest, when it has it),
# fsck --extract=DIR (as root: into a new loop-mounted ext4 each run; a
# second row gives theirs --xattrs, which ours does by default, so that
# both restore the same) and dump.erofs -S.
# erofs-utils runs through the chroot's own dynamic loader and libraries,
# straight from this shell (no chroot, no bind mounts: nothing extra is
# timed).  The page cache is warm (the source is read once first); every
# run starts after a sync.  Needs GNU time (package "time").
set -u

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build}
MKFS=${MKFS:-$BUILD/mkfs/mkfs.erofs}
FSCK=${FSCK:-$BUILD/fsck/fsck.erofs}
DUMP=${DUMP:-$BUILD/dump/dump.erofs}
SID_CHROOT=${SID_CHROOT:-/var/cache/erofs-tools/sid-chroot}
GNU_TIME=/usr/bin/time
KEY=trusted.erofs.fingerprint

src="" runs=5 workers="" only="" usr=0 keep=0 outdir="" same_libs=0 run_prep=""
reps=1 reader_reps=10
ext4_kib="" ext4_inodes=""
scratch=""	# removed on exit (the temporary output directory)
mounted=""	# the extraction row's ext4, unmounted on exit
# nothing is removed under a mount that would not go
trap '[ -z "$mounted" ] || umount "$mounted" || scratch=""
      [ -z "$scratch" ] || rm -rf "$scratch"' EXIT
# dash runs no EXIT trap for a signal it does not trap itself
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
while [ $# -gt 0 ]; do
	case $1 in
	--src) src=$2; shift ;;
	--runs) runs=$2; shift ;;
	--workers) workers=$2; shift ;;
	--workers=*) workers=${1#--workers=} ;;
	--only) only=$2; shift ;;
	--usr) usr=1 ;;
	--same-libs) same_libs=1 ;;
	--keep) keep=1 ;;
	--outdir) outdir=$2; shift ;;
	--reps) reader_reps=$2; shift ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "vs-erofs-utils: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

die() { echo "vs-erofs-utils: $*" >&2; exit 1; }
[ -x "$GNU_TIME" ] || die "needs GNU time ($GNU_TIME; apt-get install time)"
case $reader_reps in ''|*[!0-9]*|0*) die "--reps wants a positive number" ;; esac
[ -x "$MKFS" ] && [ -x "$FSCK" ] && [ -x "$DUMP" ] ||
	die "our tools are not built in $BUILD (scripts/setup.sh)"
[ -f "$SID_CHROOT/.erofs-tools-ready" ] ||
	die "no sid chroot at $SID_CHROOT (scripts/sid-chroot.sh setup)"
src=${src:-$SID_CHROOT}
[ -d "$src" ] || die "$src is not a directory"
src=$(cd "$src" && pwd)
: "${workers:=$(nproc 2>/dev/null || echo 1)}"
if [ -z "$outdir" ]; then
	outdir=$(mktemp -d /tmp/erofs-vs.XXXXXX)
	[ "$keep" = 1 ] || scratch=$outdir
fi
mkdir -p "$outdir"

# erofs-utils' tools run by the chroot's loader with the chroot's
# libraries: "$THEIRS"mkfs.erofs ... (no path here has blanks)
LD=$(ls "$SID_CHROOT"/lib64/ld-linux-x86-64.so.2 2>/dev/null || ls "$SID_CHROOT"/lib/ld-linux*.so.* 2>/dev/null | head -n 1)
[ -n "$LD" ] || die "no dynamic loader in $SID_CHROOT"
THEIRS="$LD --library-path $SID_CHROOT/lib/x86_64-linux-gnu:$SID_CHROOT/usr/lib/x86_64-linux-gnu $SID_CHROOT/usr/bin/"
case "$src$outdir$MKFS" in *[[:space:]]*) die "paths with blanks are not supported" ;; esac
# --same-libs: ours through the same loader and libraries (what the
# chroot lacks, libarchive for one, comes from this machine)
if [ "$same_libs" = 1 ]; then
	OURS_LD="$LD --library-path $SID_CHROOT/lib/x86_64-linux-gnu:$SID_CHROOT/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu"
	MKFS="$OURS_LD $MKFS" FSCK="$OURS_LD $FSCK" DUMP="$OURS_LD $DUMP"
fi
# shellcheck disable=SC2086
their_version=$(${THEIRS}mkfs.erofs --version 2>&1 | head -n 1)
# shellcheck disable=SC2086
${THEIRS}mkfs.erofs --help >/dev/null 2>&1 ||
	die "erofs-utils' mkfs.erofs does not run from $SID_CHROOT"
# shellcheck disable=SC2086
their_fsck_help=$(${THEIRS}fsck.erofs --help 2>&1)

# one_run OUT IMG CMD: time the command line CMD once (split on blanks);
# appends "wall cpu rss_kib size" to OUT.  $run_prep, when set, is run
# first (untimed) instead of removing IMG.
one_run() {
	_out=$1 _img=$2 _cmd=$3
	if [ -n "$run_prep" ]; then
		$run_prep || return 1
	else
		case $_img in -) ;; *) rm -rf "$_img" ;; esac
	fi
	sync
	# $reps > 1: one shell runs the command $reps times; GNU time's peak
	# RSS is then the largest of them (the kernel keeps the largest of
	# the processes a process waited for)
	set --
	# shellcheck disable=SC2016 # the loop's own $1 and $@
	[ "$reps" = 1 ] ||
		set -- sh -c 'n=$1; shift; while [ "$n" -gt 0 ]; do "$@" || exit; n=$((n - 1)); done' sh "$reps"
	# shellcheck disable=SC2086
	if ! "$GNU_TIME" -f '%e %U %S %M' -o "$outdir/time" "$@" $_cmd \
		>"$outdir/run.log" 2>&1; then
		echo "vs-erofs-utils: failed: $_cmd: $(tail -n 1 "$outdir/run.log")" >&2
		return 1
	fi
	_size=0
	[ "$_img" != - ] && [ -f "$_img" ] && _size=$(stat -c %s "$_img")
	tail -n 1 "$outdir/time" |
		awk -v s="$_size" -v n="$reps" '{ printf "%.4f %.4f %s %s\n", $1 / n, ($2 + $3) / n, $4, s }' >>"$_out"
}

# median FILE COLUMN
median() {
	cut -d' ' -f"$2" "$1" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

table=$outdir/table
: >"$table"

# row NAME OURS_IMG THEIR_IMG OURS_CMD THEIR_CMD: alternating runs
# wanted NAME: whether --only selects the row NAME
wanted() {
	[ -z "$only" ] || echo "$1" | grep -qE "$only"
}

row() {
	_name=$1 _oimg=$2 _timg=$3 _ocmd=$4 _tcmd=$5
	wanted "$_name" || return 0
	: >"$outdir/a"
	: >"$outdir/b"
	_i=0
	while [ $_i -lt "$runs" ]; do
		_i=$((_i + 1))
		one_run "$outdir/a" "$_oimg" "$_ocmd" || return 1
		one_run "$outdir/b" "$_timg" "$_tcmd" || return 1
	done
	echo "$_name|$(median "$outdir/a" 1) $(median "$outdir/a" 2) $(median "$outdir/a" 3) $(median "$outdir/a" 4)|$(median "$outdir/b" 1) $(median "$outdir/b" 2) $(median "$outdir/b" 3) $(median "$outdir/b" 4)" >>"$table"
	echo "vs-erofs-utils: $_name done" >&2
}

echo "vs-erofs-utils: source $src ($(du -sh "$src" 2>/dev/null | cut -f1), $(find "$src" -xdev | wc -l) entries), $runs alternating runs each, --workers=$workers, $(nproc) CPUs" >&2
tar -C "$src" -cf - . 2>/dev/null | cat >/dev/null

O=$outdir/ours.img T=$outdir/theirs.img W=--workers=$workers
# mk_row NAME OUR_OPTIONS THEIR_OPTIONS
mk_row() {
	row "$1" "$O" "$T" "$MKFS --quiet $W $2 $O $src" \
		"${THEIRS}mkfs.erofs --quiet $W $3 $T $src"
}
mk_row "mkfs uncompressed" "" ""
mk_row "mkfs uncompressed + fingerprints" "--ishare_key=$KEY" "--xattr-inode-digest=$KEY"
mk_row "mkfs -zlz4hc + fingerprints" "-zlz4hc --ishare_key=$KEY" "-zlz4hc --xattr-inode-digest=$KEY"
mk_row "mkfs -zlz4hc -Ededupe" "-zlz4hc -Ededupe" "-zlz4hc -Ededupe"
mk_row "mkfs -zlz4hc -Efragments" "-zlz4hc -Efragments" "-zlz4hc -Efragments"
mk_row "mkfs -zlz4hc -Eall-fragments" "-zlz4hc -Eall-fragments" "-zlz4hc -Eall-fragments"
mk_row "mkfs -zlz4hc --zD" "-zlz4hc --zD" "-zlz4hc --zD"
mk_row "mkfs -zzstd" "-zzstd" "-zzstd"
mk_row "mkfs -zlzma" "-zlzma" "-zlzma"
mk_row "mkfs -zdeflate" "-zdeflate" "-zdeflate"

# index-only images: the tree as a tar indexed in place (--tar=i), and
# two layer images merged (containerd's fsmerge call)
TARF=$outdir/src.tar
tar --numeric-owner -C "$src" -cf "$TARF" . 2>/dev/null
# these take 0.02 to 0.06 s: as many commands a run as the readers (the
# image is removed before the first; the others write over it)
reps=$reader_reps
row "mkfs --tar=i" "$O" "$T" "$MKFS --quiet --tar=i $O $TARF" \
	"${THEIRS}mkfs.erofs --quiet --tar=i $T $TARF"
L1=$outdir/l1.img L2=$outdir/l2.img
$MKFS --quiet -Enoinline_data "$L1" "$src" &&
	$MKFS --quiet -Enoinline_data --ishare_key=$KEY "$L2" "$src" ||
	die "cannot build the layer images"
row "mkfs merge of 2 layers (fsmerge)" "$O" "$T" \
	"$MKFS --quiet --aufs --ovlfs-strip=1 $O $L1 $L2" \
	"${THEIRS}mkfs.erofs --quiet --aufs --ovlfs-strip=1 $T $L1 $L2"
reps=1
rm -f "$TARF" "$L1" "$L2"

# the readers all read one image: ours, -zlz4hc with fingerprints
R=$outdir/reader.img X=$outdir/x run_prep=""
$MKFS --quiet $W -zlz4hc --ishare_key=$KEY "$R" "$src" ||
	die "cannot build the readers' image"
reps=$reader_reps
row "fsck, verify all data" - - "$FSCK $W $R" "${THEIRS}fsck.erofs --extract $R"
row "fsck, verify all data, 1 worker" - - "$FSCK --workers=1 $R" \
	"${THEIRS}fsck.erofs --extract $R"
if printf '%s\n' "$their_fsck_help" | grep -q -e --xattr-inode-digest; then
	row "fsck, verify fingerprints" - - "$FSCK $W --check-ishare $R" \
		"${THEIRS}fsck.erofs --xattr-inode-digest $R"
else
	echo "vs-erofs-utils: their fsck has no --xattr-inode-digest: fingerprint row left out" >&2
fi
reps=1
# Each extraction gets an ext4 of its own, made just before it: an ext4
# that has just deleted a tree skips the inodes it freed for a minute
# (recently_deleted(), found by perf: up to half of a run's system time,
# and 1.2 to 2.8 s for one command), so removing the previous run's tree
# made this row measure the removal, not the extraction.  Without root
# or loop devices it falls back to one directory removed between runs.
# Room: twice the tree and 256 MiB, at least 2 GiB; inodes: twice its
# entries and 16,384.
fresh_ext4() {
	if [ -z "$ext4_kib" ]; then
		ext4_kib=$(du -sk "$src" 2>/dev/null | cut -f1)
		ext4_kib=$(( ${ext4_kib:-0} * 2 + 262144 ))
		[ "$ext4_kib" -ge 2097152 ] || ext4_kib=2097152
		ext4_inodes=$(( $(find "$src" -xdev | wc -l) * 2 + 16384 ))
	fi
	if [ -n "$mounted" ]; then
		umount "$mounted" || return 1
		mounted=""
	fi
	rm -f "$outdir/ext4.img"
	truncate -s "${ext4_kib}K" "$outdir/ext4.img" &&
	# inode tables and journal written now: left lazy, a kernel thread
	# writes them while the run is timed
	mkfs.ext4 -q -F -N "$ext4_inodes" \
		-E lazy_itable_init=0,lazy_journal_init=0 "$outdir/ext4.img" &&
	mount -o loop "$outdir/ext4.img" "$outdir/mnt" &&
	mounted=$outdir/mnt
}
mkdir -p "$outdir/mnt"
if ! wanted "fsck --extract=DIR" &&
   ! wanted "fsck --extract=DIR, xattrs both"; then
	:
elif [ "$(id -u)" = 0 ] && command -v mkfs.ext4 >/dev/null && fresh_ext4; then
	X=$outdir/mnt/x run_prep=fresh_ext4
else
	rm -f "$outdir/ext4.img"
	echo "vs-erofs-utils: cannot make a loop-mounted ext4 (needs root, mkfs.ext4 and a loop device): --extract=DIR runs into one directory, removed between runs" >&2
fi
row "fsck --extract=DIR" "$X" "$X" "$FSCK $W --extract=$X $R" \
	"${THEIRS}fsck.erofs --extract=$X $R"
row "fsck --extract=DIR, xattrs both" "$X" "$X" \
	"$FSCK $W --extract=$X --xattrs $R" \
	"${THEIRS}fsck.erofs --extract=$X --xattrs $R"
run_prep=""
if [ -n "$mounted" ]; then
	umount "$mounted" && mounted="" && rm -f "$outdir/ext4.img"
fi
reps=$reader_reps
row "dump -S" - - "$DUMP -S $R" "${THEIRS}dump.erofs -S $R"
reps=1
if [ "$usr" = 1 ]; then
	src=/usr
	tar -C /usr -cf - . 2>/dev/null | cat >/dev/null
	mk_row "mkfs /usr -zlz4hc" "-zlz4hc" "-zlz4hc"
fi

echo
echo "ours: $($MKFS -V 2>/dev/null | head -n 1); theirs: $their_version; medians of $runs alternating runs; --workers=$workers; $(nproc) CPUs$([ "$same_libs" = 1 ] && echo "; same shared libraries (the chroot's)"); fsck rows without extraction, dump -S, --tar=i and the merge: $reader_reps commands a run"
echo "source: $src"
echo
awk -F'|' '
	function r(a, b) { return (b + 0 > 0) ? sprintf("%.2fx", a / b) : "-" }
	# sizes differ by a few blocks: 1.0029 would print as 1.00x
	function rs(a, b) { return (b + 0 > 0) ? sprintf("%.3fx", a / b) : "-" }
	BEGIN {
		printf "| %-34s | %9s | %9s | %7s | %7s | %7s | %7s |\n", "job", "ours s", "theirs s", "wall", "cpu", "rss", "size"
		printf "|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------------------", "-----------", "-----------", "---------", "---------", "---------", "---------"
	}
	{
		split($2, a, " "); split($3, b, " ")
		printf "| %-34s | %9.3f | %9.3f | %7s | %7s | %7s | %7s |\n", $1, a[1], b[1],
		       r(a[1], b[1]), r(a[2], b[2]), r(a[3], b[3]), rs(a[4], b[4])
	}' "$table"
