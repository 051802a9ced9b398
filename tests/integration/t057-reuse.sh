#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t057-reuse - mkfs --reuse=OLD: a rebuild that takes OLD's encodings of
# unchanged files is byte-identical to a full build:
#   ALG LAYOUT       v1 built with fingerprints; v2 = v1 with files changed,
#                    added, removed and renamed; v2 built fully and with
#                    --reuse=v1.img (one and two workers): same bytes, most
#                    files reused, our fsck clean, and the kernel mounts it
#                    and reads v2 back (fingerprints checked).  For every algorithm and
#                    layout option (big pclusters, ztailpacking, fragments,
#                    dedupe, legacy indexes, 512-byte blocks), with a file of
#                    several 16 MiB segments and incompressible ones
#   damaged OLD      a pcluster of v1 overwritten: the file is not reused
#                    (a warning names it), the image is still the full one
#   tar from stdin   v2 as a tar on standard input (--tar=f): same bytes as
#                    the full tar build
#   other settings   v1 built at another level, or with another -C:
#                    nothing reused (a warning), same image
#   no fingerprints  v1 without them: a warning, same image
#   several OLDs     two --reuse images, each with part of the files
#   bad OLD          a missing or non-EROFS OLD: exit 1 naming it
# Needs root (gentree).
. "$(dirname "$0")/lib.sh"

need_root
need_tools
need_mkfs
[ "$STANDIN" = 1 ] && skip_all "erofs-utils has no --reuse"

# the kernel reads each --reuse image back (skipped, visibly, without
# erofs or loop devices)
can_mount=1 why_no_mount=
grep -qw erofs /proc/filesystems 2>/dev/null || modprobe erofs 2>/dev/null
if ! grep -qw erofs /proc/filesystems 2>/dev/null; then
	can_mount=0 why_no_mount="kernel has no erofs"
elif ! losetup -f >/dev/null 2>&1; then
	can_mount=0 why_no_mount="no free loop device"
fi

files=100 big=$((17 << 20))
[ "$HARNESS_QUICK" = 1 ] && files=40
KEY=trusted.erofs.fingerprint
# fixed build time (reproducible UUID) later than every mtime of the
# trees, so that none is clamped and the kernel reads the source's back
export SOURCE_DATE_EPOCH=20000000000

V1=$T_TMP/v1 V2=$T_TMP/v2
if ! gentree_run "$V1" --seed 57 --files "$files" >/dev/null; then
	skip_all "$T_WHY"
fi
gen_text 3000000 1 >"$V1/text.txt"
gen_text 200000 2 >"$V1/small.txt"
gen_noise 300000 3 >"$V1/noise.bin"
gen_text 500000 7 >"$V1/mid1.txt"
gen_text 600000 8 >"$V1/mid2.txt"
# several segments, cheap to compress: text, noise, then zeros
{ gen_text 2000000 4; gen_noise 1000000 5; head -c $((big - 3000000)) /dev/zero; } \
	>"$V1/big.bin"
cp "$V1/text.txt" "$V1/text-copy.txt"
rm -rf "$V2"
cp -a "$V1" "$V2"
# v2: one file changed, one added, one removed, one renamed
echo changed >>"$V2/small.txt"
gen_text 100000 6 >"$V2/added.txt"
rm -f "$V2/text-copy.txt"
mv "$V2/noise.bin" "$V2/noise-renamed.bin"

reused_of() {
	sed -n 's/^Reused from earlier images: \([0-9]*\) files.*/\1/p' "$1"
}

