#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t072-fuse.sh - erofsfuse shows the same tree the kernel would: images of
# manifests/alltypes.manifest and of a seeded random tree in several layouts
# (plain at 4096- and 512-byte blocks, lz4hc, lzma + ztailpacking, lz4hc +
# fragments + dedupe, fingerprints visible and hidden), one built by
# Debian's mkfs.erofs 1.5, one behind --offset, are mounted through FUSE and
# compared with the source by treedigest on every field it knows: content,
# type, mode, uid, gid, size, mtime with nanoseconds, nlink, rdev, symlink
# targets, xattrs including POSIX ACLs, hard link groups.  Nothing is
# excluded: the mounts are made by root, and -o default_permissions (which
# erofsfuse implies) lets root read everything, as with the kernel.
# The other layouts of the round-trip tests (t013, t051, t081, t084) on a
# random tree, and images of erofs-utils 1.9 (Debian sid) in eight.
# Also: statfs, inode numbers are nids, an unprivileged mount, usage errors,
# and the corrupted-image corpus (tests/corrupt) and a sample of the
# reader's fuzz corpus walked through FUSE by two readers at once: the
# multi-threaded daemon must neither crash nor hang, whatever the image
# says.
. "$(dirname "$0")/lib.sh"

: "${EROFSFUSE:=$TOP_BUILDDIR/fuse/erofsfuse}"
: "${SEEDS:=7}"

need_root
need_tools
need_mkfs
[ -x "$EROFSFUSE" ] || skip_all "$EROFSFUSE not built (configure found no libfuse3)"
[ -c /dev/fuse ] || skip_all "/dev/fuse missing"
command -v fusermount3 >/dev/null 2>&1 || skip_all "fusermount3 missing (Debian package fuse3)"

# fuse_mount IMG DIR [erofsfuse options]: erofsfuse -f in the background
# (its log in $T_TMP/fuse.log, its pid in FUSE_PID); waits up to 10 s for
# the mount to appear.  1 with T_WHY if it exits or never mounts.
fuse_mount() {
	_fm_img=$1 _fm_dir=$2
	shift 2
	mkdir -p "$_fm_dir"
	"$EROFSFUSE" -f "$@" "$_fm_img" "$_fm_dir" >"$T_TMP/fuse.log" 2>&1 &
	FUSE_PID=$!
	_fm_n=0
	while ! mountpoint -q "$_fm_dir"; do
		if ! kill -0 "$FUSE_PID" 2>/dev/null; then
			wait "$FUSE_PID"
			T_WHY="erofsfuse exited ($?): $(head -n 1 "$T_TMP/fuse.log")"
			return 1
		fi
		_fm_n=$((_fm_n + 1))
		if [ "$_fm_n" -gt 100 ]; then
			kill "$FUSE_PID" 2>/dev/null
			wait "$FUSE_PID"
			T_WHY="no mount after 10 s"
			return 1
		fi
		sleep 0.1
	done
	echo "$_fm_dir" >>"$T_TMP/.mounts"
}

# fuse_umount DIR: fusermount3 -u, then erofsfuse must exit 0 (not die of
# a signal) within 10 s; 1 with T_WHY otherwise
fuse_umount() {
	_fu_dir=$1
	grep -vxF "$_fu_dir" "$T_TMP/.mounts" >"$T_TMP/.mounts.new"
	mv "$T_TMP/.mounts.new" "$T_TMP/.mounts"
	if ! fusermount3 -u "$_fu_dir" 2>"$T_TMP/umount.err"; then
		T_WHY="fusermount3 -u: $(head -n 1 "$T_TMP/umount.err")"
		umount -l "$_fu_dir" 2>/dev/null
		kill "$FUSE_PID" 2>/dev/null
		wait "$FUSE_PID"
		return 1
	fi
	_fu_n=0
	while kill -0 "$FUSE_PID" 2>/dev/null; do
		_fu_n=$((_fu_n + 1))
		if [ "$_fu_n" -gt 100 ]; then
			kill -9 "$FUSE_PID"
			wait "$FUSE_PID"
			T_WHY="erofsfuse still running 10 s after unmount"
			return 1
		fi
		sleep 0.1
	done
	wait "$FUSE_PID"
	_fu_rc=$?
	if [ "$_fu_rc" != 0 ]; then
		T_WHY="erofsfuse exited $_fu_rc: $(grep -v '^$' "$T_TMP/fuse.log" | tail -n 1)"
		return 1
	fi
}

