#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# campaign.sh - the crafted-image campaign: does fsck agree with the
# kernel?  Seed images (our mkfs in every layout, erofs-utils 1.9's from
# the sid chroot, Debian's 1.5, and two with compressed holes made by
# hand) are cut into typed fields and mutated
# (tests/tools/mutate: one or two fields per case, superblock checksum
# fixed).  Every case then goes through
#   - our tools on the host: fsck, fsck --extract=DIR (nothing may appear
#     outside DIR), dump -s and -S; none may crash (signal, sanitizer
#     report) or hang;
#   - the kernel, never this machine's: all cases ride on one EROFS disk
#     into the QEMU guest of tests/qemu (Linux 7.2), which mounts each
#     (file-backed), reads every name, byte, link and xattr with kread
#     (and maps every file with FIEMAP) and unmounts, under a timeout.
#     A boot that dies (oops, hang) is retried without the case it was
#     on, which is reported as a crash.
# Verdicts, per case: MISS (the kernel refuses the image or a read and
# fsck exits 0), STRICT (the kernel reads everything, fsck exits 4: each
# problem code that does so is listed, to be justified), MISREAD (both
# read everything but kread's hash of the kernel's tree differs from
# that of fsck's extraction), CRASH/HANG (our tools), KCRASH (the guest
# kernel died or hung on an image fsck passes; on one fsck rejects it is
# KCRASH-FLAGGED, reported but not a failure: Linux has such crashers),
# SEED (the kernel cannot read an intact seed, or reads it differently
# from our fsck --extract).
#
#   tests/campaign/campaign.sh [--per-seed N] [--rng S] [--work DIR]
#                              [--no-kernel] [--keep]
#   tests/campaign/campaign.sh --report DIR [--rehost]
#                    (judge a kept run again; --rehost first runs today's
#                    fsck, extract and dump over its cases and seeds)
#
# Prints a table by field class and the list of every MISS, MISREAD, CRASH
# and HANG, and "@@ summary cases=N misses=N misreads=N crashes=N
# hangs=N strict=N kernel=yes|no(reason)".  Exit 1 if any MISS, MISREAD,
# CRASH or HANG.  `make campaign` runs 320 cases per seed (about 6,000).
# Environment: TOP_SRCDIR, TOP_BUILDDIR, and those of tests/qemu/lib.sh.
set -u
# names in the trees are arbitrary bytes: no tool may judge them as text
LC_ALL=C
export LC_ALL
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${TOP_BUILDDIR:=$TOP_SRCDIR/build}"
MKFS=$TOP_BUILDDIR/mkfs/mkfs.erofs
FSCK=$TOP_BUILDDIR/fsck/fsck.erofs
DUMP=$TOP_BUILDDIR/dump/dump.erofs
MUTATE=$TOP_BUILDDIR/tests/tools/mutate
GENTREE=$TOP_BUILDDIR/tests/tools/gentree
DEB_MKFS=${DEB_MKFS:-/usr/bin/mkfs.erofs}

per_seed=20 rngseed=1 work="" kernel=1 keep=0 report_dir="" rehost=0
kernel_why="--no-kernel"
while [ $# -gt 0 ]; do
	case $1 in
	--per-seed) per_seed=$2; shift ;;
	--rng) rngseed=$2; shift ;;
	--work) work=$2; shift ;;
	--no-kernel) kernel=0 ;;
	--keep) keep=1 ;;
	--report) report_dir=$2; shift ;;
	--rehost) rehost=1 ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "campaign: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
for t in "$MKFS" "$FSCK" "$DUMP" "$MUTATE" "$GENTREE"; do
	[ -x "$t" ] || { echo "campaign: $t not built (make check builds the tools)" >&2; exit 2; }
