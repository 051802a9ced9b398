#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t088-metabox - mkfs -m SIZE[:ALG] (the metabox: every inode inside the
# data of one more inode, Linux 6.17+) and --MZ (directory data next to
# the inodes).  For each option set the image is mounted by the kernel
# and equals the source (with fingerprints checked against what the
# kernel reads), our fsck is clean and --extract equals the source,
# erofs-utils 1.9's fsck --extract equals it too, the superblock names
# the metabox and the root's nid has bit 63, and the bytes do not depend
# on --workers.  The tree has a directory of several blocks, tails of
# every kind, shared xattrs and long prefixes, hard links, special files
# and a 5 MiB compressible file, whose many index entries once made our
# fsck decode a 64 KiB LZMA metabox pcluster for each one (minutes;
# checked under a timeout).  Bad -m and --MZ arguments are refused with
# nothing left behind.
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs
sid_setup

S=$T_TMP/src
mkdir -p "$S/big" "$S/sub/deeper" "$S/empty"
i=0
while [ $i -lt 300 ]; do
	echo "$i" >"$S/big/entry-with-a-rather-long-name-$i"
	i=$((i + 1))
done
gen_text 5242880 1 >"$S/text5m"
gen_noise 70000 2 >"$S/noise"
gen_text 300000 3 >"$S/sub/text"
for n in 1 100 4000 4095 5000 9000; do
	gen_text $n $n >"$S/sub/t$n"
done
: >"$S/sub/zero"
ln "$S/sub/text" "$S/sub/deeper/text-link"
ln -s ../noise "$S/sub/link"
mkfifo "$S/sub/fifo"
mknod "$S/sub/null" c 1 3
for f in "$S"/big/entry-with-a-rather-long-name-1?; do
	setfattr -n user.shared -v "the same value on ten files" "$f"
done
setfattr -n trusted.long.prefix.one -v 1 "$S/sub/t100"
setfattr -n trusted.long.prefix.two -v 2 "$S/noise"
setfattr -n user.big -v "$(gen_text 600 9)" "$S/sub/t4000"

sid_run() { "$CHROOT_SH" run --bind "$T_TMP" -- "$@" >"$T_TMP/sid.log" 2>&1; }

# mkfs SRC IMG OPTIONS...: our mkfs, log in $T_TMP/mkfs.log
mk() {
	_src=$1 _img=$2
	shift 2
	"$MKFS" --quiet -T0 --mkfs-time "$@" "$_img" "$_src" >"$T_TMP/mkfs.log" 2>&1
}

PFX=--xattr-prefix=trusted.long.prefix.
OPTS='-m4096
-zlz4hc -m4096
-zlzma -C16384 -m16384
-zlz4hc -m4096:lzma
-zlz4hc:lzma -m4096:1
-zlz4hc -Eztailpacking -Efragments -m4096
-zlz4hc -Efragments -Ededupe -m4096
-zlz4hc --zD -m4096
-zdeflate -C8192 -m8192 -Ededupe
-Eplain-xattr-prefixes -zlz4hc -m4096
-b1024 -zlz4hc -C4096 -m2048'
[ "$HARNESS_QUICK" = 1 ] && OPTS='-m4096
-zlz4hc -m4096
-zlz4hc -Eztailpacking -Efragments -m4096'

