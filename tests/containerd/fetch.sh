# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
# shellcheck disable=SC2034 # CTD_* results are read by the sourcing script
#
# fetch.sh - sourced, not run: ctd_fetch finds containerd (Debian sid's
# package: containerd, ctr, containerd-shim-runc-v2) and runc (the
# machine's own suite) and unpacks them into a cache outside the source
# tree, so only the first run needs the package registry.  The sid
# packages come through the private apt configuration of tests/qemu/lib.sh
# (qemu_mirror, qemu_apt, qemu_apt_update: the machine's apt sources are
# never changed), with that library's QEMU_CACHE pointed at our cache.
#
# On success CTD_BIN is a directory holding containerd, ctr,
# containerd-shim-runc-v2 and runc, and CTD_VERSION the package version;
# on a missing prerequisite CTD_SKIP holds the reason and it returns 77.
#
# Environment:
#   EROFS_CTD_CACHE  cache directory (default /var/cache/erofs-tools/containerd,
#                    or ~/.cache/erofs-tools/containerd when not writable)
#   EROFS_CTD_VER    containerd package version (default: sid's candidate,
#                    or the one already cached when offline)

CTD_DIR=$(cd "$(dirname "${CTD_LIB_SELF:-$0}")" && pwd)
CTD_SKIP=''

ctd_cache_dir() {
	if [ -n "${EROFS_CTD_CACHE:-}" ]; then
		CTD_CACHE=$EROFS_CTD_CACHE
	elif mkdir -p /var/cache/erofs-tools/containerd 2>/dev/null &&
	     [ -w /var/cache/erofs-tools/containerd ]; then
		CTD_CACHE=/var/cache/erofs-tools/containerd
	else
		CTD_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/erofs-tools/containerd
	fi
	mkdir -p "$CTD_CACHE" || { CTD_SKIP="cannot create cache dir $CTD_CACHE"; return 77; }
}

ctd_fetch() {
	ctd_cache_dir || return $?
	# the private sid apt of the QEMU tests, with its state in our cache
	QEMU_LIB_SELF=$CTD_DIR/../qemu/lib.sh EROFS_QEMU_CACHE=$CTD_CACHE
	export EROFS_QEMU_CACHE
	# shellcheck source=../qemu/lib.sh
	. "$CTD_DIR/../qemu/lib.sh"
	QEMU_CACHE=$CTD_CACHE
	_cver=${EROFS_CTD_VER:-}
	if [ -z "$_cver" ]; then
		# ask the registry at most once a day
		if [ -n "$(find "$CTD_CACHE/apt/update.log" -mmin -1440 2>/dev/null)" ] &&
		   grep -q '^Reading package lists' "$CTD_CACHE/apt/update.log" ||
		   qemu_apt_update; then
			_cver=$(qemu_apt apt-cache policy containerd 2>/dev/null |
				sed -n 's/^ *Candidate: *//p' | grep -v none)
		fi
		[ -n "$_cver" ] || _cver=$(ls "$CTD_CACHE" 2>/dev/null | sed -n 's/^bin-//p' | sort -V | tail -n 1)
		[ -n "$_cver" ] || { CTD_SKIP=${QEMU_SKIP:-"no containerd package in sid"}; return 77; }
	fi
	CTD_VERSION=$_cver
	CTD_BIN=$CTD_CACHE/bin-$_cver
	if [ -x "$CTD_BIN/containerd" ] && [ -x "$CTD_BIN/ctr" ] &&
	   [ -x "$CTD_BIN/containerd-shim-runc-v2" ] && [ -x "$CTD_BIN/runc" ]; then
		return 0
	fi
	[ -f "$CTD_CACHE/apt/sources.list" ] || qemu_apt_update || { CTD_SKIP=$QEMU_SKIP; return 77; }
	_ctmp=$CTD_CACHE/tmp.$$
	rm -rf "$_ctmp"; mkdir -p "$_ctmp/debs" "$_ctmp/x"
	if ! (cd "$_ctmp/debs" && qemu_apt apt-get download "containerd=$_cver") \
			> "$_ctmp/download.log" 2>&1; then
		CTD_SKIP="cannot download containerd $_cver: $(tail -n 1 "$_ctmp/download.log")"
		rm -rf "$_ctmp"; return 77
	fi
	# runc from the machine's own suite (its ordinary apt configuration)
	if ! (cd "$_ctmp/debs" && apt-get -q download runc) >> "$_ctmp/download.log" 2>&1; then
		CTD_SKIP="cannot download runc: $(tail -n 1 "$_ctmp/download.log")"
		rm -rf "$_ctmp"; return 77
	fi
	for _cd in "$_ctmp"/debs/*.deb; do
		dpkg -x "$_cd" "$_ctmp/x" || { CTD_SKIP="dpkg -x $_cd failed"; rm -rf "$_ctmp"; return 77; }
	done
	mkdir -p "$_ctmp/bin"
	for _cb in containerd ctr containerd-shim-runc-v2 runc; do
		_cp=$(find "$_ctmp/x" -name "$_cb" -type f -perm -u+x | head -n 1)
		[ -n "$_cp" ] || { CTD_SKIP="$_cb missing in the packages"; rm -rf "$_ctmp"; return 77; }
		cp "$_cp" "$_ctmp/bin/$_cb"
	done
	rm -rf "$CTD_BIN"
	mv "$_ctmp/bin" "$CTD_BIN"
	rm -rf "$_ctmp"
	for _cd in "$CTD_CACHE"/bin-*; do
		[ "$_cd" = "$CTD_BIN" ] || rm -rf "$_cd"
	done
	rm -rf "$CTD_CACHE/apt/cache/archives"/*.deb
}
