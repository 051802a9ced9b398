#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# sharing.sh - measure in a real Linux kernel (Debian's cloud kernel under
# QEMU, software emulation) how much page cache two of our images share when
# mounted with inode_share, and check it against the prediction made from
# the files' contents.  Prints one "PASS: name" / "FAIL: name: why" /
# "SKIP: name: why" line per case, then the table
#   case / no sharing / predicted / measured
# (page-cache growth of reading image A, then image B, in MiB).
#
# How: two deterministic trees (mktree.sh: ~35 MB each, ~80 % identical
# files) become images with and without fingerprints (our mkfs,
# --ishare_key), attached read-only as virtio disks.  One boot runs every
# case in turn: drop caches, mount A, read every file, mount B (A still
# mounted), read every file, note how much "Cached:" in /proc/meminfo grew
# at each step, unmount.  "Buffers:" (the block devices' cache, which holds
# the metadata blocks and, for compressed images, cached compressed data) is
# reported apart and not compared.
#
# Prediction (independent of our dump.erofs, computed here from the trees):
# the kernel shares a file's page cache with every file already cached whose
# fingerprint value (SHA-256 of the content) and size are equal, within one
# domain_id and one read path (plain or compressed); the name of the
# fingerprint xattr plays no part.  So reading an image adds, page-rounded,
# the files whose (sha256, size, domain) group is not cached yet, or cached
# for the other read path (see predict below); without sharing it adds every
# file.  Empty files add nothing.
#
# Besides file data, "Cached:" grows by the page cache of the directories
# read (one page per directory block: ~35 one-block directories per image
# here), which the prediction adds.  Readahead adds nothing, since the kernel
# never reads ahead past a file's end and files are read whole.  What is
# left is a few pages of noise from the guest itself (busybox, /proc; under
# 40 KiB in practice), so a step may differ from its prediction by at most
# 128 KiB.  A wrong sharing decision about any file bigger than that is
# caught (the duplicate inside each tree is ~210 KiB, changed files are
# 20 KiB - 1.5 MiB, the whole common part ~30 MiB); the 16 one-page files
# are too small to be checked one by one.
#
# Our dump.erofs --fingerprint report (case dump-prediction) must give the
# same totals as this prediction, and match the same-domain measurement.
#
# Environment: TOP_BUILDDIR (default build/ in the source tree), TOP_SRCDIR,
# EROFS_QEMU_MKFS or MKFS, EROFS_QEMU_DUMP or DUMP (other mkfs.erofs and
# dump.erofs than those in TOP_BUILDDIR),
# EROFS_QEMU_REF_MKFS (erofs-utils >= 1.9 mkfs.erofs for the case checking
# that our image shares with one that erofs-utils built; default: the one in
# scripts/sid-chroot.sh's chroot once that is set up), EROFS_QEMU_WORK
# (work dir, kept if set), EROFS_QEMU_SCALE (divide the trees' large file
# sizes by N), and those of lib.sh.
set -u
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${TOP_BUILDDIR:=$TOP_SRCDIR/build}"
# shellcheck disable=SC2034 # read by lib.sh
QEMU_LIB_SELF=$TOP_SRCDIR/tests/qemu/lib.sh
. "$TOP_SRCDIR/tests/qemu/lib.sh"

PAGE=4096
SLACK_KB=128
S=inode_share
Z=cache_strategy=disabled	# else compressed data stays cached as well

# The cases: name, image A, mount options A, image B, mount options B,
# sharing key of A and of B for the prediction ("-": none; else
# domain:readpath), how files are read (dd: read(2); cat: busybox's
# sendfile, reported only).  Images: fp = with fingerprints (default key
# name), nofp = without, trusted = key trusted.erofs.fingerprint, z =
# lz4hc-compressed with fingerprints, ref = built by erofs-utils.
CASES='same-domain A-fp ro,S,domain_id=d1 B-fp ro,S,domain_id=d1 d1:plain d1:plain dd
different-domains A-fp ro,S,domain_id=d1 B-fp ro,S,domain_id=d2 d1:plain d2:plain dd
no-inode_share A-fp ro B-fp ro - - dd
no-fingerprints A-nofp ro,S,domain_id=d1 B-nofp ro,S,domain_id=d1 - - dd
other-key-name A-fp ro,S,domain_id=d1 B-trusted ro,S,domain_id=d1 d1:plain d1:plain dd
compressed-same-domain A-z ro,S,domain_id=d1,Z B-z ro,S,domain_id=d1,Z d1:z d1:z dd
plain-vs-compressed A-fp ro,S,domain_id=d1 B-z ro,S,domain_id=d1,Z d1:plain d1:z dd
ours-vs-erofs-utils A-fp ro,S,domain_id=d1 B-ref ro,S,domain_id=d1 d1:plain d1:plain dd
sendfile-read A-fp ro,S,domain_id=d1 B-fp ro,S,domain_id=d1 d1:plain d1:plain cat'
ALL_CASES="$(echo "$CASES" | cut -d' ' -f1 | grep -v sendfile) no-domain_id dump-prediction"

