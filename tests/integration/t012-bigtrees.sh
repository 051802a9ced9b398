#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t012-bigtrees - round trips (as in t010) of trees with an unusual shape,
# at every block size: one directory with 10000 entries of varied name
# length (many directory blocks, including names that straddle block
# boundaries) and 300 levels of nesting.  HARNESS_QUICK=1 shrinks them to
# 2000 entries and 100 levels.
. "$(dirname "$0")/lib.sh"

need_loop
need_tools
need_mkfs

entries=10000 depth=300
if [ "$HARNESS_QUICK" = 1 ]; then
	entries=2000 depth=100
fi

src=$T_TMP/src
if gentree_run "$src" --bigdir "$entries"; then
	for bs in $BLOCK_SIZES; do
		roundtrip "bigdir entries=$entries bs=$bs" "$src" "$bs"
	done
else
	fail "bigdir entries=$entries" "$T_WHY"
fi

if gentree_run "$src" --deep "$depth"; then
	for bs in $BLOCK_SIZES; do
		roundtrip "deep levels=$depth bs=$bs" "$src" "$bs"
	done
else
	fail "deep levels=$depth" "$T_WHY"
fi

finish
