#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t060-qemu-sharing.sh - page cache sharing in a real kernel: boots Debian's
# Linux 7.2 cloud kernel under QEMU (software emulation), mounts images made
# by our mkfs with inode_share and checks how much page cache they share
# against the prediction from the files' contents (tests/qemu/sharing.sh
# explains the cases, the prediction and the tolerance).  Takes 1-3 minutes;
# the first run downloads the kernel packages (~37 MB) into
# /var/cache/erofs-tools/qemu.  Cases are skipped, with the reason, when
# QEMU, busybox-static, the kernel packages, enough memory or our mkfs's
# --ishare_key are missing, or when EROFS_SKIP_QEMU is set.
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${TOP_BUILDDIR:=$TOP_SRCDIR/build}"
export TOP_BUILDDIR TOP_SRCDIR
if [ -n "${EROFS_SKIP_QEMU:-}" ]; then
	echo "SKIP: qemu-sharing: EROFS_SKIP_QEMU is set"
	exit 0
fi
exec sh "$TOP_SRCDIR/tests/qemu/sharing.sh"
