#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# reuse-bench.sh - what mkfs --reuse saves: the image of a root file
# system's next version built fully, and built with --reuse of the
# previous version's image, with the same options.  One table: medians of
# alternating runs (full, reuse, full, reuse, ...) of wall and CPU time,
# their ratios (reuse / full), whether the two images are byte-identical
# and how many files were taken over.  Not part of the test suite.
#
#   bench/reuse-bench.sh [--pair DIR] [--runs N] [--workers N]
#                        [--only REGEX]
#
# --pair DIR    holds v1/ and v2/ (default: made by bench/rootfs-pair.sh:
#               a Debian bookworm minbase with server packages, and the
#               same after its security update)
# --runs N      runs of each build per row (default 5)
# --workers N   --workers=N (default: online CPUs)
# --only REGEX  rows whose name matches (grep -E)
# Rows: -zlz4hc, -zlzma, -zzstd, -zlz4hc -C65536 -Eztailpacking, all with
# --ishare_key.  The page cache is warm; each run starts after a sync.
# Needs GNU time (package "time").
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build}
MKFS=${MKFS:-$BUILD/mkfs/mkfs.erofs}
GNU_TIME=/usr/bin/time
KEY=trusted.erofs.fingerprint
pair="" runs=5 workers="" only=""
while [ $# -gt 0 ]; do
	case $1 in
	--pair) pair=$2; shift ;;
	--runs) runs=$2; shift ;;
	--workers) workers=$2; shift ;;
	--only) only=$2; shift ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "reuse-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
die() { echo "reuse-bench: $*" >&2; exit 1; }
[ -x "$GNU_TIME" ] || die "GNU time is needed (apt-get install time)"
[ -x "$MKFS" ] || die "no $MKFS (build first)"
[ -n "$pair" ] || pair=$("$REPO/bench/rootfs-pair.sh") || die "cannot make the rootfs pair"
[ -d "$pair/v1" ] && [ -d "$pair/v2" ] || die "$pair has no v1/ and v2/"
[ -n "$workers" ] || workers=$(nproc)
export SOURCE_DATE_EPOCH=1700000000

tmp=$(mktemp -d /tmp/reuse-bench.XXXXXX) || die "mktemp"
trap 'rm -rf "$tmp"' EXIT INT TERM

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run OUT CMD...: one timed run; appends "wall cpu" to OUT
run() {
	out=$1
	shift
	sync
	"$GNU_TIME" -f '%e %U %S' -o "$tmp/t" "$@" >"$tmp/log" 2>&1 ||
		die "failed: $* ($(tail -n 1 "$tmp/log"))"
	awk '{ print $1, $2 + $3 }' "$tmp/t" >>"$out"
}

# warm the page cache with both trees
tar cf - -C "$pair" v1 v2 >/dev/null 2>&1

echo "v1: $(du -sm "$pair/v1" | cut -f1) MB, v2: $(du -sm "$pair/v2" | cut -f1) MB, $(find "$pair/v2" -type f | wc -l) files; workers=$workers runs=$runs"
printf '%-34s %9s %9s %7s %7s %9s %s\n' row full-wall reuse-wall wall cpu identical reused
while read -r name opts; do
	[ -n "$only" ] && ! echo "$name" | grep -Eq "$only" && continue
	# shellcheck disable=SC2086
	"$MKFS" $opts --ishare_key=$KEY --workers="$workers" "$tmp/old.img" \
		"$pair/v1" >/dev/null 2>&1 || die "mkfs of v1 failed ($name)"
	: >"$tmp/full" ; : >"$tmp/reuse"
	i=0
	while [ $i -lt "$runs" ]; do
		# shellcheck disable=SC2086
		run "$tmp/full" "$MKFS" $opts --ishare_key=$KEY \
			--workers="$workers" "$tmp/full.img" "$pair/v2"
		# shellcheck disable=SC2086
		run "$tmp/reuse" "$MKFS" $opts --ishare_key=$KEY \
			--workers="$workers" --reuse="$tmp/old.img" \
			"$tmp/re.img" "$pair/v2"
		i=$((i + 1))
	done
	reused=$(sed -n 's/^Reused from earlier images: \([0-9]*\) files.*/\1/p' "$tmp/log")
	same=no
	cmp -s "$tmp/full.img" "$tmp/re.img" && same=yes
	fw=$(cut -d' ' -f1 "$tmp/full" | median)
	rw=$(cut -d' ' -f1 "$tmp/reuse" | median)
	fc=$(cut -d' ' -f2 "$tmp/full" | median)
	rc=$(cut -d' ' -f2 "$tmp/reuse" | median)
	printf '%-34s %8.2fs %8.2fs %6.2fx %6.2fx %9s %s\n' "$name" "$fw" "$rw" \
		"$(echo "$rw $fw" | awk '{ print $1 / $2 }')" \
		"$(echo "$rc $fc" | awk '{ print $1 / $2 }')" "$same" "${reused:-0}"
done <<EOF
-zlz4hc -zlz4hc
-zlzma -zlzma
-zzstd -zzstd
-zlz4hc,-C65536,-Eztailpacking -zlz4hc -C65536 -Eztailpacking
EOF
