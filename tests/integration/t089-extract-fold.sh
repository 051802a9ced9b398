#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t089-extract-fold - fsck.erofs --extract=DIR onto a target that folds
# case (ext4, f2fs or tmpfs casefold; vfat), where two names of one
# directory listing can be one name.  This kernel may have no
# CONFIG_UNICODE, so tests/tools/foldcase.c (an LD_PRELOAD shim) makes the
# extractor's *at() calls see names in lower case.  The image is of
# tests/tools/fold-tree.sh's tree: A/a, G/g (G also linked as sub/y), H/h
# (two names of one file), a file L and a symbolic link l.
# Without --overwrite: a, g and l are refused (exit 8), H/h is one file,
# sub/y is G.  With --overwrite: the later name wins (a, g, l), h stays
# the one file H is, and sub/y is a copy of G, not a link to g.  The same
# at 1 and 2 workers (the workers' files are linked into place).
. "$(dirname "$0")/lib.sh"

need_mkfs
have_fsck || skip_all "needs our fsck.erofs (--extract)"
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || skip_all "no C compiler ($CC) for the shim"
shim=$T_TMP/foldcase.so
"$CC" -shared -fPIC -o "$shim" "$TOP_SRCDIR/tests/tools/foldcase.c" -ldl \
	>"$T_TMP/cc.log" 2>&1 ||
	skip_all "cannot build the shim: $(head -n 1 "$T_TMP/cc.log")"
# an ASan build wants its runtime first; the shim only renames
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS

src=$T_TMP/src
sh "$TOP_SRCDIR/tests/tools/fold-tree.sh" "$src" ||
	{ fail "$T_NAME" "cannot make the test tree"; finish; }
if ! "$MKFS" --quiet -T0 -zlz4hc "$T_TMP/f.img" "$src" >"$T_TMP/mkfs.log" 2>&1; then
	fail "$T_NAME" "mkfs: $(tail -n 1 "$T_TMP/mkfs.log")"
	finish
fi

# what DIR holds: name:links:content (or link target), one line
listing() {
	(cd "$1" && for f in * sub/*; do
		printf '%s:%s:%s ' "$f" "$(stat -c %h "$f")" \
			"$(if [ -L "$f" ]; then readlink "$f"
			elif [ -f "$f" ]; then cat "$f"; fi)"
	done)
}

for w in 1 2; do
	for ow in "" --overwrite; do
		x=$T_TMP/x$w$ow
		LD_PRELOAD=$shim "$FSCK" --workers=$w $ow --extract="$x" \
			"$T_TMP/f.img" >"$T_TMP/x.log" 2>&1
		rc=$?
		got=$(listing "$x")
		if [ -n "$ow" ]; then
			want_rc=0
			want="a:1:aaaa g:1:gggg h:1:HHHH l:1:A sub:2: sub/y:1:GGGG "
		else
			want_rc=8
			want="a:1:AAAA g:2:GGGG h:1:HHHH l:1:LLLL sub:2: sub/y:2:GGGG "
		fi
		errs=$(grep -c E_EXTRACT "$T_TMP/x.log")
		if [ "$rc" != "$want_rc" ]; then
			fail "workers=$w $ow" "exit $rc, not $want_rc: $(head -n 1 "$T_TMP/x.log")"
		elif [ "$got" != "$want" ]; then
			fail "workers=$w $ow" "got '$got', want '$want'"
		elif [ -z "$ow" ] && [ "$errs" != 3 ]; then
			fail "workers=$w" "$errs refusals, not 3 (a, g, l): $(cat "$T_TMP/x.log")"
		else
			pass "folding target, workers=$w ${ow:-(refusing)}: $got"
		fi
	done
done
finish
