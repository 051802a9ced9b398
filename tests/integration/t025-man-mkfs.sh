#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t025-man-mkfs.sh - the man page cannot drift from the code: every long
# and short option that "mkfs.erofs --help" prints (the help text comes
# from the same table as the parser) must be documented in
# man/mkfs.erofs.1, and every option the man page documents must exist.
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP_BUILDDIR TOP_SRCDIR
. "$TOP_SRCDIR/tests/integration/lib.sh"

need_mkfs
MAN=${MAN_PAGE:-$TOP_SRCDIR/man/mkfs.erofs.1}
[ -r "$MAN" ] || { fail man-page "$MAN missing"; finish; }

"$MKFS" --help >"$T_TMP/help" 2>&1
# the man source with groff's "\-" turned into "-" and font escapes removed
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$MAN" >"$T_TMP/man"

longs=$(sed -n 's/^  \(-[A-Za-z], \)\{0,1\} *\(--[A-Za-z][A-Za-z0-9_-]*\).*/\2/p' "$T_TMP/help")
shorts=$(sed -n 's/^  \(-[A-Za-z]\)[ ,].*/\1/p' "$T_TMP/help")
[ -n "$longs" ] && [ -n "$shorts" ] ||
	{ fail help-parse "no options found in --help output"; finish; }

n=0 missing=
for o in $longs; do
	n=$((n + 1))
	# documented = named on a macro line, e.g. ".BI --force-uid= UID"
	grep -qE "^\.[BIR]+ .*$o([= \"]|\$)" "$T_TMP/man" || missing="$missing $o"
done
if [ -z "$missing" ]; then
	pass "help-long-options-in-man ($n)"
else
	fail help-long-options-in-man "undocumented:$missing"
fi

n=0 missing=
for o in $shorts; do
	n=$((n + 1))
	grep -qE "^\.[BIR]+ +\"?$o([ \",]|\$)" "$T_TMP/man" || missing="$missing $o"
done
if [ -z "$missing" ]; then
	pass "help-short-options-in-man ($n)"
else
	fail help-short-options-in-man "undocumented:$missing"
fi

# the other way: every option heading (the line after .TP) exists
n=0 extra= all=" $(echo $longs $shorts) "
for o in $(awk 'prev == ".TP" { print } { prev = $0 }' "$T_TMP/man" |
	   grep -oE -- '(^|[ "])--?[A-Za-z][A-Za-z0-9_-]*' | tr -d ' "'); do
	n=$((n + 1))
	case $all in
	*" $o "*) ;;
	*) extra="$extra $o" ;;
	esac
done
if [ -z "$extra" ]; then
	pass "man-options-exist ($n)"
else
	fail man-options-exist "documented but not in --help:$extra"
fi

# the fingerprint example and groff cleanliness
if grep -q -- '--xattr-inode-digest' "$T_TMP/man" && grep -q 'inode_share' "$T_TMP/man"; then
	pass man-fingerprint-example
else
	fail man-fingerprint-example "no ishare example in the man page"
fi
if command -v groff >/dev/null 2>&1; then
	if groff -man -ww -z "$MAN" >"$T_TMP/groff" 2>&1 && [ ! -s "$T_TMP/groff" ]; then
		pass man-groff-clean
	else
		fail man-groff-clean "$(head -n 1 "$T_TMP/groff")"
	fi
else
	skip man-groff-clean "groff not installed"
fi
finish
