#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t021-tar.sh - mkfs.erofs --tar=f: varied trees archived by GNU tar (pax
# and gnu formats, gzip/xz/zstd compressed, from a file and from standard
# input) must mount with the kernel and match the source tree (content
# and metadata: owners above 65535, nanosecond mtimes, xattrs, POSIX
# ACLs, hard links, devices, long and odd names); tar semantics (a later
# entry wins, missing parents are made, "..", --aufs whiteouts); the
# ownership/time/exclusion options; fingerprints of tar input; broken
# archives give a clear error, exit status 1 and no image.
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP_BUILDDIR TOP_SRCDIR
. "$TOP_SRCDIR/tests/integration/lib.sh"

need_loop
need_tools
need_mkfs
command -v tar >/dev/null 2>&1 || skip_all "GNU tar not installed"
mkfs_has_option -- '--tar' || skip_all "this mkfs has no --tar"
unset SOURCE_DATE_EPOCH

: "${SEEDS:=21 22}"
FILES=150
[ "${HARNESS_QUICK:-0}" = 1 ] && FILES=50
IMG=$T_TMP/img
MNT=$T_TMP/mnt
ERR=$T_TMP/err
FP_KEY=trusted.erofs.fingerprint

# tar_build NAME MKFS-ARGS...: mkfs into $IMG (quietly); T_WHY on failure
tar_build() {
	rm -f "$IMG"
	if ! "$MKFS" --quiet "$@" >"$T_TMP/out" 2>"$ERR"; then
		T_WHY="mkfs failed: $(grep -v '^$' "$ERR" | tail -n 1)"
		return 1
	fi
}

# tar_case NAME SRC DIGEST-OPTS MKFS-ARGS...: build, mount, compare
tar_case() {
	_tc_name=$1 _tc_src=$2 _tc_dopts=$3
	shift 3
	if ! tar_build "$@"; then
		fail "$_tc_name" "$T_WHY"
		return
	fi
	if ! mount_image "$IMG" "$MNT"; then
		fail "$_tc_name" "$T_WHY"
		return
	fi
	# shellcheck disable=SC2086
	if compare_trees "$_tc_src" "$MNT" $_tc_dopts; then
		pass "$_tc_name"
	else
		fail "$_tc_name" "$T_WHY"
	fi
	umount_image "$MNT"
}

# expect_fail NAME PATTERN MKFS-ARGS... (stdin passes through)
expect_fail() {
	_ef_name=$1 _ef_pat=$2
	shift 2
	rm -f "$IMG"
	"$MKFS" "$@" >"$T_TMP/out" 2>"$ERR"
	_ef_rc=$?
	if [ $_ef_rc -ne 1 ]; then
		fail "$_ef_name" "exit $_ef_rc, want 1 ($(head -n 1 "$ERR"))"
	elif ! grep -q -e "$_ef_pat" "$ERR"; then
		fail "$_ef_name" "stderr lacks '$_ef_pat': $(head -n 1 "$ERR")"
	elif [ -e "$IMG" ]; then
		fail "$_ef_name" "image left behind after the failure"
	else
		pass "$_ef_name"
	fi
}

# the spool file must never outlive mkfs
spool_count() { find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'erofs-spool-*' 2>/dev/null | wc -l; }
SPOOLS_BEFORE=$(spool_count)

PAX="--format=pax --xattrs --xattrs-include=* --acls --numeric-owner"

