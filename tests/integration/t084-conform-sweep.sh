#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t084-conform-sweep - every mkfs option and -E feature that erofs-utils
# 1.9 (sid chroot) and our mkfs share, on the awkward tree (every file
# type, sparse and hole-only files, long names, xattrs) and, outside quick
# mode, on a real tree (the sid chroot's /etc and /usr/share/doc): for
# each option our image is mounted by the kernel and equals the source,
# our fsck is clean and --extract equals the source; erofs-utils' image
# built with the same options is clean under our fsck and extracts equal
# to the source; erofs-utils' fsck --extract of ours equals the source;
# and our image is no larger than theirs, except where the reason is
# listed below.  The table of results is printed (indented, not counted).
# Quick mode (the sanitizer run) takes seven option sets, awkward tree only.
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs
[ "$STANDIN" = 1 ] && skip_all "the sweep compares our mkfs with erofs-utils"
sid_setup
[ "$have_sid" = 1 ] || skip_all "the sweep needs erofs-utils 1.9 (sid chroot)"

awk_src=$T_TMP/awkward
gentree_run "$awk_src" --manifest "$T_SRCDIR/manifests/alltypes.manifest" >/dev/null ||
	{ fail "$T_NAME tree" "$T_WHY"; finish; }

# option sets, one per line ("-" = the defaults)
OPTS='-
-b512
-b1024 -zlz4hc
-zlz4
-zlz4hc
-zlz4hc,12
-zlzma
-zlzma,109
-zdeflate
-zlibdeflate
-zzstd
-zlz4hc -C65536
-zlz4hc -Eztailpacking
-zlz4hc -Efragments
-zlz4hc -Eall-fragments
-zlz4hc -Efragments,fragdedupe=inode
-zlz4hc -Ededupe
-zlz4hc -Elegacy-compress
-zlz4hc --zD
-zlz4hc --max-extent-bytes=65536
-Eforce-inode-compact
-Eforce-inode-extended
-Enoinline_data
-Exattr-name-filter
-Eplain-xattr-prefixes --xattr-prefix=user.
-x-1
--chunksize=4096
--chunksize=65536 -Eforce-chunk-indexes
-E48bit
-Edot-omitted
-E48bit -zlz4hc
-m4096
-zlz4hc -m4096
-zlz4hc -Eztailpacking -m4096
--MZ
--dsunit=16
--fsalignblks=8
--all-root
--uid-offset=1000 --gid-offset=100'
# quick mode (the sanitizer run): one of each kind
[ "$HARNESS_QUICK" = 1 ] && OPTS='-
-zlz4hc
-zlzma
-zlz4hc -Efragments
-zlz4hc -Ededupe
--chunksize=65536 -Eforce-chunk-indexes
-E48bit
-zlz4hc -m4096'
# the real tree, in full mode: a shorter list
REAL_OPTS='-
-zlz4hc
-zlzma
-zzstd
-zlz4hc -Efragments
-zlz4hc -Ededupe
--chunksize=4096
-E48bit
-zlz4hc -m4096
--MZ'

# images erofs-utils makes smaller, and why (issue 15 tracks them); an
# entry turns that row's size check into a printed note
size_exception() {
	case $1 in
	*-zlzma*|*-zzstd*|*-zlibdeflate*)
		echo "erofs-utils' encoder settings for this algorithm compress better (issue 15)" ;;
	*fragments*|*-Ededupe*)
		echo "our fragments and dedupe find less than erofs-utils' (issue 15)" ;;
	*-C65536*)
		echo "big pclusters: erofs-utils fills them closer to full (issue 15)" ;;
	*48bit*|*dot-omitted*|*-m[0-9]*)
		echo "erofs-utils' 48BIT compact inodes drop sub-second mtimes and wrap those 2^32 s past the epoch; ours keep them, in extended inodes" ;;
	*) return 1 ;;
	esac
}

# erofs-utils' own image differs from the source by its design or bugs:
# what to leave out when our fsck extracts it, and why
theirs_ignore() {
	case $1 in
	*48bit*|*dot-omitted*|*-m[0-9]*) echo "--ignore mtime,mtime-nsec" ;;
	esac
}
theirs_refuses() {	# erofs-utils refuses this tree with these options
	case $1 in
	*force-inode-compact*) echo "files that need extended inodes (uid 65536, 2^32 mtimes); ours makes those extended" ;;
	*) return 1 ;;
	esac
}

# what the option changes on purpose, left out of the comparisons
digest_ignore() {
	case $1 in
	*force-inode-compact*) echo "--ignore mtime,mtime-nsec" ;;
	*-x-1*) echo "--ignore xattrs" ;;
	*--all-root*|*--uid-offset*) echo "--ignore uid,gid" ;;
	esac
}

sid() { "$CHROOT_SH" run --bind "$T_TMP" -- "$@" >"$T_TMP/sid.log" 2>&1; }
T_OPTS="-T 1000000 --mkfs-time"
TABLE=$T_TMP/table
: >"$TABLE"

