#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t070-containerd.sh - real containerd (Debian sid's package) with its EROFS
# snapshotter and differ, converting image layers with OUR mkfs.erofs.
#
# The script writes a three-layer OCI archive itself (tests/containerd/
# mkoci.sh; no registry): whiteouts (.wh.NAME, also of a directory and of a
# 255-byte name), an opaque directory (.wh..wh..opq), hard links, symlinks,
# xattrs (security.capability, user.*), character and block devices, a
# FIFO, uids/gids above 65535 (and above 2^31), 255-byte names, and
# busybox as /bin/busybox so that a container can run.  containerd imports
# it with `ctr image import --snapshotter erofs`; its erofs differ runs
#   mkfs.erofs --tar=f --aufs --quiet -Enoinline_data [mkfs_options] -U UUID
#              .../io.containerd.snapshotter.v1.erofs/snapshots/ID/layer.erofs
# with the layer tar on standard input.  mkfs.erofs first on containerd's
# PATH is tests/containerd/mkfs-wrapper.sh, which logs each call and runs
# our build's mkfs.
#
# containerd configuration that works with containerd 2.1.9 (version 3):
#   [plugins.'io.containerd.differ.v1.erofs'] mkfs_options = [...]
#     (the differ loads only when mkfs.erofs is on PATH)
#   [[plugins.'io.containerd.transfer.v1.local'.unpack_config]]
#     platform = 'linux/amd64', snapshotter = 'erofs', differ = 'erofs'
#     needed: without it `ctr image import` (through the transfer
#     service) fails with "no unpack platforms defined"; with it every
#     layer goes through the erofs differ (mkfs.erofs --tar=f --aufs)
#   [plugins.'io.containerd.service.v1.diff-service'] default = ['erofs', 'walking']
#     not needed for that import, but for a client-side unpack
#     (`ctr image import --local`): without it that one takes the walking
#     differ, and the snapshotter then makes layer.erofs from a directory
#     (no --tar), which is not what this test is about
#   plus its own root, state, grpc/ttrpc/debug addresses under $T_TMP;
#   the CRI plugins are disabled (not needed, and they want CNI).
#
# Cases:
#   mkfs-called         the wrapper log shows one successful call of our
#                       mkfs per layer, with containerd's options
#   fsck                every layer.erofs is clean under our fsck
#   layer N             each layer.erofs, loop-mounted by us, equals the
#                       layer tar unpacked with whiteouts turned into what
#                       --aufs makes of them (0:0 char device, plus
#                       trusted.overlay.origin="" on the parent directory;
#                       .wh..wh..opq becomes trusted.overlay.opaque=y)
#   overlay             the overlay mount the snapshotter returns for a
#                       view of the image equals the layers merged by this
#                       script with overlay semantics
#   run                 `ctr run` with runc reads files from all layers
#   erofs-utils N       Debian sid's erofs-utils 1.9 (scripts/sid-chroot.sh,
#                       skipped without it), given the same tar and options
#                       as containerd gives ours, makes the same tree
#                       (whiteout devices of mode 0 in both); both sizes
#                       are printed
#   ishare fsck         with mkfs_options ["--ishare_key=trusted.erofs.
#                       fingerprint"] every layer passes fsck --check-ishare
#   ishare saving       dump.erofs --fingerprint over the layers of two
#                       image versions (one file changed) reports a saving
#   reproducible -T0    mkfs_options ["-T0", "--mkfs-time"]: two imports
#                       into fresh containerd roots give identical layers
#   reproducible sort   the same with "--sort=none" (containerd's documented
#                       recommendation), skipped while our mkfs lacks it
#   tar-index layer N   containerd 2.2's enable_tar_index call replayed
#                       (--tar=i --aufs --quiet -b4096 -U, the tar on stdin,
#                       then appended): fsck clean, mounts alone, equals
#                       the layer
#   fsmerge             containerd 2.3's fsmerge call replayed on the
#                       imported layers (--aufs --ovlfs-strip=1 --quiet
#                       fsmeta L1 L2 L3): fsck with the layers, mounted
#                       with device= each layer, equals the merged tree
#
# Needs root, unshare, loop, erofs and overlay in the kernel, busybox-static
# and the packages (tests/containerd/fetch.sh: cached in
# /var/cache/erofs-tools/containerd after the first run); skips otherwise.
# Everything runs in a private mount namespace (the script re-executes
# itself under unshare), containerd is stopped at exit, every containerd
# and ctr call is under timeout.