skip_all() {
	for c in $ALL_CASES; do echo "SKIP: $c: $1"; done
	exit 0
}
fail_all() {
	for c in $ALL_CASES; do echo "FAIL: $c: $1"; done
	exit 1
}

mkfs=${EROFS_QEMU_MKFS:-${MKFS:-$TOP_BUILDDIR/mkfs/mkfs.erofs}}
[ -x "$mkfs" ] || skip_all "no mkfs.erofs at $mkfs (build first)"
case $("$mkfs" --help 2>&1) in
*--ishare_key*) fpopt=--ishare_key ;;
*--xattr-inode-digest*) fpopt=--xattr-inode-digest ;;	# erofs-utils
*) skip_all "$mkfs does not support --ishare_key yet" ;;
esac

qemu_check_host || skip_all "$QEMU_SKIP"
qemu_fetch_kernel
case $? in 0) ;; 77) skip_all "$QEMU_SKIP" ;; *) fail_all "$QEMU_ERROR" ;; esac
qemu_build_initrd
case $? in 0) ;; 77) skip_all "$QEMU_SKIP" ;; *) fail_all "$QEMU_ERROR" ;; esac

if [ -n "${EROFS_QEMU_WORK:-}" ]; then
	work=$EROFS_QEMU_WORK
	rm -rf "$work"
else
	work=$(mktemp -d /tmp/erofs-qemu-sharing.XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
work=$(cd "$work" && pwd)
echo "kernel: $QEMU_KVER ($QEMU_KDIR)"
echo "mkfs: $mkfs $fpopt; work dir: $work"

# --- trees and images --------------------------------------------------------
MKTREE_SCALE=${EROFS_QEMU_SCALE:-1}; export MKTREE_SCALE
for v in a b; do
	sh "$TOP_SRCDIR/tests/qemu/mktree.sh" $v "$work/tree-$v" ||
		skip_all "cannot generate the test trees (openssl missing?)"
done

# mkimg NAME: build image NAME (see CASES) into $work/NAME.img; on failure
# leave the reason in $work/NAME.why
mkimg() {
	tree=$work/tree-$(echo "$1" | cut -c1 | tr AB ab)
	m=$mkfs
	case $1 in
	?-fp) set -- "$1" "$fpopt=erofs.fingerprint.v1" ;;
	?-nofp) set -- "$1" ;;
	?-trusted) set -- "$1" "$fpopt=trusted.erofs.fingerprint" ;;
	?-z) set -- "$1" "$fpopt=erofs.fingerprint.v1" -zlz4hc ;;
	?-ref)
		m=${EROFS_QEMU_REF_MKFS:-}
		chroot_sh=$TOP_SRCDIR/scripts/sid-chroot.sh
		if [ -z "$m" ] && [ -f "$chroot_sh" ] &&
		   [ -f "$(sh "$chroot_sh" path 2>/dev/null)/.erofs-tools-ready" ]; then
			# erofs-utils 1.9 in the sid chroot that t044 sets up
			m=ref_mkfs_chroot
		elif [ -z "$m" ]; then
			echo "no erofs-utils >= 1.9: set EROFS_QEMU_REF_MKFS or run scripts/sid-chroot.sh setup" > "$work/$1.why"
			return 1
		fi
		set -- "$1" --xattr-inode-digest ;;
	esac
	img=$work/$1.img; shift
	if ! "$m" "$@" "$img" "$tree" > "$img.log" 2>&1; then
		echo "$(basename "$m") $* failed: $(grep -v '^$' "$img.log" | head -n 1 | cut -c1-150)" > "$work/$(basename "$img" .img).why"
		rm -f "$img"
		return 1
	fi
}
ref_mkfs_chroot() {
	sh "$TOP_SRCDIR/scripts/sid-chroot.sh" run --bind "$work" -- mkfs.erofs "$@"
}
for i in A-fp B-fp A-nofp B-nofp B-trusted A-z B-z B-ref; do
	mkimg $i
