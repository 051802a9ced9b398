#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# mkfs-bench.sh - time our mkfs.erofs (and fsck.erofs) against other image
# builders (and checkers) on one large tree (not part of the test suite).
#
#   bench/mkfs-bench.sh [--src DIR] [--ishare] [-z ALG] [--workers N]
#                       [--fsck] [--all] [--runs N] [--outdir DIR]
#                       [--no-warmup] [--keep]
#
# Builders, each on the same source, uncompressed:
#   ours         $MKFS (default: build/mkfs/mkfs.erofs in this clone)
#   ours+ishare  the same with --ishare_key=trusted.erofs.fingerprint
#                (with --ishare: the cost of computing fingerprints;
#                uncompressed only)
#   erofs-1.5    Debian's /usr/bin/mkfs.erofs
#   erofs-1.9    erofs-utils 1.9 inside the sid chroot, if $SID_CHROOT
#                (default /var/cache/erofs-tools/sid-chroot, made by
#                scripts/sid-chroot.sh) is ready; with --ishare also with
#                --xattr-inode-digest=trusted.erofs.fingerprint.  Its times
#                include the chroot's bind mounts (a few milliseconds).
#   squashfs     mksquashfs -noappend -noI -noD -noF -noX (uncompressed)
# With -z ALG (lz4, lz4hc, lzma, deflate, zstd) the same builders again
# with -zALG at each tool's default level and pcluster size (squashfs:
# -comp of the nearest kind: lz4 [-Xhc], xz, gzip, zstd); a builder that
# does not know ALG is left out.
# --workers N: threads for the builders that have a knob (our --workers
# and 1.9's --workers=N when their --help lists it, mksquashfs
# -processors N); default: the number of online CPUs.  erofs-1.5 has one
# thread.  The table's "thr" column says what each builder was given.
# --fsck: also time the checkers (ours, 1.5's, 1.9's) on our uncompressed
# image and, with -z, on our compressed one: plain "fsck.erofs IMG" and
# "fsck.erofs --extract IMG" (decode every file, write nothing).  Note that
# erofs-utils without --extract does not decompress file data.
# --all = --ishare -z lz4hc --fsck.
# For each: wall time, wall time until the image is on disk ("+sync": the
# tool's wall time plus a "sync IMG" after it; ours syncs before exiting,
# erofs-utils and mksquashfs leave that to the kernel; every run starts
# after a "sync", so no run pays for the previous one's writeback), CPU
# time (user+sys), peak RSS (GNU time, package
# "time"; without it only the wall time) and image size, and ratios to
# erofs-1.5 (of the same group: uncompressed, -z, each fsck mode).  With
# --runs N the best (lowest wall time) of N runs is shown.  The source is
# read once beforehand so every builder finds it in the page cache
# (--no-warmup skips that).  Images go to --outdir (default a temporary
# directory under /tmp) and are deleted after measuring unless --keep.
# Default source: /usr.
set -u

REPO=$(cd "$(dirname "$0")/.." && pwd)
MKFS=${MKFS:-$REPO/build/mkfs/mkfs.erofs}
FSCK=${FSCK:-$(dirname "$MKFS")/../fsck/fsck.erofs}
DEB_MKFS=${DEB_MKFS:-/usr/bin/mkfs.erofs}
DEB_FSCK=${DEB_FSCK:-/usr/bin/fsck.erofs}
MKSQUASHFS=${MKSQUASHFS:-/usr/bin/mksquashfs}
SID_CHROOT=${SID_CHROOT:-/var/cache/erofs-tools/sid-chroot}
GNU_TIME=/usr/bin/time
KEY=trusted.erofs.fingerprint

