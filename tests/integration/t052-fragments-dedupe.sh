#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t052-fragments-dedupe - -E fragments, -E all-fragments and -E dedupe
# (the packed inode, shared pclusters), mounted by the kernel and compared
# with the source (content and metadata), checked by our fsck, extracted,
# and read by erofs-utils 1.9's fsck.erofs --extract in the sid chroot when
# it can be made (Debian's 1.5 does not know incompat 0x20 at all).
# The matrix, for every algorithm (HARNESS_QUICK=1: lz4hc and zstd):
#   fragments (compact), all-fragments (full indexes), dedupe (compact:
#   files with shared pclusters switch to full; a file that is a prefix of
#   an earlier one uses the start of its pcluster: partial reference),
#   dedupe + fragments +
#   ztailpacking + big pclusters (full)
#   x block sizes 4096 and 512
# The tree: a seeded random tree plus files that share content (copies,
# a common 200 KiB prefix with different tails, small files with equal
# tails), the sizes that matter around both block sizes, and files of
# several 16 MiB segments.  Each mode is also built with --workers=1 and 2
# and compared byte for byte, and checked to use what it claims: the
# packed inode (superblock packed_nid), shared pclusters (a smaller
# image than without dedupe), the long prefix table inside the packed
# inode (no PLAIN_XATTR_PFX).
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs
[ "$STANDIN" = 1 ] && skip_all "fragments and dedupe are tested with our mkfs only"
mkfs_has_option 'fragments' ||
	skip_all "our mkfs.erofs --help does not list -E fragments"

: "${ALGS:=lz4 lz4hc zstd lzma deflate}"
files=100
if [ "$HARNESS_QUICK" = 1 ]; then
	ALGS="lz4hc zstd"
	files=30
fi

src=$T_TMP/src
if ! gentree_run "$src" --seed 52 --files $files >/dev/null; then
	fail "$T_NAME tree" "$T_WHY"
	finish
fi
z=$src/shared
mkdir -p "$z/a" "$z/b"
for n in 1 100 511 512 513 4095 4096 4097 9000 70000; do
	gen_text $n $((n + 3)) >"$z/text_$n"
	gen_noise $n $((n + 4)) >"$z/noise_$n"
done
gen_text 300000 5 >"$z/a/doc"
cp "$z/a/doc" "$z/b/doc"			# whole-file duplicate
cp "$z/noise_70000" "$z/b/noise_copy"		# stays raw: nothing to share
{ head -c 204800 "$z/a/doc"; gen_text 50000 6; } >"$z/b/doc_v2"	# common prefix
gen_text 600000 9 >"$z/long"
head -c 250001 "$z/long" >"$z/a/prefix_of_long"	# partial reference
{ gen_text 3000 7; echo same-tail; } >"$z/a/small1"
{ gen_text 3000 8; echo same-tail; } >"$z/b/small2"
cp "$z/a/small1" "$z/b/small1"			# equal fragments
# the same 7,000-byte end after other heads: with -E all-fragments the
# first whole in the packed inode, the others their head as pclusters
# and that end as the fragment (ztails.c; a head that compresses into
# the pcluster that would end the file takes it whole)
{ gen_text 20000 34; gen_text 7000 32; } >"$z/tail3"
{ gen_noise 9000 31; gen_text 7000 32; } >"$z/a/tail1"
{ gen_noise 11000 33; gen_text 7000 32; } >"$z/b/tail2"
# the same bytes at other offsets (-E dedupe finds them anywhere):
# compressible text behind other bytes, a part of it in the middle of
# another file, and incompressible data (PLAIN blocks) shifted (which
# neither tool can share: a PLAIN block before it is never cut short)
gen_text 200000 21 >"$z/a/base"
{ gen_noise 3000 22; cat "$z/a/base"; } >"$z/b/shifted"
{ gen_text 7777 23; head -c 150000 "$z/a/base"; gen_text 5000 24; } >"$z/b/inside"
gen_noise 100000 25 >"$z/a/nbase"
{ gen_noise 1234 26; cat "$z/a/nbase"; gen_text 3000 27; } >"$z/b/nshifted"
seq 1 2500000 >"$z/seq_big"			# 17.9 MB: two segments
cp "$z/seq_big" "$z/b/seq_big_copy"
ln "$z/a/doc" "$z/hardlink"
ln -s a/doc "$z/symlink"
setfattr -n user.long.prefix.test -v v1 "$z/a/doc" 2>/dev/null || true

