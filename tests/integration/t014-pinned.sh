#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t014-pinned - the exact bytes of a set of images, pinned by SHA-256.
# A safety net for work that must not change the output (restructuring
# the writer, helpers, speed-ups): each case builds one image from a
# manifest tree (tests/integration/manifests) with fixed -T and -U and
# compares its hash with the one written below.  A change that is meant
# to alter images updates these hashes in the same commit and says why;
# run with PINNED_PRINT=1 to print the current table.  The hashes also
# depend on the compression libraries' output, so a new liblz4/libzstd/
# liblzma/libdeflate may move them (the case names the library in use).
# Needs root (gentree), not a mount.
. "$(dirname "$0")/lib.sh"

need_root
need_tools
need_mkfs
[ "$STANDIN" = 1 ] && skip_all "pinned hashes are of our mkfs"

UUID=1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9
EPOCH=1700000000
unset SOURCE_DATE_EPOCH

all=$T_TMP/alltypes zmix=$T_TMP/zmix
gentree_run "$all" --manifest "$T_SRCDIR/manifests/alltypes.manifest" >/dev/null ||
	skip_all "$T_WHY"
gentree_run "$zmix" --manifest "$T_SRCDIR/manifests/zmix.manifest" >/dev/null ||
	skip_all "$T_WHY"
# a tar of the zmix tree in name order, GNU format (no pax times)
tar -C "$zmix" --sort=name --format=gnu --numeric-owner -cf "$T_TMP/zmix.tar" . ||
	skip_all "tar of the zmix tree failed"

# NAME TREE HASH OPTIONS...  (TREE: all, zmix or tar)
cat >"$T_TMP/cases" <<'CASES'
plain-alltypes all 96af381998c43da357d8ce09c90e235822918c54c6f2b508c93ba83244d1a0a5 -b4096
plain-zmix-512 zmix f2e213ea23e3d776a6cb613cb194214c37bd52b750768514ccbc841ce8482233 -b512
fingerprints-alltypes all 053ab067a0af1014077ecff121431d850211e197b3c63cd95643841c60169b09 -b4096 --ishare_key=trusted.erofs.fingerprint
lz4-frag-dedupe zmix 21ea5065875368b21490b0eb7b59fbbe756b647ef3a680841634529ed6256d57 -b4096 -zlz4 -Efragments,dedupe
zstd-zD zmix b43823b4fa5b63043b32cdabc2d9087b66001cbfdc07c406ff2937c78abe10f7 -b4096 -zzstd --zD
lzma-ztail-1k zmix 2a81f189a9a335d6c3360787779605cfbf823b126a6e3e95d5818a4333d6798d -b1024 -zlzma -Eztailpacking
lz4hc-allfrag zmix a0c3592c288a5275c696d5a6f1a142a3c729bfc3b81a6e7e2041fd5e7a9e9026 -b4096 -zlz4hc -Eall-fragments
lz4hc-big-fp zmix a42b71bdc463cd4475a7e4b67ba273aa8373d1bea6fae52786c7c6ec1b60b0f3 -b4096 -zlz4hc,12 -C65536 --ishare_key=trusted.erofs.fingerprint
deflate-legacy zmix b1eea5b0099d1f271a936a294535d996e7355a2cc52f11b17d81792cf8af8999 -b2048 -zdeflate -Elegacy-compress
dedupe-workers1 zmix 019857d17a3be57a7933e847305061cfb5f07c20d6cc8c5cfcd742667cdcd585 -b4096 -zlz4hc -C16384 -Ededupe,ztailpacking --workers=1
dedupe-workers4 zmix 019857d17a3be57a7933e847305061cfb5f07c20d6cc8c5cfcd742667cdcd585 -b4096 -zlz4hc -C16384 -Ededupe,ztailpacking --workers=4
tar-lz4hc tar 873ef4eeb899fec0c410d1bf908d354441ab34833a1d0428bda4ea425cc47c41 -b4096 --tar=f -zlz4hc -Efragments
CASES

while read -r name tree want opts; do
	case $tree in
	all) src=$all ;;
	zmix) src=$zmix ;;
	tar) src=$T_TMP/zmix.tar ;;
	esac
	rm -f "$T_TMP/img"
	# shellcheck disable=SC2086
	if ! "$MKFS" --quiet $opts -T "$EPOCH" -U "$UUID" "$T_TMP/img" "$src" \
		>"$T_TMP/mkfs.log" 2>&1; then
		fail "$name" "mkfs $opts: $(grep -v '^$' "$T_TMP/mkfs.log" | tail -n 1)"
		continue
	fi
	got=$(sha256sum "$T_TMP/img" | cut -d' ' -f1)
	if [ "${PINNED_PRINT:-0}" = 1 ]; then
		echo "    $name $tree $got $opts"
	fi
	if [ "$got" = "$want" ]; then
		pass "$name"
	else
		fail "$name" "image changed: sha256 $got, pinned $want (mkfs $opts)"
	fi
done <"$T_TMP/cases"

finish