# fuse_case NAME SRC IMG [erofsfuse options]: mount, compare with SRC
# (IMG_DIGEST_OPTS for the mounted side, CASE_DIGEST_OPTS for both),
# unmount; one result line
fuse_case() {
	_fc_name=$1 _fc_src=$2 _fc_img=$3
	shift 3
	_fc_mnt=$T_TMP/mnt
	if ! fuse_mount "$_fc_img" "$_fc_mnt" "$@"; then
		fail "$_fc_name" "$T_WHY"
		return
	fi
	# shellcheck disable=SC2086
	compare_trees "$_fc_src" "$_fc_mnt" ${CASE_DIGEST_OPTS:-}
	_fc_rc=$? _fc_why=${T_WHY:-}
	if ! fuse_umount "$_fc_mnt"; then
		fail "$_fc_name" "$T_WHY"
	elif [ "$_fc_rc" != 0 ]; then
		fail "$_fc_name" "$_fc_why"
	else
		pass "$_fc_name"
	fi
}

# layout_cases TREE SRC: our mkfs in every layout, each mounted and compared
layout_cases() {
	_lc_tree=$1 _lc_src=$2
	for layout in plain-4096 plain-512 lz4hc lzma-ztailpacking \
		      lz4hc-fragments-dedupe ishare ishare-hidden; do
		bs=4096 IMG_DIGEST_OPTS=
		case $layout in
		plain-4096) set -- ;;
		plain-512) set -- ; bs=512 ;;
		lz4hc) set -- -zlz4hc ;;
		lzma-ztailpacking) set -- -zlzma -Eztailpacking ;;
		lz4hc-fragments-dedupe) set -- -zlz4hc -Efragments,dedupe ;;
		# trusted.: a known prefix, so the fingerprint is listed and
		# must hash the content FUSE reads
		ishare) set -- --ishare_key=trusted.erofs.fingerprint
			IMG_DIGEST_OPTS="--check-fingerprint trusted.erofs.fingerprint" ;;
		# the default name has no known prefix: hidden, as the
		# kernel hides it, so the plain comparison must pass
		ishare-hidden) set -- --xattr-inode-digest ;;
		esac
		if ! mkfs_image "$T_TMP/img" "$_lc_src" "$bs" "$@"; then
			fail "$_lc_tree $layout" "$T_WHY"
			continue
		fi
		fuse_case "$_lc_tree $layout" "$_lc_src" "$T_TMP/img"
		# (read by compare_trees in lib.sh)
		# shellcheck disable=SC2034
		IMG_DIGEST_OPTS=
	done
}

src=$T_TMP/src
if gentree_run "$src" --manifest "$T_SRCDIR/manifests/alltypes.manifest" >/dev/null; then
	layout_cases alltypes "$src"
else
	fail alltypes "$T_WHY"
fi

# statfs, inode numbers and errors on the last alltypes image (fingerprints
# hidden): a mount is needed for each, so they share one
if [ -f "$T_TMP/img" ] && fuse_mount "$T_TMP/img" "$T_TMP/mnt"; then
	mnt=$T_TMP/mnt
	bs=$(stat -f -c %S "$mnt") blocks=$(stat -f -c %b "$mnt")
	size=$(stat -c %s "$T_TMP/img")
	if [ "$bs" = 4096 ] && [ "$((blocks * bs))" = "$size" ]; then
		pass "statfs"
	else
		fail "statfs" "block size $bs, $blocks blocks for a $size-byte image"
	fi
	# every name dump.erofs resolves has the nid dump.erofs prints
	bad=
	for p in / /dir /hl/a/orig /hl/b/link1 /hl/link2 /links/short /dev/max /dev/fifo /sizes/512; do
		[ -e "$mnt$p" ] || [ -L "$mnt$p" ] || continue
		nid=$("$DUMP" --path="$p" "$T_TMP/img" 2>/dev/null |
		      sed -n 's/^NID: *\([0-9]*\).*/\1/p' | head -n 1)
		ino=$(stat -c %i "$mnt$p")
		[ -n "$nid" ] && [ "$nid" = "$ino" ] || bad="$bad $p($ino/${nid:-?})"
	done
	if [ -z "$bad" ]; then
		pass "inode numbers are nids"
	else
		fail "inode numbers are nids" "ino/nid:$bad"
	fi
	if ! cat "$mnt/no-such-file" 2>/dev/null &&
	   ! touch "$mnt/new" 2>/dev/null &&
	   ! cat "$mnt/sizes/one/x" 2>/dev/null; then
		pass "ENOENT, EROFS, ENOTDIR"
	else
		fail "ENOENT, EROFS, ENOTDIR" "a missing file, a write or a path through a file worked"
	fi
	# libfuse 3.14 warned at every multi-threaded mount when handed its
	# own "unset" idle-thread count
	if grep -q "Ignoring invalid" "$T_TMP/fuse.log"; then
		fail "quiet multi-threaded mount" "$(grep -m 1 "Ignoring invalid" "$T_TMP/fuse.log")"
	else
		pass "quiet multi-threaded mount"
	fi
	if fuse_umount "$mnt"; then
		pass "unmount after statfs"
	else
		fail "unmount after statfs" "$T_WHY"
	fi