done
# ---- verdicts -------------------------------------------------------------------
# report: judge every case from manifest, host.tsv and guest.tsv in $work
report() {
	awk -v kernel="$kernel" '
	FILENAME == ARGV[1] { field[$1] = $2; next }		# manifest
	FILENAME == ARGV[2] { frc[$1] = $2; codes[$1] = $3; erc[$1] = $4; hash[$1] = $5; crash[$1] = $6; next }
	FILENAME == ARGV[3] { shash[$1] = $2; next }		# seedhash
	{ kv[$1] = $2; kd[$1] = $3 " " $4 }			# guest
	END {
		for (n in frc) {
			f = field[n]; sub(/@.*/, "", f)
			# the class: what kind of field the (first) edit hit
			c = f
			if (c ~ /^sb\./) c = "superblock"
			else if (c ~ /^cfg/) c = "config records"
			else if (c ~ /^dev/) c = "device slots"
			else if (c ~ /^dir/) c = "dirents"
			else if (c ~ /\.z\.h_/) c = "map headers"
			else if (c ~ /zidx/) c = "z indexes"
			else if (c ~ /chunk/) c = "chunk indexes"
			else if (c ~ /xattr|shared|h_name_filter|h_shared/) c = "xattrs"
			else c = "inodes"
			total[c]++; cases++
			v = ""
			if (crash[n] != "-") { v = "CRASH"; crashes++ }
			else if (frc[n] == 124 || erc[n] == 124) { v = "HANG"; hangs++ }
			else if (kernel == 1 && !(n in kv)) { v = "NOKERNEL"; nok++ }
			# the guest kernel died or hung on the case: a miss when
			# fsck passed the image, else a kernel weakness fsck
			# already guards against (reported, not a failure)
			else if (kernel == 1 && kv[n] == "crash" && frc[n] == 0) { v = "KCRASH"; kcrash++ }
			else if (kernel == 1 && kv[n] == "crash") { v = "KCRASH-FLAGGED"; kflagged++ }
			else if (kernel == 1 && kv[n] != "ok" && frc[n] == 0) { v = "MISS"; misses++; miss[c]++ }
			else if (kernel == 1 && kv[n] == "ok" && frc[n] == 4) {
				strict++; strictc[c]++
				# the kernel read the content of the intact seed: fsck objects to
				# something no read shows (each such code wants a reason)
				sd = "seed-" n; sub(/-[0-9]+$/, "", sd)
			same = (sd in kv) && kv[sd] == "ok" && substr(kd[n], 1, 16) == substr(kd[sd], 1, 16)
				m = split(codes[n], cs, ",")
				for (i = 1; i <= m; i++) if (cs[i] ~ /^E_/) {
					strictcode[cs[i]]++
					if (same) { strictsame[cs[i]]++; ex[cs[i]] = n " " field[n] }
				}
			}
			else if (kernel == 1 && kv[n] == "ok" && frc[n] == 0 && erc[n] == 0 &&
				 hash[n] != "-" && kd[n] != "" && substr(kd[n], 1, 16) != hash[n]) { v = "MISREAD"; misreads++ }
			if (kernel == 1 && kv[n] != "ok") refused[c]++
			if (v != "") printf "V %s: %s %s (fsck %s %s, extract %s, kernel %s %s)\n", v, n, field[n], frc[n], codes[n], erc[n], kv[n], kd[n]
		}
		# an intact seed the kernel cannot read: a writer (or kernel) bug
		for (k in kv) if (k ~ /^seed-/ && kv[k] != "ok") {
			printf "V SEED: %s (kernel %s %s)\n", k, kv[k], kd[k]
			seedfail++
		} else if (k ~ /^seed-/ && shash[k] != "" && substr(kd[k], 1, 16) != shash[k]) {
			printf "V SEED: %s read by the kernel (%s) differs from our extraction (%s)\n", k, substr(kd[k], 1, 16), shash[k]
			seedfail++
		}
		for (c in total)
			printf "T   %-16s %6d %8d %6d %7d\n", c, total[c], refused[c], miss[c], strictc[c]
		for (e in strictcode)
			printf "S   stricter than the kernel: %s in %d cases, %d with the seed content read%s\n",
				e, strictcode[e], strictsame[e], (strictsame[e] ? (" (e.g. " ex[e] ")") : "")
		printf "@@ summary cases=%d misses=%d misreads=%d crashes=%d hangs=%d strict=%d kernel_crashes=%d kernel_crashes_flagged=%d unreached=%d seeds_unread=%d\n",
			cases, misses, misreads, crashes, hangs, strict, kcrash, kflagged, nok, seedfail
	}' "$work/manifest" "$work/host.tsv" "$work/seedhash" "$work/guest.tsv" | sort -s -k1,1 >"$work/report"
	sed -n 's/^V //p' "$work/report"
	printf '    %-16s %6s %8s %6s %7s\n' class cases kernel- miss strict
	sed -n 's/^T //p' "$work/report"
	sed -n 's/^S //p' "$work/report"
	if [ "$kernel" = 1 ]; then
		echo "@@ kernel yes ($QEMU_KVER, $boots boot(s))"
	else
		echo "@@ kernel no ($kernel_why)"
	fi
	grep '^@@ summary' "$work/report"
	grep -q '^V \(MISS\|MISREAD\|CRASH\|HANG\|KCRASH\|NOKERNEL\|SEED\):' "$work/report" && exit 1
	exit 0
}