# sweep TREE NAME OPTIONS: one option set on one tree
sweep() {
	_src=$1 _tree=$2 _o=$3
	[ "$_o" = - ] && _o=
	_name="$_tree ${_o:-defaults}"
	_ours=fail _theirs=fail _sidours=fail _size=-
	_failed=$T_FAILED
	T_FAILED=0
	DIGEST_OPTS=$(digest_ignore "$_o")
	# ours: kernel, our fsck, --extract
	# shellcheck disable=SC2086
	roundtrip "$_name" "$_src" 4096 $T_OPTS $_o || {
		echo "$_name|build failed|-|-|-" >>"$TABLE"
		T_FAILED=1
		return
	}
	[ "$T_FAILED" = 0 ] && _ours=ok
	# erofs-utils' image under our fsck
	rm -f "$T_TMP/e.img"
	# shellcheck disable=SC2086
	if sid mkfs.erofs --quiet $T_OPTS $_o "$T_TMP/e.img" "$_src"; then
		rm -rf "$T_TMP/ex"
		if ! "$FSCK" --extract="$T_TMP/ex" "$T_TMP/e.img" >"$T_TMP/fsck.log" 2>&1; then
			fail "$_name: our fsck on erofs-utils' image" \
				"$(grep -v '^$' "$T_TMP/fsck.log" | tail -n 1)"
		# shellcheck disable=SC2086
		elif compare_trees "$_src" "$T_TMP/ex" --ignore root,mtime-nsec $DIGEST_OPTS \
			$(theirs_ignore "$_o"); then
			pass "$_name: our fsck on erofs-utils' image"
			_theirs=ok
		else
			fail "$_name: our fsck on erofs-utils' image" "$T_WHY"
		fi
		rm -rf "$T_TMP/ex"
		_a=$(stat -c %s "$T_TMP/img") _b=$(stat -c %s "$T_TMP/e.img")
		_size=$(awk -v a="$_a" -v b="$_b" 'BEGIN { printf "%.3f", a / b }')
		if [ "$_a" -le "$_b" ]; then
			pass "$_name: no larger than erofs-utils' ($_a <= $_b)"
		elif _why=$(size_exception "$_o"); then
			echo "    $_name: $_a > $_b bytes: $_why"
		else
			fail "$_name: no larger than erofs-utils'" "$_a > $_b bytes"
		fi
	elif _why=$(theirs_refuses "$_o"); then
		echo "    $_name: erofs-utils refuses: $_why"
		_theirs=refused
	else
		fail "$_name: erofs-utils mkfs" "$(tail -n 1 "$T_TMP/sid.log")"
	fi
	DIGEST_OPTS=
	# erofs-utils' fsck on ours (it extracts files without any data
	# block -- all holes in chunk indexes, or 48BIT without blocks --
	# empty, from its own images too: the source it is compared with
	# says so)
	_sidsrc=$_src
	case $_o in
	*force-chunk-indexes*) [ -d "$_src.nochunkholes" ] && _sidsrc=$_src.nochunkholes ;;
	*-z*) ;;	# compressed: no file without blocks
	*48bit*|*dot-omitted*|*-m[0-9]*) [ -d "$_src.noholes" ] && _sidsrc=$_src.noholes ;;
	esac
	_f=$T_FAILED
	T_FAILED=0
	case $_o in
	*-m[0-9]*)
		# erofs-utils 1.9.4's --extract reads metabox inodes' inline
		# data as zeros, its own images' too (t088): its check only
		if sid fsck.erofs "$T_TMP/img"; then
			pass "$_name sid-fsck"
		else
			fail "$_name sid-fsck" "$(tail -n 1 "$T_TMP/sid.log")"
		fi ;;
	*) sid_extract "$_name" "$_sidsrc" "$T_TMP/img" ;;
	esac
	[ "$T_FAILED" = 0 ] && _sidours=ok
	T_FAILED=$((_failed | _f | T_FAILED))
	echo "$_name|$_ours|$_theirs|$_sidours|$_size" >>"$TABLE"
}

# empty_files SRC COPY FILE...: COPY of SRC with FILEs emptied, times kept
empty_files() {
	_es=$1 _ec=$2
	shift 2
	cp -a "$_es" "$_ec"
	for _ef in "$@"; do
		touch -r "$_ec/$_ef" "$T_TMP/stamp"
		: >"$_ec/$_ef"
		touch -r "$T_TMP/stamp" "$_ec/$_ef"
	done
}
empty_files "$awk_src" "$awk_src.noholes" sizes/hole-only
empty_files "$awk_src" "$awk_src.nochunkholes" sizes/hole-only sizes/zeros

while IFS= read -r o; do
	sweep "$awk_src" awkward "$o"
done <<EOF
$OPTS
EOF
SID_ROOT=${SID_CHROOT:-/var/cache/erofs-tools/sid-chroot}
if [ "$HARNESS_QUICK" != 1 ] && [ -d "$SID_ROOT/etc" ]; then
	real=$T_TMP/real
	mkdir -p "$real"
	cp -a "$SID_ROOT/etc" "$SID_ROOT/usr/share/doc" "$real/" 2>/dev/null
	while IFS= read -r o; do
		sweep "$real" real "$o"
	done <<EOF
$REAL_OPTS
EOF
fi

echo "    option | ours: kernel+fsck+extract | our fsck on theirs | their fsck on ours | size ours/theirs"
sed 's/^/    /; s/|/ | /g' "$TABLE"
finish