else
	fail "statfs" "${T_WHY:-no image}"
fi

for seed in $SEEDS; do
	if gentree_run "$src" --seed "$seed" --files 150 >/dev/null; then
		layout_cases "random seed=$seed files=150" "$src"
	else
		fail "random seed=$seed" "$T_WHY"
	fi
done

# the other layouts the round-trip tests build (t013, t051, t081, t084),
# on one random tree: every index form, algorithm and inode shape
gentree_run "$src" --seed 11 --files 120 >/dev/null
while IFS='|' read -r name bs opts <&3; do
	# shellcheck disable=SC2086
	if ! mkfs_image "$T_TMP/img" "$src" "$bs" $opts; then
		fail "layout $name" "$T_WHY"
		continue
	fi
	CASE_DIGEST_OPTS=
	# a compact inode has no time of its own (implies --ignore-mtime)
	[ "$name" = compact ] && CASE_DIGEST_OPTS="--ignore mtime"
	fuse_case "layout $name" "$src" "$T_TMP/img"
	CASE_DIGEST_OPTS=
done 3<<EOF
noinline|4096|-E noinline_data
compact|4096|-E force-inode-compact
extended|4096|-E force-inode-extended
nofilter|4096|-E ^xattr-name-filter
share-all|4096|-x 0
prefixes|4096|--xattr-prefix=user. --xattr-prefix=trusted.overlay.
lz4-legacy-index|4096|-zlz4hc -E legacy-compress
lz4-bigpcluster|4096|-zlz4hc -C65536
lz4-512|512|-zlz4hc
zstd|4096|-zzstd
deflate|4096|-zdeflate
lzma-all-fragments|4096|-zlzma -Eall-fragments
48bit|4096|-E 48bit
48bit-lz4|4096|-E 48bit -zlz4hc
dot-omitted|4096|-E dot-omitted
chunks|4096|--chunksize=4096
chunk-indexes|4096|--chunksize=65536 -E force-chunk-indexes
EOF

# images of erofs-utils 1.9 (Debian sid's mkfs.erofs, in the chroot)
sid_setup
if [ "$have_sid" = 1 ]; then
	while IFS='|' read -r name opts <&3; do
		# shellcheck disable=SC2086
		if ! "$CHROOT_SH" run --bind "$T_TMP" -- mkfs.erofs --quiet $opts \
			"$T_TMP/sid.img" "$src" >"$T_TMP/sid.log" 2>&1; then
			fail "erofs-utils-1.9 $name" "$(tail -n 1 "$T_TMP/sid.log")"
			continue
		fi
		# its 48-bit compact inodes drop the nanoseconds and wrap times
		# from 2^32 s on (its bugs: the kernel shows the same)
		CASE_DIGEST_OPTS=
		case $name in 48bit*) CASE_DIGEST_OPTS="--ignore mtime" ;; esac
		fuse_case "erofs-utils-1.9 $name" "$src" "$T_TMP/sid.img"
		CASE_DIGEST_OPTS=
	done 3<<EOF
plain|
lz4hc|-zlz4hc
lzma-ztailpacking|-zlzma -Eztailpacking
fragments-dedupe|-zlz4hc -Eall-fragments,dedupe,fragdedupe=inode
zstd|-zzstd
deflate|-zdeflate
48bit|-E48bit -zlz4hc
chunks|--chunksize=4096
EOF
fi

