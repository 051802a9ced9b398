# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
# shellcheck disable=SC2034 # QEMU_* results are read by the sourcing script
#
# lib.sh - shared machinery of the QEMU tests (sourced, not run):
#   qemu_fetch_kernel   find, download and unpack Debian's cloud kernel with
#                       EROFS page cache sharing (cached outside the source
#                       tree, so only the first run needs the registry)
#   qemu_build_initrd   busybox-static + virtio_blk.ko + erofs.ko + /init
#   qemu_boot           boot it with a case script and disks, under TCG,
#                       with a time limit and retries for early panics
# Each function returns 0 on success; on a missing prerequisite it sets
# QEMU_SKIP to the reason and returns 77, on other failures it sets
# QEMU_ERROR and returns 1.  Nothing here prints PASS/FAIL lines.
#
# Environment:
#   EROFS_QEMU_CACHE  cache directory (default /var/cache/erofs-tools/qemu,
#                     or ~/.cache/erofs-tools/qemu when that is not writable)
#   EROFS_QEMU_KVER   kernel package version, e.g. 7.2.13+deb14 (default:
#                     the newest cloud-amd64 kernel of the sid suite, or the
#                     one already cached when the registry cannot be reached)
#   EROFS_QEMU_MEM    guest memory in MiB (default 1024)
#   EROFS_QEMU_TIMEOUT seconds per boot (default 600)
#   EROFS_QEMU_TRIES  boots to try before giving up (default 3)

QEMU_DIR=$(cd "$(dirname "${QEMU_LIB_SELF:-$0}")" && pwd)
QEMU_SKIP='' QEMU_ERROR=''

qemu_cache_dir() {
	if [ -n "${EROFS_QEMU_CACHE:-}" ]; then
		QEMU_CACHE=$EROFS_QEMU_CACHE
	elif mkdir -p /var/cache/erofs-tools/qemu 2>/dev/null &&
	     [ -w /var/cache/erofs-tools/qemu ]; then
		QEMU_CACHE=/var/cache/erofs-tools/qemu
	else
		QEMU_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/erofs-tools/qemu
	fi
	mkdir -p "$QEMU_CACHE" || { QEMU_SKIP="cannot create cache dir $QEMU_CACHE"; return 77; }
}

# qemu_mirror: the Debian archive URL this machine's apt already uses (we
# only add the sid suite in a private apt configuration; the machine's own
# sources are never changed)
qemu_mirror() {
	{
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n'
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p'
	} | grep -E '^https?://.*/debian/?$' | head -n 1
}

# qemu_apt ARGS...: apt-get/apt-cache with a private configuration for sid
qemu_apt() {
	_qtool=$1; shift
	"$_qtool" -q -o Dir::Etc::SourceList="$QEMU_CACHE/apt/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$QEMU_CACHE/apt/lists" \
		-o Dir::Cache="$QEMU_CACHE/apt/cache" \
		-o Dir::State::status=/dev/null \
		-o APT::Sandbox::User=root "$@"
}

qemu_apt_update() {
	_qmirror=$(qemu_mirror)
	[ -n "$_qmirror" ] || { QEMU_SKIP="no Debian mirror in /etc/apt sources"; return 77; }
	mkdir -p "$QEMU_CACHE/apt/lists/partial" "$QEMU_CACHE/apt/cache/archives/partial"
	_qkr=/usr/share/keyrings/debian-archive-keyring.gpg
	echo "deb [signed-by=$_qkr] ${_qmirror%/} sid main" > "$QEMU_CACHE/apt/sources.list"
	command -v apt-get > /dev/null || { QEMU_SKIP="no apt-get to fetch the kernel"; return 77; }
	qemu_apt apt-get update > "$QEMU_CACHE/apt/update.log" 2>&1 ||
		{ QEMU_SKIP="apt-get update for sid failed (see $QEMU_CACHE/apt/update.log)"; return 77; }
}

