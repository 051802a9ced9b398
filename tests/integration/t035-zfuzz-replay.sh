#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t035-zfuzz-replay.sh - the corpora of the decompression fuzz targets
# (tests/fuzz/corpus-<target>: valid seeds from our compressors and mkfs,
# merged fuzzer finds and past crashers) go through their targets once,
# via the replay binaries every "make check" builds
# (tests/fuzz/replay_<target>).  Under --enable-asan/--enable-ubsan this
# is the sanitizer regression test of lib/compressor*.c, zmap.c and
# decompress.c.  A failing case names the input that crashed.
. "$(dirname "$0")/lib.sh"

FUZZDIR=$TOP_SRCDIR/tests/fuzz
for t in lz4 lzma deflate zstd zmap roundtrip; do
	replay=$TOP_BUILDDIR/tests/fuzz/replay_$t
	corpus=$FUZZDIR/corpus-$t
	if [ ! -x "$replay" ]; then
		skip "replay-$t" "$replay not built (run make check)"
		continue
	fi
	if [ ! -d "$corpus" ]; then
		fail "replay-$t" "$corpus missing"
		continue
	fi
	n=$(ls "$corpus" | wc -l)
	if REPLAY_TRACE=1 "$replay" "$corpus" >"$T_TMP/out-$t" \
		2>"$T_TMP/err-$t"; then
		pass "replay-$t ($n inputs)"
	else
		rc=$?
		last=$(grep '^replay: ' "$T_TMP/err-$t" | tail -n 1 | \
			sed 's/^replay: //')
		why=$(grep -v '^replay: ' "$T_TMP/err-$t" | \
			grep -m 1 -E 'fuzz |ERROR|runtime error' || true)
		fail "replay-$t" "exit $rc on $(basename "$last"): $why"
	fi
done
finish
