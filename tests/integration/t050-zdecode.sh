#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t050-zdecode - our compressed-data decoder (lib/zmap.c, lib/decompress.c)
# against images written by Debian's mkfs.erofs 1.5: every file of a varied
# tree must decode byte-exactly.  Our fsck.erofs --extract=DIR decodes the
# image through the library's reader and the extracted tree is compared
# with the source; dump.erofs -e of every path tells what the image
# exercised (the "stats:" line), so that a case cannot pass without its
# index format.  Cases cover LZ4 and LZ4HC, compact (4B and 2B packs) and
# legacy full indexes, big pclusters (-C), ztailpacking, and a
# damaged-image pass that must never crash.  1.5 cannot write fragments,
# lzma, deflate or zstd; those paths are covered by tests/unit/test_zmap
# and tests/unit/test_compressor.
. "$(dirname "$0")/lib.sh"

[ -x "$DEB_MKFS" ] || skip_all "$DEB_MKFS (Debian erofs-utils) not installed"
[ -x "$FSCK" ] || skip_all "$FSCK not built"
[ -x "$DUMP" ] || skip_all "$DUMP not built"
[ -x "$GENTREE" ] || skip_all "$GENTREE not built (run make check)"
[ -x "$TREEDIGEST" ] || skip_all "$TREEDIGEST not built (run make check)"

src=$T_TMP/src
if ! gentree_run "$src" --seed 50 --files 150 --name-max 254 >/dev/null; then
	fail "$T_NAME tree" "$T_WHY"
	finish
fi
# larger files: long compressible text (many lclusters, 2B packs, big
# pclusters), incompressible data (PLAIN lclusters), alternating runs
# (mixed HEAD/PLAIN), a 5000-byte file (EOF marker), an empty file
awk 'BEGIN { srand(50); for (i = 0; i < 300000; i++)
	printf "%s%s", (i % 7 ? "erofs " : "kernel "), (rand() < 0.1 ? "\n" : "") }' \
	>"$src/big_text"
gen_noise 400000 1 >"$src/big_rand"
i=0
while [ $i -lt 30 ]; do
	gen_noise 5000 $((i + 2))
	awk -v n=$i 'BEGIN { for (j = 0; j < 700; j++) printf "run%d ", n }'
	i=$((i + 1))
done >"$src/mixed"
head -c 5000 "$src/big_text" >"$src/tail5000"
: >"$src/empty"

# decode IMG: our fsck --extract of IMG gives back the contents of $src
# (metadata is t010's business); 0, or 1 with T_WHY
decode() {
	rm -rf "$T_TMP/ext"
	if ! "$FSCK" --extract="$T_TMP/ext" "$1" >"$T_TMP/fsck.log" 2>&1; then
		T_WHY="fsck --extract: $(grep -v '^$' "$T_TMP/fsck.log" | tail -n 1)"
		return 1
	fi
	compare_trees "$src" "$T_TMP/ext" \
		--ignore mtime,mtime-nsec,uid,gid,mode,nlink,dir-nlink,xattrs,hardlinks,root
}

# zstats IMG: one "stats: key=N ..." line counting what the entries of
# $src exercise in IMG, read from "dump.erofs -e --path" of each: files
# (regular and symlinks) stored flat, compressed regular files with full
# or compact indexes, with 2B packs, an inline or a big pcluster or a
# fragment, compressed directories, and paths dump could not show.
# Names may hold newlines: find -print0, one \036 line between records,
# and only lines of a known shape are read.
zstats() {
	(cd "$src" && find . -mindepth 1 -print0) |
	xargs -0 -n 1 sh -c 'printf "\036\n"
		"$0" -e --path "${2#.}" "$1" 2>&1 || echo "dump failed"' \
		"$DUMP" "$1" |
	awk '
	function flush() {
		if (type == "regular file" || type == "symlink") {
			files++
			if (layout ~ /^FLAT_/)
				flat++
		}
		if (type == "directory" && layout ~ /^COMPRESSED_/)
			zdirs++
		if (type == "regular file" && layout ~ /^COMPRESSED_/) {
			if (layout == "COMPRESSED_FULL")
				full++
			else
				compact++
			c2b += two_b; inl += has_inl; big += has_big
			frag += has_frag
		}
		type = layout = ""
		two_b = has_inl = has_big = has_frag = 0
	}
	/^\036$/ { flush(); next }
	/^Type: / { type = substr($0, 7) }
	/^Layout: / { layout = $2 }
	/^Map header: .* [1-9][0-9]* 2B\)/ { two_b = 1 }
	/^ *[0-9]+ +[0-9]+\.\.[0-9]+ / {
		if (/ inline( |$)/) has_inl = 1
		if (/ big( |$)/) has_big = 1
		if (/ packed fragment/) has_frag = 1
	}
	/^dump failed$/ { bad++ }
	END {
		flush()
		printf "stats: files=%d flat=%d full=%d compact=%d compact2b=%d inline=%d big=%d fragment=%d zdirs=%d bad=%d\n",
			files, flat, full, compact, c2b, inl, big, frag, zdirs, bad
	}'
}

# zcase NAME EXPECT MKFS-OPTIONS...: EXPECT is "key>0 ..." on zstats
zcase() {
	name=$1 expect=$2
	shift 2
	img=$T_TMP/img
	rm -f "$img"
	if ! "$DEB_MKFS" --quiet "$@" "$img" "$src" >"$T_TMP/mkfs.log" 2>&1; then
		skip "$name" "mkfs.erofs 1.5 $*: $(tail -n 1 "$T_TMP/mkfs.log")"
		return
	fi
	if ! decode "$img"; then
		fail "$name" "$T_WHY"
		return
	fi
	stats=$(zstats "$img")
	case $stats in
	*" bad=0") ;;
	*) fail "$name" "dump.erofs cannot show every path ($stats)"; return ;;
	esac
	for e in $expect; do
		key=${e%>0}
		val=$(echo "$stats" | sed -n "s/.* $key=\([0-9]*\).*/\1/p")
		if [ "${val:-0}" -eq 0 ]; then
			fail "$name" "image exercised no '$key' ($stats)"
			return
		fi
	done
	pass "$name"
	echo "    $stats"
}