# seed_hashes: what our reader makes of each seed, for the kernel's read
# to match (seedhash: seed-NAME HASH)
seed_hashes() {
	: >"$work/seedhash"
	for s in "$work"/seeds/*.img; do
		rm -rf "$work/x/e"
		if "$FSCK" --extract="$work/x/e" "$s" >/dev/null 2>&1 && [ -n "${KREAD_HOST:-}" ]; then
			echo "seed-$(basename "$s" .img) $("$KREAD_HOST" "$work/x/e" | awk '$1 == "ok" { print $2 }')" >>"$work/seedhash"
		fi
	done
}

# ---- our tools on the host --------------------------------------------------
# host_run: host.tsv: NAME FSCK_EXIT CODES EXTRACT_EXIT HASH(or -) CRASH(or -)
host_run() {
	: >"$work/host.tsv"
	while read -r name rest; do
		img=$work/cases/$name.img
		crash=-
		timeout 30 "$FSCK" "$img" >"$work/x/log" 2>&1
		frc=$?
		codes=$(grep -o '\[[EUW]_[A-Z0-9_]*\]' "$work/x/log" | tr -d '[]' | sort -u | tr '\n' ',' | sed 's/,$//')
		[ -n "$codes" ] || codes=-
		grep -q 'Sanitizer\|runtime error' "$work/x/log" && crash="fsck:sanitizer"
		[ $frc -ge 124 ] && crash="fsck:exit$frc"
		rm -rf "$work/x/e"
		mkdir -p "$work/x/e"
		timeout 30 "$FSCK" --extract="$work/x/e/d" "$img" >"$work/x/log" 2>&1
		erc=$?
		grep -q 'Sanitizer\|runtime error' "$work/x/log" && crash="extract:sanitizer"
		[ $erc -ge 124 ] && crash="extract:exit$erc"
		# nothing may be written beside DIR
		[ "$(ls -A "$work/x/e")" = d ] || [ -z "$(ls -A "$work/x/e")" ] || crash="extract:outside"
		hash=-
		if [ $erc = 0 ] && [ -d "$work/x/e/d" ] && [ -n "${KREAD_HOST:-}" ]; then
			hash=$("$KREAD_HOST" "$work/x/e/d" 2>/dev/null | awk '$1 == "ok" { print $2 }')
			[ -n "$hash" ] || hash=-
		fi
		for v in -s -S; do
			timeout 30 "$DUMP" $v "$img" >/dev/null 2>"$work/x/log"
			drc=$?
			grep -q 'Sanitizer\|runtime error' "$work/x/log" && crash="dump$v:sanitizer"
			[ $drc -ge 124 ] && crash="dump$v:exit$drc"
		done
		printf '%s %s %s %s %s %s\n' "$name" "$frc" "$codes" "$erc" "$hash" "$crash" >>"$work/host.tsv"
	done <"$work/manifest"
}

if [ -n "$report_dir" ]; then
	work=$(cd "$report_dir" && pwd) || exit 2
	src=$work/src KREAD_HOST=$work/kread kernel=0 kernel_why="(report only)"
	[ -s "$work/guest.tsv" ] && kernel=1 QEMU_KVER=? boots=?
	[ -f "$work/seedhash" ] || : >"$work/seedhash"
	if [ "$rehost" = 1 ]; then
		mkdir -p "$work/x"
		seed_hashes
		host_run
	fi
	report
	exit
fi

if [ -z "$work" ]; then
	work=$(mktemp -d /tmp/erofs-campaign.XXXXXX)
	[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
else
	rm -rf "$work"
fi
mkdir -p "$work/seeds" "$work/cases" "$work/x"
work=$(cd "$work" && pwd)

# ---- seeds ----------------------------------------------------------------
src=$work/src
"$GENTREE" --seed 5 --files 80 --max-bytes 100000 "$src" >/dev/null || { echo "campaign: gentree failed" >&2; exit 2; }
seed_ours() {
	_n=$1; shift
	"$MKFS" --quiet -T0 -Uclear "$@" "$work/seeds/$_n.img" "$src" >/dev/null 2>&1 ||
		rm -f "$work/seeds/$_n.img"
}
seed_ours ours-plain
seed_ours ours-plain512 -b512
seed_ours ours-lz4 -zlz4hc
seed_ours ours-lz4full -zlz4hc -Elegacy-compress
seed_ours ours-lz4big -zlz4hc -C65536
seed_ours ours-lzma -zlzma -Eztailpacking
seed_ours ours-zstd -zzstd
seed_ours ours-deflate -zdeflate
seed_ours ours-frag -zlz4hc -Efragments,dedupe
seed_ours ours-chunk --chunksize=4096
seed_ours ours-chunkidx --chunksize=8192 -Eforce-chunk-indexes
seed_ours ours-48bit -E48bit -zlz4hc
seed_ours ours-prefix --xattr-prefix=user. --xattr-prefix=trusted.
seed_ours ours-fp --ishare_key=trusted.erofs.fingerprint
# compressed holes (Linux 7.2): no mkfs writes them yet, so two seeds are
# valid images edited by hand, on a tree of text (pclusters that compress):
# the first pcluster of /z marked HOLE in a FULL index, and a big
# pcluster's CBLKCNT set to 0 (both read as zeros)
zsrc=$work/src-z
mkdir -p "$zsrc/d"
seq 1 30000 >"$zsrc/z"
seq 7 9000 >"$zsrc/y"
printf 'x\n' >"$zsrc/d/x"
seed_hole() {
	_n=$1 _delta=$2; shift 2
	_img=$work/seeds/$_n.img
	"$MKFS" --quiet -T0 -Uclear -Enosbcrc -Elegacy-compress "$@" "$_img" "$zsrc" \
		>/dev/null 2>&1 || { rm -f "$_img"; return; }
	_bs=$("$DUMP" -s "$_img" | sed -n 's/^Filesystem blocksize: *//p')
	_meta=$("$DUMP" -s "$_img" | sed -n 's/^Filesystem inode metadata start block: *//p')
	_nid=$("$DUMP" --path=/z "$_img" | sed -n 's/^NID: //p')
	# a compact inode without xattrs: the map header follows it, then
	# 8 reserved bytes, then 8-byte indexes
	_idx=$(( (_meta * _bs + _nid * 32 + 32 + 7) / 8 * 8 + 16 ))
	if [ "$_delta" = 0 ]; then
		# lcluster 0: HEAD1 (01 00) becomes HEAD1|HOLE (01 40)
		printf '\100' | dd of="$_img" bs=1 seek=$((_idx + 1)) conv=notrunc status=none
	else
		# lcluster 1's delta0: CBLKCNT|4 (04 08) becomes CBLKCNT|0
		printf '\000' | dd of="$_img" bs=1 seek=$((_idx + 12)) conv=notrunc status=none
	fi
}
seed_hole ours-holefull 0 -zlz4hc
seed_hole ours-holecblk 1 -zlz4hc -C16384
CHROOT=${SID_CHROOT:-/var/cache/erofs-tools/sid-chroot}
if [ -f "$CHROOT/.erofs-tools-ready" ]; then
	LD=$CHROOT/lib64/ld-linux-x86-64.so.2
	sid_mkfs() {
		_n=$1; shift
		"$LD" --library-path "$CHROOT/lib/x86_64-linux-gnu:$CHROOT/usr/lib/x86_64-linux-gnu" \
			"$CHROOT/usr/bin/mkfs.erofs" --quiet -T0 "$@" "$work/seeds/$_n.img" "$src" \
			>/dev/null 2>&1 || rm -f "$work/seeds/$_n.img"
	}
	sid_mkfs sid-plain
	sid_mkfs sid-lz4 -zlz4hc
	sid_mkfs sid-frag -zlz4hc -Eall-fragments,dedupe
	sid_mkfs sid-48bit -E48bit -zlz4hc