# case NAME MIN_REUSED OLD_OPTS_OR_- NEW_OPTS...: build v1 (OLD options,
# or the new ones for -), v2 fully and with --reuse; same bytes, at least
# MIN_REUSED files reused
rebuild_case() {
	name=$1 min=$2 oldopts=$3
	shift 3
	[ "$oldopts" = - ] && oldopts="$*"
	# shellcheck disable=SC2086
	if ! "$MKFS" $oldopts "$T_TMP/v1.img" "$V1" >"$T_TMP/mkfs.log" 2>&1; then
		fail "$name" "mkfs of v1: $(tail -n 1 "$T_TMP/mkfs.log")"
		return
	fi
	if ! "$MKFS" "$@" "$T_TMP/full.img" "$V2" >"$T_TMP/mkfs.log" 2>&1; then
		fail "$name" "full mkfs of v2: $(tail -n 1 "$T_TMP/mkfs.log")"
		return
	fi
	for wk in 1 2; do
		if ! "$MKFS" "$@" --workers=$wk --reuse="$T_TMP/v1.img" \
			"$T_TMP/re.img" "$V2" >"$T_TMP/re.log" 2>&1; then
			fail "$name workers=$wk" "mkfs --reuse: $(tail -n 1 "$T_TMP/re.log")"
			continue
		fi
		n=$(reused_of "$T_TMP/re.log")
		if ! cmp "$T_TMP/full.img" "$T_TMP/re.img" >/dev/null 2>&1; then
			fail "$name workers=$wk" "not the full build's bytes ($n files reused)"
		elif [ "${n:-0}" -lt "$min" ]; then
			fail "$name workers=$wk" "only ${n:-0} files reused (want >= $min)"
		elif [ -n "$EXPECT_WARN" ] &&
		     ! grep -q "$EXPECT_WARN" "$T_TMP/re.log"; then
			fail "$name workers=$wk" "no message '$EXPECT_WARN': $(tail -n 1 "$T_TMP/re.log")"
		elif ! our_fsck "$T_TMP/re.img"; then
			fail "$name workers=$wk" "$T_WHY"
		else
			pass "$name workers=$wk ($n reused)"
		fi
	done
	kernel_reads "$name" "$T_TMP/re.img" "$@"
}

# kernel_reads NAME IMG MKFS-OPTS...: the kernel mounts the --reuse image
# and reads v2 back, fingerprints included (they must match the content)
kernel_reads() {
	kname="$1: kernel reads it"
	kimg=$2
	shift 2
	if [ "$can_mount" != 1 ]; then
		skip "$kname" "$why_no_mount"
		return
	fi
	IMG_DIGEST_OPTS=
	case " $* " in
	*" --ishare_key=$KEY "*) IMG_DIGEST_OPTS="--check-fingerprint $KEY" ;;
	esac
	if ! mount_image "$kimg" "$T_TMP/mnt"; then
		fail "$kname" "$T_WHY"
	elif ! compare_trees "$V2" "$T_TMP/mnt"; then
		fail "$kname" "$T_WHY"
		umount_image "$T_TMP/mnt"
	else
		pass "$kname"
		umount_image "$T_TMP/mnt"
	fi
	IMG_DIGEST_OPTS=
}

# how many of v2's files a reuse can take: regular files over one block
# (smaller ones count with ztailpacking/fragments), minus the changed and
# added one; a generous floor
floor=$(($(find "$V2" -type f -size +4k | wc -l) / 2))

EXPECT_WARN=
algs="lz4 lz4hc lzma deflate zstd"
[ "$HARNESS_QUICK" = 1 ] && algs="lz4hc zstd"
for alg in $algs; do
	rebuild_case "$alg" "$floor" - -z$alg --ishare_key=$KEY
done
rebuild_case "lz4hc -C65536" "$floor" - -zlz4hc -C65536 --ishare_key=$KEY
rebuild_case "lzma -C65536 ztailpacking" "$floor" - -zlzma -C65536 \
	-Eztailpacking --ishare_key=$KEY
# files up to one pcluster are whole fragments: nothing to take
rebuild_case "lz4hc fragments" 5 - -zlz4hc -C16384 -Efragments \
	--ishare_key=$KEY
rebuild_case "lz4hc dedupe" 1 - -zlz4hc -C16384 -Ededupe --ishare_key=$KEY
rebuild_case "zstd legacy-compress" "$floor" - -zzstd -Elegacy-compress \
	--ishare_key=$KEY
