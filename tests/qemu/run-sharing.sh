#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# run-sharing.sh [BUILDDIR] - run the QEMU page cache sharing test alone and
# print its table (case / no sharing / predicted / measured).  BUILDDIR is
# the build directory holding mkfs/mkfs.erofs (default $TOP_BUILDDIR, else
# the current directory if it has one, else build/ in the source tree).  Everything
# sharing.sh and lib.sh read from the environment applies, e.g.
#   EROFS_QEMU_WORK=/tmp/qemu-sharing   keep images and the console log
#   EROFS_QEMU_REF_MKFS=/path/mkfs.erofs  also compare with erofs-utils
# Exit status: 0 when no case failed.
here=$(cd "$(dirname "$0")" && pwd)
: "${TOP_SRCDIR:=$(cd "$here/../.." && pwd)}"
if [ -n "${1:-}" ]; then
	TOP_BUILDDIR=$(cd "$1" && pwd) || exit 2
elif [ -z "${TOP_BUILDDIR:-}" ]; then
	if [ -x ./mkfs/mkfs.erofs ]; then TOP_BUILDDIR=$(pwd); else TOP_BUILDDIR=$(cd "$(dirname "$0")/../.." && pwd)/build; fi
fi
export TOP_BUILDDIR TOP_SRCDIR
start=$(date +%s)
sh "$here/sharing.sh"
rc=$?
echo "($(( $(date +%s) - start )) s)"
exit $rc
