#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t037-fsck-workers - fsck.erofs --workers=N decodes files in N threads,
# and nothing it prints or returns depends on N: the same lines in the
# same order, the same exit code, the same extracted tree.
#   - every image of the fuzz corpora (crafted and damaged), plain and
#     with --check-ishare, at 1 and 4 workers;
#   - valid images of a generated tree (with hard links, sparse files and
#     xattrs) in several layouts, a blob device among them: clean at any
#     N, --extract=DIR equal to the source at 1 and 3 workers;
#   - an image whose data is damaged in many places (decode errors,
#     fingerprint mismatches in several files): the same rows at 1, 2, 5;
#   - with too few file descriptors for the lanes, fewer (or none) run and
#     the output is still the same;
#   - extraction where the files written ahead cannot be linked into place
#     (a mount point inside DIR), are not written ahead (ulimit -n below
#     1024), or would take what the walk needs (a tree almost as deep as
#     ulimit -n allows, a target short of inodes): the same tree and rows
#     as one worker;
#   - erofs-utils images with a compressed metabox (an inline pcluster is
#     read by a decode inside a decode) extract equal to the source;
#   - --workers=0 and a non-number are usage errors (exit 16).
# t033 compares one and the default number of workers on every case of
# the corrupt-image corpus.
. "$(dirname "$0")/lib.sh"

need_tools
need_mkfs
[ "$STANDIN" = 1 ] && skip_all "--workers is an option of our fsck"
"$FSCK" --help 2>&1 | grep -q -e '--workers' ||
	skip_all "$FSCK --help does not list --workers"

KEY=trusted.erofs.fingerprint

# same_out NAME IMG OPTS... : fsck at 1 worker and at each of $NS the
# same output and exit code; 0 or 1 (T_WHY)
same_out() {
	_so_img=$1
	shift
	"$FSCK" --workers=1 "$@" "$_so_img" >"$T_TMP/so.1" 2>&1
	_so_rc=$?
	for _so_n in $NS; do
		"$FSCK" --workers="$_so_n" "$@" "$_so_img" >"$T_TMP/so.n" 2>&1
		_so_rcn=$?
		if [ "$_so_rc" != "$_so_rcn" ]; then
			T_WHY="exit $_so_rc at 1 worker, $_so_rcn at $_so_n"
			return 1
		fi
		if ! cmp -s "$T_TMP/so.1" "$T_TMP/so.n"; then
			T_WHY="output differs at $_so_n workers: $(diff "$T_TMP/so.1" "$T_TMP/so.n" | sed -n 2p)"
			return 1
		fi
	done
	return 0
}

