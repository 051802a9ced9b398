#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t033-corrupt.sh - fsck names WHICH rule a corrupted image breaks.
# tests/corrupt/make-corpus.sh mutates valid images (bad magic, checksum,
# unknown incompat bit, truncation, addresses past the end, dirent name
# offsets, unsorted/duplicate names, "." / ".." elsewhere, a directory
# cycle, names with "/" or "..", xattr counts, ...); each case lists the
# problem code fsck must print ("[E_...]") and the exit code (4, or 8 when
# the file is not readable as EROFS).  With our mkfs the corpus also
# holds the fsck policy cases (legal images that must check clean, code
# "-"; compressed headers, indexes and configuration records the kernel
# refuses; warnings that keep exit 0).  Every case whose check fails must
# fail --extract too (no partial tree with exit 0), and a legal one must
# extract with exit 0.  Extraction of the hostile names must stay inside
# its directory.  Each case gives the same rows and exit code at 1 and at
# 3 workers (--workers).
. "$(dirname "$0")/lib.sh"
[ -x "$DEB_MKFS" ] || skip_all "$DEB_MKFS not installed (builds the base images)"
command -v setfattr >/dev/null || skip_all "setfattr not installed"

CORPUS=$T_TMP/corpus
if ! DUMP=$DUMP DEB_MKFS=$DEB_MKFS MKFS=$MKFS \
	sh "$TOP_SRCDIR/tests/corrupt/make-corpus.sh" \
	"$CORPUS" >"$T_TMP/corpus.log" 2>&1; then
	fail make-corpus "$(tail -n 1 "$T_TMP/corpus.log")"
	finish
fi

# the base images themselves are clean
for b in $(cat "$CORPUS/bases"); do
	if "$FSCK" "$CORPUS/$b.img" >"$T_TMP/out" 2>&1; then
		pass "base-$b-clean"
	else
		fail "base-$b-clean" "$(head -n 2 "$T_TMP/out" | tr '\n' ' ')"
	fi
done

codes() { grep -o '\[[EWU]_[A-Z0-9_]*\]' "$1" | sort -u | tr '\n' ' '; }
# the default --workers (one per CPU, at least 3 here) and one worker
# print the same rows and exit the same (t037 has the rest)
nodiff=0
while read -r name code want opts; do
	# shellcheck disable=SC2086
	"$FSCK" --workers=1 $opts "$CORPUS/$name.img" >"$T_TMP/out1" 2>&1
	rc1=$?
	# shellcheck disable=SC2086
	"$FSCK" --workers=3 $opts "$CORPUS/$name.img" >"$T_TMP/out" 2>&1
	rc=$?
	if [ "$rc" != "$rc1" ] || ! cmp -s "$T_TMP/out1" "$T_TMP/out"; then
		fail "$name workers" "exit $rc1 at 1 worker, $rc at 3, or other rows: $(diff "$T_TMP/out1" "$T_TMP/out" | sed -n 2p)"
		nodiff=1
	fi
	if [ "$code" = - ] && grep -q '\[[EU]_' "$T_TMP/out"; then
		fail "$name" "a legal image, but (exit $rc): $(codes "$T_TMP/out")"
	elif [ "$code" != - ] && ! grep -qF "[$code]" "$T_TMP/out"; then
		fail "$name" "no [$code] (exit $rc): $(codes "$T_TMP/out")"
	elif [ "$rc" != "$want" ]; then
		fail "$name" "$code found but exit $rc, expected $want"
	else
		pass "$name"
	fi
	# a failed check fails extraction too; a legal image extracts
	rows() { grep -o '\[[EWU]_[A-Z0-9_]*\]' "$1" | grep -v E_EXTRACT |
		sort | uniq -c | tr -s ' ' | tr '\n' ' '; }
	chk_rows=$(rows "$T_TMP/out")
	rm -rf "$T_TMP/ex"
	# shellcheck disable=SC2086
	"$FSCK" $opts --extract="$T_TMP/ex" "$CORPUS/$name.img" \
		>"$T_TMP/out" 2>&1
	xrc=$?
	if [ "$want" != 0 ] && [ "$xrc" = 0 ]; then
		fail "$name extract" "exit 0 on an image fsck fails"
	elif grep -q '\[OK\]' "$T_TMP/out"; then
		# a data error the check reported, again as a warning
		fail "$name extract" "a row without a problem: $(grep -m 1 '\[OK\]' "$T_TMP/out")"
	elif [ "$(rows "$T_TMP/out")" != "$chk_rows" ]; then
		# each problem of the image once, as the check reports it
		fail "$name extract" "rows $(rows "$T_TMP/out")against the check's $chk_rows"
	elif [ "$code" = - ] && [ "$xrc" != 0 ]; then
		fail "$name extract" "exit $xrc on a legal image: $(codes "$T_TMP/out")"
	fi