for seed in $SEEDS; do
	S=$T_TMP/src$seed
	gentree_run "$S" --seed "$seed" --files "$FILES" >/dev/null ||
		{ fail "gentree seed $seed" "$T_WHY"; continue; }
	# tar cannot archive sockets
	find "$S" -type s -exec rm -f {} +
	# a default ACL (directories only; gentree makes access ACLs)
	mkdir "$S/acldir" && chmod 0750 "$S/acldir" &&
		setfacl -d -m u:1234:rx,g:4321:r "$S/acldir" 2>/dev/null
	touch -d @1600000000.5 "$S/acldir" "$S"
	T=$T_TMP/t$seed
	# shellcheck disable=SC2086
	tar $PAX -C "$S" -cf "$T.pax" . 2>"$ERR" ||
		{ fail "tar pax seed $seed" "$(head -n 1 "$ERR")"; continue; }

	tar_case "pax seed $seed" "$S" "" --tar=f "$IMG" "$T.pax"
	# the plain option is full mode too
	tar_case "pax --tar seed $seed" "$S" "" --tar "$IMG" "$T.pax"

	# gnu format: no xattrs/ACLs, whole-second mtimes
	if tar --format=gnu --numeric-owner -C "$S" -cf "$T.gnu" . 2>"$ERR"; then
		tar_case "gnu seed $seed" "$S" "--ignore xattrs,mtime-nsec" \
			--tar=f "$IMG" "$T.gnu"
	else
		fail "gnu seed $seed" "tar: $(head -n 1 "$ERR")"
	fi

	for z in gzip xz zstd; do
		if ! command -v $z >/dev/null 2>&1; then
			skip "pax+$z seed $seed" "$z not installed"
			continue
		fi
		$z -c <"$T.pax" >"$T.pax.$z"
		tar_case "pax+$z seed $seed" "$S" "" --tar=f "$IMG" "$T.pax.$z"
	done
	tar_case "pax+gzip --ungzip seed $seed" "$S" "" --tar=f --ungzip \
		"$IMG" "$T.pax.gzip"

	# standard input: no TARFILE, "-", and a pipe (not seekable)
	tar_case "stdin seed $seed" "$S" "" --tar=f "$IMG" <"$T.pax"
	tar_case "stdin dash gzip seed $seed" "$S" "" --tar=f "$IMG" - \
		<"$T.pax.gzip"
	if ! cat "$T.pax" | "$MKFS" --quiet --tar=f "$IMG" 2>"$ERR"; then
		fail "stdin pipe seed $seed" "mkfs failed: $(head -n 1 "$ERR")"
	elif mount_image "$IMG" "$MNT"; then
		if compare_trees "$S" "$MNT"; then
			pass "stdin pipe seed $seed"
		else
			fail "stdin pipe seed $seed" "$T_WHY"
		fi
		umount_image "$MNT"
	else
		fail "stdin pipe seed $seed" "$T_WHY"
	fi

	# fingerprints of tar input: treedigest recomputes every SHA-256,
	# and getfattr must agree with sha256sum of the source
	IMG_DIGEST_OPTS="--check-fingerprint $FP_KEY"
	tar_case "fingerprint seed $seed" "$S" "" --tar=f \
		--ishare_key=$FP_KEY "$IMG" "$T.pax"
	IMG_DIGEST_OPTS=
	if mount_image "$IMG" "$MNT"; then
		bad= n=0
		# names without blanks, so that the shell loop can split them
		for f in $(cd "$S" && find . -type f -size +0 ! -path '*[[:space:]]*' | head -n 40); do
			n=$((n + 1))
			want=7368613235363a$(sha256sum <"$S/$f" | cut -d' ' -f1)
			got=$(getfattr --absolute-names -h -e hex -n $FP_KEY "$MNT/$f" 2>/dev/null |
			      sed -n "s/^$FP_KEY=0x//p")
			[ "$got" = "$want" ] || bad="$bad $f"
		done
		if [ -n "$bad" ]; then
			fail "fingerprint getfattr seed $seed" "wrong or missing on:$bad"
		elif [ $n = 0 ]; then
			fail "fingerprint getfattr seed $seed" "no files checked"
		else
			pass "fingerprint getfattr seed $seed ($n files)"
		fi
		umount_image "$MNT"
	else
		fail "fingerprint getfattr seed $seed" "$T_WHY"
	fi

	# same archive + fixed time = same bytes
	if tar_build --tar=f -T 1700000000 "$IMG" "$T.pax" &&
	   mv "$IMG" "$IMG.1" && tar_build --tar=f -T 1700000000 "$IMG" <"$T.pax" &&
	   cmp -s "$IMG" "$IMG.1"; then
		pass "reproducible seed $seed"
	else
		fail "reproducible seed $seed" "${T_WHY:-images differ}"
	fi
	rm -f "$IMG.1"

	# ownership, time and exclusion options apply to tar input too
	ex=$(cd "$S" && find . -mindepth 1 -maxdepth 1 -type d ! -name acldir | sort | head -n 1)
	ex=${ex#./}
	if tar_build --tar=f --all-root -T 1000000 --exclude-path="$ex" \
	   "$IMG" "$T.pax" && mount_image "$IMG" "$MNT"; then
		odd=$(find "$MNT" \( ! -uid 0 -o ! -gid 0 \) | head -n 1)
		[ -z "$odd" ] && odd=$(find "$MNT" ! -newermt @999999 -o -newermt @1000001 | head -n 1)
		if [ -n "$odd" ]; then
			fail "all-root -T seed $seed" "not root-owned or not at -T: $odd"
		elif [ -n "$ex" ] && [ -e "$MNT/$ex" ]; then
			fail "exclude-path seed $seed" "$ex is still there"
		else
			pass "all-root -T exclude-path seed $seed"
		fi
		umount_image "$MNT"
	else
		fail "all-root -T exclude-path seed $seed" "$T_WHY"
	fi
done

# ---- tar semantics ----------------------------------------------------------
W=$T_TMP/sem
mkdir -p "$W/s/dir/sub" "$W/deep/p/q"
echo one >"$W/s/x"
echo kept >"$W/s/dir/sub/f"
tar --numeric-owner -C "$W/s" -cf "$W/dup.tar" x dir
echo two-and-longer >"$W/s/x"
chmod 0700 "$W/s/dir"
# appended: a newer x, dir again (metadata only, sub/f must stay)
tar --numeric-owner --no-recursion -C "$W/s" -rf "$W/dup.tar" x dir
if tar_build --tar=f "$IMG" "$W/dup.tar" && mount_image "$IMG" "$MNT"; then
	if [ "$(cat "$MNT/x")" != two-and-longer ]; then
		fail "later entry wins" "x holds '$(cat "$MNT/x")'"
	elif [ "$(cat "$MNT/dir/sub/f" 2>/dev/null)" != kept ]; then
		fail "later entry wins" "dir/sub/f lost when dir was listed again"
	elif [ "$(stat -c %a "$MNT/dir")" != 700 ]; then
		fail "later entry wins" "dir mode $(stat -c %a "$MNT/dir"), want 700"
	else
		pass "later entry wins (file replaced, directory merged)"
	fi
	umount_image "$MNT"
else
	fail "later entry wins" "$T_WHY"
fi

echo r >"$W/deep/p/q/r"
tar --numeric-owner --no-recursion -C "$W/deep" -cf "$W/implicit.tar" p/q/r
if tar_build --tar=f -T 1234567 "$IMG" "$W/implicit.tar" &&
   mount_image "$IMG" "$MNT"; then
	got=$(stat -c '%F %a %u %g %Y' "$MNT/p" "$MNT/p/q" | sort -u)
	if [ "$(cat "$MNT/p/q/r")" != r ]; then
		fail "implicit parents" "p/q/r content"
	elif [ "$got" != "directory 755 0 0 1234567" ]; then
		fail "implicit parents" "parents are: $got"
	else
		pass "implicit parents (0755, root, build time)"
	fi
	umount_image "$MNT"
else
	fail "implicit parents" "$T_WHY"
fi

# hard links, and a name replaced after being hard-linked
mkdir -p "$W/hl"
echo first >"$W/hl/a"
ln "$W/hl/a" "$W/hl/b"
tar --numeric-owner -C "$W/hl" -cf "$W/hl.tar" a b
echo second >"$W/hl/a.new" && mv "$W/hl/a.new" "$W/hl/a"
tar --numeric-owner -C "$W/hl" -rf "$W/hl.tar" a
if tar_build --tar=f "$IMG" "$W/hl.tar" && mount_image "$IMG" "$MNT"; then
	if [ "$(cat "$MNT/a")" = second ] && [ "$(cat "$MNT/b")" = first ] &&
	   [ "$(stat -c %h "$MNT/a" "$MNT/b" | tr '\n' ' ')" = "1 1 " ]; then
		pass "hard link then replaced name"
	else
		fail "hard link then replaced name" "a=$(cat "$MNT/a") b=$(cat "$MNT/b") nlink=$(stat -c %h "$MNT/a" "$MNT/b" | tr '\n' ' ')"
	fi
	umount_image "$MNT"
else
	fail "hard link then replaced name" "$T_WHY"
fi

# --aufs: .wh.NAME -> whiteout NAME, .wh..wh..opq -> opaque directory
mkdir -p "$W/aufs/d"
: >"$W/aufs/.wh.gone"
: >"$W/aufs/d/.wh..wh..opq"
echo keep >"$W/aufs/d/keep"
tar --numeric-owner -C "$W/aufs" -cf "$W/aufs.tar" .
if tar_build --tar=f --aufs "$IMG" "$W/aufs.tar" && mount_image "$IMG" "$MNT"; then
	wh=$(stat -c '%F %t:%T %a' "$MNT/gone" 2>/dev/null)
	opq=$(getfattr --absolute-names --only-values -n trusted.overlay.opaque "$MNT/d" 2>/dev/null)
	# mode 0, as erofs-utils and containerd's applier make whiteouts
	if [ "$wh" != "character special file 0:0 0" ]; then
		fail "--aufs" "gone is '$wh', want a 0:0 char device, mode 0"
	elif [ "$opq" != y ]; then
		fail "--aufs" "d lacks trusted.overlay.opaque=y"
	elif [ -e "$MNT/d/.wh..wh..opq" ] || [ -e "$MNT/.wh.gone" ]; then
		fail "--aufs" "aufs marker files left in the image"
	else
		pass "--aufs whiteouts and opaque directory"
	fi
	umount_image "$MNT"
else
	fail "--aufs" "$T_WHY"
fi
tar_case "no --aufs: .wh. files as they are" "$W/aufs" \
	"--ignore root,mtime-nsec" --tar=f "$IMG" "$W/aufs.tar"

# ---- broken input -------------------------------------------------------------
B=$T_TMP/bad
mkdir -p "$B/in/sub"
head -c 300000 /dev/zero | tr '\0' 'a' >"$B/in/big"
echo small >"$B/in/sub/s"
tar --numeric-owner -C "$B/in" -cf "$B/good.tar" .
head -c 200000 "$B/good.tar" >"$B/trunc.tar"
gzip -c "$B/good.tar" | head -c 400 >"$B/trunc.tar.gz"
yes 'this is not a tar archive' | head -c 20000 >"$B/garbage"
(cd "$B/in/sub" && tar -P --numeric-owner -cf "$B/dotdot.tar" ../big)
expect_fail "truncated tar" "big" --tar=f "$IMG" "$B/trunc.tar"
expect_fail "truncated tar.gz" "standard input" --tar=f "$IMG" <"$B/trunc.tar.gz"
expect_fail "garbage input" "not a readable tar archive" --tar=f "$IMG" "$B/garbage"
expect_fail "empty input" "not a readable tar archive" --tar=f "$IMG" </dev/null
expect_fail "dotdot entry refused" '\.\./big.*"\.\."' --tar=f "$IMG" "$B/dotdot.tar"
expect_fail "missing tar file" "cannot open tar input" --tar=f "$IMG" "$B/nonexistent.tar"
expect_fail "headerball of a whole tar" "a headerball holds tar headers" --tar=headerball "$IMG" "$B/good.tar"
expect_fail "bad tar mode" "invalid tar mode" --tar=q "$IMG" "$B/good.tar"
expect_fail "aufs without tar" "needs --tar" --aufs "$IMG" "$B/in"
expect_fail "ungzip dump unsupported" "not supported yet" --tar=f --ungzip="$B/raw" "$IMG" "$B/good.tar"

# containerd 2.2+ enables its EROFS differ only if "mkfs.erofs --help"
# (stdout and stderr) contains the text "--tar="
if "$MKFS" --help 2>&1 | grep -q -e '--tar='; then
	pass "help says --tar= (containerd's probe)"
else
	fail "help says --tar= (containerd's probe)" "$("$MKFS" --help 2>&1 | grep -e '--tar' | head -n 1)"
fi

if [ "$(spool_count)" = "$SPOOLS_BEFORE" ]; then
	pass "no spool file left behind"
else
	fail "no spool file left behind" "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'erofs-spool-*' | head -n 1)"
fi
finish