# full indexes everywhere: the pclusters text-copy.txt shares are left out
rebuild_case "lz4hc dedupe legacy-compress" 1 - -zlz4hc -C16384 -Ededupe \
	-Elegacy-compress --ishare_key=$KEY
rebuild_case "lz4hc bs=512" "$floor" - -b512 -zlz4hc -C8192 --ishare_key=$KEY
# smaller inodes: what OLD stored raw is compressed again
rebuild_case "lz4 no fingerprints in the new image" 5 \
	"-zlz4 --ishare_key=$KEY" -zlz4

# tar input (from a pipe): OLD built from the directory
if tar cf "$T_TMP/v2.tar" -C "$V2" . 2>/dev/null &&
   "$MKFS" -zlz4hc --ishare_key=$KEY "$T_TMP/v1.img" "$V1" >/dev/null 2>&1 &&
   "$MKFS" -zlz4hc --ishare_key=$KEY --tar=f "$T_TMP/full.img" "$T_TMP/v2.tar" >/dev/null 2>&1 &&
   "$MKFS" -zlz4hc --ishare_key=$KEY --tar=f --reuse="$T_TMP/v1.img" \
	"$T_TMP/re.img" <"$T_TMP/v2.tar" >"$T_TMP/re.log" 2>&1; then
	n=$(reused_of "$T_TMP/re.log")
	if ! cmp "$T_TMP/full.img" "$T_TMP/re.img" >/dev/null 2>&1; then
		fail "tar from stdin" "not the full build's bytes"
	elif [ "${n:-0}" -lt "$floor" ]; then
		fail "tar from stdin" "only ${n:-0} files reused (want >= $floor)"
	else
		pass "tar from stdin ($n reused)"
	fi
else
	fail "tar from stdin" "tar or mkfs failed: $(tail -n 1 "$T_TMP/re.log" 2>/dev/null)"
fi

# other settings: nothing may be taken, the image stays the full one
EXPECT_WARN="not encoded as this build would"
rebuild_case "other level" 0 "-zlz4hc,level=4 --ishare_key=$KEY" \
	-zlz4hc,level=12 --ishare_key=$KEY
rebuild_case "other pcluster size" 0 "-zlz4hc -C16384 --ishare_key=$KEY" \
	-zlz4hc -C65536 --ishare_key=$KEY
EXPECT_WARN="nothing to reuse"
rebuild_case "old without fingerprints" 0 "-zlz4hc" -zlz4hc --ishare_key=$KEY

# a damaged OLD: the file whose pcluster was overwritten is compressed
# again (and named), the rest is reused
EXPECT_WARN=
if "$MKFS" -zlz4hc --ishare_key=$KEY "$T_TMP/v1.img" "$V1" >/dev/null 2>&1 &&
   "$MKFS" -zlz4hc --ishare_key=$KEY "$T_TMP/full.img" "$V2" >/dev/null 2>&1; then
	# text.txt's first pcluster, and its copy's (the other candidate):
	# dump -e names their physical starts
	pa=
	for f in text.txt text-copy.txt; do
		pa=$("$DUMP" -e --path=/$f "$T_TMP/v1.img" 2>/dev/null |
		     awk '$1 == "0" && $2 ~ /\.\./ { split($3, p, "."); print p[1]; exit }')
		[ -n "$pa" ] || break
		printf 'XXXXXXXXXXXXXXXX' | dd of="$T_TMP/v1.img" bs=1 \
			seek=$((pa + 2000)) conv=notrunc 2>/dev/null
	done
	if [ -z "$pa" ]; then
		fail "damaged old" "cannot find text.txt's first pcluster: $("$DUMP" -e --path=/text.txt "$T_TMP/v1.img" 2>&1 | sed -n 2p)"
	else
		if ! "$MKFS" -zlz4hc --ishare_key=$KEY --reuse="$T_TMP/v1.img" \
			"$T_TMP/re.img" "$V2" >"$T_TMP/re.log" 2>&1; then
			fail "damaged old" "mkfs --reuse: $(tail -n 1 "$T_TMP/re.log")"
		elif ! grep -q "text.txt: not reused from" "$T_TMP/re.log"; then
			fail "damaged old" "no warning naming text.txt: $(head -n 1 "$T_TMP/re.log")"
		elif ! cmp "$T_TMP/full.img" "$T_TMP/re.img" >/dev/null 2>&1; then
			fail "damaged old" "not the full build's bytes"
		else
			pass "damaged old: text.txt compressed again, same image"
		fi
	fi
