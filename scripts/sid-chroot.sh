#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# A cached Debian sid chroot holding erofs-utils 1.9.x, used as an
# independent writer/reader of page-cache-sharing fingerprints
# (mkfs.erofs --xattr-inode-digest) for interop tests.  The machine's own
# erofs-utils (1.5) predates that feature.
#
# Usage:
#   scripts/sid-chroot.sh [setup]         create the chroot once (idempotent)
#   scripts/sid-chroot.sh path            print the chroot directory
#   scripts/sid-chroot.sh run [--bind DIR]... -- CMD [ARG]...
#       run CMD inside the chroot with /proc, /dev and every DIR
#       bind-mounted at the same path; everything is unmounted afterwards.
#
# The chroot lives outside the source tree: $SID_CHROOT, default
# /var/cache/erofs-tools/sid-chroot.  It is bootstrapped from the same Debian
# mirror the machine's apt sources name; those sources are only read.
# Exit status 77 (the automake "skip" code) means the chroot could not be
# made (no debootstrap, no network, not root), with the reason on stderr.

set -u

CHROOT=${SID_CHROOT:-/var/cache/erofs-tools/sid-chroot}
STAMP="$CHROOT/.erofs-tools-ready"

skip() {
	echo "sid-chroot: $*" >&2
	exit 77
}

# The Debian mirror this machine's apt uses: the first URI ending in
# /debian in its apt sources (both the one-line and the deb822 format);
# security and third-party repositories are skipped.
find_mirror() {
	{
		cat /etc/apt/sources.list 2>/dev/null
		for f in /etc/apt/sources.list.d/*.list \
			 /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] && cat "$f"
		done
	} | awk '
		/^[ \t]*#/ { next }
		/^[ \t]*deb[ \t]/ {
			for (i = 2; i <= NF; i++)
				if ($i ~ /^https?:\/\//) { print $i; break }
			next
		}
		/^[ \t]*URIs:/ {
			for (i = 2; i <= NF; i++)
				if ($i ~ /^https?:\/\//) print $i
		}' | grep -v -e security -e packages.cloud.google -e nodesource |
		grep -E '/debian/?$' | head -n 1
}

setup() {
	if [ -f "$STAMP" ]; then
		return 0
	fi
	[ "$(id -u)" = 0 ] || skip "must run as root to create $CHROOT"
	command -v debootstrap >/dev/null 2>&1 ||
		skip "debootstrap is not installed (apt-get install debootstrap)"
	mirror=$(find_mirror)
	[ -n "$mirror" ] || skip "no Debian mirror found in /etc/apt/sources.list*"
	mkdir -p "$(dirname "$CHROOT")" || skip "cannot create $(dirname "$CHROOT")"
	log="$(dirname "$CHROOT")/sid-chroot.log"
	# A half-made chroot from an interrupted debootstrap is thrown away:
	# debootstrap does not resume reliably.  A finished one is kept even if
	# the package step failed, so a retry only repeats that step.
	if [ ! -f "$CHROOT/.erofs-tools-bootstrapped" ]; then
		if [ -d "$CHROOT" ]; then
			cleanup_mounts
			rm -rf "$CHROOT"
		fi
		echo "sid-chroot: debootstrap sid from $mirror into $CHROOT (log: $log)" >&2
		if ! debootstrap --variant=minbase sid "$CHROOT" "$mirror" >"$log" 2>&1; then
			tail -n 5 "$log" >&2
			skip "debootstrap sid $mirror failed (network?), see $log"
		fi
		touch "$CHROOT/.erofs-tools-bootstrapped"
	fi
	# The mirror may serve a frozen snapshot whose Release file has passed
	# its Valid-Until date; accept it (inside the chroot only).
	echo "sid-chroot: installing erofs-utils inside the chroot" >&2
	if ! do_run -- sh -c 'apt-get -o Acquire::Check-Valid-Until=false update -q && DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false install -y -q erofs-utils' >>"$log" 2>&1; then
		tail -n 5 "$log" >&2
		skip "apt-get install erofs-utils inside the chroot failed, see $log"
	fi
	ver=$(chroot "$CHROOT" mkfs.erofs -V 2>&1 | head -n 1)
	echo "sid-chroot: ready: $ver" >&2
	touch "$STAMP"
}

# Unmount anything left below the chroot (e.g. after a killed run),
# deepest first.
cleanup_mounts() {
	awk -v root="$CHROOT" 'index($2, root "/") == 1 { print $2 }' /proc/mounts |
		sort -r | while read -r m; do
			umount -l "$m" 2>/dev/null
		done
}

do_run() {
	binds=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--bind)
			[ $# -ge 2 ] || { echo "sid-chroot: --bind needs a directory" >&2; exit 2; }
			binds="$binds
$2"
			shift 2 ;;
		--)
			shift; break ;;
		*)
			break ;;
		esac
	done
	[ $# -gt 0 ] || { echo "sid-chroot: run needs a command" >&2; exit 2; }

	mounted=""
	# Mount points are recorded as we go so that a failure halfway still
	# unmounts what was mounted.
	trap 'umount_list' EXIT INT TERM
	for m in proc dev; do
		mkdir -p "$CHROOT/$m"
	done
	mount -t proc proc "$CHROOT/proc" && mounted="$CHROOT/proc
$mounted"
	mount --bind /dev "$CHROOT/dev" && mounted="$CHROOT/dev
$mounted"
	old_ifs=$IFS
	IFS='
'
	for d in $binds; do
		[ -n "$d" ] || continue
		d=$(cd "$d" 2>/dev/null && pwd) || { IFS=$old_ifs; echo "sid-chroot: no directory $d" >&2; exit 2; }
		mkdir -p "$CHROOT$d"
		mount --bind "$d" "$CHROOT$d" && mounted="$CHROOT$d
$mounted"
	done
	IFS=$old_ifs
	# resolv.conf lets apt-get inside the chroot reach the mirror.
	cp /etc/resolv.conf "$CHROOT/etc/resolv.conf" 2>/dev/null
	chroot "$CHROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 "$@"
	rc=$?
	umount_list
	trap - EXIT INT TERM
	return $rc
}

umount_list() {
	old_ifs=$IFS
	IFS='
'
	for m in $mounted; do
		[ -n "$m" ] || continue
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	IFS=$old_ifs
	mounted=""
}

cmd=${1:-setup}
[ $# -gt 0 ] && shift
case "$cmd" in
setup)
	setup ;;
path)
	echo "$CHROOT" ;;
run)
	setup
	do_run "$@"
	exit $? ;;
-h|--help|help)
	sed -n '4,20s/^# \{0,1\}//p' "$0" ;;
*)
	echo "sid-chroot: unknown command '$cmd' (setup, path, run)" >&2
	exit 2 ;;
esac
