#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t042-ishare-report - dump.erofs --fingerprint: the per-file listing of
# one image and the sharing report over several, checked against an
# independent count made here from the SOURCE trees with stat, sha256sum
# and awk (the kernel's rule: files share iff equal fingerprint, equal size
# and same read path -- all plain here; one copy per group, duplicates
# inside one image included; page-rounded to 4096; hard links once).
#   A = random tree, B = A with some files changed, removed and added,
#   C = A built with 512-byte blocks (the rounding is per page, not block).
. "$(dirname "$0")/lib.sh"

need_tools
need_mkfs
if ! "$DUMP" --help 2>&1 | grep -q -e '--fingerprint'; then
	fail "$T_NAME" "$DUMP has no --fingerprint option"
	finish
fi

KEY=trusted.erofs.fingerprint
: "${SEEDS:=7}"
files=200
[ "$HARNESS_QUICK" = 1 ] && files=60

# inodes TREE: "ino size sha256" per regular file name (sha256 "-" for
# empty files); names never reach the output, so odd bytes are harmless
inodes() {
	(cd "$1" && find . -type f -exec sh -c '
		for f; do
			set -- $(stat -c "%i %s" "$f")
			if [ "$2" -gt 0 ]; then
				h=$(sha256sum <"$f" | cut -c1-64)
			else
				h=-
			fi
			echo "$1 $2 $h"
		done' sh {} +)
}

# expected LIST...: "total shared saved" from per-image inode lists
expected() {
	awk -v P=4096 '
	FNR == 1 { img++ }
	{
		if (seen[img, $1]++)
			next			# another name of a counted inode
		r = int(($2 + P - 1) / P) * P
		total += r
		if ($3 == "-") { shared += r; next }	# no fingerprint
		if (!grp[$2, $3]++)
			shared += r		# first copy of a group
	}
	END { printf "%d %d %d\n", total, shared, total - shared }' "$@"
}

report_field() {
	sed -n "s/^$2: *\([0-9]*\) bytes.*/\1/p" "$1"
}

A=$T_TMP/A B=$T_TMP/B
for seed in $SEEDS; do
	if ! gentree_run "$A" --seed "$seed" --files "$files" >/dev/null ||
	   ! gentree_run "$B" --copy "$A" >/dev/null; then
		fail "trees seed=$seed" "$T_WHY"
		continue
	fi
	# B: change every file with a 3 in its name, drop those with a 7,
	# add a few new and a few duplicated files
	(cd "$B" && find . -type f -name '*3*' -exec sh -c 'for f; do printf x >>"$f"; done' sh {} +)
	(cd "$B" && find . -type f -name '*7*' -exec rm -f {} +)
	mkdir -p "$B/new"
	head -c 50000 /dev/urandom >"$B/new/r1"
	cp "$B/new/r1" "$B/new/r1.dup"
	printf 'hello' >"$B/new/h"
	printf 'hello' >"$B/new/h2"
	: >"$B/new/empty"

	ok=1
	mkfs_image "$T_TMP/A.img" "$A" 4096 --ishare_key=$KEY || ok=0
	[ $ok = 1 ] && { mkfs_image "$T_TMP/B.img" "$B" 4096 --ishare_key=$KEY || ok=0; }
	[ $ok = 1 ] && { mkfs_image "$T_TMP/C.img" "$A" 512 --ishare_key=$KEY || ok=0; }
	if [ $ok = 0 ]; then
		fail "images seed=$seed" "$T_WHY"
		continue
	fi
	inodes "$A" >"$T_TMP/A.ino"
	inodes "$B" >"$T_TMP/B.ino"

	# ---- one image: the listing ------------------------------------
	name="listing seed=$seed"
	if "$DUMP" --fingerprint "$T_TMP/A.img" >"$T_TMP/list.out" 2>"$T_TMP/list.err"; then
		# "hex size read-path path": hex and size per inode, as a multiset
		grep -a -E '^([0-9a-f]{64}|-) ' "$T_TMP/list.out" |
			awk '{ print $1, $2 }' | sort >"$T_TMP/list.got"
		awk '!seen[$1]++ { print $3, $2 }' "$T_TMP/A.ino" | sort >"$T_TMP/list.want"
		if ! grep -q "^fingerprint key: $KEY (prefix id [0-9]*)" "$T_TMP/list.out"; then
			fail "$name" "no 'fingerprint key: $KEY (prefix id N)' line"
		elif ! cmp -s "$T_TMP/list.got" "$T_TMP/list.want"; then
			fail "$name" "$(diff "$T_TMP/list.want" "$T_TMP/list.got" | grep -c '^[<>]') lines differ from sha256sum, e.g. $(diff "$T_TMP/list.want" "$T_TMP/list.got" | grep -m1 '^[<>]')"
		elif grep -a -E '^[0-9a-f]{64} ' "$T_TMP/list.out" | grep -v -q ' plain '; then
			fail "$name" "a file without the plain read path"
		else
			pass "$name ($(wc -l <"$T_TMP/list.want") inodes)"
		fi
	else
		fail "$name" "exit $?: $(head -n 1 "$T_TMP/list.err")"
	fi

	# ---- several images: the report ---------------------------------
	for set in "A B" "A B C" "A C"; do
		name="report $set seed=$seed"
		imgs= inos=
		for x in $set; do
			imgs="$imgs $T_TMP/$x.img"
			[ "$x" = C ] && x=A
			inos="$inos $T_TMP/$x.ino"
		done
		# shellcheck disable=SC2086
		want=$(expected $inos)
		# shellcheck disable=SC2086
		if ! "$DUMP" --fingerprint $imgs >"$T_TMP/rep.out" 2>"$T_TMP/rep.err"; then
			fail "$name" "exit $?: $(head -n 1 "$T_TMP/rep.err")"
			continue
		fi
		got="$(report_field "$T_TMP/rep.out" 'total without sharing') $(report_field "$T_TMP/rep.out" 'total with sharing') $(report_field "$T_TMP/rep.out" 'saving')"
		if [ "$got" = "$want" ]; then
			pass "$name (total shared saved: $want)"
		else
			fail "$name" "total/shared/saved: got '$got', independent count '$want'"
			sed 's/^/    /' "$T_TMP/rep.out" | head -n 12
		fi
	done

	# ---- JSON carries the same numbers ------------------------------
	name="report --json seed=$seed"
	if ! command -v python3 >/dev/null 2>&1; then
		skip "$name" "python3 not available to parse JSON"
	elif "$DUMP" --fingerprint --json "$T_TMP/A.img" "$T_TMP/B.img" >"$T_TMP/rep.json" 2>"$T_TMP/rep.err"; then
		want=$(expected "$T_TMP/A.ino" "$T_TMP/B.ino")
		got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["total_bytes"], d["shared_bytes"], d["saved_bytes"])' "$T_TMP/rep.json" 2>&1)
		if [ "$got" = "$want" ]; then
			pass "$name"
		else
			fail "$name" "got '$got', want '$want'"
		fi
	else
		fail "$name" "exit $?: $(head -n 1 "$T_TMP/rep.err")"
	fi
	name="listing --json seed=$seed"
	if command -v python3 >/dev/null 2>&1 &&
	   "$DUMP" --fingerprint --json "$T_TMP/A.img" >"$T_TMP/list.json" 2>"$T_TMP/list.err"; then
		got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["files"]:
    fp = f["fingerprint"]
    print((fp[7:] if fp else "-"), f["size"])' "$T_TMP/list.json" 2>&1 | sort)
		if [ "$got" = "$(cat "$T_TMP/list.want")" ]; then
			pass "$name"
		else
			fail "$name" "files differ from sha256sum: $(echo "$got" | head -n 1)"
		fi
	else
		skip "$name" "python3 missing or dump failed"
	fi
done

finish
