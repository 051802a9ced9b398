#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t044-ishare-interop - page-cache-sharing fingerprints agree with
# erofs-utils 1.9 (Debian sid, run in the chroot scripts/sid-chroot.sh
# keeps; the machine's own erofs-utils 1.5 predates the feature):
#   - its fsck.erofs --xattr-inode-digest accepts OUR images (visible and
#     hidden key), and rejects a copy with one flipped data byte, so its
#     acceptance means something;
#   - OUR fsck --check-ishare and dump --fingerprint read images IT builds
#     with mkfs.erofs --xattr-inode-digest[=NAME] (plain and lz4hc);
#   - the same file gets the same value in both images (our listing of
#     both, paths and sizes included), and the sharing report over our
#     image and its image equals the one over our image twice.
# Skips (with the reason) when the chroot cannot be made.
. "$(dirname "$0")/lib.sh"

need_root
need_tools
need_mkfs

CHROOT_SH=$TOP_SRCDIR/scripts/sid-chroot.sh
KEY=trusted.erofs.fingerprint

"$CHROOT_SH" setup >"$T_TMP/chroot.log" 2>&1
case $? in
0) ;;
77) skip_all "sid chroot unavailable: $(tail -n 1 "$T_TMP/chroot.log")" ;;
*) fail "$T_NAME" "sid-chroot.sh setup failed: $(tail -n 1 "$T_TMP/chroot.log")"; finish ;;
esac
sid() {
	"$CHROOT_SH" run --bind "$T_TMP" -- "$@"
}
ver=$(sid mkfs.erofs -V 2>/dev/null | head -n 1)
case $ver in
*" 1.9"*|*" 1.1"[0-9]*|*" 2."*) echo "sid: $ver" ;;
*) skip_all "sid's erofs-utils is '$ver', need 1.9+ for --xattr-inode-digest" ;;
esac

src=$T_TMP/src
if ! gentree_run "$src" --seed 11 --files 150 >/dev/null; then
	fail "tree" "$T_WHY"
	finish
fi
# a file whose bytes can be found in the image, to damage on purpose
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "MARKERLINE-%05d\n", i }' >"$src/marker"

# ---- 1.9's fsck on our images ----------------------------------------
for k in "--ishare_key=$KEY" --xattr-inode-digest; do
	name="sid fsck --xattr-inode-digest accepts ours ($k)"
	img=$T_TMP/ours.img
	if ! mkfs_image "$img" "$src" 4096 "$k"; then
		fail "$name" "$T_WHY"
		continue
	fi
	if sid fsck.erofs --xattr-inode-digest "$img" >"$T_TMP/out" 2>&1; then
		pass "$name"
	else
		fail "$name" "exit $?: $(grep -v '^$' "$T_TMP/out" | tail -n 1)"
	fi
done
name="sid fsck --xattr-inode-digest rejects a flipped data byte"
off=$(grep -obUa 'MARKERLINE-01234' "$T_TMP/ours.img" | head -n 1 | cut -d: -f1)
if [ -n "$off" ]; then
	cp "$T_TMP/ours.img" "$T_TMP/bad.img"
	printf 'X' | dd of="$T_TMP/bad.img" bs=1 seek="$off" conv=notrunc 2>/dev/null
	if sid fsck.erofs --xattr-inode-digest "$T_TMP/bad.img" >"$T_TMP/out" 2>&1; then
		fail "$name" "it exits 0"
	else
		pass "$name"
	fi
else
	fail "$name" "marker not found in the image"
fi

# ---- our tools on 1.9's images -----------------------------------------
list() {
	# "hex size path" (read path dropped) of every listed file
	"$DUMP" --fingerprint "$1" >"$2.raw" 2>"$2.err" || return 1
	grep -a -E '^([0-9a-f]{64}|-) ' "$2.raw" | awk '{ h = $1; s = $2; $1 = $2 = $3 = ""; sub(/^ +/, ""); print h, s, $0 }' | sort >"$2"
}
mkfs_image "$T_TMP/ours.img" "$src" 4096 --ishare_key=$KEY
if ! list "$T_TMP/ours.img" "$T_TMP/ours.list"; then
	fail "our dump --fingerprint on ours" "$(head -n 1 "$T_TMP/ours.list.err")"
