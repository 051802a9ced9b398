#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# fold-tree.sh DIR - the tree of the extraction tests on targets that fold
# case (t089 with a shim, t061 in the QEMU guest): names that differ only
# in case, made in DIR (which must not exist).
#   A, a   two files: the second is in the way of the first;
#   G, g   two files, G also linked as sub/y (met after g);
#   H, h   two names of one file;
#   L, l   a file, and a symbolic link in its way.
set -e
mkdir -p "$1/sub"
cd "$1"
printf AAAA >A
printf aaaa >a
printf GGGG >G
ln G sub/y
printf gggg >g
printf HHHH >H
ln H h
printf LLLL >L
ln -s A l