zcase "lz4 compact" "compact>0 compact2b>0" -zlz4
zcase "lz4hc compact" "compact>0" -zlz4hc
zcase "lz4hc level 12" "compact>0" -zlz4hc,12
zcase "lz4 legacy full" "full>0" -zlz4 -Elegacy-compress
zcase "lz4hc big pcluster" "compact>0 big>0" -zlz4hc -C65536
zcase "lz4hc big pcluster full" "full>0 big>0" -zlz4hc -C65536 -Elegacy-compress
zcase "lz4hc ztailpacking" "compact>0 inline>0" -zlz4hc -Eztailpacking
zcase "lz4 ztailpacking full" "full>0 inline>0" -zlz4 -Elegacy-compress -Eztailpacking
zcase "lz4hc big pcluster ztailpacking" "big>0 inline>0" -zlz4hc -C131072 -Eztailpacking
zcase "lz4 extended inodes" "compact>0" -zlz4 -Eforce-inode-extended

# our own mkfs (when it offers -z): every algorithm, decoded by our fsck
# and read back by the kernel, so the MicroLZMA/DEFLATE/zstd paths are
# judged against the kernel too, not only against our own encoder
ours_case() {
	alg=$1
	name="ours $alg"
	img=$T_TMP/img
	rm -f "$img"
	if ! "$MKFS" -z"$alg" "$img" "$src" >"$T_TMP/mkfs.log" 2>&1; then
		if grep -q "not built in" "$T_TMP/mkfs.log"; then
			skip "$name" "$alg not built in"
			return
		fi
		fail "$name" "our mkfs -z$alg failed: $(grep -v '^$' "$T_TMP/mkfs.log" | tail -n 1)"
		return
	fi
	if ! decode "$img"; then
		fail "$name" "$T_WHY"
		return
	fi
	stats=$(zstats "$img")
	if ! echo "$stats" | grep -q ' \(full\|compact\)=[1-9]'; then
		fail "$name" "no compressed file in the image ($stats)"
		return
	fi
	pass "$name"
	echo "    $stats"
	if [ "$(id -u)" != 0 ] || ! grep -qw erofs /proc/filesystems; then
		skip "$name kernel" "needs root and a kernel with erofs"
		return
	fi
	if ! mount_image "$img" "$T_TMP/mnt"; then
		fail "$name kernel" "$T_WHY"
		return
	fi
	# contents only: metadata is t010's business
	if compare_trees "$src" "$T_TMP/mnt" --ignore mtime,uid,gid,mode,nlink,xattrs,hardlinks,root; then
		pass "$name kernel"
	else
		fail "$name kernel" "$T_WHY"
	fi
	umount_image "$T_TMP/mnt"
}
if [ "$STANDIN" = 1 ]; then
	skip "ours" "MKFS is the Debian stand-in"
elif [ -x "$MKFS" ] && "$MKFS" --help 2>&1 | grep -qE '^ *-z'; then
	for alg in lz4 lz4hc lzma deflate zstd; do
		ours_case "$alg"
	done
else
	skip "ours" "$MKFS does not offer -z yet"
fi

# damaged images: seeded byte flips, mostly in the first 16 KiB
# (superblock, inodes, indexes, inline tails), some anywhere; fsck.erofs
# --extract decodes every file it can reach and may report problems, but
# must never crash or hang: it must exit 0, 4, 8 or 12 (fsck(8) bits; a
# sanitizer's report exits 1, a signal or timeout above 16).
# No DIR: a damaged size must not fill the disk.  Seeds are run numbers,
# so a crash is reproduced by rerunning the script.
img=$T_TMP/img
"$DEB_MKFS" --quiet -zlz4hc -C65536 -Eztailpacking "$img" "$src" >/dev/null 2>&1
size=$(stat -c %s "$img")
crashes=""
n=0
: "${DAMAGE_RUNS:=60}"
while [ $n -lt "$DAMAGE_RUNS" ]; do
	cp "$img" "$T_TMP/bad"
	awk -v seed=$n -v size="$size" 'BEGIN { srand(seed);
		for (k = 0; k < 8; k++) {
			lim = (k % 2) ? size : 16384
			printf "%d %o\n", int(rand() * lim), int(rand() * 256) } }' |
	while read -r off val; do
		printf "\\$val" | dd of="$T_TMP/bad" bs=1 seek="$off" conv=notrunc 2>/dev/null
	done
	# a hang counts like a crash (timeout exits 124)
	if command -v timeout >/dev/null 2>&1; then
		timeout 120 "$FSCK" --extract "$T_TMP/bad" >/dev/null 2>&1
	else
		"$FSCK" --extract "$T_TMP/bad" >/dev/null 2>&1
	fi
	rc=$?
	if [ $rc != 0 ] && [ $rc != 4 ] && [ $rc != 8 ] && [ $rc != 12 ]; then
		crashes="$crashes $n"
		cp "$T_TMP/bad" "/tmp/erofs-t050-crash-$n.img"
	fi
	n=$((n + 1))
done
if [ -z "$crashes" ]; then
	pass "damaged images ($DAMAGE_RUNS seeded runs)"
else
	fail "damaged images" "crashes or hangs for seeds$crashes (kept /tmp/erofs-t050-crash-SEED.img)"
fi
finish