# four readers at once over every regular file, in different orders, on
# a compressed image whose small files share fragments: the daemon's
# lanes and read sessions must give each reader the source's bytes
gentree_run "$src" --seed 13 --files 400 >/dev/null
if mkfs_image "$T_TMP/img" "$src" 4096 -zlz4hc -Efragments,dedupe &&
   fuse_mount "$T_TMP/img" "$T_TMP/mnt"; then
	(cd "$src" && find . -type f -print0 | xargs -0 sha256sum) >"$T_TMP/sums.src"
	i=0 pids=
	for order in "sort -z" "sort -zr" "sort -z -t/ -k3" "sort -zr -t/ -k3"; do
		i=$((i + 1))
		# shellcheck disable=SC2086
		(cd "$T_TMP/mnt" && find . -type f -print0 | LC_ALL=C $order |
		 xargs -0 -n 16 sha256sum | LC_ALL=C sort -k2) >"$T_TMP/sums.$i" &
		pids="$pids $!"
	done
	# (not a bare wait: the daemon is a background job too)
	# shellcheck disable=SC2086
	wait $pids
	bad=
	LC_ALL=C sort -k2 "$T_TMP/sums.src" >"$T_TMP/sums.want"
	for i in 1 2 3 4; do
		cmp -s "$T_TMP/sums.want" "$T_TMP/sums.$i" || bad="$bad $i"
	done
	if fuse_umount "$T_TMP/mnt" && [ -z "$bad" ]; then
		pass "parallel readers ($(wc -l <"$T_TMP/sums.src") files, 4 readers)"
	else
		fail "parallel readers" "${bad:+readers differ:$bad }${T_WHY:-}"
	fi
else
	fail "parallel readers" "$T_WHY"
fi

# --offset: the image behind 4096 bytes of junk; -s and -o options are
# accepted as FUSE's, -o use_ino as erofs-utils' erofsfuse takes it
if gentree_run "$src" --manifest "$T_SRCDIR/manifests/alltypes.manifest" >/dev/null &&
   mkfs_image "$T_TMP/img" "$src" 4096 -zlz4hc; then
	{ head -c 4096 /dev/urandom; cat "$T_TMP/img"; } >"$T_TMP/off.img"
	fuse_case "offset=4096" "$src" "$T_TMP/off.img" --offset=4096 -s -o noatime,use_ino
else
	fail "offset=4096" "$T_WHY"
fi

# an image of Debian's mkfs.erofs (erofs-utils 1.5): another writer's
# choices (inode order, compact indexes, lz4 with its own pclusters)
if [ -x "$DEB_MKFS" ]; then
	gentree_run "$src" --manifest "$T_SRCDIR/manifests/alltypes.manifest" \
		--name-max 254 >/dev/null
	for v in plain lz4hc; do
		o=
		[ "$v" = lz4hc ] && o=-zlz4hc
		# shellcheck disable=SC2086
		if "$DEB_MKFS" --quiet $o "$T_TMP/deb.img" "$src" >"$T_TMP/mkfs.log" 2>&1; then
			fuse_case "debian-mkfs-1.5 $v" "$src" "$T_TMP/deb.img"
		else
			fail "debian-mkfs-1.5 $v" "$(tail -n 1 "$T_TMP/mkfs.log")"
		fi
	done
else
	skip "debian-mkfs-1.5" "$DEB_MKFS not installed"
fi

# an unprivileged user mounts (fusermount3 is setuid) and reads a file.
# fusermount3 opens /dev/fuse with the caller's file uid (it drops its
# privileges for that open on purpose: the node's mode is the access
# control), so a 0600 /dev/fuse (containers often leave it so; stock
# Debian makes it 0666) stops the user.  Then, as root, the case runs in
# a private mount namespace where a 0666 node of the same device is bound
# over /dev/fuse: the host's /dev/fuse and mounts are never changed.
user=nobody
userns=
if ! command -v setpriv >/dev/null 2>&1 || ! id "$user" >/dev/null 2>&1; then
	skip "unprivileged mount" "setpriv or user $user missing"
