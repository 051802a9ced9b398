#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# rootfs-pair.sh - two neighbouring versions of one Debian root file
# system, for bench/reuse-bench.sh: v1 is a bookworm minbase with a few
# server packages as the point release ships them (suite "bookworm"
# only); v2 is v1 after "apt-get upgrade" with bookworm-updates and
# bookworm-security, i.e. the next security update of the same system.
#
#   bench/rootfs-pair.sh [DIR]      (default /var/cache/erofs-tools/rootfs-pair)
#
# ROOTFS_PKGS=a,b,...  the packages over minbase (default: redis-server,
# nginx-light, python3, openssl, curl, ca-certificates).  The smaller
# pair of issues 15 and 17 ("minbase + redis + nginx", 143 MB) is
#   ROOTFS_PKGS=redis-server,nginx-light bench/rootfs-pair.sh DIR
#
# Makes DIR/v1 and DIR/v2 once (a stamp marks each), from the Debian
# mirror this machine's apt sources name (they are only read).  Package
# caches and apt lists are removed from both, so that the trees differ
# by the upgrade only.  Needs root and debootstrap.
set -u
DIR=${1:-/var/cache/erofs-tools/rootfs-pair}
PKGS=${ROOTFS_PKGS:-redis-server,nginx-light,python3,openssl,curl,ca-certificates}

die() { echo "rootfs-pair: $*" >&2; exit 1; }

# the first URI of the machine's apt sources that ends in $1 (debian or
# debian-security)
find_uri() {
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	    /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
		/^[ \t]*#/ { next }
		/^[ \t]*deb[ \t]/ || /^[ \t]*URIs:/ {
			for (i = 2; i <= NF; i++)
				if ($i ~ /^https?:\/\//) print $i
		}' | grep -E "/$1/?\$" | head -n 1
}

tidy() {
	rm -rf "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb \
	       "$1"/var/lib/apt/lists/* "$1"/var/log/* "$1"/tmp/*
}

[ "$(id -u)" = 0 ] || die "must run as root"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed"
mirror=$(find_uri debian)
security=$(find_uri debian-security)
[ -n "$mirror" ] || die "no Debian mirror in the apt sources"
[ -n "$security" ] || security=$(echo "$mirror" | sed 's,/debian/*$,/debian-security,')
mkdir -p "$DIR"

if [ ! -f "$DIR/v1.ready" ]; then
	rm -rf --one-file-system "$DIR/v1"
	echo "rootfs-pair: debootstrap bookworm from $mirror into $DIR/v1" >&2
	debootstrap --variant=minbase --include="$PKGS" bookworm "$DIR/v1" \
		"$mirror" >"$DIR/v1.log" 2>&1 ||
		{ tail -n 5 "$DIR/v1.log" >&2; die "debootstrap failed, see $DIR/v1.log"; }
	tidy "$DIR/v1"
	touch "$DIR/v1.ready"
fi

if [ ! -f "$DIR/v2.ready" ]; then
	rm -rf --one-file-system "$DIR/v2"
	cp -a "$DIR/v1" "$DIR/v2"
	cat >"$DIR/v2/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
	echo "rootfs-pair: upgrading a copy into $DIR/v2" >&2
	# an interrupted upgrade must not leave the host's /dev under v2,
	# where the next run's rm -rf would reach it
	trap 'umount "$DIR/v2/dev" "$DIR/v2/proc" 2>/dev/null' EXIT INT TERM
	mount --bind /proc "$DIR/v2/proc"
	mount --bind /dev "$DIR/v2/dev"
	cp /etc/resolv.conf "$DIR/v2/etc/resolv.conf" 2>/dev/null
	chroot "$DIR/v2" sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -y upgrade' \
		>"$DIR/v2.log" 2>&1
	rc=$?
	umount "$DIR/v2/dev" "$DIR/v2/proc"
	trap - EXIT INT TERM
	[ $rc = 0 ] || { tail -n 5 "$DIR/v2.log" >&2; die "upgrade failed, see $DIR/v2.log"; }
	# v1's sources.list as well: only the upgrade differs
	cp "$DIR/v1/etc/apt/sources.list" "$DIR/v2/etc/apt/sources.list" 2>/dev/null
	tidy "$DIR/v2"
	touch "$DIR/v2.ready"
fi
echo "$DIR"