done
for i in A-fp B-fp A-nofp B-nofp; do
	[ -f "$work/$i.img" ] || fail_all "building $i.img: $(cat "$work/$i.why")"
done

# manifest TREE > FILE: "size sha256" of each non-empty regular file
manifest() {
	find "$1" -type f -size +0 | LC_ALL=C sort | while IFS= read -r f; do
		printf '%s %s\n' "$(stat -c %s "$f")" "$(sha256sum < "$f" | cut -c1-64)"
	done
}
manifest "$work/tree-a" > "$work/A.manifest"
manifest "$work/tree-b" > "$work/B.manifest"
# dir_kb TREE: page cache of the tree's directories (one page each: they
# are all smaller than a block)
dir_kb() { echo $(( $(find "$1" -type d | wc -l) * PAGE / 1024 )); }

# predict STATE MANIFEST KEY: KiB added to the page cache by reading all
# files of MANIFEST when the fingerprints already claimed are those listed in
# STATE (the list is updated).  KEY "-" is a mount without sharing: every
# file gets its own pages.  Else KEY is DOMAIN:IMAGEKIND and a file's key is
# sha256:size:DOMAIN, as in the kernel (fs/erofs/ishare.c): the first file
# read with a key claims it for its read path; a later file with the same key
# shares if its read path is the same, and otherwise keeps its own pages
# without claiming anything (so two identical files of a compressed image
# don't share with each other once a plain image claimed their content).
# Read paths: "plain" for plain images; in compressed (z) images files of at
# most one block are assumed stored plain (compressing them cannot save a
# block, so mkfs keeps them plain), bigger ones compressed.
predict() {
	touch "$1"
	awk -v key="$3" -v state="$1" -v page=$PAGE '
		FILENAME == state { owner[$1] = $2; next }
		{
			pages = int(($1 + page - 1) / page) * page / 1024
			if (key == "-") { kb += pages; next }
			split(key, kp, ":")
			path = (kp[2] == "z" && $1 > page) ? "z" : "plain"
			k = $2 ":" $1 ":" kp[1]
			if (!(k in owner)) {
				owner[k] = path
				print k, path >> state
				kb += pages
			} else if (owner[k] != path) {
				kb += pages
			}
		}
		END { print kb + 0 }' "$1" "$2"
}

# --- the case script run in the guest ----------------------------------------
# Each image a case needs becomes the next virtio disk: vda, vdb, ...
disks='' ndisks=0
attach() {
	# attach NAME: set DEV to the guest's device for image NAME, adding
	# the image to the disks if it is new
	v=$(echo "$disks" | tr ' ' '\n' | grep -v '^$' | grep -n "/$1.img\$" | cut -d: -f1)
	if [ -z "$v" ]; then
		disks="$disks $work/$1.img"
		ndisks=$((ndisks + 1))
		v=$ndisks
	fi
	DEV=/dev/vd$(echo abcdefghijklmnopqrstuvwxyz | cut -c"$v")
}
opts() { echo "$1" | sed "s/\bS\b/$S/; s/\bZ\b/$Z/"; }

: > "$work/cases.sh"
: > "$work/skipped"
echo "$CASES" | while read -r name ia oa ib ob ka kb how; do
	why=
	for i in $ia $ib; do
		[ -f "$work/$i.img" ] || why=${why:-"image $i: $(cat "$work/$i.why")"}
	done
	if [ -n "$why" ]; then
		echo "$name $why" >> "$work/skipped"
		continue
	fi
	echo "$name $ia $oa $ib $ob $how" >> "$work/active"
done
touch "$work/active"
while read -r name ia oa ib ob how; do
	attach "$ia"; da=$DEV
	attach "$ib"; db=$DEV
	echo "measure $name $da $(opts "$oa") $db $(opts "$ob") $how" >> "$work/cases.sh"