while IFS= read -r o; do
	bs=4096
	case $o in -b1024*) bs=1024 ;; esac
	name="metabox $o"
	IMG_DIGEST_OPTS="--check-fingerprint $ISHARE_KEY"
	# shellcheck disable=SC2086
	roundtrip "$name" "$S" $bs $o $PFX --ishare_key="$ISHARE_KEY" -T0 --mkfs-time || continue
	IMG_DIGEST_OPTS=
	cp "$T_TMP/img" "$T_TMP/m.img"
	"$DUMP" -s "$T_TMP/m.img" >"$T_TMP/dump.log" 2>&1
	root=$(awk -F': *' '/root nid/ { print $2 }' "$T_TMP/dump.log")
	if grep -q 'features:.* metabox' "$T_TMP/dump.log" &&
	   grep -q 'features:.* 48bit' "$T_TMP/dump.log" &&
	   grep -q 'metabox nid' "$T_TMP/dump.log" &&
	   [ "$root" = 9223372036854775808 ]; then
		pass "$name: superblock"
	else
		fail "$name: superblock" "root nid ${root:-?}, $(grep features: "$T_TMP/dump.log")"
	fi
	if "$FSCK" --check-ishare "$T_TMP/m.img" >"$T_TMP/fsck.log" 2>&1; then
		pass "$name: --check-ishare"
	else
		fail "$name: --check-ishare" "$(tail -n 1 "$T_TMP/fsck.log")"
	fi
	# a metabox nid, as our tools print it, names that inode again
	if "$DUMP" --nid="$root" "$T_TMP/m.img" >"$T_TMP/nid.log" 2>&1 &&
	   grep -q "^NID: $root\$" "$T_TMP/nid.log" &&
	   "$FSCK" --nid="$root" "$T_TMP/m.img" >"$T_TMP/fsck.log" 2>&1; then
		pass "$name: --nid=$root"
	else
		fail "$name: --nid=$root" "$(tail -n 1 "$T_TMP/nid.log") / $(tail -n 1 "$T_TMP/fsck.log")"
	fi
	# erofs-utils 1.9.4's fsck --extract reads the inline data of
	# metabox inodes as zeros, in its own images too, and fails on some
	# inline pclusters there: only its check is asked for
	if [ "$have_sid" = 1 ]; then
		if sid_run fsck.erofs "$T_TMP/m.img"; then
			pass "$name: erofs-utils' fsck"
		else
			fail "$name: erofs-utils' fsck" "$(tail -n 1 "$T_TMP/sid.log")"
		fi
	fi
	# shellcheck disable=SC2086
	if mk "$S" "$T_TMP/w1.img" -b $bs $o $PFX --ishare_key="$ISHARE_KEY" --workers=1 &&
	   cmp -s "$T_TMP/m.img" "$T_TMP/w1.img"; then
		pass "$name: same bytes with --workers=1"
	else
		fail "$name: same bytes with --workers=1" "$(tail -n 1 "$T_TMP/mkfs.log")"
	fi
done <<EOF
$OPTS
EOF

# the 64 KiB LZMA metabox that made our fsck crawl
if mk "$S" "$T_TMP/l.img" -zlzma -C65536 -m65536; then
	if timeout 300 "$FSCK" "$T_TMP/l.img" >"$T_TMP/fsck.log" 2>&1; then
		pass "64 KiB lzma metabox: fsck in time"
	else
		fail "64 KiB lzma metabox: fsck in time" "exit $? $(tail -n 1 "$T_TMP/fsck.log")"
	fi
else
	fail "64 KiB lzma metabox: mkfs" "$(tail -n 1 "$T_TMP/mkfs.log")"
fi

# extra devices are mapped after the image, whose end -m only knows
# once the metabox is placed (device 1 was mapped over the metabox)
rm -f "$T_TMP/blob"
if mk "$S" "$T_TMP/b.img" -m4096 -zlz4hc --chunksize=4096 --blobdev="$T_TMP/blob"; then
	multidev_check "metabox with --blobdev" "$S" "$T_TMP/b.img" "$T_TMP/blob"
else
	fail "metabox with --blobdev: mkfs" "$(tail -n 1 "$T_TMP/mkfs.log")"
fi

# many small inodes in a 64 KiB LZMA metabox, a shared xattr among them:
# read in no order, each read decoded a 1 MiB extent again (30,000 files
# took minutes); checked under a timeout, as a hang
M=$T_TMP/many
i=0
while [ $i -lt 20 ]; do
	mkdir -p "$M/d$i"
	j=0
	while [ $j -lt 150 ]; do
		printf '%*s' $((j * 3)) x >"$M/d$i/f$j"
		j=$((j + 1))
	done
	setfattr -n user.label -v "one label for all" "$M/d$i"/f1*
	i=$((i + 1))