# the superblock's packed_nid (le64 at 1120) and feature words
sb_u64() { od -An -tu8 -j"$2" -N8 "$1" | tr -d ' '; }
sb_u32() { od -An -tu4 -j"$2" -N4 "$1" | tr -d ' '; }

# file_blocks IMG PATH [LOG]: the blocks dump.erofs says PATH stores
# (its whole report goes to LOG)
file_blocks() {
	"$DUMP" -e --path="$2" "$1" >"${3:-$T_TMP/blocks.log}" 2>&1
	awk '/^Blocks:/ { print $2 }' "${3:-$T_TMP/blocks.log}"
}

# gen_mix DIR SEED NFILES: files made of pieces of a few shared bases, at
# random offsets, with zeros, fresh text and noise between them
gen_mix() {
	python3 -c '
import os, random, sys
d, r, nf = sys.argv[1], random.Random(int(sys.argv[2])), int(sys.argv[3])
def text(n, seed):
	g = random.Random(seed)
	vocab = ["".join(g.choice("abcdefghijklmnopqrstuvwxyz")
			 for _ in range(g.randint(2, 9))) for _ in range(300)]
	out, size = [], 0
	while size < n:
		w = g.choice(vocab) + (" " if g.random() < 0.9 else "\n")
		out.append(w)
		size += len(w)
	return "".join(out)[:n].encode()
def noise(n):
	return bytes(r.getrandbits(8) for _ in range(n))
bases = [text(r.randint(50000, 250000), r.random()) for _ in range(3)]
bases.append(noise(60000))
os.makedirs(d, exist_ok=True)
for i, b in enumerate(bases):
	open(os.path.join(d, "base%d" % i), "wb").write(b)
for i in range(nf):
	parts, size = [], 0
	want = r.choice([5000, 20000, 80000, 250000])
	while size < want:
		k = r.random()
		if k < 0.6:
			b = r.choice(bases)
			o = r.randrange(len(b))
			p = b[o:o + r.randint(100, len(b) - o)]
		elif k < 0.8:
			p = text(r.randint(10, 9000), r.random())
		elif k < 0.9:
			p = bytes(r.randint(1, 20000))
		else:
			p = noise(r.randint(1, 5000))
		parts.append(p)
		size += len(p)
	open(os.path.join(d, "f%03d" % i), "wb").write(b"".join(parts))' "$@"
}

DEB_FSCK=/nonexistent/fsck.erofs-1.5-does-not-know-incompat-0x20
sid_setup

mode_opts() {
	case $1 in
	fragments) echo "-Efragments" ;;
	all-fragments) echo "-Eall-fragments,legacy-compress" ;;
	dedupe) echo "-Ededupe" ;;
	all) echo "-Ededupe,fragments,ztailpacking,legacy-compress -C16384" ;;
	esac
}