# a private mount namespace for the whole run: nothing mounted here (by us,
# by containerd or by runc) leaks out, and it all goes when we exit
if [ -z "${T070_IN_NS:-}" ] && [ "$(id -u)" = 0 ] &&
   command -v unshare >/dev/null 2>&1 &&
   unshare -m --propagation private true 2>/dev/null; then
	T070_IN_NS=1
	export T070_IN_NS
	exec unshare -m --propagation private sh "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"

need_root
[ -n "${T070_IN_NS:-}" ] || skip_all "unshare -m --propagation private does not work here"
need_loop
need_tools
grep -qw overlay /proc/filesystems 2>/dev/null || modprobe overlay 2>/dev/null
grep -qw overlay /proc/filesystems 2>/dev/null ||
	skip_all "kernel has no overlayfs (not in /proc/filesystems)"
for t in tar gzip sha256sum setfattr mknod timeout; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t is not installed"
done
BUSYBOX=$(command -v busybox) || skip_all "busybox-static is not installed"
if readelf -l "$BUSYBOX" 2>/dev/null | grep -q 'Requesting program interpreter'; then
	skip_all "$BUSYBOX is dynamically linked (install busybox-static)"
fi
need_mkfs

CTD_LIB_SELF=$TOP_SRCDIR/tests/containerd/fetch.sh
# shellcheck source=../containerd/fetch.sh
. "$CTD_LIB_SELF"
ctd_fetch || skip_all "containerd cannot be had: $CTD_SKIP"
"$CTD_BIN/containerd" --version >"$T_TMP/ctd-version" 2>&1 ||
	skip_all "containerd $CTD_VERSION does not run here: $(head -n 1 "$T_TMP/ctd-version")"
echo "    containerd $CTD_VERSION: $(head -n 1 "$T_TMP/ctd-version"); runc $("$CTD_BIN/runc" --version | head -n 1)"

# mkfs.erofs on containerd's PATH: the logging wrapper around ours
mkdir -p "$T_TMP/wbin"
ln -s "$TOP_SRCDIR/tests/containerd/mkfs-wrapper.sh" "$T_TMP/wbin/mkfs.erofs"
T070_MKFS=$MKFS
export T070_MKFS

# ---- containerd instances ---------------------------------------------------

CTD_PIDS=
# ctd_start NAME MKFS_OPTIONS_TOML: a containerd with root, state and
# sockets in $T_TMP/NAME; the differ gets the given mkfs_options list
ctd_start() {
	_cs_d=$T_TMP/$1
	mkdir -p "$_cs_d"
	cat >"$_cs_d/config.toml" <<EOF
version = 3
root = '$_cs_d/root'
state = '$_cs_d/state'
disabled_plugins = ['io.containerd.grpc.v1.cri', 'io.containerd.cri.v1.runtime', 'io.containerd.cri.v1.images', 'io.containerd.podsandbox.controller.v1.podsandbox', 'io.containerd.sandbox.controller.v1.shim']

[grpc]
  address = '$_cs_d/c.sock'
[ttrpc]
  address = '$_cs_d/c.sock.ttrpc'
[debug]
  address = '$_cs_d/debug.sock'

[plugins.'io.containerd.differ.v1.erofs']
  mkfs_options = $2
[plugins.'io.containerd.service.v1.diff-service']
  default = ['erofs', 'walking']
[[plugins.'io.containerd.transfer.v1.local'.unpack_config]]
  platform = 'linux/amd64'
  snapshotter = 'erofs'
  differ = 'erofs'
EOF
	: >"$_cs_d/mkfs.log"
	T070_MKFS_LOG=$_cs_d/mkfs.log PATH=$T_TMP/wbin:$CTD_BIN:$PATH \
		timeout 900 "$CTD_BIN/containerd" -c "$_cs_d/config.toml" \
		>"$_cs_d/containerd.log" 2>&1 &
	echo $! >"$_cs_d/pid"
	CTD_PIDS="$CTD_PIDS $!"
	_cs_i=0
	while [ $_cs_i -lt 60 ]; do
		if [ -S "$_cs_d/c.sock" ] &&
		   timeout 10 "$CTD_BIN/ctr" -a "$_cs_d/c.sock" version >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$(cat "$_cs_d/pid")" 2>/dev/null || break
		sleep 0.5
		_cs_i=$((_cs_i + 1))
	done
	T_WHY="containerd $1 did not start: $(grep -i 'level=fatal\|error' "$_cs_d/containerd.log" | tail -n 1 | cut -c1-300)"
	return 1
}

# ctr NAME ARGS...: ctr against instance NAME, bounded in time
ctr_() {
	_cr_n=$1
	shift
	PATH=$CTD_BIN:$PATH timeout 120 "$CTD_BIN/ctr" -a "$T_TMP/$_cr_n/c.sock" "$@"
}