done
if mk "$M" "$T_TMP/many.img" -zlzma -C65536 -m65536; then
	if timeout 300 "$FSCK" --extract="$T_TMP/many.x" "$T_TMP/many.img" >"$T_TMP/fsck.log" 2>&1 &&
	   compare_trees "$M" "$T_TMP/many.x" --ignore root,mtime; then
		pass "3,000 inodes in a 64 KiB lzma metabox: fsck --extract in time"
	else
		fail "3,000 inodes in a 64 KiB lzma metabox: fsck --extract in time" \
			"$(tail -n 1 "$T_TMP/fsck.log") $T_WHY"
	fi
else
	fail "3,000 inodes in a 64 KiB lzma metabox: mkfs" "$(tail -n 1 "$T_TMP/mkfs.log")"
fi
rm -rf "$M" "$T_TMP/many.x"

# --MZ: i is our layout anyway; d puts directory blocks first
mk "$S" "$T_TMP/plain.img" -zlz4hc
for z in --MZ=i --MZ=0; do
	if mk "$S" "$T_TMP/z.img" -zlz4hc $z && cmp -s "$T_TMP/plain.img" "$T_TMP/z.img"; then
		pass "$z: the default layout"
	else
		fail "$z: the default layout" "the image differs"
	fi
done
for z in --MZ --MZ=id; do
	roundtrip "$z" "$S" 4096 -zlz4hc $z || continue
	dirblk=$("$DUMP" --path=/big "$T_TMP/img" | awk -F': *' '/Start block/ { print $2 }')
	fileblk=$("$DUMP" --path=/noise "$T_TMP/img" | awk -F': *' '/Start block/ { print $2 }')
	if [ -n "$dirblk" ] && [ -n "$fileblk" ] && [ "$dirblk" -lt "$fileblk" ]; then
		pass "$z: directory data first"
	else
		fail "$z: directory data first" "/big at ${dirblk:-?}, /noise at ${fileblk:-?}"
	fi
	[ "$have_sid" = 1 ] && sid_extract "$z" "$S" "$T_TMP/img"
done

# refusals: a message naming the option, no image
refuse() {
	_name=$1
	shift
	rm -f "$T_TMP/r.img"
	if mk "$S" "$T_TMP/r.img" "$@"; then
		fail "refused: $_name" "mkfs accepted $*"
	elif [ -e "$T_TMP/r.img" ]; then
		fail "refused: $_name" "an image was left behind"
	elif grep -q -e "-m" -e "--MZ" -e "metabox" "$T_TMP/mkfs.log"; then
		pass "refused: $_name"
	else
		fail "refused: $_name" "$(head -n 1 "$T_TMP/mkfs.log")"
	fi
}
refuse "-m not a multiple of the block size" -m 1000
refuse "-m larger than -C" -zlz4hc -m 8192
refuse "-m with no such -z index" -zlz4hc -m 4096:3
refuse "-m with an unknown algorithm" -m 4096:bogus
refuse "-m not a size" -m x
refuse "--MZ=d without i" --MZ=d
refuse "--MZ with an unknown flag" --MZ=q
mk "$S" "$T_TMP/base.img" -zlz4hc
cp "$T_TMP/base.img" "$T_TMP/base.copy"
if "$MKFS" --quiet --incremental -m 4096 -zlz4hc "$T_TMP/base.img" "$S" \
	>"$T_TMP/mkfs.log" 2>&1; then
	fail "refused: --incremental with -m" "accepted"
elif cmp -s "$T_TMP/base.img" "$T_TMP/base.copy" && grep -q -- "-m" "$T_TMP/mkfs.log"; then
	pass "refused: --incremental with -m"
else
	fail "refused: --incremental with -m" "$(head -n 1 "$T_TMP/mkfs.log")"
fi
finish
