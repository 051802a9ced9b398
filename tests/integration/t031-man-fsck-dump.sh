#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t031-man-fsck-dump.sh - the fsck.erofs, dump.erofs and erofsfuse man
# pages cannot drift from the code: every option "--help" prints (the help
# text comes from the same table as the parser) is documented on a macro
# line of the man page, and every option heading of the man page exists in
# --help.  For erofsfuse, libfuse's own options (its help lines are
# indented by four spaces: "    -f", "    -o allow_other") count as
# existing; they are libfuse's to keep in sync.
. "$(dirname "$0")/lib.sh"

check_tool() {
	tool=$1 bin=$2 man=$TOP_SRCDIR/man/$1.1
	[ -x "$bin" ] || { fail "$tool-built" "$bin missing"; return; }
	[ -r "$man" ] || { fail "$tool-man" "$man missing"; return; }
	"$bin" --help >"$T_TMP/$tool.help" 2>&1 ||
		{ fail "$tool-help" "--help exits non-zero"; return; }
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$man" >"$T_TMP/$tool.man"
	longs=$(sed -n 's/^  \(-[A-Za-z], \)\{0,1\} *\(--[a-z][a-z0-9_-]*\).*/\2/p' "$T_TMP/$tool.help")
	shorts=$(sed -n 's/^  \(-[A-Za-z]\)[ ,].*/\1/p' "$T_TMP/$tool.help")
	[ -n "$longs" ] || { fail "$tool-help-parse" "no long options in --help"; return; }
	n=0 missing=
	for o in $longs; do
		n=$((n + 1))
		grep -qE "^\.[BIR]+ .*$o([= \"\[]|\$)" "$T_TMP/$tool.man" ||
			missing="$missing $o"
	done
	if [ -z "$missing" ]; then
		pass "$tool-long-options-in-man ($n)"
	else
		fail "$tool-long-options-in-man" "undocumented:$missing"
	fi
	n=0 missing=
	for o in $shorts; do
		n=$((n + 1))
		grep -qE "^\.[BIR]+ (.*[ \"])?$o([ \",]|\$)" "$T_TMP/$tool.man" ||
			missing="$missing $o"
	done
	if [ -z "$missing" ]; then
		pass "$tool-short-options-in-man ($n)"
	else
		fail "$tool-short-options-in-man" "undocumented:$missing"
	fi
	libfuse=$(sed -n 's/^    \(-[A-Za-z]\) .*/\1/p' "$T_TMP/$tool.help" | sort -u)
	n=0 extra= all=" $(echo $longs $shorts $libfuse) "
	for o in $(awk 'prev == ".TP" { print } { prev = $0 }' "$T_TMP/$tool.man" |
		   grep -oE -- '(^|[ "])--?[A-Za-z][a-z0-9_-]*' | tr -d ' "'); do
		n=$((n + 1))
		case $all in
		*" $o "*) ;;
		*) extra="$extra $o" ;;
		esac
	done
	if [ -z "$extra" ]; then
		pass "$tool-man-options-exist ($n)"
	else
		fail "$tool-man-options-exist" "documented but not in --help:$extra"
	fi
	if command -v groff >/dev/null 2>&1; then
		if groff -man -ww -z "$man" >"$T_TMP/groff" 2>&1 && [ ! -s "$T_TMP/groff" ]; then
			pass "$tool-man-groff-clean"
		else
			fail "$tool-man-groff-clean" "$(head -n 1 "$T_TMP/groff")"
		fi
	fi
}

check_tool fsck.erofs "$FSCK"
check_tool dump.erofs "$DUMP"
: "${EROFSFUSE:=$TOP_BUILDDIR/fuse/erofsfuse}"
if [ -x "$EROFSFUSE" ]; then
	check_tool erofsfuse "$EROFSFUSE"
else
	skip erofsfuse "$EROFSFUSE not built (configure found no libfuse3)"
fi
finish
