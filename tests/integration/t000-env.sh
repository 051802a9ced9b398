#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t000-env - report the test environment (kernel, EROFS support, loop
# devices, root, tools and their versions, configured libraries) so a log
# shows at once why later scripts skip.  Fails only if the harness's own
# helpers are missing.
. "$(dirname "$0")/lib.sh"

echo "kernel:        $(uname -srm)"
echo "user:          uid $(id -u)"
if grep -qw erofs /proc/filesystems 2>/dev/null; then
	echo "erofs:         in /proc/filesystems"
else
	echo "erofs:         NOT in /proc/filesystems (kernel mounts will be skipped)"
fi
if [ -e /dev/loop-control ]; then
	echo "loop:          /dev/loop-control present, next free: $(losetup -f 2>&1)"
else
	echo "loop:          no /dev/loop-control"
fi
echo "top builddir:  $TOP_BUILDDIR"
for t in MKFS FSCK DUMP DEB_MKFS DEB_FSCK GENTREE TREEDIGEST; do
	p=
	eval "p=\$$t"
	if [ -x "$p" ]; then
		echo "$t: $p ($("$p" --help 2>&1 | head -n 1 | cut -c1-60))"
	else
		echo "$t: $p (missing)"
	fi
done
echo "erofs-utils:   $(dpkg-query -W -f='${Version}' erofs-utils 2>/dev/null || echo 'not installed')"
if [ -f "$TOP_BUILDDIR/config.h" ]; then
	echo "libraries:     $(sed -n 's/^#define HAVE_\(LIB[A-Z0-9_]*\|CMOCKA\) 1$/\1/p' "$TOP_BUILDDIR/config.h" | tr '\n' ' ')"
fi
echo "stand-in mode: $STANDIN; block sizes: $BLOCK_SIZES; quick: $HARNESS_QUICK"

if [ -x "$GENTREE" ] && [ -x "$TREEDIGEST" ]; then
	pass "env harness tools"
else
	fail "env harness tools" "gentree/treedigest not built in $TOP_BUILDDIR/tests/tools"
fi
finish
