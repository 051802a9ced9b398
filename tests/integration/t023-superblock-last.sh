#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t023-superblock-last - a crash while mkfs.erofs writes must not leave an
# image that looks valid: the superblock is written after everything else
# has been synced, then synced itself.  Checked from the system calls
# (strace): on the image's descriptor, the superblock write (128 bytes at
# 1024) is the last write, right after an fsync, and another fsync
# follows it -- plain and compressed, file and tar input.
. "$(dirname "$0")/lib.sh"

need_mkfs
[ "$STANDIN" = 1 ] && skip_all "the write order is ours to check"
command -v strace >/dev/null 2>&1 ||
	skip_all "strace is not installed (scripts/setup.sh installs it)"

src=$T_TMP/src
if ! gentree_run "$src" --seed 23 --files 20 >/dev/null; then
	fail "$T_NAME tree" "$T_WHY"
	finish
fi

# order NAME MKFS-ARGS...: strace one build into $T_TMP/img
order() {
	_name=$1
	shift
	rm -f "$T_TMP/img"
	# LeakSanitizer cannot run under ptrace (the ASan build of the
	# suite); leaks are checked by every other test there
	if ! ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=openat,pwrite64,fsync,fdatasync \
		-o "$T_TMP/st.log" "$MKFS" --quiet "$@" >"$T_TMP/mk.log" 2>&1; then
		fail "$_name" "mkfs failed: $(tail -n 1 "$T_TMP/mk.log")"
		return
	fi
	# the image's descriptor, then its writes and syncs in order
	_fd=$(grep -F "\"$T_TMP/img\"" "$T_TMP/st.log" | grep -v ENOENT |
	      tail -n 1 | sed -n 's/.*= \([0-9][0-9]*\)$/\1/p')
	if [ -z "$_fd" ]; then
		fail "$_name" "no open of the image in the trace"
		return
	fi
	_seq=$(awk -v fd="$_fd" '
		$0 ~ "pwrite64\\(" fd ", " {
			n = split($0, a, ", ")
			# the last two fields: length and offset) = result
			len = a[n - 1]; off = a[n]; sub(/\).*/, "", off)
			print (len == 128 && off == 1024) ? "S" : "W"
		}
		$0 ~ "f(data)?sync\\(" fd "\\)" { print "F" }' "$T_TMP/st.log" |
	      tr -d '\n')
	# W: a write, S: the superblock's, F: a sync
	_end=$(printf '%s' "$_seq" | tail -c 8)
	case $_seq in
	*WFSF)	pass "$_name" ;;
	*WFS)	fail "$_name" "no sync after the superblock (last: $_end)" ;;
	*)	fail "$_name" "the superblock is not written last, after a sync (last: $_end)" ;;
	esac
}

order "superblock last, plain" "$T_TMP/img" "$src"
order "superblock last, lz4hc fragments" -zlz4hc -Efragments "$T_TMP/img" "$src"
if tar -C "$src" -cf "$T_TMP/src.tar" . 2>/dev/null; then
	order "superblock last, tar" --tar=f "$T_TMP/img" "$T_TMP/src.tar"
fi
finish
