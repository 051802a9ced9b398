#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# mkfs-wrapper.sh - installed as "mkfs.erofs" first on containerd's PATH by
# t070-containerd.sh: runs our mkfs ($T070_MKFS) with the same arguments
# and standard input, then appends "rc=STATUS ARGS..." to $T070_MKFS_LOG,
# so the test can prove that containerd's erofs differ called our mkfs
# for every layer and that every call succeeded.
"$T070_MKFS" "$@"
rc=$?
echo "rc=$rc $*" >>"$T070_MKFS_LOG"
exit $rc
