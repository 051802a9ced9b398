#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t043-ishare-fsck - fsck.erofs --check-ishare finds every way a
# fingerprint can be wrong, names the file, and exits non-zero (a missing
# one is only a warning: that file is not shared); a clean
# image passes.  Corruptions are patched into copies of one image:
#   - a flipped data byte (the structural check cannot see it; only the
#     recomputed SHA-256 can)                      -> E_ISHARE_MISMATCH
#   - e_value_size 39 -> 38 (a truncated value)    -> E_ISHARE_MALFORMED
#   - "sha256:" -> "SHA256:"                       -> E_ISHARE_MALFORMED
#   - e_name_index 0x80|id -> another long prefix (an image with a second
#     one and no name filter), so the file has no fingerprint any more
#                                                  -> W_ISHARE_MISSING and
#     a count, exit 0: as in erofs-utils, such a file is just not shared;
#     an unused prefix index instead adds E_XATTR_PREFIX
#   - an empty file without a fingerprint is never reported
#   - superblock byte 0x69 >= xattr_prefix_count   -> non-zero exit
#   - i_size of a fingerprinted file set to 0      -> W_ISHARE_EMPTY only
#   - an image built without fingerprints          -> non-zero exit and
#     "image has no page cache sharing fingerprints"
#   - fsck without --check-ishare and an uncompressed mkfs without
#     fingerprints never load libcrypto (LD_DEBUG=files names none);
#   - libcrypto that cannot be loaded (the tools load it at run time):
#     fsck warns W_ISHARE_UNVERIFIED with the loader's reason and exits 0;
#     mkfs -E dedupe / --ishare_key (compressed or not) says SHA-256 is
#     not available and why (once this was "out of memory", or no
#     reason) and leaves no image
# Patched bytes may lie in block 0, which the superblock CRC covers, so
# patches also clear compat SB_CHKSUM (bit 0 of byte 1032): the kernel and
# fsck then skip the CRC, and the only damage left is the intended one.
. "$(dirname "$0")/lib.sh"

need_tools
need_mkfs
if ! "$FSCK" --help 2>&1 | grep -q -e '--check-ishare'; then
	fail "$T_NAME" "$FSCK has no --check-ishare option"
	finish
fi

KEY=trusted.erofs.fingerprint
SB=1024

u8() { od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' \n'; }
hex_at() { od -An -v -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }
# put_byte IMG OFF VALUE(0..255)
put_byte() {
	printf "$(printf '\\%03o' "$3")" |
		dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}
no_sbcrc() {
	put_byte "$1" $((SB + 8)) $(( $(u8 "$1" $((SB + 8))) & 0xfe ))
}

cat >"$T_TMP/m" <<'EOF'
d .
d dir
f dir/victim repeat=20000:VICTIMDATA-0123456789-
f dir/other rand=5000
f dir/small text=hello
f empty
h dir/victim-link target=dir/victim
d sub
f sub/big rand=70000
EOF
src=$T_TMP/src
if ! gentree_run "$src" --manifest "$T_TMP/m" >/dev/null; then
	fail "tree" "$T_WHY"
	finish
fi
clean=$T_TMP/clean.img
if ! mkfs_image "$clean" "$src" 4096 --ishare_key=$KEY; then
	fail "mkfs" "$T_WHY"
	finish
fi

# byte offset of the victim's fingerprint value ("sha256:" + its digest)
want=$(printf 'sha256:' | od -An -tx1 | tr -d ' \n')$(sha256sum <"$src/dir/victim" | cut -c1-64)
voff=
for off in $(grep -obUa 'sha256:' "$clean" | cut -d: -f1); do
	if [ "$(hex_at "$clean" "$off" 39)" = "$want" ]; then
		voff=$off
		break
	fi
done
# a data byte of the victim (its text appears nowhere else)
doff=$(grep -obUa 'VICTIMDATA-' "$clean" | head -n 1 | cut -d: -f1)
if [ -z "$voff" ] || [ -z "$doff" ]; then
	fail "locate" "victim value at '${voff:-?}', data at '${doff:-?}'"
	finish
fi