# ---- the fuzz corpora: crafted images of every kind -------------------------
NS=4
step=1
[ "$HARNESS_QUICK" = 1 ] && step=4
for dir in corpus corpus-roundtrip; do
	n=0 bad=
	i=0
	for f in "$TOP_SRCDIR/tests/fuzz/$dir"/*; do
		i=$((i + 1))
		[ $((i % step)) = 0 ] || continue
		for opt in --no-xattrs --check-ishare; do
			n=$((n + 1))
			same_out "$f" "$opt" && continue
			bad="$(basename "$f") $opt: $T_WHY"
			break 2
		done
	done
	if [ -n "$bad" ]; then
		fail "fuzz $dir" "$bad"
	else
		pass "fuzz $dir ($n runs)"
	fi
done

# ---- valid images of a generated tree ----------------------------------------
src=$T_TMP/src
files=120
[ "$HARNESS_QUICK" = 1 ] && files=40
if ! gentree_run "$src" --seed 37 --files $files >/dev/null; then
	fail "$T_NAME tree" "$T_WHY"
	finish
fi
# files larger than a job's record (4 MiB for extraction), one sparse
gen_text 5000000 37 >"$src/big_text"
gen_noise 300000 38 >"$src/noise"
truncate -s 9000000 "$src/sparse"
printf tail >>"$src/sparse"
NS="2 3"
for layout in "plain|" "lz4hc-frag-dedupe|-zlz4hc -Efragments,dedupe" \
	"lzma-64k|-zlzma -C65536 -Eztailpacking" "zstd|-zzstd" \
	"chunks|--chunksize=8192"; do
	name=${layout%%|*}
	opts=${layout#*|}
	img=$T_TMP/$name.img
	# shellcheck disable=SC2086
	if ! "$MKFS" --quiet -T0 --mkfs-time --ishare_key=$KEY $opts "$img" \
		"$src" >"$T_TMP/mkfs.log" 2>&1; then
		fail "$name" "mkfs: $(tail -n 1 "$T_TMP/mkfs.log")"
		continue
	fi
	if same_out "$img" && same_out "$img" --check-ishare; then
		if [ -s "$T_TMP/so.1" ]; then
			fail "$name" "not clean: $(head -n 1 "$T_TMP/so.1")"
		else
			pass "$name: clean, same at 1, 2, 3 workers"
		fi
	else
		fail "$name" "$T_WHY"
	fi
	for n in 1 3; do
		rm -rf "$T_TMP/x$n"
		if ! "$FSCK" --workers=$n --check-ishare --extract="$T_TMP/x$n" \
			"$img" >"$T_TMP/x.log" 2>&1; then
			fail "$name extract $n" "$(head -n 1 "$T_TMP/x.log")"
		elif IMG_DIGEST_OPTS="--check-fingerprint $KEY" \
			compare_trees "$src" "$T_TMP/x$n"; then
			pass "$name extract, workers=$n"
		else
			fail "$name extract $n" "$T_WHY"
		fi
	done
done

# the blob device: --device with every worker's copy of the image
if "$MKFS" --quiet -T0 --mkfs-time --ishare_key=$KEY --chunksize=4096 \
	--blobdev="$T_TMP/blob" "$T_TMP/b.img" "$src" >"$T_TMP/mkfs.log" 2>&1; then
	NS="3"
	if ! same_out "$T_TMP/b.img" --check-ishare --device="$T_TMP/blob"; then
		fail "blobdev" "$T_WHY"
	elif [ -s "$T_TMP/so.1" ]; then
		fail "blobdev" "not clean: $(head -n 1 "$T_TMP/so.1")"
	elif ! same_out "$T_TMP/b.img" --check-ishare; then
		fail "blobdev, device not given" "$T_WHY"
	elif ! grep -q 'E_DEVICE_MISSING\|U_DEVICE_MISSING\|DEVICE_MISSING' "$T_TMP/so.1"; then
		fail "blobdev, device not given" "no DEVICE_MISSING row: $(head -n 1 "$T_TMP/so.1")"
	else
		pass "blobdev: same at 1 and 3 workers, with and without --device"
	fi
else
	fail "blobdev" "mkfs: $(tail -n 1 "$T_TMP/mkfs.log")"
fi

# ---- damage in many files: every row, in the walk's order --------------------
img=$T_TMP/lz4hc-frag-dedupe.img
if [ -f "$img" ]; then
	cp "$img" "$T_TMP/bad.img"
	size=$(stat -c %s "$img")
	# 24 bytes spread over the data area (past the first 64 KiB of
	# metadata) and the superblock checksum left alone: decode errors
	# and wrong fingerprints in many files
	k=1
	while [ $k -le 24 ]; do
		off=$((65536 + (size - 65536) / 25 * k + k * 7))
		printf '\377' | dd of="$T_TMP/bad.img" bs=1 seek=$off \
			conv=notrunc 2>/dev/null
		k=$((k + 1))
	done
	NS="2 5"
	if ! same_out "$T_TMP/bad.img" --check-ishare; then
		fail "damaged" "$T_WHY"
	elif [ "$(grep -c '^<E>' "$T_TMP/so.1")" -lt 3 ]; then
		fail "damaged" "expected several error rows: $(head -n 2 "$T_TMP/so.1" | tr '\n' ' ')"
	else
		pass "damaged: $(grep -c '^<E>' "$T_TMP/so.1") error rows, same at 1, 2, 5 workers"
	fi
	rm -rf "$T_TMP/d1" "$T_TMP/d5"
	"$FSCK" --workers=1 --extract="$T_TMP/d1" "$T_TMP/bad.img" >"$T_TMP/d1.log" 2>&1
	r1=$?
	"$FSCK" --workers=5 --extract="$T_TMP/d5" "$T_TMP/bad.img" >"$T_TMP/d5.log" 2>&1
	r5=$?
	if [ $r1 != $r5 ] || ! cmp -s "$T_TMP/d1.log" "$T_TMP/d5.log"; then
		fail "damaged extract" "exit $r1 and $r5, or other rows"
	elif ! compare_trees "$T_TMP/d1" "$T_TMP/d5"; then
		fail "damaged extract" "the trees differ: $T_WHY"
	else
		pass "damaged extract: the same tree and rows at 1 and 5 workers"
	fi
fi

# an uncompressed image with damaged data decodes fine, so the rows are
# fingerprint mismatches, hashed ahead in the workers
img=$T_TMP/plain-fp.img
if "$MKFS" --quiet -T0 --mkfs-time --ishare_key=$KEY "$img" "$src" \
	>"$T_TMP/mkfs.log" 2>&1; then
	size=$(stat -c %s "$img")
	k=1
	while [ $k -le 12 ]; do
		off=$((65536 + (size - 65536) / 13 * k + k * 11))
		printf '\377' | dd of="$img" bs=1 seek=$off conv=notrunc 2>/dev/null
		k=$((k + 1))
	done
	NS="2 5"
	if ! same_out "$img" --check-ishare; then
		fail "mismatches" "$T_WHY"
	elif ! grep -q E_ISHARE_MISMATCH "$T_TMP/so.1"; then
		fail "mismatches" "no E_ISHARE_MISMATCH row: $(head -n 1 "$T_TMP/so.1")"
	else
		pass "mismatches: $(grep -c E_ISHARE_MISMATCH "$T_TMP/so.1") rows, same at 1, 2, 5 workers"
	fi
else
	fail "mismatches" "mkfs: $(tail -n 1 "$T_TMP/mkfs.log")"
fi

# ---- extraction: files written ahead, linked, copied or not at all -----------
mp=$T_TMP/mp
mkdir -p "$mp/src/a" "$mp/src/b"
i=1
while [ $i -le 60 ]; do
	gen_text $((300 + i * 97)) $((i + 600)) >"$mp/src/a/f$i"
	gen_text $((200 + i * 53)) $((i + 700)) >"$mp/src/b/g$i"
	i=$((i + 1))
done
ln "$mp/src/b/g1" "$mp/src/b/link"
# the size of a file that ends in a hole is set, not written
printf head >"$mp/src/b/hole-end"
truncate -s 100000 "$mp/src/b/hole-end"
printf head >"$mp/src/b/mid-hole"
truncate -s 5000000 "$mp/src/b/mid-hole"
printf tail >>"$mp/src/b/mid-hole"
# modes and owners a new file does or does not get by itself
mkdir -p "$mp/src/m"
for mode in 0444 0600 0640 0664 0755 4755 2755 1777; do
	gen_text 3000 "$mode" >"$mp/src/m/f$mode"
	chmod $mode "$mp/src/m/f$mode"
done
ln -s f0444 "$mp/src/m/ln"
mkfifo "$mp/src/m/fifo"
if [ "$(id -u)" = 0 ]; then
	chown 1234:5678 "$mp/src/m/f0640" "$mp/src/m/fifo"
	chown 0:5678 "$mp/src/m/f2755"
	chown -h 1234:1234 "$mp/src/m/ln"
	chown 1234 "$mp/src/m"
fi
if "$MKFS" --quiet -T0 --mkfs-time -zlz4hc "$mp/m.img" "$mp/src" \
	>"$T_TMP/mkfs.log" 2>&1; then
	"$FSCK" --workers=1 --extract="$mp/x1" "$mp/m.img" >"$mp/x1.log" 2>&1
	r1=$?
	# a's files are made in DIR's filesystem and cannot be linked into
	# another: they are copied
	mkdir -p "$mp/x3/a"
	if [ "$(id -u)" != 0 ] || ! mount -t tmpfs none "$mp/x3/a" 2>/dev/null; then
		skip "extract over a mount point" "cannot mount a tmpfs (needs root)"
	else
		"$FSCK" --workers=3 --extract="$mp/x3" "$mp/m.img" \
			>"$mp/x3.log" 2>&1
		r3=$?
		if [ $r1 != 0 ] || [ $r3 != 0 ]; then
			fail "extract over a mount point" "exit $r1 and $r3: $(cat "$mp/x1.log" "$mp/x3.log" | head -n 1)"
		elif ! compare_trees "$mp/src" "$mp/x3"; then
			fail "extract over a mount point" "$T_WHY"
		else
			pass "extract over a mount point in DIR, 3 workers: equal to the source"
		fi
		umount "$mp/x3/a"
	fi
	if compare_trees "$mp/src" "$mp/x1"; then
		pass "extract, 1 worker: equal to the source"
	else
		fail "extract, 1 worker" "$T_WHY"
	fi
	rm -rf "$mp/x2"
	if "$FSCK" --workers=2 --extract="$mp/x2" "$mp/m.img" >"$mp/x2.log" 2>&1 &&
		compare_trees "$mp/src" "$mp/x2"; then
		pass "extract, 2 workers: equal to the source"
	else
		fail "extract, 2 workers" "$T_WHY$(head -n 1 "$mp/x2.log")"
	fi
	# a target that was there: set-group-ID, another group, a default
	# ACL (what new entries get there differs from the probe's view of
	# a fresh target), and the umask applied: the same tree at 1 and 3
	if [ "$(id -u)" = 0 ]; then
		for n in 1 3; do
			mkdir -p "$mp/s$n" "$mp/u$n" "$mp/o$n/b"
			chgrp 4321 "$mp/s$n" "$mp/o$n/b"
			chmod 2775 "$mp/s$n" "$mp/o$n/b"
			setfacl -d -m g::r-x,o::--- "$mp/s$n" "$mp/o$n/b" 2>/dev/null
			# files of b, written ahead in the target, are not
			# linked into the b that was there: made there
			"$FSCK" --workers=$n --no-preserve-owner --extract="$mp/o$n" \
				"$mp/m.img" >"$mp/o.log" 2>&1 || fail "extract into an existing tree, $n" "$(head -n 1 "$mp/o.log")"
			"$FSCK" --workers=$n --extract="$mp/s$n/t" "$mp/m.img" \
				>"$mp/s.log" 2>&1 || fail "extract into a set-group-ID target, $n" "$(head -n 1 "$mp/s.log")"
			(umask 027 && "$FSCK" --workers=$n --no-preserve \
				--extract="$mp/u$n" "$mp/m.img") >"$mp/u.log" 2>&1 ||
				fail "extract --no-preserve, $n" "$(head -n 1 "$mp/u.log")"
		done
		if ! compare_trees "$mp/s1/t" "$mp/s3/t"; then
			fail "extract into a set-group-ID target with a default ACL" "1 and 3 workers: $T_WHY"
		elif [ "$(stat -c %a:%u:%g "$mp/s3/t/m/f0640")" != 640:1234:5678 ]; then
			fail "extract into a set-group-ID target" "m/f0640 is $(stat -c %a:%u:%g "$mp/s3/t/m/f0640")"
		else
			pass "extract into a set-group-ID target with a default ACL: the same at 1 and 3 workers"
		fi
		if ! compare_trees "$mp/o1/b" "$mp/o3/b"; then
			fail "extract into an existing set-group-ID directory" "1 and 3 workers: $T_WHY"
		elif [ "$(stat -c %g "$mp/o3/b/g5")" != 4321 ]; then
			fail "extract into an existing set-group-ID directory" "b/g5 has group $(stat -c %g "$mp/o3/b/g5")"
		else
			pass "extract into an existing set-group-ID directory with a default ACL, no owners: the same at 1 and 3 workers"
		fi
		if ! compare_trees "$mp/u1" "$mp/u3"; then
			fail "extract --no-preserve, umask 027" "1 and 3 workers: $T_WHY"
		elif [ "$(stat -c %a:%u "$mp/u3/m/f0664")" != 640:0 ] ||
			[ "$(stat -c %a "$mp/u3/m/f4755")" != 4750 ]; then
			fail "extract --no-preserve, umask 027" "m/f0664 $(stat -c %a:%u "$mp/u3/m/f0664"), m/f4755 $(stat -c %a "$mp/u3/m/f4755")"
		else
			pass "extract --no-preserve with umask 027: the same at 1 and 3 workers"
		fi
	fi
	# a file that is mostly a hole (a chunk-based image keeps it), in a
	# directory that was there: the walk writes it (not linked), and a
	# hole stays a hole
	if [ "$(id -u)" = 0 ] && "$MKFS" --quiet -T0 --mkfs-time \
		--chunksize=4096 "$mp/c.img" "$mp/src" >"$T_TMP/mkfs.log" 2>&1; then
		for n in 1 3; do
			rm -rf "$mp/h$n"
			mkdir -p "$mp/h$n/b"
			"$FSCK" --workers=$n --extract="$mp/h$n" "$mp/c.img" \
				>"$mp/h.log" 2>&1 || fail "extract, holes, $n" "$(head -n 1 "$mp/h.log")"
		done
		b1=$(stat -c %b "$mp/h1/b/mid-hole") b3=$(stat -c %b "$mp/h3/b/mid-hole")
		if [ "$b1" = "$b3" ] && [ "$b1" -lt 100 ]; then
			pass "extract into an existing directory: holes stay holes at 1 and 3 workers ($b1 blocks)"
		else
			fail "extract into an existing directory, holes" "$b1 and $b3 blocks"
		fi
	fi
	# too few descriptors to hold files ahead: the walk writes them all
	(ulimit -n 512 && "$FSCK" --workers=3 --extract="$mp/x512" \
		"$mp/m.img") >"$mp/x512.log" 2>&1
	r512=$?
	if [ $r1 != $r512 ] || ! cmp -s "$mp/x1.log" "$mp/x512.log"; then
		fail "extract, ulimit -n 512" "exit $r1 and $r512, or other rows"
	elif ! compare_trees "$mp/src" "$mp/x512"; then
		fail "extract, ulimit -n 512" "$T_WHY"
	else
		pass "extract with ulimit -n 512, 3 workers: equal to the source"
	fi
else
	fail "extract, files written ahead" "mkfs: $(tail -n 1 "$T_TMP/mkfs.log")"
fi

# ---- what the walk needs, the workers' files never take ----------------------
# a chain of directories almost as deep as ulimit -n allows (the walk
# holds one open per level), each with files the workers write ahead
dp=$T_TMP/deep
levels=980
[ "$HARNESS_QUICK" = 1 ] && levels=960
python3 - "$dp/src" $levels <<'EOF2'
import os, sys
top, levels = sys.argv[1], int(sys.argv[2])
os.makedirs(top)
fd = os.open(top, os.O_RDONLY)
for i in range(levels):
    for j in range(2):
        f = os.open('f%d' % j, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(f, bytes((i * 7 + j + k) % 251 for k in range(3000)))
        os.close(f)
    os.mkdir('d', dir_fd=fd)
    n = os.open('d', os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = n
EOF2
if "$MKFS" --quiet -T0 --mkfs-time -zlz4hc "$dp/m.img" "$dp/src" \
	>"$T_TMP/mkfs.log" 2>&1; then
	ok=1
	for n in 1 2 8; do
		rm -rf "$dp/x$n"
		(ulimit -n 1024 && "$FSCK" --workers=$n --extract="$dp/x$n" \
			"$dp/m.img") >"$dp/x$n.log" 2>&1
		echo $? >>"$dp/x$n.log"
		if ! cmp -s "$dp/x1.log" "$dp/x$n.log"; then
			fail "deep extract, ulimit -n 1024" "$n workers: $(head -n 1 "$dp/x$n.log" | cut -c1-160)"
			ok=0
		fi
	done
	if [ $ok = 1 ] && [ "$(cat "$dp/x1.log")" = 0 ] &&
		compare_trees "$dp/x1" "$dp/x8"; then
		pass "extract $levels levels deep with ulimit -n 1024: the same at 1, 2, 8 workers"
	elif [ $ok = 1 ]; then
		fail "deep extract, ulimit -n 1024" "$(head -n 1 "$dp/x1.log") $T_WHY"
	fi
else
	fail "deep extract" "mkfs: $(tail -n 1 "$T_TMP/mkfs.log")"
fi

# a target with inodes for its tree and no more: the workers' files must
# not be what runs it out
if [ "$(id -u)" = 0 ]; then
	ip=$T_TMP/inodes
	mkdir -p "$ip/src/sub" "$ip/mt"
	i=1
	while [ $i -le 30 ]; do
		gen_noise 20000 $((i + 900)) >"$ip/src/sub/a$i"
		i=$((i + 1))
	done
	"$MKFS" --quiet -T0 --mkfs-time -zlz4hc "$ip/m.img" "$ip/src" \
		>"$T_TMP/mkfs.log" 2>&1
	ok=1
	for n in 1 2 2 2 3; do
		if ! mount -t tmpfs -o nr_inodes=32 none "$ip/mt" 2>/dev/null; then
			skip "extract, target short of inodes" "cannot mount a tmpfs"
			ok=2
			break
		fi
		mkdir "$ip/mt/sub"
		"$FSCK" --workers=$n --extract="$ip/mt" "$ip/m.img" >"$ip/o" 2>&1
		rc=$?
		got=$(ls "$ip/mt/sub" | wc -l)
		umount "$ip/mt"
		if [ $rc != 0 ] || [ "$got" != 30 ]; then
			fail "extract, target short of inodes" "$n workers: exit $rc, $got files: $(head -n 1 "$ip/o")"
			ok=0
		fi
	done
	[ $ok = 1 ] && pass "extract into a target with just enough inodes: whole at 1, 2 (3 runs), 3 workers"
fi

# ---- fewer descriptors than lanes: fewer lanes, or none ----------------------
if [ -f "$T_TMP/lz4hc-frag-dedupe.img" ]; then
	"$FSCK" --workers=1 --check-ishare "$T_TMP/lz4hc-frag-dedupe.img" \
		>"$T_TMP/fd1" 2>&1
	r1=$?
	for n in 8 12; do
		(ulimit -n $n && "$FSCK" --workers=40 --check-ishare \
			"$T_TMP/lz4hc-frag-dedupe.img") >"$T_TMP/fdn" 2>&1
		rn=$?
		if [ $r1 = $rn ] && cmp -s "$T_TMP/fd1" "$T_TMP/fdn"; then
			pass "40 workers with $n descriptors: the same as one"
		else
			fail "40 workers, $n descriptors" "exit $rn: $(head -n 1 "$T_TMP/fdn")"
		fi
	done
fi

# ---- erofs-utils' compressed metabox: decodes within decodes -----------------
# An inline pcluster of a file whose inode is in a compressed metabox is
# read by decoding the metabox inside the file's decode, with the image's
# one decompress context (its input buffer must not be shared then).
sid_setup
if [ "$have_sid" = 1 ]; then
	CHROOT_SH=$TOP_SRCDIR/scripts/sid-chroot.sh
	mb=$T_TMP/mb
	mkdir -p "$mb/src/d"
	i=1
	while [ $i -le 60 ]; do
		gen_text $((700 + i * 131)) $((i + 370)) >"$mb/src/d/f$i"
		i=$((i + 1))
	done
	gen_text 40000 377 >"$mb/src/big"
	for opts in "-zlz4hc -Eztailpacking -m4096" \
		"-zlzma -C16384 -Eztailpacking -m16384:lz4"; do
		rm -f "$mb/m.img"
		# shellcheck disable=SC2086
		if ! "$CHROOT_SH" run --bind "$T_TMP" -- mkfs.erofs --quiet $opts \
			"$mb/m.img" "$mb/src" >"$T_TMP/sid.log" 2>&1; then
			skip "metabox $opts" "erofs-utils refuses: $(tail -n 1 "$T_TMP/sid.log")"
			continue
		fi
		NS="4"
		ok=1
		for n in 1 4; do
			rm -rf "$mb/x$n"
			if ! "$FSCK" --workers=$n --extract="$mb/x$n" "$mb/m.img" \
				>"$T_TMP/mb.log" 2>&1; then
				fail "metabox $opts" "workers=$n: $(head -n 1 "$T_TMP/mb.log")"
				ok=0
			elif ! compare_trees "$mb/src" "$mb/x$n" --ignore root,mtime-nsec; then
				fail "metabox $opts" "workers=$n: $T_WHY"
				ok=0
			fi
		done
		[ $ok = 1 ] && pass "erofs-utils metabox ($opts): extracted equal at 1 and 4 workers"
	done
fi

# ---- usage ---------------------------------------------------------------------
for bad in 0 x 257; do
	"$FSCK" --workers=$bad "$T_TMP/plain.img" >"$T_TMP/out" 2>&1
	rc=$?
	if [ $rc = 16 ] && grep -q "invalid --workers" "$T_TMP/out"; then
		pass "--workers=$bad refused"
	else
		fail "--workers=$bad" "exit $rc: $(head -n 1 "$T_TMP/out")"
	fi
done

finish