else
	fail "damaged old" "mkfs failed"
fi

# two OLDs, each with half of the files: both are used
rm -rf "$T_TMP/half1" "$T_TMP/half2"
mkdir "$T_TMP/half1" "$T_TMP/half2"
cp "$V1/text.txt" "$V1/noise.bin" "$V1/mid1.txt" "$T_TMP/half1/"
cp "$V1/big.bin" "$V1/mid2.txt" "$T_TMP/half2/"
if "$MKFS" -zdeflate --ishare_key=$KEY "$T_TMP/h1.img" "$T_TMP/half1" >/dev/null 2>&1 &&
   "$MKFS" -zdeflate --ishare_key=$KEY "$T_TMP/h2.img" "$T_TMP/half2" >/dev/null 2>&1 &&
   "$MKFS" -zdeflate --ishare_key=$KEY "$T_TMP/full.img" "$V2" >/dev/null 2>&1 &&
   "$MKFS" -zdeflate --ishare_key=$KEY --reuse="$T_TMP/h1.img" \
	--reuse="$T_TMP/h2.img" "$T_TMP/re.img" "$V2" >"$T_TMP/re.log" 2>&1; then
	n=$(reused_of "$T_TMP/re.log")
	if ! cmp "$T_TMP/full.img" "$T_TMP/re.img" >/dev/null 2>&1; then
		fail "two olds" "not the full build's bytes"
	elif [ "${n:-0}" -lt 5 ]; then
		fail "two olds" "${n:-0} files reused (want 5: text.txt, noise.bin, big.bin, mid*.txt)"
	else
		pass "two olds ($n reused)"
	fi
else
	fail "two olds" "mkfs failed: $(tail -n 1 "$T_TMP/re.log" 2>/dev/null)"
fi

# OLD as IMAGE: refused before IMAGE is truncated, OLD intact
"$MKFS" -zlz4 --ishare_key=$KEY "$T_TMP/self.img" "$V1" >/dev/null 2>&1
sum1=$(cksum <"$T_TMP/self.img")
if "$MKFS" -zlz4 --ishare_key=$KEY --reuse="$T_TMP/self.img" "$T_TMP/self.img" \
	"$V2" >"$T_TMP/re.log" 2>&1; then
	fail "old is the image" "mkfs succeeded"
elif ! grep -q "it is the image being built" "$T_TMP/re.log"; then
	fail "old is the image" "wrong message: $(tail -n 1 "$T_TMP/re.log")"
elif [ "$(cksum <"$T_TMP/self.img" 2>/dev/null)" != "$sum1" ]; then
	fail "old is the image" "OLD was changed or removed"
else
	pass "old is the image: refused, OLD intact"
fi

# what cannot be read is an error naming it, and leaves no image
for old in "$T_TMP/no-such.img" "$V1/small.txt"; do
	rm -f "$T_TMP/re.img"
	if "$MKFS" -zlz4 --reuse="$old" "$T_TMP/re.img" "$V2" >"$T_TMP/re.log" 2>&1; then
		fail "bad old $(basename "$old")" "mkfs succeeded"
	elif ! grep -q -- "--reuse $old" "$T_TMP/re.log"; then
		fail "bad old $(basename "$old")" "message does not name it: $(tail -n 1 "$T_TMP/re.log")"
	elif [ -e "$T_TMP/re.img" ]; then
		fail "bad old $(basename "$old")" "a partial image was left"
	else
		pass "bad old $(basename "$old"): $(grep -- "--reuse" "$T_TMP/re.log" | head -n 1)"
	fi
done

finish