src=/usr runs=1 ishare=0 warmup=1 keep=0 outdir="" zalg="" workers="" dofsck=0
while [ $# -gt 0 ]; do
	case $1 in
	--src) src=$2; shift ;;
	--runs) runs=$2; shift ;;
	--outdir) outdir=$2; shift ;;
	--ishare) ishare=1 ;;
	-z) zalg=$2; shift ;;
	-z*) zalg=${1#-z} ;;
	--workers) workers=$2; shift ;;
	--workers=*) workers=${1#--workers=} ;;
	--fsck) dofsck=1 ;;
	--all) ishare=1 dofsck=1 zalg=${zalg:-lz4hc} ;;
	--no-warmup) warmup=0 ;;
	--keep) keep=1 ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "mkfs-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ -d "$src" ] || { echo "mkfs-bench: $src is not a directory" >&2; exit 2; }
src=$(cd "$src" && pwd)
: "${workers:=$(nproc 2>/dev/null || echo 1)}"
if [ -z "$outdir" ]; then
	outdir=$(mktemp -d /tmp/erofs-bench.XXXXXX)
	[ "$keep" = 1 ] || trap 'rm -rf "$outdir"' EXIT
fi
mkdir -p "$outdir"
results=$outdir/results
: >"$results"

have_gnu_time=0
[ -x "$GNU_TIME" ] && "$GNU_TIME" -f %e true >/dev/null 2>&1 && have_gnu_time=1

sid_ready() {
	[ -f "$SID_CHROOT/.erofs-tools-ready" ] && [ -x "$REPO/scripts/sid-chroot.sh" ]
}

# knows TOOL-HELP-TEXT WORD: does a tool's --help mention WORD?
knows() { printf '%s\n' "$1" | grep -q -e "$2"; }

# the image measure() must keep for the fsck pass (space-separated labels)
keep_for_fsck=

# measure GROUP LABEL THREADS IMG CMD...: best-of-$runs; appends
# "GROUP LABEL THREADS wall cpu rss_kib size_bytes flush" to $results
# (flush: seconds of "sync IMG" after the tool exited).  IMG "-"
# means the command writes no image (a checker): size is reported as 0.
measure() {
	group=$1 label=$2 thr=$3 img=$4
	shift 4
	best=
	i=0
	while [ "$i" -lt "$runs" ]; do
		i=$((i + 1))
		[ "$img" = - ] || rm -f "$img"
		# the previous run's dirty pages must not be flushed on
		# this run's time
		sync
		if [ "$have_gnu_time" = 1 ]; then
			"$GNU_TIME" -f '%e %U %S %M' -o "$outdir/time" "$@" \
				>"$outdir/$label.log" 2>&1
			rc=$?
			line=$(tail -n 1 "$outdir/time")
			wall=$(echo "$line" | cut -d' ' -f1)
			cpu=$(echo "$line" | awk '{ printf "%.2f", $2 + $3 }')
			rss=$(echo "$line" | cut -d' ' -f4)
		else
			t0=$(date +%s.%N)
			"$@" >"$outdir/$label.log" 2>&1
			rc=$?
			t1=$(date +%s.%N)
			wall=$(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }')
			cpu=n/a rss=n/a
		fi
		if [ "$rc" -ne 0 ] || { [ "$img" != - ] && [ ! -f "$img" ]; }; then
			echo "mkfs-bench: $label failed (exit $rc): $(tail -n 1 "$outdir/$label.log")" >&2
			[ "$img" = - ] || rm -f "$img"
			return 1
		fi
		size=0 flush=0
		if [ "$img" != - ]; then
			size=$(stat -c %s "$img")
			# what is still to write once the tool has exited (ours
			# syncs before it exits, erofs-utils and mksquashfs not)
			t0=$(date +%s.%N)
			sync "$img"
			t1=$(date +%s.%N)
			flush=$(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }')
		fi
		if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$wall
			echo "$group $label $thr $wall $cpu $rss $size $flush" >"$outdir/best"
		fi
		case " $keep_for_fsck " in
		*" $label "*) ;;
		*) [ "$keep" = 1 ] || [ "$img" = - ] || rm -f "$img" ;;
		esac
	done
	cat "$outdir/best" >>"$results"
	echo "mkfs-bench: $label done: $(cut -d' ' -f2- "$outdir/best")"
}