elif ! setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups \
	sh -c 'test -r /dev/fuse && test -w /dev/fuse' &&
     { [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1; }; then
	skip "unprivileged mount" "$user cannot open /dev/fuse ($(stat -c %A /dev/fuse)) and no root+unshare to give it a private 0666 node"
else
	if ! setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups \
		sh -c 'test -r /dev/fuse && test -w /dev/fuse'; then
		userns=" (private mount namespace: /dev/fuse is $(stat -c %A /dev/fuse) here)"
	fi
	gentree_run "$src" --seed 3 --files 40 >/dev/null
	mkfs_image "$T_TMP/user.img" "$src" 4096 -zlz4hc
	chmod 0755 "$T_TMP"
	chmod 0644 "$T_TMP/user.img"
	mkdir -p "$T_TMP/umnt"
	chown "$user" "$T_TMP/umnt"
	as_user() { setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups "$@"; }
	# a file the user may read in the source may be read in the mount
	# (the same modes on the path, checked by the kernel)
	f=
	for c in $(cd "$src" && find . -type f -size +0 | head -n 50); do
		if as_user test -r "$src/$c"; then
			f=$c
			break
		fi
	done
	# mount, read, unmount as the user; prints "ok" or why not.  Run
	# as is, or in the private namespace, whose mounts die with it (the
	# script always unmounts, so the daemon exits and the namespace ends)
	cat >"$T_TMP/user.sh" <<'EOS'
fuse=$1 img=$2 mnt=$3 src=$4 f=$5 user=$6 dev=$7
as_user() { setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups "$@"; }
if [ -n "$dev" ]; then
	mount -t tmpfs -o mode=0755 tmpfs "$dev" || exit 1
	mknod -m 0666 "$dev/fuse" c "$(stat -c '%t' /dev/fuse | sed 's/^/0x/')" \
		"$(stat -c '%T' /dev/fuse | sed 's/^/0x/')" || exit 1
	mount --bind "$dev/fuse" /dev/fuse || exit 1
fi
if ! as_user "$fuse" "$img" "$mnt" 2>"$mnt.err"; then
	echo "mount: $(head -n 1 "$mnt.err")"
	exit 0
fi
if ! as_user cmp "$src/$f" "$mnt/$f" >"$mnt.cmp" 2>&1; then
	echo "$(head -n 1 "$mnt.cmp")"
	fusermount3 -u -z "$mnt"
elif ! as_user fusermount3 -u "$mnt" 2>"$mnt.err"; then
	echo "fusermount3 -u: $(head -n 1 "$mnt.err")"
	fusermount3 -u -z "$mnt"
else
	echo ok
fi
EOS
	if [ -z "$f" ]; then
		fail "unprivileged mount" "no file in the tree that $user may read"
	else
		if [ -n "$userns" ]; then
			mkdir -p "$T_TMP/udev"
			out=$(unshare -m --propagation private sh "$T_TMP/user.sh" \
				"$EROFSFUSE" "$T_TMP/user.img" "$T_TMP/umnt" "$src" \
				"$f" "$user" "$T_TMP/udev" 2>&1)
		else
			echo "$T_TMP/umnt" >>"$T_TMP/.mounts"
			out=$(sh "$T_TMP/user.sh" "$EROFSFUSE" "$T_TMP/user.img" \
				"$T_TMP/umnt" "$src" "$f" "$user" "" 2>&1)
		fi
		if [ "$out" = ok ]; then
			pass "unprivileged mount ($user reads $f)$userns"
		else
			fail "unprivileged mount" "${out:-private namespace setup failed}"
		fi
	fi
fi

# usage errors and a file that is not EROFS: non-zero exit, no mount
mkdir -p "$T_TMP/emnt"
head -c 8192 /dev/zero >"$T_TMP/zero.img"
ok=true why=
for args in "" "$T_TMP/img" "--offset=x $T_TMP/img $T_TMP/emnt" \
	    "--dbglevel=10 $T_TMP/img $T_TMP/emnt" "$T_TMP/zero.img $T_TMP/emnt" \
	    "$T_TMP/nonexistent $T_TMP/emnt"; do
	# shellcheck disable=SC2086
	"$EROFSFUSE" -f $args >"$T_TMP/err.log" 2>&1
	rc=$?
	if [ "$rc" = 0 ] || [ "$rc" -ge 128 ] || mountpoint -q "$T_TMP/emnt"; then
		ok=false why="$why [$args]: exit $rc"
		fusermount3 -u "$T_TMP/emnt" 2>/dev/null
	fi
done
if $ok; then
	pass "usage errors and bad images"
else
	fail "usage errors and bad images" "$why"
fi

# hostile_walk NAME IMG: erofsfuse either refuses IMG (exit 1) or mounts
# it and survives a walk that stats, lists, reads and lists xattrs of
# everything, with several readers at once, then exits 0 on unmount.
# Counts into n and refused; a problem is added to bad.
hostile_walk() {
	_hw_name=$1 _hw_img=$2
	n=$((n + 1))
	mkdir -p "$T_TMP/cmnt"
	"$EROFSFUSE" -f "$_hw_img" "$T_TMP/cmnt" >"$T_TMP/fuse.log" 2>&1 &
	FUSE_PID=$!
	_hw_i=0
	while ! mountpoint -q "$T_TMP/cmnt" && kill -0 "$FUSE_PID" 2>/dev/null &&
	      [ $_hw_i -lt 100 ]; do
		_hw_i=$((_hw_i + 1))
		sleep 0.05
	done
	if ! mountpoint -q "$T_TMP/cmnt"; then
		kill "$FUSE_PID" 2>/dev/null
		wait "$FUSE_PID"
		_hw_rc=$?
		if [ "$_hw_rc" = 1 ]; then
			refused=$((refused + 1))
		else
			bad="$bad $_hw_name(exit $_hw_rc before mounting)"
		fi
		return
	fi
	echo "$T_TMP/cmnt" >>"$T_TMP/.mounts"
	# every read may fail (EIO); none may hang; two walkers in opposite
	# orders share the daemon's lanes
	# shellcheck disable=SC2016
	timeout 30 sh -c 'for order in cat tac; do
		find "$1" -print0 2>/dev/null | tr "\0" "\n" | $order | tr "\n" "\0" |
		xargs -0 -r sh -c "for p; do stat -- \"\$p\"; [ -f \"\$p\" ] && cat -- \"\$p\";
			[ -L \"\$p\" ] && readlink -- \"\$p\"; getfattr -d -m - -- \"\$p\"; done" sh &
		done; wait' sh "$T_TMP/cmnt" >/dev/null 2>&1
	[ $? = 124 ] && bad="$bad $_hw_name(walk hung)"
	if ! kill -0 "$FUSE_PID" 2>/dev/null; then
		wait "$FUSE_PID"
		bad="$bad $_hw_name(daemon died: $?)"
		umount -l "$T_TMP/cmnt" 2>/dev/null
		grep -vxF "$T_TMP/cmnt" "$T_TMP/.mounts" >"$T_TMP/.mounts.new"
		mv "$T_TMP/.mounts.new" "$T_TMP/.mounts"
		return
	fi
	fuse_umount "$T_TMP/cmnt" || bad="$bad $_hw_name($T_WHY)"
}

# the corrupted-image corpus through FUSE
if [ -x "$DEB_MKFS" ] && command -v setfattr >/dev/null 2>&1; then
	corpus=$T_TMP/corpus
	if DUMP=$DUMP DEB_MKFS=$DEB_MKFS MKFS=$MKFS sh "$TOP_SRCDIR/tests/corrupt/make-corpus.sh" \
		"$corpus" >"$T_TMP/corpus.log" 2>&1; then
		n=0 refused=0 bad=
		for img in "$corpus"/*.img; do
			hostile_walk "$(basename "$img" .img)" "$img"
		done
		if [ -z "$bad" ] && [ "$n" -gt 0 ]; then
			pass "corrupt corpus ($n images, $refused refused at mount)"
		else
			fail "corrupt corpus" "${bad:- no images}"
		fi
	else
		fail "corrupt corpus" "make-corpus: $(tail -n 1 "$T_TMP/corpus.log")"
	fi
else
	skip "corrupt corpus" "needs $DEB_MKFS and setfattr to build it"
fi

# the reader's fuzz corpus (tests/fuzz/corpus: fuzz_reader inputs are
# whole images) through the same walk: every 4th input (every 16th in
# quick mode), a fixed sample
step=4
[ "$HARNESS_QUICK" = 1 ] && step=16
n=0 refused=0 bad=
for f in $(ls "$TOP_SRCDIR/tests/fuzz/corpus" | awk -v s=$step 'NR % s == 1'); do
	hostile_walk "fuzz/$f" "$TOP_SRCDIR/tests/fuzz/corpus/$f"
done
if [ -z "$bad" ] && [ "$n" -gt 0 ]; then
	pass "fuzz corpus ($n inputs, $refused refused at mount)"
else
	fail "fuzz corpus" "${bad:- no inputs}"
fi

finish
