#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t051-compressed-roundtrip - images with compressed regular files (-z),
# mounted by the kernel and compared with the source tree (content and
# metadata, treedigest), plus our fsck / extraction and Debian's fsck.erofs
# 1.5 where it can read the image (4096-byte blocks; lz4/lz4hc, and lzma
# structurally -- Debian's 1.5 is built without liblzma, so it checks the
# indexes but cannot decode; it does not know deflate or zstd at all, so
# those get no deb-fsck line).  The matrix:
#   algorithms lz4 lz4hc zstd lzma deflate
#   x compact indexes (default) / full indexes (-E legacy-compress)
#   x no tail packing / -E ztailpacking
#   x block sizes 4096 and 512
# with one-block pclusters, plus big pclusters (-C 65536) for every
# algorithm at both block sizes.  HARNESS_QUICK=1 runs lz4hc and zstd only.
# The tree: a seeded random tree plus compressible text, noise
# (incompressible), zeros and mixed files of the sizes that matter
# (0, 1, BS-1, BS, BS+1 for both block sizes, several MiB, a 13 MiB zero
# file longer than the largest extent).  Reproducibility is checked once
# per algorithm (two builds, same bytes), and for --workers at the end.
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs
[ "$STANDIN" = 1 ] && skip_all "-z is tested with our mkfs only"
mkfs_has_option '^ *-z' ||
	skip_all "our mkfs.erofs --help does not list -z (compression not wired into mkfs/main.c yet)"

: "${ALGS:=lz4 lz4hc zstd lzma deflate}"
: "${ZBLOCK_SIZES:=4096 512}"
files=120
if [ "$HARNESS_QUICK" = 1 ]; then
	ALGS="lz4hc zstd"
	files=40
fi

src=$T_TMP/src
if ! gentree_run "$src" --seed 51 --files $files >/dev/null; then
	fail "$T_NAME tree" "$T_WHY"
	finish
fi
z=$src/zfiles
mkdir -p "$z"
for n in 0 1 511 512 513 1023 1025 4095 4096 4097 8191 8193 12388 70000; do
	gen_text $n $n >"$z/text_$n"
	gen_noise $n $((n + 1)) >"$z/noise_$n"
	head -c $n /dev/zero >"$z/zero_$n"
done
gen_text 3145728 7 >"$z/text_3M"
gen_noise 2097152 8 >"$z/noise_2M"
head -c $((13 * 1048576 + 5)) /dev/zero >"$z/zero_13M"
i=0
while [ $i -lt 20 ]; do
	gen_noise $((3000 + i * 311)) $((i + 100))
	gen_text $((5000 + i * 997)) $((i + 200))
	i=$((i + 1))
done >"$z/mixed"
ln "$z/text_70000" "$z/hardlink"
ln -s text_4097 "$z/symlink"
chmod 0600 "$z/text_4095"

# zcheck CASE: the last image really holds compressed files (incompat
# ZERO_PADDING, le32 at byte 1104, is set exactly when one is)
zcheck() {
	[ -f "$T_TMP/img" ] || return 0
	inc=$(od -An -tu4 -j1104 -N4 "$T_TMP/img" | tr -d ' ')
	if [ $((inc & 1)) = 1 ]; then
		pass "$1 compressed"
	else
		fail "$1 compressed" "no compressed file in the image (incompat $inc)"
	fi
}

REAL_DEB_FSCK=$DEB_FSCK
for alg in $ALGS; do
	# 1.5 knows lz4 and lzma only; for the others it reports "unknown
	# compression format N" as corruption, which says nothing about us
	case $alg in
	lz4|lz4hc|lzma) DEB_FSCK=$REAL_DEB_FSCK ;;
	*) DEB_FSCK=/nonexistent/fsck.erofs-1.5-cannot-read-$alg ;;
	esac
	for bs in $ZBLOCK_SIZES; do
		for idx in compact legacy; do
			for tail in plain ztail; do
				set -- -z"$alg"
				[ $idx = legacy ] && set -- "$@" -Elegacy-compress
				[ $tail = ztail ] && set -- "$@" -Eztailpacking
				rm -f "$T_TMP/img"
				roundtrip "$alg $idx $tail bs$bs" "$src" "$bs" "$@"
				zcheck "$alg $idx $tail bs$bs"
			done
		done
		rm -f "$T_TMP/img"
		roundtrip "$alg big-pcluster ztail bs$bs" "$src" "$bs" \
			-z"$alg" -C65536 -Eztailpacking
		zcheck "$alg big-pcluster ztail bs$bs"
	done
	# erofs-utils' lzma spellings: an extreme level and lc/lp/pb
	if [ "$alg" = lzma ]; then
		rm -f "$T_TMP/img"
		roundtrip "lzma extreme lc1 lp2 pb0" "$src" 4096 \
			-zlzma,level=109,lc=1,lp=2,pb=0 -C16384
		zcheck "lzma extreme lc1 lp2 pb0"
	fi
	# reproducible: same tree, same options, same bytes
	if mkfs_image "$T_TMP/r1" "$src" 4096 -z"$alg" -Eztailpacking -T 1700000000 &&
	   mkfs_image "$T_TMP/r2" "$src" 4096 -z"$alg" -Eztailpacking -T 1700000000; then
		if cmp -s "$T_TMP/r1" "$T_TMP/r2"; then
			pass "$alg reproducible"
		else
			fail "$alg reproducible" "two builds differ"
		fi
	else
		fail "$alg reproducible" "$T_WHY"
	fi
	rm -f "$T_TMP/r1" "$T_TMP/r2"
done

# --workers: the image does not depend on the number of compression
# threads.  The tree gets two files of several 16 MiB segments (the unit
# of parallel work: different threads compress them, their fingerprint is
# hashed in order) on top of the usual ones.  lz4hc and zstd, with and
# without fingerprints, are built with --workers=1, 2 and 4 and compared
# byte for byte; then a 4-thread fingerprint build and a 2-thread big
# pcluster build are mounted and checked like the rest.
if mkfs_has_option '--workers='; then
	wsrc=$T_TMP/wsrc
	rm -rf "$wsrc"
	cp -a "$src" "$wsrc"
	seq 1 3000000 >"$wsrc/zfiles/seq_big"		# 20.9 MB
	gen_noise 17000000 9 >"$wsrc/zfiles/noise_big"	# stays raw
	for alg in lz4hc zstd; do
		for fp in plain ishare; do
			set -- -z"$alg" -Eztailpacking -T 1700000000
			[ $fp = ishare ] && set -- "$@" --ishare_key="$ISHARE_KEY"
			same_for_workers "$alg $fp workers 1, 2, 4 same image" \
				"$wsrc" 4096 "1 2 4" "$@"
		done
	done
	IMG_DIGEST_OPTS="--check-fingerprint $ISHARE_KEY"
	roundtrip "zstd workers=4 ishare" "$wsrc" 4096 -zzstd -Eztailpacking \
		--workers=4 --ishare_key="$ISHARE_KEY"
	IMG_DIGEST_OPTS=
	DEB_FSCK=$REAL_DEB_FSCK
	roundtrip "lz4hc workers=2 big-pcluster" "$wsrc" 4096 -zlz4hc -C65536 \
		--workers=2
	rm -rf "$wsrc"
else
	skip "workers" "our mkfs.erofs --help does not list --workers"
fi
finish
