#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# setup.sh - make a fresh Debian 12 (bookworm) machine ready, build
# erofs-tools and run it once on the demo tree.  Run as root from a clone:
#
#   sudo scripts/setup.sh [--no-deps] [--no-demo]
#
#   1. installs the Debian packages that are missing (a dpkg-query check
#      first, so a second run does not touch apt at all);
#   2. autoreconf -fi (when configure is missing or older than its inputs),
#      configure in $BUILD_DIR (default: build/ in the clone) and make;
#   3. the demo: builds demo/manifest into $BUILD_DIR/demo-tree with
#      tests/tools/gentree, then
#        mkfs.erofs --ishare_key=trusted.erofs.fingerprint demo.img demo-tree
#        fsck.erofs demo.img
#        dump.erofs -s demo.img
#      with the tools just built.
# Every step can be re-run; the demo tree and image are made afresh.
#
# --no-deps skips step 1, --no-demo step 3 (scripts/test.sh uses
# --no-demo).  Environment: BUILD_DIR, CONFIGURE_FLAGS (extra configure
# options), SETUP_NO_VM=1 (do not install qemu-system-x86 and
# busybox-static, which only the optional VM tests use).
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
CONFIGURE_FLAGS=${CONFIGURE_FLAGS:-}

PKGS_BUILD="autoconf automake libtool pkg-config make gcc"
PKGS_LIBS="liblz4-dev libzstd-dev liblzma-dev libdeflate-dev libxxhash-dev
	uuid-dev libselinux1-dev libssl-dev libarchive-dev libcmocka-dev
	libfuse3-dev"
# erofs-utils: Debian's 1.5 as a second reader/writer; attr/acl: getfattr
# and setfacl for debugging; clang + compiler-rt: fuzzing; debootstrap:
# the sid chroot with erofs-utils 1.9 (scripts/sid-chroot.sh); fuse3:
# fusermount3 for the erofsfuse tests
PKGS_TESTS="erofs-utils attr acl strace clang libclang-rt-14-dev debootstrap
	util-linux kmod fuse3"
PKGS_BENCH="squashfs-tools time"
PKGS_VM="qemu-system-x86 busybox-static"

log() { echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }

deps=1 demo=1
for arg in "$@"; do
	case $arg in
	--no-deps) deps=0 ;;
	--no-demo) demo=0 ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) die "unknown option $arg (see --help)" ;;
	esac
done

is_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

install_deps() {
	command -v dpkg-query >/dev/null 2>&1 ||
		die "this script expects Debian (dpkg-query not found)"
	want="$PKGS_BUILD $PKGS_LIBS $PKGS_TESTS $PKGS_BENCH"
	[ "${SETUP_NO_VM:-0}" = 1 ] || want="$want $PKGS_VM"
	missing=
	for p in $want; do
		is_installed "$p" || missing="$missing $p"
	done
	if [ -z "$missing" ]; then
		log "all packages present"
		return
	fi
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root to install them)"
	log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing </dev/null
}

# configure is stale if any autotools input is newer
need_autoreconf() {
	[ -x "$REPO/configure" ] || return 0
	[ -f "$REPO/Makefile.in" ] || return 0
	newer=$(find "$REPO/configure.ac" "$REPO/Makefile.am" "$REPO"/*/Makefile.am \
		-newer "$REPO/configure" 2>/dev/null | head -n 1)
	[ -n "$newer" ]
}

build() {
	if need_autoreconf; then
		log "autoreconf -fi"
		mkdir -p "$REPO/m4"
		(cd "$REPO" && autoreconf -fi)
	fi
	mkdir -p "$BUILD_DIR"
	if [ ! -f "$BUILD_DIR/config.status" ]; then
		log "configure in $BUILD_DIR"
		# shellcheck disable=SC2086
		(cd "$BUILD_DIR" && "$REPO/configure" -q $CONFIGURE_FLAGS)
	fi
	log "make -j$(nproc) in $BUILD_DIR"
	make -C "$BUILD_DIR" -s -j"$(nproc)"
	# the demo and the test suite use the tree tools (check programs)
	make -C "$BUILD_DIR/tests" -s -j"$(nproc)" tools/gentree tools/treedigest
}

run_demo() {
	[ "$(id -u)" = 0 ] || die "the demo needs root (gentree sets owners and security.* xattrs)"
	tree=$BUILD_DIR/demo-tree
	img=$BUILD_DIR/demo.img
	rm -rf "$tree" "$img"
	log "demo tree from demo/manifest -> $tree"
	"$BUILD_DIR/tests/tools/gentree" --manifest "$REPO/demo/manifest" "$tree" >/dev/null
	set -x
	"$BUILD_DIR/mkfs/mkfs.erofs" --ishare_key=trusted.erofs.fingerprint "$img" "$tree"
	"$BUILD_DIR/fsck/fsck.erofs" "$img"
	"$BUILD_DIR/dump/dump.erofs" -s "$img"
	{ set +x; } 2>/dev/null
	log "demo done: $img"
}

[ "$deps" = 1 ] && install_deps
build
[ "$demo" = 1 ] && run_demo
log "ok"
