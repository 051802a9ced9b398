#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# run-suite.sh - the whole test suite: unit test binaries, then every
# tests/integration/*.sh script.  Integration scripts report each case on
# its own line as "PASS: name", "FAIL: name: why" or "SKIP: name: why"
# (see tests/integration/lib.sh); a script that prints none of these is
# judged by its exit code (0 pass, 77 skip, else fail).  Ends with the line
# "N passed, N failed, N skipped"; exits non-zero if anything failed.
#
# Environment: TOP_BUILDDIR, TOP_SRCDIR (set by "make check"),
# UNIT_TESTS (paths relative to tests/), TESTS_FILTER (a grep -E pattern
# over script names to run a subset).
set -u
: "${TOP_BUILDDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
export TOP_BUILDDIR TOP_SRCDIR
passed=0 failed=0 skipped=0
failures=""
logdir="$TOP_BUILDDIR/tests/logs"
mkdir -p "$logdir"

count_lines() {
	# $1 log file, $2 name; adds its PASS/FAIL/SKIP lines to the totals
	p=$(grep -c '^PASS: ' "$1") ; f=$(grep -c '^FAIL: ' "$1") ; s=$(grep -c '^SKIP: ' "$1")
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	[ "$f" -gt 0 ] && failures="$failures $2"
	[ $((p + f + s)) -gt 0 ]
}

for t in ${UNIT_TESTS:-}; do
	bin="$TOP_BUILDDIR/tests/$t"
	log="$logdir/$(basename "$t").log"
	if "$bin" >"$log" 2>&1; then
		n=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		passed=$((passed + ${n:-1}))
		echo "PASS: $t (${n:-1} cases)"
	else
		n=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		failed=$((failed + ${n:-1}))
		failures="$failures $t"
		echo "FAIL: $t"; sed 's/^/    /' "$log" | tail -n 30
	fi
done

for s in "$TOP_SRCDIR"/tests/integration/t[0-9]*.sh; do
	[ -e "$s" ] || continue
	name=$(basename "$s" .sh)
	if [ -n "${TESTS_FILTER:-}" ] && ! echo "$name" | grep -qE "$TESTS_FILTER"; then
		continue
	fi
	log="$logdir/$name.log"
	start=$(date +%s)
	sh "$s" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	grep -E '^(PASS|FAIL|SKIP): ' "$log" | sed "s|^|[$name] |"
	if ! count_lines "$log" "$name"; then
		case $rc in
		0) passed=$((passed + 1)); echo "PASS: $name" ;;
		77) skipped=$((skipped + 1)); echo "SKIP: $name: $(tail -n 1 "$log")" ;;
		*) failed=$((failed + 1)); failures="$failures $name"; echo "FAIL: $name (exit $rc)" ;;
		esac
	elif [ $rc -ne 0 ] && [ $rc -ne 77 ] && ! grep -q '^FAIL: ' "$log"; then
		failed=$((failed + 1)); failures="$failures $name"
		echo "FAIL: $name (exit $rc after its cases)"
	fi
	if grep -q '^FAIL: ' "$log" || { [ $rc -ne 0 ] && [ $rc -ne 77 ]; }; then
		echo "---- tail of $log"; tail -n 40 "$log" | sed 's/^/    /'
	fi
	echo "     ($name took ${secs}s)"
done

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