echo "mkfs-bench: source $src ($(du -sh "$src" 2>/dev/null | cut -f1), $(find "$src" -xdev | wc -l) entries), runs $runs, workers $workers, $(nproc) CPUs"
if [ "$warmup" = 1 ]; then
	echo "mkfs-bench: reading the source once (page cache warm-up)"
	tar -C "$src" -cf - . 2>/dev/null | cat >/dev/null
fi

ours_help=
[ -x "$MKFS" ] && ours_help=$("$MKFS" --help 2>&1)
deb_help=
[ -x "$DEB_MKFS" ] && deb_help=$("$DEB_MKFS" --help 2>&1)
sid_help=
# SID CMD...: CMD in the chroot with the source and outdir bound
SID="$REPO/scripts/sid-chroot.sh run --bind $src --bind $outdir --"
# shellcheck disable=SC2086
sid_ready && sid_help=$($SID mkfs.erofs --help 2>&1)

# per-builder thread options
ours_thr=1 ours_w=
knows "$ours_help" --workers && ours_thr=$workers ours_w=--workers=$workers
sid_thr=1 sid_w=
knows "$sid_help" --workers && sid_thr=$workers sid_w=--workers=$workers

# squashfs_comp ALG: the mksquashfs -comp arguments for an erofs algorithm
squashfs_comp() {
	case $1 in
	lz4) echo "-comp lz4" ;;
	lz4hc) echo "-comp lz4 -Xhc" ;;
	lzma) echo "-comp xz" ;;
	deflate) echo "-comp gzip" ;;
	zstd) echo "-comp zstd" ;;
	esac
}