# qemu_fetch_kernel: sets QEMU_KDIR to a directory holding vmlinuz,
# erofs.ko and virtio_blk.ko (modules decompressed: busybox insmod
# cannot read .ko.xz)
qemu_fetch_kernel() {
	qemu_cache_dir || return $?
	_qkver=${EROFS_QEMU_KVER:-}
	if [ -z "$_qkver" ]; then
		# ask the registry at most once a day which kernel is newest
		if [ -n "$(find "$QEMU_CACHE/apt/update.log" -mmin -1440 2>/dev/null)" ] &&
		   grep -q '^Reading package lists' "$QEMU_CACHE/apt/update.log" ||
		   qemu_apt_update; then
			_qkver=$(qemu_apt apt-cache search --names-only '^linux-binary-[0-9].*-cloud-amd64$' 2>/dev/null |
				sed -n 's/^linux-binary-\([0-9][^ ]*\)-cloud-amd64 .*/\1/p' |
				sort -V | tail -n 1)
		fi
		# offline: use what an earlier run cached
		[ -n "$_qkver" ] || _qkver=$(ls "$QEMU_CACHE" 2>/dev/null | sed -n 's/^kernel-//p' | sort -V | tail -n 1)
		[ -n "$_qkver" ] || { QEMU_SKIP=${QEMU_SKIP:-"no linux-binary-*-cloud-amd64 package in sid"}; return 77; }
	fi
	QEMU_KVER=$_qkver
	QEMU_KDIR=$QEMU_CACHE/kernel-$_qkver
	if [ -f "$QEMU_KDIR/vmlinuz" ] && [ -f "$QEMU_KDIR/erofs.ko" ] &&
	   [ -f "$QEMU_KDIR/virtio_blk.ko" ]; then
		return 0
	fi
	[ -f "$QEMU_CACHE/apt/sources.list" ] || qemu_apt_update || return $?
	_qtmp=$QEMU_CACHE/tmp.$$
	rm -rf "$_qtmp"; mkdir -p "$_qtmp/debs" "$_qtmp/x"
	if ! (cd "$_qtmp/debs" && qemu_apt apt-get download \
			"linux-binary-$_qkver-cloud-amd64" "linux-modules-$_qkver-cloud-amd64") \
			> "$_qtmp/download.log" 2>&1; then
		QEMU_SKIP="cannot download linux-binary/linux-modules-$_qkver-cloud-amd64: $(tail -n 1 "$_qtmp/download.log")"
		rm -rf "$_qtmp"; return 77
	fi
	for _qd in "$_qtmp"/debs/*.deb; do dpkg -x "$_qd" "$_qtmp/x" || { QEMU_ERROR="dpkg -x $_qd failed"; rm -rf "$_qtmp"; return 1; }; done
	_qmdir=$(find "$_qtmp/x" -type d -path '*/lib/modules/*-cloud-amd64' | head -n 1)
	_qvmlinuz=$(find "$_qtmp/x" -name 'vmlinuz*' -type f | head -n 1)
	_qerofs=$(find "$_qtmp/x" -name 'erofs.ko*' | head -n 1)
	_qvblk=$(find "$_qtmp/x" -name 'virtio_blk.ko*' | head -n 1)
	if [ -z "$_qvmlinuz" ] || [ -z "$_qerofs" ] || [ -z "$_qvblk" ]; then
		QEMU_SKIP="kernel $_qkver: vmlinuz, erofs.ko or virtio_blk.ko missing in the packages (${_qmdir:-no module dir})"
		rm -rf "$_qtmp"; return 77
	fi
	mkdir -p "$_qtmp/k"
	cp "$_qvmlinuz" "$_qtmp/k/vmlinuz"
	for _qm in "$_qerofs" "$_qvblk"; do
		_qbase=$(basename "$_qm"); _qbase=${_qbase%%.ko*}
		case $_qm in
		*.xz) xz -dc "$_qm" > "$_qtmp/k/$_qbase.ko" ;;
		*.zst) zstd -dqc "$_qm" > "$_qtmp/k/$_qbase.ko" ;;
		*.gz) gzip -dc "$_qm" > "$_qtmp/k/$_qbase.ko" ;;
		*) cp "$_qm" "$_qtmp/k/$_qbase.ko" ;;
		esac || { QEMU_ERROR="cannot decompress $_qm"; rm -rf "$_qtmp"; return 1; }
	done
	rm -rf "$QEMU_KDIR"
	mv "$_qtmp/k" "$QEMU_KDIR"
	rm -rf "$_qtmp"
	# older kernels are not needed any more
	for _qd in "$QEMU_CACHE"/kernel-*; do
		[ "$_qd" = "$QEMU_KDIR" ] || rm -rf "$_qd"
	done
	rm -rf "$QEMU_CACHE/apt/cache/archives"/*.deb
}

# qemu_build_initrd: sets QEMU_INITRD to a gzip'ed newc cpio with busybox,
# the modules and /init (rebuilt when /init or the kernel changed)
qemu_build_initrd() {
	_qbb=$(command -v busybox) || { QEMU_SKIP="busybox-static is not installed"; return 77; }
	# the guest has no libc: the binary must be static
	if readelf -l "$_qbb" 2>/dev/null | grep -q 'Requesting program interpreter'; then
		QEMU_SKIP="$_qbb is dynamically linked (install busybox-static)"; return 77
	fi
	_qstamp=$(cat "$_qbb" "$QEMU_DIR/guest-init.sh" "$QEMU_KDIR/erofs.ko" "$QEMU_KDIR/virtio_blk.ko" | sha256sum | cut -c1-16)
	QEMU_INITRD=$QEMU_KDIR/initrd-$_qstamp.cpio.gz
	[ -f "$QEMU_INITRD" ] && return 0
	rm -f "$QEMU_KDIR"/initrd-*.cpio.gz
	_qroot=$QEMU_KDIR/initrd-root.$$
	rm -rf "$_qroot"
	mkdir -p "$_qroot/bin" "$_qroot/sbin" "$_qroot/dev" "$_qroot/proc" "$_qroot/sys" \
		"$_qroot/mnt" "$_qroot/tmp" "$_qroot/lib/modules"
	cp "$_qbb" "$_qroot/bin/busybox"
	# "busybox --list" names busybox itself: never link over the binary
	for _qa in $("$_qbb" --list); do
		[ "$_qa" = busybox ] || ln -sf busybox "$_qroot/bin/$_qa"
	done
	cp "$QEMU_DIR/guest-init.sh" "$_qroot/init"
	chmod 755 "$_qroot/init"
	cp "$QEMU_KDIR/erofs.ko" "$QEMU_KDIR/virtio_blk.ko" "$_qroot/lib/modules/"
	qemu_cpio "$_qroot" > "$QEMU_INITRD.tmp" &&
		mv "$QEMU_INITRD.tmp" "$QEMU_INITRD" ||
		{ QEMU_ERROR="cannot build the initramfs"; rm -rf "$_qroot"; return 1; }
	rm -rf "$_qroot"
}

# qemu_add_program ROOT PROG [NAME]: copy the dynamically linked PROG into
# ROOT as /bin/NAME (default: its own name), with its loader and the
# shared libraries it needs at the paths ldd names (the guest has busybox
# and no libc of its own)
qemu_add_program() {
	_qr=$1 _qp=$2
	mkdir -p "$_qr/bin" || return 1
	cp "$_qp" "$_qr/bin/${3:-$(basename "$_qp")}" || return 1
	for _ql in $(ldd "$_qp" 2>/dev/null |
		     sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'); do
		[ -f "$_qr$_ql" ] && continue
		mkdir -p "$_qr$(dirname "$_ql")" && cp -L "$_ql" "$_qr$_ql" || return 1
	done
}

# qemu_cpio DIR: gzip'ed newc archive of DIR on stdout (cpio, or busybox's)
qemu_cpio() {
	if command -v cpio > /dev/null; then
		(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0)
	else
		(cd "$1" && find . | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null)
	fi | gzip -n -1
}

qemu_check_host() {
	command -v qemu-system-x86_64 > /dev/null ||
		{ QEMU_SKIP="qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"; return 77; }
	_qmem=${EROFS_QEMU_MEM:-1024}
	_qavail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
	if [ -n "$_qavail" ] && [ "$_qavail" -lt $((_qmem + 512)) ]; then
		QEMU_SKIP="only ${_qavail} MiB available, the guest needs ${_qmem} MiB plus headroom"; return 77
	fi
}

# qemu_boot CASES_SH LOG DISK...: boot with CASES_SH as /cases.sh and the
# disks attached read-only as vda, vdb, ... in order; the serial console
# goes to LOG.  A boot that does not reach "@@ done" is retried (software
# emulation occasionally panics early), up to EROFS_QEMU_TRIES (3) boots.
# QEMU_EXTRA_ROOT, when set, is a directory whose contents are added to
# the guest's root as well (programs to run there, with their libraries:
# qemu_add_program).
qemu_boot() {
	_qc=$1 _ql=$2; shift 2
	_qw=$_ql.d
	rm -rf "$_qw"; mkdir -p "$_qw/root"
	if [ -n "${QEMU_EXTRA_ROOT:-}" ]; then
		cp -a "$QEMU_EXTRA_ROOT/." "$_qw/root/" ||
			{ QEMU_ERROR="cannot copy $QEMU_EXTRA_ROOT"; return 1; }
	fi
	cp "$_qc" "$_qw/root/cases.sh"
	# a second cpio archive appended to the first adds /cases.sh
	{ cat "$QEMU_INITRD"; qemu_cpio "$_qw/root"; } > "$_qw/initrd.gz"
	_qd=
	for _qdisk in "$@"; do
		_qd="$_qd -drive file=$_qdisk,format=raw,if=virtio,readonly=on"
	done
	_qn=${EROFS_QEMU_TRIES:-3}
	_qt=1
	while [ $_qt -le "$_qn" ]; do
		_qs=$(date +%s)
		# shellcheck disable=SC2086
		timeout "${EROFS_QEMU_TIMEOUT:-600}" qemu-system-x86_64 \
			-accel tcg -cpu max -smp 1 -m "${EROFS_QEMU_MEM:-1024}" \
			-nodefaults -display none -no-reboot -monitor none \
			-serial "file:$_ql" \
			-kernel "$QEMU_KDIR/vmlinuz" -initrd "$_qw/initrd.gz" \
			-append "console=ttyS0 loglevel=1 panic=-1 quiet" \
			$_qd > "$_qw/qemu.out" 2>&1
		_qrc=$?
		QEMU_BOOT_SECS=$(( $(date +%s) - _qs ))
		QEMU_BOOT_TRIES=$_qt
		tr -d '\r' < "$_ql" > "$_ql.clean" && mv "$_ql.clean" "$_ql"
		if grep -q '^@@ done' "$_ql"; then
			return 0
		fi
		if grep -q '^@@ init-start' "$_ql"; then
			_qwhy="guest stopped after /init started (qemu exit $_qrc)"
		else
			_qwhy="guest never reached /init (qemu exit $_qrc)"
		fi
		cp "$_ql" "$_ql.try$_qt"
		echo "qemu boot $_qt/$_qn: $_qwhy; log kept in $_ql.try$_qt" >&2
		_qt=$((_qt + 1))
	done
	QEMU_ERROR="$_qwhy after $_qn boots: $(tail -n 3 "$_ql" | tr '\n' ' ')"
	return 1
}
