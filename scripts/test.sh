#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# test.sh - build and run the whole test suite, twice:
#
#   sudo scripts/test.sh
#
#   1. scripts/setup.sh --no-demo: installs missing packages (a no-op when
#      setup.sh ran before), autoreconf/configure when needed, make in
#      build/;
#   2. "make check" in build/ (unit tests, then every
#      tests/integration/t*.sh: kernel mounts, fsck, reproducibility...);
#   3. a second build in build-asan/ configured with --enable-asan
#      --enable-ubsan, and "make check" there with HARNESS_QUICK=1 (smaller
#      trees: sanitizers make mkfs several times slower).
# The last line of output is "N passed, N failed, N skipped", summed over
# both runs; the exit status is non-zero if anything failed (a build error
# counts as a failure).  Logs: build*/tests/logs/, build*/check.log.
#
# Environment: BUILD_DIR, ASAN_BUILD_DIR (default build/ and build-asan/ in
# the clone), SKIP_ASAN=1 (main run only), TESTS_FILTER (grep -E pattern
# over script names, both runs), ASAN_TESTS_FILTER (the sanitizer run
# only, e.g. '^t0(0|1[01])' to drop slow kernel-mount scripts).
set -u

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-$REPO/build-asan}
JOBS=$(nproc 2>/dev/null || echo 2)
export BUILD_DIR

passed=0 failed=0 skipped=0
failures=

summary() {
	[ -n "$failures" ] && echo "test.sh: failed:$failures"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit $?
}

# run_check DIR LABEL: make check in DIR, add its summary line to the totals
run_check() {
	dir=$1 label=$2
	echo "test.sh: make check in $dir ($label)"
	make -C "$dir" -s -j"$JOBS" check >"$dir/check.log" 2>&1
	rc=$?
	# show the suite's own lines, not make's noise
	grep -aE '^(PASS|FAIL|SKIP|\[|    |---- |     \(|failed:)' "$dir/check.log" |
		grep -avE '^\[[^]]*\] PASS: ' | cat -v
	line=$(grep -aE '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$dir/check.log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL: $label: make check stopped before the suite ran (exit $rc):"
		tail -n 30 "$dir/check.log" | cat -v | sed 's/^/    /'
		failed=$((failed + 1)); failures="$failures $label"
		return
	fi
	echo "test.sh: $label: $line"
	# shellcheck disable=SC2086
	set -- $line
	passed=$((passed + $1)); failed=$((failed + $3)); skipped=$((skipped + $5))
	[ "$3" -gt 0 ] && failures="$failures $label"
	[ "$3" -gt 0 ] || [ "$rc" -eq 0 ] || {
		echo "FAIL: $label: make check exited $rc"
		failed=$((failed + 1)); failures="$failures $label"
	}
}

if ! sh "$REPO/scripts/setup.sh" --no-demo; then
	echo "FAIL: build: scripts/setup.sh --no-demo failed"
	failed=$((failed + 1)); failures="$failures build"
	summary
fi

run_check "$BUILD_DIR" main

if [ "${SKIP_ASAN:-0}" != 1 ]; then
	mkdir -p "$ASAN_BUILD_DIR"
	ok=1
	if [ ! -f "$ASAN_BUILD_DIR/config.status" ]; then
		echo "test.sh: configure --enable-asan --enable-ubsan in $ASAN_BUILD_DIR"
		(cd "$ASAN_BUILD_DIR" && "$REPO/configure" -q --enable-asan --enable-ubsan) || ok=0
	fi
	if [ "$ok" = 1 ]; then
		echo "test.sh: make -j$JOBS in $ASAN_BUILD_DIR"
		make -C "$ASAN_BUILD_DIR" -s -j"$JOBS" >"$ASAN_BUILD_DIR/build.log" 2>&1 || ok=0
	fi
	if [ "$ok" = 1 ]; then
		# halt_on_error: a sanitizer report must fail the case that hit it
		ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
		TESTS_FILTER=${ASAN_TESTS_FILTER:-${TESTS_FILTER:-}}
		HARNESS_QUICK=1
		export ASAN_OPTIONS UBSAN_OPTIONS TESTS_FILTER HARNESS_QUICK
		run_check "$ASAN_BUILD_DIR" asan
	else
		echo "FAIL: asan build: see $ASAN_BUILD_DIR/build.log"
		tail -n 20 "$ASAN_BUILD_DIR/build.log" 2>/dev/null | sed 's/^/    /'
		failed=$((failed + 1)); failures="$failures asan-build"
	fi
fi

summary