# builders GROUP SUFFIX [MKFS-OPTION...]: one run of every builder
builders() {
	g=$1 sfx=$2
	shift 2
	if [ -n "$ours_help" ]; then
		# shellcheck disable=SC2086
		measure "$g" "ours$sfx" $ours_thr "$outdir/ours$sfx.img" \
			"$MKFS" --quiet $ours_w "$@" "$outdir/ours$sfx.img" "$src"
		# shellcheck disable=SC2086
		[ "$ishare" = 1 ] && [ $# = 0 ] && measure "$g" "ours+ishare$sfx" $ours_thr \
			"$outdir/ours-ishare$sfx.img" "$MKFS" --quiet $ours_w \
			--ishare_key=$KEY "$@" "$outdir/ours-ishare$sfx.img" "$src"
	else
		echo "mkfs-bench: $MKFS not built (run scripts/setup.sh)" >&2
	fi
	if [ -n "$deb_help" ] && { [ -z "$zalg" ] || [ $# = 0 ] || knows "$deb_help" "$zalg"; }; then
		measure "$g" "erofs-1.5$sfx" 1 "$outdir/deb$sfx.img" \
			"$DEB_MKFS" --quiet "$@" "$outdir/deb$sfx.img" "$src"
	fi
	if [ -n "$sid_help" ]; then
		# shellcheck disable=SC2086
		measure "$g" "erofs-1.9$sfx" $sid_thr "$outdir/sid$sfx.img" \
			$SID mkfs.erofs --quiet $sid_w "$@" "$outdir/sid$sfx.img" "$src"
		# shellcheck disable=SC2086
		[ "$ishare" = 1 ] && [ $# = 0 ] && measure "$g" "erofs-1.9+ishare$sfx" $sid_thr \
			"$outdir/sid-ishare$sfx.img" $SID mkfs.erofs --quiet $sid_w \
			--xattr-inode-digest=$KEY "$@" "$outdir/sid-ishare$sfx.img" "$src"
	elif [ "$g" = mkfs ]; then
		echo "mkfs-bench: no sid chroot at $SID_CHROOT (scripts/sid-chroot.sh setup), skipping erofs-1.9"
	fi
	if [ -x "$MKSQUASHFS" ]; then
		if [ $# = 0 ]; then
			sq="-noI -noD -noF -noX"
		else
			sq=$(squashfs_comp "$zalg")
		fi
		# shellcheck disable=SC2086
		[ -n "$sq" ] && measure "$g" "squashfs$sfx" $workers "$outdir/sq$sfx.img" \
			"$MKSQUASHFS" "$src" "$outdir/sq$sfx.img" -noappend $sq \
			-processors $workers -quiet -no-progress
	fi
}

[ "$dofsck" = 1 ] && keep_for_fsck="ours ours-z$zalg"
builders mkfs ""
[ -n "$zalg" ] && builders "mkfs-z$zalg" "-z$zalg" "-z$zalg"

# checkers on our images (every reader on the same bytes)
if [ "$dofsck" = 1 ]; then
	for im in ours ${zalg:+ours-z$zalg}; do
		fimg=$outdir/$im.img
		[ -f "$fimg" ] || { echo "mkfs-bench: no $fimg to check" >&2; continue; }
		for mode in "" --extract; do
			g="fsck${mode:+-extract}:$im"
			# ($mode is empty or one word; $SID is a command line)
			# shellcheck disable=SC2086
			{
				[ -x "$FSCK" ] &&
					measure "$g" "fsck-ours" 1 - "$FSCK" $mode "$fimg"
				[ -x "$DEB_FSCK" ] &&
					measure "$g" "fsck-erofs-1.5" 1 - "$DEB_FSCK" $mode "$fimg"
				sid_ready &&
					measure "$g" "fsck-erofs-1.9" 1 - $SID fsck.erofs $mode "$fimg"
			}
		done
		[ "$keep" = 1 ] || rm -f "$fimg"
	done
fi

echo
[ "$have_gnu_time" = 1 ] || echo "(no GNU time: install the \"time\" package for CPU time and peak RSS)"
echo "source $src ($(du -sh "$src" 2>/dev/null | cut -f1), $(find "$src" -xdev | wc -l) entries); best of $runs; $(nproc) CPUs; ours $("$MKFS" -V 2>/dev/null | head -n 1)"
awk '
	{ g[NR] = $1; l[NR] = $2; t[NR] = $3; w[NR] = $4; c[NR] = $5
	  r[NR] = $6; s[NR] = $7; f[NR] = $8
	  if ($2 ~ /erofs-1\.5/) ref[$1] = NR }
	function ratio(a, b) { return (b + 0 > 0 && a != "n/a") ? sprintf("%.2f", a / b) : "-" }
	END {
		for (i = 1; i <= NR; i++) {
			if (g[i] != prev) {
				printf "\n[%s]\n%-24s %3s %8s %8s %8s %8s %10s   %s\n", g[i],
				       "tool", "thr", "wall s", "+sync s", "cpu s", "rss MiB",
				       (s[i] > 0 ? "image MiB" : ""), "vs erofs-1.5: wall cpu rss" (s[i] > 0 ? " size" : "")
				prev = g[i]
			}
			rss = r[i] == "n/a" ? "n/a" : sprintf("%.1f", r[i] / 1024)
			printf "%-24s %3s %8s %8s %8s %8s %10s", l[i], t[i], w[i],
			       (s[i] > 0 ? sprintf("%.2f", w[i] + f[i]) : "-"), c[i], rss,
			       (s[i] > 0 ? sprintf("%.1f", s[i] / 1048576) : "")
			k = ref[g[i]]
			if (k)
				printf "   %s %s %s%s", ratio(w[i], w[k]), ratio(c[i], c[k]),
				       ratio(r[i], r[k]), (s[i] > 0 ? " " ratio(s[i], s[k]) : "")
			printf "\n"
		}
	}' "$results"