fi
for v in "plain:--xattr-inode-digest=$KEY" "lz4hc:--xattr-inode-digest=$KEY -zlz4hc" "hidden:--xattr-inode-digest"; do
	tag=${v%%:*}
	opts=${v#*:}
	img=$T_TMP/sid-$tag.img
	# shellcheck disable=SC2086
	if ! sid mkfs.erofs --quiet $opts "$img" "$src" >"$T_TMP/out" 2>&1; then
		fail "sid mkfs $tag" "$(tail -n 1 "$T_TMP/out")"
		continue
	fi
	name="our fsck --check-ishare on sid's $tag image"
	"$FSCK" --check-ishare "$img" >"$T_TMP/out" 2>&1
	rc=$?
	nv=$(grep -c 'W_ISHARE_UNVERIFIED' "$T_TMP/out")
	note=
	[ "$nv" -gt 0 ] && note=" ($nv compressed files not verified: not decodable yet)"
	if [ $rc = 0 ] && ! grep -q 'E_ISHARE' "$T_TMP/out"; then
		pass "$name$note"
	else
		fail "$name" "exit $rc: $(grep -m1 '<E>' "$T_TMP/out")"
	fi
	name="our fsck --check-ishare catches a flipped byte in sid's $tag image"
	off=$(grep -obUa 'MARKERLINE-01234' "$img" | head -n 1 | cut -d: -f1)
	if [ "$tag" = lz4hc ]; then
		: # compressed: the marker text is not stored verbatim
	elif [ -z "$off" ]; then
		fail "$name" "marker not found"
	else
		cp "$img" "$T_TMP/bad.img"
		printf 'X' | dd of="$T_TMP/bad.img" bs=1 seek="$off" conv=notrunc 2>/dev/null
		"$FSCK" --check-ishare --no-sbcrc "$T_TMP/bad.img" >"$T_TMP/out" 2>&1
		rc=$?
		if [ $rc != 0 ] && grep -q 'E_ISHARE_MISMATCH.*/marker' "$T_TMP/out"; then
			pass "$name"
		else
			fail "$name" "exit $rc: $(grep -m1 '<E>' "$T_TMP/out")"
		fi
	fi
	if [ "$tag" = lz4hc ]; then
		name="our dump --fingerprint shows the compressed read path"
		if "$DUMP" --fingerprint "$img" 2>/dev/null | grep -a -q -E '^[0-9a-f]{64} +[0-9]+ compressed '; then
			pass "$name"
		else
			fail "$name" "no file listed as compressed in sid's lz4hc image"
		fi
	fi
	name="same values in sid's $tag image and ours"
	if list "$img" "$T_TMP/sid.list"; then
		if cmp -s "$T_TMP/ours.list" "$T_TMP/sid.list"; then
			pass "$name ($(grep -c -v '^- ' "$T_TMP/sid.list") fingerprints)"
		else
			fail "$name" "$(diff "$T_TMP/ours.list" "$T_TMP/sid.list" | grep -c '^[<>]') lines differ, e.g. $(diff "$T_TMP/ours.list" "$T_TMP/sid.list" | grep -a -m1 '^[<>]' | cut -c1-120)"
		fi
	else
		fail "$name" "dump: $(head -n 1 "$T_TMP/sid.list.err")"
	fi
	if [ "$tag" = plain ]; then
		# sid's image adds nothing once ours is mounted: the report over
		# (ours, sid's) equals the one over (ours, ours)
		name="report: sid's plain image shares every file with ours"
		if "$DUMP" --fingerprint --json "$T_TMP/ours.img" "$img" >"$T_TMP/rep1.json" 2>"$T_TMP/out" &&
		   "$DUMP" --fingerprint --json "$T_TMP/ours.img" "$T_TMP/ours.img" >"$T_TMP/rep2.json" 2>>"$T_TMP/out" &&
		   command -v python3 >/dev/null 2>&1; then
			r=$(python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
k = ("total_bytes", "shared_bytes", "saved_bytes")
print("ok" if [a[x] for x in k] == [b[x] for x in k] and a["saved_bytes"] > 0 else
      "ours+sid %s, ours+ours %s" % ([a[x] for x in k], [b[x] for x in k]))' "$T_TMP/rep1.json" "$T_TMP/rep2.json" 2>&1)
			if [ "$r" = ok ]; then
				pass "$name"
			else
				fail "$name" "$r"
			fi
		else
			skip "$name" "dump --json failed or python3 missing: $(head -n 1 "$T_TMP/out")"
		fi
	fi
done

# ---- image size: ours no larger than 1.9's -----------------------------
# The same tree and options; metadata packing (best-fit holes for inline
# tails) and compression choices both count.  /usr/share is in bench/.
for opts in "-T0" "-T0 -zlz4hc" "-T0 -zlz4hc -Eztailpacking"; do
	name="image size no larger than 1.9's ($opts)"
	# shellcheck disable=SC2086
	if ! mkfs_image "$T_TMP/ours.img" "$src" 4096 $opts; then
		fail "$name" "$T_WHY"
		continue
	fi
	# shellcheck disable=SC2086
	if ! sid mkfs.erofs $opts "$T_TMP/sid.img" "$src" >"$T_TMP/out" 2>&1; then
		fail "$name" "sid mkfs: $(tail -n 1 "$T_TMP/out")"
		continue
	fi
	a=$(stat -c %s "$T_TMP/ours.img") b=$(stat -c %s "$T_TMP/sid.img")
	if [ "$a" -le "$b" ]; then
		pass "$name ($a <= $b bytes)"
	else
		fail "$name" "ours $a bytes, 1.9's $b bytes"
	fi
done

finish