done < "$work/active"
attach A-fp
echo "try_mount no-domain_id $DEV ro,$S" >> "$work/cases.sh"

# --- boot ---------------------------------------------------------------------
# shellcheck disable=SC2086
qemu_boot "$work/cases.sh" "$work/console.log" $disks || fail_all "$QEMU_ERROR"
echo "qemu: ${QEMU_BOOT_SECS}s for the boot that finished, $QEMU_BOOT_TRIES boot(s)"
if grep -q '^@@ error' "$work/console.log"; then
	fail_all "guest: $(grep '^@@ error' "$work/console.log" | head -n 1)"
fi

# --- results --------------------------------------------------------------------
# field CASE NAME: a key=value word of the case's result line
field() {
	grep "^@@ result case=$1 " "$work/console.log" | head -n 1 |
		tr ' ' '\n' | sed -n "s/^$2=//p"
}
has_dmesg() { grep "^@@ dmesg case=$1 " "$work/console.log" | grep -q "$2"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }
absdiff() { x=$(($1 - $2)); [ $x -lt 0 ] && x=$((-x)); echo $x; }

DIRS_A=$(dir_kb "$work/tree-a")
DIRS_B=$(dir_kb "$work/tree-b")
tola=$SLACK_KB tolb=$SLACK_KB
table=$work/table.txt
{
	echo "page cache growth, MiB: reading image A, then image B (A still mounted)"
	printf '%-23s %10s %10s %10s   %s\n' case "no sharing" predicted measured \
		"measured A + B (predicted A + B); Buffers: A + B KiB"
} > "$table"
fails=0
while read -r name ia oa ib ob ka kb how; do
	if grep -q "^$name " "$work/skipped"; then
		echo "SKIP: $name: $(grep "^$name " "$work/skipped" | cut -d' ' -f2-)"
		continue
	fi
	st=$(field "$name" status)
	if [ "$st" != ok ]; then
		echo "FAIL: $name: guest reported status=${st:-nothing}"
		fails=$((fails + 1)); continue
	fi
	ma=$(field "$name" a_cached_kb) mb=$(field "$name" b_cached_kb)
	bufa=$(field "$name" a_buffers_kb) bufb=$(field "$name" b_buffers_kb)
	rm -f "$work/state"
	pa=$(( $(predict "$work/state" "$work/A.manifest" "$ka") + DIRS_A ))
	pb=$(( $(predict "$work/state" "$work/B.manifest" "$kb") + DIRS_B ))
	na=$(( $(predict "$work/state" "$work/A.manifest" -) + DIRS_A ))
	nb=$(( $(predict "$work/state" "$work/B.manifest" -) + DIRS_B ))
	if [ "$how" = cat ]; then
		# sendfile(2)/splice on a shared file goes through the image's own
		# inode in 7.2: only reported, so that a change is noticed
		printf '%-23s %10s %10s %10s   %s + %s (%s + %s); %s + %s  [sendfile: not asserted]\n' "$name" \
			"$(mib $((na + nb)))" "$(mib $((pa + pb)))" "$(mib $((ma + mb)))" \
			"$(mib "$ma")" "$(mib "$mb")" "$(mib "$pa")" "$(mib "$pb")" "$bufa" "$bufb" >> "$table"
		if [ "$mb" -le $((nb - tolb)) ]; then
			echo "# note: $name: busybox cat (sendfile) shares: B grew $mb KiB of $nb"
		else
			echo "# note: $name: busybox cat (sendfile) does not share: B grew $mb KiB of $nb; read(2) does"
		fi
		continue
	fi
	printf '%-23s %10s %10s %10s   %s + %s (%s + %s); %s + %s\n' "$name" \
		"$(mib $((na + nb)))" "$(mib $((pa + pb)))" "$(mib $((ma + mb)))" \
		"$(mib "$ma")" "$(mib "$mb")" "$(mib "$pa")" "$(mib "$pb")" "$bufa" "$bufb" >> "$table"
	why=
	[ "$(absdiff "$ma" "$pa")" -le $tola ] ||
		why="A grew $ma KiB, predicted $pa KiB (tolerance $tola KiB)"
	[ "$(absdiff "$mb" "$pb")" -le $tolb ] ||
		why="${why:+$why; }B grew $mb KiB, predicted $pb KiB (tolerance $tolb KiB)"
	case $oa in *S,*)
		if [ "$ka" != - ] && ! has_dmesg "$name" 'page cache share support in use'; then
			why="${why:+$why; }no 'page cache share support in use' in the kernel log"
		fi ;;
	esac
	if [ "$name" = no-fingerprints ] && ! has_dmesg "$name" 'ishare xattrs not found'; then
		why="${why:+$why; }no 'ishare xattrs not found' in the kernel log"
	fi
	if [ -n "$why" ]; then
		echo "FAIL: $name: $why"; fails=$((fails + 1))
	else
		echo "PASS: $name"
	fi