# run_fsck IMG: output in $T_TMP/out, status in RC
run_fsck() {
	"$FSCK" --check-ishare "$@" >"$T_TMP/out" 2>&1
	RC=$?
}

# expect_problem NAME IMG CODE PATH
expect_problem() {
	run_fsck "$2"
	if [ "$RC" = 0 ]; then
		fail "$1" "fsck exited 0; output: $(head -n 2 "$T_TMP/out" | tr '\n' ' ')"
	elif ! grep -q "$3.*$4" "$T_TMP/out"; then
		fail "$1" "exit $RC but no '$3 ... $4' line: $(grep -m1 '<E>' "$T_TMP/out")"
	elif [ "$(grep -c '<E>.*\[E_ISHARE' "$T_TMP/out")" != 1 ]; then
		fail "$1" "expected exactly one fingerprint error: $(grep '<E>.*ISHARE' "$T_TMP/out" | tr '\n' ' ')"
	else
		pass "$1 (exit $RC)"
	fi
}

name="clean image passes"
run_fsck "$clean"
if [ "$RC" = 0 ] && ! grep -q ISHARE "$T_TMP/out"; then
	pass "$name"
else
	fail "$name" "exit $RC: $(head -n 2 "$T_TMP/out" | tr '\n' ' ')"
fi
name="alias --xattr-inode-digest"
if "$FSCK" --xattr-inode-digest "$clean" >"$T_TMP/out" 2>&1; then
	pass "$name"
else
	fail "$name" "$(head -n 1 "$T_TMP/out")"
fi

img=$T_TMP/bad.img

cp "$clean" "$img"
put_byte "$img" $((doff + 3)) $(( $(u8 "$img" $((doff + 3))) ^ 0x01 ))
no_sbcrc "$img"
if "$FSCK" "$img" >"$T_TMP/plain.out" 2>&1; then
	expect_problem "flipped data byte" "$img" E_ISHARE_MISMATCH /dir/victim
else
	fail "flipped data byte" "plain fsck already rejects it: $(head -n 1 "$T_TMP/plain.out")"
fi

cp "$clean" "$img"
put_byte "$img" $((voff - 2)) 38	# le16 e_value_size, low byte
no_sbcrc "$img"
expect_problem "truncated value (38 bytes)" "$img" E_ISHARE_MALFORMED /dir/victim

cp "$clean" "$img"
put_byte "$img" "$voff" 83	# 's' -> 'S'
no_sbcrc "$img"
expect_problem "value without sha256: prefix" "$img" E_ISHARE_MALFORMED /dir/victim

idx=$(u8 "$clean" $((voff - 3)))
count=$(u8 "$clean" $((SB + 0x5B)))
if [ $((idx & 0x80)) = 0 ]; then
	fail "removed fingerprint" "byte before e_value_size is $idx, not a long prefix index"
else
	# an index past the prefix table: an entry nobody can look up
	cp "$clean" "$img"
	put_byte "$img" $((voff - 3)) $((0x80 | count))
	no_sbcrc "$img"
	run_fsck "$img"
	if [ "$RC" = 4 ] && grep -q 'W_ISHARE_MISSING.*/dir/victim' "$T_TMP/out" &&
	   grep -q 'E_XATTR_PREFIX.*/dir/victim' "$T_TMP/out"; then
		pass "fingerprint behind an unknown prefix (exit $RC)"
	else
		fail "fingerprint behind an unknown prefix" "exit $RC: $(grep -m1 -E '<[EW]>' "$T_TMP/out")"
	fi