# ctd_stop NAME: stop containerd and its shims, undo the mounts it left
ctd_stop() {
	_st_d=$T_TMP/$1
	[ -f "$_st_d/pid" ] || return 0
	_st_p=$(cat "$_st_d/pid")
	kill "$_st_p" 2>/dev/null
	_st_i=0
	while kill -0 "$_st_p" 2>/dev/null && [ $_st_i -lt 40 ]; do
		sleep 0.25
		_st_i=$((_st_i + 1))
	done
	kill -9 "$_st_p" 2>/dev/null
	# shims of this instance (their command line names our socket)
	for _st_s in $(pgrep -f -- "-address $_st_d/c.sock" 2>/dev/null); do
		kill -9 "$_st_s" 2>/dev/null
	done
	rm -f "$_st_d/pid"
	# mounts under the instance (snapshotter layer mounts, runc rootfs)
	awk -v d="$_st_d/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts |
		sort -r | while IFS= read -r _st_m; do
			umount "$_st_m" 2>/dev/null || umount -l "$_st_m" 2>/dev/null
		done
}

t070_cleanup() {
	_tc_rc=$?
	for _tc_d in "$T_TMP"/*/pid; do
		[ -f "$_tc_d" ] && ctd_stop "$(basename "$(dirname "$_tc_d")")"
	done
	# anything still mounted below $T_TMP (lib.sh's cleanup removes it)
	awk -v d="$T_TMP/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts |
		sort -r | while IFS= read -r _tc_m; do
			umount "$_tc_m" 2>/dev/null || umount -l "$_tc_m" 2>/dev/null
		done
	(exit $_tc_rc)
	cleanup
}
trap t070_cleanup EXIT

# layers NAME: every layer.erofs of instance NAME
layers() {
	find "$T_TMP/$1/root/io.containerd.snapshotter.v1.erofs/snapshots" \
		-name layer.erofs 2>/dev/null | sort
}

# marker IMG: the content of /.t070/layer in IMG ("v1 L2"), read by
# mounting it (sets T_WHY on failure)
marker() {
	mount_image "$1" "$T_TMP/mk" || return 1
	cat "$T_TMP/mk/.t070/layer" 2>/dev/null || echo "no-marker"
	umount_image "$T_TMP/mk"
}

# ---- the image ----------------------------------------------------------------

LONG=$(printf '%0255d' 0 | tr 0 a)
LONGW=$(printf '%0251d' 0 | tr 0 w)

# make_layers V DIR: source trees DIR/s1..s3 and tars DIR/l1..l3.tar of
# version V (version 2 changes one file of layer 1, so every chain differs)
make_layers() {
	_v=$1 _d=$2
	rm -rf "$_d"
	mkdir -p "$_d"
	umask 022
	# layer 1: the base
	_s=$_d/s1
	mkdir -p "$_s/bin" "$_s/.t070" "$_s/data" "$_s/etc" "$_s/devs" \
		"$_s/owners/bigdir" "$_s/long" "$_s/gone/sub" "$_s/opq/sub" "$_s/dirx"
	cp "$BUSYBOX" "$_s/bin/busybox"
	for _c in sh cat ls echo test; do ln -s busybox "$_s/bin/$_c"; done
	echo "v$_v L1" >"$_s/.t070/layer"
	echo "kept from layer 1, version $_v" >"$_s/data/keep.txt"
	echo "deleted by layer 2" >"$_s/data/del.txt"
	echo "hard link" >"$_s/data/hl1"
	ln "$_s/data/hl1" "$_s/data/hl2"
	ln "$_s/data/hl1" "$_s/etc/hl3"
	ln -s keep.txt "$_s/data/sym"
	ln -s /data/keep.txt "$_s/data/abs"
	gen_text 20000 7 >"$_s/data/text"
	printf '#!/bin/sh\necho cap\n' >"$_s/data/cap"
	chmod 0755 "$_s/data/cap"
	# cap_net_raw=ep as a VFS_CAP_REVISION_2 value (what setcap writes)
	setfattr -n security.capability \
		-v 0x0100000200200000000000000000000000000000 "$_s/data/cap" ||
		return 1
	setfattr -n user.t070 -v one "$_s/data/cap" || return 1
	setfattr -n user.empty "$_s/data/text" || return 1
	setfattr -n user.dir -v "directory xattr" "$_s/dirx" || return 1
	mknod "$_s/devs/null" c 1 3
	mknod "$_s/devs/loop200" b 7 200
	mkfifo "$_s/devs/fifo"
	echo big >"$_s/owners/big"
	chown 100000:200000 "$_s/owners/big"
	chown 70000:70001 "$_s/owners/bigdir"
	echo "long name" >"$_s/long/$LONG"
	echo "whited out long name" >"$_s/long/$LONGW"
	echo x >"$_s/gone/x"
	echo y >"$_s/gone/sub/y"
	echo old1 >"$_s/opq/old1"
	echo old2 >"$_s/opq/sub/old2"
	echo layer1 >"$_s/etc/hostname"
	# layer 2: whiteouts
	_s=$_d/s2
	mkdir -p "$_s/.t070" "$_s/data" "$_s/etc" "$_s/long" "$_s/owners"
	echo "v$_v L2" >"$_s/.t070/layer"
	: >"$_s/data/.wh.del.txt"
	: >"$_s/.wh.gone"
	: >"$_s/long/.wh.$LONGW"
	echo "from layer 2" >"$_s/data/l2.txt"
	echo layer2 >"$_s/etc/hostname"
	echo huge >"$_s/owners/huge"
	chown 3000000000:3000000001 "$_s/owners/huge"
	setfattr -n user.l2 -v "$(printf '%0200d' 2)" "$_s/data/l2.txt" || return 1
	# layer 3: an opaque directory, a directory where a whiteout was
	_s=$_d/s3
	mkdir -p "$_s/.t070" "$_s/data" "$_s/opq" "$_s/gone"
	echo "v$_v L3" >"$_s/.t070/layer"
	: >"$_s/opq/.wh..wh..opq"
	echo "from layer 3" >"$_s/opq/new3"
	echo "from layer 3" >"$_s/data/l3.txt"
	echo "back again" >"$_s/gone/new"
	ln -s "../long/$LONG" "$_s/data/longlink"
	for _n in 1 2 3; do
		find "$_d/s$_n" -exec touch -h -d "@$((1700000000 + _n * 1000))" {} + ||
			return 1
		tar --format=pax --xattrs --xattrs-include='*' --numeric-owner \
			--sort=name -C "$_d/s$_n" -cf "$_d/l$_n.tar" . || return 1
	done
}

# expect_layer TAR DIR: what --aufs should make of the tar, as a tree
expect_layer() {
	rm -rf "$2"
	mkdir -p "$2"
	tar -x --xattrs --xattrs-include='*' --numeric-owner -C "$2" -f "$1" ||
		return 1
	find "$2" -name '.wh.*' | sort -r | while IFS= read -r _w; do
		_p=$(dirname "$_w") _b=$(basename "$_w")
		touch -r "$_p" "$T_TMP/ref.dir"
		if [ "$_b" = .wh..wh..opq ]; then
			rm -f "$_w"
			setfattr -n trusted.overlay.opaque -v y "$_p"
		else
			_t=$_p/${_b#.wh.}
			touch -r "$_w" "$T_TMP/ref.wh"
			_o=$(stat -c %u:%g "$_w")
			rm -f "$_w"
			# mode 0, as --aufs (and erofs-utils) make whiteouts
			mknod -m 0 "$_t" c 0 0
			chown "$_o" "$_t"
			touch -r "$T_TMP/ref.wh" "$_t"
			setfattr -n trusted.overlay.origin "$_p"
		fi
		touch -r "$T_TMP/ref.dir" "$_p"
	done
}

# expect_merged DIR S1 T1 S2 T2...: the layers applied bottom first with
# overlay semantics (whiteouts delete, opaque directories are emptied,
# later layers win)
expect_merged() {
	_em=$1
	shift
	rm -rf "$_em"
	mkdir -p "$_em"
	while [ $# -ge 2 ]; do
		(cd "$1" && find . -name '.wh.*') | while IFS= read -r _w; do
			_p=$(dirname "$_w") _b=$(basename "$_w")
			if [ "$_b" = .wh..wh..opq ]; then
				[ -d "$_em/$_p" ] &&
					find "$_em/$_p" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
			else
				rm -rf "${_em:?}/$_p/${_b#.wh.}"
			fi
		done
		tar -x --xattrs --xattrs-include='*' --numeric-owner \
			--exclude='.wh.*' -C "$_em" -f "$2" || return 1
		shift 2
	done
}

make_layers 1 "$T_TMP/v1" || skip_all "cannot build the layer trees here (xattrs, mknod?)"
make_layers 2 "$T_TMP/v2" || skip_all "cannot build the layer trees here (xattrs, mknod?)"
for n in 1 2 3; do
	expect_layer "$T_TMP/v1/l$n.tar" "$T_TMP/v1/e$n" ||
		skip_all "cannot unpack layer $n here"
done
expect_merged "$T_TMP/v1/merged" "$T_TMP/v1/s1" "$T_TMP/v1/l1.tar" \
	"$T_TMP/v1/s2" "$T_TMP/v1/l2.tar" "$T_TMP/v1/s3" "$T_TMP/v1/l3.tar" ||
	skip_all "cannot merge the layers here"
MKOCI=$TOP_SRCDIR/tests/containerd/mkoci.sh
IMG1=docker.io/erofs-tools/t070:v1
IMG2=docker.io/erofs-tools/t070:v2
if ! sh "$MKOCI" "$T_TMP/v1.oci.tar" "$IMG1" "$T_TMP"/v1/l[123].tar ||
   ! sh "$MKOCI" "$T_TMP/v2.oci.tar" "$IMG2" "$T_TMP"/v2/l[123].tar; then
	fail "$T_NAME" "cannot write the OCI archives"
	finish
fi
echo "    layer tars: $(stat -c %s "$T_TMP"/v1/l[123].tar | tr '\n' ' ')bytes"

# import NAME ARCHIVE: ctr image import into instance NAME with the erofs
# snapshotter (T_WHY on failure)
import() {
	if ! ctr_ "$1" image import --snapshotter erofs "$2" \
		>"$T_TMP/$1/import.log" 2>&1; then
		T_WHY="ctr image import: $(grep -v '^$' "$T_TMP/$1/import.log" | tail -n 1 | cut -c1-300)"
		return 1
	fi
}

# ---- 1-5: the plain import -----------------------------------------------------

if ! ctd_start plain '[]'; then
	fail "$T_NAME" "$T_WHY"
	finish
fi
if ! import plain "$T_TMP/v1.oci.tar"; then
	fail "import" "$T_WHY"
	grep -i 'level=error' "$T_TMP/plain/containerd.log" | tail -n 3 | cut -c1-300 | sed 's/^/    /'
	finish
fi

# 1: our mkfs made every layer
LOG=$T_TMP/plain/mkfs.log
L=$(layers plain)
nl=$(echo "$L" | grep -c .)
nc=$(grep -c -- '--tar=f --aufs' "$LOG")
if [ "$nl" != 3 ]; then
	fail "mkfs-called" "$nl layer.erofs files after the import, expected 3"
elif [ "$nc" != 3 ]; then
	fail "mkfs-called" "$nc calls of our mkfs logged, expected 3"
elif grep -qv '^rc=0 ' "$LOG"; then
	fail "mkfs-called" "a call failed: $(grep -v '^rc=0 ' "$LOG" | head -n 1)"
else
	missing=
	for l in $L; do
		grep -q -- "-U [0-9a-f-]* $l\$" "$LOG" || missing="$missing $l"
	done
	if [ -n "$missing" ]; then
		fail "mkfs-called" "no logged call wrote$missing"
	else
		pass "mkfs-called"
	fi
fi
sed 's/^/    /; s/-U [0-9a-f-]* .*snapshots\//-U ... snapshots\//' "$LOG" | head -n 3

# 2: fsck
bad=
for l in $L; do
	our_fsck "$l"
	case $? in
	1) bad="$bad $(basename "$(dirname "$l")"): $T_WHY" ;;
	2) bad="our fsck is not usable" ;;
	esac
done
if [ -z "$bad" ]; then pass "fsck"; else fail "fsck" "$bad"; fi
echo "    layer.erofs sizes: $(for l in $L; do printf '%s ' "$(stat -c %s "$l")"; done)bytes"

# 3: each layer against its expected tree
for l in $L; do
	m=$(marker "$l") || { fail "layer $l" "$T_WHY"; continue; }
	n=${m#v1 L}
	case $n in
	[123]) ;;
	*) fail "layer $l" "unexpected /.t070/layer \"$m\""; continue ;;
	esac
	if ! mount_image "$l" "$T_TMP/lm"; then
		fail "layer $n" "$T_WHY"
		continue
	fi
	if compare_trees "$T_TMP/v1/e$n" "$T_TMP/lm"; then
		pass "layer $n"
	else
		fail "layer $n" "$T_WHY"
	fi
	umount_image "$T_TMP/lm"
done

# 4: the snapshotter's overlay of the whole image
# the image's top chain ID: sha256 of "PARENT_CHAIN DIFF_ID", bottom up
chain=sha256:$(sha256sum "$T_TMP/v1/l1.tar" | cut -d' ' -f1)
for n in 2 3; do
	d=$(sha256sum "$T_TMP/v1/l$n.tar" | cut -d' ' -f1)
	chain=sha256:$(printf '%s sha256:%s' "$chain" "$d" | sha256sum | cut -d' ' -f1)
done
mkdir -p "$T_TMP/ovl"
# The mount command is printed by the same ctr call that creates the
# view (--target): the view holds no lease once ctr exits, and
# containerd's garbage collector removed it before a second call
# ("snapshots mounts") could ask for it, now and then.
if ! ctr_ plain snapshots --snapshotter erofs view --target "$T_TMP/ovl" \
	t070-view "$chain" >"$T_TMP/mounts.log" 2>&1; then
	fail "overlay" "ctr snapshots view $chain: $(tail -n 1 "$T_TMP/mounts.log")"
else
	cmd=$(cat "$T_TMP/mounts.log")
	opts=${cmd#"mount -t overlay overlay $T_TMP/ovl -o "}
	case $opts in
	"$cmd"|*" "*)
		fail "overlay" "unexpected mount command: $(echo "$cmd" | cut -c1-200)" ;;
	*)
		if ! mount -t overlay overlay -o "ro,$opts" "$T_TMP/ovl" 2>"$T_TMP/ovl.err"; then
			fail "overlay" "mount -t overlay -o $opts: $(head -n 1 "$T_TMP/ovl.err")"
		else
			echo "$T_TMP/ovl" >>"$T_TMP/.mounts"
			echo "    overlay $(echo "$opts" | sed "s|$T_TMP/plain/root/io.containerd.snapshotter.v1.erofs/||g")"
			# overlayfs reports nlink 1 for merged directories
			if compare_trees "$T_TMP/v1/merged" "$T_TMP/ovl" --ignore dir-nlink; then
				pass "overlay"
			else
				fail "overlay" "$T_WHY"
			fi
			umount_image "$T_TMP/ovl"
		fi ;;
	esac
fi

# 5: a container reads files of every layer
# (the command is for the container's shell: nothing expands here)
# shellcheck disable=SC2016
want=$(printf '%s\n' "kept from layer 1, version 1" "from layer 2" "from layer 3" \
	layer2 "v1 L3" "new3" "del.txt gone" "gone: new")
if ! ctr_ plain run --rm --snapshotter erofs "$IMG1" t070-run /bin/sh -c \
	'cat /data/keep.txt /data/l2.txt /data/l3.txt /etc/hostname /.t070/layer; ls /opq; test -e /data/del.txt || echo del.txt gone; echo "gone: $(ls /gone)"' \
	>"$T_TMP/run.out" 2>&1; then
	fail "run" "ctr run: $(grep -v '^$' "$T_TMP/run.out" | tail -n 1 | cut -c1-300)"
elif [ "$(cat "$T_TMP/run.out")" != "$want" ]; then
	fail "run" "container printed: $(tr '\n' '|' <"$T_TMP/run.out" | cut -c1-300)"
else
	pass "run"
fi
ctd_stop plain

# ---- erofs-utils 1.9 on the same input ------------------------------------------

sid_setup	# sets have_sid (lib.sh)
if [ "${have_sid:-0}" = 1 ]; then
	U=6e8c6a41-3c0d-4c45-9a7e-2b1b1bd5d9a4
	sizes=
	for n in 1 2 3; do
		c="$T_TMP/eu$n"
		if ! "$CHROOT_SH" run --bind "$T_TMP" -- sh -c \
			"mkfs.erofs --tar=f --aufs --quiet -Enoinline_data -T0 --mkfs-time -U $U $c.theirs <$T_TMP/v1/l$n.tar" \
			>"$T_TMP/sid.log" 2>&1; then
			fail "erofs-utils $n" "erofs-utils 1.9 mkfs: $(tail -n 1 "$T_TMP/sid.log")"
			continue
		fi
		if ! "$MKFS" --tar=f --aufs --quiet -Enoinline_data -T0 --mkfs-time \
			-U "$U" "$c.ours" <"$T_TMP/v1/l$n.tar" >"$T_TMP/mkfs.log" 2>&1; then
			fail "erofs-utils $n" "our mkfs: $(tail -n 1 "$T_TMP/mkfs.log")"
			continue
		fi
		sizes="$sizes L$n $(stat -c %s "$c.ours")/$(stat -c %s "$c.theirs")"
		bad=
		for w in ours theirs; do
			if mount_image "$c.$w" "$T_TMP/em"; then
				digest "$T_TMP/em" "$c.$w.d" || bad=$T_WHY
				umount_image "$T_TMP/em"
			else
				bad=$T_WHY
			fi
		done
		if [ -n "$bad" ]; then
			fail "erofs-utils $n" "$bad"
		elif ! diff "$c.theirs.d" "$c.ours.d" >"$c.diff"; then
			fail "erofs-utils $n" "trees differ at \"$(grep -m 1 '^[<>]' "$c.diff" | cut -c3- | cut -d' ' -f1 | cut -c1-80)\""
			head -n 6 "$c.diff" | cut -c1-200 | sed 's/^/    /'
		else
			pass "erofs-utils $n"
		fi
		rm -f "$c.ours" "$c.theirs"
	done
	echo "    layer.erofs bytes, ours/erofs-utils $("$CHROOT_SH" run -- mkfs.erofs --version 2>/dev/null | sed -n 's/.*(erofs-utils) //p'):$sizes"
fi

# ---- 6: page cache sharing fingerprints -------------------------------------------

ISHARE_KEY=trusted.erofs.fingerprint
if ! ctd_start ishare "['--ishare_key=$ISHARE_KEY']"; then
	fail "ishare fsck" "$T_WHY"
elif ! import ishare "$T_TMP/v1.oci.tar" || ! import ishare "$T_TMP/v2.oci.tar"; then
	fail "ishare fsck" "$T_WHY"
else
	L=$(layers ishare)
	bad=
	[ "$(echo "$L" | grep -c .)" = 6 ] || bad="$(echo "$L" | grep -c .) layers, expected 6"
	grep -q -- "--ishare_key=$ISHARE_KEY" "$T_TMP/ishare/mkfs.log" ||
		bad="$bad; containerd did not pass --ishare_key"
	for l in $L; do
		if ! "$FSCK" --check-ishare "$l" >"$T_TMP/fsck.log" 2>&1; then
			bad="$bad; $(basename "$(dirname "$l")"): $(grep -v '^$' "$T_TMP/fsck.log" | tail -n 1)"
		fi
		# every regular file with content carries a correct fingerprint
		if mount_image "$l" "$T_TMP/fm"; then
			"$TREEDIGEST" --check-fingerprint "$ISHARE_KEY" "$T_TMP/fm" \
				>/dev/null 2>"$T_TMP/fp.err" ||
				bad="$bad; $(basename "$(dirname "$l")"): $(head -n 1 "$T_TMP/fp.err")"
			umount_image "$T_TMP/fm"
		else
			bad="$bad; $T_WHY"
		fi
	done
	if [ -z "$bad" ]; then pass "ishare fsck"; else fail "ishare fsck" "${bad#; }"; fi

	# the two versions' layer 1 (busybox and all) share almost everything
	l1v1='' l1v2=''
	for l in $L; do
		case $(marker "$l") in
		"v1 L1") l1v1=$l ;;
		"v2 L1") l1v2=$l ;;
		esac
	done
	if [ -z "$l1v1" ] || [ -z "$l1v2" ]; then
		fail "ishare saving" "cannot find layer 1 of both versions"
	elif ! "$DUMP" --fingerprint "$l1v1" "$l1v2" >"$T_TMP/fp.out" 2>&1; then
		fail "ishare saving" "dump.erofs --fingerprint: $(grep -v '^$' "$T_TMP/fp.out" | tail -n 1)"
	else
		saving=$(sed -n 's/^saving:[[:space:]]*//p' "$T_TMP/fp.out")
		echo "    dump --fingerprint L1v1 L1v2: saving $saving"
		if echo "$saving" | grep -Eq '^[1-9][0-9]* bytes'; then
			pass "ishare saving"
		else
			fail "ishare saving" "no saving reported: $(tail -n 1 "$T_TMP/fp.out")"
		fi
	fi
fi
ctd_stop ishare

# ---- 7: reproducible layers -------------------------------------------------------

# same_layers CASE DIR OPTS_TOML OPTS: import v1 into two fresh roots
# (DIR-a, DIR-b) with the given mkfs_options (OPTS: the same, as the
# wrapper logs them), compare the layers by marker
same_layers() {
	for r in "$2-a" "$2-b"; do
		if ! ctd_start "$r" "$3" || ! import "$r" "$T_TMP/v1.oci.tar"; then
			fail "$1" "$T_WHY"
			ctd_stop "$r"
			return 1
		fi
		ctd_stop "$r"
		if ! grep -q -- " $4 " "$T_TMP/$r/mkfs.log"; then
			fail "$1" "containerd did not pass \"$4\" to mkfs: $(head -n 1 "$T_TMP/$r/mkfs.log" | cut -c1-200)"
			return 1
		fi
	done
	_sl_bad='' _sl_n=0
	for a in $(layers "$2-a"); do
		ma=$(marker "$a")
		for b in $(layers "$2-b"); do
			[ "$(marker "$b")" = "$ma" ] || continue
			_sl_n=$((_sl_n + 1))
			cmp "$a" "$b" >"$T_TMP/cmp.log" 2>&1 ||
				_sl_bad="$_sl_bad; $ma: $(head -n 1 "$T_TMP/cmp.log" | sed "s|$T_TMP/||g")"
		done
	done
	if [ "$_sl_n" != 3 ]; then
		fail "$1" "$_sl_n layer pairs found, expected 3"
	elif [ -n "$_sl_bad" ]; then
		fail "$1" "${_sl_bad#; }"
	else
		pass "$1"
	fi
}

same_layers "reproducible -T0" det "['-T0', '--mkfs-time']" "-T0 --mkfs-time"
if "$MKFS" --help 2>&1 | grep -q -- '--sort'; then
	same_layers "reproducible sort" sort "['-T0', '--mkfs-time', '--sort=none']" \
		"-T0 --mkfs-time --sort=none"
else
	skip "reproducible sort" "our mkfs has no --sort option yet (containerd recommends -T0 --mkfs-time --sort=none)"
fi

# ---- 8: containerd 2.2's tar index and 2.3's fsmerge, replayed --------------------
# (sid's containerd is 2.1: the calls are made here exactly as the newer
# differ and snapshotter make them, on this test's layers)

# GenerateTarIndexAndAppendTar: the index of the tar on stdin (with the
# differ's default -b4096 in front of mkfs_options), then the tar appended;
# the snapshotter mounts the one file read-only, no device
U=6e8c6a41-3c0d-4c45-9a7e-2b1b1bd5d9a4
for n in 1 2 3; do
	ti=$T_TMP/ti$n.erofs
	if ! "$MKFS" --tar=i --aufs --quiet -b4096 -U "$U" "$ti" <"$T_TMP/v1/l$n.tar" \
		>"$T_TMP/mkfs.log" 2>&1; then
		fail "tar-index layer $n" "mkfs: $(head -n 1 "$T_TMP/mkfs.log")"
		continue
	fi
	cat "$T_TMP/v1/l$n.tar" >>"$ti"
	if ! "$FSCK" "$ti" >"$T_TMP/fsck.log" 2>&1; then
		fail "tar-index layer $n" "fsck: $(grep -v '^$' "$T_TMP/fsck.log" | tail -n 1)"
	elif ! mount_image "$ti" "$T_TMP/tim"; then
		fail "tar-index layer $n" "$T_WHY"
	else
		if compare_trees "$T_TMP/v1/e$n" "$T_TMP/tim"; then
			pass "tar-index layer $n"
		else
			fail "tar-index layer $n" "$T_WHY"
		fi
		umount_image "$T_TMP/tim"
	fi
done

# fsmerge: one metadata image over the imported layers (bottom first),
# mounted with every layer as a device in the same order
set --
for want in "v1 L1" "v1 L2" "v1 L3"; do
	for l in $(layers plain); do
		[ "$(marker "$l")" = "$want" ] && set -- "$@" "$l"
	done
done
FM=$T_TMP/fsmeta.tmp
if [ $# != 3 ]; then
	fail "fsmerge" "$# of the 3 imported layers found"
elif ! "$MKFS" --aufs --ovlfs-strip=1 --quiet "$FM" "$@" >"$T_TMP/mkfs.log" 2>&1; then
	fail "fsmerge" "mkfs: $(head -n 1 "$T_TMP/mkfs.log")"
else
	opt=ro devs=
	for l in "$@"; do
		loop_of "$l" || { fail "fsmerge" "losetup $l"; break; }
		d=$LOOP_DEV
		opt="$opt,device=$d"
		devs="$devs --device=$l"
	done
	loop_of "$FM"
	p=$LOOP_DEV
	mkdir -p "$T_TMP/fmm"
	# shellcheck disable=SC2086
	if ! "$FSCK" $devs "$FM" >"$T_TMP/fsck.log" 2>&1; then
		fail "fsmerge" "fsck: $(grep -v '^$' "$T_TMP/fsck.log" | tail -n 1)"
	elif ! mount -t erofs -o "$opt" "$p" "$T_TMP/fmm" 2>"$T_TMP/mount.err"; then
		fail "fsmerge" "mount -o $opt: $(head -n 1 "$T_TMP/mount.err")"
	else
		echo "$T_TMP/fmm" >>"$T_TMP/.mounts"
		if compare_trees "$T_TMP/v1/merged" "$T_TMP/fmm"; then
			pass "fsmerge"
		else
			fail "fsmerge" "$T_WHY"
		fi
		umount_image "$T_TMP/fmm"
	fi
	cleanup_loops
fi

finish