done <<EOF_CASES
$CASES
EOF_CASES

st=$(field no-domain_id status)
if [ "$st" = refused ] && has_dmesg no-domain_id 'domain_id is needed'; then
	echo "PASS: no-domain_id"
else
	echo "FAIL: no-domain_id: mount status '${st:-none}'; kernel log: $(grep '^@@ dmesg case=no-domain_id ' "$work/console.log" | head -n 2 | tr '\n' ' ')"
	fails=$((fails + 1))
fi
echo "predictions include the directories' pages (A $DIRS_A KiB, B $DIRS_B KiB); tolerance per step $SLACK_KB KiB" >> "$table"

# our dump's own sharing report: its totals must equal the prediction made
# here from the trees (files only), and so match the kernel's same-domain
# measurement within the tolerance of both steps
dump=${EROFS_QEMU_DUMP:-${DUMP:-$TOP_BUILDDIR/dump/dump.erofs}}
if [ -x "$dump" ] && "$dump" --help 2>&1 | grep -q -- --fingerprint; then
	"$dump" --fingerprint --json "$work/A-fp.img" "$work/B-fp.img" > "$work/dump.json" 2> "$work/dump.err"
	dtotal=$(grep -o '"total_bytes": *[0-9]*' "$work/dump.json" | grep -o '[0-9]*$')
	dshared=$(grep -o '"shared_bytes": *[0-9]*' "$work/dump.json" | grep -o '[0-9]*$')
	rm -f "$work/state"
	ftotal=$(( $(predict "$work/state" "$work/A.manifest" -) + $(predict "$work/state" "$work/B.manifest" -) ))
	rm -f "$work/state"
	fshared=$(( $(predict "$work/state" "$work/A.manifest" d1:plain) + $(predict "$work/state" "$work/B.manifest" d1:plain) ))
	ma=$(field same-domain a_cached_kb) mb=$(field same-domain b_cached_kb)
	echo "dump.erofs --fingerprint A-fp.img B-fp.img: ${dtotal:-?} bytes without sharing, ${dshared:-?} with (files only; + directories $((DIRS_A + DIRS_B)) KiB)" >> "$table"
	if [ -z "$dtotal" ] || [ -z "$dshared" ]; then
		echo "FAIL: dump-prediction: no totals in dump.erofs --fingerprint --json output: $(head -c 200 "$work/dump.err")"
		fails=$((fails + 1))
	elif [ $((dtotal / 1024)) -ne "$ftotal" ] || [ $((dshared / 1024)) -ne "$fshared" ]; then
		echo "FAIL: dump-prediction: dump.erofs says $((dtotal / 1024)) / $((dshared / 1024)) KiB without / with sharing, the trees give $ftotal / $fshared KiB"
		fails=$((fails + 1))
	elif [ -z "${ma:-}" ] || [ -z "${mb:-}" ]; then
		echo "SKIP: dump-prediction: agrees with the trees, but the same-domain case has no measurement"
	elif [ "$(absdiff $((ma + mb)) $((dshared / 1024 + DIRS_A + DIRS_B)))" -gt $((2 * SLACK_KB)) ]; then
		echo "FAIL: dump-prediction: same-domain grew $((ma + mb)) KiB, dump.erofs predicts $((dshared / 1024)) KiB + $((DIRS_A + DIRS_B)) KiB directories"
		fails=$((fails + 1))
	else
		echo "PASS: dump-prediction"
	fi
else
	echo "SKIP: dump-prediction: $dump has no --fingerprint"
fi

echo
cat "$table"
if [ $fails -gt 0 ]; then
	echo
	echo "guest results (console log: $work/console.log):"
	grep -E '^@@ (result|error)' "$work/console.log"
fi
[ $fails -eq 0 ]