for alg in $ALGS; do
	for bs in 4096 512; do
		for mode in fragments all-fragments dedupe all; do
			name="$alg $mode bs$bs"
			# shellcheck disable=SC2046
			set -- -z"$alg" $(mode_opts $mode) \
				--xattr-prefix=user.long.prefix.
			rm -f "$T_TMP/img"
			roundtrip "$name" "$src" "$bs" "$@" || continue
			packed=$(sb_u64 "$T_TMP/img" 1120)
			inc=$(sb_u32 "$T_TMP/img" 1104)
			compat=$(sb_u32 "$T_TMP/img" 1036)
			case $mode in
			dedupe)
				if [ "$packed" = 0 ] && [ $((inc & 32)) = 32 ]; then
					pass "$name shares pclusters"
				else
					fail "$name shares pclusters" "packed_nid $packed, incompat $inc"
				fi ;;
			*)
				if [ "$packed" != 0 ] && [ $((inc & 32)) = 32 ] &&
				   [ $((compat & 16)) = 0 ]; then
					pass "$name packed inode"
				else
					fail "$name packed inode" "packed_nid $packed, incompat $inc, compat $compat"
				fi ;;
			esac
			if [ $mode = all-fragments ]; then
				t3=$(file_blocks "$T_TMP/img" /shared/tail3)
				t1=$(file_blocks "$T_TMP/img" /shared/a/tail1)
				t2=$(file_blocks "$T_TMP/img" /shared/b/tail2)
				if [ "${t3:-x}" = 0 ] && [ "${t1:-0}" -gt 0 ] &&
				   [ "${t2:-0}" -gt 0 ]; then
					pass "$name a shared end: only the tail packed"
				else
					fail "$name a shared end: only the tail packed" "blocks: tail3 ${t3:-?}, a/tail1 ${t1:-?}, b/tail2 ${t2:-?}"
				fi
			fi
			if [ $have_sid = 1 ] && [ $bs = 4096 ]; then
				sid_extract "$name" "$src"
			fi
		done
	done
done

# dedupe must find the copies: smaller than the same build without it
alg=${ALGS##* }
if mkfs_image "$T_TMP/nod" "$src" 4096 -zlz4hc &&
   mkfs_image "$T_TMP/dd" "$src" 4096 -zlz4hc -Ededupe; then
	a=$(stat -c %s "$T_TMP/nod") b=$(stat -c %s "$T_TMP/dd")
	# the copies of doc and seq_big alone are worth about 2.8 MB
	if [ $((a - b)) -gt 2000000 ]; then
		pass "dedupe saves ($a -> $b bytes)"
	else
		fail "dedupe saves" "$a -> $b bytes"
	fi
else
	fail "dedupe saves" "$T_WHY"
fi
rm -f "$T_TMP/nod" "$T_TMP/dd"

# copies of a file larger than the ends ztails.c compares (256 KiB) stay
# whole fragments, shared, and the image does not depend on which worker
# hashes which copy first (it did: a copy split at 256 KiB followed the
# result of one kept whole)
cp3=$T_TMP/copies
mkdir -p "$cp3"
gen_text 300000 41 >"$cp3/a"
cp "$cp3/a" "$cp3/b"
cp "$cp3/a" "$cp3/c"
for opts in "-zlz4hc" "-zlz4"; do
	same_for_workers "all-fragments, three copies of 300 KB ($opts): workers 1, 2, 3 same image" \
		"$cp3" 4096 "1 2 3 3 3" $opts -Eall-fragments -T 1700000000 -U 11111111-2222-3333-4444-555555555555
	if mkfs_image "$T_TMP/c1" "$cp3" 4096 $opts -Eall-fragments &&
	   [ "$(file_blocks "$T_TMP/c1" /b)" = 0 ] &&
	   [ "$(file_blocks "$T_TMP/c1" /c)" = 0 ]; then
		pass "all-fragments, three copies of 300 KB ($opts): copies whole"
	else
		fail "all-fragments, three copies of 300 KB ($opts): copies whole" "blocks of /b: $(file_blocks "$T_TMP/c1" /b), /c: $(file_blocks "$T_TMP/c1" /c)"
	fi
done
rm -rf "$cp3" "$T_TMP/c1"

# bytes of an earlier file at another offset use its pclusters: the
# shifted copies store far less than the copies themselves
off=$T_TMP/offset
mkdir -p "$off/a" "$off/b"
cp "$z/a/base" "$z/a/nbase" "$off/a/"
cp "$z/b/shifted" "$z/b/inside" "$z/b/nshifted" "$off/b/"
for opts in "-zlz4hc" "-zlz4hc -C16384" "-zzstd" "-zlzma"; do
	zalg=${opts%% *}
	case " $ALGS " in *" ${zalg#-z} "*) ;; *) continue ;; esac
	name="dedupe at any offset ($opts)"
	# shellcheck disable=SC2086
	if ! mkfs_image "$T_TMP/o1" "$off" 4096 $opts; then
		fail "$name" "$T_WHY"
		continue
	fi
	# content and metadata by the kernel, our fsck and --extract
	# shellcheck disable=SC2086
	roundtrip "$name" "$off" 4096 $opts -Ededupe || continue
	b1=$(file_blocks "$T_TMP/o1" /b/shifted)
	b2=$(file_blocks "$T_TMP/img" /b/shifted)
	# shifted: 3000 noise bytes, then the base, whose extents start
	# nowhere near where the copy's do (erofs-utils 1.9: 12 -> 2 blocks
	# with -zlz4hc, 11 -> 8 with -C16384)
	if [ "${b1:-0}" -ge 8 ] && [ "${b2:-99}" -le $((b1 - 3)) ]; then
		pass "$name shares pclusters"
	else
		fail "$name shares pclusters" "shifted: ${b1:-?} -> ${b2:-?} blocks"
	fi
	[ $have_sid = 1 ] && sid_extract "$name" "$off" "$T_TMP/img"
	# shellcheck disable=SC2086
	same_for_workers "$name workers 1, 2, 3 same image" "$off" 4096 \
		"1 2 3" $opts -Ededupe -T 1700000000
