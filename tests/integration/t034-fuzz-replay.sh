#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t034-fuzz-replay.sh - every input of the reader fuzz corpus
# (tests/fuzz/corpus: valid seeds, mutations and past crashers) goes
# through the fuzz target once (tests/fuzz/replay, built in every
# "make check"); with an --enable-asan build this is the sanitizer
# regression test.  The corrupted-image corpus of t033 is replayed too.
. "$(dirname "$0")/lib.sh"

REPLAY=$TOP_BUILDDIR/tests/fuzz/replay
CORPUS=$TOP_SRCDIR/tests/fuzz/corpus
[ -x "$REPLAY" ] || skip_all "$REPLAY not built (run make check)"
[ -d "$CORPUS" ] || { fail corpus "$CORPUS missing"; finish; }

n=$(ls "$CORPUS" | wc -l)
if "$REPLAY" "$CORPUS" >"$T_TMP/out" 2>&1; then
	pass "replay-corpus ($n inputs)"
else
	fail replay-corpus "exit $?: $(tail -n 3 "$T_TMP/out" | tr '\n' ' ')"
fi

if [ -x "$DEB_MKFS" ] && command -v setfattr >/dev/null; then
	if DUMP=$DUMP DEB_MKFS=$DEB_MKFS MKFS=$MKFS \
		sh "$TOP_SRCDIR/tests/corrupt/make-corpus.sh" \
		"$T_TMP/corrupt" >"$T_TMP/corpus.log" 2>&1; then
		rm -f "$T_TMP/corrupt/cases" "$T_TMP/corrupt/bases"
		if "$REPLAY" "$T_TMP/corrupt" >"$T_TMP/out" 2>&1; then
			pass replay-corrupt-corpus
		else
			fail replay-corrupt-corpus "exit $?: $(tail -n 3 "$T_TMP/out" | tr '\n' ' ')"
		fi
	else
		fail replay-corrupt-corpus "make-corpus failed: $(tail -n 1 "$T_TMP/corpus.log")"
	fi
else
	skip replay-corrupt-corpus "needs $DEB_MKFS and setfattr"
fi
finish
