#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# mkfs-bench.sh - time our mkfs.erofs against other image builders on one
# large tree (not part of the test suite).
#
#   bench/mkfs-bench.sh [--src DIR] [--ishare] [--runs N] [--outdir DIR]
#                       [--no-warmup] [--keep]
#
# Builders, each on the same source, uncompressed:
#   ours         $MKFS (default: build/mkfs/mkfs.erofs in this clone)
#   ours+ishare  the same with --ishare_key=trusted.erofs.fingerprint
#                (with --ishare: the cost of computing fingerprints)
#   erofs-1.5    Debian's /usr/bin/mkfs.erofs
#   erofs-1.9    erofs-utils 1.9 inside the sid chroot, if $SID_CHROOT
#                (default /var/cache/erofs-tools/sid-chroot, made by
#                scripts/sid-chroot.sh) is ready; with --ishare also with
#                --xattr-inode-digest=trusted.erofs.fingerprint.  Its times
#                include the chroot's bind mounts (a few milliseconds).
#   squashfs     mksquashfs -noappend -noI -noD -noF -noX (uncompressed)
# For each: wall time, CPU time (user+sys), peak RSS (GNU time, package
# "time"; without it only the wall time) and image size, and ratios to
# erofs-1.5.  With --runs N the best (lowest wall time) of N runs is shown.
# The source is read once beforehand so every builder finds it in the page
# cache (--no-warmup skips that).  Images go to --outdir (default a
# temporary directory under /tmp) and are deleted after measuring unless
# --keep.  Default source: /usr.
set -u

REPO=$(cd "$(dirname "$0")/.." && pwd)
MKFS=${MKFS:-$REPO/build/mkfs/mkfs.erofs}
DEB_MKFS=${DEB_MKFS:-/usr/bin/mkfs.erofs}
MKSQUASHFS=${MKSQUASHFS:-/usr/bin/mksquashfs}
SID_CHROOT=${SID_CHROOT:-/var/cache/erofs-tools/sid-chroot}
GNU_TIME=/usr/bin/time
KEY=trusted.erofs.fingerprint

src=/usr runs=1 ishare=0 warmup=1 keep=0 outdir=
while [ $# -gt 0 ]; do
	case $1 in
	--src) src=$2; shift ;;
	--runs) runs=$2; shift ;;
	--outdir) outdir=$2; shift ;;
	--ishare) ishare=1 ;;
	--no-warmup) warmup=0 ;;
	--keep) keep=1 ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "mkfs-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ -d "$src" ] || { echo "mkfs-bench: $src is not a directory" >&2; exit 2; }
src=$(cd "$src" && pwd)
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

# measure LABEL IMG CMD...: best-of-$runs; appends
# "LABEL wall cpu rss_kib size_bytes" to $results
measure() {
	label=$1 img=$2
	shift 2
	best=
	i=0
	while [ "$i" -lt "$runs" ]; do
		i=$((i + 1))
		rm -f "$img"
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
		if [ "$rc" -ne 0 ] || [ ! -f "$img" ]; then
			echo "mkfs-bench: $label failed (exit $rc): $(tail -n 1 "$outdir/$label.log")" >&2
			rm -f "$img"
			return 1
		fi
		size=$(stat -c %s "$img")
		if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$wall
			echo "$label $wall $cpu $rss $size" >"$outdir/best"
		fi
		[ "$keep" = 1 ] || rm -f "$img"
	done
	cat "$outdir/best" >>"$results"
	echo "mkfs-bench: $label done: $(cat "$outdir/best")"
}

echo "mkfs-bench: source $src ($(du -sh "$src" 2>/dev/null | cut -f1), $(find "$src" -xdev | wc -l) entries), runs $runs"
if [ "$warmup" = 1 ]; then
	echo "mkfs-bench: reading the source once (page cache warm-up)"
	tar -C "$src" -cf - . 2>/dev/null | cat >/dev/null
fi

if [ -x "$MKFS" ]; then
	measure ours "$outdir/ours.img" "$MKFS" --quiet "$outdir/ours.img" "$src"
	[ "$ishare" = 1 ] && measure ours+ishare "$outdir/ours-ishare.img" \
		"$MKFS" --quiet --ishare_key=$KEY "$outdir/ours-ishare.img" "$src"
else
	echo "mkfs-bench: $MKFS not built (run scripts/setup.sh)" >&2
fi
[ -x "$DEB_MKFS" ] &&
	measure erofs-1.5 "$outdir/deb.img" "$DEB_MKFS" --quiet "$outdir/deb.img" "$src"
if sid_ready; then
	measure erofs-1.9 "$outdir/sid.img" "$REPO/scripts/sid-chroot.sh" run \
		--bind "$src" --bind "$outdir" -- mkfs.erofs --quiet "$outdir/sid.img" "$src"
	[ "$ishare" = 1 ] && measure erofs-1.9+ishare "$outdir/sid-ishare.img" \
		"$REPO/scripts/sid-chroot.sh" run --bind "$src" --bind "$outdir" -- \
		mkfs.erofs --quiet --xattr-inode-digest=$KEY "$outdir/sid-ishare.img" "$src"
else
	echo "mkfs-bench: no sid chroot at $SID_CHROOT (scripts/sid-chroot.sh setup), skipping erofs-1.9"
fi
[ -x "$MKSQUASHFS" ] &&
	measure squashfs "$outdir/sq.img" "$MKSQUASHFS" "$src" "$outdir/sq.img" \
		-noappend -noI -noD -noF -noX -quiet -no-progress

echo
[ "$have_gnu_time" = 1 ] || echo "(no GNU time: install the \"time\" package for CPU time and peak RSS)"
awk '
	{ l[NR] = $1; w[NR] = $2; c[NR] = $3; r[NR] = $4; s[NR] = $5
	  if ($1 == "erofs-1.5") ref = NR }
	function ratio(a, b) { return (b + 0 > 0 && a != "n/a") ? sprintf("%.2f", a / b) : "-" }
	END {
		printf "%-18s %9s %9s %10s %12s   %s\n", "builder", "wall s", "cpu s",
		       "rss MiB", "image MiB", "vs erofs-1.5: wall cpu rss size"
		for (i = 1; i <= NR; i++) {
			rss = r[i] == "n/a" ? "n/a" : sprintf("%.1f", r[i] / 1024)
			printf "%-18s %9s %9s %10s %12.1f", l[i], w[i], c[i], rss, s[i] / 1048576
			if (ref)
				printf "   %s %s %s %s", ratio(w[i], w[ref]), ratio(c[i], c[ref]),
				       ratio(r[i], r[ref]), ratio(s[i], s[ref])
			printf "\n"
		}
	}' "$results"