fi
if [ -x "$DEB_MKFS" ]; then
	"$DEB_MKFS" -T0 "$work/seeds/deb-lz4.img" "$src" >/dev/null 2>&1 || rm -f "$work/seeds/deb-lz4.img"
fi

# every seed must be clean, or its mutants prove nothing
: >"$work/manifest"
nseeds=0
for s in "$work"/seeds/*.img; do
	n=$(basename "$s" .img)
	if ! "$FSCK" "$s" >/dev/null 2>&1; then
		echo "campaign: seed $n is not clean: left out" >&2
		continue
	fi
	"$MUTATE" "$s" "$work/cases" "$n" "$per_seed" "$rngseed" >>"$work/manifest" ||
		{ echo "campaign: mutate $n failed" >&2; continue; }
	nseeds=$((nseeds + 1))
done
ncases=$(wc -l <"$work/manifest")
echo "campaign: $nseeds seeds, $ncases cases in $work" >&2

# kread, static: the guest has no libc; the host uses it on extractions
KREAD_HOST=
if cc -O2 -static -o "$work/kread" "$TOP_SRCDIR/tests/campaign/kread.c" 2>"$work/kread.log"; then
	KREAD_HOST=$work/kread
elif [ "$kernel" = 1 ]; then
	kernel=0 kernel_why="cannot build the static kread: $(head -n 1 "$work/kread.log")"
fi
seed_hashes
host_run

# ---- the kernel, in the QEMU guest ------------------------------------------
# guest.tsv: NAME VERDICT [DETAIL]: ok HASH | mount-err E | err E PATH | crash
: >"$work/guest.tsv"
if [ "$kernel" = 1 ]; then
	# shellcheck disable=SC2034 # read by lib.sh
	QEMU_LIB_SELF=$TOP_SRCDIR/tests/qemu/lib.sh
	. "$TOP_SRCDIR/tests/qemu/lib.sh"
	if ! qemu_check_host; then
		kernel=0 kernel_why=$QEMU_SKIP
	else
		qemu_fetch_kernel
		case $? in 0) ;; 77) kernel=0 kernel_why=$QEMU_SKIP ;; *) kernel=0 kernel_why=$QEMU_ERROR ;; esac
	fi
	if [ "$kernel" = 1 ]; then
		qemu_build_initrd
		case $? in 0) ;; 77) kernel=0 kernel_why=$QEMU_SKIP ;; *) kernel=0 kernel_why=$QEMU_ERROR ;; esac
	fi
fi
if [ "$kernel" = 1 ]; then
	# the carrier: a valid image of ours holding every case (chunk
	# dedupe keeps it small: mutants differ from their seed in a byte)
	mkdir -p "$work/carrier"
	ln "$work"/cases/*.img "$work/carrier/"
	for sd in "$work"/seeds/*.img; do
		ln "$sd" "$work/carrier/seed-$(basename "$sd")"
	done
	cp "$work/kread" "$work/carrier/kread"
	# the primer: LZMA with the largest dictionary Linux takes (8 MiB),
	# mounted first (see below); left out without LZMA in our mkfs
	mkdir -p "$work/primer"
	seq 1 20000 >"$work/primer/p"
	"$MKFS" --quiet -T0 -zlzma,dictsize=8388608 "$work/carrier/primer.img" \
		"$work/primer" >/dev/null 2>&1 || rm -f "$work/carrier/primer.img"
	"$MKFS" --quiet -T0 --chunksize=4096 "$work/carrier.img" "$work/carrier" >/dev/null 2>&1 ||
		{ kernel=0 kernel_why="cannot build the carrier image"; }
fi
# guest_run LIST [prime]: boot until every case named in LIST has a
# verdict in guest.tsv (or 12 boots); the case a dead boot was on is a
# kernel crash.  With "prime", each boot first reads the primer image.
guest_run() {
	cp "$1" "$work/todo"
	_prime=${2:-}
	tries=0
	while [ -s "$work/todo" ] && [ $tries -lt 12 ]; do
		boots=$((boots + 1)) tries=$((tries + 1))
		n=$(wc -l <"$work/todo")
		{
			echo 'mkdir -p /mnt/c /mnt/t'
			echo 'mount -t erofs -o ro /dev/vda /mnt/c || echo "@@ carrier-failed"'
			[ -n "$_prime" ] && echo '[ -f /mnt/c/primer.img ] && /mnt/c/kread -m /mnt/c/primer.img /mnt/t >/dev/null'
			echo 'while read -r n; do'
			echo '	echo "@@ start $n"'
			echo '	r=$(timeout 60 /mnt/c/kread -m /mnt/c/$n.img /mnt/t 2>&1 | head -n 2 | tr "\n" " ")'
			echo '	echo "@@ case $n $r"'
			echo '	grep -q " /mnt/t " /proc/mounts && { umount /mnt/t || umount -l /mnt/t; }'
			echo '	echo "@@ end $n"'
			echo 'done <<EOF'
			cat "$work/todo"
			echo 'EOF'
		} >"$work/cases.sh"
		# a case may hang the guest's kernel (D state: the guest's
		# timeout cannot kill it): a watchdog stops the boot when the
		# console is silent for WATCHDOG seconds
		log=$work/boot$boots.log
		EROFS_QEMU_TIMEOUT=$((300 + 2 * n)) EROFS_QEMU_TRIES=1 \
			qemu_boot "$work/cases.sh" "$log" "$work/carrier.img" &
		bootpid=$!
		while kill -0 "$bootpid" 2>/dev/null; do
			sleep 5
			[ -f "$log" ] || continue
			age=$(( $(date +%s) - $(stat -c %Y "$log") ))
			if [ "$age" -gt "${WATCHDOG:-150}" ]; then
				echo "campaign: guest silent for ${age}s, stopping boot $boots" >&2
				pkill -f "qemu-system-x86_64 .*file:$log" 2>/dev/null
			fi
		done
		wait "$bootpid"
		sed -n 's/^@@ case \([^ ]*\) \(.*\)$/\1 \2/p' "$log" >>"$work/guest.tsv"
		# a dead boot: the case it was on (reading, or unmounting
		# after its verdict) is a kernel crash or hang
		last=$(sed -n 's/^@@ start //p' "$log" | tail -n 1)
		if ! grep -q '^@@ done' "$log" && [ -n "$last" ] &&
		   ! grep -q "^@@ end $last\$" "$log"; then
			echo "$last crash" >>"$work/guest.tsv"
			cp "$log" "$work/crash-$last.log"
		fi
		cut -d' ' -f1 "$work/guest.tsv" | sort >"$work/done"
		sort "$work/todo" | comm -23 - "$work/done" >"$work/todo.new"
		if [ "$(wc -l <"$work/todo.new")" = "$n" ] && ! grep -q '^@@ start' "$log"; then
			kernel_why="the guest ran no case: $(tail -n 2 "$log" | tr '\n' ' ')"
			kernel=0
			return 1
		fi
		mv "$work/todo.new" "$work/todo"
	done
}

if [ "$kernel" = 1 ]; then
	boots=0
	# Linux sizes the LZMA decoders all mounts share from the largest
	# dictionary mounted since boot, and a size that is not a multiple of
	# 4 breaks every later LZMA read (fsck: E_Z_LZMA_DICT).  Any case may
	# make the kernel parse an LZMA record (an edited algorithm mask, a
	# moved record), so the main boot first mounts the primer: 8 MiB, the
	# largest size, after which no mount can resize them.  The cases
	# editing an LZMA seed's record are then read in boots of their own,
	# unprimed, as on a fresh machine.  The intact seeds go first.
	cfgcase='($2 ~ /^cfg/ || $3 ~ /^cfg/) && $1 ~ /lzma/'
	{ for sd in "$work"/seeds/*.img; do echo "seed-$(basename "$sd" .img)"; done
	  awk "!($cfgcase) { print \$1 }" "$work/manifest"; } >"$work/list.main"
	guest_run "$work/list.main" prime
	awk "$cfgcase { print \$1 }" "$work/manifest" >"$work/list.cfg"
	while [ "$kernel" = 1 ] && read -r c; do
		echo "$c" >"$work/list.one"
		guest_run "$work/list.one" || break
	done <"$work/list.cfg"
fi
report