done
rm -rf "$T_TMP/o1" "$off"

# many files made of pieces of a few others at random offsets, zeros and
# noise, with the options whose rules links must keep: big pclusters
# (a pcluster of several blocks needs an extent over two lclusters),
# fragments (the tail extent starts after the last link), another
# algorithm per file (a link uses a pcluster of its own algorithm only).
# Our fsck first: an image it calls corrupt is not mounted here
mix=$T_TMP/mix
if ! command -v python3 >/dev/null 2>&1; then
	skip "dedupe mixed tree" "python3 is not installed"
elif ! gen_mix "$mix" 8 30 2>"$T_TMP/mix.log"; then
	fail "dedupe mixed tree" "$(tail -n 1 "$T_TMP/mix.log")"
else
	printf '4096 0 ^f0[0-4].*\n4096 1 .*\n' >"$T_TMP/mix.hints"
	for opts in "-zlz4hc -C8192 -Ededupe" "-zlz4hc -Ededupe,fragments" \
		    "-zlz4hc:zstd -Ededupe --compress-hints=$T_TMP/mix.hints"; do
		name="dedupe mixed ($opts)"
		# shellcheck disable=SC2086
		if ! mkfs_image "$T_TMP/mx" "$mix" 4096 $opts; then
			fail "$name" "$T_WHY"
			continue
		fi
		if ! "$FSCK" "$T_TMP/mx" >"$T_TMP/ck.log" 2>&1; then
			fail "$name fsck" "$(grep -v '^$' "$T_TMP/ck.log" | tail -n 1)"
			continue
		fi
		pass "$name fsck"
		if mount_image "$T_TMP/mx" "$T_TMP/mnt"; then
			if compare_trees "$mix" "$T_TMP/mnt"; then
				pass "$name read by the kernel"
			else
				fail "$name read by the kernel" "$T_WHY"
			fi
			umount_image "$T_TMP/mnt"
		else
			fail "$name read by the kernel" "$T_WHY"
		fi
		# shellcheck disable=SC2086
		same_for_workers "$name workers 1, 3 same image" "$mix" 4096 \
			"1 3" $opts -T 1700000000
	done
fi
rm -rf "$T_TMP/mx" "$mix"

# a file that is a prefix of an earlier one stores nothing of its own:
# its last extent uses the start of the longer file's pcluster (partial
# reference), its others are whole matches
if mkfs_image "$T_TMP/pr" "$src" 4096 -zlz4hc -Ededupe; then
	"$DUMP" -e --path=/shared/a/prefix_of_long "$T_TMP/pr" >"$T_TMP/pr.log" 2>&1
	last=$(awk '$1 ~ /^[0-9]+$/ && $2 ~ /\.\./ { l = $0 } END { print l }' "$T_TMP/pr.log")
	case " $last " in
	*" partial "*) pass "dedupe partial reference" ;;
	*) fail "dedupe partial reference" "last extent: ${last:-none}" ;;
	esac
	if mount_image "$T_TMP/pr" "$T_TMP/mnt"; then
		if cmp -s "$T_TMP/mnt/shared/a/prefix_of_long" "$z/a/prefix_of_long"; then
			pass "dedupe partial reference read by the kernel"
		else
			fail "dedupe partial reference read by the kernel" "content differs"
		fi
		umount_image "$T_TMP/mnt"
	else
		fail "dedupe partial reference read by the kernel" "$T_WHY"
	fi
	[ $have_sid = 1 ] && sid_extract "dedupe partial reference" "$src" "$T_TMP/pr"