done <"$CORPUS/cases"
rm -rf "$T_TMP/ex"
[ $nodiff = 0 ] && pass "every case: the same at 1 and 3 workers"

# hostile names: extraction refuses them and writes nothing outside
for name in name-with-slash name-escape name-dotdot-file; do
	ex=$T_TMP/ex-$name
	mkdir -p "$ex"
	"$FSCK" --no-sbcrc --extract="$ex/out" "$CORPUS/$name.img" >"$T_TMP/out" 2>&1
	rc=$?
	outside=$(ls -A "$ex" | grep -vx out)
	if [ -n "$outside" ]; then
		fail "extract-$name" "wrote outside the target: $outside"
	elif [ -e "$ex/out/a" ] || [ -e "$ex/e" ] || [ -e "$T_TMP/e" ]; then
		fail "extract-$name" "a refused name was created"
	elif [ "$rc" = 0 ]; then
		fail "extract-$name" "exit 0 for a hostile image"
	elif [ ! -f "$ex/out/bb" ]; then
		fail "extract-$name" "the rest of the tree was not extracted"
	else
		pass "extract-$name"
	fi
done

# a name listed twice: the second copy is refused, or with --overwrite
# replaces the first, in a directory this extraction made as in one it
# found (the target made before the run)
for where in fresh existing; do
	for ow in "" --overwrite; do
		ex=$T_TMP/ex-dup-$where$ow
		[ $where = existing ] && mkdir -p "$ex"
		"$FSCK" --no-sbcrc $ow --extract="$ex" "$CORPUS/duplicate.img" \
			>"$T_TMP/out" 2>&1
		rc=$?
		got=$(cat "$ex/bb" 2>/dev/null)
		row=$(grep -c '\[E_EXTRACT\] bb (nid [0-9]*) extraction failed: File exists$' "$T_TMP/out")
		if [ -z "$ow" ] && [ $rc = 12 ] && [ "$row" = 1 ] && [ "$got" = first ]; then
			pass "extract-duplicate ($where): the second copy refused"
		elif [ -n "$ow" ] && [ $rc = 4 ] && [ "$row" = 0 ] && [ "$got" = second ]; then
			pass "extract-duplicate ($where, --overwrite): the second copy wins"
		else
			fail "extract-duplicate ($where$ow)" "exit $rc, bb \"$got\": $(grep E_EXTRACT "$T_TMP/out" | head -n 1)"
		fi
	done
done

# a directory cycle terminates during extraction as well
ex=$T_TMP/ex-cycle
"$FSCK" --no-sbcrc --extract="$ex" "$CORPUS/dir-cycle.img" >"$T_TMP/out" 2>&1
rc=$?
if [ "$rc" = 4 ] && grep -qF '[E_DIR_LOOP]' "$T_TMP/out"; then
	pass extract-dir-cycle
else
	fail extract-dir-cycle "exit $rc: $(grep -o '\[[EW]_[A-Z_]*\]' "$T_TMP/out" | sort -u | tr '\n' ' ')"
fi
finish
