#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t034-fuzz-replay.sh - every input of the reader fuzz corpus
# (tests/fuzz/corpus: valid seeds, mutations and past crashers) goes
# through the fuzz target once (tests/fuzz/replay, built in every
# "make check"); with an --enable-asan build this is the sanitizer
# regression test.  The corrupted-image corpus of t033 is replayed too,
# and so is the corpus of the "seed + field edits" target
# (tests/fuzz/corpus-fields, replay_fields), whose seeds (inputs with no
# edits) must be images our fsck finds clean.
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

FREPLAY=$TOP_BUILDDIR/tests/fuzz/replay_fields
FCORPUS=$TOP_SRCDIR/tests/fuzz/corpus-fields
if [ -x "$FREPLAY" ] && [ -d "$FCORPUS" ]; then
	n=$(ls "$FCORPUS" | wc -l)
	if REPLAY_TRACE=1 "$FREPLAY" "$FCORPUS" >"$T_TMP/out" 2>"$T_TMP/err"; then
		pass "replay-fields ($n inputs)"
	else
		fail replay-fields "exit $? on $(grep '^replay: ' "$T_TMP/err" | tail -n 1 | sed 's/^replay: //'): $(grep -v '^replay: ' "$T_TMP/err" | head -n 2 | tr '\n' ' ')"
	fi
	bad="" nseeds=0
	for f in "$FCORPUS"/*; do
		# "EFE1", then 0 edits: a seed
		[ "$(head -c 5 "$f" | od -An -c | tr -d ' ')" = 'EFE1\0' ] || continue
		nseeds=$((nseeds + 1))
		tail -c +6 "$f" >"$T_TMP/seed.img"
		"$FSCK" "$T_TMP/seed.img" >/dev/null 2>&1 || bad="$bad $(basename "$f")"
	done
	if [ "$nseeds" -eq 0 ]; then
		fail fields-seeds-clean "no seed (EFE1 with no edits) in $FCORPUS"
	elif [ -z "$bad" ]; then
		pass "fields-seeds-clean ($nseeds seeds)"
	else
		fail fields-seeds-clean "fsck rejects:$bad"
	fi
else
	fail replay-fields "$FREPLAY or $FCORPUS missing"
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
