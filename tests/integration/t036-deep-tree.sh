#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t036-deep-tree.sh - the format has no depth limit, so neither may fsck:
# a tree 1,100 directories deep (deeper than any fixed stack or a
# 1,024-level cap) built by our mkfs checks clean, and --extract recreates
# it completely (its paths are longer than PATH_MAX, so extraction must
# work relative to open directories).  No silent drops either: a
# directory that cannot be created is reported and the exit is non-zero.
# No kernel mount: t012 mounts deep trees; this one only needs the tools.
. "$(dirname "$0")/lib.sh"

need_tools
need_mkfs

depth=1100
src=$T_TMP/src
img=$T_TMP/img
if ! gentree_run "$src" --deep "$depth" >/dev/null; then
	fail "deep=$depth tree" "$T_WHY"
	finish
fi

for bs in 4096 512; do
	name="deep=$depth bs=$bs"
	if ! mkfs_image "$img" "$src" "$bs"; then
		fail "$name mkfs" "$T_WHY"
		continue
	fi
	if "$FSCK" "$img" >"$T_TMP/fsck.log" 2>&1 && [ ! -s "$T_TMP/fsck.log" ]; then
		pass "$name fsck clean"
	else
		fail "$name fsck clean" "$(head -n 2 "$T_TMP/fsck.log" | tr '\n' ' ')"
	fi
	rm -rf "$T_TMP/ext"
	if ! "$FSCK" --extract="$T_TMP/ext" "$img" >"$T_TMP/ext.log" 2>&1; then
		fail "$name extract" "exit $?: $(head -n 2 "$T_TMP/ext.log" | tr '\n' ' ')"
	elif compare_trees "$src" "$T_TMP/ext"; then
		pass "$name extract equals the source"
	else
		fail "$name extract" "$T_WHY"
	fi
done

# a path that cannot be created: a file where the first directory goes
first=$(ls "$src" | head -n 1)
rm -rf "$T_TMP/ext"
mkdir -p "$T_TMP/ext"
: >"$T_TMP/ext/$first"
"$FSCK" --extract="$T_TMP/ext" "$img" >"$T_TMP/ext.log" 2>&1
rc=$?
if [ "$rc" != 0 ] && grep -q "E_EXTRACT.*$first" "$T_TMP/ext.log"; then
	pass "uncreatable directory reported (exit $rc)"
else
	fail "uncreatable directory reported" "exit $rc: $(head -n 2 "$T_TMP/ext.log" | tr '\n' ' ')"
fi
finish
