#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t085-campaign.sh - a small run of the crafted-image campaign
# (tests/campaign/campaign.sh explains it): seed images of every layout,
# typed-field mutations, our tools on the host and the kernel in the QEMU
# guest (Linux 7.2; never this machine's kernel).  12 cases per seed here
# (4 and no kernel in quick mode, the sanitizer pass, where the host side
# is what matters); `make campaign` runs about 6,000.  A miss this finds
# is kept as a corpus case (tests/corrupt/make-corpus.sh) once fixed.
. "$(dirname "$0")/lib.sh"

need_tools
need_mkfs
per_seed=12 kopt=
if [ "$HARNESS_QUICK" = 1 ]; then
	per_seed=4 kopt=--no-kernel
	skip "campaign kernel oracle" "quick mode (sanitizer pass): the main pass boots the guest"
elif [ -n "${EROFS_SKIP_QEMU:-}" ]; then
	kopt=--no-kernel
	skip "campaign kernel oracle" "EROFS_SKIP_QEMU is set"
fi
# shellcheck disable=SC2086
TOP_BUILDDIR=$TOP_BUILDDIR TOP_SRCDIR=$TOP_SRCDIR \
	sh "$TOP_SRCDIR/tests/campaign/campaign.sh" --per-seed $per_seed --rng 3 \
	$kopt --work "$T_TMP/campaign" >"$T_TMP/campaign.log" 2>&1
rc=$?
sed 's/^/    /' "$T_TMP/campaign.log" | grep -v '^    campaign: seed' | head -n 60
summary=$(grep '^@@ summary' "$T_TMP/campaign.log")
kline=$(grep '^@@ kernel' "$T_TMP/campaign.log")
val() { echo "$summary" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
if [ -z "$summary" ]; then
	fail "campaign ran" "exit $rc: $(tail -n 1 "$T_TMP/campaign.log")"
	finish
fi
pass "campaign ran ($(val cases) cases)"
if [ "$(val crashes)" = 0 ] && [ "$(val hangs)" = 0 ]; then
	pass "our tools: no crash, sanitizer report or hang"
else
	fail "our tools: no crash, sanitizer report or hang" "$(val crashes) crashes, $(val hangs) hangs"
fi
case $kline in
"@@ kernel yes"*)
	if [ "$(val misses)" = 0 ] && [ "$(val misreads)" = 0 ]; then
		pass "fsck agrees with the kernel (no miss, no misread)"
	else
		fail "fsck agrees with the kernel" "$(val misses) misses, $(val misreads) misreads"
	fi
	# a guest crash or hang on an image fsck rejects is the kernel's
	# weakness, which fsck guards against; on one it passes, a miss
	if [ "$(val kernel_crashes)" = 0 ] && [ "$(val unreached)" = 0 ]; then
		pass "no guest crash on an image fsck passes ($(val kernel_crashes_flagged) on images it rejects)"
	else
		fail "no guest crash on an image fsck passes" "$(val kernel_crashes) crashed the guest, $(val unreached) unreached"
	fi ;;
*)
	[ -n "$kopt" ] || skip "campaign kernel oracle" "${kline#@@ kernel no }" ;;
esac
finish