else
	fail "dedupe partial reference" "$T_WHY"
fi
rm -f "$T_TMP/pr"

# -E fragments without dedupe: a copy of an earlier file stores no
# pcluster of its own (as erofs-utils 1.9): it uses the first copy's
# pclusters (full indexes) and fragment; also with big pclusters and
# ztailpacking
cp_src=$T_TMP/copies
mkdir -p "$cp_src/a" "$cp_src/b"
cp "$z/a/doc" "$cp_src/a/doc"
cp "$z/a/doc" "$cp_src/b/doc"
for opts in "-Efragments" "-C16384 -Efragments,ztailpacking"; do
	name="fragments copy ($opts)"
	# shellcheck disable=SC2086
	if ! mkfs_image "$T_TMP/cp" "$cp_src" 4096 -zlz4hc $opts; then
		fail "$name" "$T_WHY"
		continue
	fi
	b1=$(file_blocks "$T_TMP/cp" /a/doc)
	b2=$(file_blocks "$T_TMP/cp" /b/doc "$T_TMP/cp2.log")
	if [ "${b1:-0}" -gt 0 ] && [ "$b2" = 0 ] &&
	   grep -q '^Layout: COMPRESSED_FULL' "$T_TMP/cp2.log"; then
		pass "$name shares the pclusters"
	else
		fail "$name shares the pclusters" "blocks ${b1:-?} and ${b2:-?}"
	fi
	if mount_image "$T_TMP/cp" "$T_TMP/mnt"; then
		if cmp -s "$T_TMP/mnt/a/doc" "$z/a/doc" &&
		   cmp -s "$T_TMP/mnt/b/doc" "$z/a/doc"; then
			pass "$name read by the kernel"
		else
			fail "$name read by the kernel" "content differs"
		fi
		umount_image "$T_TMP/mnt"
	else
		fail "$name read by the kernel" "$T_WHY"
	fi
	[ $have_sid = 1 ] && sid_extract "$name" "$cp_src" "$T_TMP/cp"
	# shellcheck disable=SC2086
	same_for_workers "$name workers 1, 2, 3 same image" "$cp_src" 4096 \
		"1 2 3" -zlz4hc $opts -T 1700000000
done
rm -rf "$T_TMP/cp" "$cp_src"

# the same image for any number of workers
for mode in fragments all-fragments dedupe all; do
	# shellcheck disable=SC2046
	same_for_workers "$mode workers 1, 2, 3 same image" "$src" 4096 \
		"1 2 3" -zlz4hc $(mode_opts $mode) -T 1700000000 \
		--ishare_key="$ISHARE_KEY"
done

# fingerprints survive the packed inode (values over the whole file)
IMG_DIGEST_OPTS="--check-fingerprint $ISHARE_KEY"
roundtrip "lz4hc dedupe+fragments workers=2 ishare" "$src" 4096 -zlz4hc \
	-Ededupe,fragments --workers=2 --ishare_key="$ISHARE_KEY"
IMG_DIGEST_OPTS=
if "$FSCK" --check-ishare "$T_TMP/img" >"$T_TMP/ck.log" 2>&1; then
	pass "fragments --check-ishare"
else
	fail "fragments --check-ishare" "$(tail -n 1 "$T_TMP/ck.log")"
fi

# options that need compression say so and are ignored without -z
if mkfs_image "$T_TMP/nz" "$src" 4096 -Efragments,dedupe &&
   grep -q 'only apply to compressed files' "$T_TMP/mkfs.log"; then
	pass "fragments without -z warns"
else
	fail "fragments without -z warns" "$T_WHY $(tail -n 1 "$T_TMP/mkfs.log")"
fi
rm -f "$T_TMP/nz"
finish
