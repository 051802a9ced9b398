#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# extract-fold.sh - fsck.erofs --extract=DIR onto a directory that folds
# case, in a real kernel: Debian's Linux 7.2 cloud kernel under QEMU, a
# tmpfs mounted with casefold and a directory made case-insensitive with
# chattr +F (the host's kernel may have no CONFIG_UNICODE; t089 checks the
# same with an LD_PRELOAD shim).  Our fsck.erofs and chattr run in the
# guest with the host's shared libraries (qemu_add_program); the image,
# made by our mkfs, is the guest's /dev/vda.
#
# The image is of tests/tools/fold-tree.sh's tree: A and a (two files), G
# (also linked as sub/y) and g, H and h (two names of one file), L and l (a
# file, and a symbolic link in its way).  It is extracted at 1 and 2
# workers, with and without --overwrite, and every name's link count and
# content compared:
#   refused (exit 8, one E_EXTRACT row each for a, g and l): the first
#     names stay, H/h is one file, sub/y is G's second name;
#   --overwrite (exit 0): a, g and l replace A, G and L (casefold keeps
#     the name a file was made with), H/h stays one file, and sub/y is a
#     copy of G, not a link to g.
# Prints one PASS/FAIL/SKIP line per case.
set -u
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${TOP_BUILDDIR:=$TOP_SRCDIR/build}"
# shellcheck disable=SC2034 # read by lib.sh
QEMU_LIB_SELF=$TOP_SRCDIR/tests/qemu/lib.sh
. "$TOP_SRCDIR/tests/qemu/lib.sh"

CASES="w1 w1-overwrite w2 w2-overwrite"
skip_all() {
	for c in $CASES; do echo "SKIP: extract-fold-$c: $1"; done
	exit 0
}
fail_all() {
	for c in $CASES; do echo "FAIL: extract-fold-$c: $1"; done
	exit 1
}

mkfs=${MKFS:-$TOP_BUILDDIR/mkfs/mkfs.erofs}
fsck=${FSCK:-$TOP_BUILDDIR/fsck/fsck.erofs}
for p in "$mkfs" "$fsck"; do
	[ -x "$p" ] || skip_all "no $p (build first)"
done
chattr=$(command -v chattr) || skip_all "no chattr on the host (e2fsprogs)"
command -v ldd >/dev/null || skip_all "no ldd on the host"

qemu_check_host || skip_all "$QEMU_SKIP"
qemu_fetch_kernel
case $? in 0) ;; 77) skip_all "$QEMU_SKIP" ;; *) fail_all "$QEMU_ERROR" ;; esac
qemu_build_initrd
case $? in 0) ;; 77) skip_all "$QEMU_SKIP" ;; *) fail_all "$QEMU_ERROR" ;; esac

work=$(mktemp -d /tmp/erofs-qemu-fold.XXXXXX) || fail_all "mktemp"
trap 'rm -rf "$work"' EXIT

src=$work/src
sh "$TOP_SRCDIR/tests/tools/fold-tree.sh" "$src" ||
	fail_all "cannot make the test tree"
"$mkfs" --quiet -T0 -zlz4hc "$work/f.img" "$src" >"$work/mkfs.log" 2>&1 ||
	fail_all "mkfs: $(tail -n 1 "$work/mkfs.log")"
if ! qemu_add_program "$work/root" "$fsck" fsck.erofs ||
   ! qemu_add_program "$work/root" "$chattr"; then
	fail_all "cannot copy fsck.erofs and chattr with their libraries"
fi

# a sanitizer build runs there too (ldd names its runtime): with the
# host's options, so that a report fails the case
{
	echo "export ASAN_OPTIONS='${ASAN_OPTIONS:-}'"
	echo "export UBSAN_OPTIONS='${UBSAN_OPTIONS:-}'"
} >"$work/cases.sh"
cat >>"$work/cases.sh" <<'EOF'
# NAME:LINKS:CONTENT (or link target) of each name, comma-separated
listing() {
	(cd "$1" && for f in * sub/*; do
		printf '%s:%s:%s,' "$f" "$(stat -c %h "$f")" \
			"$(if [ -L "$f" ]; then readlink "$f"
			elif [ -f "$f" ]; then cat "$f"; fi)"
	done)
}
fold_cases() {
	mkdir -p /mnt/cf
	if ! mount -t tmpfs -o casefold tmpfs /mnt/cf 2>/tmp/err; then
		echo "@@ result case=all status=no-casefold err=$(tr ' ' _ </tmp/err)"
		return
	fi
	mkdir /mnt/cf/t
	if ! chattr +F /mnt/cf/t 2>/tmp/err; then
		echo "@@ result case=all status=no-chattr+F err=$(tr ' ' _ </tmp/err)"
		return
	fi
	for w in 1 2; do
		for ow in "" --overwrite; do
			x=/mnt/cf/t/x$w$ow
			fsck.erofs --workers=$w $ow --extract=$x /dev/vda \
				>/tmp/log 2>&1
			rc=$?
			echo "@@ result case=w$w${ow:+-overwrite} rc=$rc rows=$(grep -c E_EXTRACT /tmp/log) listing=$(listing $x)"
			sed 's/^/@@ log /' /tmp/log
		done
	done
}
fold_cases
EOF

# shellcheck disable=SC2034 # read by qemu_boot
QEMU_EXTRA_ROOT=$work/root
qemu_boot "$work/cases.sh" "$work/console.log" "$work/f.img" || fail_all "$QEMU_ERROR"
echo "qemu: ${QEMU_BOOT_SECS}s for the boot that finished, $QEMU_BOOT_TRIES boot(s)"
why=$(sed -n 's/^@@ result case=all status=\(.*\)/\1/p' "$work/console.log" | head -n 1)
[ -n "$why" ] && skip_all "the guest's tmpfs: $why"

refused="A:1:AAAA,G:2:GGGG,H:1:HHHH,L:1:LLLL,sub:2:,sub/y:2:GGGG,"
replaced="H:1:HHHH,a:1:aaaa,g:1:gggg,l:1:A,sub:2:,sub/y:1:GGGG,"
failed=0
for c in $CASES; do
	case $c in
	*-overwrite) want="rc=0 rows=0 listing=$replaced" ;;
	*) want="rc=8 rows=3 listing=$refused" ;;
	esac
	got=$(sed -n "s/^@@ result case=$c //p" "$work/console.log" | head -n 1)
	if [ "$got" = "$want" ]; then
		echo "PASS: extract-fold-$c: $got"
	else
		echo "FAIL: extract-fold-$c: got '$got', want '$want'"
		grep '^@@ log ' "$work/console.log" | head -n 8
		failed=1
	fi
done
exit $failed