fi
# the same value under a second, valid long prefix: a legal image whose
# victim simply carries no fingerprint
two=$T_TMP/two.img
if mkfs_image "$two" "$src" 4096 --ishare_key=$KEY \
	--xattr-prefix=user.other. -E^xattr-name-filter; then
	voff2=
	for off in $(grep -obUa 'sha256:' "$two" | cut -d: -f1); do
		if [ "$(hex_at "$two" "$off" 39)" = "$want" ]; then
			voff2=$off
			break
		fi
	done
	id=$(u8 "$two" $((SB + 0x69)))
	cp "$two" "$img"
	put_byte "$img" $((voff2 - 3)) $((0x80 | (1 - id)))
	no_sbcrc "$img"
	run_fsck "$img"
	if [ "$RC" = 0 ] && grep -q 'W_ISHARE_MISSING.*/dir/victim' "$T_TMP/out" &&
	   grep -q '1 regular file(s) without a fingerprint' "$T_TMP/out" &&
	   ! grep -q '/empty' "$T_TMP/out"; then
		pass "removed fingerprint warns and is counted (exit 0)"
	else
		fail "removed fingerprint" "exit $RC: $(grep -E '<[EW]>' "$T_TMP/out" | tr '\n' ' ')"
	fi
else
	fail "removed fingerprint" "$T_WHY"
fi

cp "$clean" "$img"
put_byte "$img" $((SB + 0x69)) "$count"
no_sbcrc "$img"
run_fsck "$img"
if [ "$RC" != 0 ] && grep -qi 'prefix' "$T_TMP/out"; then
	pass "prefix id >= xattr_prefix_count (exit $RC)"
else
	fail "prefix id >= xattr_prefix_count" "exit $RC: $(head -n 1 "$T_TMP/out")"
fi
# the same with the CRC kept valid: fsck must not blame the checksum
cp "$clean" "$img"
put_byte "$img" $((SB + 0x69)) "$count"
run_fsck --no-sbcrc "$img"
if [ "$RC" != 0 ] && grep -qi 'prefix' "$T_TMP/out"; then
	pass "prefix id out of range, --no-sbcrc (exit $RC)"
else
	fail "prefix id out of range, --no-sbcrc" "exit $RC: $(head -n 1 "$T_TMP/out")"
fi

# i_size of /dir/small (5 bytes, inline) set to 0: a warning, not an error
name="empty file carrying a fingerprint warns"
nid=$("$DUMP" --path /dir/small "$clean" 2>/dev/null | sed -n 's/^NID: *//p')
ver=$("$DUMP" --path /dir/small "$clean" 2>/dev/null | sed -n 's/^Inode version: *\([a-z]*\).*/\1/p')
meta=$(od -An -tu4 --endian=little -j $((SB + 40)) -N 4 "$clean" | tr -d ' ')
bits=$(u8 "$clean" $((SB + 12)))
if [ -z "$nid" ] || [ -z "$ver" ]; then
	fail "$name" "dump.erofs --path /dir/small gives no NID / inode version"
else
	cp "$clean" "$img"
	n=4
	[ "$ver" = extended ] && n=8
	dd if=/dev/zero of="$img" bs=1 seek=$((meta * (1 << bits) + nid * 32 + 8)) \
		count=$n conv=notrunc 2>/dev/null
	no_sbcrc "$img"
	run_fsck "$img"
	if grep -q 'W_ISHARE_EMPTY.*/dir/small' "$T_TMP/out" &&
	   ! grep -q 'E_ISHARE' "$T_TMP/out"; then
		pass "$name (exit $RC)"
	else
		fail "$name" "exit $RC: $(grep -m1 -E '<[EW]>' "$T_TMP/out")"
	fi
fi

# libcrypto.so.3 that is no library, first on the search path
if ldd "$FSCK" 2>/dev/null | grep -q libcrypto; then
	skip "libcrypto not loadable" "$FSCK links libcrypto at start (no dlopen build)"
