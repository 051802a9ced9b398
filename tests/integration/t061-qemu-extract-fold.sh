#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t061-qemu-extract-fold.sh - fsck.erofs --extract=DIR onto a directory
# that folds case, in a real kernel: a casefold tmpfs in Debian's Linux 7.2
# cloud kernel under QEMU (tests/qemu/extract-fold.sh says what is
# checked).  One boot of about 10 seconds; skipped, with the reason, when
# QEMU, busybox-static, the kernel packages or chattr are missing, or when
# EROFS_SKIP_QEMU is set.
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${TOP_BUILDDIR:=$TOP_SRCDIR/build}"
export TOP_BUILDDIR TOP_SRCDIR
if [ -n "${EROFS_SKIP_QEMU:-}" ]; then
	echo "SKIP: qemu-extract-fold: EROFS_SKIP_QEMU is set"
	exit 0
fi
exec sh "$TOP_SRCDIR/tests/qemu/extract-fold.sh"