else
	mkdir -p "$T_TMP/badlib"
	echo 'not a library' >"$T_TMP/badlib/libcrypto.so.3"
	name="fsck --check-ishare without a loadable libcrypto"
	LD_LIBRARY_PATH=$T_TMP/badlib "$FSCK" --check-ishare "$clean" \
		>"$T_TMP/out" 2>&1
	RC=$?
	if [ "$RC" = 0 ] && grep -q 'W_ISHARE_UNVERIFIED.*/dir/victim.*no SHA-256: .*badlib' "$T_TMP/out" &&
	   ! grep -q -e '<E>' -e 'memory' "$T_TMP/out"; then
		pass "$name (exit $RC)"
	else
		fail "$name" "exit $RC: $(grep -m1 -E '<[EW]>' "$T_TMP/out")"
	fi
	# a real library by that name with neither SHA256_Init (which an
	# OpenSSL built without deprecated calls lacks) nor EVP
	mkdir -p "$T_TMP/emptylib"
	name="fsck --check-ishare with a libcrypto lacking the SHA-256 calls"
	so=$(sed -n 's/^#define LIBCRYPTO_SONAME "\(.*\)"$/\1/p' \
		"$TOP_BUILDDIR/config.h" 2>/dev/null)
	if [ -z "$so" ]; then
		skip "$name" "no LIBCRYPTO_SONAME in $TOP_BUILDDIR/config.h"
	elif ! echo 'int erofs_tools_test_symbol;' >"$T_TMP/emptylib/e.c" ||
	   ! ${CC:-cc} -shared -fPIC -o "$T_TMP/emptylib/$so" \
		"$T_TMP/emptylib/e.c" 2>/dev/null; then
		skip "$name" "no C compiler to build the stand-in library"
	else
		LD_LIBRARY_PATH=$T_TMP/emptylib "$FSCK" --check-ishare \
			"$clean" >"$T_TMP/out" 2>&1
		RC=$?
		if [ "$RC" = 0 ] && grep -q 'W_ISHARE_UNVERIFIED.*lacks the SHA-256 calls' "$T_TMP/out"; then
			pass "$name (exit $RC)"
		else
			fail "$name" "exit $RC: $(grep -m1 -E '<[EW]>' "$T_TMP/out")"
		fi
	fi
	# what never hashes never loads it (glibc's loader names each file)
	name="fsck and uncompressed mkfs without fingerprints never load libcrypto"
	LD_DEBUG=files "$FSCK" "$clean" >"$T_TMP/out" 2>&1
	r1=$?
	LD_DEBUG=files "$MKFS" "$T_TMP/plain.img" "$src" >>"$T_TMP/out" 2>&1
	r2=$?
	if [ $r1 = 0 ] && [ $r2 = 0 ] && grep -q 'file=' "$T_TMP/out" &&
	   ! grep -q 'file=libcrypto' "$T_TMP/out"; then
		pass "$name"
	elif ! grep -q 'file=' "$T_TMP/out"; then
		skip "$name" "the loader does not report files (LD_DEBUG)"
	else
		fail "$name" "exit $r1/$r2: $(grep -m1 'file=libcrypto' "$T_TMP/out")"
	fi
	ldd "$MKFS" 2>/dev/null | grep -q libcrypto &&
		skip "mkfs without a loadable libcrypto" "$MKFS links libcrypto at start"
	ldd "$MKFS" 2>/dev/null | grep -q libcrypto ||
	# compressed (the workers ask) and not (emit asks)
	for opt in "-zlz4hc -Ededupe" "-zlz4hc --ishare_key=$KEY" \
		   "--ishare_key=$KEY"; do
		name="mkfs $opt without a loadable libcrypto"
		rm -f "$T_TMP/nolib.img"
		# shellcheck disable=SC2086
		LD_LIBRARY_PATH=$T_TMP/badlib "$MKFS" $opt \
			"$T_TMP/nolib.img" "$src" >"$T_TMP/out" 2>&1
		RC=$?
		if [ "$RC" != 0 ] && [ ! -e "$T_TMP/nolib.img" ] &&
		   grep -q 'need.* SHA-256 (libcrypto), which is not available' "$T_TMP/out" &&
		   grep -q 'not available: .*badlib' "$T_TMP/out" &&
		   ! grep -q 'memory' "$T_TMP/out"; then
			pass "$name (exit $RC)"
		else
			fail "$name" "exit $RC: $(grep -m1 '<E>' "$T_TMP/out")"
		fi
	done
fi

name="image without fingerprints"
if mkfs_image "$img" "$src" 4096; then
	run_fsck "$img"
	if [ "$RC" != 0 ] && grep -q 'no page cache sharing fingerprints' "$T_TMP/out"; then
		pass "$name (exit $RC)"
	else
		fail "$name" "exit $RC: $(head -n 1 "$T_TMP/out")"
	fi
else
	fail "$name" "$T_WHY"
fi

finish
